"""Week 1 day 1 of the guide's plan, run end to end in the real app with the demo athlete.

What ran must be what the plan listed, in order, and the home screen says
the day is done only after its last set; the session, its sets and their
phases are stamped with the app's (injected) date, not the machine's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from app_day import home_ready, plan_list, run_next_set
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.history import HistoryScreen

MONDAY = dt.date(2026, 11, 23)
SPEED = 30.0
ATHLETE = "Demo athlete"


@pytest.mark.timeout(900)  # a whole training day of sets, end to end; about 35 s alone
async def test_week_1_day_1_runs_the_plans_list_in_order_and_is_done_only_after_the_last_set(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete=ATHLETE, today=MONDAY))
    ratings: list[int] = []
    lines_before_last: list[str] = []

    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        await pilot_wait_until(pilot, lambda: app.signal is not None, 60, "the demo sensor")
        assert app.home.plan.status.line == "Week 1 of 4 · neural block · today: lower body"
        listed = plan_list(db, MONDAY, ATHLETE)  # `gymtui plan` for the same file and day
        assert len(listed) >= 10 and listed == [(p.exercise, p.set_number) for p in app.home.plan.planned]
        for n in range(1, len(listed) + 1):
            line = app.home.plan.status.line
            assert not line.endswith("done"), f"the day is called done before set {n} of {len(listed)}: {line}"
            lines_before_last.append(line)
            ratings.append(5 + n % 5)
            await run_next_set(pilot, app, n, ratings[-1])
            if n < len(listed):
                assert app.screen.info.plan.sequence.progress_line().startswith(f"set {n + 1} of {len(listed)} · ")
        status = app.home.plan.status
        assert status.line == "Week 1 of 4 · neural block · today: lower body done"
        assert app.home.plan.sequence is None
        await pilot.press("h")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), 30, "the history screen")
        history = app.screen.data
        await app.shutdown()

    assert status.next_line.startswith("Next: upper body")
    assert set(lines_before_last) == {"Week 1 of 4 · neural block · today: lower body"}
    store = Store(db)
    rows = list(store.db.query("SELECT exercise, set_number, status, activation_rating, session_id FROM sets ORDER BY id"))
    assert [(r["exercise"], r["set_number"]) for r in rows] == listed
    assert all(r["status"] == "completed" for r in rows)
    assert [r["activation_rating"] for r in rows] == ratings
    sessions = {r["session_id"] for r in rows}
    assert len(sessions) == 1
    (session,) = sessions
    assert store.db["sessions"].get(session)["started_at"][:10] == MONDAY.isoformat()
    stamps = store.db.query("SELECT s.started_at, s.ended_at, p.started_at AS phase FROM sets s JOIN phases p ON p.set_id = s.id")
    assert {(r["started_at"][:10], r["ended_at"][:10], r["phase"][:10]) for r in stamps} == {(MONDAY.isoformat(),) * 3}
    planned = store.planned_set_rows(session)
    assert [(r["exercise"], r["set_number"], r["status"]) for r in planned] == [(*k, "done") for k in listed]
    assert [r["set_id"] for r in planned] == [r["id"] for r in store.db.query("SELECT id FROM sets ORDER BY id")]
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    rated = [w.mean_rating for ex in history.exercises for w in ex.weeks if w.mean_rating is not None]
    assert rated, "history shows the ratings"
