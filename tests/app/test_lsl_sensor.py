"""``--sensor lsl:NAME``: a Lab Streaming Layer EMG stream as the live sensor, in the real app.

A pylsl outlet in the test plays a public recording (UCI leg extension,
four channels at 1 kHz) in real time, each 10 ms chunk stamped with its
samples' own times, under a stream name no other test uses (LSL stays on
loopback: see ``LSLAPICFG`` in tests/conftest.py). The app runs a planned set
on it with its set clock moved by hand, stage by stage, once signal has
arrived in each stage; what the store keeps is compared with what was sent,
sample for sample.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from frozen_app import HandClock
from lsl_player import LABELS, Player, align
from screen_text import screen_text
from textual.pilot import Pilot
from waiting import pilot_wait_until

from gymtui.adapters import lsl_source
from gymtui.app import AppConfig, GymApp
from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl
from gymtui.model import LinkState, PhaseKind
from gymtui.session.clock import ScaledClock
from gymtui.session.engine import Stage
from gymtui.signal.recording import load_text
from gymtui.store import Store
from gymtui.store.samples import StoredBlock
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen

try:
    pylsl = load_pylsl()
except LslUnavailable as exc:  # pragma: no cover - the test extra installs pylsl with liblsl
    pytest.skip(str(exc), allow_module_level=True)

RECORDING = "uci_leg_extension_quads_hams_1khz.txt"
RESOLVE_S = 1.0
"""The app looks for the stream this long (tests keep every resolve short)."""


@pytest.fixture
def recording(shared_data: Path) -> np.ndarray:
    rec = load_text(shared_data / RECORDING)
    assert rec.rate_hz == 1000.0 and rec.samples.shape[1] == len(LABELS)
    return rec.samples.astype(np.float32)


@pytest.fixture
def player(recording: np.ndarray, tmp_path: Path) -> Iterator[Player]:
    p = Player(f"gymtui-test-{tmp_path.name}-{uuid.uuid4().hex[:8]}", recording, 1000.0)
    p.start()
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def short_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lsl_source, "RESOLVE_TIMEOUT_S", RESOLVE_S)


def lsl_app(db: Path, stream: str) -> GymApp:
    """The real app, no --demo, on the LSL stream, its set clock moved by hand."""
    hand = HandClock()
    app = GymApp(Store(db), AppConfig(athlete="Athlete", sensor=f"lsl:{stream}", db_path=db),
                 clock=ScaledClock(base=hand))
    app.hand_clock = hand  # type: ignore[attr-defined]
    return app


def blocks_seen(app: GymApp) -> int:
    frame = app.last_frame
    return frame.blocks_seen if frame is not None else 0


async def run_set_to_rating(pilot: Pilot[int], app: GymApp, *, during: Any = None) -> None:
    """Enter on the home screen, then each stage ended by the hand clock once 20 more blocks have arrived.

    ``during(stage_number)`` runs before each stage ends (the test's chance to drop the stream).
    """
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor_ready.is_set(), 30,
                           "the home screen with the sensor open")
    await pilot.press("enter")
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen) and app.runner is not None, 15,
                           "the set screen")
    hand: HandClock = app.hand_clock  # type: ignore[attr-defined]
    for number in range(100):
        engine = app.runner.engine  # type: ignore[union-attr]
        view = engine.view()
        if view.stage is Stage.PHASE and view.phase is not None and view.phase.kind is PhaseKind.REST:
            break
        if during is not None:
            await during(number)
        seen = blocks_seen(app)
        await pilot_wait_until(pilot, lambda seen=seen: blocks_seen(app) >= seen + 20, 15, "signal in this stage")
        assert view.remaining_s is not None, f"{view.phase} waits for the athlete"
        where = (view.stage, view.index)
        hand.now_s += view.remaining_s + 1e-6
        await pilot_wait_until(pilot, lambda engine=engine, where=where: (engine.view().stage, engine.view().index) != where,
                               15, "the engine past the stage's end", detail=engine.view)
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 15, "the rating screen")


def the_set(db: Path) -> tuple[dict[str, Any], list[StoredBlock]]:
    """The one set stored, and its raw blocks in order."""
    store = Store(db)
    try:
        rows = list(store.db["sets"].rows)
        assert len(rows) == 1, rows
        return rows[0], list(store.raw_blocks(rows[0]["id"]))
    finally:
        store.close()


def muscles_of(row: dict[str, Any]) -> list[str]:
    """The set's channels as stored (a JSON list of channel records)."""
    return [c["muscle"] if isinstance(c, dict) else c for c in json.loads(row["channels"])]


async def test_a_set_on_an_lsl_stream_stores_exactly_what_was_sent(tmp_path: Path, player: Player) -> None:
    db = tmp_path / "gym.db"
    app = lsl_app(db, player.name)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_set_to_rating(pilot, app)
        source = app.source
        assert source is not None and source.info.rate_hz == 1000.0
        assert tuple(c.muscle for c in source.info.channels) == LABELS
        await pilot.press("7")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 15, "the rest after the rating")
        await app.shutdown()
    row, blocks = the_set(db)
    assert row["status"] == "completed" and row["activation_rating"] == 7
    assert muscles_of(row) == list(LABELS)
    assert len(blocks) >= 2
    assert all(b.rate_hz == 1000.0 and b.lost_samples == 0 for b in blocks)
    stored = np.concatenate([b.samples_uv for b in blocks])
    assert stored.dtype == np.float32 and stored.shape[1] == len(LABELS)
    start = align(player, stored)
    # The stored part is one contiguous run of the stream, equal sample for sample.
    np.testing.assert_array_equal(stored, player.stream(start, start + len(stored)))
    # Each block's t0_s follows the sample count at 1 kHz.
    t0 = blocks[0].t0_s
    offsets = np.cumsum([0] + [b.samples_uv.shape[0] for b in blocks[:-1]]) / 1000.0
    np.testing.assert_allclose([b.t0_s - t0 for b in blocks], offsets, atol=1e-6)


