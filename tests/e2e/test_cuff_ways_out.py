"""Every way out of a set deflates the cuff, timed against a clock, with the database write-locked.

The promise (README, devices/CUFF-PROTOCOL.md): the deflate *command* reaches
the cuff within 100 ms of whatever ended the occlusion, and the pressure falls
below 10 mmHg within the cuff's stated valve time (the profile's
``[valve] deflate_s``). Each test below holds the database's write lock from
another process while the way out happens, because nothing on the cuff's path
may wait for the store.

In the app (Pilot): set done, Esc, ``q``, an exception, the exercise cap, the
session cap, the inflated-rest cap, a lost link. In a real process on a pty:
SIGTERM, SIGINT, SIGHUP.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import repo_paths
from cuff_probe import (
    COMMAND_BUDGET_S,
    PROBE_MAIN,
    RESIDUAL_MMHG,
    Noted,
    ProbedCuff,
    commands,
    first_deflate_after,
    first_reading_below,
    parse_probe_file,
)
from terminal import PtyApp

from gymtui.adapters.demo import DemoEmgSource
from gymtui.app import AppConfig, GymApp, label_channels
from gymtui.bfr.events import CuffState
from gymtui.bfr.profile import load_cuff_profile
from gymtui.bfr.rules import BfrLimits, validate_settings
from gymtui.model import Calibration, PhaseKind
from gymtui.session.engine import PhaseStarted, SetFinished
from gymtui.session.exercises import load_library
from gymtui.session.protocol import PhaseSpec, SetProtocol
from gymtui.session.templates import bfr_exercise_for, load_templates, quick_bfr_set
from gymtui.store import Store
from gymtui.ui.controllers.sensors import demo_channels
from gymtui.ui.screens.home import HomeScreen

# These time a 100 ms promise against a clock: they run on their own after the parallel tests
# (see README), so that the suite's other worker is not what they measure.
pytestmark = pytest.mark.solo

TESTS_DIR = repo_paths.TESTS_DIR
REPO_ROOT = TESTS_DIR.parent
VALVE_S = load_cuff_profile().deflate_s
READING_PERIOD_S = 1.0 / load_cuff_profile().rate_hz
SPEED = 1.0
"""Real time: the cuff's watchdog (3 s) and stale-reading alarm (2 s) are wall seconds, as on the
gym floor, so a test machine busy for a moment does not trip them as it would at --speed 4."""
TARGET_MMHG = 90.0  # 50 % of a 180 mmHg arm LOP

LOCK_HOLDER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
print("LOCKED", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def write_locked(db: Path, hold_s: float = 60.0) -> Iterator[None]:
    """Another process holds the database's write lock until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(db), str(hold_s)], stdout=subprocess.PIPE, text=True
    )
    try:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(holder.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(15)
        assert box and box[0].strip() == "LOCKED", "the lock holder did not take the lock within 15 s"
        yield
    finally:
        holder.kill()
        holder.wait(10)


class ProbedApp(GymApp):
    """The real app with the probed simulated cuff."""

    probe: ProbedCuff

    async def _make_cuff(self) -> ProbedCuff:
        self.probe = ProbedCuff(speed=self.config.speed, clock=self.clock)
        return self.probe


def hold_then_rest(work_s: float, rest_s: float = 5.0) -> SetProtocol:
    return SetProtocol(
        "Timed hold",
        "Biceps curl",
        (
            PhaseSpec(PhaseKind.ISOMETRIC, "Hold", work_s, "Hold"),
            PhaseSpec(PhaseKind.REST, "Rest", rest_s, "Rest"),
        ),
        lead_in_s=1,
    )


def make_app(
    db: Path, *, speed: float, protocol: SetProtocol, rest_deflate: bool = True, limits: BfrLimits | None = None
) -> ProbedApp:
    store = Store(db)
    config = AppConfig(
        speed=speed,
        # ``f`` runs the finisher; BFR is turned on for it, and it is an arm exercise under an arm cuff.
        cuff=validate_settings("arm", 180, 50, rest_deflate=rest_deflate, bfr_finisher=True),
        lop_given=True,
        bfr_limits=limits,
    )
    app = ProbedApp(store, config)
    app.quick_protocol = protocol  # ``f`` runs it
    return app


async def wait_until(pilot: object, predicate: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        await pilot.pause(0.01)  # type: ignore[attr-defined]


async def start_holding(pilot: object, app: ProbedApp) -> None:
    """From the home screen: the cuff connected, ``f``, then the cuff up at its target."""
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, HomeScreen)
        and app.cuff_rig is not None
        and app.cuff_rig.supervisor.state is CuffState.DEFLATED,
        "the cuff to connect",
    )
    await pilot.press("f")  # type: ignore[attr-defined]
    await wait_until(
        pilot,
        lambda: any(n.kind == "reading" and n.value >= TARGET_MMHG - 5 for n in app.probe.notes),
        "the cuff to reach its target",
    )


