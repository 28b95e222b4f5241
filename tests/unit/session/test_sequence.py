"""A training day as a sequence, over a real database with the calendar and clock injected (never patched).

The Coach is what the app asks: it opens the day's session (fixing its
planned sets in order), says which set is next, marks sets done and
skipped, ends a session early, and counts weeks the way the plan does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from program_log import log_session

from gymtui.services.coach import Coach
from gymtui.session import guardrails as g
from gymtui.session.templates import PlannedSet
from gymtui.store import SetStatus, Store

MONDAY = dt.date(2026, 1, 5)
UTC = dt.UTC


class Calendar:
    """The injected date and clock: a test moves them, nothing is patched."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def today(self) -> dt.date:
        return self.day

    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(10, 0), UTC)


def coach_on(store: Store, calendar: Calendar) -> Coach:
    return Coach(store, store.ensure_athlete(), today=calendar.today, now=calendar.now)


def run_set(store: Store, coach: Coach, session_id: int, planned: PlannedSet) -> int:
    """What the app does for a set that completes: the set row, then its place in the sequence."""
    set_id = coach.start_set(planned, session_id)
    store.finish_set(set_id, SetStatus.COMPLETED, {"reps": planned.reps})
    coach.set_completed(session_id, planned, set_id)
    return set_id


def key(p: PlannedSet) -> tuple[str, int]:
    return (p.exercise, p.set_number)


def test_one_completed_set_does_not_finish_the_day_the_last_one_does(tmp_path: Path) -> None:
    store = Store(tmp_path / "day.db")
    calendar = Calendar(MONDAY)
    coach = coach_on(store, calendar)
    home = coach.home()
    day = list(home.planned)
    assert home.sequence is None and home.status.line == "Week 1 of 4 · neural block · today: lower body"
    session = coach.start_session(home.status)
    run_set(store, coach, session, day[0])

    home = coach.home()
    assert home.status.today == "train"
    assert home.status.line == "Week 1 of 4 · neural block · today: lower body"
    assert home.status.next_line == "Next: upper body (session 2 of 3 this week)"
    assert home.next_set is not None and key(home.next_set) == key(day[1])
    assert home.sequence is not None and home.sequence.progress_line().startswith(f"set 2 of {len(day)} · ")
    for n, planned in enumerate(day[1:], start=2):
        assert coach.home().status.today == "train", f"the day is not done before set {n} of {len(day)}"
        assert coach.start_session() == session  # the same open session, set after set
        run_set(store, coach, session, coach.home().next_set or planned)

    home = coach.home()
    assert home.status.today == "done" and home.status.line.endswith("today: lower body done")
    assert home.sequence is None
    assert home.next_set is not None and home.next_set.exercise == "Band lat pulldown"  # the next day's, only now
    ran = [(r["exercise"], r["set_number"]) for r in store.db.query("SELECT exercise, set_number FROM sets ORDER BY id")]
    assert ran == [key(p) for p in day]
    stored = store.planned_set_rows(session)
    assert [(r["exercise"], r["set_number"], r["status"]) for r in stored] == [(*key(p), "done") for p in day]
    assert store.db["sessions"].get(session)["started_at"].startswith("2026-01-05T10:00")
    store.close()


def test_a_skipped_set_keeps_its_reason_and_ending_early_skips_the_rest(tmp_path: Path) -> None:
    store = Store(tmp_path / "skip.db")
    calendar = Calendar(MONDAY)
    coach = coach_on(store, calendar)
    day = list(coach.home().planned)
    coach.skip_next("rack busy")  # before any set: the session opens, its first set is skipped
    home = coach.home()
    assert home.sequence is not None
    session = home.sequence.session_id
    assert home.next_set is not None and key(home.next_set) == key(day[1])
    run_set(store, coach, session, day[1])
    home = coach.home()
    assert home.next_row is not None and home.next_set is not None and key(home.next_set) == key(day[2])
    coach.skip(home.next_row)  # Esc at the prompt: no reason
    assert coach.home().status.today == "train"
    assert coach.end_day(session) == len(day) - 3
    rows = store.planned_set_rows(session)
    assert [(r["status"], r["skip_reason"]) for r in rows[:4]] == [
        ("skipped", "rack busy"), ("done", None), ("skipped", None), ("skipped", "session ended early"),
    ]
    assert all(r["status"] == "skipped" for r in rows[3:])
    home = coach.home()
    assert home.status.today == "done" and home.sequence is None
    store.close()


def test_a_set_taken_first_from_the_list_runs_next_and_the_order_resumes_after_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "first.db")
    coach = coach_on(store, Calendar(MONDAY))
    day = list(coach.home().planned)
    session = coach.start_session()
    run_set(store, coach, session, day[0])
    sequence = coach.home().sequence
    assert sequence is not None
    later = sequence.runnable[4]
    coach.take_first(later.row_id)
    home = coach.home()
    assert home.next_row == later.row_id and home.next_set == later.planned
    assert later.planned is not None
    run_set(store, coach, session, later.planned)
    home = coach.home()
    assert home.next_set is not None and key(home.next_set) == key(day[1])
    statuses = [r["status"] for r in store.planned_set_rows(session)]
    assert statuses[: later.position + 1] == ["done"] + ["planned"] * (later.position - 1) + ["done"]
    store.close()


