"""The faded-feedback schedule, walked over real plan weeks and real training days.

Each week's status comes from :func:`plan_status` over a simulated Mon/Wed/Fri
athlete, and each day's sets from the built-in templates, so the schedule is
checked on the sets the athlete would actually run, in order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from gymtui.session.days import SessionDay
from gymtui.session.exercises import load_library
from gymtui.session.feedback import (
    FeedbackMode,
    set_feedback,
    shows_bars,
    shows_cues,
    week_feedback,
)
from gymtui.session.plan import Plan, PlanStatus, plan_status
from gymtui.session.rampup import ramp_set
from gymtui.session.templates import PlannedSet, WorkflowPhase, expand, load_templates

MONDAY = dt.date(2026, 1, 5)
LIVE, CUES, RETENTION = FeedbackMode.LIVE, FeedbackMode.CUES, FeedbackMode.RETENTION


def status_on_monday_of(week: int, program: str = "guide") -> PlanStatus:
    """Plan week ``week``'s Monday for an athlete who trained Mon/Wed/Fri every week before."""
    plan = Plan(program, MONDAY)
    history: list[SessionDay] = []
    for w in range(week - 1):
        for n, offset in enumerate((0, 2, 4)):
            history.append(SessionDay(MONDAY + dt.timedelta(days=7 * w + offset), focus=("lower", "upper")[n % 2]))
    return plan_status(plan, history, MONDAY + dt.timedelta(days=7 * (week - 1)))


def todays_sets(status: PlanStatus) -> list[PlannedSet]:
    library = load_library()
    template = load_templates(library, user_dir=None)[0][status.next_focus]
    return expand(template, status.options, library)


def run_day(status: PlanStatus) -> list[tuple[str, WorkflowPhase, int, FeedbackMode]]:
    """Every set of the day in order with its mode, the retention sets completing as they come."""
    retained: set[str] = set()
    out = []
    for planned in todays_sets(status):
        mode = set_feedback(status, planned, retained)
        if mode is RETENTION:
            retained.add(planned.exercise)  # the set completed
        out.append((planned.exercise, planned.workflow_phase, planned.set_number, mode))
    return out


@pytest.mark.parametrize(("week", "expected"), [(1, LIVE), (2, LIVE), (3, CUES)])
def test_weeks_1_and_2_are_live_and_week_3_shows_cues_only_for_every_set(week: int, expected: FeedbackMode) -> None:
    status = status_on_monday_of(week)
    assert status.line.startswith(f"Week {week} of 4 · neural block")
    day = run_day(status)
    assert len(day) >= 3
    assert {mode for *_, mode in day} == {expected}


def test_week_4_has_one_retention_set_per_exercise_its_first_and_the_rest_show_cues() -> None:
    status = status_on_monday_of(4)
    assert status.line.startswith("Week 4 of 4 · neural block")
    day = run_day(status)
    exercises = list(dict.fromkeys(e for e, *_ in day))
    assert len(exercises) >= 3
    retention = [(e, phase, n) for e, phase, n, mode in day if mode is RETENTION]
    # Exactly one per exercise, and it is the exercise's first set of the day (fresh).
    assert [e for e, *_ in retention] == exercises
    for exercise, phase, number in retention:
        first = next((p, n) for e, p, n, _ in day if e == exercise)
        assert (phase, number) == first, exercise
    assert all(mode is CUES for *_, mode in day if mode is not RETENTION)
    assert len(day) > len(retention)  # fed-back sets remain to compare with


def test_an_aborted_retention_set_passes_the_test_to_the_next_set_of_the_exercise() -> None:
    status = status_on_monday_of(4)
    first, second = [p for p in todays_sets(status) if p.workflow_phase is not WorkflowPhase.ACTIVATION][:2]
    assert first.exercise == second.exercise
    assert set_feedback(status, first, retained=()) is RETENTION
    # Aborted: never added to the retained exercises, so the next set is the test.
    assert set_feedback(status, second, retained=()) is RETENTION
    assert set_feedback(status, second, retained={first.exercise}) is CUES


def test_ramp_up_quick_and_sensorless_sets_never_spend_the_retention_set() -> None:
    status = status_on_monday_of(4)
    planned = next(p for p in todays_sets(status) if p.workflow_phase is WorkflowPhase.COMPOUND)
    assert set_feedback(status, ramp_set(planned, 40.0, 1)) is CUES
    assert set_feedback(status, None) is CUES  # a quick set in week 4: faded, not a test
    assert set_feedback(status, planned, sensor=False) is CUES
    assert set_feedback(status, planned) is RETENTION


def test_no_plan_is_live() -> None:
    assert set_feedback(None, None) is LIVE
    assert week_feedback(None).mode is LIVE and not week_feedback(None).retention_week


def test_after_the_four_weeks_the_feedback_stays_faded_and_neural_blocks_fade_again() -> None:
    guide = {w: week_feedback(status_on_monday_of(w)) for w in (5, 6, 7)}
    assert [status_on_monday_of(w).block.kind.value for w in (5, 6)] == ["deload", "maintenance"]
    assert all(f.mode is CUES and not f.retention_week for f in guide.values())
    # periodised: intro (1-4), deload (5), then a neural block (6-9) that fades week by week
    modes = [week_feedback(status_on_monday_of(w, "periodised")) for w in range(6, 11)]
    assert [s.block.kind.value for s in (status_on_monday_of(w, "periodised") for w in range(6, 11))] == [
        "neural", "neural", "neural", "neural", "hypertrophy"]
    assert [(m.mode, m.retention_week) for m in modes] == [
        (LIVE, False), (LIVE, False), (CUES, False), (CUES, True), (CUES, False)]


def test_what_each_mode_shows() -> None:
    assert (shows_bars("live"), shows_cues("live")) == (True, True)
    assert (shows_bars("cues"), shows_cues("cues")) == (False, True)
    assert (shows_bars("retention"), shows_cues("retention")) == (False, False)
    assert [m.value for m in FeedbackMode] == ["live", "cues", "retention"]  # what sets.feedback stores


def test_a_set_of_another_exercise_in_week_4_is_its_own_retention_set() -> None:
    status = status_on_monday_of(4)
    planned = next(p for p in todays_sets(status) if p.workflow_phase is WorkflowPhase.COMPOUND)
    other = dataclasses.replace(planned, protocol=dataclasses.replace(planned.protocol, exercise="Something else"))
    assert set_feedback(status, other, retained={planned.exercise}) is RETENTION
