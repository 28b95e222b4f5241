"""Exercise library, session templates and loads: the guide's workflow as sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from program_log import log_session

from gymtui.model import PhaseKind
from gymtui.services.loads import estimate_1rm, last_time, load_book
from gymtui.session.engine import PhaseEnded, SetEngine, Stage
from gymtui.session.exercises import load_library, user_library_path
from gymtui.session.loads import GymConfig, epley_1rm, load_gym_config, round_load
from gymtui.session.templates import (
    ECCENTRIC_ONLY_WARNING,
    LoadBook,
    SessionOptions,
    TemplateError,
    WorkflowPhase,
    activation_seconds,
    builtin_templates,
    expand,
    parse_template,
    working_sets,
)
from gymtui.store import Store


@pytest.fixture
def library():
    return load_library()


def test_squat_and_bench_carry_the_guides_cues_and_partners(library) -> None:
    squat, bench, pull_up = library.get("back_squat"), library.get("Bench press"), library.get("pull_up")
    assert squat.cue_for_set(1) == "Spread the floor"
    assert bench.cue_for_set(1) == "Pull the bar apart"
    assert library.prefatigue_for(squat).key == "leg_extension"
    assert library.prefatigue_for(pull_up).key == "straight_arm_pulldown"
    assert any("squeeze" in c.lower() and "top" in c.lower() for c in library.get("hip_thrust").cues)
    glute_bridge = library.get("glute_bridge_hold")
    assert glute_bridge.kind == "drill" and glute_bridge.hold_s == 3
    assert squat.channels()[0] == ("Vastus lateralis", "target")
    assert [role for _, role in squat.channels()] == ["target", "synergist", "antagonist", "synergist"]


def test_user_exercise_is_added_and_overrides_a_builtin_field_by_field() -> None:
    path = user_library_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[exercise.hack_squat]\nname = "Hack squat"\nkind = "compound"\nregion = "lower"\n'
        'equipment = "machine"\ntarget = "Vastus medialis"\nprefatigue = "leg_extension"\n\n'
        "[exercise.back_squat]\nrest_s = 240\n",
        encoding="utf-8",
    )
    library = load_library()
    assert library.problems == []
    assert library.get("Hack squat").equipment == "machine"
    assert library.get("back_squat").rest_s == 240
    assert library.get("back_squat").cue_for_set(1) == "Spread the floor"  # the rest of the built-in stays


def test_broken_user_file_names_file_line_and_key_and_builtins_still_load(tmp_path: Path) -> None:
    path = tmp_path / "exercises.toml"
    path.write_text(
        '[exercise.good]\nname = "Good"\nkind = "isolation"\nregion = "upper"\nequipment = "cable"\ntarget = "Pecs"\n\n'
        '[exercise.bad]\nname = "Bad"\nkind = "isolation"\nregion = "upper"\nequipment = "cable"\ntarget = "Lats"\nrest_seconds = 60\n',
        encoding="utf-8",
    )
    library = load_library(path)
    assert len(library.problems) == 1
    assert library.problems[0].startswith(f"{path}:14: exercise.bad: unknown key 'rest_seconds'")
    assert "did you mean 'rest_s'?" in library.problems[0]
    assert "good" in library and "bad" not in library and "back_squat" in library


def test_unparseable_user_file_keeps_every_builtin(tmp_path: Path) -> None:
    path = tmp_path / "exercises.toml"
    path.write_text("[exercise.x\nname = 1\n", encoding="utf-8")
    library = load_library(path)
    assert len(library.problems) == 1 and str(path) in library.problems[0] and "line 1" in library.problems[0]
    assert library.get("back_squat").name == "Back squat"


def test_full_four_phase_session_runs_in_the_guides_order(library) -> None:
    template = builtin_templates(library)["lower"]
    planned = expand(template, SessionOptions(sets_range=(12, 15)), library)
    order = []
    for p in planned:
        if not order or order[-1] != p.workflow_phase:
            order.append(p.workflow_phase)
    assert order == [
        WorkflowPhase.ACTIVATION, WorkflowPhase.PREFATIGUE, WorkflowPhase.COMPOUND, WorkflowPhase.FINISHER,
    ]
    assert 5 * 60 <= activation_seconds(planned) <= 10 * 60
    assert 12 <= working_sets(planned) <= 15
    prefatigue = [p for p in planned if p.workflow_phase is WorkflowPhase.PREFATIGUE]
    assert [p.exercise for p in prefatigue] == ["Leg extension", "Leg extension"]
    assert all(60 <= p.pct_1rm <= 70 and p.rir == (2, 3) for p in prefatigue)
    # "then straight into the compound": the last pre-fatigue rest is short and says so
    assert prefatigue[-1].rest_s == 30 and "back squat" in prefatigue[-1].protocol.phases[-1].cue
    squats = [p for p in planned if p.exercise == "Back squat"]
    assert 3 <= len(squats) <= 5 and all(5 <= p.reps <= 8 and 75 <= p.pct_1rm <= 85 for p in squats)
    assert [p.intent_cue for p in squats[:2]] == ["Spread the floor", "Drive through the quads: knees out"]
    # Phase 3 reps wait for the athlete: no seconds, Space when racked
    assert squats[0].protocol.phases[0].kind is PhaseKind.REPS and squats[0].protocol.phases[0].waits_for_athlete
    assert squats[0].protocol.phases[-1].duration_s == library.get("back_squat").rest_s
    finisher = [p for p in planned if p.workflow_phase is WorkflowPhase.FINISHER]
    hold = next(ph for ph in finisher[0].protocol.phases if ph.kind is PhaseKind.ISOMETRIC)
    assert 10 <= hold.duration_s <= 15
    eccentrics = [ph for ph in finisher[1].protocol.phases if ph.kind is PhaseKind.ECCENTRIC]
    assert eccentrics and all(4 <= ph.duration_s <= 6 for ph in eccentrics)


def test_activation_drills_hold_3s_with_a_visualisation_cue(library) -> None:
    planned = expand(builtin_templates(library)["lower"], SessionOptions(prefatigue=False, heavy=False, finisher=False), library)
    drill = planned[0]
    assert drill.workflow_phase is WorkflowPhase.ACTIVATION and drill.exercise == "Glute bridge, 3 s hold"
    holds = [p for p in drill.protocol.phases if p.kind is PhaseKind.ACTIVATION]
    assert holds and all(p.duration_s == 3 for p in holds)
    assert "Visualise" in holds[0].cue and "not the hamstrings" in holds[0].cue


def test_techniques_contrast_eccentric_only_and_bfr(library) -> None:
    template = builtin_templates(library)["upper"]
    planned = expand(template, SessionOptions(contrast=True, eccentric_only=True, bfr=True), library)
    contrast = next(p for p in planned if p.workflow_phase is WorkflowPhase.CONTRAST)
    kinds = [ph.kind for ph in contrast.protocol.phases if ph.is_work]
    assert kinds[:2] == [PhaseKind.ECCENTRIC, PhaseKind.EXPLOSIVE]
    assert all(3 <= ph.duration_s <= 5 for ph in contrast.protocol.phases if ph.kind is PhaseKind.ECCENTRIC)
    ecc = next(p for p in planned if p.workflow_phase is WorkflowPhase.ECCENTRIC_ONLY)
    assert ecc.pct_1rm == 110 and ecc.needs_spotter and ecc.warning == ECCENTRIC_ONLY_WARNING
    assert ecc.protocol.phases[0].waits_for_athlete and "Spotter" in ecc.protocol.phases[0].cue
    bfr = [p for p in planned if p.bfr]
    assert [p.reps for p in bfr] == [30, 15, 15, 15] and all(20 <= p.pct_1rm <= 30 for p in bfr)


def test_eccentric_only_set_waits_for_the_spotter_before_the_first_rep(library) -> None:
    planned = expand(builtin_templates(library)["upper"], SessionOptions(eccentric_only=True), library)
    ecc = next(p for p in planned if p.workflow_phase is WorkflowPhase.ECCENTRIC_ONLY)
    now = [0.0]
    engine = SetEngine(ecc.protocol, lambda: now[0])
    engine.start()
    now[0] += 60
    engine.tick()
    assert engine.stage is Stage.PHASE and engine.index == 0  # still waiting for the spotter
    events = engine.advance()
    assert any(isinstance(e, PhaseEnded) for e in events) and engine.index == 1


def test_rest_is_skippable_and_moves_15s_either_way(library) -> None:
    squat = expand(builtin_templates(library)["lower"], SessionOptions(activation=False, prefatigue=False, finisher=False), library)[0]
    now = [0.0]
    engine = SetEngine(squat.protocol, lambda: now[0])
    engine.start()
    now[0] += 3
    engine.tick()
    engine.advance()  # racked: the rest starts by itself
    assert engine.current_phase.kind is PhaseKind.REST
    assert engine.view().remaining_s == pytest.approx(180)
    assert engine.adjust_rest(+15) and engine.view().remaining_s == pytest.approx(195)
    assert engine.adjust_rest(-15) and engine.adjust_rest(-15)
    assert engine.view().remaining_s == pytest.approx(165)
    now[0] += 164
    engine.tick()
    assert engine.running
    now[0] += 1
    engine.tick()
    assert engine.stage is Stage.FINISHED
    assert not engine.adjust_rest(15)


def test_template_outside_the_guides_ranges_is_refused_with_its_line(library) -> None:
    text = '[template]\nname = "x"\n[[compound]]\nexercise = "back_squat"\nsets = 4\nreps = 12\n'
    with pytest.raises(TemplateError, match=r"x.toml:6: compound.reps = 12 is outside the guide's 5–8"):
        parse_template(text, "x.toml", library)
    with pytest.raises(TemplateError, match="y.toml:7: compound.pct_1rn: unknown key \\(did you mean 'pct_1rm'\\?\\)"):
        parse_template('[[compound]]\nexercise = "back_squat"\nsets = 4\n\n[[compound]]\nexercise = "bench_press"\npct_1rn = 80\n', "y.toml", library)
    with pytest.raises(TemplateError, match="z.toml:3: compound.sets: must be a positive number, got 'four'"):
        parse_template('[[compound]]\nexercise = "back_squat"\nsets = "four"\n', "z.toml", library)


def test_epley_is_stated_and_one_rep_is_its_own_max() -> None:
    assert epley_1rm(100, 1) == 100
    assert epley_1rm(100, 5) == pytest.approx(116.667, abs=1e-3)


def test_loads_round_to_the_plates_the_gym_has() -> None:
    gym = GymConfig(bar_kg=20, plates_kg=(20, 10, 5, 2.5), plate_pairs=(3, 1, 1, 1))
    load = round_load(93.3, "barbell", gym)
    assert load.kg == 95 and sorted(load.plates_per_side, reverse=True) == [20, 10, 5, 2.5]
    assert round_load(91.25, "barbell", gym).kg == 90  # a tie goes lighter
    assert round_load(500, "barbell", gym).kg == 20 + 2 * (60 + 17.5)  # all the plates there are
    assert round_load(47, "machine", gym).kg == 45
    assert round_load(13.1, "dumbbell", gym).kg == 14


def test_gym_config_file_with_a_typo_names_it_and_keeps_defaults(tmp_path: Path) -> None:
    path = tmp_path / "gym.toml"
    path.write_text("[gym]\nbar_kg = 15\nplate_kgs = [20]\n", encoding="utf-8")
    gym, problems = load_gym_config(path)
    assert gym.bar_kg == 15 and gym.plates_kg == GymConfig().plates_kg
    assert problems == [f"{path}:3: unknown key gym.plate_kgs (did you mean 'plates_kg'?)"]


def test_load_suggestions_from_a_seeded_log(tmp_path: Path, library) -> None:
    store = Store(tmp_path / "log.db")
    athlete = store.ensure_athlete()
    today = dt.date(2026, 3, 2)
    log_session(store, athlete, today - dt.timedelta(days=7), [
        {"exercise": "Back squat", "load_kg": 100.0, "reps": 5, "activation_rating": 7},
        {"exercise": "Back squat", "load_kg": 105.0, "reps": 3, "activation_rating": 8},
    ])
    log_session(store, athlete, today - dt.timedelta(days=3), [
        {"exercise": "Back squat", "load_kg": 110.0, "reps": 4, "activation_rating": 8},
        {"exercise": "Back squat", "load_kg": 110.0, "reps": 4, "activation_rating": 9},
        {"exercise": "Leg extension", "load_kg": 50.0, "reps": 12},
    ])
    # An old one-rep max from a year ago does not outweigh recent training.
    log_session(store, athlete, today - dt.timedelta(days=400), [{"exercise": "Back squat", "load_kg": 160.0, "reps": 1}])
    one_rm = estimate_1rm(store, athlete, "Back squat", today)
    assert one_rm.kg == pytest.approx(124.7, abs=0.05) and (one_rm.from_load_kg, one_rm.from_reps) == (110.0, 4)
    assert "Epley" in one_rm.formula
    log_session(store, athlete, today, [{"exercise": "Back squat", "load_kg": 90.0, "reps": 6}])  # today's own set
    last = last_time(store, athlete, "Back squat", today)
    assert last.on == (today - dt.timedelta(days=3)).isoformat()
    assert last.sets == ((110.0, 4, 8), (110.0, 4, 9))
    assert last.describe() == f"Last time ({last.on}): 110×4 (8/10), 110×4 (9/10)"

    book = load_book(store, athlete, ["Back squat", "Leg extension"], GymConfig(), today)
    planned = expand(builtin_templates(library)["lower"], SessionOptions(activation=False, finisher=False), library, book)
    squat = next(p for p in planned if p.exercise == "Back squat")
    assert squat.pct_1rm == 80 and squat.load.kg == 100.0  # 0.8 × 124.7 = 99.7 → 100 on 20 kg + plates
    assert squat.headline().startswith("Back squat · set 1 of 4 · 6 reps · 100 kg (80 %) · Spread the floor")
    leg_ext = next(p for p in planned if p.exercise == "Leg extension")
    assert leg_ext.load.kg == 45  # 65 % of 70 kg (50 × 12 by Epley) on a 5 kg stack
    same = squat.same_as_last_time(last)
    assert (same.load.kg, same.reps, same.note) == (110.0, 4, "same as last time")
    store.close()


def test_without_a_1rm_last_time_is_offered_and_without_history_rir_decides(library) -> None:
    planned = expand(builtin_templates(library)["lower"], SessionOptions(activation=False), library, LoadBook())
    squat = next(p for p in planned if p.exercise == "Back squat")
    assert squat.load is None and "reps in reserve" in squat.note


def test_a_users_day_template_replaces_the_builtin_and_a_broken_one_is_reported(library) -> None:
    from gymtui.session.templates import load_templates, user_template_dir

    folder = user_template_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "my_legs.toml").write_text(
        '[template]\nname = "My legs"\nfocus = "lower"\n\n[[compound]]\nexercise = "hip_thrust"\nsets = 3\nreps = 8\npct_1rm = 75\n',
        encoding="utf-8",
    )
    (folder / "broken.toml").write_text('[template]\nfocus = "upper"\n[[compound]]\nexercise = "bench_press"\nreps = 20\n', encoding="utf-8")
    templates, problems = load_templates(library)
    assert templates["lower"].name == "My legs"
    assert templates["upper"].name == "Upper body"  # the built-in survives the broken file
    assert problems == [f"{folder / 'broken.toml'}:5: compound.reps = 20 is outside the guide's 5–8"]
    planned = expand(templates["lower"], SessionOptions(activation=False, prefatigue=False, finisher=False), library)
    assert [p.exercise for p in planned] == ["Hip thrust"] * 3
