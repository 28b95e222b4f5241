"""The database file as the system sees it: private, recognised as ours, and why it will not open.

Three jobs that come before any SQL is written to a file:

- **Private.** Training and EMG data are health data. A new database is
  created ``0600`` (its folder ``0700``) before SQLite touches it; SQLite
  gives the ``-wal`` and ``-shm`` files it creates beside it the database's
  own mode, so they are private too.
- **Recognised.** :func:`inspect` reads the file through a read-only
  connection and says whether it is a new (empty) database, a gymtui
  database (``PRAGMA application_id`` is :data:`APPLICATION_ID`), a gymtui
  database from before that marker (it has every core gymtui table), or
  somebody else's: then it is refused and not a byte of it changes.
- **Explained.** A file can fail to open because another program holds a
  lock, the disk is full, the file or its folder is read-only, the disk
  returns I/O errors, the file is not SQLite, or it is damaged. Each gets
  its own one line (:func:`explain`), because "not a usable database"
  about a good file that is merely locked invites deleting it.

Never ``open()`` and ``close()`` a database file that SQLite may have open in
this process: closing any descriptor of a file drops every POSIX lock the
process holds on it, SQLite's included ("How To Corrupt An SQLite Database
File", §2.2). Everything here reads the file through SQLite, ``stat`` or
``/proc/locks`` only.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from gymtui.text import safe_text

APPLICATION_ID = 0x47796D54
"""``PRAGMA application_id`` of every gymtui database: "GymT" in ASCII."""

CORE_TABLES = frozenset(
    {"athletes", "sessions", "sets", "phases", "reps", "calibrations", "signal_blocks", "cuff_events"}
)
"""Tables every gymtui database has had since the first schema: how one from before the marker is known."""

OPEN_WAIT_S = 3.0
"""How long opening waits for another program's lock before saying so (a backup or a
``sqlite3`` shell may hold one for a moment; longer than this, the athlete should know)."""

LOW_SPACE_BYTES = 256 * 1024
"""Below this much free space in the database's folder, a failed write is reported as a full disk."""

SIDE_FILES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside the database."""

_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_FULL, _SQLITE_AUTH, _SQLITE_NOTADB = 10, 11, 14, 13, 23, 26


class DatabaseFileError(Exception):
    """The file cannot be used as a gymtui database; the message is one line for the athlete."""


@dataclass(frozen=True, slots=True)
class Inspection:
    """What :func:`inspect` found in a file that SQLite can read."""

    kind: str
    """``new`` (no tables yet), ``gymtui`` (has the marker) or ``legacy`` (gymtui tables, no marker)."""
    user_version: int


def side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in SIDE_FILES]


def readonly_uri(path: Path) -> str:
    """A ``file:`` URI that opens ``path`` read-only (percent-encoded, so any name works)."""
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode ``0600`` (its missing folder ``0700``); False if it existed.

    The file is made here, not by SQLite, so it is never readable by others
    for even a moment, whatever the umask.
    """
    folder = path.parent
    if not folder.exists():
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseFileError(f"cannot create the database folder {folder}: {_os_reason(exc, folder)}") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False  # created a moment ago by somebody else: it is theirs to describe
    except OSError as exc:
        raise DatabaseFileError(f"cannot create the database {path}: {_os_reason(exc, folder)}") from None
    os.close(fd)  # a new, empty file: no SQLite connection of ours can have it open
    return True


def make_private(path: Path) -> None:
    """Take group and other permissions off our own database and the files SQLite keeps beside it.

    Only files this user owns, and only once the file is known to be a
    gymtui database: somebody else's file is never changed.
    """
    uid = os.geteuid()
    for file in (path, *side_files(path)):
        try:
            st = os.stat(file)
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if st.st_uid == uid and stat.S_ISREG(st.st_mode) and mode & 0o077:
            try:
                os.chmod(file, mode & 0o700)
            except OSError:
                pass  # a read-only file system: it cannot be read more widely than it already is


def inspect(path: Path, schema_version: int) -> Inspection:
    """Classify ``path`` through a read-only connection; raise :class:`DatabaseFileError` if it is not ours.

    Nothing is written: a foreign database keeps every byte (SQLite may
    leave ``-wal``/``-shm`` beside one that is already in WAL mode, as any
    reader does).
    """
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=OPEN_WAIT_S)
    except sqlite3.Error as exc:
        raise DatabaseFileError(explain(path, exc)) from None
    try:
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        names = schema_names(conn)
    except sqlite3.Error as exc:
        raise DatabaseFileError(explain(path, exc)) from None
    finally:
        conn.close()
    return Inspection(classify(path, application_id, user_version, names, schema_version), user_version)


