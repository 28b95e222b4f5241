"""Faults injected into the real app mid-set, driven through Pilot on a real SQLite file.

Each store fault happens after the set's first two phases are stored and
lasts through the rest of the set and its rating: the database refuses
every write of the eccentric and isometric phases, about twenty seconds of
raw signal and the rating. For each, the app must stay up, say ONE line
(a notification and the set screen's status; the athlete is not told once
per write), keep the finished phases, and write everything recorded during
the fault once the database takes writes again.

Faults: (a) disk full — a real ENOSPC on a small tmpfs (root), else SQLite's
real "database or disk is full" from ``max_page_count`` on the app's own
connection; (b) another process holding the write lock for 15 s; (c) the
database files made immutable (root; in a child process, so a bus error
cannot take the test runner down); (d) corrupt pages of the phases table;
(e) the signal worker raising; (f) a sensor that does not open. And quitting
while the database is away: the writes go to the recovery file, the next
start writes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import repo_paths
from keys import press

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from tests.fault_tools import (
    LockHolder,
    SmallDisk,
    can_chattr,
    can_mount_tmpfs,
    chattr,
    db_files,
)

SPEED = 4.0
"""The finisher (3 s lead-ins, 3 + 3 + 5 + 15 s of work) takes ~10 s of wall time."""

FIRST_TWO = [(0, "calibration"), (1, "activation")]
WHOLE_SET = [(0, "calibration"), (1, "activation"), (2, "eccentric"), (3, "isometric")]
WORK_SAMPLES = (3 + 3 + 5 + 15) * 1000
"""The demo sensor's 1 kHz samples over the set's 26 s of work (the lead-ins add more)."""

UNAVAILABLE = re.compile(r"Database unavailable \((?P<reason>.+)\): keeping (?P<n>\d+) write\(s\) in memory, retrying")
BACK = re.compile(r"Database back: (?P<n>\d+) write\(s\) saved")
KEPT_RATING = "Activation 8/10 kept: saved when the database is back"


async def wait_until(pilot: Any, predicate: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await pilot.pause(0.05)


def spy_notifications(app: GymApp) -> list[str]:
    """Every notification the app raises, in order (it still shows them)."""
    seen: list[str] = []
    real = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        seen.append(str(message))
        real(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return [tuple(r) for r in conn.execute(sql)]


def stored_phases(db: Path) -> list[tuple[int, str]]:
    """The phases in the order they were written."""
    return [(int(i), str(k)) for i, k in query(db, "SELECT idx, kind FROM phases ORDER BY id")]


def store_line(app: GymApp) -> str:
    screen = app.set_screen
    if screen is None or not screen.is_mounted:
        return ""
    return str(screen.query_one("#set-store").render())


@dataclass
class Fault:
    """How to break the database mid-set and how to mend it (both awaited on the app's loop)."""

    start: Callable[[GymApp], Awaitable[None]]
    end: Callable[[GymApp], Awaitable[None]]
    end_within_s: float = 30.0


async def set_through_a_store_fault(db: Path, fault: Fault) -> dict[str, Any]:
    """A demo finisher whose last two phases, raw signal and rating meet the fault; what the athlete saw."""
    store = Store(db)
    app = GymApp(store, AppConfig(demo=True, speed=SPEED, athlete="Demo athlete"))
    seen = spy_notifications(app)
    out: dict[str, Any] = {}
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None, 60, "the demo sensor")
            await press(pilot, "f")
            await wait_until(pilot, lambda: stored_phases(db)[:2] == FIRST_TWO, 60, "the first two phases in the database")
            out["before"] = stored_phases(db)
            out["blocks_before"] = query(db, "SELECT count(*) FROM signal_blocks")[0][0]
            await fault.start(app)
            await wait_until(pilot, lambda: app.store_exec.unavailable is not None, 30, "the store to notice the fault")
            await wait_until(pilot, lambda: "Database unavailable" in store_line(app), 10, "the set screen's store line")
            out["status"] = store_line(app)
            await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, "the set to end")
            await press(pilot, "8")
            await wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen), 20, "the rating taken")
            out["still_unavailable_after_rating"] = app.store_exec.unavailable is not None
            out["pending_after_rating"] = app.store_exec.pending
            out["status_after_rating"] = store_line(app)
            await fault.end(app)
            await wait_until(pilot, lambda: any(BACK.fullmatch(n) for n in seen), fault.end_within_s, "the database to be back")
            await wait_until(pilot, lambda: app.store_exec.pending == 0, 10, "every kept write to be saved")
            out["status_after"] = store_line(app)
            out["running"] = app.is_running
            await app.shutdown()
    finally:
        store.close()
    out["notifications"] = seen
    out["problems"] = list(app.problems)
    out["after"] = stored_phases(db)
    out["blocks"] = query(db, "SELECT seq, n_samples, lost_samples FROM signal_blocks ORDER BY id")
    out["set"] = query(db, "SELECT status, activation_rating, rated_at IS NOT NULL FROM sets")
    return out


