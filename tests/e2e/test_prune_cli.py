"""``gymtui prune --raw-older-than``: old sets lose their raw signal and nothing else, and the file shrinks.

A real database file, the real CLI in a subprocess; what stayed is read back
with sqlite3 and through ``export`` and the history service.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from gymtui.model import NativeCounts
from gymtui.services.history import load_set_detail
from gymtui.store import Store

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
        env={**os.environ}, stdin=subprocess.DEVNULL,
    )


def a_set(store: Store, athlete: int, exercise: str, days_ago: float, rating: int, seconds: int = 30) -> int:
    """A finished set with a phase, two reps, a cue, its summary and rating, and ``seconds`` of 4-channel signal."""
    started = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="milliseconds")
    set_id = store.start_set(athlete, exercise, "guided", load_kg=60.0, channels=[{"muscle": "VL", "role": "target"}])
    store.conn.execute("UPDATE sets SET started_at = ? WHERE id = ?", (started, set_id))
    store.conn.commit()
    store.record_phase(set_id, 0, "isometric", "Hold", planned_s=30.0, started_at=started, duration_s=30.0, ended_by="timer")
    store.record_reps(set_id, [{"idx": i, "start_s": 2.0 * i, "end_s": 2.0 * i + 1.5, "peak_pct_mvc": 70.0} for i in range(2)])
    store.record_cue(set_id, {"t_s": 4.0, "kind": "compensation", "channel": 0, "muscle": "VL", "value": 0.3, "rep": 1,
                              "text": "Squeeze the quads"})
    rng = np.random.default_rng(set_id)
    for seq in range(seconds):
        counts = np.clip(np.round(rng.standard_normal((1000, 4)) * 300), -32768, 32767).astype(np.int32)
        native = NativeCounts(counts, np.full(4, 0.5, np.float32), (-32768, 32767))
        store.append_signal(set_id, seq, float(seq), 1000.0, native.to_uv(), 0, native)
    store.finish_set(set_id, "completed", {"peak_pct_mvc": 71.5, "reps": 2})
    store.rate_set(set_id, rating)
    return set_id


def table_counts(path: Path, set_id: int) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {
            t: conn.execute(f"SELECT COUNT(*) FROM {t} WHERE {'id' if t == 'sets' else 'set_id'} = ?", (set_id,)).fetchone()[0]
            for t in ("sets", "phases", "reps", "cues", "signal_blocks")
        }


@pytest.fixture
def gym(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "gym.db"
    store = Store(path)
    ana, ben = store.ensure_athlete("Ana"), store.ensure_athlete("Ben")
    sets = {
        "ana_old": a_set(store, ana, "Squat", 200, 8),
        "ana_new": a_set(store, ana, "Squat", 10, 6),
        "ben_old": a_set(store, ben, "Curl", 120, 5),
    }
    store.close()
    return path, sets


def test_a_dry_run_says_what_would_go_and_changes_nothing(gym: tuple[Path, dict[str, int]]) -> None:
    path, sets = gym
    before = {name: table_counts(path, i) for name, i in sets.items()}
    size = path.stat().st_size
    done = run_cli("prune", "--raw-older-than", "90d", "--dry-run", "--db", str(path))
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith("Would delete the raw signal of 2 sets started before ")
    assert "(60 blocks, " in line and line.endswith("Nothing changed (--dry-run).")
    assert {name: table_counts(path, i) for name, i in sets.items()} == before
    assert path.stat().st_size == size


def test_prune_deletes_only_old_raw_blocks_keeps_every_summary_and_shrinks_the_file(gym: tuple[Path, dict[str, int]]) -> None:
    path, sets = gym
    with sqlite3.connect(path) as conn:
        old_bytes = conn.execute(
            "SELECT SUM(LENGTH(data) + LENGTH(scale_uv)) FROM signal_blocks WHERE set_id IN (?, ?)", (sets["ana_old"], sets["ben_old"])
        ).fetchone()[0]
        summary_before = conn.execute("SELECT id, status, activation_rating, peak_pct_mvc, reps FROM sets ORDER BY id").fetchall()
    size_before = path.stat().st_size
    done = run_cli("prune", "--raw-older-than", "90d", "--db", str(path))
    assert done.returncode == 0, done.stderr
    deleted, vacuumed = done.stdout.strip().splitlines()
    assert deleted.startswith("Deleted the raw signal of 2 sets started before ")
    assert f"(60 blocks, {old_bytes / 1e6:.1f} MB); every set, phase, rep, rating, cue and summary stays." in deleted
    assert vacuumed.startswith("VACUUM done: the file went from ")

    assert table_counts(path, sets["ana_old"]) == {"sets": 1, "phases": 1, "reps": 2, "cues": 1, "signal_blocks": 0}
    assert table_counts(path, sets["ben_old"]) == {"sets": 1, "phases": 1, "reps": 2, "cues": 1, "signal_blocks": 0}
    assert table_counts(path, sets["ana_new"]) == {"sets": 1, "phases": 1, "reps": 2, "cues": 1, "signal_blocks": 30}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, status, activation_rating, peak_pct_mvc, reps FROM sets ORDER BY id").fetchall() == summary_before
    assert path.stat().st_size < size_before - 0.8 * old_bytes, "VACUUM gave the space back"

    exported = run_cli("export", "--format", "csv", "--db", str(path))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["athlete"], r["exercise"], r["activation_rating"]) for r in rows] == [("Ana", "Squat", "8"), ("Ben", "Curl", "5"), ("Ana", "Squat", "6")]

    store = Store(path, readonly=True)
    detail = load_set_detail(store, sets["ana_old"])
    assert (detail.exercise, detail.activation_rating, len(detail.phases), detail.envelope_uv) == ("Squat", 8, 1, ())
    assert detail.signal_problem == ""
    assert load_set_detail(store, sets["ana_new"]).envelope_uv, "the recent set keeps its signal"
    store.close()


def test_athlete_limits_the_prune_to_their_sets(gym: tuple[Path, dict[str, int]]) -> None:
    path, sets = gym
    done = run_cli("prune", "--raw-older-than", "12w", "--athlete", "Ben", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Deleted the raw signal of 1 set of Ben started before ")
    assert table_counts(path, sets["ben_old"])["signal_blocks"] == 0
    assert table_counts(path, sets["ana_old"])["signal_blocks"] == 30


def test_nothing_old_enough_is_said_and_nothing_is_deleted(gym: tuple[Path, dict[str, int]]) -> None:
    path, sets = gym
    done = run_cli("prune", "--raw-older-than", "1y", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No set started before ") and "(365 days ago) has raw signal stored: nothing to delete." in done.stdout
    assert table_counts(path, sets["ana_old"])["signal_blocks"] == 30


@pytest.mark.parametrize("age", ["90", "90x", "0d", "-5d", "ninety days", "1e3d"])
def test_a_bad_age_is_one_line_and_exit_2(gym: tuple[Path, dict[str, int]], age: str) -> None:
    path, sets = gym
    done = run_cli("prune", f"--raw-older-than={age}", "--db", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert f"argument --raw-older-than: {age!r} is not an age: give a whole number of days, weeks or years" in line
    assert table_counts(path, sets["ana_old"])["signal_blocks"] == 30


def test_an_unknown_athlete_or_a_missing_database_is_one_line_and_exit_2(gym: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    path, sets = gym
    done = run_cli("prune", "--raw-older-than", "90d", "--athlete", "Zed", "--db", str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("gymtui prune: no athlete named 'Zed'") and len(done.stderr.strip().splitlines()) == 1
    missing = run_cli("prune", "--raw-older-than", "90d", "--db", str(tmp_path / "none.db"))
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr.strip() == f"gymtui prune: no database at {tmp_path / 'none.db'} (pass --db PATH)"
    assert not (tmp_path / "none.db").exists()
    assert table_counts(path, sets["ana_old"])["signal_blocks"] == 30
