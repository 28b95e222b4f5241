"""Athletes in the real app: Ana trains, the coach switches to a new athlete Ben with ``a``; and MVCs per application.

What is checked is what was stored, per athlete, in the real SQLite file:
Ana's sets stay hers and untouched, Ben's plan starts at week 1 with the
day's first set, the next start opens on the athlete used last. And an MVC
applies only to the electrode application it was taken on: a new session
(an MVC older than the app's ``mvc_holds_for``) starts with the MVC phase,
and ``m`` asks for one at once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from keys import press
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import PhaseKind
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.athletes import AthletesScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen

MONDAY = dt.date(2026, 11, 23)
SPEED = 30.0
REPS_S = 6.0
"""Simulated seconds of reps before the athlete racks the bar (Space)."""
SET_WALL_S = 120.0
"""Wall seconds one set may take, lead-ins to rating, on a loaded machine (alone: a few seconds)."""


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def athlete_rows(db: Path, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything stored for one athlete, table by table, in id order."""
    (athlete,) = rows(db, "SELECT id FROM athletes WHERE name = ?", (name,))[0]
    return {
        "sets": rows(db, "SELECT id, session_id, exercise, set_number, status, activation_rating, calibration_id, "
                         "started_at, ended_at FROM sets WHERE athlete_id = ? ORDER BY id", (athlete,)),
        "sessions": rows(db, "SELECT id, started_at, focus, kind FROM sessions WHERE athlete_id = ? ORDER BY id", (athlete,)),
        "plans": rows(db, "SELECT id, program, started_on FROM plans WHERE athlete_id = ? ORDER BY id", (athlete,)),
        "calibrations": rows(db, "SELECT id, kind, taken_at, values_json FROM calibrations WHERE athlete_id = ? ORDER BY id", (athlete,)),
    }


async def at_home(pilot: Any, app: GymApp, what: str) -> None:
    await pilot_wait_until(
        pilot,
        lambda: isinstance(app.screen, HomeScreen) and app.home is not None and app.home.next_set is not None
        and app.set_screen is None and app.signal is not None,
        60,
        what,
    )


async def run_one_set(pilot: Any, app: GymApp, n: int, rating: int) -> None:
    """Enter, the set to its rating (Space when the reps are racked), a digit, Space through the rest, home."""

    def rated_or_racked() -> bool:
        if isinstance(app.screen, RatingScreen):
            return True
        engine = app.runner.engine
        if (engine.stage is Stage.PHASE and engine.current_phase.kind is PhaseKind.REPS
                and engine.view().elapsed_s >= REPS_S):
            app.sets.advance()
        return False

    await at_home(pilot, app, f"the home screen to offer set {n}")
    await press(pilot, "enter")
    await pilot_wait_until(pilot, lambda: app.runner is not None and app.set_screen is not None, 60, f"set {n} to start")
    await pilot_wait_until(pilot, rated_or_racked, SET_WALL_S, f"the rating screen after set {n}")
    await press(pilot, str(rating))
    await pilot_wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen), 30, f"set {n}'s rating taken")
    await pilot_wait_until(pilot, lambda: app.runner.engine.stage is Stage.PHASE or not app.runner.engine.running,
                           30, f"the rest after rating set {n}")
    app.sets.advance()  # Space skips the rest
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.set_screen is None,
                           30, f"the home screen after set {n}")
    before = app.home
    app.screen.refresh_info()
    await pilot_wait_until(pilot, lambda: app.home is not before, 30, f"the home screen to re-read after set {n}")


