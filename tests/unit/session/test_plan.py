"""The 4-week plan, blocks, deload and maintenance, walked with a fake calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from program_log import log_session

from gymtui.services.plan import start_planned_session, status_from_store, todays_sets
from gymtui.session.days import SessionDay
from gymtui.session.exercises import load_library
from gymtui.session.plan import BlockKind, Plan, plan_status
from gymtui.session.templates import WorkflowPhase, working_sets
from gymtui.store import SetStatus, Store

MONDAY = dt.date(2026, 1, 5)
TRAINING_DAYS = (0, 2, 4)  # Mon, Wed, Fri


class Athlete:
    """Trains on Mon/Wed/Fri whenever the plan says 'train' (skipping the weeks given)."""

    def __init__(self, plan: Plan, skip_weeks: tuple[int, ...] = ()) -> None:
        self.plan = plan
        self.history: list[SessionDay] = []
        self.skip_weeks = skip_weeks
        self.log: dict[dt.date, object] = {}

    def live_until(self, last_day: dt.date) -> None:
        day = self.plan.started_on
        while day <= last_day:
            status = plan_status(self.plan, self.history, day)
            self.log[day] = status
            calendar_week = (day - self.plan.started_on).days // 7
            if status.today == "train" and day.weekday() in TRAINING_DAYS and calendar_week not in self.skip_weeks:
                self.history.append(SessionDay(day, status.session_kind, status.focus))
            day += dt.timedelta(days=1)


def week_day(week: int, weekday: int = 0) -> dt.date:
    return MONDAY + dt.timedelta(days=7 * (week - 1) + weekday)


def test_four_week_plan_progresses_then_deloads_then_maintains() -> None:
    athlete = Athlete(Plan("guide", MONDAY))
    athlete.live_until(week_day(8, 6))
    lines = {w: athlete.log[week_day(w)].line for w in range(1, 8)}
    assert lines[1] == "Week 1 of 4 · neural block · today: lower body"
    assert lines[2] == "Week 2 of 4 · neural block · today: upper body"
    assert lines[4].startswith("Week 4 of 4 · neural block")
    assert lines[5] == "Deload week · today: lower body, light"
    assert lines[6].startswith("Maintenance · one neural session a week · today:")
    # maintenance is one neural session a week: the rest of the week is the athlete's own
    assert athlete.log[week_day(6, 2)].line == "Maintenance · one neural session a week · neural session done this week"
    sessions_per_week = [sum(1 for s in athlete.history if (s.day - MONDAY).days // 7 == w) for w in range(8)]
    assert sessions_per_week == [3, 3, 3, 3, 2, 1, 1, 1]
    assert [s.focus for s in athlete.history[:4]] == ["lower", "upper", "lower", "upper"]


def test_each_intro_week_adds_what_the_guide_says() -> None:
    athlete = Athlete(Plan("guide", MONDAY))
    athlete.live_until(week_day(5, 6))
    w1, w2, w3, _w4 = (athlete.log[week_day(w)].options for w in range(1, 5))
    assert w1.activation and w1.activation_s == 600 and not (w1.prefatigue or w1.finisher or w1.heavy)
    assert w2.prefatigue and w2.finisher and not w2.heavy
    assert w3.heavy and w3.sets_range == (12, 15)
    assert athlete.log[week_day(1)].week_note.startswith("activation and rating")
    deload = athlete.log[week_day(5)].options
    assert deload.deload and deload.intensity_scale < 1
    # week 4 adds the tool the athlete has
    with_cuff = plan_status(Plan("guide", MONDAY), athlete.history[:9], week_day(4), tool="bfr")
    assert with_cuff.week_in_block == 4 and with_cuff.options.bfr and with_cuff.tool == "bfr"
    early = plan_status(Plan("guide", MONDAY), athlete.history[:3], week_day(2), tool="bfr")
    assert not early.options.bfr and early.tool is None


def test_the_line_says_what_is_next_through_the_week() -> None:
    athlete = Athlete(Plan("guide", MONDAY))
    athlete.live_until(week_day(2, 6))
    assert athlete.log[week_day(1, 0)].next_line == "Next: upper body (session 2 of 3 this week)"
    friday = athlete.log[week_day(1, 4)]
    assert friday.next_line.startswith("Next week: Week 2 of 4 · neural block — adds pre-fatigue")
    saturday = athlete.log[week_day(1, 5)]
    assert saturday.today == "rest" and saturday.line.endswith("today: rest (3 of 3 sessions done this week)")


def test_a_missed_week_does_not_advance_the_plan() -> None:
    athlete = Athlete(Plan("guide", MONDAY), skip_weeks=(1,))  # the second calendar week is a break
    athlete.live_until(week_day(3, 6))
    assert athlete.log[week_day(2)].line.startswith("Week 2 of 4")
    assert athlete.log[week_day(3)].line.startswith("Week 2 of 4")  # resumes where it stopped


def test_periodised_blocks_neural_then_hypertrophy_then_deload_repeat() -> None:
    athlete = Athlete(Plan("periodised", MONDAY))
    athlete.live_until(week_day(20, 6))
    kinds = [athlete.log[week_day(w)].block.kind for w in range(1, 20)]
    assert kinds == (
        [BlockKind.INTRO] * 4 + [BlockKind.DELOAD]
        + [BlockKind.NEURAL] * 4 + [BlockKind.HYPERTROPHY] * 4 + [BlockKind.DELOAD]
        + [BlockKind.NEURAL] * 4 + [BlockKind.HYPERTROPHY]
    )
    assert athlete.log[week_day(6)].line.startswith("Week 1 of 4 · neural block")
    assert athlete.log[week_day(10)].line.startswith("Week 1 of 4 · hypertrophy block")
    assert athlete.log[week_day(10)].options.sets_range == (20, 25)
    assert athlete.log[week_day(6)].options.sets_range == (12, 15)
    assert athlete.log[week_day(10)].session_kind == "hypertrophy"


def test_block_volumes_land_in_the_guides_ranges() -> None:
    library = load_library()
    from gymtui.session.templates import builtin_templates, expand

    templates = builtin_templates(library)
    athlete = Athlete(Plan("periodised", MONDAY))
    athlete.live_until(week_day(14, 6))
    for week, (lo, hi) in [(6, (12, 15)), (8, (12, 15)), (10, (20, 25))]:
        status = athlete.log[week_day(week)]
        for focus in ("lower", "upper"):
            n = working_sets(expand(templates[focus], status.options, library))
            assert lo <= n <= hi, (week, focus, n)


def test_maintenance_every_two_weeks() -> None:
    athlete = Athlete(Plan("guide", MONDAY, maintenance_every_weeks=2))
    athlete.live_until(week_day(10, 6))
    maintenance_weeks = range(5, 10)
    trained = [any((s.day - MONDAY).days // 7 == w for s in athlete.history) for w in maintenance_weeks]
    assert trained == [True, False, True, False, True]
    off_week = athlete.log[week_day(7)]
    assert off_week.line == "Maintenance · one neural session every two weeks · neural session done last week"


def test_week_1_day_1_from_a_real_database(tmp_path: Path) -> None:
    store = Store(tmp_path / "plan.db")
    athlete = store.ensure_athlete()
    status = status_from_store(store, athlete, MONDAY)
    assert status.line == "Week 1 of 4 · neural block · today: lower body"
    planned = todays_sets(store, athlete, status, load_library(), today=MONDAY)
    assert planned[0].workflow_phase is WorkflowPhase.ACTIVATION
    assert {p.workflow_phase for p in planned} == {WorkflowPhase.ACTIVATION, WorkflowPhase.COMPOUND}
    session = start_planned_session(store, athlete, status)
    assert store.db["sessions"].get(session)["kind"] == "neural"
    # Two days later, after logging that session, the plan moves on to the upper-body day.
    log_session(store, athlete, MONDAY, focus="lower")
    later = status_from_store(store, athlete, MONDAY + dt.timedelta(days=2))
    assert later.line == "Week 1 of 4 · neural block · today: upper body"
    assert later.plan.id == status.plan.id
    store.close()


def test_unknown_program_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown program"):
        Plan("bro split", MONDAY)


def test_plan_command_prints_the_line_and_todays_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gymtui.cli import main

    db = tmp_path / "cli.db"
    assert main(["plan", "--db", str(db), "--date", "2026-01-05"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Week 1 of 4 · neural block · today: lower body"
    assert any(line.strip().startswith("activation     Glute bridge, 3 s hold · set 1 of") for line in out)
    assert any("Back squat · set 1 of 4 · 6 reps · Spread the floor" in line for line in out)
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--db", str(db), "--date", "5 Jan"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a date (YYYY-MM-DD): '5 Jan'" in err


def test_the_day_is_done_after_its_last_planned_set_not_its_first(tmp_path: Path) -> None:
    """One completed set leaves the day open on its next set; the next day's sets show only once all are done."""
    store = Store(tmp_path / "next.db")
    athlete = store.ensure_athlete()
    status = status_from_store(store, athlete, MONDAY)  # starts the plan today
    planned = todays_sets(store, athlete, status, load_library(), today=MONDAY)
    session = start_planned_session(store, athlete, status, planned=planned, started_at="2026-01-05T10:00:00.000+00:00")
    rows = store.planned_set_rows(session)
    assert [(r["exercise"], r["set_number"]) for r in rows] == [(p.exercise, p.set_number) for p in planned]
    for i, row in enumerate(rows):
        set_id = store.start_set(athlete, row["exercise"], "test", session_id=session)
        store.finish_set(set_id, SetStatus.COMPLETED, {})
        store.mark_planned_set_done(row["id"], set_id)
        now = status_from_store(store, athlete, MONDAY)
        if i < len(rows) - 1:
            assert now.today == "train" and now.line.endswith("today: lower body"), f"after set {i + 1} of {len(rows)}"
    done = status_from_store(store, athlete, MONDAY)
    assert done.today == "done" and done.line.endswith("today: lower body done") and done.next_focus == "upper"
    preview = todays_sets(store, athlete, done, load_library(), today=MONDAY)
    assert preview[0].exercise == "Band lat pulldown"
    store.close()
