"""The cuff inside the real app: it tracks the target, rests at zero, and every way out deflates."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import repo_paths
from waiting import pilot_wait_until, wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.bfr.rules import validate_settings
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen

REPO_ROOT = repo_paths.REPO_ROOT

# Whole sets in real time (see SPEED): up to a minute each beside busy cores, and
# their own waits add up past the suite's 120 s, so they fail with a message first.
pytestmark = pytest.mark.timeout(300)


def cuff_events(db: Path) -> list[tuple]:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return []  # not created yet
    try:
        return conn.execute("SELECT at, kind, pressure_mmhg, target_mmhg, reason FROM cuff_events ORDER BY id").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()


SPEED = 1.0
"""Real time. The supervisor calls a cuff silent after 2 s of set time without a reading and a
pressure off its target by 15 mmHg for 1 s a fault: at ×4 those are 0.5 s and 0.25 s of wall
time, which a machine with every core busy can take from the cuff's thread. On the gym floor
they are wall seconds; so they are here."""


def app_with_cuff(db: Path, speed: float = SPEED) -> tuple[GymApp, Store]:
    store = Store(db)
    config = AppConfig(demo=True, speed=speed, athlete="Demo athlete",
                       cuff=validate_settings("arm", 180, 50), lop_given=True)
    return GymApp(store, config), store


async def cuff_up_in_the_first_bout(pilot: Any, app: GymApp) -> None:
    """Home with the cuff connected, ``B`` (the quick BFR set), and the cuff above 60 mmHg in its first bout."""
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None,
                           30, "the home screen with the cuff connected")
    await pilot.press("B")
    await pilot_wait_until(pilot, lambda: (app.cuff_rig.view().pressure_mmhg or 0.0) > 60, 60,
                           "the cuff above 60 mmHg in the reps", detail=lambda: app.cuff_rig.view())


def in_phase(app: GymApp, kind: str) -> bool:
    engine = app.runner.engine if app.runner else None
    return bool(engine and engine.running and engine.stage is Stage.PHASE and engine.current_phase.kind == kind)


async def test_the_cuff_tracks_the_target_in_the_set_and_is_down_in_the_rest(tmp_path: Path) -> None:
    app, store = app_with_cuff(tmp_path / "gym.db")
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None,
                               30, "the home screen with the cuff connected")
        await pilot.press("B")  # the quick BFR set: 30 reps first
        await pilot_wait_until(pilot, lambda: in_phase(app, "reps"), 60, "the first bout of reps")
        view = app.cuff_rig.view()
        assert view.target_mmhg == pytest.approx(90.0)  # 50 % of 180
        # The cuff inflates from the first work phase on: it is at its target well inside the bout.
        await pilot_wait_until(pilot, lambda: abs((app.cuff_rig.view().pressure_mmhg or 0.0) - 90.0) <= 15.0,
                               10, "the cuff within 15 mmHg of its 90 mmHg target", poll_s=0.05,
                               detail=lambda: app.cuff_rig.view())
        assert in_phase(app, "reps")
        panel_text = str(app.set_screen.query_one("#cuff-panel").query_one("#cuff-readout").render())
        assert "50 %" in panel_text or "LOP" in panel_text
        await pilot_wait_until(pilot, lambda: app.cuff_rig.view().state == "holding", 10, "the cuff holding its target",
                               detail=lambda: app.cuff_rig.view())
        app.sets.advance()  # Space: the 30 reps are done, the short rest begins
        await pilot_wait_until(pilot, lambda: in_phase(app, "rest"), 30, "the rest after the first bout")
        await pilot_wait_until(pilot, lambda: (app.cuff_rig.view().pressure_mmhg or 0.0) < 5.0, 30,
                               "the cuff to deflate for the rest", detail=lambda: app.cuff_rig.view())
        assert in_phase(app, "rest")
        await pilot.press("escape")
        await app.shutdown()
    kinds = [e[1] for e in cuff_events(tmp_path / "gym.db")]
    assert "inflate" in kinds and "hold" in kinds
    assert kinds[-1] == "deflate"
    lop = store.latest_lop(store.ensure_athlete("Demo athlete"), "arm")
    assert lop["lop_mmhg"] == 180.0


async def test_escape_mid_set_deflates(tmp_path: Path) -> None:
    app, _ = app_with_cuff(tmp_path / "gym.db")
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None,
                               30, "the home screen with the cuff connected")
        await pilot.press("B")
        await pilot_wait_until(pilot, lambda: in_phase(app, "reps"), 60, "the first bout of reps")
        await pilot_wait_until(pilot, lambda: (app.cuff_rig.view().pressure_mmhg or 0.0) > 60, 10,
                               "the cuff above 60 mmHg in the reps", detail=lambda: app.cuff_rig.view())
        assert in_phase(app, "reps")  # Esc lands in the bout
        await pilot.press("escape")
        await pilot_wait_until(pilot, lambda: app.cuff_rig.view().pressure_mmhg < 10.0, 10,
                               "the cuff below 10 mmHg after Esc", detail=lambda: app.cuff_rig.view())
        await app.shutdown()
    events = cuff_events(tmp_path / "gym.db")
    deflates = [e for e in events if e[1] == "deflate" and "abort" in e[4]]
    assert deflates, events


async def test_the_unmount_during_a_quit_waits_for_the_quit_to_deflate_and_save(tmp_path: Path) -> None:
    """``q`` starts the way out; the app's unmount asks for one too while the cuff is still going down.

    The second call must wait for that same shutdown to end (the cuff
    measured down and closed, the set saved as aborted), not run a half of
    its own and let the app close under the first.
    """
    db = tmp_path / "gym.db"
    app, _ = app_with_cuff(db)
    async with app.run_test(size=(120, 45)) as pilot:
        await cuff_up_in_the_first_bout(pilot, app)
        quit_task = asyncio.create_task(app.shutdown("quit: set aborted"))
        deadline = time.monotonic() + 10
        while app.cuff_rig is not None:  # the quit has taken the cuff and is bringing it down
            assert time.monotonic() < deadline, "the quit never took the cuff"
            await asyncio.sleep(0)
        await asyncio.wait_for(app.shutdown("unmount"), 30)
        assert quit_task.done() and quit_task.exception() is None
    events = cuff_events(db)
    assert [e[4] for e in events if e[1] == "deflate"][-1].startswith("quit"), events[-5:]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        sets = conn.execute("SELECT status, ended_at IS NOT NULL FROM sets ORDER BY id").fetchall()
    finally:
        conn.close()
    assert sets == [("aborted", 1)]


async def test_a_link_that_never_finishes_closing_does_not_hold_the_quit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cuff deflates first; a closer that never returns is left behind after its bound, and the app exits."""
    from gymtui.services import cuff_rig

    monkeypatch.setattr(cuff_rig, "CLOSE_S", 0.5)
    db = tmp_path / "gym.db"
    app, _ = app_with_cuff(db)
    async with app.run_test(size=(120, 45)) as pilot:
        await cuff_up_in_the_first_bout(pilot, app)
        closed: list[str] = []

        async def hangs() -> None:
            closed.append("started")
            await asyncio.Event().wait()  # a BLE disconnect that never answers

        app.cuff_rig.add_closer(hangs)
        await asyncio.wait_for(app.shutdown("quit: set aborted"), 30)
        assert closed == ["started"] and app.cuff_rig is None
    events = cuff_events(db)
    assert [e[4] for e in events if e[1] == "deflate"][-1].startswith("quit"), events[-5:]


