"""What was lifted, in the gym's unit: the rating screen's draft and the gym's pounds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gymtui.model import PhaseKind
from gymtui.session.exercises import load_library
from gymtui.session.lifted import Lifted, draft_for
from gymtui.session.loads import (
    KG_PER_LB,
    LB_GYM,
    GymConfig,
    LastTime,
    OneRepMax,
    load_gym_config,
    round_load,
)
from gymtui.session.rampup import first_ramp_kg, next_ramp_kg, ramp_set
from gymtui.session.templates import (
    LoadBook,
    SessionOptions,
    WorkflowPhase,
    builtin_templates,
    expand,
)

POUNDS = GymConfig(**LB_GYM, unit="lb")  # type: ignore[arg-type]


def gym_toml(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "gymtui" / "gym.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unchanged_draft_keeps_the_plan_and_the_counted_reps_with_their_sources() -> None:
    draft = draft_for(100.0, 6, "barbell", counted_reps=5)
    assert (draft.load_text(), draft.reps_text(), draft.rir_text()) == ("100 kg", "5", "not given")
    assert draft.lifted() == Lifted(100.0, "planned", 5, "emg", None, None)


def test_each_key_is_one_step_and_a_changed_number_is_entered() -> None:
    draft = draft_for(100.0, 6, "barbell").load_by(1).load_by(1).reps_by(-1).rir_by(1).rir_by(1).rir_by(1)
    # The smallest plate pair is 2 × 1.25 kg.
    assert draft.lifted() == Lifted(105.0, "entered", 5, "entered", 2, "entered")
    assert draft_for(40.0, 10, "machine").load_by(-1).lifted().load_kg == 35.0
    assert draft_for(None, 6, "barbell").rir_by(-1).rir == 5
    assert draft_for(None, 6, "barbell").rir_by(1).rir_by(9).rir == 5


def test_typed_reps_win_over_a_later_sensor_count() -> None:
    draft = draft_for(100.0, 6, "barbell").reps_by(1).with_counted_reps(4)
    assert (draft.reps, draft.reps_source) == (7, "entered")


def test_a_new_athletes_bar_is_no_claim_until_they_set_it() -> None:
    draft = draft_for(None, 6, "barbell")
    assert draft.load_text() == "20 kg" and draft.lifted().load_kg is None
    assert draft.load_by(1).lifted() == Lifted(22.5, "entered", 6, "planned")


def test_a_bodyweight_set_asks_reps_and_reserve_only() -> None:
    draft = draft_for(None, 8, "bodyweight").load_by(3).reps_by(-2)
    assert not draft.ask_load and draft.lifted() == Lifted(None, None, 6, "entered")


def test_pounds_are_shown_and_stepped_in_pounds_and_stored_in_kg() -> None:
    planned = round_load(225 * KG_PER_LB, "barbell", POUNDS)
    assert planned.show() == "225 lb" and planned.describe() == "225 lb (bar 45 + 45 + 45 a side)"
    draft = draft_for(planned.kg, 5, "barbell", POUNDS)
    assert draft.load_text() == "225 lb" and draft.step == 5.0
    assert draft.lifted().load_kg == planned.kg  # unchanged: exactly the plan's kg
    heavier = draft.load_by(1).lifted()
    assert heavier.load_kg == pytest.approx(230 * KG_PER_LB, abs=0.001) and heavier.load_source == "entered"


def test_gym_toml_in_pounds(tmp_path: Path) -> None:
    gym_toml('[gym]\nunit = "lb"\nbar_lb = 35\nplates_lb = [45, 25, 10, 5]\n')
    gym, problems = load_gym_config()
    assert problems == []
    assert gym.unit == "lb" and gym.show(gym.bar_kg) == "35 lb"
    assert gym.step_kg("barbell") == pytest.approx(10 * KG_PER_LB)
    assert round_load(100 * KG_PER_LB, "barbell", gym).show() == "95 lb"  # 35 + 2 × 30 (25 + 5): 105 is as far, ties go lighter
    assert round_load(60, "machine", gym).show() == "130 lb"  # the pound gym's 10 lb stack steps


def test_gym_toml_unit_defaults_and_problems(tmp_path: Path) -> None:
    gym_toml('[gym]\nunit = "lb"\n')
    gym, problems = load_gym_config()
    assert problems == [] and gym == POUNDS
    path = gym_toml('[gym]\nunit = "stone"\nbar_lb = 500\n')
    gym, problems = load_gym_config()
    assert problems == [
        f'{path}:2: gym.unit must be "kg" or "lb", got \'stone\'; using kg',
        f"{path}:3: gym.bar_lb must be a number from 0 to 110.231, got 500; using 44.0925",
    ]
    assert gym == GymConfig()


def test_the_working_weight_comes_from_the_log_e1rm_on_the_plates() -> None:
    squat = load_library().get("back_squat")
    # 102.5 kg × 5 → Epley 119.6 kg; for 6 reps 99.6 kg → 100 kg on the plates.
    book = LoadBook({"Back squat": OneRepMax("Back squat", 119.6, 102.5, 5, "2026-11-30")})
    load, note = book.load_for(squat, None, 2, 6)
    assert load is not None and load.kg == 100.0 and "usual working weight" not in note
    # Nothing logged: the plan still says so.
    assert LoadBook().load_for(squat, None, 1, 6) == (None, "your usual working weight")
    # A % of 1RM wins when one is prescribed.
    assert book.load_for(squat, 80, 1, 6)[0].kg == 95.0
    # Last time alone (no usable 1RM): same as last time.
    last = LoadBook({}, {"Back squat": LastTime("Back squat", "2026-11-23", ((90.0, 6, 8),))})
    assert last.load_for(squat, None, 1, 6)[0].kg == 90.0


def test_ramp_up_sets_are_fives_from_the_empty_bar_each_heavier_on_the_plates() -> None:
    library = load_library()
    squat = next(p for p in expand(builtin_templates(library)["lower"], SessionOptions(activation=False), library)
                 if p.exercise == "Back squat")
    loads = [first_ramp_kg("barbell")]
    while loads[-1] < 100:
        loads.append(next_ramp_kg(loads[-1], "barbell"))
    assert loads == [20.0, 30.0, 40.0, 50.0, 62.5, 77.5, 97.5, 122.5]
    ramp = ramp_set(squat, 40.0, 3)
    reps_cue = next(p.cue for p in ramp.protocol.phases if p.kind is PhaseKind.REPS)
    assert (ramp.workflow_phase, ramp.set_number, ramp.reps, ramp.load.kg) == (WorkflowPhase.RAMP_UP, 3, 5, 40.0)
    assert reps_cue.startswith("5 reps · ramp-up") and ramp.headline().startswith("Back squat · set 3 of 3 · 5 reps · 40 kg")
    assert next_ramp_kg(40.0, "machine") == 50.0  # a quarter more, on the 5 kg stack
