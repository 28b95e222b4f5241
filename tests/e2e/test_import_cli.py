"""``gymtui import strong|hevy FILE`` run as a user runs it: the summary, the bad row's line, a second run, then the plan's loads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import repo_paths

REPO_ROOT = repo_paths.REPO_ROOT
DATA = repo_paths.TESTS_DIR / "data" / "imports"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
        env={**os.environ}, stdin=subprocess.DEVNULL,
    )


def summary(out: str) -> list[str]:
    """The summary's lines without the first (which says how long it took)."""
    return [line for line in out.splitlines()[1:]]


def test_strong_import_reports_the_bad_row_goes_on_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    first = run_cli("--db", str(db), "import", "strong", str(DATA / "strong_current_kg.csv"), "--unit", "kg", "--athlete", "Sam")
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines() == ["gymtui import: strong_current_kg.csv: line 9: weight 'heavy' is not a number"]
    assert first.stdout.splitlines()[0].startswith("Imported from Strong for Sam in ")
    assert summary(first.stdout) == [
        "  workouts: 2",
        "  sets: 8 (warm-ups: 1)",
        "  new exercises (not in the library): 1: Zercher Carry",
        "  rows skipped: 1 unreadable, 1 rest timers",
    ]
    again = run_cli("--db", str(db), "import", "strong", str(DATA / "strong_current_kg.csv"), "--unit", "kg")
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout) == [
        "  workouts: 0",
        "  sets: 0 (warm-ups: 0)",
        "  already imported, not added again: 8 sets",
        "  new exercises (not in the library): 0: none",
        "  rows skipped: 1 unreadable, 1 rest timers",
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT session_id) FROM sets").fetchone() == (8, 2)
        assert conn.execute("SELECT DISTINCT a.name FROM sets s JOIN athletes a ON a.id = s.athlete_id").fetchall() == [("Sam",)]


def test_both_strong_formats_and_both_hevy_date_styles_import_in_kilograms(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    for source, name in [("strong", "strong_old_semicolon.csv"), ("hevy", "hevy_kg.csv"), ("hevy", "hevy_lbs_us_dates.csv")]:
        done = run_cli("--db", str(db), "import", source, str(DATA / name))
        assert done.returncode == 0, (name, done.stderr)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT substr(se.started_at, 1, 16), s.source, s.exercise, s.set_type, round(s.load_kg, 4), s.reps "
            "FROM sets s JOIN sessions se ON se.id = s.session_id ORDER BY se.started_at, s.id"
        ).fetchall()
    assert rows == [
        ("2019-01-11T12:31", "strong", "Deadlift (Barbell)", "normal", 102.0583, 5),
        ("2019-01-11T12:31", "strong", "Back squat", "normal", 61.235, 5),
        ("2019-01-11T12:31", "strong", "Back squat", "normal", 102.5, 4),
        ("2024-01-01T10:00", "hevy", "Back squat", "warmup", 61.235, 5),
        ("2024-01-01T10:00", "hevy", "Back squat", "normal", 102.0583, 5),
        ("2024-01-01T10:00", "hevy", "Back squat", "normal", 102.0583, 5),
        ("2025-09-15T07:48", "hevy", "Bench press", "warmup", 40.0, 10),
        ("2025-09-15T07:48", "hevy", "Bench press", "normal", 82.5, 6),
        ("2025-09-15T07:48", "hevy", "Bench press", "failure", 82.5, 4),
        ("2025-09-15T07:48", "hevy", "Bench press", "dropset", 60.0, 8),
        ("2025-09-15T07:48", "hevy", "Landmine Press", "normal", 30.0, 10),
    ]


def test_a_file_that_is_not_an_export_is_one_line_and_exit_2_with_nothing_written(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    for source in ("strong", "hevy"):
        done = run_cli("--db", str(db), "import", source, str(DATA / "not_an_export.csv"))
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.splitlines()) == 1 and "not_an_export.csv is not a" in done.stderr
    missing = run_cli("--db", str(db), "import", "hevy", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1 and "cannot read" in missing.stderr
    endless = run_cli("--db", str(db), "import", "strong", "/dev/zero")  # read up to the cap, then refused
    assert endless.returncode == 2 and endless.stderr.splitlines() == [
        "gymtui import: /dev/zero is larger than 64 MB: not a workout export"], endless.stderr
    assert not db.exists()


def test_an_unknown_athlete_in_a_database_with_athletes_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    assert run_cli("--db", str(db), "import", "hevy", str(DATA / "hevy_kg.csv"), "--athlete", "Ana").returncode == 0
    done = run_cli("--db", str(db), "import", "hevy", str(DATA / "hevy_kg.csv"), "--athlete", "Anna")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "no athlete named 'Anna'" in done.stderr


def test_names_with_terminal_escapes_are_printed_as_text(tmp_path: Path) -> None:
    text = (
        '"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes",'
        '"set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"\n'
        '"Push","15 Sep 2025, 07:48","","","Curl\x1b[2J\x1b]0;pwned\x07",,"",0,"normal",10,10,,,\n'
        '"Push","15 Sep 2025, 07:48","","","Curl",,"",1,"normal",ten\x1b[31m,10,,,\n'
    )
    path = tmp_path / "evil.csv"
    path.write_text(text, encoding="utf-8")
    done = run_cli("--db", str(tmp_path / "gym.db"), "import", "hevy", str(path))
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
    assert "Curl\ufffd[2J\ufffd]0;pwned\ufffd" in done.stdout
    assert "line 3: weight 'ten\ufffd[31m' is not a number" in done.stderr


def test_after_an_import_the_plan_shows_loads_from_the_imported_sets(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    assert run_cli("--db", str(db), "import", "strong", str(DATA / "strong_current_kg.csv"), "--unit", "kg").returncode == 0
    plan = run_cli("--db", str(db), "plan", "--date", "2024-12-10")
    assert plan.returncode == 0, plan.stderr
    squats = [line for line in plan.stdout.splitlines() if "Back squat · set" in line]
    # e1RM from the best working set, 100 kg × 5 (the 60 kg warm-up is not a set for the 1RM): 116.7 kg
    assert squats and all("97.5 kg" in line and "e1RM 116.7 kg" in line for line in squats), plan.stdout


def test_five_thousand_rows_import_in_seconds(tmp_path: Path) -> None:
    header = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n"
    rows = []
    for i in range(5000):
        day, n = divmod(i, 20)
        rows.append(f"2023-{1 + day // 28:02d}-{1 + day % 28:02d} 18:00:00,Day {day},1h,Squat (Barbell),{n + 1},{60 + n},5,0,0,,,8\n")
    path = tmp_path / "big.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    began = time.monotonic()
    done = run_cli("--db", str(tmp_path / "gym.db"), "import", "strong", str(path), "--unit", "kg")
    took = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert "  workouts: 250" in done.stdout and "  sets: 5000 (warm-ups: 0)" in done.stdout
    assert took < 30, took  # seconds on a busy 2-core machine; about 1 s when idle
