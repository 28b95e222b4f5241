"""The store as the rest of gymtui sees it: one :class:`Store` per database file.

Each aggregate keeps its own tables in its own module (:mod:`.athletes`,
:mod:`.sets`, :mod:`.cues`, :mod:`.feedback_weeks`, :mod:`.samples`, :mod:`.calibrations`, :mod:`.cuff`,
:mod:`.programs`, :mod:`.reports`, :mod:`.planned_sets`, :mod:`.imports`, :mod:`.gym`); :class:`Store` opens the file
(:mod:`.connection`, :mod:`.dbfile`), brings its schema up to date
(:mod:`.migrations`) and carries every aggregate's methods, so callers hold
one object. The app calls it from one dedicated thread
(:class:`gymtui.store.executor.StoreExecutor`), never from the UI's hot path.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gymtui.store import dbfile
from gymtui.store.athletes import Athletes
from gymtui.store.calibrations import Calibrations
from gymtui.store.connection import check_db_path, close_connection, connect
from gymtui.store.cues import Cues
from gymtui.store.cuff import CuffLog
from gymtui.store.errors import StoreError
from gymtui.store.feedback_weeks import FeedbackWeeks
from gymtui.store.gym import GymTables
from gymtui.store.imports import Imports
from gymtui.store.migrations import SCHEMA_VERSION, migrate
from gymtui.store.planned_sets import PlannedSets
from gymtui.store.programs import Programs
from gymtui.store.reports import Reports
from gymtui.store.samples import Samples
from gymtui.store.sets import Sets
from gymtui.store.sqlite_utils_load import database


class Store(
    Athletes, Sets, Cues, FeedbackWeeks, Samples, Calibrations, CuffLog, Programs, Reports, PlannedSets, Imports, GymTables
):
    """A gymtui database file."""

    path: Path
    readonly: bool
    upgraded_from: int | None
    """The schema version the file was at when opened for writing (None: opened read-only)."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        """Open (and if new, create) a gymtui database; :class:`StoreError` says in one line why not.

        The file is read through a read-only connection first: another
        program's database is refused before a byte of it changes. Then the
        migration steps the file lacks run in one ``BEGIN IMMEDIATE`` transaction
        (:func:`gymtui.store.migrations.migrate`),
        which also proves the file is writable now; a lock held by another
        program is waited on for :data:`gymtui.store.dbfile.OPEN_WAIT_S` and then
        named. ``readonly=True`` (export) opens an existing database without
        writing anything, not even the schema.
        """
        self.path = Path(path)
        self.readonly = readonly
        self.upgraded_from = None
        if readonly:
            if not self.path.is_file():
                raise StoreError(f"no database at {self.path}")
        else:
            check_db_path(self.path)
        try:
            dbfile.inspect(self.path, SCHEMA_VERSION)
        except dbfile.DatabaseFileError as exc:
            raise StoreError(str(exc)) from None
        if readonly:
            try:
                self.conn = sqlite3.connect(
                    dbfile.readonly_uri(self.path), uri=True, check_same_thread=False, timeout=dbfile.OPEN_WAIT_S
                )
            except sqlite3.Error as exc:
                raise StoreError(dbfile.explain(self.path, exc)) from None
            self.db = database(self.conn)
            return
        dbfile.make_private(self.path)  # ours (or about to be): before SQLite makes its -wal and -shm
        conn: sqlite3.Connection | None = None
        try:
            conn = self.conn = connect(self.path)
            self.db = database(conn)
            busy_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
            conn.execute(f"PRAGMA busy_timeout={int(dbfile.OPEN_WAIT_S * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            self.upgraded_from = migrate(conn, self.path)
            conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        except dbfile.DatabaseFileError as exc:
            self._close_quietly(conn)
            raise StoreError(str(exc)) from None
        except sqlite3.Error as exc:
            self._close_quietly(conn)
            raise StoreError(dbfile.explain(self.path, exc)) from None
        except OSError as exc:
            self._close_quietly(conn)
            raise StoreError(dbfile.explain_os(self.path, exc)) from None
        dbfile.make_private(self.path)  # side files an older gymtui left readable

    @staticmethod
    def _close_quietly(conn: sqlite3.Connection | None) -> None:
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        """Close the connection, unless that would touch files that cannot be written.

        Closing the last connection checkpoints the WAL, which writes to the
        mapped ``-shm``: with immutable files that is a SIGBUS. Then the
        connection is left open for the process's exit to drop (the WAL
        stays on disk, and the next opener recovers it).
        """
        close_connection(self.path, self.conn)