def assert_kept_and_saved(out: dict[str, Any], reason: str) -> None:
    """The contract every store fault must meet (see the module docstring)."""
    notes = out["notifications"]
    unavailable = [n for n in notes if n.startswith("Database unavailable")]
    assert len(unavailable) == 1, f"one line for the whole outage, not one per write: {unavailable}"
    match = UNAVAILABLE.fullmatch(unavailable[0])
    assert match is not None and match["reason"] == reason, unavailable[0]
    back = [n for n in notes if n.startswith("Database back")]
    assert len(back) == 1 and BACK.fullmatch(back[0]), back
    saved = int(BACK.fullmatch(back[0])["n"])  # type: ignore[index]
    assert saved >= out["pending_after_rating"] >= 10, "the phases, ~20 s of raw signal and the rating were kept"
    assert notes.index(unavailable[0]) < notes.index(KEPT_RATING) < notes.index(back[0])
    assert out["status"].startswith(f"⚠ Database unavailable ({reason}): keeping ")
    assert out["still_unavailable_after_rating"] and out["status_after_rating"].startswith("⚠ Database unavailable")
    assert out["status_after"] == "" and out["running"]
    assert [p for p in out["problems"] if p.startswith("Database")] == [unavailable[0], back[0]]
    # Finished before the fault, still there; recorded during it, written after it; in order.
    assert out["before"][:2] == FIRST_TWO
    assert out["after"][:4] == WHOLE_SET
    assert [idx for idx, _ in out["after"]] == sorted(idx for idx, _ in out["after"])
    seqs = [seq for seq, _, _ in out["blocks"]]
    assert seqs == list(range(len(seqs))), "every raw block, once, in order"
    # A starved CPU can make the demo sensor drop a backlog; it marks the gap as lost samples,
    # so stored plus marked-lost samples account for every sample of the phases.
    during = sum(n + lost for seq, n, lost in out["blocks"] if seq >= out["blocks_before"])
    assert during >= (5 + 15) * 1000, "the raw signal of the eccentric and isometric phases, written after the fault"
    assert sum(n + lost for _, n, lost in out["blocks"]) >= WORK_SAMPLES
    assert out["set"] == [("completed", 8, 1)]


# -- (a) disk full ----------------------------------------------------------------------------


async def test_a_full_disk_mid_set_keeps_the_set_and_saves_it_when_space_returns(tmp_path: Path) -> None:
    """A real full disk: the database on a 16 MB tmpfs, filled mid-set, emptied after the rating.

    The WAL cannot grow (ENOSPC) and SQLite says "database or disk is full".
    """
    why_not = can_mount_tmpfs(tmp_path)
    if why_not is not None:
        pytest.skip(f"{why_not} (the page-limit test below gives SQLite's same error without a mount)")
    disk = SmallDisk(tmp_path / "disk", "16m")
    try:
        fault = Fault(start=lambda app: asyncio.to_thread(disk.fill), end=lambda app: asyncio.to_thread(disk.free))
        out = await set_through_a_store_fault(disk.mountpoint / "gym.db", fault)
    finally:
        disk.unmount()
    assert_kept_and_saved(out, "database or disk is full")


