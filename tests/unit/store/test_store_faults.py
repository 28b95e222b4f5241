"""The store thread under real faults: writes kept in order, retried, saved; reads refused, never stuck.

Real SQLite files, real locks held by another process, a real "database or
disk is full", real immutable files (root only). Every wait has a deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import repo_paths

from gymtui.model import Calibration, NativeCounts
from gymtui.store import (
    Store,
    StoreExecutor,
    StoreHealth,
    StoreUnavailable,
    is_transient,
)
from gymtui.store.recovery import Write, recovery_paths
from tests.fault_tools import can_chattr, chattr, db_files, lock_held, wait_for

PHASE = {"planned_s": 3.0, "started_at": "2025-01-06T10:00:00.000+01:00", "duration_s": 3.0, "ended_by": "time"}


class Health:
    """What the store thread told the app, in order (thread-safe)."""

    def __init__(self) -> None:
        self.events: list[StoreHealth] = []
        self._lock = threading.Lock()

    def __call__(self, health: StoreHealth) -> None:
        with self._lock:
            self.events.append(health)

    def states(self) -> list[str]:
        with self._lock:
            return [e.state for e in self.events]

    def lines(self, state: str) -> list[str]:
        with self._lock:
            return [e.line for e in self.events if e.state == state]


def open_store(path: Path) -> tuple[Store, StoreExecutor, Health, int]:
    store = Store(path)
    health = Health()
    executor = StoreExecutor(store, on_health=health, retry_first_s=0.1, retry_max_s=0.5)
    athlete = store.ensure_athlete("A")
    return store, executor, health, athlete


def phase(set_id, idx: int, kind: str = "activation") -> Write:
    return Write("record_phase", (set_id, idx, kind, f"{kind} {idx}"), PHASE)


def block(set_id, seq: int) -> Write:
    """A block of raw signal as a sensor gives it: float32 µV and the same as its int8 counts × scale."""
    native = NativeCounts(np.full((100, 2), seq, dtype=np.int32), np.full(2, 1.0, np.float32), (-128, 127))
    return Write("append_signal", (set_id, seq, seq * 0.1, 1000.0, native.to_uv(), 0, native))


def read_phases(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        return [tuple(r) for r in conn.execute("SELECT idx, kind FROM phases ORDER BY id")]


def test_writes_refused_by_another_processs_lock_are_kept_in_order_and_saved_when_it_goes(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    store, executor, health, athlete = open_store(path)
    set_id = executor.write(Write("start_set", (athlete, "Curl", "p")))
    executor.write(phase(set_id, 0, "calibration")).result(timeout=10)
    with lock_held(path, 4.0) as holder:
        futures = [executor.write(phase(set_id, 1)), executor.write(block(set_id, 0)), executor.write(phase(set_id, 2))]
        futures.append(executor.write(Write("rate_set", (set_id, 7))))
        wait_for(lambda: "unavailable" in health.states(), 15, "the outage to be noticed")
        assert health.lines("unavailable") == ["Database unavailable (database is locked): keeping 4 write(s) in memory, retrying"]
        assert executor.pending == 4 and not any(f.done() for f in futures)
        # A read while writes wait is refused at once, not queued behind the lock.
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="database is locked"):
            executor.call(store.phases_of, set_id.result()).result(timeout=1)
        assert time.monotonic() - started < 0.5
        holder.wait_released()
        for future in futures:
            future.result(timeout=15)
    wait_for(lambda: "back" in health.states(), 10, "the database to be back")
    states = health.states()
    assert states[0] == "unavailable" and states[-1] == "back" and states.count("unavailable") == 1
    assert set(states) <= {"unavailable", "retrying", "back"}
    assert health.lines("back") == ["Database back: 4 write(s) saved"]
    assert read_phases(path) == [(0, "calibration"), (1, "activation"), (2, "activation")]
    assert store.get_set(set_id.result())["activation_rating"] == 7
    signal, _ = store.signal_of(set_id.result())
    assert signal.shape == (100, 2)
    executor.shutdown()


def test_a_full_database_keeps_its_writes_whole_and_saves_each_once_when_space_returns(tmp_path: Path) -> None:
    """``max_page_count`` on the store's own connection: SQLite's real "database or disk is full"."""
    path = tmp_path / "gym.db"
    store, executor, health, athlete = open_store(path)
    set_id = executor.write(Write("start_set", (athlete, "Curl", "p")))
    executor.write(phase(set_id, 0)).result(timeout=10)
    pages = executor.call(lambda: store.conn.execute("PRAGMA page_count").fetchone()[0]).result(timeout=10)
    executor.call(lambda: store.conn.execute(f"PRAGMA max_page_count={pages}")).result(timeout=10)

    # A write of two parts: the first fits, the second does not. Run again after the
    # failure it must not leave the first part twice.
    def two_parts() -> None:
        store.record_phase(set_id.result(), 1, "activation", "small", **PHASE)
        noise = np.random.default_rng(0).standard_normal((20000, 4)).astype(np.float32)  # packs to no less than ~280 kB
        store.append_signal(set_id.result(), 0, 0.0, 1000.0, noise)

    two = executor.submit(two_parts)
    after = executor.write(phase(set_id, 2))
    wait_for(lambda: "unavailable" in health.states(), 10, "the full disk to be noticed")
    assert "database or disk is full" in health.lines("unavailable")[0]
    assert read_phases(path) == [(0, "activation")], "a refused write leaves nothing behind"
    # The limit belongs to the store's connection, and its thread is busy retrying: lift it there,
    # between two attempts, without queueing behind the stuck write.
    executor.run_now(lambda: store.conn.execute("PRAGMA max_page_count=1073741823")).result(timeout=10)
    two.result(timeout=15)
    after.result(timeout=15)
    assert read_phases(path) == [(0, "activation"), (1, "activation"), (2, "activation")]
    assert store.conn.execute("SELECT count(*) FROM signal_blocks").fetchone()[0] == 1
    wait_for(lambda: "back" in health.states(), 10, "the database to be back")
    executor.shutdown()


def test_a_programming_error_is_reported_once_and_does_not_hold_up_the_writes_behind_it(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    _, executor, health, athlete = open_store(path)
    set_id = executor.write(Write("start_set", (athlete, "Curl", "p")))
    orphan = executor.write(phase(999, 0))  # no such set: a foreign-key IntegrityError
    bad_rating = executor.write(Write("rate_set", (set_id, 11)))  # ValueError
    good = executor.write(phase(set_id, 0))
    good.result(timeout=10)
    with pytest.raises(sqlite3.IntegrityError):
        orphan.result(timeout=1)
    with pytest.raises(ValueError, match="1–10"):
        bad_rating.result(timeout=1)
    assert health.states() == ["failed", "failed"]
    assert health.lines("failed")[0].startswith("Could not save record_phase: FOREIGN KEY constraint failed")
    assert read_phases(path) == [(0, "activation")]
    executor.shutdown()


def test_transient_means_the_database_not_the_code() -> None:
    def error(cls: type[sqlite3.Error], name: str, text: str) -> sqlite3.Error:
        exc = cls(text)
        exc.sqlite_errorname = name  # type: ignore[attr-defined]
        return exc

    assert is_transient(error(sqlite3.OperationalError, "SQLITE_BUSY", "database is locked"))
    assert is_transient(error(sqlite3.OperationalError, "SQLITE_FULL", "database or disk is full"))
    assert is_transient(error(sqlite3.OperationalError, "SQLITE_IOERR_WRITE", "disk I/O error"))
    assert is_transient(error(sqlite3.OperationalError, "SQLITE_READONLY", "attempt to write a readonly database"))
    assert is_transient(error(sqlite3.DatabaseError, "SQLITE_CORRUPT", "database disk image is malformed"))
    assert not is_transient(error(sqlite3.OperationalError, "SQLITE_ERROR", "no such column: wieght"))
    assert not is_transient(error(sqlite3.IntegrityError, "SQLITE_CONSTRAINT_FOREIGNKEY", "FOREIGN KEY constraint failed"))
    assert not is_transient(ValueError("an activation rating is 1–10"))


def test_at_quit_waiting_writes_go_to_the_recovery_file_and_the_next_start_writes_them_once(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    store, executor, health, athlete = open_store(path)
    calibration = Calibration((120.0, 80.5), 0.1, "demo sensor", ("Glute", "Hamstring"))
    with lock_held(path, 60.0):
        set_id = executor.write(Write("start_set", (athlete, "Curl", "p"), {"started_at": "2025-01-06T10:00:00.000+01:00"}))
        writes = [phase(set_id, 0, "calibration"), block(set_id, 0), phase(set_id, 1), block(set_id, 1)]
        futures = [executor.write(w) for w in writes]
        calibration_id = executor.write(Write("save_mvc", (athlete, calibration)))
        executor.write(Write("set_calibration_for_set", (set_id, calibration_id)))
        executor.write(Write("finish_set", (set_id, "aborted", {"peak_pct_mvc": 80.0})))
        executor.write(Write("rate_set", (set_id, 9)))
        executor.submit(lambda: None)  # a closure: no data form, cannot be kept
        wait_for(lambda: "unavailable" in health.states(), 10, "the outage")
        started = time.monotonic()
        report = executor.shutdown(grace_s=0.5)
        took_s = time.monotonic() - started
    assert took_s < 0.5 + 2.0 + 1.5, f"quitting took {took_s:.1f} s"
    assert report is not None and (report.saved, report.lost) == (9, 1)
    assert report.path == recovery_paths(path)[0] == tmp_path / "gym.db-recovery.jsonl"
    assert report.line() == (
        f"Database unavailable at quit: 9 write(s) saved to {report.path}; they are written to the "
        "database at the next start (1 could not be kept)"
    )
    assert health.lines("spilled") == [report.line()]
    for future in futures:
        with pytest.raises(StoreUnavailable):
            future.result(timeout=1)
    lines = [json.loads(line) for line in report.path.read_text().splitlines()]
    assert lines[0]["gymtui_recovery"] == 1 and lines[0]["writes"] == 9
    assert [line["method"] for line in lines[1:]] == [
        "start_set", "record_phase", "append_signal", "record_phase", "append_signal",
        "save_mvc", "set_calibration_for_set", "finish_set", "rate_set",
    ]
    assert lines[2]["args"][0] == {"$ref": 0}, "a phase names its set by the set row's write"
    assert oct(report.path.stat().st_mode & 0o777) == "0o600"
    store.close()

    copy = tmp_path / "copy.jsonl"
    shutil.copy(report.path, copy)
    again, executor2, _, _ = open_store(path)
    replayed = executor2.replay_recovery().result(timeout=10)
    assert replayed.replayed == 9 and replayed.problem == ""
    assert "Saved 9 write(s) left waiting by the last run" in replayed.line()
    assert not report.path.exists()
    [row] = again.db["sets"].rows
    assert (row["status"], row["activation_rating"], row["peak_pct_mvc"]) == ("aborted", 9, 80.0)
    assert row["started_at"] == "2025-01-06T10:00:00.000+01:00", "the set keeps the time it began"
    assert [(p["idx"], p["kind"]) for p in again.phases_of(row["id"])] == [(0, "calibration"), (1, "activation")]
    signal, rate = again.signal_of(row["id"])
    assert rate == 1000.0 and signal.shape == (200, 2) and signal[0, 0] == 0.0 and signal[150, 1] == 1.0
    kinds = again.conn.execute("SELECT DISTINCT dtype, LENGTH(scale_uv) FROM signal_blocks").fetchall()
    assert kinds == [("<i1", 16)], "the replayed blocks keep the sensor's own counts"
    stored = again.latest_mvc(athlete, "demo sensor", ["Glute", "Hamstring"])
    assert stored is not None and stored[1] == calibration and row["calibration_id"] == stored[0]
    # The same batch again (a start that died between the commit and removing the file): skipped.
    shutil.copy(copy, report.path)
    assert executor2.replay_recovery().result(timeout=10).replayed == 0
    assert again.conn.execute("SELECT count(*) FROM phases").fetchone()[0] == 2
    executor2.shutdown()


@pytest.mark.parametrize(
    "line",
    [
        '{"seq": 0, "method": "close", "args": [], "kwargs": {}}',
        '{"seq": 0, "method": "__class__", "args": [], "kwargs": {}}',
        '{"seq": 0, "method": "record_phase", "args": [{"$ref": 5}, 0, "x", "y"], "kwargs": {}}',
        "\x00\x01 not json",
    ],
)
def test_a_hostile_recovery_file_is_refused_whole_and_kept(tmp_path: Path, line: str) -> None:
    path = tmp_path / "gym.db"
    store, executor, _, athlete = open_store(path)
    file = recovery_paths(path)[0]
    header = json.dumps({"gymtui_recovery": 1, "batch": "b1", "writes": 2})
    good = json.dumps({"seq": 0, "method": "start_set", "args": [athlete, "Curl", "p"], "kwargs": {}})
    file.write_text(f"{header}\n{good}\n{line}\n")
    report = executor.replay_recovery().result(timeout=10)
    assert report.replayed == 0 and str(file) in report.problem and "the file is kept" in report.problem
    assert file.exists()
    assert store.conn.execute("SELECT count(*) FROM sets").fetchone()[0] == 0, "nothing half-replayed"
    executor.shutdown()


IMMUTABLE_SCRIPT = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path
    from gymtui.store import Store, StoreExecutor
    from gymtui.store.recovery import Write

    path = Path(sys.argv[1]); guarded = sys.argv[2] == "guarded"
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    store = Store(path)
    events = []
    executor = StoreExecutor(store, on_health=lambda h: events.append(h.state), retry_first_s=0.1, retry_max_s=0.3)
    athlete = store.ensure_athlete("A")
    set_id = executor.write(Write("start_set", (athlete, "Curl", "p")))
    executor.write(Write("record_phase", (set_id, 0, "activation", "a"),
                         {"planned_s": 3, "started_at": "t", "duration_s": 3, "ended_by": "time"})).result(10)
    executor.drain(10)
    subprocess.run(["sync"], check=True)
    time.sleep(0.5)  # let the kernel write the WAL index back: its pages are clean, then write-protected
    for f in files:
        subprocess.run(["chattr", "+i", str(f)], check=True)
    print("immutable", flush=True)
    if not guarded:
        store.conn.execute("SELECT count(*) FROM phases").fetchone()  # what the store did before
        print("survived", flush=True)
        sys.exit(0)
    later = executor.write(Write("record_phase", (set_id, 1, "activation", "b"),
                                 {"planned_s": 3, "started_at": "t", "duration_s": 3, "ended_by": "time"}))
    deadline = time.monotonic() + 10
    while "unavailable" not in events and time.monotonic() < deadline:
        time.sleep(0.02)
    print("kept", executor.pending, executor.status_line(), flush=True)
    for f in files:
        subprocess.run(["chattr", "-i", str(f)], check=True)
    later.result(15)
    print("saved", [r[0] for r in store.conn.execute("SELECT idx FROM phases ORDER BY idx")], events[-1], flush=True)
    for f in files:
        subprocess.run(["chattr", "+i", str(f)], check=True)
    store.close()  # closing would checkpoint into the mapped -shm: it must not
    print("closed", flush=True)
    """
)


