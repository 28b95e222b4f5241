"""Imported workouts in a real database: what each set row holds, warm-ups kept out of the 1RM, nothing added twice."""

from __future__ import annotations

from pathlib import Path

import repo_paths

from gymtui.commands.import_history import to_store
from gymtui.session import import_formats as fmt
from gymtui.session.exercises import load_library
from gymtui.session.loads import estimate_1rm
from gymtui.store import Store

DATA = repo_paths.TESTS_DIR / "data" / "imports"


def parsed(name: str, source: str = "strong") -> fmt.ParsedFile:
    return fmt.parse(source, (DATA / name).read_text(encoding="utf-8"), unit="kg")


def test_each_set_is_a_completed_imported_row_with_its_type_in_one_session_per_workout(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete("Sam")
    workouts, unknown = to_store(parsed("strong_current_kg.csv"), load_library(), "strong")
    counts = store.import_workouts(athlete, "strong", workouts, unknown)
    assert (counts.workouts, counts.sets, counts.warmups, counts.already_there, counts.exercises_created) == (
        2, 8, 1, 0, ["Zercher Carry"],
    )
    rows = store.conn.execute(
        "SELECT se.template, s.exercise, s.set_number, s.set_type, s.source, s.load_kg, s.reps, s.rir, s.status, "
        "s.load_source, s.peak_pct_mvc, (SELECT count(*) FROM phases p WHERE p.set_id = s.id) "
        "FROM sets s JOIN sessions se ON se.id = s.session_id ORDER BY s.id"
    ).fetchall()
    assert rows == [
        ("Leg day", "Back squat", 1, "warmup", "strong", 60.0, 5, None, "completed", "imported", None, 0),
        ("Leg day", "Back squat", 2, "normal", "strong", 100.0, 5, 2, "completed", "imported", None, 0),
        ("Leg day", "Back squat", 3, "normal", "strong", 100.0, 5, 1, "completed", "imported", None, 0),
        ("Leg day", "Back squat", 4, "failure", "strong", 100.0, 3, 0, "completed", "imported", None, 0),
        ("Leg day", "Leg extension", 1, "normal", "strong", 45.0, 12, None, "completed", "imported", None, 0),
        ("Leg day", "Leg extension", 2, "dropset", "strong", 35.0, 8, None, "completed", "imported", None, 0),
        ("Upper A", "Bench press", 1, "normal", "strong", 80.0, 6, None, "completed", "imported", None, 0),
        ("Upper A", "Zercher Carry", 1, "normal", "strong", 70.0, None, None, "completed", "imported", None, 0),
    ]
    assert store.imported_exercises() == ["Zercher Carry"]
    store.close()


def test_warmups_never_feed_the_1rm(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete("Sam")
    text = (
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n"
        "2024-11-28 17:36:08,Legs,1h,Squat (Barbell),W,120,5,0,0,,,\n"  # a mislabelled "warm-up": e1RM 140
        "2024-11-28 17:36:08,Legs,1h,Squat (Barbell),1,100,5,0,0,,,\n"
    )
    workouts, unknown = to_store(fmt.parse_strong(text), load_library(), "strong")
    store.import_workouts(athlete, "strong", workouts, unknown)
    loaded = store.loaded_sets(athlete, "Back squat")
    assert [(r["load_kg"], r["reps"]) for r in loaded] == [(100.0, 5)]
    assert estimate_1rm(loaded, "Back squat").kg == 116.7  # type: ignore[union-attr]
    assert [r["load_kg"] for r in store.last_session_sets(athlete, "Back squat")] == [100.0]
    store.close()


def test_importing_again_adds_nothing_and_a_longer_export_adds_only_its_new_sets_to_their_workout(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete("Sam")
    library = load_library()
    text = (DATA / "hevy_kg.csv").read_text(encoding="utf-8")
    first = store.import_workouts(athlete, "hevy", *to_store(fmt.parse_hevy(text), library, "hevy"))
    again = store.import_workouts(athlete, "hevy", *to_store(fmt.parse_hevy(text), library, "hevy"))
    assert (first.sets, again.sets, again.workouts, again.already_there) == (5, 0, 0, 5)
    longer = text + '"Push","15 Sep 2025, 07:48","15 Sep 2025, 08:52","","Landmine Press",,"",1,"normal",30,9,,,\n'
    more = store.import_workouts(athlete, "hevy", *to_store(fmt.parse_hevy(longer), library, "hevy"))
    assert (more.sets, more.already_there, more.exercises_created) == (1, 5, [])
    sessions = store.conn.execute("SELECT DISTINCT session_id FROM sets").fetchall()
    assert len(sessions) == 1  # the new set joined its workout's session
    other = store.ensure_athlete("Kim")  # the same file is someone else's history too
    assert store.import_workouts(other, "hevy", *to_store(fmt.parse_hevy(text), library, "hevy")).sets == 5
    store.close()