def test_four_weeks_by_injected_date_then_deload_and_a_skipped_week_does_not_advance(tmp_path: Path) -> None:
    """Three sessions a week (Mon, Wed, Fri), every planned set run; calendar week 3 is missed."""
    store = Store(tmp_path / "weeks.db")
    calendar = Calendar(MONDAY)
    coach = coach_on(store, calendar)
    mondays: dict[int, str] = {}
    missed_week = 2  # 0-based calendar week
    for week in range(6):
        for weekday in (0, 2, 4):
            calendar.day = MONDAY + dt.timedelta(days=7 * week + weekday)
            home = coach.home()
            if weekday == 0:
                mondays[week] = home.status.line
            if week == missed_week or home.status.today == "rest" and home.status.line.startswith("Deload"):
                continue  # missed; or the deload's two sessions are done
            assert home.status.today == "train", (calendar.day, home.status.line)
            session = coach.start_session(home.status)
            while (nxt := coach.home().next_set) is not None and coach.home().sequence is not None:
                run_set(store, coach, session, nxt)
            assert coach.home().status.today == "done"
        if week not in (missed_week, 5):
            calendar.day = MONDAY + dt.timedelta(days=7 * week + 5)  # Saturday
            assert coach.home().status.line.endswith("today: rest (3 of 3 sessions done this week)")
    assert mondays == {
        0: "Week 1 of 4 · neural block · today: lower body",
        1: "Week 2 of 4 · neural block · today: upper body",
        2: "Week 3 of 4 · neural block · today: lower body",
        3: "Week 3 of 4 · neural block · today: lower body",  # the missed week did not advance the plan
        4: "Week 4 of 4 · neural block · today: upper body",
        5: "Deload week · today: lower body, light",
    }
    days = [r["day"] for r in store.db.query("SELECT substr(started_at, 1, 10) AS day FROM sessions ORDER BY id")]
    assert days[:3] == ["2026-01-05", "2026-01-07", "2026-01-09"]  # stamped by the injected calendar
    assert len(days) == 4 * 3 + 2  # four trained weeks of three, and the deload's two
    store.close()


def test_the_weekly_warning_counts_plan_weeks_not_todays_session_in_progress(tmp_path: Path) -> None:
    store = Store(tmp_path / "count.db")
    calendar = Calendar(MONDAY)
    coach = coach_on(store, calendar)
    coach.home()  # the plan starts on MONDAY
    for offset, focus in ((0, "lower"), (2, "upper"), (4, "lower")):
        log_session(store, coach.athlete_id, MONDAY + dt.timedelta(days=offset), focus=focus)
    for offset in (7, 9):  # a prescribed Monday and Wednesday, one set into the session
        calendar.day = MONDAY + dt.timedelta(days=offset)
        session = coach.start_session()
        nxt = coach.home().next_set
        assert nxt is not None
        run_set(store, coach, session, nxt)
        home = coach.home()
        assert [x.name for x in home.guards if x.name == "neural_frequency"] == [], home.guards
        assert home.refused is None
        coach.end_day(session)
    calendar.day = MONDAY + dt.timedelta(days=11)
    home = coach.home()
    assert home.status.line == "Week 2 of 4 · neural block · today: upper body"
    assert "neural_frequency" not in [x.name for x in home.guards]
    store.close()


def test_a_rest_day_session_is_extra_the_fourth_is_warned_and_a_fifth_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "limit.db")
    calendar = Calendar(MONDAY)
    coach = coach_on(store, calendar)
    coach.home()
    for offset, focus in ((0, "lower"), (1, "upper"), (2, "lower")):
        log_session(store, coach.athlete_id, MONDAY + dt.timedelta(days=offset), focus=focus)
    calendar.day = MONDAY + dt.timedelta(days=3)
    home = coach.home()
    assert home.status.line.endswith("today: rest (3 of 3 sessions done this week)")
    warned = [x for x in home.guards if x.name == "neural_frequency"]
    assert [(x.level, x.message) for x in warned] == [
        (g.Level.WARN, "3 neural sessions in 7 days already: today would be the last this week"),
    ]
    assert home.refused is None
    coach.extra = True  # "train anyway?" → yes
    session = coach.start_session(home.status)
    assert store.db["sessions"].get(session)["extra"] == 1
    run_set(store, coach, session, coach.home().next_set)  # type: ignore[arg-type]
    assert coach.home().refused is None  # today's own session goes on
    coach.end_day(session)

    calendar.day = MONDAY + dt.timedelta(days=5)
    home = coach.home()
    assert home.refused is not None and home.refused.level is g.Level.STOP
    assert home.refused.message.startswith("4 neural sessions in 7 days: the limit is 3–4")
    store.close()