def wall_of(app: GymApp, clock_s: float) -> float:
    """The monotonic wall instant at which the app's (scaled) clock read ``clock_s``."""
    return time.monotonic() - (app.clock() - clock_s) / app.clock.speed


async def cap_due_wall_s(app: GymApp, which: str) -> float:
    """When the occlusion cap falls due, projected from the supervisor's own count (the cuff is up),
    read on the cuff's loop together with the clock it counts by."""
    clock_s, view = await app.cuff_rig.fresh_view()
    assert view.continuous_s > 0, "the cuff is not occluding"
    left_s = view.exercise_cap_s - view.exercise_s if which == "exercise" else view.session_cap_s - view.session_s
    assert left_s > 1.0, f"too little of the {which} cap left to time it ({left_s:.2f} s)"
    return wall_of(app, clock_s + left_s)


def spy_on_engine_events(app: GymApp) -> list[tuple[float, object]]:
    """Every engine event the app dispatches, with the wall instant it was due."""
    seen: list[tuple[float, object]] = []
    dispatch = app.sets.dispatch

    def spy(events: list[object], **kwargs: object) -> None:
        seen.extend((wall_of(app, getattr(e, "at_s", app.clock())), e) for e in events)
        dispatch(events, **kwargs)  # type: ignore[arg-type]

    app.sets.dispatch = spy  # type: ignore[method-assign]
    return seen


def assert_deflated_in_time(
    notes: list[Noted],
    trigger_wall_s: float,
    *,
    delivered: bool = True,
    budget_s: float = COMMAND_BUDGET_S,
    projected: bool = False,
) -> Noted:
    """The first deflate after the trigger reached the cuff within the budget.

    ``projected``: the trigger is a projection (when a cap falls due, from the
    supervisor's count), so a deflate up to half the budget before it is its
    deflate too, not a miss; the latency is still measured from the trigger.
    """
    deflate = first_deflate_after(notes, trigger_wall_s - (budget_s / 2 if projected else 0.0))
    latency_s = deflate.wall_s - trigger_wall_s
    assert latency_s < budget_s, (
        f"the deflate reached the cuff {latency_s * 1000:.0f} ms after the trigger ({deflate.reason!r})"
    )
    assert deflate.delivered is delivered, commands(notes)
    valve = f", valve {deflate.valve_s:.2f} s to < 10 mmHg" if delivered else " (link down: the cuff's own rule)"
    print(f"way out {deflate.reason!r}: deflate command {latency_s * 1000:.1f} ms after the trigger{valve}")
    if delivered:
        assert deflate.valve_s <= VALVE_S, f"the valve needs {deflate.valve_s:.2f} s to bring the cuff below 10 mmHg"
    return deflate


def deflate_noted(app: ProbedApp, after_wall_s: float) -> Callable[[], bool]:
    """A deflate (tried or delivered) reached the probed cuff after ``after_wall_s``."""
    return lambda: any(n.kind == "deflate" and n.wall_s > after_wall_s for n in app.probe.notes)


async def wait_until_down(pilot: object, app: ProbedApp, deflate: Noted) -> None:
    """The cuff's readings go below 10 mmHg after the deflate (that it went down; the valve time is above)."""
    await wait_until(
        pilot,
        lambda: any(n.kind == "reading" and n.clock_s >= deflate.clock_s and n.value < RESIDUAL_MMHG for n in app.probe.notes),
        "a reading below 10 mmHg",
        timeout_s=10,
    )


# -- in the app ------------------------------------------------------------------------------


