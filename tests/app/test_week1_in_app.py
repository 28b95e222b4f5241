"""Week 1 day 1 of the guide's plan, run end to end in the real app with the demo athlete."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import PhaseKind
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.history import HistoryScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen

MONDAY = dt.date(2026, 11, 23)
SPEED = 30.0
REPS_S = 6.0
"""Simulated seconds of reps before the athlete racks the bar (Space)."""
SET_WALL_S = 120.0
"""Wall seconds one set may take, lead-ins to rating, on a loaded machine (alone: about 3 s)."""


@pytest.mark.timeout(900)  # a whole training day of sets, end to end; about 35 s alone
async def test_week_1_day_1_runs_end_to_end_then_home_shows_the_next_session(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", today=MONDAY))
    ratings: list[int] = []

    def rated_or_racked() -> bool:
        """The rating screen is up; on the way, Space once a phase of reps has run ``REPS_S``."""
        if isinstance(app.screen, RatingScreen):
            return True
        engine = app.runner.engine
        if (engine.stage is Stage.PHASE and engine.current_phase.kind is PhaseKind.REPS
                and engine.view().elapsed_s >= REPS_S):
            app.sets.advance()
        return False

    def where() -> str:
        engine = app.runner.engine if app.runner else None
        phase = f"{engine.stage.name} {engine.current_phase.kind}" if engine and engine.running else "no set running"
        return f"screen {type(app.screen).__name__}, {phase}"

    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None)
                               and app.signal is not None, 60, "the home screen and the demo sensor")
        assert app.home.plan.status.line.startswith("Week 1 of 4")
        planned_today = len(app.home.plan.planned)
        assert planned_today >= 10
        for n in range(planned_today):
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.home is not None
                                   and app.home.next_set is not None, 30, f"the home screen to offer set {n + 1}")
            await app.sets.begin()  # what Enter does
            # Reps that wait for the athlete get a Space when "racked".
            await pilot_wait_until(pilot, rated_or_racked, SET_WALL_S, f"the rating screen after set {n + 1}",
                                   detail=where)
            rating = 5 + n % 5
            ratings.append(rating)
            app.rating_screen.action_rate(rating)  # what a digit key does
            await pilot_wait_until(pilot, lambda: app.runner.engine.stage is Stage.PHASE or not app.runner.engine.running,
                                   30, f"the rest after rating set {n + 1}", detail=where)
            app.sets.advance()  # Space skips the rest
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.set_screen is None,
                                   30, f"the home screen after set {n + 1}", detail=where)
            before = app.home
            app.screen.refresh_info()
            await pilot_wait_until(pilot, lambda before=before: app.home is not before, 30,
                                   f"the home screen to re-read the plan after set {n + 1}")
        await pilot_wait_until(pilot, lambda: app.home.plan.status.line.endswith("lower body done")
                               or "upper" in app.home.plan.status.next_line, 30,
                               "the plan to call the lower-body day done", detail=lambda: app.home.plan.status)
        status = app.home.plan.status
        await pilot.press("h")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), 30, "the history screen")
        history = app.screen.data
        await app.shutdown()

    assert "Next: upper body" in status.next_line
    store = Store(db)
    rows = list(store.db.query("SELECT status, activation_rating, session_id FROM sets ORDER BY id"))
    assert len(rows) == planned_today
    assert all(r["status"] == "completed" for r in rows)
    assert [r["activation_rating"] for r in rows] == ratings
    assert len({r["session_id"] for r in rows}) == 1
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    rated = [w.mean_rating for ex in history.exercises for w in ex.weeks if w.mean_rating is not None]
    assert rated, "history shows the ratings"