@pytest.mark.timeout(900)  # four demo sets end to end; about 30 s alone
async def test_ana_trains_three_sets_then_a_new_athlete_ben_starts_at_week_1_and_anas_log_is_untouched(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete="Ana", today=MONDAY))
    async with app.run_test(size=(120, 45)) as pilot:
        await at_home(pilot, app, "Ana's home screen and the demo sensor")
        assert "· Ana (a: switch athlete)" in str(app.screen.query_one("#home-athlete").render())
        first_set = app.home.next_set
        assert first_set is not None
        for n, rating in enumerate((6, 7, 8), start=1):
            await run_one_set(pilot, app, n, rating)
        ana_before = athlete_rows(db, "Ana")
        assert [(s[4], s[5]) for s in ana_before["sets"]] == [("completed", 6), ("completed", 7), ("completed", 8)]

        await pilot.press("a")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, AthletesScreen), 30, "the athletes screen")
        await pilot.press("n")
        await pilot.press("B", "e", "n", "enter")
        await pilot_wait_until(
            pilot,
            lambda: isinstance(app.screen, HomeScreen) and app.athletes.name == "Ben" and app.home is not None
            and app.home.athlete == "Ben",
            30,
            "the home screen for Ben",
            detail=lambda: (type(app.screen).__name__, app.athletes.name),
        )
        assert "· Ben (a: switch athlete)" in str(app.screen.query_one("#home-athlete").render())
        ben_home = app.home
        assert ben_home.plan is not None
        assert ben_home.plan.status.line.startswith("Week 1 of 4"), ben_home.plan.status.line
        assert ben_home.next_set is not None
        assert (ben_home.next_set.exercise, ben_home.next_set.set_number) == (first_set.exercise, first_set.set_number)
        assert ben_home.recent == [], "Ben's home lists none of Ana's sets"
        assert ben_home.last_rating is None, "Ben has no earlier rating (Ana's are hers)"

        await run_one_set(pilot, app, 4, 5)
        await app.shutdown()

    ana_after = athlete_rows(db, "Ana")
    ben = athlete_rows(db, "Ben")
    # Ana's sets, plan and MVC are exactly as they were; her session was closed when the app quit.
    assert ana_after["sets"] == ana_before["sets"]
    assert ana_after["plans"] == ana_before["plans"]
    assert ana_after["calibrations"] == ana_before["calibrations"]
    assert [s[0] for s in ana_after["sessions"]] == [s[0] for s in ana_before["sessions"]]
    # Ben: his own plan from today (week 1), his own session, his own set, his own MVC.
    assert [p[2] for p in ben["plans"]] == [MONDAY.isoformat()]
    assert [(s[2], s[3], s[4], s[5]) for s in ben["sets"]] == [(first_set.exercise, first_set.set_number, "completed", 5)]
    ben_set = ben["sets"][0]
    assert ben_set[1] in [s[0] for s in ben["sessions"]]
    assert ben_set[1] not in [s[0] for s in ana_after["sessions"]]
    # An MVC is stored only if the demo sensor kept up through its 3 s (a loaded machine may not at x30).
    assert ben_set[6] is None or ben_set[6] in [c[0] for c in ben["calibrations"]], "Ben's set is against Ben's own MVC"
    # The next start (no --athlete) opens on the athlete used last.
    again = Store(db)
    try:
        assert again.last_athlete() == (rows(db, "SELECT id FROM athletes WHERE name = 'Ben'")[0][0], "Ben")
    finally:
        again.close()


def mvc_count(db: Path) -> int:
    return int(rows(db, "SELECT count(*) FROM calibrations WHERE kind = 'mvc'")[0][0])