def schema_names(conn: sqlite3.Connection) -> set[str]:
    """Names of the tables, views, indexes and triggers in a database, SQLite's own left out."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    return {str(r[0]) for r in rows}


def classify(path: Path, application_id: int, user_version: int, names: set[str], schema_version: int) -> str:
    """``new``, ``gymtui`` or ``legacy``; a foreign or newer database raises :class:`DatabaseFileError`."""
    if application_id == APPLICATION_ID:
        kind = "gymtui"
    elif application_id != 0:
        raise DatabaseFileError(
            f"{path} belongs to another program (SQLite application id {application_id:#x}), "
            "not gymtui; it was left as it is"
        )
    elif CORE_TABLES <= names:
        kind = "legacy"
    elif names or user_version != 0:
        shown = ", ".join(sorted(names)[:5]) + (", …" if len(names) > 5 else "")
        what = f"tables: {safe_text(shown)}" if names else f"user_version {user_version}"
        raise DatabaseFileError(
            f"{path} is another program's SQLite database ({what}), not a gymtui database; it was left as it is"
        )
    else:
        kind = "new"
    if kind != "new" and user_version > schema_version:
        raise DatabaseFileError(
            f"{path} was written by a newer gymtui (schema {user_version}; this one knows up to "
            f"{schema_version}); update gymtui to open it"
        )
    return kind


# -- why it will not open ------------------------------------------------------------------


def explain(path: Path, exc: sqlite3.Error) -> str:
    """One line saying what is wrong with ``path``, from an SQLite error met while opening it."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    detail = safe_text(str(exc))
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or (primary is None and "locked" in detail):
        return locked_message(path)
    if primary == _SQLITE_FULL or (primary == _SQLITE_IOERR and _low_space(path.parent)):
        return full_message(path)
    if primary in (_SQLITE_READONLY, _SQLITE_PERM, _SQLITE_AUTH, _SQLITE_CANTOPEN):
        return unwritable_message(path, detail)
    if primary == _SQLITE_IOERR:
        return (
            f"cannot read {path}: the disk reports an I/O error ({detail}); the disk or card may be failing: "
            "copy the file somewhere safe before anything else"
        )
    if primary == _SQLITE_NOTADB:
        return f"{path} is not an SQLite file, so not a usable gymtui database; it was left as it is"
    if primary == _SQLITE_CORRUPT:
        return damaged_message(path, detail)
    return f"cannot open the database {path}: {detail}"


def explain_os(path: Path, exc: OSError) -> str:
    return f"cannot open the database {path}: {_os_reason(exc, path.parent)}"


def locked_message(path: Path) -> str:
    holders = lock_holders(path)
    who = ", ".join(f"{name}, pid {pid}" for pid, name in holders[:3]) or f"it did not let go within {OPEN_WAIT_S:g} s"
    return f"{path} is locked by another program ({who}); close it and try again"


def full_message(path: Path) -> str:
    free = _free_bytes(path.parent)
    shown = f"{free // 1024} KiB free" if free is not None else "no space left"
    return f"cannot open {path}: the disk is full ({shown} in {path.parent}); free some space and try again"


def damaged_message(path: Path, detail: str) -> str:
    return (
        f"{path} is damaged ({detail}); do not delete it: `gymtui export --db {path}` saves what can be read, "
        f"`sqlite3 {path} .recover` rescues more"
    )


def unwritable_message(path: Path, detail: str = "") -> str:
    if _read_only_fs(path):
        return f"cannot write {path}: it is on a read-only file system; remount it read-write or pick another --db"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"cannot write the database {path}: permission denied (the file is not writable by this user)"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return (
            f"cannot write the database {path}: permission denied on its folder {path.parent} "
            "(SQLite keeps its journal files beside the database)"
        )
    return f"cannot write the database {path}: {detail or 'permission denied'}"


def _os_reason(exc: OSError, folder: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full; free some space and try again"
    if exc.errno == errno.EROFS:
        return "it is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EIO:
        return "the disk reports an I/O error; the disk or card may be failing"
    return safe_text(exc.strerror or str(exc))


def _free_bytes(folder: Path) -> int | None:
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    blocks = st.f_bfree if os.geteuid() == 0 else st.f_bavail  # root may use the reserved blocks
    return blocks * st.f_frsize


def _low_space(folder: Path) -> bool:
    free = _free_bytes(folder)
    return free is not None and free < LOW_SPACE_BYTES


def _read_only_fs(path: Path) -> bool:
    for candidate in (path, path.parent):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


# -- who holds a lock ----------------------------------------------------------------------


def lock_holders(path: Path, *, kind: str = "POSIX") -> list[tuple[int, str]]:
    """Other processes holding ``kind`` locks (``POSIX`` or ``FLOCK``) on the database or its side files.

    Read from ``/proc/locks`` (Linux); writers first. Empty where that is not
    available or the holder is in another PID namespace: the caller words
    its message without a name then.
    """
    keys: set[tuple[int, int, int]] = set()
    for file in (path, *side_files(path)):
        try:
            st = os.stat(file)
        except OSError:
            continue
        keys.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    try:
        lines = Path("/proc/locks").read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return []
    writers: list[int] = []
    readers: list[int] = []
    me = os.getpid()
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->" or fields[1] != kind:
            continue
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            key = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if key in keys and pid not in (me, 0):
            (writers if fields[3] == "WRITE" else readers).append(pid)
    pids = list(dict.fromkeys(writers + readers))
    return [(pid, _process_name(pid)) for pid in pids]


def _process_name(pid: int) -> str:
    try:
        return safe_text(Path(f"/proc/{pid}/comm").read_text(errors="replace").strip(), max_chars=40) or "?"
    except OSError:
        return "?"
