"""Guardrails from the guide's risks and FAQ fire when they should, and only then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gymtui.bfr.rules import BfrLimits, Limb
from gymtui.services import guardrails as stored_guards
from gymtui.session import guardrails as g
from gymtui.session.days import SessionDay
from gymtui.session.exercises import load_library
from gymtui.session.templates import SessionOptions, builtin_templates, expand
from gymtui.store import Store

TODAY = dt.date(2026, 3, 12)


def days_ago(*offsets: int, kind: str = "neural") -> list[SessionDay]:
    return [SessionDay(TODAY - dt.timedelta(days=d), kind) for d in offsets]


@pytest.fixture
def library():
    return load_library()


def test_activation_is_planned_within_5_to_10_minutes(library) -> None:
    template = builtin_templates(library)["lower"]
    for seconds in (60, 5 * 60, 10 * 60, 30 * 60):  # even a request for 30 min is capped
        planned = expand(template, SessionOptions(activation_s=seconds, prefatigue=False, heavy=False, finisher=False), library)
        assert not g.activation_budget(planned).fired


def test_activation_budget_fires_on_a_30_minute_activation(library) -> None:
    template = builtin_templates(library)["lower"]
    planned = expand(template, SessionOptions(prefatigue=False, heavy=False, finisher=False), library)
    guard = g.activation_budget(planned * 4)
    assert guard.level is g.Level.WARN and "5–10 min" in guard.message


def test_live_activation_timer_and_burning_target() -> None:
    assert not g.activation_elapsed(9 * 60).fired
    assert g.activation_elapsed(10 * 60 + 1).level is g.Level.WARN


def test_neural_sessions_capped_at_3_to_4_a_week() -> None:
    assert not g.neural_sessions_this_week(days_ago(1, 3), TODAY).fired
    assert g.neural_sessions_this_week(days_ago(1, 3, 5), TODAY).level is g.Level.WARN
    assert g.neural_sessions_this_week(days_ago(0, 1, 3, 5), TODAY).level is g.Level.STOP
    # sessions older than a week, and non-neural sessions, do not count
    assert not g.neural_sessions_this_week(days_ago(7, 8, 9, 10), TODAY).fired
    assert not g.neural_sessions_this_week(days_ago(1, 2, 3, 4, kind="hypertrophy"), TODAY).fired


def test_neural_sessions_are_counted_in_the_plans_week_and_todays_session_in_progress_is_not_already() -> None:
    """The plan's week starts on its start day's weekday; the rolling 7 days would count last week's sessions."""
    week_start = TODAY - dt.timedelta(days=1)
    last_week = days_ago(6, 4, 2)  # three sessions before this plan week began
    assert g.neural_sessions_this_week(last_week, TODAY).level is g.Level.WARN  # rolling: the old count
    assert not g.neural_sessions_this_week(last_week, TODAY, week_start).fired
    in_progress = [*days_ago(1), SessionDay(TODAY, "neural", "lower", open=True)]
    assert not g.neural_sessions_this_week(in_progress, TODAY, week_start).fired
    three = [SessionDay(week_start + dt.timedelta(days=d)) for d in (0, 0, 1)]
    warned = g.neural_sessions_this_week(three, TODAY, week_start)
    assert (warned.level, warned.message) == (g.Level.WARN, "3 neural sessions in 7 days already: today would be the last this week")
    stopped = g.neural_sessions_this_week([*three, SessionDay(TODAY, extra=True)], TODAY, week_start)
    assert stopped.level is g.Level.STOP


@pytest.mark.parametrize(
    ("checkin", "advice"),
    [
        (g.CheckIn(8.0, 55, coordination=4, mood=4), g.Advice.GO),
        (g.CheckIn(7.0, 59, coordination=3, mood=3), g.Advice.GO),  # +4 bpm is noise
        (g.CheckIn(6.0, 55, coordination=4, mood=4), g.Advice.LIGHT),  # short sleep
        (g.CheckIn(8.0, 61, coordination=4, mood=4), g.Advice.LIGHT),  # RHR +6
        (g.CheckIn(8.0, 55, coordination=2, mood=4), g.Advice.LIGHT),  # clumsy
        (g.CheckIn(8.0, 55, coordination=4, mood=1), g.Advice.LIGHT),  # irritable
        (g.CheckIn(6.0, 55, coordination=2, mood=4), g.Advice.REST),  # two signs
        (g.CheckIn(8.0, 66, coordination=4, mood=4), g.Advice.REST),  # RHR +11
        (g.CheckIn(4.5, None, coordination=4, mood=4), g.Advice.REST),  # very short sleep
    ],
)
def test_checkin_suggests_light_or_rest_on_signs_of_cns_fatigue(checkin: g.CheckIn, advice: g.Advice) -> None:
    result = g.assess_checkin(checkin, baseline_rhr_bpm=55)
    assert result.advice is advice
    assert bool(result.reasons) is (advice is not g.Advice.GO)
    assert bool(result.tips) is (advice is not g.Advice.GO)