async def test_a_database_at_its_page_limit_mid_set_keeps_the_set_and_saves_it_when_lifted(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full", without root: ``max_page_count`` on the app's connection.

    The limit is per connection, so it is set on the store's own connection
    between two store jobs, and lifted on the store thread between two retries
    (``run_now``: work on the store's connection that does not queue behind
    the stuck write).
    """

    def limit(app: GymApp) -> Awaitable[None]:
        def at_current_size() -> None:
            pages = app.store.conn.execute("PRAGMA page_count").fetchone()[0]
            app.store.conn.execute(f"PRAGMA max_page_count={pages}")

        return asyncio.wrap_future(app.store_exec.call(at_current_size))

    def lift(app: GymApp) -> Awaitable[None]:
        return asyncio.wrap_future(app.store_exec.run_now(lambda: app.store.conn.execute("PRAGMA max_page_count=1073741823")))

    out = await set_through_a_store_fault(tmp_path / "gym.db", Fault(limit, lift))
    assert_kept_and_saved(out, "database or disk is full")


# -- (b) a write lock held 15 s by another process --------------------------------------------


async def test_a_write_lock_held_15_s_by_another_process_mid_set(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    holders: list[LockHolder] = []

    async def lock(app: GymApp) -> None:
        holders.append(await asyncio.to_thread(LockHolder, db, 15.0))

    async def released(app: GymApp) -> None:
        await asyncio.to_thread(holders[0].wait_released)  # its own deadline: 15 s + 30 s, then killed

    try:
        out = await set_through_a_store_fault(db, Fault(lock, released, end_within_s=20))
    finally:
        for holder in holders:
            holder.kill()
    assert_kept_and_saved(out, "database is locked")


# -- (c) immutable files ----------------------------------------------------------------------


def _make_immutable(db: Path) -> Callable[[GymApp], Awaitable[None]]:
    def flags_on() -> None:
        os.sync()  # the WAL index's pages written back: clean, so the next write to them would fault
        time.sleep(0.3)
        chattr("+i", *db_files(db))

    # On the store thread, between two store jobs: nothing in this process is inside SQLite
    # while the flags change. (A chattr that lands in the microseconds between the store's
    # check and SQLite's next write to the mapped -shm would still be a bus error.)
    return lambda app: asyncio.wrap_future(app.store_exec.call(flags_on))


async def _immutable_scenario(folder: Path) -> dict[str, Any]:
    db = folder / "gym.db"

    async def flags_off(app: GymApp) -> None:
        await asyncio.to_thread(chattr, "-i", *db_files(db))

    try:
        return await set_through_a_store_fault(db, Fault(_make_immutable(db), flags_off))
    finally:
        chattr("-i", *db_files(db))


def test_immutable_database_files_mid_set(tmp_path: Path) -> None:
    why_not = can_chattr(tmp_path)
    if why_not is not None:
        pytest.skip(why_not)
    repo = repo_paths.REPO_ROOT
    path = (str(repo), str(repo_paths.TESTS_DIR), os.environ.get("PYTHONPATH", ""))  # the helpers too
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.app.test_faults_app", "immutable", str(tmp_path)],
            capture_output=True, text=True, timeout=240, env=env, cwd=repo, check=False,
        )
    finally:
        chattr("-i", *db_files(tmp_path / "gym.db"))
    assert done.returncode == 0, f"exit {done.returncode} (135 or -7 is a bus error): {done.stderr[-3000:]}"
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["before"] = [tuple(p) for p in out["before"]]
    out["after"] = [tuple(p) for p in out["after"]]
    out["blocks"] = [tuple(b) for b in out["blocks"]]
    out["set"] = [tuple(s) for s in out["set"]]
    assert_kept_and_saved(out, "gym.db is read-only or immutable")


# -- (d) corrupt pages ------------------------------------------------------------------------


async def test_corrupt_pages_of_the_phases_table_mid_set(tmp_path: Path) -> None:
    """The phases table's page overwritten on disk; the app's cached copy dropped so SQLite reads it.

    SQLite reports "database disk image is malformed" and does not crash. The
    repair here is putting the page back (a restore, in real life); the
    store reads it afresh on its next try.
    """
    db = tmp_path / "gym.db"
    saved: dict[str, Any] = {}

    def corrupt(app: GymApp) -> Awaitable[None]:
        def on_store_thread() -> None:
            conn = app.store.conn
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the database file
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'phases'").fetchone()[0]
            size = conn.execute("PRAGMA page_size").fetchone()[0]
            with db.open("r+b") as f:
                f.seek((root - 1) * size)
                saved["page"], saved["at"] = f.read(size), (root - 1) * size
                f.seek(saved["at"])
                f.write(b"\xa5" * size)
                f.flush()
                os.fsync(f.fileno())
            conn.execute("PRAGMA shrink_memory")  # forget the good copy this connection holds

        return asyncio.wrap_future(app.store_exec.call(on_store_thread))

    async def repair(app: GymApp) -> None:
        with db.open("r+b") as f:
            f.seek(saved["at"])
            f.write(saved["page"])

    out = await set_through_a_store_fault(db, Fault(corrupt, repair))
    assert_kept_and_saved(out, "database disk image is malformed")
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


# -- (e) the signal worker raising ------------------------------------------------------------


async def test_a_signal_worker_exception_mid_set_is_one_line_and_the_set_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(demo=True, speed=SPEED, athlete="Demo athlete"))
    seen = spy_notifications(app)
    raised = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None, 60, "the demo sensor")
        live = app.signal.live
        real_process = live.process

        def failing(samples: Any, t_end_s: float) -> Any:
            phase = app.runner.engine.current_phase if app.runner is not None else None
            if phase is not None and phase.kind == "eccentric":
                raised.append(t_end_s)
                raise RuntimeError("simulated pipeline fault")
            return real_process(samples, t_end_s)

        live.process = failing
        await press(pilot, "f")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, "the set to end")
        await press(pilot, "8")
        await wait_until(pilot, lambda: query(db, "SELECT activation_rating FROM sets") == [(8,)], 20, "the rating")
        running = app.is_running
        await app.shutdown()
    store.close()
    assert len(raised) >= 3, "the worker failed on every batch of the eccentric phase"
    faults = [n for n in seen if "simulated pipeline fault" in n]
    assert faults == ["signal processing error: simulated pipeline fault"], "one line, however often it fails"
    assert running and faults[0] in app.problems
    assert stored_phases(db)[:4] == WHOLE_SET
    blocks = query(db, "SELECT seq, n_samples, lost_samples FROM signal_blocks ORDER BY id")
    assert [b[0] for b in blocks] == list(range(len(blocks)))
    # Every sample the sensor delivered is stored, the failing blocks' too; a demo sensor starved of CPU
    # (both cores busy) skips signal and says how much in lost_samples, which counts as delivered-and-gone.
    assert sum(b[1] + b[2] for b in blocks) >= WORK_SAMPLES, "the raw signal of the failing blocks is stored too"
    assert query(db, "SELECT status, activation_rating FROM sets") == [("completed", 8)]


# -- (f) a sensor that does not open ----------------------------------------------------------


async def test_a_sensor_that_does_not_open_leaves_the_app_up_as_a_timer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")
    from gymtui.emulation import stack

    real_open = stack.open_emulated_source

    async def out_of_range(device: str, **kwargs: Any) -> Any:
        source, handle = await real_open(device, **kwargs)
        await handle.go_away()  # powered, then gone: the real BLE scan will not find it
        return source, handle

    monkeypatch.setattr(stack, "open_emulated_source", out_of_range)
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", emulate="myo"))
    seen = spy_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sensor_ready.is_set(), 60, "the sensor attempt to end")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None), 20, "home")
        home_problems = str(app.screen.query_one("#home-problems").render())
        assert app.source is None and app.signal is None and app.emulation is None
        await press(pilot, "f")
        await wait_until(pilot, lambda: app.runner is not None and app.runner.engine.running, 20, "the timer set")
        assert app.runner.protocol.phases[0].kind == "activation"  # a timer: no MVC
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, "the timer set to end")
        await press(pilot, "7")
        await wait_until(pilot, lambda: query(db, "SELECT activation_rating FROM sets") == [(7,)], 20, "the rating")
        running = app.is_running
        await app.shutdown()
    store.close()
    opened = [n for n in seen if n.startswith("Emulated myo did not open")]
    assert len(opened) == 1 and "not found" in opened[0] and opened[0].endswith(": sets run as a timer only")
    assert home_problems == f"⚠ {opened[0]}"
    assert running
    assert stored_phases(db)[:3] == [(0, "activation"), (1, "eccentric"), (2, "isometric")]
    assert query(db, "SELECT status, activation_rating FROM sets") == [("completed", 7)]


async def test_a_sensor_that_is_not_known_is_one_line_not_a_crash(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", emulate="no-such-sensor"))
    seen = spy_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sensor_ready.is_set() and isinstance(app.screen, HomeScreen), 60, "home")
        await wait_until(pilot, lambda: any("did not open" in n for n in seen), 10, "the line")
        running = app.is_running
        await app.shutdown()
    store.close()
    assert running
    assert [n for n in seen if "did not open" in n] == [
        "Emulated no-such-sensor did not open (no emulator for 'no-such-sensor'; choose one of "
        + ", ".join(__import__("gymtui.emulation.stack", fromlist=["x"]).EMULATED_DEVICES)
        + "): sets run as a timer only"
    ]


# -- quitting while the database is away -------------------------------------------------------


async def test_quitting_while_the_database_is_locked_saves_the_writes_and_the_next_start_writes_them(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(demo=True, speed=SPEED, athlete="Demo athlete"))
    seen = spy_notifications(app)
    holder: LockHolder | None = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None, 60, "the demo sensor")
            await press(pilot, "f")
            await wait_until(pilot, lambda: stored_phases(db)[:2] == FIRST_TWO, 60, "the first two phases")
            holder = await asyncio.to_thread(LockHolder, db, 120.0)
            await wait_until(pilot, lambda: app.store_exec.unavailable is not None, 30, "the store to notice")
            await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, "the set to end")
            await press(pilot, "8")
            await wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 10, "the rest after the set")
            await press(pilot, "space")  # skip the rest
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 20, "home")
            kept = app.store_exec.pending
            started = time.monotonic()
            await press(pilot, "q")
            await wait_until(pilot, lambda: not app.is_running, 30, "the app to quit")
            quit_s = time.monotonic() - started
    finally:
        if holder is not None:
            holder.kill()
        store.close()
    recovery = tmp_path / "gym.db-recovery.jsonl"
    assert quit_s < 3.0 + 2.0 + 3.0, f"quitting took {quit_s:.1f} s"
    assert app.exit_note.startswith("Database unavailable at quit: ")
    assert app.exit_note.endswith(f"saved to {recovery}; they are written to the database at the next start")
    assert int(app.exit_note.split(": ")[1].split()[0]) >= kept >= 10
    assert [n for n in seen if n.startswith("Database unavailable")][:1] == [n for n in seen if UNAVAILABLE.fullmatch(n)]
    assert stored_phases(db) == FIRST_TWO, "what was kept is not in the database yet"

    store = Store(db)
    again = GymApp(store, AppConfig(demo=False, speed=SPEED, athlete="Demo athlete"))
    seen_again = spy_notifications(again)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(again.screen, HomeScreen) and getattr(again.screen, "info", None), 60, "home")
        await again.shutdown()
    store.close()
    replayed = [n for n in seen_again if n.startswith("Saved ")]
    assert replayed == [f"Saved {app.exit_note.split(': ')[1].split()[0]} write(s) left waiting by the last run (from {recovery})"]
    assert not recovery.exists()
    assert stored_phases(db)[:4] == WHOLE_SET
    blocks = query(db, "SELECT seq, n_samples, lost_samples FROM signal_blocks ORDER BY id")
    assert [b[0] for b in blocks] == list(range(len(blocks))), "the raw signal is replayed in order"
    assert sum(b[1] + b[2] for b in blocks) >= WORK_SAMPLES, "the whole set's raw signal (or its marked gaps) is stored"
    assert query(db, "SELECT status, activation_rating FROM sets") == [("completed", 8)]


def _main() -> int:
    """``python -m tests.app.test_faults_app immutable DIR``: the immutable-files scenario, in its own process."""
    if sys.argv[1:2] != ["immutable"] or len(sys.argv) != 3:
        print("usage: python -m tests.app.test_faults_app immutable DIR", file=sys.stderr)
        return 2
    out = asyncio.run(_immutable_scenario(Path(sys.argv[2])))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
