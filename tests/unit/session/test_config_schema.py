"""msgspec's ``$.path`` errors become the line, the key and the value in the user's TOML file."""

from __future__ import annotations

import tomllib
from typing import Annotated, Literal

import msgspec
import pytest

from gymtui.session.config_schema import (
    KeyLines,
    SchemaProblem,
    check,
    dotted,
    parse_path,
)


class Lift(msgspec.Struct, forbid_unknown_fields=True):
    exercise: str
    sets: Annotated[int, msgspec.Meta(ge=1, le=10)] = 3
    pct_1rm: Annotated[float, msgspec.Meta(ge=1, le=120)] | None = None
    tempo: Literal["slow", "fast"] = "slow"


class Stream(msgspec.Struct, forbid_unknown_fields=True):
    rate_hz: Annotated[float, msgspec.Meta(gt=0, le=100_000)]
    channels: Annotated[list[str], msgspec.Meta(min_length=1, max_length=3, extra={"items": "channel labels"})]


class Day(msgspec.Struct, forbid_unknown_fields=True):
    compound: list[Lift] = []
    stream: Stream | None = None
    rir: tuple[int, int] = (1, 3)


def problem(text: str) -> SchemaProblem:
    with pytest.raises(SchemaProblem) as caught:
        check(tomllib.loads(text), Day, KeyLines(text))
    return caught.value


def test_a_wrong_type_in_the_second_array_table_names_its_line_key_and_value() -> None:
    text = '[[compound]]\nexercise = "squat"\n\n[[compound]]\nexercise = "press"\nsets = "four"\n'
    found = problem(text)
    assert (found.line, found.key, found.problem) == (6, "compound[2].sets", "must be a positive number, got 'four'")
    assert found.path == ("compound", 1, "sets")


def test_a_number_out_of_range_in_a_nested_table_is_bounded_both_ways() -> None:
    text = '[stream]\nchannels = ["a"]\nrate_hz = 0\n'
    found = problem(text)
    assert (found.line, found.key, found.problem) == (3, "stream.rate_hz", "must be a positive number of at most 100000, got 0")


def test_nan_is_not_a_number_in_range() -> None:
    found = problem('[[compound]]\nexercise = "squat"\npct_1rm = nan\n')
    assert (found.line, found.key, found.problem) == (3, "compound[1].pct_1rm", "must be a number from 1 to 120, got nan")


def test_an_unknown_key_points_at_its_own_line_and_suggests_the_nearest() -> None:
    text = '[[compound]]\nexercise = "squat"\nsetz = 4\n'
    found = problem(text)
    assert (found.line, found.key, found.problem) == (3, "compound[1].setz", "unknown key (did you mean 'sets'?)")


def test_an_unknown_table_points_at_its_header() -> None:
    found = problem('rir = [1, 2]\n\n[strem]\nrate_hz = 5\n')
    assert (found.line, found.key, found.problem) == (3, "strem", "unknown key (did you mean 'stream'?)")


def test_a_missing_key_points_at_its_table() -> None:
    found = problem('[[compound]]\nsets = 4\n[[compound]]\nsets = 3\n')
    assert (found.line, found.key, found.problem) == (1, "compound[1].exercise", "missing")


def test_an_item_of_an_inline_array_takes_its_keys_line_and_counts_from_one() -> None:
    found = problem('[stream]\nrate_hz = 200\nchannels = [\n  "a",\n  7,\n]\n')
    assert (found.line, found.key, found.problem) == (3, "stream.channels[2]", "must be text, got 7")


def test_too_long_a_list_says_how_many_of_what() -> None:
    found = problem('[stream]\nrate_hz = 200\nchannels = ["a", "b", "c", "d"]\n')
    assert (found.line, found.problem) == (3, "lists 4 channel labels; at most 3")


def test_a_word_outside_the_choices_lists_them_and_suggests() -> None:
    found = problem('[[compound]]\nexercise = "squat"\ntempo = "fats"\n')
    assert found.problem == "must be one of fast, slow (did you mean 'fast'?), got 'fats'"


def test_a_table_where_a_list_of_tables_belongs() -> None:
    found = problem('[compound]\nexercise = "squat"\n')
    assert (found.line, found.key, found.problem) == (1, "compound", "must be a list of entries, got {'exercise': 'squat'}")


def test_a_pair_of_the_wrong_length() -> None:
    found = problem('rir = [2]\n')
    assert (found.line, found.key, found.problem) == (1, "rir", "must be a list of 2, got [2]")


class Reserve(msgspec.Struct):
    rir: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=10)]],
        msgspec.Meta(min_length=2, max_length=2, extra={"wanted": "must be [fewest, most] from 0 to 10"}),
    ]


def test_a_value_the_schema_words_as_a_whole_is_reported_whole() -> None:
    text = "rir = [\n  2,\n  11,\n]\n"
    with pytest.raises(SchemaProblem) as caught:
        check(tomllib.loads(text), Reserve, KeyLines(text))
    found = caught.value
    assert (found.line, found.key, found.problem) == (1, "rir", "must be [fewest, most] from 0 to 10, got [2, 11]")


