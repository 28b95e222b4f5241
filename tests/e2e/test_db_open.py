"""Opening the database: one gymtui per file, other programs' files left untouched, every failure
named for what it is, and health data readable by its owner only."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import select
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import repo_paths
from db_peek import rows
from terminal import PtyApp

from gymtui.adapters.pairing import PairedDevice, PairedDevices, default_path
from gymtui.instance import InstanceLock
from gymtui.store import SCHEMA_VERSION, SetStatus, Store, StoreError
from gymtui.store.dbfile import APPLICATION_ID, OPEN_WAIT_S

REPO_ROOT = repo_paths.REPO_ROOT


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), **extra}


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env=env or cli_env(),
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_exit_2(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]




def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def read_line(proc: subprocess.Popen[str], timeout_s: float = 60) -> str:
    """The next line a helper process prints, or a failure after ``timeout_s`` (never a hang)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    assert ready, f"the helper printed nothing within {timeout_s} s"
    return proc.stdout.readline()


def gymtui_db_with_sets(path: Path, n: int = 3) -> list[int]:
    store = Store(path)
    athlete = store.ensure_athlete("Sam")
    ids = []
    for i in range(n):
        set_id = store.start_set(athlete, "Back squat", "p", load_kg=100.0 + i)
        store.finish_set(set_id, SetStatus.COMPLETED, {"peak_pct_mvc": 60.0 + i})
        ids.append(set_id)
    store.close()
    return ids


# -- 1. one gymtui per database file, whatever path leads to it ---------------------------------


def test_a_symlink_or_a_hard_link_to_a_running_gymtuis_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    with PtyApp(["--demo", "--db", str(db)], env=cli_env()) as first:
        first.wait_for(lambda: b"finisher" in first.output, 90, "home screen")
        first.write(b"f")  # the Phase 4 finisher: about 30 s at ×1, so it is still running below
        first.wait_for(lambda: rows(db, "SELECT status FROM sets") == [("in_progress",)], 60, "set in progress")
        [(set_id,)] = rows(db, "SELECT id FROM sets")
        sessions = rows(db, "SELECT id FROM sessions")
        symlink = tmp_path / "elsewhere" / "link.db"
        symlink.parent.mkdir()
        symlink.symlink_to(db)
        hard_link = tmp_path / "other" / "same.db"
        hard_link.parent.mkdir()
        os.link(db, hard_link)
        for second in (symlink, hard_link):
            done = run_cli("--demo", "--db", str(second))
            assert_one_line_exit_2(done, "another gymtui", f"pid {first.proc.pid}", str(second), "quit it first")
            # The refusal changed nothing: the live set is still the first one's, in progress.
            assert rows(db, "SELECT id, status FROM sets") == [(set_id, "in_progress")]
            assert rows(db, "SELECT id FROM sessions") == sessions
        assert first.proc.poll() is None
        assert not list(tmp_path.rglob("*.lock"))  # no lock file beside any of the three names


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gymtui.instance import InstanceLock
    from gymtui.store import Store, check_db_path

    db = Path(sys.argv[1])
    check_db_path(db)
    lock = InstanceLock(db)
    lock.acquire()
    store = Store(db)
    set_id = store.start_set(store.ensure_athlete(), "Back squat", "p")
    # An older schema version: a second gymtui that opened the store before locking would
    # bring it up to date (write) under the running one, as a newer release with a migration would.
    store.conn.execute("PRAGMA user_version=0")
    store.conn.commit()
    print(set_id, flush=True)
    sys.stdin.read()
    """
)


def test_a_second_start_on_the_same_path_is_refused_before_it_writes_anything(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    first = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], cwd=REPO_ROOT, env=cli_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        set_id = int(read_line(first))
        wal = db.with_name("gym.db-wal")
        before = [hashlib.sha256(f.read_bytes()).hexdigest() for f in (db, wal)]
        done = run_cli("--demo", "--db", str(db))
        assert_one_line_exit_2(done, "another gymtui", f"pid {first.pid}")
        assert rows(db, "SELECT id, status FROM sets") == [(set_id, "in_progress")]
        after = [hashlib.sha256(f.read_bytes()).hexdigest() for f in (db, wal)]
        assert after == before, "the refused start wrote to the database or its WAL"
    finally:
        first.stdin.close()
        first.wait(30)


def test_the_instance_lock_leaves_sqlites_own_locks_alone(tmp_path: Path) -> None:
    """flock and SQLite's POSIX locks are independent, and taking or dropping ours keeps SQLite's.

    Closing any descriptor of a file drops every POSIX lock the process holds
    on it; a lock that opened and closed the database would silently end
    SQLite's write lock here, and the other process would get in.
    """
    db = tmp_path / "plain.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    probe = textwrap.dedent(
        """
        import sqlite3, sys
        conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE"); conn.execute("INSERT INTO t VALUES (2)"); conn.execute("COMMIT")
            print("wrote")
        except sqlite3.OperationalError as exc:
            print(exc)
        """
    )

    def other_process_writes() -> str:
        return subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, text=True,
                              timeout=60, check=True).stdout.strip()

    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (1)")  # this process now holds SQLite's write lock
    lock = InstanceLock(db)
    lock.acquire()
    lock.release()
    lock.acquire()
    assert other_process_writes() == "database is locked"  # SQLite's lock survived ours coming and going
    conn.execute("COMMIT")
    assert other_process_writes() == "wrote"  # and ours never blocks SQLite in another process
    conn.execute("INSERT INTO t VALUES (3)")  # nor in this one
    rival_code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from gymtui.instance import InstanceLock
        try:
            InstanceLock(Path(sys.argv[1])).acquire()
        except Exception as exc:
            print(exc)
        """
    )
    rival = subprocess.run([sys.executable, "-c", rival_code, str(db)], check=False, capture_output=True,
                           text=True, timeout=60, cwd=REPO_ROOT, env=cli_env())
    assert rival.stdout.strip() == f"another gymtui (pid {os.getpid()}) is already using {db}; quit it first"
    lock.release()
    assert [r[0] for r in conn.execute("SELECT x FROM t ORDER BY x")] == [1, 2, 3]
    conn.close()