async def test_esc_mid_hold_deflates_within_100ms_with_the_database_locked(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = make_app(db, speed=SPEED, protocol=hold_then_rest(60.0))
    async with app.run_test(size=(120, 45)) as pilot:
        await start_holding(pilot, app)
        with write_locked(db):
            trigger = time.monotonic()
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.cuff_rig.supervisor.state is CuffState.DEFLATED, "the cuff down")
            deflate = assert_deflated_in_time(app.probe.notes, trigger)
            await wait_until_down(pilot, app, deflate)
        await app.shutdown()
    assert deflate.reason == "Esc: set aborted"


async def test_quit_mid_hold_deflates_within_100ms_with_the_database_locked(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = make_app(db, speed=SPEED, protocol=hold_then_rest(60.0))
    async with app.run_test(size=(120, 45)) as pilot:
        await start_holding(pilot, app)
        with write_locked(db):
            await pilot.press("q")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", "the quit question")
            trigger = time.monotonic()
            await pilot.press("y")
            await wait_until(pilot, deflate_noted(app, trigger),
                             "the deflate")
            # The quit waits until the cuff is measured down before it disconnects.
            await wait_until(pilot, lambda: app.cuff_rig is None, "the cuff to be stopped", timeout_s=20)
            deflate = assert_deflated_in_time(app.probe.notes, trigger)
    first_reading_below(app.probe.notes, deflate.clock_s)  # measured down before the app let go of it
    assert deflate.reason.startswith("quit")


async def test_an_exception_in_the_app_deflates_within_100ms_with_the_database_locked(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = make_app(db, speed=SPEED, protocol=hold_then_rest(60.0))

    def explode() -> None:
        raise RuntimeError("a widget handler broke mid-set")

    with pytest.raises(RuntimeError, match="a widget handler broke mid-set"):
        async with app.run_test(size=(120, 45)) as pilot:
            await start_holding(pilot, app)
            with write_locked(db):
                trigger = time.monotonic()
                app.call_later(explode)
                await wait_until(pilot, deflate_noted(app, trigger),
                                 "the deflate")
                # Let the cuff empty before the app finishes leaving (the readings go on meanwhile).
                await wait_until(pilot, lambda: app.probe.true_pressure_mmhg() < RESIDUAL_MMHG, "the cuff down")
                await pilot.pause(2 * READING_PERIOD_S / app.clock.speed)
    deflate = assert_deflated_in_time(app.probe.notes, trigger)
    first_reading_below(app.probe.notes, deflate.clock_s)
    assert deflate.reason.startswith("exception: RuntimeError")


async def test_the_set_ending_deflates_within_100ms_of_its_end_with_the_database_locked(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    # The cuff holds through the rest (no rest-deflate): the set's end is what brings it down.
    app = make_app(db, speed=SPEED, protocol=hold_then_rest(6.0, rest_s=4.0), rest_deflate=False)
    async with app.run_test(size=(120, 45)) as pilot:
        seen = spy_on_engine_events(app)
        await start_holding(pilot, app)
        with write_locked(db):
            await wait_until(pilot, lambda: any(isinstance(e, SetFinished) for _, e in seen), "the set to finish")
            await wait_until(pilot, lambda: app.cuff_rig.supervisor.state is CuffState.DEFLATED, "the cuff down")
            trigger = next(wall for wall, e in seen if isinstance(e, SetFinished))
            deflate = assert_deflated_in_time(app.probe.notes, trigger)
            await wait_until_down(pilot, app, deflate)
        await app.shutdown()
    assert deflate.reason == "set done"


async def test_a_lost_link_commands_a_deflate_within_100ms_and_the_cuff_releases_itself(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = make_app(db, speed=SPEED, protocol=hold_then_rest(60.0))
    async with app.run_test(size=(120, 45)) as pilot:
        await start_holding(pilot, app)
        with write_locked(db):
            trigger = time.monotonic()
            app.probe.simulate_link_loss()
            valve_s = app.probe.time_to_residual_s()  # the cuff's own link-loss rule opened its valve
            await wait_until(pilot, deflate_noted(app, trigger),
                             "the deflate attempt")
            # The link is gone, so the command cannot be delivered: the cuff's own link-loss
            # rule opens its valve, and the supervisor raises the release-by-hand alarm.
            assert_deflated_in_time(app.probe.notes, trigger, delivered=False)
            assert valve_s <= VALVE_S
            await wait_until(pilot, lambda: app.probe.true_pressure_mmhg() < RESIDUAL_MMHG, "the cuff down", 10)
            assert "RELEASE THE CUFF BY HAND" in app.cuff_rig.view().message
        await app.shutdown()


async def test_the_exercise_cap_deflates_within_100ms_of_reaching_it(tmp_path: Path) -> None:
    # A cap shortened to 6 s (limits may only be made stricter) so the real app reaches
    # it in seconds; the ten-minute default is the supervisor's, tested on a fake clock.
    db = tmp_path / "gym.db"
    speed, cap_s = SPEED, 6.0
    app = make_app(db, speed=speed, protocol=hold_then_rest(60.0), limits=BfrLimits(exercise_cap_s=cap_s))
    async with app.run_test(size=(120, 45)) as pilot:
        await start_holding(pilot, app)
        trigger = await cap_due_wall_s(app, "exercise")
        with write_locked(db):
            await wait_until(pilot, deflate_noted(app, trigger - 1),
                             "the cap", 30)
            deflate = assert_deflated_in_time(app.probe.notes, trigger, projected=True)
            await wait_until_down(pilot, app, deflate)
        await app.shutdown()
    assert deflate.reason.startswith("occlusion limit: 0:06 on Biceps curl"), deflate.reason


async def test_a_frozen_screen_does_not_delay_the_exercise_cap(tmp_path: Path) -> None:
    """The app's own loop stalls for 0.8 s across the moment the cap falls due (a slow frame on a Pi,
    two busy cores): the cuff's loop, on its own thread, still deflates on time."""
    db = tmp_path / "gym.db"
    app = make_app(db, speed=SPEED, protocol=hold_then_rest(60.0), limits=BfrLimits(exercise_cap_s=6.0))
    async with app.run_test(size=(120, 45)) as pilot:
        await start_holding(pilot, app)
        trigger = await cap_due_wall_s(app, "exercise")
        await asyncio.sleep(max(0.0, trigger - 0.3 - time.monotonic()))
        frozen_from = time.monotonic()
        time.sleep(0.8)  # noqa: ASYNC251 - deliberately blocks the app loop: no frame, key or timer runs
        frozen_until = time.monotonic()
        assert frozen_from < trigger < frozen_until, "the stall did not cover the cap"
        deflate = assert_deflated_in_time(app.probe.notes, trigger, projected=True)
        assert deflate.wall_s < frozen_until, "the deflate waited for the app's loop"
        await wait_until_down(pilot, app, deflate)
        await app.shutdown()
    assert deflate.reason.startswith("occlusion limit"), deflate.reason


async def test_the_session_cap_deflates_within_100ms_counting_earlier_occlusion(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    earlier = Store(db)
    now = dt.datetime.now().astimezone()
    # 14 min 54 s of arm occlusion an hour ago: the 15-minute session cap leaves 6 s.
    earlier.log_cuff_event("inflate", target_mmhg=90, at=(now - dt.timedelta(hours=1)).isoformat())
    earlier.log_cuff_event("deflate", target_mmhg=0, at=(now - dt.timedelta(hours=1) + dt.timedelta(seconds=894)).isoformat())
    earlier.close()
    speed = SPEED
    app = make_app(db, speed=speed, protocol=hold_then_rest(120.0))
    async with app.run_test(size=(120, 45)) as pilot:
        await start_holding(pilot, app)
        trigger = await cap_due_wall_s(app, "session")
        with write_locked(db):
            await wait_until(pilot, deflate_noted(app, trigger - 1),
                             "the cap", 30)
            deflate = assert_deflated_in_time(app.probe.notes, trigger, projected=True)
            await wait_until_down(pilot, app, deflate)
        await app.shutdown()
    assert "session" in deflate.reason, deflate.reason


async def test_an_inflated_rest_cap_deflates_within_100ms_of_reaching_it(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    speed, rest_cap_s = SPEED, 4.0
    app = make_app(db, speed=speed, protocol=hold_then_rest(4.0, rest_s=30.0), rest_deflate=False,
                   limits=BfrLimits(inflated_rest_max_s=rest_cap_s))
    async with app.run_test(size=(120, 45)) as pilot:
        seen = spy_on_engine_events(app)
        await start_holding(pilot, app)
        with write_locked(db):
            await wait_until(
                pilot,
                lambda: any(isinstance(e, PhaseStarted) and e.phase.kind is PhaseKind.REST for _, e in seen),
                "the rest",
            )
            rest_wall = next(w for w, e in seen if isinstance(e, PhaseStarted) and e.phase.kind is PhaseKind.REST)
            await wait_until(pilot, deflate_noted(app, rest_wall),
                             "the rest cap", 30)
            trigger = rest_wall + rest_cap_s / speed
            deflate = assert_deflated_in_time(app.probe.notes, trigger, projected=True)
            await wait_until_down(pilot, app, deflate)
        await app.shutdown()
    assert "rest" in deflate.reason, deflate.reason


# -- signals to a real process ------------------------------------------------------------------


def with_an_arm_bfr_mvc(db: Path, channels: int = 1) -> None:
    """A database where the demo athlete calibrated the demo sensor on the arm's BFR exercise before.

    So ``B`` goes straight to the bouts, the cuff up, without the 3 s MVC
    phase and its lead-in: what these tests time is the way out, not the way in.
    """
    library = load_library()
    exercise = bfr_exercise_for("arm", load_templates(library)[0], library)
    assert exercise is not None, "the built-in templates name an arm BFR exercise"
    sensor = DemoEmgSource(demo_channels(channels))
    muscles = tuple(c.muscle for c in label_channels(sensor.info.channels, quick_bfr_set(exercise).protocol))
    store = Store(db)
    try:
        store.save_mvc(store.ensure_athlete("Demo athlete"), Calibration((420.0,) * channels, 0.1, sensor.info.name, muscles))
    finally:
        store.close()


def probed_terminal(args: list[str], probe: Path) -> PtyApp:
    """The real command line on a pty, its simulated cuff probed into ``probe``."""
    env = {**os.environ, "GYMTUI_CUFF_PROBE": str(probe), "GYMTUI_TESTS_DIR": str(TESTS_DIR)}
    return PtyApp(args, env=env, code=PROBE_MAIN)



@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_deflates_within_100ms_with_the_database_locked_and_gives_the_terminal_back(
    tmp_path: Path, signum: signal.Signals
) -> None:
    db, probe = tmp_path / "gym.db", tmp_path / "probe.tsv"
    probe.touch()
    with_an_arm_bfr_mvc(db)
    speed = SPEED
    app = probed_terminal(
        ["--demo", "--channels", "1", "--cuff", "arm", "--lop", "180", "--speed", str(speed), "--db", str(db)], probe
    )
    try:
        def notes() -> list[Noted]:
            return parse_probe_file(probe)

        app.wait_for(lambda: any(n.reason == "cuff connected: start deflated" for n in notes()), 60, "the cuff")
        app.wait_for(lambda: b"Phase 4 finisher" in app.output, 30, "the home screen")
        app.press(b"B")  # the quick BFR set: the cuff goes up
        app.wait_for(lambda: any(n.kind == "reading" and n.value >= TARGET_MMHG - 5 for n in notes()), 60,
                     "the cuff at its target")
        with write_locked(db):
            trigger = time.monotonic()
            screen_before = len(app.output)
            os.kill(app.proc.pid, signum)
            status = app.wait_exit(30)
        notes_after = parse_probe_file(probe)
        deflate = assert_deflated_in_time(notes_after, trigger)
        first_reading_below(notes_after, deflate.clock_s)  # the exit waited until the cuff read down
        after = bytes(app.output[screen_before:])
    finally:
        app.close()
    assert deflate.reason == f"signal {signum.name}"
    assert status == 128 + signum
    assert b"\x1b[?1049l" in after, "the app left the alternate screen in place"


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_without_a_cuff_still_gives_the_terminal_back(tmp_path: Path, signum: signal.Signals) -> None:
    db, probe = tmp_path / "gym.db", tmp_path / "probe.tsv"
    app = probed_terminal(["--demo", "--channels", "1", "--db", str(db)], probe)
    try:
        app.wait_for(lambda: b"Phase 4 finisher" in app.output, 60, "the home screen")
        before = len(app.output)
        app.proc.send_signal(signum)
        status = app.wait_exit(30)
        after = bytes(app.output[before:])
    finally:
        app.close()
    assert status == 128 + signum
    assert b"\x1b[?1049l" in after, "the app left the alternate screen in place"