def test_true_is_not_one() -> None:
    found = problem('[[compound]]\nexercise = "squat"\nsets = true\n')
    assert found.problem == "must be a positive number, got True"


def test_keys_inside_multiline_strings_and_arrays_are_not_mistaken_for_keys() -> None:
    text = (
        'note = """\nsets = 1\n[[compound]]\n"""\n'
        "other = [\n  1, # sets = 2\n]\n"
        "[[compound]]\n"
        'exercise = "squat"  # the first real one\n'
        "sets = 0\n"
    )
    lines = KeyLines(text)
    assert lines.line_of(("compound", 0, "sets")) == 10
    assert lines.line_of(("compound", 0)) == 8
    assert lines.line_of(("sets",)) is None
    assert lines.line_of(("note",)) == 1


def test_quoted_and_dotted_keys_and_nested_arrays_of_tables() -> None:
    text = (
        '[exercise."my squat"]\nname = "x"\n'
        "[exercise.press]\nstream.rate_hz = 5\n"
        "[[day]]\n[[day.lift]]\nsets = 1\n[[day.lift]]\nsets = 2\n"
        "[[day]]\n[[day.lift]]\nsets = 3\n"
    )
    lines = KeyLines(text)
    assert lines.line_of(("exercise", "my squat", "name")) == 2
    assert lines.line_of(("exercise", "press", "stream", "rate_hz")) == 4
    assert lines.line_of(("exercise", "press", "stream")) == 4
    assert lines.line_of(("day", 0, "lift", 1, "sets")) == 9
    assert lines.line_of(("day", 1, "lift", 0, "sets")) == 12
    assert lines.line_of(("day", 1, "lift", 0)) == 11


def test_a_prefix_places_a_problem_found_in_part_of_the_file() -> None:
    text = '[exercise.squat]\nname = "Squat"\n\n[exercise.press]\ntempo = "slow"\nsets = 99\n'
    with pytest.raises(SchemaProblem) as caught:
        check({"tempo": "slow"}, Lift, KeyLines(text), ("exercise", "press"))
    assert (caught.value.line, caught.value.key) == (4, "exercise.press.exercise")
    with pytest.raises(SchemaProblem) as caught:
        check({"exercise": "x", "sets": 99}, Lift, KeyLines(text), ("exercise", "press"))
    assert (caught.value.line, caught.value.key) == (6, "exercise.press.sets")


def test_paths_and_dotted_keys() -> None:
    assert parse_path(".compound[1].sets") == ("compound", 1, "sets")
    assert parse_path(".exercise[...].rest_s") == ("exercise",)
    assert dotted(("gym", "plates_kg", 0)) == "gym.plates_kg[1]"


# -- the loaders ------------------------------------------------------------------------------------


def test_gym_file_with_an_unknown_key_and_a_bad_step_keeps_the_rest(tmp_path) -> None:
    from gymtui.session.loads import GymConfig, load_gym_config

    path = tmp_path / "gym.toml"
    path.write_text("[gym]\nbar_kx = 15\nbar_kg = 15\ncable_step_kg = true\nplates_kg = [20, 10]\nplate_pairs = [3, 2]\n")
    gym, problems = load_gym_config(path)
    assert problems == [
        f"{path}:2: unknown key gym.bar_kx (did you mean 'bar_kg'?)",
        f"{path}:4: gym.cable_step_kg must be a positive number, got True; using 2.5",
    ]
    assert gym == GymConfig(bar_kg=15.0, plates_kg=(20.0, 10.0), plate_pairs=(3, 2))


def test_exercise_file_problems_name_the_line_of_the_entry_and_the_rest_loads(tmp_path) -> None:
    from gymtui.session.exercises import load_library

    path = tmp_path / "exercises.toml"
    path.write_text(
        '[exercise."hack squat"]\nname = "Hack squat"\nkind = "compund"\nregion = "lower"\n'
        'equipment = "machine"\ntarget = "Quads"\n\n'
        '[exercise.fly]\nname = "Fly"\nkind = "isolation"\nregion = "upper"\nequipment = "cable"\n\n'
        '[exercise.back_squat]\nrest_s = 240\n'
    )
    library = load_library(path)
    assert library.problems == [
        f"{path}:3: exercise.hack squat.kind must be one of compound, drill, isolation (did you mean 'compound'?), got 'compund'",
        f"{path}:8: exercise.fly lacks target",
    ]
    assert "hack squat" not in library and "fly" not in library
    assert library.get("back_squat").rest_s == 240