# -- 2. another program's database is refused, not converted -------------------------------------


def foreign_db(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE TABLE tags (note_id INTEGER, tag TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('buy chalk')")
    conn.commit()
    conn.close()
    os.chmod(path, 0o644)
    return path.read_bytes()


@pytest.mark.parametrize(
    "command",
    [("--demo", "--db", "{db}"), ("export", "--db", "{db}"), ("analyze", "set:1", "--db", "{db}")],
    ids=["app", "export", "analyze"],
)
def test_another_programs_database_is_refused_and_left_byte_for_byte(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    db = folder / "notes.db"
    before = foreign_db(db)
    done = run_cli(*(arg.format(db=db) for arg in command))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"{db} is another program's SQLite database (tables: notes, tags), not a gymtui database" in done.stderr
    assert db.read_bytes() == before
    assert mode_of(db) == 0o644  # not ours: not even its mode changes
    assert sorted(p.name for p in folder.iterdir()) == ["notes.db"]  # no -wal, -shm, lock or metadata


def test_a_gymtui_database_from_before_the_marker_opens_and_gets_it(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    ids = gymtui_db_with_sets(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id=0")  # as every gymtui database was before the marker
    conn.commit()
    conn.close()
    store = Store(db)
    assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r["set_id"] for r in store.export_rows()] == ids
    store.close()


def test_a_new_database_carries_both_markers(tmp_path: Path) -> None:
    Store(tmp_path / "new.db").close()
    assert rows(tmp_path / "new.db", "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert rows(tmp_path / "new.db", "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_database_from_a_newer_gymtui_or_another_application_id_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    gymtui_db_with_sets(newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=f"written by a newer gymtui \\(schema {SCHEMA_VERSION + 1}"):
        Store(newer)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA application_id=1234")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(StoreError, match="belongs to another program \\(SQLite application id 0x4d2\\)"):
        Store(other)
    assert other.read_bytes() == before


# -- 3. what is wrong, said for what it is ----------------------------------------------------------


LOCK_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={sys.argv[2]}")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT INTO athletes (name, created_at) VALUES ('someone', 'now')")
    print("holding", flush=True)
    sys.stdin.read()
    """
)


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_database_locked_by_another_program_is_named_and_the_start_gives_up_in_time(
    tmp_path: Path, journal: str
) -> None:
    db = tmp_path / "gym.db"
    gymtui_db_with_sets(db)
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db), journal],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(holder) == "holding\n"
        started = time.monotonic()
        done = run_cli("--demo", "--db", str(db))
        elapsed = time.monotonic() - started
        line = assert_one_line_exit_2(done, f"{db} is locked by another program", f"pid {holder.pid}",
                                      "close it and try again")
        assert "damaged" not in line and "not a usable" not in line
        # It waited the stated time for the lock to go, then said so (slack: a busy machine's start-up).
        assert OPEN_WAIT_S <= elapsed < OPEN_WAIT_S + 30
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert [r[0] for r in rows(db, "SELECT name FROM athletes")] == ["Sam"]  # the holder's row was never committed


def test_random_bytes_are_not_sqlite_and_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    path.write_bytes(random.Random(7).randbytes(64 * 1024))
    before = path.read_bytes()
    assert_one_line_exit_2(run_cli("--demo", "--db", str(path)), f"{path} is not an SQLite file")
    assert path.read_bytes() == before


def test_a_truncated_gymtui_database_is_called_damaged_not_unusable(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    athlete = store.ensure_athlete("Sam")
    for i in range(400):
        store.start_set(athlete, f"Exercise {i} " + "x" * 200, "p")
    store.close()
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size // 2)
    before = db.read_bytes()
    line = assert_one_line_exit_2(run_cli("--demo", "--db", str(db)), f"{db} is damaged", "do not delete it",
                                  f"gymtui export --db {db}", f"sqlite3 {db} .recover")
    assert "malformed" in line
    assert db.read_bytes() == before


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "2m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("a small file system (tmpfs) for a full or read-only disk needs root to mount")
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          check=False, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True, timeout=30)


def fill(folder: Path) -> None:
    """Write a file until the disk is full (ENOSPC ends it)."""
    try:
        with open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_full_disk_at_start_is_called_full(tmp_path: Path, existing: bool) -> None:
    with small_tmpfs(tmp_path / "small") as disk:
        db = disk / "gym.db"
        if existing:
            gymtui_db_with_sets(db)
        fill(disk)
        before = db.read_bytes() if existing else b""
        line = assert_one_line_exit_2(run_cli("--demo", "--db", str(db)), "the disk is full", "free some space")
        assert "damaged" not in line and "not a usable" not in line
        if existing:
            assert db.read_bytes() == before


def test_a_read_only_file_system_is_called_read_only(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "small") as disk:
        db = disk / "gym.db"
        gymtui_db_with_sets(db)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, timeout=30)
        assert_one_line_exit_2(run_cli("--demo", "--db", str(db)), f"cannot write {db}", "read-only file system")


def test_a_file_without_write_permission_is_called_so(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes a file whatever its permission bits say")
    db = tmp_path / "gym.db"
    gymtui_db_with_sets(db)
    db.chmod(0o400)
    assert_one_line_exit_2(run_cli("--demo", "--db", str(db)), "permission denied")


# -- 4. private files ----------------------------------------------------------------------------


def test_a_real_start_leaves_the_database_its_journals_and_its_folder_private(tmp_path: Path) -> None:
    env = {k: v for k, v in cli_env().items() if k != "GYMTUI_DB"}  # the default place, in the user data dir
    folder = Path(env["XDG_DATA_HOME"]) / "gymtui"
    db = folder / "gymtui.db"
    files = [db, db.with_name("gymtui.db-wal"), db.with_name("gymtui.db-shm")]
    with PtyApp(["--demo"], env=env, umask=0) as app:  # umask 0: nothing may rely on the user's umask
        app.wait_for(lambda: b"finisher" in app.output and all(f.exists() for f in files), 90, "home screen")
        modes = {f.name: oct(mode_of(f)) for f in files}
    assert modes == {"gymtui.db": "0o600", "gymtui.db-wal": "0o600", "gymtui.db-shm": "0o600"}
    assert oct(mode_of(folder)) == "0o700"
    assert not list(folder.glob("*.lock"))  # the lock is on the database itself


def test_our_own_database_made_readable_by_an_older_gymtui_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    gymtui_db_with_sets(db)
    db.chmod(0o644)
    Store(db).close()
    assert oct(mode_of(db)) == "0o600"


def test_paired_toml_and_its_folder_are_private(private_home: Path) -> None:
    old = os.umask(0)
    try:
        registry = PairedDevices.load()
        registry.add(PairedDevice("E0:5A:00:00:00:01", "myo", "Myo"))
    finally:
        os.umask(old)
    path = default_path()
    assert path.is_relative_to(private_home)
    assert (oct(mode_of(path)), oct(mode_of(path.parent))) == ("0o600", "0o700")
    assert PairedDevices.load().get("E0:5A:00:00:00:01") is not None