def test_checkin_without_a_baseline_ignores_heart_rate_and_sets_the_baseline(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    athlete = store.ensure_athlete()
    first = g.CheckIn(8, 70, 4, 4)
    advice = g.assess_checkin(first, store.baseline_rhr(athlete))
    assert advice.advice is g.Advice.GO
    stored_guards.record_checkin(store, athlete, first, advice)
    assert store.baseline_rhr(athlete) == 70
    second = g.CheckIn(8, 81, 4, 4)
    advice2 = g.assess_checkin(second, store.baseline_rhr(athlete))
    assert advice2.advice is g.Advice.REST
    stored_guards.record_checkin(store, athlete, second, advice2, choice="light")
    rows = store.checkins_since(athlete, "2000-01-01")
    assert [(r["advice"], r["choice"]) for r in rows] == [("go", "go"), ("rest", "light")]
    store.close()


def test_an_answer_not_given_is_no_sign_either_way_and_stays_not_given() -> None:
    """Coordination and mood left blank are None, not the middle of the scale, and give no reason."""
    blank = g.CheckIn(8.0)
    assert (blank.resting_hr_bpm, blank.coordination, blank.mood) == (None, None, None)
    assert g.assess_checkin(blank, 55.0) == g.CheckInAdvice(g.Advice.GO, ())
    assert g.assess_checkin(g.CheckIn(8.0, None, None, 1), 55.0) == g.CheckInAdvice(g.Advice.LIGHT, ("irritable or low mood",))


def test_checkin_rejects_impossible_values() -> None:
    with pytest.raises(ValueError, match="coordination"):
        g.CheckIn(8, 60, coordination=7)
    with pytest.raises(ValueError, match="sleep"):
        g.CheckIn(30)


def test_light_day_keeps_only_activation(library) -> None:
    light = g.light_session(SessionOptions(sets_range=(12, 15)))
    planned = expand(builtin_templates(library)["upper"], light, library)
    assert {p.workflow_phase.value for p in planned} == {"activation"}
    assert not g.activation_budget(planned).fired


def test_bfr_time_cap_is_the_supervisors_per_limb_cap() -> None:
    assert not g.bfr_time(14 * 60, "leg").fired
    assert g.bfr_time(15 * 60, "leg").level is g.Level.WARN
    assert g.bfr_time(20 * 60, "leg").level is g.Level.STOP
    assert not g.bfr_time(9 * 60, "arm").fired
    assert g.bfr_time(10 * 60, "arm").level is g.Level.WARN
    stop = g.bfr_time(15 * 60, "arm")
    assert stop.level is g.Level.STOP and stop.message == "15 min of BFR: the limit (arm) is 15. Cuff off"
    # One table: the guardrail stops exactly where the cuff's supervisor does.
    for limb in Limb:
        cap = BfrLimits().session_cap_s[limb]
        assert g.bfr_time(cap - 1, str(limb)).level is not g.Level.STOP
        assert g.bfr_time(cap, str(limb)).level is g.Level.STOP
    # No limb known: the strictest cap.
    assert g.bfr_time(15 * 60).level is g.Level.STOP


def test_bfr_plan_within_the_cap_passes_and_a_doubled_one_is_stopped(library) -> None:
    planned = expand(builtin_templates(library)["lower"], SessionOptions(bfr=True), library)
    bfr = [p for p in planned if p.bfr]
    assert bfr and not g.bfr_plan(planned).fired
    assert g.bfr_plan(bfr * 6).level is g.Level.STOP


def test_resume_with_full_activation_after_a_break() -> None:
    assert not g.needs_full_activation(days_ago(2, 4, 6), TODAY).fired
    assert not g.needs_full_activation([], TODAY).fired  # a first session is not a comeback
    guard = g.needs_full_activation(days_ago(12, 14), TODAY)
    assert guard.fired and "full activation phase" in guard.message
    assert not g.needs_full_activation(days_ago(14), TODAY, break_days=20).fired


def test_disclaimer_is_shown_once_and_remembered(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    store = Store(path)
    athlete = store.ensure_athlete()
    assert stored_guards.disclaimer_pending(store, athlete)
    assert "not medical advice" in g.DISCLAIMER and "qualified professional" in g.DISCLAIMER
    stored_guards.acknowledge_disclaimer(store, athlete)
    store.close()
    reopened = Store(path)
    assert not stored_guards.disclaimer_pending(reopened, athlete)
    reopened.close()


def test_session_guards_list_only_what_fired(library) -> None:
    planned = expand(builtin_templates(library)["lower"], SessionOptions(), library)
    assert g.session_guards(days_ago(2, 4), TODAY, planned) == []
    fired = g.session_guards(days_ago(11), TODAY, planned)
    assert [x.name for x in fired] == ["resume_after_break"]


def test_the_live_activation_warning_comes_once_with_the_first_drill_past_10_minutes() -> None:
    clock = g.ActivationClock()
    assert not clock.set_starting(True, 1000.0).fired  # the first drill starts the count
    assert not clock.set_starting(True, 1000.0 + 9 * 60).fired
    assert not clock.set_starting(False, 1000.0 + 11 * 60).fired  # main work: nothing to say
    late = clock.set_starting(True, 1000.0 + 10 * 60 + 5)
    assert (late.level, late.message) == (g.Level.WARN, "10 minutes of activation: move on to the main work")
    assert not clock.set_starting(True, 1000.0 + 12 * 60).fired  # said once
