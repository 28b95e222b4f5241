"""The demo sensor on a starved CPU: it never renders an unbounded backlog on the event loop."""

from __future__ import annotations

import numpy as np
from waiting import wait_until_async

from gymtui.adapters import demo
from gymtui.adapters.demo import DemoEmgSource
from gymtui.model import ChannelInfo, MuscleRole, SampleBlock
from gymtui.sim.athlete import SimulatedAthlete
from gymtui.sim.physiology import BandNoisePhysiology

RATE_HZ = 1000.0
SPEED = 8.0
CHANNELS = (ChannelInfo("Biceps femoris", MuscleRole.TARGET), ChannelInfo("Vastus medialis", MuscleRole.ANTAGONIST))


class SteppedClock:
    """The demo clock, moved by the test: a jump is a stretch the CPU did not give the sensor."""

    def __init__(self) -> None:
        self.now_s = 100.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now_s


def end_s(blocks: list[SampleBlock]) -> float:
    last = blocks[-1]
    return last.t0_s + last.n_samples / RATE_HZ


async def test_a_starved_demo_sensor_drops_its_backlog_as_one_marked_gap_and_goes_on() -> None:
    clock = SteppedClock()
    physiology = BandNoisePhysiology(RATE_HZ, len(CHANNELS))
    athlete = SimulatedAthlete(tuple(c.role for c in CHANNELS), RATE_HZ)
    source = DemoEmgSource(CHANNELS, rate_hz=RATE_HZ, speed=SPEED, clock=clock, physiology=physiology, athlete=athlete)
    renders: list[int] = []
    render = source.render_block

    def counted(n: int) -> np.ndarray:
        renders.append(n)
        return render(n)

    source.render_block = counted  # type: ignore[method-assign]
    blocks: list[SampleBlock] = []
    await source.connect()
    await source.start(blocks.append)
    try:
        await wait_until_async(lambda: clock.reads > 0, 10, "the sensor to read its start time")
        clock.now_s += 0.2  # in step: everything is delivered, nothing lost
        await wait_until_async(lambda: blocks and end_s(blocks) >= clock.now_s - 0.01, 10, "0.2 s of signal")
        assert sum(b.lost_samples for b in blocks) == 0
        before = len(blocks)

        clock.now_s += 60.0  # a minute of demo time the sensor never got to render
        await wait_until_async(lambda: end_s(blocks) >= clock.now_s - 0.01, 10, "the sensor to catch up with its clock")
    finally:
        await source.disconnect()

    after = blocks[before:]
    gaps = [b for b in after if b.lost_samples]
    assert len(gaps) == 1, [b.lost_samples for b in gaps]
    gap = gaps[0]
    # The gap is stamped where it ends: the previous block's end plus the samples lost.
    previous = blocks[blocks.index(gap) - 1]
    assert gap.t0_s == previous.t0_s + (previous.n_samples + gap.lost_samples) / RATE_HZ
    assert [b.seq for b in blocks] == list(range(len(blocks)))  # sequence numbers keep counting blocks
    # It kept at most the last MAX_BEHIND_S of wall time (× speed) and dropped the rest...
    kept_s = sum(b.n_samples for b in after) / RATE_HZ
    assert gap.lost_samples / RATE_HZ >= 60.0 - demo.MAX_BEHIND_S * SPEED - 0.1
    assert kept_s <= demo.MAX_BEHIND_S * SPEED + 0.1
    # ...and never held the event loop for more than a couple of delivery intervals' worth of signal.
    assert max(renders) <= demo.MAX_BATCHES_PER_WAKE * demo.DELIVERY_INTERVAL_S * SPEED * RATE_HZ + 10