def test_immutable_database_files_mid_write_are_kept_out_of_sqlites_reach(tmp_path: Path) -> None:
    """chattr +i on .db, -wal and -shm: without the guard SQLite dies of SIGBUS (the WAL-index mmap).

    Run in a child process so a bus error there cannot take the test runner with it.
    """
    reason = can_chattr(tmp_path)
    if reason is not None:
        pytest.skip(reason)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo_paths.REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    results = {}
    for mode in ("unguarded", "guarded"):
        path = tmp_path / mode / "gym.db"
        path.parent.mkdir()
        try:
            done = subprocess.run(
                [sys.executable, "-c", IMMUTABLE_SCRIPT, str(path), mode],
                capture_output=True, text=True, timeout=60, env=env, check=False,
            )
        finally:
            chattr("-i", *db_files(path))
        results[mode] = done
    unguarded = results["unguarded"]
    assert unguarded.returncode == -7 or unguarded.returncode == 135, (
        "the control: SQLite touching an immutable -shm is a bus error "
        f"(rc {unguarded.returncode}, {unguarded.stdout!r}, {unguarded.stderr[-300:]!r})"
    )
    guarded = results["guarded"]
    assert guarded.returncode == 0, guarded.stderr[-2000:]
    out = guarded.stdout.splitlines()
    assert out[0] == "immutable"
    assert out[1] == "kept 1 Database unavailable (gym.db is read-only or immutable): keeping 1 write(s) in memory, retrying"
    assert out[2] == "saved [0, 1] back"
    assert out[3] == "closed"