async def test_the_stream_drops_mid_set_and_comes_back(tmp_path: Path, player: Player) -> None:
    db = tmp_path / "gym.db"
    app = lsl_app(db, player.name)
    screens: list[str] = []
    states: list[LinkState] = []

    async def drop_at_stage_two(number: int) -> None:
        if number != 2:
            return
        pilot_ = pilot
        seen = blocks_seen(app)
        await pilot_wait_until(pilot_, lambda: blocks_seen(app) >= seen + 20, 15, "signal before the drop")
        player.go_away()
        await pilot_wait_until(pilot_, lambda: "SENSOR LOST" in screen_text(app), 15, "the screen saying the link is lost",
                               detail=lambda: app.sensor.link_health)
        screens.append(screen_text(app))
        states.append(app.sensor.link_health.state)  # type: ignore[union-attr]
        player.come_back()
        await pilot_wait_until(pilot_, lambda: "connected" in screen_text(app) and "SENSOR LOST" not in screen_text(app),
                               20, "the screen saying the link is back", detail=lambda: app.sensor.link_health)
        screens.append(screen_text(app))
        states.append(app.sensor.link_health.state)  # type: ignore[union-attr]

    async with app.run_test(size=(120, 40)) as pilot:
        await run_set_to_rating(pilot, app, during=drop_at_stage_two)
        await pilot.press("6")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 15, "the rest after the rating")
        await app.shutdown()
    assert states == [LinkState.RECONNECTING, LinkState.CONNECTED]
    assert "the set goes on" in screens[0]
    assert "gap(s) marked in the signal" in screens[1]
    row, blocks = the_set(db)
    assert row["status"] == "completed" and row["activation_rating"] == 6
    gaps = [b for b in blocks if b.lost_samples]
    assert len(gaps) == 1, [(b.seq, b.lost_samples) for b in blocks]
    assert len(player.pushed) == 2, player.pushed
    (_, end_before), (back_at, _) = player.pushed
    # Every block is the stream where the samples and the gap before it put it, sample for sample:
    # the gap is exactly the samples that never arrived (never sent while away, or sent before the inlet was back).
    k_first = k = align(player, blocks[0].samples_uv)
    t0 = blocks[0].t0_s
    for block in blocks:
        k += block.lost_samples
        n = block.samples_uv.shape[0]
        np.testing.assert_array_equal(block.samples_uv, player.stream(k, k + n), err_msg=f"block {block.seq}")
        assert block.t0_s - t0 == pytest.approx((k - k_first) / 1000.0, abs=1e-6), f"block {block.seq}'s t0_s"
        assert k + n <= end_before or back_at <= k, f"block {block.seq} holds samples never sent"
        k += n
    assert gaps[0].lost_samples >= back_at - end_before


async def test_a_stream_that_never_appears_is_one_line_and_the_app_stays_up(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = lsl_app(db, f"gymtui-test-nobody-{uuid.uuid4().hex[:8]}")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: app.sensor_ready.is_set(), 15, "the sensor to give up")
        problems = list(app.problems)
        assert len(problems) == 1 and "no LSL stream with name" in problems[0], problems
        assert "\n" not in problems[0] and app.source is None
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 15, "the home screen")
        assert app.sensor.status() == "no sensor: timer and rating only"


@pytest.mark.parametrize(
    ("stream_type", "labels", "fmt", "rate", "said"),
    [
        ("Markers", LABELS, "cf_float32", 1000.0, "of type 'Markers', not EMG"),
        ("EMG", LABELS, "cf_string", 1000.0, "carries text, not numbers"),
        ("EMG", LABELS, "cf_float32", 0.0, "irregular rate"),
    ],
)
async def test_a_stream_that_is_no_emg_is_refused_in_one_line(
    tmp_path: Path, stream_type: str, labels: tuple[str, ...], fmt: str, rate: float, said: str
) -> None:
    name = f"gymtui-test-{tmp_path.name}-{uuid.uuid4().hex[:8]}"
    info = pylsl.StreamInfo(name, stream_type, len(labels), rate, getattr(pylsl, fmt), "")
    outlet = pylsl.StreamOutlet(info)
    db = tmp_path / "gym.db"
    app = lsl_app(db, name)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: app.sensor_ready.is_set(), 15, "the sensor to give up")
        problems = list(app.problems)
        assert len(problems) == 1 and said in problems[0] and name in problems[0], problems
        assert app.source is None
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 15, "the home screen")
    del outlet
