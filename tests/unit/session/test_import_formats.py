"""Strong and Hevy exports read into workouts: every format, unit, set type and date style, and rows that cannot be read."""

from __future__ import annotations

import datetime as dt

import pytest
import repo_paths

from gymtui.session import import_formats as fmt
from gymtui.session.exercises import load_library, parse_library

DATA = repo_paths.TESTS_DIR / "data" / "imports"
LB = 0.45359237


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def sets_of(parsed: fmt.ParsedFile) -> list[tuple[str, str, float | None, int | None, int | None]]:
    return [(s.exercise, s.set_type, s.load_kg, s.reps, s.rir) for w in parsed.workouts for s in w.sets]


def test_strong_current_format_in_kg_with_warmup_failure_drop_set_rest_timer_and_a_bad_row() -> None:
    parsed = fmt.parse_strong(read("strong_current_kg.csv"), unit="kg")
    assert [(w.title, w.started_at, w.ended_at) for w in parsed.workouts] == [
        ("Leg day", dt.datetime(2024, 11, 28, 17, 36, 8), dt.datetime(2024, 11, 28, 18, 41, 8)),
        ("Upper A", dt.datetime(2024, 12, 2, 8, 5, 40), dt.datetime(2024, 12, 2, 8, 50, 40)),
    ]
    assert sets_of(parsed) == [
        ("Squat (Barbell)", "warmup", 60.0, 5, None),
        ("Squat (Barbell)", "normal", 100.0, 5, 2),
        ("Squat (Barbell)", "normal", 100.0, 5, 1),  # RPE 8.5: one rep left, not two
        ("Squat (Barbell)", "failure", 100.0, 3, 0),
        ("Leg Extension (Machine)", "normal", 45.0, 12, None),
        ("Leg Extension (Machine)", "dropset", 35.0, 8, None),
        ("Bench Press (Barbell)", "normal", 80.0, 6, None),
        ("Zercher Carry", "normal", 70.0, None, None),  # 0 reps on a distance set: none counted
    ]
    assert [s.position for s in parsed.workouts[0].sets] == [1, 2, 3, 4, 1, 2]
    assert parsed.workouts[0].notes == "Felt strong"
    assert parsed.workouts[1].sets[0].notes == "pause at the chest"
    assert parsed.rest_timers == 1
    assert [p.describe() for p in parsed.problems] == ["line 9: weight 'heavy' is not a number"]


def test_strong_current_format_in_pounds_converts_exactly() -> None:
    parsed = fmt.parse_strong(read("strong_current_kg.csv"), unit="lb")
    assert parsed.workouts[0].sets[1].load_kg == 100 * LB


def test_strong_old_semicolon_format_reads_each_rows_unit_and_comma_decimals() -> None:
    parsed = fmt.parse_strong(read("strong_old_semicolon.csv"), unit="kg")
    (workout,) = parsed.workouts
    assert (workout.title, workout.started_at, workout.ended_at) == (
        "Leg", dt.datetime(2019, 1, 11, 12, 31, 54), dt.datetime(2019, 1, 11, 13, 16, 54),
    )
    assert sets_of(parsed) == [
        ("Deadlift (Barbell)", "normal", 225 * LB, 5, None),
        ("Squat (Barbell)", "normal", 135 * LB, 5, None),
        ("Squat (Barbell)", "normal", 102.5, 4, 1),
    ]
    assert parsed.problems == []


def test_strong_twelve_hour_dates_with_a_narrow_space() -> None:
    text = (
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n"
        "2024-11-28 5:36:08\u202fPM,Evening,30m,Squat (Barbell),1,100,5,0,0,,,\n"
    )
    assert fmt.parse_strong(text).workouts[0].started_at == dt.datetime(2024, 11, 28, 17, 36, 8)