def test_an_exercise_file_with_a_stray_table_says_which(tmp_path) -> None:
    from gymtui.session.exercises import load_library

    path = tmp_path / "exercises.toml"
    path.write_text('[exercise.back_squat]\nrest_s = 200\n\n[exercises.fly]\nname = "Fly"\n')
    library = load_library(path)
    assert library.problems == [f"{path}:4: unknown table 'exercises' (did you mean 'exercise'?)"]
    assert library.get("back_squat").rest_s == 180


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[[compound]]\nexercise = "back_squat"\n[warmup]\nsets = 2\n', "6: unknown section 'warmup'"),
        ('[[compound]]\nexercise = "back_squat"\n[[compound]]\nexercise = "back_squat"\ntempo = 3\n',
         "8: compound.tempo: must be text, got 3"),
        ('[[compound]]\nexercise = "back_squat"\n[prefatigue]\nrir = [3, 1]\n',
         "7: prefatigue.rir: must be two whole numbers [fewest, most] from 0 to 10, got [3, 1]"),
        ('[[compound]]\nexercise = "back_squat"\n[activation]\ndrills = ["quad_set", "quad_sett"]\n',
         "7: activation.drills: unknown exercise 'quad_sett'"),
        ("[[compound]]\nexercise = \"back_squat\"\n" * 11, "4: compound lists 11 lifts; at most 10"),
    ],
)
def test_template_problems_say_line_section_and_key(tmp_path, body: str, problem: str) -> None:
    from gymtui.session.exercises import load_library
    from gymtui.session.templates import load_templates

    folder = tmp_path / "templates"
    folder.mkdir()
    path = folder / "legs.toml"
    path.write_text('[template]\nname = "My legs"\nfocus = "lower"\n' + body)
    templates, problems = load_templates(load_library(), folder)
    assert problems == [f"{path}:{problem}"]
    assert templates["lower"].name == "Lower body"


def test_a_paired_device_with_a_bad_firmware_names_its_line_and_pairs_nothing(tmp_path) -> None:
    from gymtui.adapters.pairing import PairedDevices

    path = tmp_path / "paired.toml"
    path.write_text(
        '[[device]]\naddress = "E0:5A:00:00:00:01"\nprofile = "myo"\n\n'
        '[[device]]\naddress = "E0:5A:00:00:00:02"\nprofile = "myo"\nfirmware = "2"\n'
    )
    registry = PairedDevices.load(path)
    assert len(registry) == 0
    assert registry.problem == f"{path}:8: device 2: key 'firmware' must be a number"


def test_a_cuff_profile_above_the_ceiling_names_table_key_and_line(tmp_path) -> None:
    import repo_paths

    from gymtui.bfr.profile import load_cuff_profile
    from gymtui.device_api import AdapterError

    text = (repo_paths.REPO_ROOT / "devices" / "cuff-open.toml").read_text(encoding="utf-8")
    path = tmp_path / "cuff.toml"
    path.write_text(text.replace("max_mmhg = 300.0", "max_mmhg = 900.0"), encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("max_mmhg"))
    with pytest.raises(AdapterError) as caught:
        load_cuff_profile(path)
    assert str(caught.value) == f"cuff profile {path}: [pressure] max_mmhg must be a positive number of at most 400, got 900.0 (line {line})"
    path.write_text(text.replace('link_loss = "deflate"', ""), encoding="utf-8")
    with pytest.raises(AdapterError, match=r"\[watchdog\] link_loss missing \(line \d+\)"):
        load_cuff_profile(path)


def test_a_device_profile_with_a_misspelt_or_missing_keepalive_interval_names_the_line(tmp_path) -> None:
    from gymtui.adapters.profiles import devices_dir, load_profiles

    text = (devices_dir() / "myo.toml").read_text(encoding="utf-8")
    path = tmp_path / "myo.toml"
    path.write_text(text.replace("interval_s = 10.0", "interval = 10.0"), encoding="utf-8")
    (error,) = load_profiles([tmp_path]).errors
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("interval_s"))
    assert str(error) == f"{path}:{line}: key 'keepalive.interval': unknown key (did you mean 'interval_s'?)"
    path.write_text(text.replace("interval_s = 10.0", ""), encoding="utf-8")
    (error,) = load_profiles([tmp_path]).errors
    header = next(n for n, t in enumerate(text.splitlines(), 1) if t == "[keepalive]")
    assert str(error) == f"{path}:{header}: key 'keepalive.interval_s': missing"


def test_a_protocol_phase_of_an_unknown_kind_lists_the_kinds_and_names_its_line() -> None:
    from gymtui.session.protocol import ProtocolError, parse_protocol

    text = '[protocol]\nname = "x"\n\n[[phase]]\nkind = "rest"\nseconds = 5\n\n[[phase]]\nkind = "isometrc"\n'
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "p.toml")
    assert str(caught.value).startswith("p.toml:9: phase[2].kind: must be one of ")
    assert "(did you mean 'isometric'?), got 'isometrc'" in str(caught.value)
    with pytest.raises(ProtocolError, match=r"^p.toml:6: phase\[1\].seconds: must be a positive number, got -1$"):
        parse_protocol(text.replace("seconds = 5", "seconds = -1"), "p.toml")
