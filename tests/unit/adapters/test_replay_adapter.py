"""The replay source: the file's samples once, in order, on the app clock, with its gaps, then a clean end."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from gymtui.adapters.replay import ReplayEmgSource
from gymtui.app import AppConfig
from gymtui.cli import build_parser
from gymtui.device_api import EmgSource
from gymtui.model import LinkHealth, LinkState, MuscleRole, SampleBlock
from gymtui.signal.recording import Recording


class SteppedClock:
    """The app clock, moved by hand: each read is where the test put it."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def play(source: ReplayEmgSource, clock: SteppedClock, step_s: float, deadline_s: float = 20.0) -> tuple[list[SampleBlock], list[LinkHealth]]:
    blocks: list[SampleBlock] = []
    health: list[LinkHealth] = []
    await source.connect()
    await source.start(blocks.append, health.append)
    give_up = time.monotonic() + deadline_s
    while not source.ended:
        assert time.monotonic() < give_up, "the replay never ended"
        clock.t += step_s
        await asyncio.sleep(0.005)
    await source.disconnect()
    return blocks, health


def recording(n: int, gaps: tuple[tuple[int, int], ...] = ()) -> Recording:
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2) * 0.5
    return Recording(x, 1000.0, ("Rectus femoris", "Biceps femoris\x1b[2J"), "/data/trial.csv", 1.0, gaps)


async def test_every_sample_once_in_order_stamped_on_the_app_clock_then_it_ends() -> None:
    clock = SteppedClock()
    ended: list[str] = []
    source = ReplayEmgSource(recording(1005), roles=(MuscleRole.TARGET,), clock=clock, on_end=ended.append, speed=50.0)
    assert isinstance(source, EmgSource)
    assert [c.muscle for c in source.info.channels] == ["Rectus femoris", "Biceps femoris\ufffd[2J"]
    assert [c.role for c in source.info.channels] == [MuscleRole.TARGET, MuscleRole.OTHER]
    assert source.info.rate_hz == 1000.0 and source.info.name == "Replay trial.csv"
    blocks, health = await play(source, clock, step_s=0.05)
    assert [b.seq for b in blocks] == list(range(len(blocks)))
    assert [b.n_samples for b in blocks] == [10] * 100 + [5]
    np.testing.assert_array_equal(np.concatenate([b.samples_uv for b in blocks]), recording(1005).samples.astype(np.float32))
    assert [b.t0_s for b in blocks[:3]] == pytest.approx([100.0, 100.01, 100.02])
    assert all(b.lost_samples == 0 for b in blocks)
    assert health[0].state is LinkState.CONNECTED
    assert health[-1] == LinkHealth(LinkState.DISCONNECTED, message="recording ended")
    assert ended == ["The recording trial.csv ended (1.0 s played): sets run as a timer only"]


async def test_a_gap_in_the_file_reaches_the_worker_as_lost_samples_and_a_jump_in_time() -> None:
    clock = SteppedClock()
    source = ReplayEmgSource(recording(300, gaps=((125, 40),)), clock=clock)
    blocks, _ = await play(source, clock, step_s=0.05)
    firsts = source.block_starts
    assert 125 in firsts  # the gap starts a block of its own
    k = firsts.index(125)
    assert blocks[k].lost_samples == 40 and sum(b.lost_samples for b in blocks) == 40
    assert blocks[k].t0_s == pytest.approx(100.0 + (125 + 40) / 1000.0)
    assert blocks[k - 1].n_samples == 5  # 120..124 closes the run before the gap
    np.testing.assert_array_equal(np.concatenate([b.samples_uv for b in blocks]), recording(300).samples.astype(np.float32))


async def test_blocks_are_handed_over_only_when_the_clock_has_reached_them() -> None:
    clock = SteppedClock()
    blocks: list[SampleBlock] = []
    source = ReplayEmgSource(recording(1000), clock=clock)
    await source.connect()
    await source.start(blocks.append)
    clock.t += 0.105  # 105 ms of the file is due: ten whole blocks
    deadline = time.monotonic() + 10
    while len(blocks) < 10:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    assert len(blocks) == 10  # the eleventh (100-110 ms) is not due yet
    await source.disconnect()
    assert not source.ended


def test_replay_flag_reaches_the_app_config_with_its_speed(tmp_path) -> None:
    args = build_parser().parse_args(["--replay", str(tmp_path / "trial.csv"), "--speed", "3"])
    config = AppConfig.from_args(args, tmp_path / "gym.db")
    assert config.replay == tmp_path / "trial.csv" and config.speed == 3.0 and not config.demo
