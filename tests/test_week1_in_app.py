"""Week 1 day 1 of the guide's plan, run end to end in the real app with the demo athlete."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from gymtui.app import AppConfig, GymApp
from gymtui.model import PhaseKind
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.history import HistoryScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen

MONDAY = dt.date(2026, 11, 23)


async def wait_until(pilot, predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


async def test_week_1_day_1_runs_end_to_end_then_home_shows_the_next_session(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=30.0, athlete="Demo athlete", today=MONDAY))
    ratings: list[int] = []
    async with app.run_test(size=(120, 45)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None)
                         and app.signal is not None)
        assert app.home.plan.status.line.startswith("Week 1 of 4")
        planned_today = len(app.home.plan.planned)
        assert planned_today >= 10
        for n in range(planned_today):
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.home is not None
                             and app.home.next_set is not None)
            await app.begin_set()  # what Enter does
            # Reps that wait for the athlete get a Space when "racked".
            while not isinstance(app.screen, RatingScreen):
                engine = app.runner.engine
                if engine.stage is Stage.PHASE and engine.current_phase.kind is PhaseKind.REPS:
                    await pilot.pause(0.2)
                    app.advance_set()
                await pilot.pause(0.02)
            rating = 5 + n % 5
            ratings.append(rating)
            app.rating_screen.action_rate(rating)  # what a digit key does
            await wait_until(pilot, lambda: app.runner.engine.stage is Stage.PHASE or not app.runner.engine.running)
            app.advance_set()  # Space skips the rest
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.set_screen is None)
            app.screen.refresh_info()
            await pilot.pause(0.2)
        await wait_until(pilot, lambda: app.home.plan.status.line.endswith("lower body done")
                         or "upper" in app.home.plan.status.next_line)
        status = app.home.plan.status
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
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
