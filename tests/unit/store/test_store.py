"""The store: a real SQLite file, durable phase by phase."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from gymtui.model import Calibration
from gymtui.store import SetStatus, Store, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "gym.db")
    yield s
    s.close()


def test_a_set_round_trips_with_its_phases_rating_and_summary(store: Store, tmp_path: Path) -> None:
    athlete = store.ensure_athlete("Sam")
    set_id = store.start_set(athlete, "Lying leg curl", "Phase 4 finisher", load_kg=20.0)
    assert store.get_set(set_id)["status"] == SetStatus.IN_PROGRESS
    store.record_phase(set_id, 0, "activation", "Activation hold", planned_s=3, started_at="2026-01-01T10:00:00+00:00",
                       duration_s=3.0, ended_by="time", peak_pct_mvc=55.0, mean_pct_mvc=41.0)
    store.record_phase(set_id, 1, "isometric", "Peak hold", planned_s=15, started_at="2026-01-01T10:00:06+00:00",
                       duration_s=15.0, ended_by="time", peak_pct_mvc=80.0, mean_pct_mvc=60.0)
    store.finish_set(set_id, SetStatus.COMPLETED, {"peak_pct_mvc": 80.0, "mean_pct_mvc": 52.0})
    store.rate_set(set_id, 8)
    store.close()

    reopened = Store(tmp_path / "gym.db")
    row = reopened.get_set(set_id)
    assert (row["status"], row["activation_rating"], row["peak_pct_mvc"], row["load_kg"]) == ("completed", 8, 80.0, 20.0)
    assert row["started_at"].endswith(("+00:00", "Z")) or row["started_at"][-6] in "+-"
    assert [p["kind"] for p in reopened.phases_of(set_id)] == ["activation", "isometric"]
    assert reopened.last_rating(athlete, "Lying leg curl") == 8
    reopened.close()


def test_wal_and_foreign_keys_are_on(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.record_phase(9999, 0, "rest", "Rest", planned_s=None, started_at="x", duration_s=1, ended_by="time")
    with pytest.raises(sqlite3.IntegrityError):
        store.start_set(4242, "Squat", "p")


def test_every_design_table_exists_with_declared_foreign_keys(store: Store) -> None:
    tables = set(store.db.table_names())
    assert {"athletes", "sessions", "sets", "phases", "reps", "calibrations", "signal_blocks", "cuff_events"} <= tables
    fks = {(fk.column, fk.other_table) for fk in store.db["phases"].foreign_keys}
    assert ("set_id", "sets") in fks
    assert {"exercise", "load_kg", "reps", "activation_rating", "status", "started_at", "ended_at",
            "peak_pct_mvc", "mean_pct_mvc"} <= set(store.db["sets"].columns_dict)


def test_an_in_progress_set_left_by_a_dead_process_becomes_interrupted(tmp_path: Path) -> None:
    first = Store(tmp_path / "gym.db")
    athlete = first.ensure_athlete()
    set_id = first.start_set(athlete, "Squat", "p")
    first.record_phase(set_id, 0, "activation", "Hold", planned_s=3, started_at="t", duration_s=3, ended_by="time")
    first.conn.close()  # the process "dies" without finishing the set

    second = Store(tmp_path / "gym.db")
    assert second.recover_interrupted() == [set_id]
    [offered] = second.interrupted_sets()
    assert (offered.id, offered.status, offered.phases_done) == (set_id, "interrupted", 1)
    second.rate_set(set_id, 6)
    assert second.interrupted_sets() == []  # rated: no longer offered, still interrupted
    assert second.get_set(set_id)["status"] == "interrupted"


def test_completed_aborted_and_interrupted_are_distinct(store: Store) -> None:
    athlete = store.ensure_athlete()
    done = store.start_set(athlete, "A", "p")
    stopped = store.start_set(athlete, "A", "p")
    left = store.start_set(athlete, "A", "p")
    store.finish_set(done, SetStatus.COMPLETED)
    store.finish_set(stopped, SetStatus.ABORTED)
    store.recover_interrupted()
    assert [store.get_set(i)["status"] for i in (done, stopped, left)] == ["completed", "aborted", "interrupted"]
    with pytest.raises(ValueError):
        store.finish_set(left, "interrupted")


def test_raw_signal_round_trips_with_dtype_shape_and_rate(store: Store) -> None:
    athlete = store.ensure_athlete()
    set_id = store.start_set(athlete, "A", "p")
    rng = np.random.default_rng(1)
    chunks = [rng.standard_normal((1000, 4)).astype(np.float32) for _ in range(3)]
    for seq, chunk in enumerate(chunks):
        store.append_signal(set_id, seq, seq * 1.0, 1000.0, chunk)
    signal, rate = store.signal_of(set_id)
    assert rate == 1000.0 and signal.dtype == np.float32
    np.testing.assert_array_equal(signal, np.concatenate(chunks))
    row = store.conn.execute("SELECT dtype, n_samples, n_channels FROM signal_blocks LIMIT 1").fetchone()
    assert row == ("<f4", 1000, 4)


def test_mvc_calibration_is_found_for_the_same_source_and_channels(store: Store) -> None:
    athlete = store.ensure_athlete()
    cal = Calibration((100.0, 80.0), 0.1, "Demo", ("Biceps", "Triceps"))
    cal_id = store.save_mvc(athlete, cal)
    assert store.latest_mvc(athlete, "Demo", ["Biceps", "Triceps"]) == (cal_id, cal)
    assert store.latest_mvc(athlete, "Demo", ["Quads", "Hams"]) is None
    assert store.latest_mvc(athlete, "Myo", ["Biceps", "Triceps"]) is None


def test_a_file_that_is_not_sqlite_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my training notes, not a database\n" * 50)
    with pytest.raises(StoreError, match="not a usable gymtui database") as info:
        Store(path)
    assert "\n" not in str(info.value)
    assert path.read_text().startswith("these are my training notes")  # nothing overwritten


def test_an_uncreatable_path_is_refused_with_one_line() -> None:
    with pytest.raises(StoreError, match="cannot create the database /proc/nope.db"):
        Store(Path("/proc/nope.db"))


def test_ratings_outside_1_to_10_are_refused(store: Store) -> None:
    set_id = store.start_set(store.ensure_athlete(), "A", "p")
    for bad in (0, 11):
        with pytest.raises(ValueError):
            store.rate_set(set_id, bad)