async def test_a_stuck_pressure_sensor_raises_the_alarm(tmp_path: Path) -> None:
    app, _ = app_with_cuff(tmp_path / "gym.db")
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None,
                               30, "the home screen with the cuff connected")
        await pilot.press("B")
        await pilot_wait_until(pilot, lambda: (app.cuff_rig.view().pressure_mmhg or 0) > 80, 60,
                               "the cuff above 80 mmHg", detail=lambda: app.cuff_rig.view())
        physics = app.cuff_rig.cuff.physics
        physics.stuck_at_mmhg = round(physics.true_mmhg, 1)  # the pressure sensor freezes
        await pilot_wait_until(pilot, lambda: any(c.kind == "alarm" for c in app.cue_log), 15,
                               "the stuck-sensor alarm cue")
        alarm_cues = [c for c in app.cue_log if c.kind == "alarm"]
        assert app.cuff_rig.view().level != "none"
        await app.shutdown()
    assert alarm_cues and alarm_cues[0].bell and alarm_cues[0].flash
    kinds = [e[1] for e in cuff_events(tmp_path / "gym.db")]
    assert "alarm" in kinds


def test_sigterm_to_a_running_gymtui_deflates_and_logs_it_after_the_signal(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gymtui", "--demo", "--cuff", "arm", "--lop", "180", "--bfr-pct", "50",
         "--speed", f"{SPEED:g}", "--db", str(db)],
        stdin=slave, stdout=slave, stderr=slave, cwd=REPO_ROOT, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm-256color"},
    )
    os.close(slave)
    os.set_blocking(master, False)

    def drain() -> None:
        while select.select([master], [], [], 0)[0]:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    def alive_and(condition: Callable[[list[tuple]], bool]) -> Callable[[], bool]:
        def check() -> bool:
            assert proc.poll() is None, f"gymtui exited early with {proc.returncode}"
            drain()
            return condition(cuff_events(db))
        return check

    try:
        wait_until(alive_and(lambda events: any(e[1] == "notice" and e[4] == "cuff connected" for e in events)),
                   60, "gymtui to connect its cuff", poll_s=0.1, detail=lambda: cuff_events(db)[-5:])
        os.write(master, b"B")  # the quick BFR set, cuff on
        wait_until(alive_and(lambda events: any(e[1] == "hold" for e in events)),  # occluding at the target
                   60, "the cuff to hold at its target", poll_s=0.05, detail=lambda: cuff_events(db)[-5:])
        signalled_at = dt.datetime.now().astimezone()
        proc.send_signal(signal.SIGTERM)
        def exited() -> bool:
            drain()  # a full pty would block its writes and so its exit
            return proc.poll() is not None

        wait_until(exited, 30, "gymtui to exit after SIGTERM", poll_s=0.05)
        assert proc.returncode == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    events = cuff_events(db)
    last = events[-1]
    assert last[1] == "deflate", events[-5:]
    assert dt.datetime.fromisoformat(last[0]) >= signalled_at.replace(microsecond=signalled_at.microsecond // 1000 * 1000)
    assert any(e[1] == "deflate" and "SIGTERM" in e[4] for e in events)
