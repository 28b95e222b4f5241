"""The exercise library's live-biofeedback rules: parsed from TOML, checked, overridable."""

from __future__ import annotations

from pathlib import Path

import pytest

from gymtui.model import Compensator, FormRules
from gymtui.session.exercises import BUILTIN_EXERCISES, load_library, parse_library


def user_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "exercises.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_guides_examples_are_in_the_library() -> None:
    lib = load_library(Path("/nonexistent"))
    assert lib.get("lateral_raise").form.compensators == (Compensator("Upper trapezius", "Lower the shoulder, lead with the elbow"),)
    pulldown = lib.get("lat_pulldown")
    assert (pulldown.target, pulldown.synergists, pulldown.antagonist) == (
        "Latissimus dorsi",
        ("Biceps brachii", "Posterior deltoid"),
        "Triceps brachii",
    )
    assert pulldown.form.compensators[0] == Compensator("Biceps brachii", "Hands as hooks, elbows to the pockets")
    assert lib.match("Lat Pulldown (Cable)") is pulldown
    assert lib.get("glute_bridge_hold").form.compensators == (
        Compensator("Biceps femoris", "Feet closer, drive through the heels"),
    )
    assert lib.problems == []


def test_every_compensator_is_on_one_of_the_exercises_channels() -> None:
    """A compensator not on a channel could never cue: the sensor would not see it."""
    for ex in load_library(Path("/nonexistent")):
        on_channels = {m.casefold() for m, _role in ex.channels()}
        for comp in ex.form.compensators:
            assert comp.muscle.casefold() in on_channels, (ex.key, comp.muscle)


def test_all_the_form_keys_parse(tmp_path: Path) -> None:
    path = user_file(
        tmp_path,
        """
[exercise.lat_pulldown]
compensators = [{ muscle = "posterior deltoid", correction = "Elbows down, not back" }]
correction = "Lats first"
min_target_share = 0.4
clear_target_share = 0.48
cue_dwell_s = 0.5
antagonist_max_pct = 35
antagonist_clear_pct = 20
antagonist_cue = "Soft triceps"
""",
    )
    lib = load_library(path)
    assert lib.problems == []
    assert lib.get("lat_pulldown").form == FormRules(
        compensators=(Compensator("posterior deltoid", "Elbows down, not back"),),
        correction="Lats first",
        min_target_share=0.4,
        clear_target_share=0.48,
        dwell_s=0.5,
        antagonist_max_pct=35.0,
        antagonist_clear_pct=20.0,
        antagonist_correction="Soft triceps",
    )


def test_an_override_keeps_the_builtin_rules_it_does_not_name(tmp_path: Path) -> None:
    lib = load_library(user_file(tmp_path, "[exercise.lat_pulldown]\ncue_dwell_s = 0.6\n"))
    form = lib.get("lat_pulldown").form
    assert form.dwell_s == 0.6
    assert form.compensators[0].correction == "Hands as hooks, elbows to the pockets"
    assert form.correction == "Pull with the lats: elbows down to the pockets"


def test_an_exercise_without_rules_gets_the_defaults() -> None:
    assert load_library(Path("/nonexistent")).get("leg_extension").form == FormRules()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("min_target_share = 1.5", "3: exercise.lat_pulldown.min_target_share must be a number from 0.05 to 0.95, got 1.5"),
        ("cue_dwell_s = 0", "3: exercise.lat_pulldown.cue_dwell_s must be a number from 0.05 to 5, got 0"),
        ("antagonist_max_pct = 300", "3: exercise.lat_pulldown.antagonist_max_pct must be a number from 1 to 100, got 300"),
        (
            "min_target_share = 0.5\nclear_target_share = 0.4",
            ("4: exercise.lat_pulldown.clear_target_share must be at least min_target_share (0.5):"
            " the cue clears above where it fires"),
        ),
        (
            "antagonist_clear_pct = 40",
            ("3: exercise.lat_pulldown.antagonist_clear_pct must be at most antagonist_max_pct (20):"
            " the cue clears below where it fires"),
        ),
        (
            'compensators = [{ muscle = "Upper trapezius", correction = "Shoulders down" }]',
            ("3: exercise.lat_pulldown.compensators names 'Upper trapezius', which is not among this exercise's"
            " muscles: add it to synergists"),
        ),
        (
            'compensators = [{ muscle = "Latissimus dorsi", correction = "x" }]',
            "3: exercise.lat_pulldown.compensators names the target 'Latissimus dorsi': a compensator is another muscle",
        ),
    ],
)
def test_a_bad_form_value_is_one_problem_line_and_the_builtin_stays(tmp_path: Path, body: str, problem: str) -> None:
    path = user_file(tmp_path, f"\n[exercise.lat_pulldown]\n{body}\n")
    lib = load_library(path)
    assert len(lib.problems) == 1
    assert lib.problems[0].startswith(f"{path}:")
    assert lib.problems[0][len(str(path)) + 1 :].startswith(problem), lib.problems[0]
    assert lib.get("lat_pulldown").form.min_target_share == 0.45  # the built-in stands


def test_a_compensator_needs_both_keys(tmp_path: Path) -> None:
    lib = load_library(user_file(tmp_path, '[exercise.lat_pulldown]\ncompensators = [{ muscle = "Biceps brachii" }]\n'))
    assert len(lib.problems) == 1 and "correction" in lib.problems[0]


def test_the_builtin_file_documents_every_form_key() -> None:
    header = BUILTIN_EXERCISES.read_text(encoding="utf-8").split("\n[exercise.", 1)[0]
    for key in ("compensators", "correction", "min_target_share", "clear_target_share", "cue_dwell_s",
                "antagonist_max_pct", "antagonist_clear_pct", "antagonist_cue"):
        assert f"\n#   {key} " in header, key
    parse_library(BUILTIN_EXERCISES.read_text(encoding="utf-8"), "builtin")  # strict: raises on a problem