async def begin_and_look(pilot: Any, app: GymApp, what: str, *, keep_mvc: bool = False) -> bool:
    """``f`` (the quick finisher: the same muscles every time), and whether it starts with the MVC phase.

    With ``keep_mvc`` the MVC phase runs to its end and is stored; then the
    set is aborted (or its rating skipped) until the home screen is back.
    """
    await at_home(pilot, app, f"the home screen before {what}")
    before, mvcs = app.runner, mvc_count(app.store.path)
    await press(pilot, "f")
    await pilot_wait_until(pilot, lambda: app.runner is not before and app.runner is not None, 60, f"{what} to start",
                           detail=lambda: (type(app.screen).__name__, [str(n.message) for n in app._notifications]))
    calibrates = app.runner.protocol.phases[0].kind is PhaseKind.CALIBRATION
    if keep_mvc:
        await pilot_wait_until(pilot, lambda: mvc_count(app.store.path) > mvcs, 60, f"the MVC of {what} to be stored",
                               detail=lambda: (app.runner.engine.stage, app.runner.engine.current_phase.name,
                                               app.runner.engine.view().elapsed_s, type(app.screen).__name__))

    def home_again() -> bool:
        if isinstance(app.screen, HomeScreen) and app.set_screen is None:
            return True
        if isinstance(app.screen, RatingScreen):
            app.screen.action_skip()
        elif app.runner is not None and app.runner.engine.running:
            app.sets.abort()
        return False

    await pilot_wait_until(pilot, home_again, 60, f"the home screen after {what}")
    return calibrates


MVC_SPEED = 4.0
"""The signal tests' speed: a loaded machine keeps up with the demo sensor through the 3 s MVC, so it is stored."""


async def run_app(db: Path, steps: Any) -> None:
    app = GymApp(Store(db), AppConfig(demo=True, speed=MVC_SPEED, athlete="Ana", today=MONDAY))
    async with app.run_test(size=(120, 45)) as pilot:
        await steps(pilot, app)
        await app.shutdown()


@pytest.mark.timeout(600)
async def test_an_mvc_holds_for_its_application_a_new_session_measures_again_and_m_takes_a_fresh_one(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    seen: list[tuple[str, bool]] = []

    async def first_visit(pilot: Any, app: GymApp) -> None:
        # A new athlete has no MVC: the first set measures one.
        seen.append(("first set", await begin_and_look(pilot, app, "the first set", keep_mvc=True)))
        # The same muscles again, electrodes still on: the MVC of this application holds.
        seen.append(("same muscles again", await begin_and_look(pilot, app, "the same set again")))
        # m: the electrodes were moved; the next set measures again, and home says so.
        await pilot.press("m")
        await pilot_wait_until(pilot, lambda: app.home is not None and app.home.fresh_mvc, 30, "home to note the fresh MVC")
        assert "fresh MVC next set" in str(app.screen.query_one("#home-athlete").render())
        seen.append(("after m", await begin_and_look(pilot, app, "the set after m")))
        seen.append(("after m, once", await begin_and_look(pilot, app, "the set after that")))

    await run_app(db, first_visit)
    assert rows(db, "SELECT count(*) FROM calibrations WHERE kind = 'mvc'")[0][0] >= 1

    async def within_hours(pilot: Any, app: GymApp) -> None:
        seen.append(("restart within the hours an MVC holds", await begin_and_look(pilot, app, "a set after restart")))

    await run_app(db, within_hours)

    # Three hours later (past MVC_HOLDS_FOR): a new session, new electrodes.
    conn = sqlite3.connect(db)
    old = (dt.datetime.now().astimezone() - dt.timedelta(hours=3)).isoformat(timespec="milliseconds")
    with conn:
        conn.execute("UPDATE calibrations SET taken_at = ? WHERE kind = 'mvc'", (old,))
    conn.close()

    async def next_visit(pilot: Any, app: GymApp) -> None:
        seen.append(("a new session hours later", await begin_and_look(pilot, app, "the first set of a new session")))

    await run_app(db, next_visit)
    assert seen == [
        ("first set", True),
        ("same muscles again", False),
        ("after m", True),
        ("after m, once", False),
        ("restart within the hours an MVC holds", False),
        ("a new session hours later", True),
    ]


async def open_on(db: Path, *argv: str) -> str:
    """The athlete the real app opens on, started as ``gymtui ARGV --db DB`` would start it."""
    from gymtui.cli import build_parser

    config = AppConfig.from_args(build_parser().parse_args([*argv, "--db", str(db)]), db)
    app = GymApp(Store(db), config)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.home is not None, 60,
                               "the home screen")
        shown = str(app.screen.query_one("#home-athlete").render())
        await app.shutdown()
    assert f"· {app.athletes.name} (a: switch athlete) " in shown
    return app.athletes.name


