"""Opening the database file: one connection with the pragmas every gymtui connection needs.

WAL on and ``PRAGMA foreign_keys=ON`` on every connection (sqlite-utils does
not set it), no memory-mapped reads, and :class:`GymConnection`, on which
several store calls can run as one transaction: the store thread runs each
write that way, which is what makes a write safe to run again after the
database refused it.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal

from gymtui.store import dbfile
from gymtui.store.errors import StoreError

log = logging.getLogger(__name__)


def now_iso() -> str:
    """Local time, ISO-8601 with its UTC offset, to the millisecond."""
    return dt.datetime.now().astimezone().isoformat(timespec="milliseconds")


class GymConnection(sqlite3.Connection):
    """A connection on which several Store calls can be one transaction.

    Every Store method says ``with self.conn:`` (commit on success, roll
    back on failure), and sqlite-utils nests its own savepoints inside.
    Within :meth:`transaction` those ``with`` blocks do not commit: the
    whole block commits at its end or rolls back as one. The store thread
    runs each write this way, which is what makes a write safe to run again
    after the database refused it: it happened whole or not at all.
    """

    _depth = 0

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if self._depth:
            return False  # the enclosing transaction() commits or rolls back
        return super().__exit__(exc_type, exc, tb)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if anything inside raised."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if self.in_transaction:
            log.warning("a transaction was left open by an earlier failure: rolled back")
            self.rollback()
        self.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            if self.in_transaction:
                self.rollback()
            raise
        self._depth = 0
        try:
            self.commit()
        except BaseException:
            if self.in_transaction:
                self.rollback()
            raise


def connect(path: Path) -> GymConnection:
    """A read-write connection to ``path`` with the pragmas every gymtui connection needs."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=5.0, factory=GymConnection)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    # No memory-mapped reads of the database file (SQLite's default here is
    # already 0; said once because a mapped page of a file that cannot be
    # written is a SIGBUS, not an error). The WAL index (-shm) is mapped
    # whatever this says: see unwritable_files.
    conn.execute("PRAGMA mmap_size=0")
    return conn


def db_files(path: Path) -> tuple[Path, Path, Path]:
    """The database and the two files SQLite keeps beside it in WAL mode."""
    return path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def unwritable_files(path: Path) -> list[Path]:
    """Those of the database's files that exist and cannot be written (read-only or immutable).

    Why it matters: in WAL mode SQLite maps the ``-shm`` file (the WAL index)
    into memory and writes to it on every transaction, reads included. When
    that file is made immutable (``chattr +i``) the kernel refuses the next
    write to a mapped page with SIGBUS, which kills the process: SQLite never
    sees an error it could return. So the store looks before it touches the
    database. ``os.access`` opens no file descriptor, which matters: closing
    any descriptor of a file drops every POSIX lock the process holds on it,
    SQLite's included.
    """
    return [p for p in db_files(path) if os.path.exists(p) and not os.access(p, os.W_OK)]


_PINNED: list[sqlite3.Connection] = []
"""Connections never to be closed (see :meth:`gymtui.store.Store.close`)."""


def check_db_path(path: Path) -> None:
    """Fail early with one clear line if ``path`` cannot hold a database; create it private if missing.

    A missing file is created empty with mode ``0600`` (a missing folder
    ``0700``) before SQLite sees it, so health data is never readable by
    other users of the machine, whatever the umask.
    """
    if path.is_dir():
        raise StoreError(f"cannot use {path} as the database: it is a directory")
    if path.exists() and not path.is_file():
        raise StoreError(f"cannot use {path} as the database: it is not a regular file")
    try:
        # Creating the file is the only honest test (root ignores permission bits; /proc refuses).
        dbfile.create_private(path)
    except dbfile.DatabaseFileError as exc:
        raise StoreError(str(exc)) from None
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(dbfile.unwritable_message(path))


def close_connection(path: Path, conn: sqlite3.Connection) -> None:
    """Close ``conn``, unless that would touch files of ``path`` that cannot be written.

    Closing the last connection checkpoints the WAL, which writes to the
    mapped ``-shm``: with immutable files that is a SIGBUS. Then the
    connection is left open for the process's exit to drop (the WAL stays
    on disk, and the next opener recovers it).
    """
    unwritable = unwritable_files(path)
    if unwritable:
        log.warning("not closing %s: %s cannot be written", path, ", ".join(p.name for p in unwritable))
        _PINNED.append(conn)
        # Never deallocated, so never closed, even while the interpreter exits.
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(conn))
        return
    conn.close()
