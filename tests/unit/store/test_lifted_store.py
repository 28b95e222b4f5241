"""What was lifted, in the store: each number with its source, typed reps never overwritten."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import repo_paths

from gymtui.store import SetStatus, Store


def test_an_old_databases_sets_keep_their_numbers_marked_as_planned(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((repo_paths.TESTS_DIR / "data" / "store_v1_core.sql").read_text(encoding="utf-8"))
    conn.close()
    store = Store(path)
    [row] = store.db.query("SELECT load_kg, load_source, reps, reps_source, rir, rir_source FROM sets")
    assert row == {"load_kg": 80.0, "load_source": "planned", "reps": 8, "reps_source": "planned",
                   "rir": None, "rir_source": None}
    [view] = store.db.query("SELECT load_source, reps_source, rir FROM set_log")
    assert view == {"load_source": "planned", "reps_source": "planned", "rir": None}
    store.close()


def test_typed_reps_win_over_the_sensors_count_whichever_is_written_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete("Ana")
    early = store.start_set(athlete, "Back squat", "compound", load_kg=100.0)
    late = store.start_set(athlete, "Back squat", "compound", load_kg=100.0)
    # The athlete rated before the worker's summary was written...
    store.record_lifted(early, load_kg=102.5, load_source="entered", reps=5, reps_source="entered", rir=2, rir_source="entered")
    store.finish_set(early, SetStatus.COMPLETED, {"reps": 7, "reps_source": "emg"})
    # ...or after it.
    store.finish_set(late, SetStatus.COMPLETED, {"reps": 7, "reps_source": "emg"})
    store.record_lifted(late, load_kg=None, load_source=None, reps=6, reps_source="entered")
    rows = {r["id"]: r for r in store.db.query("SELECT id, load_kg, load_source, reps, reps_source, rir FROM sets")}
    assert rows[early] == {"id": early, "load_kg": 102.5, "load_source": "entered", "reps": 5, "reps_source": "entered", "rir": 2}
    assert rows[late] == {"id": late, "load_kg": 100.0, "load_source": "planned", "reps": 6, "reps_source": "entered", "rir": None}
    with pytest.raises(ValueError, match="needs a source"):
        store.record_lifted(late, load_kg=90.0, load_source="guessed", reps=None, reps_source=None)
    store.close()
