"""A training day as the athlete lives it in the real app: resume after quitting, rest days, the weekly limit.

Real app (Pilot), real SQLite file, the date injected through ``AppConfig``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from app_day import finish_set, home_ready, plan_list, run_next_set
from program_log import log_session
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.confirm import ConfirmScreen
from gymtui.ui.screens.day_list import DayListScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.skip_reason import SkipReasonScreen

MONDAY = dt.date(2026, 11, 23)
SPEED = 30.0
ATHLETE = "Athlete"


def app_on(db: Path, day: dt.date = MONDAY) -> GymApp:
    """The app on a database file, no sensor (timer only), the day injected."""
    return GymApp(Store(db), AppConfig(speed=SPEED, athlete=ATHLETE, today=day))


def sets_run(db: Path) -> list[tuple[str, int, int]]:
    store = Store(db, readonly=True)
    try:
        return [(r["exercise"], r["set_number"], r["session_id"])
                for r in store.db.query("SELECT exercise, set_number, session_id FROM sets WHERE status = 'completed' ORDER BY id")]
    finally:
        store.close()


def toasts(app: GymApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.mark.timeout(600)
async def test_quit_after_set_3_and_start_again_the_home_offers_set_4_of_the_same_day(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = app_on(db)
    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        listed = plan_list(db, MONDAY, ATHLETE)
        for n in (1, 2, 3):
            await run_next_set(pilot, app, n, 7)
        await app.shutdown()
    assert [(e, s) for e, s, _ in sets_run(db)] == listed[:3]

    again = app_on(db)  # a new run of the app on the same file, the same day
    async with again.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, again, "the home screen after the restart")
        info = again.screen.info
        assert info.plan.status.line == "Week 1 of 4 · neural block · today: lower body"
        nxt = info.next_set
        assert (nxt.exercise, nxt.set_number) == listed[3]
        assert str(again.screen.query_one("#home-progress").render()).startswith(f"set 4 of {len(listed)} · ")
        assert str(again.screen.query_one("#home-next").render()).startswith(f"Next set: {nxt.exercise} · set {nxt.set_number}")
        await run_next_set(pilot, again, 4, 8)
        await again.shutdown()
    ran = sets_run(db)
    assert [(e, s) for e, s, _ in ran] == listed[:4]
    assert len({session for _, _, session in ran}) == 1  # the same day's session, resumed


@pytest.mark.timeout(600)
async def test_skip_with_a_reason_take_another_first_and_end_the_session(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = app_on(db)
    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        listed = plan_list(db, MONDAY, ATHLETE)
        await pilot.press("x")  # skip the first set before any has run
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SkipReasonScreen), 10, "the skip prompt")
        await pilot.press(*"rack busy", "enter")
        await home_ready(pilot, app, "home after the skip")
        await pilot_wait_until(pilot, lambda: app.screen.info.plan.sequence is not None, 30, "the day's session open")
        assert (app.screen.info.next_set.exercise, app.screen.info.next_set.set_number) == listed[1]
        await pilot.press("l")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, DayListScreen), 10, "today's list")
        await pilot.press("down", "down", "enter")  # the third undone set
        await home_ready(pilot, app, "home after choosing")
        await pilot_wait_until(pilot, lambda: (app.screen.info.next_set.exercise, app.screen.info.next_set.set_number)
                               == listed[3], 30, "the chosen set offered next")
        await run_next_set(pilot, app, 1, 7)
        nxt = app.screen.info.next_set
        assert (nxt.exercise, nxt.set_number) == listed[1]  # the order resumes
        await pilot.press("x")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SkipReasonScreen), 10, "the skip prompt")
        await pilot.press("escape")  # no reason
        await home_ready(pilot, app, "home after the second skip")
        await pilot_wait_until(pilot, lambda: (app.screen.info.next_set.exercise, app.screen.info.next_set.set_number)
                               == listed[2], 30, "the set after the skipped one")
        await pilot.press("e")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the end-session question")
        await pilot.press("y")
        await home_ready(pilot, app, "home after ending")
        await pilot_wait_until(pilot, lambda: app.screen.info.plan.status.line.endswith("today: lower body done"), 30,
                               "the day done", detail=lambda: app.screen.info.plan.status.line)
        assert not app.screen.query_one("#home-progress").display
        assert not app.screen.check_action("skip_set", ()) and not app.screen.check_action("end_session", ())
        await app.shutdown()
    store = Store(db, readonly=True)
    rows = [(r["exercise"], r["set_number"], r["status"], r["skip_reason"])
            for r in store.db.query("SELECT * FROM planned_sets ORDER BY position")]
    store.close()
    assert rows[:4] == [
        (*listed[0], "skipped", "rack busy"),
        (*listed[1], "skipped", None),
        (*listed[2], "skipped", "session ended early"),
        (*listed[3], "done", None),
    ]
    assert all(r[2:] == ("skipped", "session ended early") for r in rows[4:])


@pytest.mark.timeout(300)
async def test_enter_on_a_rest_day_asks_once_and_a_yes_is_an_extra_session(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    athlete = store.ensure_athlete(ATHLETE)
    store.start_plan(athlete, "guide", MONDAY.isoformat())
    for offset, focus in ((0, "lower"), (2, "upper"), (4, "lower")):
        log_session(store, athlete, MONDAY + dt.timedelta(days=offset), focus=focus)
    store.close()
    saturday = MONDAY + dt.timedelta(days=5)
    app = app_on(db, saturday)
    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        status = app.screen.info.plan.status
        assert status.line == "Week 1 of 4 · neural block · today: rest (3 of 3 sessions done this week)"
        guards = [g.message for g in app.screen.info.plan.guards]
        assert "3 neural sessions in 7 days already: today would be the last this week" in guards
        assert not app.screen.check_action("skip_set", ())  # x skips today's sets only: there are none
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the rest-day question")
        assert app.screen.question == "Today is a rest day: train anyway?"
        await pilot.press("n")
        await home_ready(pilot, app, "home after no")
        assert app.set_screen is None
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the question again")
        await pilot.press("y")
        await finish_set(pilot, app, 1, 7)
        assert app.screen.info.plan.sequence is not None
        assert app.screen.info.plan.status.line == "Week 1 of 4 · neural block · today: upper body"
        await pilot.press("enter")  # asked once: today's extra session just goes on
        await pilot_wait_until(pilot, lambda: app.set_screen is not None, 30, "the next set, no question",
                               detail=lambda: (type(app.screen).__name__, toasts(app)))
        await finish_set(pilot, app, 2, 7)
        await app.shutdown()
    store = Store(db, readonly=True)
    extra = [(r["started_at"][:10], r["extra"], r["kind"]) for r in store.db.query("SELECT * FROM sessions WHERE extra = 1")]
    store.close()
    assert extra == [(saturday.isoformat(), 1, "neural")]
    assert len(sets_run(db)) == 3 + 2


@pytest.mark.timeout(300)
async def test_a_fifth_neural_session_in_the_plan_week_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    athlete = store.ensure_athlete(ATHLETE)
    store.start_plan(athlete, "guide", MONDAY.isoformat())
    for offset, focus in ((0, "lower"), (1, "upper"), (2, "lower"), (3, "upper")):
        log_session(store, athlete, MONDAY + dt.timedelta(days=offset), focus=focus)
    store.close()
    app = app_on(db, MONDAY + dt.timedelta(days=5))
    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        refused = str(app.screen.query_one("#home-refused").render())
        assert refused.startswith("⛔ No new session today: 4 neural sessions in 7 days: the limit is 3–4")
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: any("No new session today" in t for t in toasts(app)), 10,
                               "Enter refused", detail=lambda: toasts(app))
        assert isinstance(app.screen, HomeScreen) and app.set_screen is None
        await app.shutdown()
    assert len(sets_run(db)) == 4  # the four logged sessions' sets: nothing new ran
