"""Autoregulation: the 80 % rule after a Phase 3 set, suggested and remembered."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from program_log import log_session

from gymtui.model import PhaseKind
from gymtui.services.autoreg import Autoregulator
from gymtui.session.autoreg import Reference, apply, suggest_after_set
from gymtui.session.exercises import load_library
from gymtui.session.loads import KG_PER_LB, LB_GYM, GymConfig, OneRepMax
from gymtui.session.templates import (
    LoadBook,
    SessionOptions,
    WorkflowPhase,
    builtin_templates,
    expand,
)
from gymtui.store import SetStatus, Store


@pytest.fixture
def squats():
    library = load_library()
    book = LoadBook({"Back squat": OneRepMax("Back squat", 125.0, 110, 4, "2026-03-01")})
    planned = expand(builtin_templates(library)["lower"], SessionOptions(activation=False, prefatigue=False, finisher=False), library, book)
    return [p for p in planned if p.exercise == "Back squat"]


def test_low_target_share_suggests_10_percent_lighter_on_the_plates(squats) -> None:
    first = squats[0]
    assert first.load.kg == 100
    suggestion = suggest_after_set(first, {"target_share": 0.30, "peak_pct_mvc": 70}, Reference(0.42, 72))
    assert suggestion.kind == "reduce_load" and (suggestion.from_kg, suggestion.to_kg) == (100, 90)
    assert suggestion.reason == "Target share 30 % is 71 % of your reference 42 % (below 80 %)"
    lighter = apply(squats[1], suggestion)
    assert lighter.load.kg == 90 and lighter.note == "lighter: 80 % rule"


def test_the_prompt_names_the_rule_and_offers_10_percent_lighter_for_the_same_exercise(squats) -> None:
    suggestion = suggest_after_set(squats[0], {}, Reference(), rating=6)
    assert suggestion.prompt() == (
        "80 % rule: You rated it 6/10 (below 8).\n"
        "Next Back squat set 90 kg instead of 100 kg (10 % lighter)? (y / n)"
    )


def test_lighter_is_taken_off_what_was_lifted_not_the_plan(squats) -> None:
    # Planned 100 kg, the athlete entered 110 kg: 10 % off 110 is 99 kg, and the nearest on the plates is 100.
    suggestion = suggest_after_set(squats[0], {}, Reference(), rating=5, lifted_kg=110.0)
    assert (suggestion.from_kg, suggestion.to_kg) == (110.0, 100.0)
    pounds = GymConfig(**LB_GYM, unit="lb")
    in_lb = suggest_after_set(squats[0], {}, Reference(), rating=5, lifted_kg=225 * KG_PER_LB, gym=pounds)
    assert "Next Back squat set 200 lb instead of 225 lb (10 % lighter)" in in_lb.prompt()


def test_a_suggestion_applies_only_to_a_later_set_of_the_same_exercise(squats) -> None:
    library = load_library()
    book = LoadBook({"Romanian deadlift": OneRepMax("Romanian deadlift", 120.0, 100, 6, "2026-03-01")})
    other = next(p for p in expand(builtin_templates(library)["lower"], SessionOptions(activation=False), library, book)
                 if p.exercise == "Romanian deadlift")
    suggestion = suggest_after_set(squats[0], {}, Reference(), rating=6)
    assert not suggestion.applies_to(other)
    assert not suggestion.applies_to(squats[0])  # not the set it was made after
    assert suggestion.applies_to(squats[1])
    with pytest.raises(ValueError, match="does not apply"):
        apply(other, suggestion)


def test_fewer_reps_change_the_header_and_the_cue_alike(squats) -> None:
    unloaded = [replace(p, load=None) for p in squats]
    suggestion = suggest_after_set(unloaded[0], {}, Reference(), rating=6)
    assert suggestion.kind == "reduce_reps" and suggestion.to_reps == 4
    assert "Next Back squat set 4 reps instead of 6? (y / n)" in suggestion.prompt()
    fewer = apply(unloaded[1], suggestion)
    reps_cue = next(p.cue for p in fewer.protocol.phases if p.kind is PhaseKind.REPS)
    assert "4 reps" in fewer.headline() and reps_cue.startswith("4 reps")


def test_a_good_set_gets_no_suggestion(squats) -> None:
    assert suggest_after_set(squats[0], {"target_share": 0.40, "peak_pct_mvc": 70}, Reference(0.42, 72)) is None
    assert suggest_after_set(squats[0], {"target_share": 0.40}, Reference(), rating=8) is None


def test_low_peak_mvc_or_a_low_rating_also_fire(squats) -> None:
    by_peak = suggest_after_set(squats[0], {"peak_pct_mvc": 50}, Reference(None, 70))
    assert by_peak and by_peak.reason == "Peak 50 % MVC is 71 % of your reference 70 % MVC (below 80 %)"
    by_rating = suggest_after_set(squats[0], {}, Reference(), rating=6)
    assert by_rating and by_rating.reason == "You rated it 6/10 (below 8)"


def test_only_phase_3_sets_are_regulated() -> None:
    library = load_library()
    planned = expand(builtin_templates(library)["lower"], SessionOptions(), library)
    prefatigue = next(p for p in planned if p.workflow_phase is WorkflowPhase.PREFATIGUE)
    assert suggest_after_set(prefatigue, {"target_share": 0.1}, Reference(0.5, None)) is None


def test_autoregulator_compares_with_the_sessions_best_and_records_the_answer(tmp_path: Path, squats) -> None:
    store = Store(tmp_path / "a.db")
    athlete = store.ensure_athlete()
    # Last week's squats give the first set its reference.
    log_session(store, athlete, dt.date.today() - dt.timedelta(days=7), [
        {"exercise": "Back squat", "load_kg": 100.0, "reps": 6, "target_share": 0.40, "peak_pct_mvc": 70.0},
        {"exercise": "Back squat", "load_kg": 100.0, "reps": 6, "target_share": 0.44, "peak_pct_mvc": 74.0},
    ])
    auto = Autoregulator(store, athlete)
    assert auto.reference_for("Back squat") == Reference(pytest.approx(0.42), pytest.approx(72.0))
    session = store.start_session(athlete)
    set1 = store.start_set(athlete, "Back squat", "compound", session_id=session, load_kg=100.0)
    store.finish_set(set1, SetStatus.COMPLETED, {"target_share": 0.45, "peak_pct_mvc": 75.0})
    # today's finished set is not its own reference: last week's still is
    assert auto.reference_for("Back squat") == Reference(pytest.approx(0.42), pytest.approx(72.0))
    assert auto.after_set(squats[0], set1, {"target_share": 0.45, "peak_pct_mvc": 75.0}) is None
    # Set 2: the share drops below 80 % of set 1's 0.45 (not of last week's 0.42).
    set2 = store.start_set(athlete, "Back squat", "compound", session_id=session, load_kg=100.0)
    summary = {"target_share": 0.35, "peak_pct_mvc": 74.0}
    store.finish_set(set2, SetStatus.COMPLETED, summary)
    suggestion = auto.after_set(squats[1], set2, summary)
    assert suggestion is not None and suggestion.id is not None and suggestion.to_kg == 90
    set3 = store.start_set(athlete, "Back squat", "compound", session_id=session, load_kg=90.0)
    auto.answer(suggestion, taken=True, next_set_id=set3)
    row = store.get_suggestion(suggestion.id)
    assert (row["set_id"], row["next_set_id"], row["taken"], row["to_kg"]) == (set2, set3, 1, 90.0)
    assert store.foreign_key_problems() == []
    store.close()
