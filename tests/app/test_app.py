"""The real app, driven through Pilot, on a real SQLite file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from keys import press
from textual.color import Color
from waiting import describe, pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.session.engine import Cue, CueKind, Stage
from gymtui.store import Store
from gymtui.ui.screens.confirm import ConfirmScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.activation_bar import ActivationBar
from gymtui.ui.widgets.countdown import BigCountdown

SPEED = 8.0
"""Fast enough for a whole set in seconds; slow enough that a set outlives a key press.

Keys go through :func:`keys.press`, which does not wait for an idle CPU (a live
set never is), and each test waits for what the key causes.
"""

SIGNAL_SPEED = 4.0
"""For tests that judge the recorded signal itself: the motor-unit simulator renders
4 s of EMG per wall second with room to spare beside two busy cores; at ×8 it
falls behind there and drops samples (marked gaps), which blurs a fatigue slope."""


async def wait_until(pilot, predicate, timeout_s: float = 30.0, step_s: float = 0.05, what: str = "") -> None:
    """:func:`waiting.pilot_wait_until`, naming the awaited condition after its source line by default."""
    await pilot_wait_until(pilot, predicate, timeout_s, what or describe(predicate), poll_s=step_s)


def open_app(path: Path, speed: float = SPEED, demo: bool = True) -> tuple[GymApp, Store]:
    store = Store(path)
    return GymApp(store, AppConfig(demo=demo, speed=speed, athlete="Demo athlete")), store


async def test_a_whole_demo_set_rated_8_is_a_completed_row_with_its_phases(tmp_path: Path) -> None:
    app, store = open_app(tmp_path / "gym.db", speed=SIGNAL_SPEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "enter")
        countdowns: set[str] = set()
        bar_values: set[int] = set()

        def watch() -> bool:
            if isinstance(app.screen, SetScreen) and app.screen.is_mounted:  # pushed, not yet composed: next poll
                countdowns.add(app.screen.query_one(BigCountdown).value)
                bar = app.screen.query_one("#bar-0", ActivationBar)
                if bar.pct is not None:
                    bar_values.add(round(bar.pct))
            return isinstance(app.screen, RatingScreen)

        await wait_until(pilot, watch, step_s=0.02)
        assert {"3", "2", "1"} <= countdowns, "the countdown should visibly move"
        assert len(bar_values) >= 5, "the bars should visibly move"
        # The athlete takes more rest ("+"), so that the rating and the Space below, each
        # a Pilot press of a second or more on a loaded machine, land inside it.
        app.sets.adjust_rest(120)
        await press(pilot, "8")
        await wait_until(pilot, lambda: isinstance(app.screen, SetScreen))  # the rest counts down after the rating
        assert app.runner.engine.view().phase.kind == "rest"
        assert app.screen.query_one(BigCountdown).value not in ("--", "0")
        await press(pilot, "space")  # skip the rest
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await app.shutdown()

    sets = list(store.db["sets"].rows)
    assert len(sets) == 1
    row = sets[0]
    # Week 1 day 1 of the guide's plan starts with glute-bridge activation holds.
    assert (row["status"], row["activation_rating"], row["exercise"]) == ("completed", 8, "Glute bridge, 3 s hold")
    assert row["peak_pct_mvc"] > row["mean_pct_mvc"] > 0
    assert row["calibration_id"] is not None and row["session_id"] is not None
    assert row["workflow_phase"] == "activation" and row["reps"] == 6
    phases = store.phases_of(row["id"])
    assert [p["kind"] for p in phases] == ["calibration"] + ["activation"] * 6 + ["rest"]
    assert [p["duration_s"] for p in phases[:7]] == pytest.approx([3.0] * 7)
    assert phases[-1]["ended_by"] == "athlete"
    assert all(p["peak_pct_mvc"] > 0 for p in phases[1:7])
    signal, rate = store.signal_of(row["id"])
    assert rate == 1000.0 and signal.shape[1] == 4 and signal.shape[0] > 20_000
    assert json.loads(row["channels"])[0]["muscle"] == "Gluteus maximus"


async def test_f_runs_the_phase_4_finisher_hold_eccentric_and_15s_isometric(tmp_path: Path) -> None:
    app, store = open_app(tmp_path / "gym.db", speed=SIGNAL_SPEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "f")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await wait_until(pilot, lambda: app.rating_screen is not None and app.rating_screen.summary is not None)
        summary = app.rating_screen.summary
        await press(pilot, "9")
        await wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen))
        await app.shutdown()
    [row] = store.db["sets"].rows
    assert (row["exercise"], row["status"], row["activation_rating"]) == ("Lying leg curl", "completed", 9)
    phases = store.phases_of(row["id"])
    assert [(p["kind"], p["duration_s"]) for p in phases[:4]] == [
        ("calibration", 3.0), ("activation", 3.0), ("eccentric", 5.0), ("isometric", 15.0)]
    iso = json.loads(phases[3]["metrics"])
    assert iso["mf_slope_hz_per_s"] < 0, "the simulated athlete fatigues in a 15 s hold"
    assert summary["target_share"] > 0.5 and summary["mf_slope_hz_per_s"] is not None
    assert row["target_share"] == pytest.approx(summary["target_share"])


async def test_calibration_runs_only_the_first_time_for_the_same_muscles(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    for expected_first in ("calibration", "activation"):
        # The MVC must see the signal to be stored: at the signal tests' speed a loaded
        # machine keeps up with the demo sensor through the 3 s calibration.
        app, store = open_app(path, speed=SIGNAL_SPEED)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda app=app: isinstance(app.screen, HomeScreen))
            await press(pilot, "f")
            await wait_until(pilot, lambda app=app: app.runner is not None and app.runner.engine.running)
            assert app.runner.protocol.phases[0].kind == expected_first
            await wait_until(pilot, lambda app=app: isinstance(app.screen, RatingScreen))
            await press(pilot, "escape")  # skip the rating
            await wait_until(pilot, lambda app=app: not isinstance(app.screen, RatingScreen))
            await app.shutdown()
        store.close()
    store = Store(path)
    assert store.conn.execute("SELECT count(*) FROM calibrations WHERE kind = 'mvc'").fetchone()[0] == 1
    assert [r[0] for r in store.conn.execute("SELECT activation_rating FROM sets")] == [None, None]


async def test_escape_aborts_the_set_and_keeps_its_finished_phases(tmp_path: Path) -> None:
    # ×2: the 5 s eccentric lasts 2.5 s of wall time, long enough for a poll to see it
    # and a key press to land in it beside two busy cores (at ×8 it is 0.6 s).
    app, store = open_app(tmp_path / "gym.db", speed=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "f")
        await wait_until(pilot, lambda: app.runner is not None and app.runner.engine.running
                         and app.runner.engine.current_phase.kind == "eccentric"
                         and app.runner.engine.stage is Stage.PHASE)
        await press(pilot, "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await app.shutdown()
    [row] = store.db["sets"].rows
    assert row["status"] == "aborted"
    phases = store.phases_of(row["id"])
    assert [p["kind"] for p in phases] == ["calibration", "activation", "eccentric"]
    assert phases[-1]["ended_by"] == "abort"
    assert app.cue_log[-1].kind is CueKind.ABORT


async def test_q_during_a_set_asks_first(tmp_path: Path) -> None:
    app, store = open_app(tmp_path / "gym.db", speed=2)  # the set must outlast four key presses
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SetScreen))
        await press(pilot, "q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await press(pilot, "n")
        await wait_until(pilot, lambda: isinstance(app.screen, SetScreen))
        assert app.runner.engine.running
        await press(pilot, "q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await press(pilot, "y")
        await wait_until(pilot, lambda: not app.is_running)
    [row] = store.db["sets"].rows
    assert row["status"] == "aborted"


async def test_q_at_home_quits_without_asking(tmp_path: Path) -> None:
    app, _ = open_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_an_interrupted_set_is_offered_for_rating_on_start(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    dead = Store(path)
    athlete = dead.ensure_athlete("Demo athlete")
    set_id = dead.start_set(athlete, "Lying leg curl", "Phase 4 finisher")
    dead.record_phase(set_id, 0, "activation", "Activation hold", planned_s=3, started_at="t", duration_s=3, ended_by="time")
    dead.conn.close()

    app, store = open_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None) is not None)
        assert [s.id for s in app.screen.info.interrupted] == [set_id]
        await press(pilot, "r")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await press(pilot, "0")  # 0 means 10
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and not app.screen.info.interrupted)
        await app.shutdown()
    row = store.get_set(set_id)
    assert (row["status"], row["activation_rating"]) == ("interrupted", 10)


async def test_an_interrupted_set_can_be_discarded(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    dead = Store(path)
    set_id = dead.start_set(dead.ensure_athlete("Demo athlete"), "Lying leg curl", "p")
    dead.conn.close()
    app, store = open_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None))
        await press(pilot, "d")
        await wait_until(pilot, lambda: not app.screen.info.interrupted)
        await app.shutdown()
    assert store.get_set(set_id)["status"] == "discarded"


async def test_every_phase_change_rings_and_counts_3_2_1(tmp_path: Path) -> None:
    app, _ = open_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "f")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await app.shutdown()
    kinds = [c.kind for c in app.cue_log]
    assert kinds.count(CueKind.GO) == 4  # calibration, activation, eccentric, isometric
    counts = [c.text for c in app.cue_log if c.kind is CueKind.COUNT]
    assert counts[:3] == ["MVC calibration in 3", "MVC calibration in 2", "MVC calibration in 1"]
    assert counts[3:6] == ["Activation hold in 3", "Activation hold in 2", "Activation hold in 1"]
    assert all(c.bell for c in app.cue_log)
    assert all(c.flash for c in app.cue_log if c.kind is CueKind.GO)


async def test_frames_coalesce_when_the_screen_is_slow(tmp_path: Path) -> None:
    app, _ = open_app(tmp_path / "gym.db", speed=1)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.signal is not None and app.frames_shown > 5)
        posted_before, shown_before = app.signal.frames_posted, app.frames_shown
        time.sleep(0.6)  # noqa: ASYNC251 - not a wait: it blocks the UI thread on purpose while the worker keeps posting
        posted = app.signal.frames_posted - posted_before
        newest_t_s = app.signal._last_t_s  # the newest frame posted while the UI was stuck
        await wait_until(pilot, lambda: app.last_frame.t_s >= newest_t_s, 10, step_s=0.02,
                         what="the UI to catch up with the frames posted while it was stuck")
        shown = app.frames_shown - shown_before
        await app.shutdown()
    assert posted >= 12
    assert shown <= posted / 3, f"{shown} of {posted} frames were handled one by one"


async def test_the_set_screen_fits_80x24(tmp_path: Path) -> None:
    app, _ = open_app(tmp_path / "gym.db", speed=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "enter")
        await wait_until(pilot, lambda: app.runner is not None and app.runner.engine.stage is Stage.PHASE
                         and app.set_screen is not None and app.set_screen.is_mounted)
        screen = app.set_screen
        countdown = screen.query_one(BigCountdown)
        assert countdown.scale >= 1
        for bar in screen.query(ActivationBar):
            assert bar.region.height >= 1 and bar.region.bottom <= 23
        await app.shutdown()


async def test_a_big_terminal_gets_bigger_numerals(tmp_path: Path) -> None:
    scales = {}
    for size in ((80, 24), (200, 60)):
        app, _ = open_app(tmp_path / f"gym{size[0]}.db", speed=2)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda app=app: isinstance(app.screen, HomeScreen))
            await press(pilot, "enter")
            # The same one-digit count on both terminals (the scale fits the number's width).
            await wait_until(pilot, lambda app=app: app.set_screen is not None and app.set_screen.is_mounted
                             and len(app.set_screen.query_one(BigCountdown).value) == 1
                             and app.set_screen.query_one(BigCountdown).content_size.area > 0,
                             what="the set screen laid out with a one-digit countdown")
            scales[size] = app.set_screen.query_one(BigCountdown).scale
            await app.shutdown()
    assert scales[(200, 60)] >= 2 * scales[(80, 24)]


async def test_without_a_sensor_the_set_runs_as_a_timer(tmp_path: Path) -> None:
    app, store = open_app(tmp_path / "gym.db", demo=False)
    app.clock.speed = SPEED
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "f")
        await wait_until(pilot, lambda: app.runner is not None and app.runner.engine.running)
        assert app.runner.protocol.phases[0].kind == "activation"  # no calibration without a sensor
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await press(pilot, "5")
        await wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen))
        await app.shutdown()
    [row] = store.db["sets"].rows
    assert (row["status"], row["activation_rating"], row["peak_pct_mvc"]) == ("completed", 5, None)


async def test_the_medical_disclaimer_shows_until_the_first_set_then_never_again(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    shown = []
    for _ in range(2):
        app, store = open_app(path, demo=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda app=app: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None))
            banner = app.screen.query_one("#home-disclaimer")
            shown.append(banner.display and "not medical advice" in str(banner.render()))
            await press(pilot, "f")
            await wait_until(pilot, lambda app=app: isinstance(app.screen, SetScreen))
            await press(pilot, "escape")
            await wait_until(pilot, lambda app=app: isinstance(app.screen, HomeScreen))
            await app.shutdown()
        store.close()
    assert shown == [True, False]


async def test_an_emulated_myo_drops_its_link_mid_set_and_the_set_completes_with_the_gap_recorded(tmp_path: Path) -> None:
    pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")
    store = Store(tmp_path / "gym.db")
    # ×2: the link must be back while the set still records (the rest of the eccentric and the 15 s
    # isometric, 9 wall seconds), so the gap lands in a stored block; at ×4 a busy machine's
    # reconnect could outlast the set's last work phase and leave no gap to find.
    app = GymApp(store, AppConfig(demo=True, speed=2.0, athlete="Demo athlete", emulate="myo"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None)
        await press(pilot, "f")
        await wait_until(pilot, lambda: app.runner is not None and app.runner.engine.running
                         and app.runner.engine.current_phase.kind == "eccentric")
        # The ctrl+d action itself (pilot.press would wait ~2 s for an idle app, longer than the warning stays up).
        await app.set_screen.run_action("drop_link")
        await wait_until(pilot, lambda: "RECONNECTING" in str(app.set_screen.query_one("#set-status").render()))
        assert app.set_screen.has_class("-sensor-lost")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await press(pilot, "6")
        await wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen))
        await app.shutdown()
    [row] = store.db["sets"].rows
    assert (row["status"], row["activation_rating"]) == ("completed", 6)
    assert json.loads(row["pipeline"])["rate_hz"] == 200.0
    lost = store.conn.execute("SELECT sum(lost_samples) FROM signal_blocks").fetchone()[0]
    assert lost > 0, "the gap is marked in the stored signal"


async def test_a_go_cue_flashes_the_screen_in_the_theme_colour_for_a_quarter_second(tmp_path: Path) -> None:
    app, _ = open_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        screen = app.screen
        plain = screen.styles.background
        flash = Color.parse(app.get_css_variables()["flash-background"])
        app.cue(Cue(app.clock(), CueKind.GO, "Go", flash=True))
        assert screen.styles.background == flash
        await wait_until(pilot, lambda: screen.styles.background == plain)
        assert not screen.has_class("-flash")  # no class on the screen: nothing below it is restyled
        await app.shutdown()