async def test_the_same_database_with_and_without_demo_opens_on_the_same_athlete(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    assert await open_on(db, "--demo") == "Athlete"
    assert await open_on(db) == "Athlete"
    assert rows(db, "SELECT name FROM athletes") == [("Athlete",)], "no second, silent athlete"
    # A log from before athletes had names: weeks of history under "Demo athlete", an empty "Athlete" beside it.
    old = tmp_path / "old.db"
    store = Store(old)
    store.ensure_athlete("Athlete")
    demo = store.ensure_athlete("Demo athlete")
    set_id = store.start_set(demo, "Back squat", "p")
    store.finish_set(set_id, "completed", {})
    store.close()
    assert await open_on(old) == "Demo athlete", "the app opens on the athlete whose history it is"
    assert await open_on(old, "--athlete", "athlete") == "Athlete", "--athlete picks by name, case aside"
    assert await open_on(old, "--demo") == "Athlete", "then the one used last, demo or not"
    assert len(rows(old, "SELECT id FROM athletes")) == 2


def toasts(app: GymApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_picker_adds_renames_and_switches_back_and_the_cuff_takes_each_athletes_own_lop(tmp_path: Path) -> None:
    from textual.widgets import Input

    from gymtui.bfr.rules import validate_settings

    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(demo=True, athlete="Ana", cuff=validate_settings("arm", 180, 50), lop_given=True))

    def lop() -> float | None:
        rig = app.cuff_rig
        assert rig is not None
        return rig.supervisor.settings.lop_mmhg

    async def home_for(name: str) -> None:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.home is not None
                               and app.home.athlete == name, 30, f"the home screen for {name}",
                               detail=lambda: (type(app.screen).__name__, toasts(app)))

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None
                               and lop() == 180.0, 30, "Ana's home screen and the cuff at her LOP")
        await pilot.press("a", "n", "B", "e", "n", "enter")
        await home_for("Ben")
        await pilot_wait_until(pilot, lambda: lop() is None, 10, "the cuff to drop Ana's LOP for Ben", detail=lop)
        assert "No arm LOP stored for Ben: the cuff stays down until you enter one (b)" in toasts(app)

        await pilot.press("a", "n", "a", "n", "a", "enter")  # a name that is taken, whatever its case
        await pilot_wait_until(pilot, lambda: "there is already an athlete named ana" in toasts(app), 10,
                               "the taken name said", detail=lambda: toasts(app))
        await home_for("Ben")

        await pilot.press("a")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, AthletesScreen), 10, "the athletes screen")
        await pilot.press("r")  # the current athlete is highlighted
        name = app.screen.query_one("#athletes-name", Input)
        await pilot_wait_until(pilot, lambda: name.has_focus and name.value == "Ben", 10, "Ben's name to edit")
        name.value = "Benjamin"
        await pilot.press("enter")
        await home_for("Benjamin")
        assert "· Benjamin (a: switch athlete)" in str(app.screen.query_one("#home-athlete").render())

        await pilot.press("a")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, AthletesScreen), 10, "the athletes screen")
        await pilot.press("up", "enter")  # Ana is above Benjamin
        await home_for("Ana")
        await pilot_wait_until(pilot, lambda: lop() == 180.0, 10, "the cuff back at Ana's own LOP", detail=lop)
        await app.shutdown()
    assert rows(db, "SELECT name FROM athletes ORDER BY id") == [("Ana",), ("Benjamin",)]
    assert rows(db, "SELECT a.name, c.lop_mmhg FROM calibrations c JOIN athletes a ON a.id = c.athlete_id "
                    "WHERE c.kind = 'lop'") == [("Ana", 180.0)], "Ana's LOP stays hers; none was stored for Ben"
    store.close()
