"""``gymtui export --format csv`` read back as a spreadsheet reads it: a planned set, a quick finisher and an imported set.

A real database: today's planned back squat lifted in the app, a Phase 4
finisher started from the home screen's ``f`` (no session of its own, reps
counted by the sensor), and a Hevy workout imported with the real CLI. The
gym counts in pounds (``gym.toml``); the export runs in a subprocess with
``TZ=UTC`` so the local date and time are known.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import repo_paths

from gymtui.services.plan import start_planned_session, status_from_store, todays_sets
from gymtui.session.exercises import load_library
from gymtui.store import LiftedSource, SetStatus, Store

REPO_ROOT = repo_paths.REPO_ROOT
DATA = repo_paths.TESTS_DIR / "data" / "imports"
TODAY = dt.date(2026, 3, 2)
HEADER = [
    "date", "time", "athlete", "exercise", "set_number", "set_type", "load", "unit", "reps", "rir",
    "activation_rating", "workflow_phase", "source", "status", "load_kg", "pct_1rm", "peak_pct_mvc",
    "mean_pct_mvc", "target_share", "cci_pct", "time_above_target_s", "perfect_reps", "mf_slope_hz_per_s",
    "feedback", "time_in_zone_s", "cue_count", "phases", "session_id", "set_id", "started_at", "ended_at",
]  # fmt: skip


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
        env={**os.environ, "TZ": "UTC"}, stdin=subprocess.DEVNULL,
    )


def make_log(path: Path) -> None:
    store = Store(path)
    athlete = store.ensure_athlete("Sam")
    status = status_from_store(store, athlete, TODAY)
    squat = next(p for p in todays_sets(store, athlete, status, load_library(), today=TODAY) if p.exercise == "Back squat")
    session = start_planned_session(store, athlete, status, started_at="2026-03-02T09:30:00.000+00:00")
    set_id = store.start_set(
        athlete, squat.exercise, squat.protocol.name, session_id=session, started_at="2026-03-02T10:00:00.000+00:00",
        extra={"workflow_phase": squat.workflow_phase.value, "set_number": squat.set_number, "feedback": "retention"},
    )
    store.record_lifted(set_id, load_kg=100.0, load_source=LiftedSource.ENTERED, reps=6, reps_source=LiftedSource.ENTERED,
                        rir=2, rir_source=LiftedSource.ENTERED)
    store.finish_set(set_id, SetStatus.COMPLETED, {"peak_pct_mvc": 71.5, "mean_pct_mvc": 48.0, "target_share": 0.41, "perfect_reps": 5,
                                                  "time_in_zone_s": 7.5, "cue_count": 3})
    store.rate_set(set_id, 7)
    finisher = store.start_set(athlete, "Lying leg curl", "Phase 4 finisher", started_at="2026-03-02T10:40:00.000+00:00")
    store.record_reps(finisher, [{"idx": i, "start_s": i * 4.0, "end_s": i * 4.0 + 3.0, "perfect": 1} for i in range(8)])
    store.finish_set(finisher, SetStatus.COMPLETED, {"peak_pct_mvc": 55.0})
    store.rate_set(finisher, 9)
    store.mark_last_used(athlete)
    store.close()


def test_the_csv_has_one_row_per_set_with_date_load_in_the_gyms_unit_type_source_and_emg(tmp_path: Path) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "gymtui"
    config.mkdir(parents=True, exist_ok=True)
    (config / "gym.toml").write_text('[gym]\nunit = "lb"\n', encoding="utf-8")
    db = tmp_path / "gym.db"
    make_log(db)
    imported = run_cli("--db", str(db), "import", "hevy", str(DATA / "hevy_lbs_us_dates.csv"))
    assert imported.returncode == 0, imported.stderr

    done = run_cli("--db", str(db), "export", "--format", "csv")
    assert done.returncode == 0, done.stderr
    reader = csv.DictReader(io.StringIO(done.stdout))
    assert reader.fieldnames == HEADER
    rows = list(reader)
    assert [(r["date"], r["time"], r["exercise"], r["source"]) for r in rows] == [
        ("2024-01-01", "10:00", "Back squat", "hevy"),
        ("2024-01-01", "10:00", "Back squat", "hevy"),
        ("2024-01-01", "10:00", "Back squat", "hevy"),
        ("2026-03-02", "10:00", "Back squat", "app"),
        ("2026-03-02", "10:40", "Lying leg curl", "app"),
    ]
    warmup, imported_set, _, planned, finisher = rows

    def pick(row: dict[str, str], *keys: str) -> tuple[str, ...]:
        return tuple(row[k] for k in keys)

    lifted = ("athlete", "set_number", "set_type", "load", "unit", "reps", "rir", "activation_rating", "workflow_phase", "status")
    assert pick(planned, *lifted) == ("Sam", "1", "normal", "220.5", "lb", "6", "2", "7", "compound", "completed")
    assert pick(planned, "load_kg", "peak_pct_mvc", "mean_pct_mvc", "target_share", "perfect_reps") == ("100.0", "71.5", "48.0", "0.41", "5")
    # What the athlete saw during the set, the time in the target zone and the cues shown.
    assert pick(planned, "feedback", "time_in_zone_s", "cue_count") == ("retention", "7.5", "3")
    assert pick(finisher, "feedback", "time_in_zone_s", "cue_count") == ("live", "", "")
    # The quick finisher: the day's session, its phase and the reps the sensor counted.
    assert pick(finisher, *lifted) == ("Sam", "", "normal", "", "lb", "8", "", "9", "finisher", "completed")
    assert finisher["session_id"] == planned["session_id"] != "" and finisher["peak_pct_mvc"] == "55.0"
    # The imported sets: pounds back as they were lifted, RPE 7 kept as 3 reps in reserve, no EMG.
    assert pick(imported_set, *lifted) == ("Sam", "2", "normal", "225.0", "lb", "5", "3", "", "", "completed")
    assert pick(warmup, "set_number", "set_type", "load", "reps") == ("1", "warmup", "135.0", "5")
    assert imported_set["peak_pct_mvc"] == "" and imported_set["phases"] == "0"
    assert imported_set["session_id"] != planned["session_id"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("gym.db")) == ["home"]  # no Datasette files