def test_hevy_in_kg_with_every_set_type_and_a_bad_set_type() -> None:
    parsed = fmt.parse_hevy(read("hevy_kg.csv"))
    (workout,) = parsed.workouts
    assert (workout.title, workout.started_at, workout.ended_at) == (
        "Push", dt.datetime(2025, 9, 15, 7, 48), dt.datetime(2025, 9, 15, 8, 52),
    )
    assert sets_of(parsed) == [
        ("Bench Press (Barbell)", "warmup", 40.0, 10, None),
        ("Bench Press (Barbell)", "normal", 82.5, 6, 2),
        ("Bench Press (Barbell)", "failure", 82.5, 4, 0),
        ("Bench Press (Barbell)", "dropset", 60.0, 8, None),
        ("Landmine Press", "normal", 30.0, 10, None),
    ]
    assert [p.describe() for p in parsed.problems] == [
        "line 6: set_type 'superdrop' is not one of normal, warmup, failure, dropset"
    ]


def test_hevy_in_pounds_with_us_dates() -> None:
    parsed = fmt.parse_hevy(read("hevy_lbs_us_dates.csv"))
    (workout,) = parsed.workouts
    assert (workout.started_at, workout.ended_at, workout.notes) == (
        dt.datetime(2024, 1, 1, 10, 0), dt.datetime(2024, 1, 1, 11, 5), "New year",
    )
    assert sets_of(parsed) == [
        ("Squat (Barbell)", "warmup", 135 * LB, 5, None),
        ("Squat (Barbell)", "normal", 225 * LB, 5, 3),
        ("Squat (Barbell)", "normal", 225 * LB, 5, None),
    ]


@pytest.mark.parametrize("source", ["strong", "hevy"])
@pytest.mark.parametrize("text", ["", "name,email\nAna,ana@example.com\n", "just some words\n"])
def test_a_file_that_is_not_an_export_says_so_in_one_sentence(source: str, text: str) -> None:
    with pytest.raises(fmt.NotAnExport) as raised:
        fmt.parse(source, text)
    assert "\n" not in str(raised.value)


def test_names_from_a_file_are_made_printable() -> None:
    text = (
        '"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes",'
        '"set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"\n'
        '"Push\x1b]0;pwned\x07","15 Sep 2025, 07:48","","","Curl\x1b[2J",,"",0,"normal",10,10,,,\n'
    )
    parsed = fmt.parse_hevy(text)
    assert parsed.workouts[0].title == "Push\ufffd]0;pwned\ufffd"
    assert parsed.workouts[0].sets[0].exercise == "Curl\ufffd[2J"


def test_the_same_set_has_the_same_fingerprint_in_a_later_export_with_more_rows() -> None:
    text = read("hevy_kg.csv")
    header, rows = text.split("\n", 1)
    later = header + "\n" + '"Pull","16 Sep 2025, 07:00","","","Pull Up",,"",0,"normal",0,8,,,\n' + rows

    def prints(parsed: fmt.ParsedFile) -> set[str]:
        return {w.fingerprint("hevy", s) for w in parsed.workouts for s in w.sets}

    assert len(prints(fmt.parse_hevy(text))) == 5
    assert prints(fmt.parse_hevy(text)) < prints(fmt.parse_hevy(later))


def test_the_library_maps_other_apps_names_through_aliases_and_the_users_file_adds_its_own() -> None:
    library = load_library()
    assert library.match("Squat (Barbell)").name == "Back squat"  # type: ignore[union-attr]
    assert library.match("  bench press (BARBELL) ").name == "Bench press"  # type: ignore[union-attr]
    assert library.match("Zercher Carry") is None
    mine = parse_library('[exercise.back_squat]\naliases = ["Kniebeuge"]\n', "mine.toml", library.exercises, strict=False)
    assert mine.problems == [] and mine.match("kniebeuge").key == "back_squat"  # type: ignore[union-attr]
    bad = parse_library('[exercise.back_squat]\naliases = "Kniebeuge"\n', "mine.toml", library.exercises, strict=False)
    assert len(bad.problems) == 1 and "aliases" in bad.problems[0] and "mine.toml:2" in bad.problems[0]
