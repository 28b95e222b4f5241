"""The only code that speaks SQL: schema, writes, recovery, queries.

SQLite through sqlite-utils, WAL on and ``PRAGMA foreign_keys=ON`` on every
connection (sqlite-utils does not set it). A set is durable phase by phase:
its row is written when it starts (``in_progress``), each phase when it ends,
and raw signal in blocks of about a second, each in its own transaction, so a
killed process loses the phase that was running and any write still queued
(the README states the measured bound).

The app calls these methods from one dedicated thread (see
:class:`StoreExecutor`), never from the UI's hot path.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import ctypes
import datetime as dt
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np
import sqlite_utils

from gymtui import dbfile
from gymtui.bfr.ledger import occluded_s
from gymtui.model import Calibration
from gymtui.store_recovery import (
    REPLAYABLE,
    ReplayReport,
    SpillReport,
    Write,
    replay,
    spill,
)
from gymtui.text import safe_text

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used; the message is one line for the athlete."""


class SetStatus:
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    DISCARDED = "discarded"


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


def _connect(path: Path) -> sqlite3.Connection:
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


@dataclass(frozen=True, slots=True)
class SetSummary:
    """A set as the home screen and rating prompt show it."""

    id: int
    exercise: str
    status: str
    started_at: str
    activation_rating: int | None
    phases_done: int
    peak_pct_mvc: float | None
    mean_pct_mvc: float | None


class Store:
    """A gymtui database file."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        """Open (and if new, create) a gymtui database; :class:`StoreError` says in one line why not.

        The file is read through a read-only connection first: another
        program's database is refused before a byte of it changes. Then the
        schema is brought up to date in one ``BEGIN IMMEDIATE`` transaction,
        which also proves the file is writable now; a lock held by another
        program is waited on for :data:`gymtui.dbfile.OPEN_WAIT_S` and then
        named. ``readonly=True`` (export) opens an existing database without
        writing anything, not even the schema.
        """
        self.path = Path(path)
        self.readonly = readonly
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
            self.db = sqlite_utils.Database(self.conn)
            return
        dbfile.make_private(self.path)  # ours (or about to be): before SQLite makes its -wal and -shm
        conn: sqlite3.Connection | None = None
        try:
            conn = self.conn = _connect(self.path)
            self.db = sqlite_utils.Database(conn)
            busy_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
            conn.execute(f"PRAGMA busy_timeout={int(dbfile.OPEN_WAIT_S * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            self._ensure_schema()
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
        unwritable = unwritable_files(self.path)
        if unwritable:
            log.warning("not closing %s: %s cannot be written", self.path, ", ".join(p.name for p in unwritable))
            _PINNED.append(self.conn)
            # Never deallocated, so never closed, even while the interpreter exits.
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(self.conn))
            return
        self.conn.close()

    # -- schema ------------------------------------------------------------
    def _ensure_schema(self) -> None:
        """Create what is missing and mark the file as gymtui's, in one write transaction.

        ``BEGIN IMMEDIATE`` takes the write lock first, so a locked or
        read-only file fails here, at start, with nothing half-made; and the
        file is classified again under that lock, so a database that changed
        hands since :func:`gymtui.dbfile.inspect` is still refused untouched.
        """
        db = self.db
        with self._immediate_transaction():
            application_id = int(self.conn.execute("PRAGMA application_id").fetchone()[0])
            user_version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
            dbfile.classify(self.path, application_id, user_version, dbfile.schema_names(self.conn), SCHEMA_VERSION)
            db["athletes"].create(
                {"id": int, "name": str, "created_at": str, "baseline_rhr_bpm": float},
                pk="id",
                not_null={"name", "created_at"},
                if_not_exists=True,
            )
            db["sessions"].create(
                {
                    "id": int,
                    "athlete_id": int,
                    "started_at": str,
                    "ended_at": str,
                    "template": str,
                    "notes": str,
                },
                pk="id",
                foreign_keys=[("athlete_id", "athletes", "id")],
                not_null={"athlete_id", "started_at"},
                if_not_exists=True,
            )
            db["calibrations"].create(
                {
                    "id": int,
                    "athlete_id": int,
                    "kind": str,
                    "taken_at": str,
                    "source": str,
                    "channels": str,
                    "values_json": str,
                    "window_s": float,
                    "limb": str,
                    "lop_mmhg": float,
                },
                pk="id",
                foreign_keys=[("athlete_id", "athletes", "id")],
                not_null={"athlete_id", "kind", "taken_at"},
                if_not_exists=True,
            )
            if not db["sets"].exists():
                db["sets"].create(
                    {
                        "id": int,
                        "session_id": int,
                        "athlete_id": int,
                        "exercise": str,
                        "protocol": str,
                        "load_kg": float,
                        "reps": int,
                        "activation_rating": int,
                        "status": str,
                        "started_at": str,
                        "ended_at": str,
                        "rated_at": str,
                        "peak_pct_mvc": float,
                        "mean_pct_mvc": float,
                        "target_share": float,
                        "cci_pct": float,
                        "time_above_target_s": float,
                        "perfect_reps": int,
                        "mf_slope_hz_per_s": float,
                        "quality_flags": str,
                        "channels": str,
                        "pipeline": str,
                        "calibration_id": int,
                        "notes": str,
                    },
                    pk="id",
                    foreign_keys=[
                        ("session_id", "sessions", "id"),
                        ("athlete_id", "athletes", "id"),
                        ("calibration_id", "calibrations", "id"),
                    ],
                    not_null={"athlete_id", "exercise", "status", "started_at"},
                )
            db["phases"].create(
                {
                    "id": int,
                    "set_id": int,
                    "idx": int,
                    "kind": str,
                    "name": str,
                    "planned_s": float,
                    "started_at": str,
                    "ended_at": str,
                    "duration_s": float,
                    "ended_by": str,
                    "peak_pct_mvc": float,
                    "mean_pct_mvc": float,
                    "metrics": str,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id")],
                not_null={"set_id", "idx", "kind", "started_at"},
                if_not_exists=True,
            )
            db["reps"].create(
                {
                    "id": int,
                    "set_id": int,
                    "idx": int,
                    "start_s": float,
                    "end_s": float,
                    "peak_pct_mvc": float,
                    "mean_pct_mvc": float,
                    "target_share": float,
                    "perfect": int,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id")],
                not_null={"set_id", "idx"},
                if_not_exists=True,
            )
            db["signal_blocks"].create(
                {
                    "id": int,
                    "set_id": int,
                    "seq": int,
                    "t0_s": float,
                    "rate_hz": float,
                    "dtype": str,
                    "n_samples": int,
                    "n_channels": int,
                    "lost_samples": int,
                    "data": bytes,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id")],
                not_null={"set_id", "seq", "rate_hz", "dtype", "n_samples", "n_channels", "data"},
                if_not_exists=True,
            )
            db["cuff_events"].create(
                {
                    "id": int,
                    "set_id": int,
                    "session_id": int,
                    "at": str,
                    "kind": str,
                    "pressure_mmhg": float,
                    "target_mmhg": float,
                    "reason": str,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id"), ("session_id", "sessions", "id")],
                not_null={"at", "kind"},
                if_not_exists=True,
            )
            for table, column in [
                ("sessions", "athlete_id"),
                ("sets", "session_id"),
                ("sets", "athlete_id"),
                ("sets", "calibration_id"),
                ("calibrations", "athlete_id"),
                ("phases", "set_id"),
                ("reps", "set_id"),
                ("signal_blocks", "set_id"),
                ("cuff_events", "set_id"),
                ("cuff_events", "session_id"),
            ]:
                db[table].create_index([column], if_not_exists=True)
            db["sets"].create_index(["exercise", "started_at"], if_not_exists=True)
            db["sets"].create_index(["status"], if_not_exists=True)
            # -- programs (issue 7): plans, check-ins, suggestions, flags ----------
            # New tables and new nullable columns only; see _ensure_programs_schema.
            self._ensure_programs_schema()
            # -- end programs --------------------------------------------------
            if application_id != dbfile.APPLICATION_ID:
                self.conn.execute(f"PRAGMA application_id={dbfile.APPLICATION_ID}")
            if user_version != SCHEMA_VERSION:
                self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _immediate_transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error (sqlite-utils nests savepoints inside)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise
        self.conn.commit()

    # -- athletes and sessions ---------------------------------------------
    def ensure_athlete(self, name: str = "Athlete") -> int:
        row = self.conn.execute("SELECT id FROM athletes WHERE name = ? ORDER BY id LIMIT 1", (name,)).fetchone()
        if row:
            return int(row[0])
        with self.conn:
            return int(self.db["athletes"].insert({"name": name, "created_at": now_iso()}).last_pk)

    def start_session(self, athlete_id: int, template: str = "") -> int:
        with self.conn:
            return int(
                self.db["sessions"]
                .insert({"athlete_id": athlete_id, "started_at": now_iso(), "template": template})
                .last_pk
            )

    def end_session(self, session_id: int) -> None:
        with self.conn:
            self.db["sessions"].update(session_id, {"ended_at": now_iso()})

    # -- sets --------------------------------------------------------------
    def start_set(
        self,
        athlete_id: int,
        exercise: str,
        protocol: str,
        *,
        session_id: int | None = None,
        load_kg: float | None = None,
        channels: Sequence[dict[str, str]] = (),
        pipeline: dict[str, Any] | None = None,
        calibration_id: int | None = None,
        started_at: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Write the set row at the moment it starts, as ``in_progress``.

        ``started_at`` is when the set began (default now: a write retried
        after an outage keeps the real time); ``extra`` adds columns (a
        planned set's plan fields) in the same insert.
        """
        row: dict[str, Any] = {
            "athlete_id": athlete_id,
            "session_id": session_id,
            "exercise": exercise,
            "protocol": protocol,
            "load_kg": load_kg,
            "status": SetStatus.IN_PROGRESS,
            "started_at": started_at or now_iso(),
            "channels": json.dumps(list(channels)),
            "pipeline": json.dumps(pipeline or {}),
            "calibration_id": calibration_id,
        }
        for key, value in (extra or {}).items():
            row.setdefault(key, json.dumps(value) if isinstance(value, (list, dict, tuple)) else value)
        with self.conn:
            return int(self.db["sets"].insert(row).last_pk)

    def set_calibration_for_set(self, set_id: int, calibration_id: int) -> None:
        with self.conn:
            self.db["sets"].update(set_id, {"calibration_id": calibration_id})

    def record_phase(
        self,
        set_id: int,
        idx: int,
        kind: str,
        name: str,
        *,
        planned_s: float | None,
        started_at: str,
        duration_s: float,
        ended_by: str,
        ended_at: str | None = None,
        peak_pct_mvc: float | None = None,
        mean_pct_mvc: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> int:
        """Write one finished phase, in its own transaction (``ended_at``: default now).

        The app writes it the moment the phase ends, before its EMG
        statistics exist (they follow through :meth:`update_phase_stats`), so
        a kill right after the end still finds the phase on disk.
        """
        with self.conn:
            return int(
                self.db["phases"]
                .insert(
                    {
                        "set_id": set_id,
                        "idx": idx,
                        "kind": kind,
                        "name": name,
                        "planned_s": planned_s,
                        "started_at": started_at,
                        "ended_at": ended_at or now_iso(),
                        "duration_s": duration_s,
                        "ended_by": ended_by,
                        "peak_pct_mvc": peak_pct_mvc,
                        "mean_pct_mvc": mean_pct_mvc,
                        "metrics": json.dumps(metrics or {}),
                    }
                )
                .last_pk
            )

    def update_phase_stats(
        self,
        set_id: int,
        idx: int,
        *,
        peak_pct_mvc: float | None,
        mean_pct_mvc: float | None,
        metrics: dict[str, Any],
    ) -> None:
        """Add a phase's EMG statistics to the row its end wrote (the set's phase ``idx``).

        Raises :class:`StoreError` when there is no such row: the statistics
        would otherwise vanish without a word.
        """
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE phases SET peak_pct_mvc = ?, mean_pct_mvc = ?, metrics = ? WHERE set_id = ? AND idx = ?",
                (peak_pct_mvc, mean_pct_mvc, json.dumps(metrics), set_id, idx),
            )
        if cursor.rowcount == 0:
            raise StoreError(f"set {set_id} has no phase {idx} to add its statistics to")

    def finish_set(
        self, set_id: int, status: str, summary: dict[str, Any] | None = None, ended_at: str | None = None
    ) -> None:
        """Close a set as ``completed`` or ``aborted`` with its EMG summary (``ended_at``: default now)."""
        if status not in (SetStatus.COMPLETED, SetStatus.ABORTED):
            raise ValueError(f"a set finishes as completed or aborted, not {status!r}")
        values: dict[str, Any] = {"status": status, "ended_at": ended_at or now_iso()}
        for key, value in (summary or {}).items():
            values[key] = json.dumps(value) if isinstance(value, (list, dict, tuple)) else value
        with self.conn:
            self.db["sets"].update(set_id, values)

    def update_set(self, set_id: int, values: dict[str, Any]) -> None:
        """Add late-arriving facts (reps, load, notes, summary) to a set row."""
        encoded = {k: json.dumps(v) if isinstance(v, (list, dict, tuple)) else v for k, v in values.items()}
        with self.conn:
            self.db["sets"].update(set_id, encoded)

    def rate_set(self, set_id: int, rating: int, rated_at: str | None = None) -> None:
        if not 1 <= rating <= 10:
            raise ValueError(f"an activation rating is 1–10, not {rating}")
        with self.conn:
            self.db["sets"].update(set_id, {"activation_rating": rating, "rated_at": rated_at or now_iso()})

    def discard_set(self, set_id: int) -> None:
        """Mark an interrupted set as looked at and not wanted; its data stays."""
        with self.conn:
            self.db["sets"].update(set_id, {"status": SetStatus.DISCARDED})

    def record_reps(self, set_id: int, reps: Iterable[dict[str, Any]]) -> None:
        rows = [{"set_id": set_id, **rep} for rep in reps]
        if rows:
            with self.conn:
                self.db["reps"].insert_all(rows)

    def recover_interrupted(self) -> list[int]:
        """Sets left ``in_progress`` by a process that died become ``interrupted``.

        Call only while holding the single-instance lock: then no live process
        owns an in-progress set.
        """
        with self.conn:
            ids = [
                int(r[0])
                for r in self.conn.execute("SELECT id FROM sets WHERE status = ?", (SetStatus.IN_PROGRESS,))
            ]
            if ids:
                self.conn.execute(
                    "UPDATE sets SET status = ? WHERE status = ?", (SetStatus.INTERRUPTED, SetStatus.IN_PROGRESS)
                )
        return ids

    def interrupted_sets(self) -> list[SetSummary]:
        """Interrupted sets still waiting for the athlete to rate or discard them."""
        return self._summaries("WHERE s.status = ? AND s.activation_rating IS NULL", (SetStatus.INTERRUPTED,))

    def get_set(self, set_id: int) -> dict[str, Any]:
        return dict(self.db["sets"].get(set_id))

    def phases_of(self, set_id: int) -> list[dict[str, Any]]:
        return list(self.db["phases"].rows_where("set_id = ?", [set_id], order_by="idx"))

    def last_rating(self, athlete_id: int, exercise: str, *, before_set: int | None = None) -> int | None:
        row = self.conn.execute(
            "SELECT activation_rating FROM sets WHERE athlete_id = ? AND exercise = ? "
            "AND activation_rating IS NOT NULL AND id != ? ORDER BY started_at DESC, id DESC LIMIT 1",
            (athlete_id, exercise, before_set or -1),
        ).fetchone()
        return int(row[0]) if row else None

    def recent_sets(self, athlete_id: int, limit: int = 5) -> list[SetSummary]:
        return self._summaries(
            "WHERE s.athlete_id = ? AND s.status != 'discarded'", (athlete_id,), limit=limit
        )

    def _summaries(self, where: str, params: tuple[Any, ...], limit: int = 50) -> list[SetSummary]:
        rows = self.conn.execute(
            "SELECT s.id, s.exercise, s.status, s.started_at, s.activation_rating, "
            "(SELECT count(*) FROM phases p WHERE p.set_id = s.id), s.peak_pct_mvc, s.mean_pct_mvc "
            f"FROM sets s {where} ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [SetSummary(*row) for row in rows]

    # -- calibrations --------------------------------------------------------
    def save_mvc(self, athlete_id: int, calibration: Calibration) -> int:
        with self.conn:
            return int(
                self.db["calibrations"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "kind": "mvc",
                        "taken_at": now_iso(),
                        "source": calibration.source,
                        "channels": json.dumps(list(calibration.channels)),
                        "values_json": json.dumps([float(v) for v in calibration.mvc_uv]),
                        "window_s": calibration.window_s,
                    }
                )
                .last_pk
            )

    def latest_mvc(self, athlete_id: int, source: str, channels: Sequence[str]) -> tuple[int, Calibration] | None:
        """The newest MVC taken with this source and these channel labels."""
        row = self.conn.execute(
            "SELECT id, values_json, window_s, source, channels FROM calibrations "
            "WHERE athlete_id = ? AND kind = 'mvc' AND source = ? AND channels = ? "
            "ORDER BY taken_at DESC, id DESC LIMIT 1",
            (athlete_id, source, json.dumps(list(channels))),
        ).fetchone()
        if not row:
            return None
        return int(row[0]), Calibration(
            tuple(json.loads(row[1])), float(row[2]), row[3], tuple(json.loads(row[4]))
        )

    # -- raw signal ------------------------------------------------------------
    def append_signal(self, set_id: int, seq: int, t0_s: float, rate_hz: float, samples: np.ndarray, lost: int = 0) -> None:
        """Store a chunk of raw signal (float32, samples × channels) with its own description."""
        data = np.ascontiguousarray(samples, dtype=np.float32)
        with self.conn:
            self.db["signal_blocks"].insert(
                {
                    "set_id": set_id,
                    "seq": seq,
                    "t0_s": t0_s,
                    "rate_hz": rate_hz,
                    "dtype": "<f4",
                    "n_samples": int(data.shape[0]),
                    "n_channels": int(data.shape[1]),
                    "lost_samples": lost,
                    "data": data.astype("<f4").tobytes(),
                }
            )

    def signal_of(self, set_id: int) -> tuple[np.ndarray, float]:
        """The whole raw signal of a set, concatenated in order, and its rate."""
        blocks = []
        rate_hz = 0.0
        for row in self.conn.execute(
            "SELECT dtype, n_samples, n_channels, data, rate_hz FROM signal_blocks WHERE set_id = ? ORDER BY seq",
            (set_id,),
        ):
            dtype, n, ch, data, rate_hz = row
            blocks.append(np.frombuffer(data, dtype=np.dtype(dtype)).reshape(n, ch))
        if not blocks:
            return np.zeros((0, 0), dtype=np.float32), rate_hz
        return np.concatenate(blocks).astype(np.float32), float(rate_hz)

    # -- cuff ------------------------------------------------------------------
    def log_cuff_event(
        self,
        kind: str,
        *,
        pressure_mmhg: float | None = None,
        target_mmhg: float | None = None,
        reason: str = "",
        set_id: int | None = None,
        session_id: int | None = None,
        at: str | None = None,
    ) -> int:
        with self.conn:
            return int(
                self.db["cuff_events"]
                .insert(
                    {
                        "set_id": set_id,
                        "session_id": session_id,
                        "at": at or now_iso(),
                        "kind": kind,
                        "pressure_mmhg": pressure_mmhg,
                        "target_mmhg": target_mmhg,
                        "reason": reason,
                    }
                )
                .last_pk
            )

    # == programs (issue 7): plans, check-ins, autoregulation, history, export ==
    # Appended at the end of the class on purpose: schema additions are new
    # tables, new nullable columns and views, created if missing.

    def _ensure_programs_schema(self) -> None:
        db = self.db
        db["plans"].create(
            {
                "id": int,
                "athlete_id": int,
                "program": str,
                "started_on": str,
                "maintenance_every_weeks": int,
                "created_at": str,
                "ended_on": str,
            },
            pk="id",
            foreign_keys=[("athlete_id", "athletes", "id")],
            not_null={"athlete_id", "program", "started_on", "created_at"},
            if_not_exists=True,
        )
        db["checkins"].create(
            {
                "id": int,
                "athlete_id": int,
                "session_id": int,
                "taken_at": str,
                "sleep_h": float,
                "resting_hr_bpm": float,
                "baseline_rhr_bpm": float,
                "coordination": int,
                "mood": int,
                "advice": str,
                "reasons": str,
                "choice": str,
            },
            pk="id",
            foreign_keys=[("athlete_id", "athletes", "id"), ("session_id", "sessions", "id")],
            not_null={"athlete_id", "taken_at", "advice"},
            if_not_exists=True,
        )
        db["suggestions"].create(
            {
                "id": int,
                "athlete_id": int,
                "set_id": int,
                "next_set_id": int,
                "kind": str,
                "reason": str,
                "from_kg": float,
                "to_kg": float,
                "created_at": str,
                "taken": int,
                "answered_at": str,
            },
            pk="id",
            foreign_keys=[
                ("athlete_id", "athletes", "id"),
                ("set_id", "sets", "id"),
                ("next_set_id", "sets", "id"),
            ],
            not_null={"athlete_id", "set_id", "kind", "created_at"},
            if_not_exists=True,
        )
        db["athlete_flags"].create(
            {"athlete_id": int, "key": str, "value": str, "set_at": str},
            pk=("athlete_id", "key"),
            foreign_keys=[("athlete_id", "athletes", "id")],
            not_null={"athlete_id", "key", "set_at"},
            if_not_exists=True,
        )
        new_columns = {
            "sets": [("workflow_phase", str, None), ("pct_1rm", float, None), ("set_number", int, None)],
            "sessions": [("plan_id", int, "plans"), ("focus", str, None), ("kind", str, None)],
        }
        for table, columns in new_columns.items():
            have = set(db[table].columns_dict)
            for name, col_type, fk in columns:
                if name not in have:
                    db[table].add_column(name, col_type, fk=fk, fk_col="id" if fk else None)
        for table, column in [
            ("plans", "athlete_id"),
            ("checkins", "athlete_id"),
            ("checkins", "session_id"),
            ("suggestions", "athlete_id"),
            ("suggestions", "set_id"),
            ("suggestions", "next_set_id"),
            ("sessions", "plan_id"),
        ]:
            db[table].create_index([column], if_not_exists=True)
        db.create_view(
            "set_log",
            """SELECT s.id AS set_id, s.athlete_id, a.name AS athlete, s.session_id,
       substr(s.started_at, 1, 10) AS day, strftime('%Y-W%W', substr(s.started_at, 1, 10)) AS week,
       s.exercise, s.workflow_phase, s.load_kg, s.pct_1rm, s.reps, s.activation_rating,
       s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, s.perfect_reps, s.status
FROM sets s JOIN athletes a ON a.id = s.athlete_id
WHERE s.status != 'discarded'""",
            replace=True,
        )
        db.create_view(
            "activation_by_week",
            """SELECT athlete_id, exercise, week, count(*) AS sets,
       round(avg(activation_rating), 2) AS mean_rating,
       round(avg(peak_pct_mvc), 1) AS mean_peak_pct_mvc,
       round(avg(target_share), 3) AS mean_target_share,
       sum(perfect_reps) AS perfect_reps, max(load_kg) AS top_load_kg
FROM set_log WHERE status = 'completed' GROUP BY athlete_id, exercise, week""",
            replace=True,
        )

    # -- flags (the disclaimer shown once, and the like) -----------------------
    def get_flag(self, athlete_id: int, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM athlete_flags WHERE athlete_id = ? AND key = ?", (athlete_id, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_flag(self, athlete_id: int, key: str, value: str = "1") -> None:
        with self.conn:
            self.db["athlete_flags"].upsert(
                {"athlete_id": athlete_id, "key": key, "value": value, "set_at": now_iso()},
                pk=("athlete_id", "key"),
            )

    def baseline_rhr(self, athlete_id: int) -> float | None:
        row = self.conn.execute("SELECT baseline_rhr_bpm FROM athletes WHERE id = ?", (athlete_id,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def set_baseline_rhr(self, athlete_id: int, bpm: float) -> None:
        with self.conn:
            self.db["athletes"].update(athlete_id, {"baseline_rhr_bpm": float(bpm)})

    # -- plans and sessions ------------------------------------------------------
    def start_plan(self, athlete_id: int, program: str, started_on: str, maintenance_every_weeks: int = 1) -> int:
        with self.conn:
            self.conn.execute(
                "UPDATE plans SET ended_on = ? WHERE athlete_id = ? AND ended_on IS NULL", (started_on, athlete_id)
            )
            return int(
                self.db["plans"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "program": program,
                        "started_on": started_on,
                        "maintenance_every_weeks": maintenance_every_weeks,
                        "created_at": now_iso(),
                    }
                )
                .last_pk
            )

    def current_plan(self, athlete_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id FROM plans WHERE athlete_id = ? AND ended_on IS NULL ORDER BY id DESC LIMIT 1", (athlete_id,)
        ).fetchone()
        return None if row is None else dict(self.db["plans"].get(row[0]))

    def tag_session(self, session_id: int, *, plan_id: int | None, focus: str, kind: str) -> None:
        with self.conn:
            self.db["sessions"].update(session_id, {"plan_id": plan_id, "focus": focus, "kind": kind})

    def session_days(self, athlete_id: int) -> list[dict[str, Any]]:
        """Sessions with at least one completed set, oldest first: what the plan counts."""
        rows = self.conn.execute(
            "SELECT se.id, substr(se.started_at, 1, 10), se.kind, se.focus, se.template "
            "FROM sessions se WHERE se.athlete_id = ? AND EXISTS "
            "(SELECT 1 FROM sets s WHERE s.session_id = se.id AND s.status = 'completed') "
            "ORDER BY se.started_at, se.id",
            (athlete_id,),
        ).fetchall()
        keys = ("id", "day", "kind", "focus", "template")
        return [dict(zip(keys, r)) for r in rows]

    # -- check-ins -----------------------------------------------------------------
    def record_checkin(self, athlete_id: int, values: dict[str, Any], session_id: int | None = None) -> int:
        row = {k: json.dumps(v) if isinstance(v, (list, tuple, dict)) else v for k, v in values.items()}
        with self.conn:
            return int(
                self.db["checkins"]
                .insert({"athlete_id": athlete_id, "session_id": session_id, "taken_at": now_iso(), **row})
                .last_pk
            )

    def checkins_since(self, athlete_id: int, day: str) -> list[dict[str, Any]]:
        return list(
            self.db["checkins"].rows_where(
                "athlete_id = ? AND substr(taken_at, 1, 10) >= ?", [athlete_id, day], order_by="taken_at, id"
            )
        )

    # -- autoregulation suggestions ---------------------------------------------
    def save_suggestion(self, athlete_id: int, set_id: int, kind: str, reason: str, from_kg: float | None, to_kg: float | None) -> int:
        with self.conn:
            return int(
                self.db["suggestions"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "set_id": set_id,
                        "kind": kind,
                        "reason": reason,
                        "from_kg": from_kg,
                        "to_kg": to_kg,
                        "created_at": now_iso(),
                    }
                )
                .last_pk
            )

    def answer_suggestion(self, suggestion_id: int, taken: bool, next_set_id: int | None = None) -> None:
        with self.conn:
            self.db["suggestions"].update(
                suggestion_id, {"taken": int(taken), "next_set_id": next_set_id, "answered_at": now_iso()}
            )

    def get_suggestion(self, suggestion_id: int) -> dict[str, Any]:
        return dict(self.db["suggestions"].get(suggestion_id))

    # -- history -------------------------------------------------------------------
    def loaded_sets(self, athlete_id: int, exercise: str) -> list[dict[str, Any]]:
        """Completed sets of an exercise with load and reps, newest first (for the 1RM)."""
        return list(
            self.db["sets"].rows_where(
                "athlete_id = ? AND exercise = ? AND status = 'completed' AND load_kg IS NOT NULL AND reps IS NOT NULL",
                [athlete_id, exercise],
                order_by="started_at DESC, id DESC",
                select="id, started_at, load_kg, reps, activation_rating, workflow_phase",
            )
        )

    def last_session_sets(self, athlete_id: int, exercise: str, before: str | None = None) -> list[dict[str, Any]]:
        """The completed sets of this exercise on the last day it was trained, in order."""
        row = self.conn.execute(
            "SELECT substr(started_at, 1, 10) FROM sets WHERE athlete_id = ? AND exercise = ? "
            "AND status = 'completed' AND (? IS NULL OR substr(started_at, 1, 10) < ?) "
            "ORDER BY started_at DESC LIMIT 1",
            (athlete_id, exercise, before, before),
        ).fetchone()
        if row is None:
            return []
        return list(
            self.db["sets"].rows_where(
                "athlete_id = ? AND exercise = ? AND status = 'completed' AND substr(started_at, 1, 10) = ?",
                [athlete_id, exercise, row[0]],
                order_by="started_at, id",
                select="id, started_at, load_kg, reps, activation_rating, target_share, peak_pct_mvc",
            )
        )

    def exercises_logged(self, athlete_id: int) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT exercise FROM sets WHERE athlete_id = ? AND status = 'completed' "
                "GROUP BY exercise ORDER BY max(started_at) DESC",
                (athlete_id,),
            )
        ]

    def exercise_weeks(self, athlete_id: int, exercise: str) -> list[dict[str, Any]]:
        """Per week (Monday's date): mean rating, mean peak %MVC, perfect reps, top load."""
        rows = self.conn.execute(
            "SELECT date(substr(started_at, 1, 10), '-' || ((strftime('%w', substr(started_at, 1, 10)) + 6) % 7) || ' days') AS monday, "
            "count(*), avg(activation_rating), avg(peak_pct_mvc), avg(target_share), "
            "sum(perfect_reps), max(perfect_reps), max(load_kg) "
            "FROM sets WHERE athlete_id = ? AND exercise = ? AND status = 'completed' "
            "GROUP BY monday ORDER BY monday",
            (athlete_id, exercise),
        ).fetchall()
        keys = ("week_of", "sets", "mean_rating", "mean_peak_pct_mvc", "mean_target_share", "perfect_reps", "best_perfect_reps", "top_load_kg")
        return [dict(zip(keys, r)) for r in rows]

    def session_list(self, athlete_id: int, limit: int = 30) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT se.id, se.started_at, se.template, se.kind, se.focus, "
            "count(s.id), sum(s.status = 'completed'), avg(s.activation_rating), "
            "group_concat(DISTINCT s.exercise) "
            "FROM sessions se LEFT JOIN sets s ON s.session_id = se.id "
            "WHERE se.athlete_id = ? GROUP BY se.id ORDER BY se.started_at DESC, se.id DESC LIMIT ?",
            (athlete_id, limit),
        ).fetchall()
        keys = ("id", "started_at", "template", "kind", "focus", "sets", "completed", "mean_rating", "exercises")
        return [dict(zip(keys, r)) for r in rows]

    def set_detail(self, set_id: int) -> dict[str, Any]:
        """A set with its phases and reps (the envelope comes from :meth:`signal_of`)."""
        detail = self.get_set(set_id)
        detail["phases"] = self.phases_of(set_id)
        detail["rep_rows"] = list(self.db["reps"].rows_where("set_id = ?", [set_id], order_by="idx"))
        return detail

    def export_rows(self, athlete_id: int | None = None) -> list[dict[str, Any]]:
        """One row per set (not discarded), oldest first, with its EMG summary."""
        where = "WHERE s.status != 'discarded'" + (" AND s.athlete_id = ?" if athlete_id is not None else "")
        params: tuple[Any, ...] = (athlete_id,) if athlete_id is not None else ()
        cursor = self.conn.execute(
            "SELECT s.id AS set_id, a.name AS athlete, s.session_id, se.template AS session_template, "
            "s.started_at, s.ended_at, s.exercise, s.workflow_phase, s.set_number, s.load_kg, s.pct_1rm, s.reps, "
            "s.activation_rating, s.status, s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, "
            "s.time_above_target_s, s.perfect_reps, s.mf_slope_hz_per_s, "
            "(SELECT count(*) FROM phases p WHERE p.set_id = s.id) AS phases "
            f"FROM sets s JOIN athletes a ON a.id = s.athlete_id LEFT JOIN sessions se ON se.id = s.session_id {where} "
            "ORDER BY s.started_at, s.id",
            params,
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def session_sets(self, session_id: int) -> list[dict[str, Any]]:
        return list(
            self.db["sets"].rows_where(
                "session_id = ? AND status != 'discarded'", [session_id], order_by="started_at, id",
                select="id AS set_id, exercise, load_kg, reps, activation_rating, status",
            )
        )

    def foreign_key_problems(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()]

    # -- BFR: limb occlusion pressure (LOP) and occlusion time ---------------------
    def save_lop(self, athlete_id: int, limb: str, lop_mmhg: float, *, source: str = "manual") -> int:
        """Store a limb's occlusion pressure (``calibrations`` row, kind ``lop``), dated now.

        ``source`` says how it was measured: ``manual`` (typed from a Doppler
        or pulse oximeter reading, as clinics do) or the cuff's name.
        """
        if limb not in ("arm", "leg"):
            raise ValueError(f"limb is arm or leg, not {limb!r}")
        with self.conn:
            return int(
                self.db["calibrations"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "kind": "lop",
                        "taken_at": now_iso(),
                        "source": source,
                        "limb": limb,
                        "lop_mmhg": float(lop_mmhg),
                    }
                )
                .last_pk
            )

    def latest_lop(self, athlete_id: int, limb: str) -> dict[str, Any] | None:
        """The newest LOP for this limb: ``{id, limb, lop_mmhg, taken_at, source, age_days}``."""
        row = self.conn.execute(
            "SELECT id, limb, lop_mmhg, taken_at, source FROM calibrations "
            "WHERE athlete_id = ? AND kind = 'lop' AND limb = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
            (athlete_id, limb),
        ).fetchone()
        if not row:
            return None
        taken = dt.datetime.fromisoformat(row[3])
        age_days = (dt.datetime.now().astimezone() - taken).total_seconds() / 86400.0
        return {
            "id": int(row[0]),
            "limb": row[1],
            "lop_mmhg": float(row[2]),
            "taken_at": row[3],
            "source": row[4],
            "age_days": age_days,
        }

    def close_left_inflation(self, close_at: Callable[[dt.datetime, dt.datetime], dt.datetime]) -> dt.datetime | None:
        """Close an inflation a dead process left open; return when it was inflated (or None).

        The newest ``cuff_events`` row that says the cuff was up (inflate,
        target, hold) with no deflate after it means the app ended without
        deflating (SIGKILL, power cut, bus error). A ``deflate`` row is
        written at ``close_at(inflated_at, now)`` (see
        :func:`gymtui.bfr.ledger.left_inflated_until`), so the session's occlusion
        time counts it. Call only while holding the single-instance lock.
        """
        row = self.conn.execute(
            "SELECT at, kind, set_id, session_id FROM cuff_events ORDER BY at DESC, id DESC LIMIT 1"
        ).fetchone()
        if row is None or row[1] not in ("inflate", "target", "hold"):
            return None
        opened = self.conn.execute(
            "SELECT at FROM cuff_events WHERE kind IN ('inflate', 'target') AND at > COALESCE("
            "(SELECT max(at) FROM cuff_events WHERE kind = 'deflate'), '') ORDER BY at, id LIMIT 1"
        ).fetchone()
        inflated_at = dt.datetime.fromisoformat(opened[0] if opened else row[0])
        now = dt.datetime.now().astimezone()
        closed_at = close_at(inflated_at, now)
        self.log_cuff_event(
            "deflate",
            reason=(
                f"restart: the app ended with the cuff up (inflated {inflated_at:%H:%M:%S}); "
                f"counted as occluded until {closed_at:%H:%M:%S}"
            ),
            set_id=row[2],
            session_id=row[3],
            at=closed_at.isoformat(timespec="milliseconds"),
        )
        return inflated_at

    def cuff_occlusion_s(self, *, session_id: int | None = None, since: str | None = None) -> float:
        """Seconds the cuff was commanded up, from ``cuff_events`` (one session, or since a time).

        An inflation opens at an ``inflate`` row and closes at the next
        ``deflate``; one left open (a killed process) counts up to the last
        cuff event. The app passes this to a new supervisor
        (``prior_session_s``) so the session cap survives a restart: e.g.
        ``since`` two hours ago.
        """
        where, params = [], []
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.conn.execute(f"SELECT at, kind FROM cuff_events {clause} ORDER BY at, id", params).fetchall()
        return occluded_s((kind, dt.datetime.fromisoformat(at).timestamp()) for at, kind in rows)


# == the store thread: every store call in order, writes kept and retried ===========

RETRY_FIRST_S = 0.5
"""The first wait before a refused write is tried again."""
RETRY_MAX_S = 5.0
"""The wait doubles up to this (a lock released or a disk freed is noticed within it)."""
RETRY_BUSY_MS = 1000
"""The busy timeout while retrying: each retry under a lock returns within a second."""
NORMAL_BUSY_MS = 2000
"""The store thread's busy timeout otherwise: how long a write waits for another program's lock
before it is kept in memory and the athlete is told. It also bounds how long quitting can wait
for an attempt in progress (SQLite's busy wait cannot be interrupted)."""
QUIT_GRACE_S = 3.0
"""At quit, how long waiting writes are still retried before they go to the recovery file."""

_TRANSIENT_CODES = frozenset(
    {
        "SQLITE_BUSY",
        "SQLITE_LOCKED",
        "SQLITE_FULL",
        "SQLITE_READONLY",
        "SQLITE_IOERR",
        "SQLITE_CORRUPT",
        "SQLITE_NOTADB",
        "SQLITE_CANTOPEN",
        "SQLITE_PROTOCOL",
        "SQLITE_NOMEM",
        "SQLITE_INTERRUPT",
    }
)
"""Result codes of a database that may come back (the primary code: SQLITE_IOERR_WRITE is SQLITE_IOERR)."""

_TRANSIENT_WORDS = ("locked", "busy", "disk is full", "readonly", "read-only", "disk i/o error", "malformed", "not a database")


class StoreUnavailable(StoreError):
    """The database cannot be written right now; what was asked is kept (a write) or refused (a read)."""


def is_transient(exc: BaseException) -> bool:
    """True for a failure of the database (locked, full, read-only, I/O, corrupt), not of the code.

    An IntegrityError or a misspelt column is the program's fault: retrying
    it would only repeat it, so it is reported instead.
    """
    if isinstance(exc, StoreUnavailable):
        return True
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(
        exc,
        (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.DataError, sqlite3.NotSupportedError),
    ):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return "_".join(name.split("_")[:2]) in _TRANSIENT_CODES
    text = str(exc).lower()
    return any(word in text for word in _TRANSIENT_WORDS)


def short_reason(exc: BaseException) -> str:
    """The failure in a few words for the athlete: ``database is locked``."""
    return safe_text(str(exc) or type(exc).__name__, max_chars=80)


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """News from the store thread, one per change the athlete should know about.

    ``state``: ``unavailable`` (writes are being kept; said once per outage),
    ``retrying`` (the same outage, a new count: for a status line, not a
    notification), ``back`` (the outage is over and everything kept is
    saved), ``failed`` (a write was refused for good: the program's fault),
    ``spilled`` (at quit, what was still waiting went to the recovery file).
    """

    state: str
    line: str
    pending: int = 0
    reason: str = ""


@dataclass(eq=False)
class _Job:
    fn: Callable[[], Any]
    future: concurrent.futures.Future[Any]
    write: Write | None
    """The write as data (for the recovery file); None for a closure or a read."""
    keep: bool
    """A write: kept and retried while the database is unavailable. A call (read): refused instead."""
    what: str
    started: bool = False


@dataclass
class _Outage:
    reason: str
    saved: int = 0
    attempts: int = 0
    told_pending: int = -1


class StoreExecutor:
    """Runs every store call on one thread, in order, off the UI's hot path.

    Two kinds of work, both FIFO on the one thread (so a phase write always
    finds the set row submitted before it):

    - :meth:`write` / :meth:`submit`: a write. Each runs as one transaction
      (:meth:`GymConnection.transaction`), so running it again after a
      failure is safe. When the database refuses it for a reason that may
      pass (locked, full, read-only or immutable files, I/O error, corrupt
      pages) the write stays at the head of the queue and is retried with
      backoff (0.5 s doubling to 5 s); later writes wait behind it, so order
      is kept and nothing is dropped. A programming error (IntegrityError...)
      fails that write's future and is reported once.
    - :meth:`call`: a read (or a write whose caller waits for the answer).
      While writes are waiting it is refused at once with
      :class:`StoreUnavailable`: a screen is never left waiting on a lock.

    ``on_health`` hears about outages (:class:`StoreHealth`) on the store
    thread; the app posts them to the UI. At quit, :meth:`close` retries for
    a few seconds more, then saves what is still waiting to the recovery file
    (:mod:`gymtui.store_recovery`), which the next start replays
    (:meth:`replay_recovery`).
    """

    def __init__(
        self,
        store: Store,
        *,
        on_health: Callable[[StoreHealth], None] | None = None,
        retry_first_s: float = RETRY_FIRST_S,
        retry_max_s: float = RETRY_MAX_S,
    ) -> None:
        self.store = store
        self.on_health = on_health
        self.retry_first_s = retry_first_s
        self.retry_max_s = retry_max_s
        self._jobs: collections.deque[_Job] = collections.deque()
        self._urgent: collections.deque[_Job] = collections.deque()
        self._cond = threading.Condition()
        self._outage: _Outage | None = None
        self._quit_by: float | None = None
        self._stopping = False
        self._spill: SpillReport | None = None
        self._set_busy_timeout(NORMAL_BUSY_MS)
        self._thread = threading.Thread(target=self._run, name="gymtui-store", daemon=True)
        self._thread.start()
        atexit.register(self._close_at_exit)

    # -- any thread -------------------------------------------------------------------
    def write(self, write: Write) -> concurrent.futures.Future[Any]:
        """Queue a store write given as data (kept for the recovery file if the database stays away)."""
        return self._queue(lambda: write.run(self.store), write, keep=True, what=write.describe())

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        """Queue a write given as a call; a :class:`Store` method with plain arguments is kept as data too."""
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", "")
        if owner is self.store and name in REPLAYABLE:
            return self.write(Write(name, args, kwargs))
        return self._queue(lambda: fn(*args, **kwargs), None, keep=True, what=name or "write")

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        """Queue a read; refused at once (:class:`StoreUnavailable`) while writes are waiting."""
        return self._queue(lambda: fn(*args, **kwargs), None, keep=False, what=getattr(fn, "__name__", "read"))

    def run_now(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn`` on the store thread before the next write attempt, even while writes wait.

        For work on the store's own connection that must not queue behind a
        stuck write (lifting a page limit, a checkpoint); never inside a
        write's transaction. Not for reads or writes of training data.
        """
        job = _Job(fn, concurrent.futures.Future(), None, False, getattr(fn, "__name__", "run_now"))
        with self._cond:
            if self._stopping:
                job.future.set_exception(StoreUnavailable("the store is closed"))
                return job.future
            self._urgent.append(job)
            self._cond.notify_all()
        return job.future

    @property
    def pending(self) -> int:
        """Writes not yet in the database."""
        with self._cond:
            return sum(1 for job in self._jobs if job.keep)

    @property
    def unavailable(self) -> str | None:
        """Why writes are being kept in memory, or None when the database takes them."""
        with self._cond:
            return self._outage.reason if self._outage is not None else None

    def status_line(self) -> str:
        """The store's state as one line for a status bar ("" when all is well)."""
        with self._cond:
            outage = self._outage
            pending = sum(1 for job in self._jobs if job.keep)
        return _unavailable_line(outage.reason, pending) if outage is not None else ""

    def drain(self, timeout_s: float = 5.0) -> None:
        """Wait until every write submitted so far is on disk (TimeoutError if not within ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._jobs:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._jobs)} store call(s) still waiting after {timeout_s:g} s")
                self._cond.wait(left)

    def flush(self, grace_s: float = QUIT_GRACE_S) -> SpillReport | None:
        """At quit: retry for ``grace_s`` more, then save what still waits to the recovery file.

        Returns None when everything reached the database, else what was
        saved where. Bounded: ``grace_s`` plus one attempt in progress (at
        most the busy timeout). From here on the executor is quitting: a
        write refused later goes to the recovery file at once.
        """
        with self._cond:
            if not self._jobs:
                return None
            self._quit_by = time.monotonic() + grace_s
            self._cond.notify_all()
            limit = self._quit_by + NORMAL_BUSY_MS / 1000 + 1.0
            while self._jobs and time.monotonic() < limit:
                self._cond.wait(max(0.01, limit - time.monotonic()))
            report, self._spill = self._spill, None
            waiting = sum(1 for job in self._jobs if job.keep)
        if waiting:
            log.error("%d store write(s) still in progress at quit", waiting)
            return SpillReport(0, waiting, None, "still being written at quit")
        return report

    def shutdown(self, grace_s: float = QUIT_GRACE_S) -> SpillReport | None:
        """:meth:`flush`, then stop the thread."""
        report = self.flush(grace_s)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(NORMAL_BUSY_MS / 1000 + 1.0)
        atexit.unregister(self._close_at_exit)
        return report

    def replay_recovery(self) -> concurrent.futures.Future[ReplayReport]:
        """Write what a previous run left in its recovery file (call before anything else at start)."""
        return self.call(replay, self.store)

    def _close_at_exit(self) -> None:
        report = self.shutdown()
        if report is not None:
            log.error("%s", report.line())

    # -- queueing -------------------------------------------------------------------------
    def _queue(self, fn: Callable[[], Any], write: Write | None, *, keep: bool, what: str) -> concurrent.futures.Future[Any]:
        job = _Job(fn, concurrent.futures.Future(), write, keep, what)
        with self._cond:
            if self._stopping:
                job.future.set_exception(StoreUnavailable("the store is closed"))
                return job.future
            if not keep and self._outage is not None:
                job.future.set_exception(StoreUnavailable(f"database unavailable ({self._outage.reason})"))
                return job.future
            self._jobs.append(job)
            self._cond.notify_all()
        return job.future

    # -- the store thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._run_urgent()
            with self._cond:
                while not self._jobs and not self._urgent and not self._stopping:
                    self._cond.wait()
                if self._urgent:
                    continue
                if not self._jobs:
                    return
                job = self._jobs[0]
            if not job.started:
                job.started = True
                if not job.future.set_running_or_notify_cancel():
                    self._done(job)
                    continue
            try:
                result = self._attempt(job)
            except Exception as exc:  # sorted below: kept, refused or reported
                if job.keep and is_transient(exc):
                    if not self._refused(job, exc):
                        self._spill_all()
                    continue
                job.future.set_exception(exc)
                self._done(job)
                if job.keep:
                    log.error("store write %s failed for good: %s", job.what, exc, exc_info=exc)
                    self._tell(StoreHealth("failed", f"Could not save {job.what}: {short_reason(exc)}", self.pending))
            else:
                # The outage is over before the caller hears its write is in (and sees it in order).
                self._saved(job)
                job.future.set_result(result)
                self._done(job)

    def _run_urgent(self) -> None:
        while True:
            with self._cond:
                if not self._urgent:
                    return
                job = self._urgent.popleft()
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                self._check_writable()
                result = job.fn()
            except Exception as exc:  # noqa: BLE001 - handed to the caller, who asked for it
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

    def _check_writable(self) -> None:
        unwritable = unwritable_files(self.store.path)
        if unwritable:
            # Touching a WAL database whose -shm is immutable is a SIGBUS (its
            # mapped pages cannot be written), not an error: do not touch it.
            raise StoreUnavailable(f"{unwritable[0].name} is read-only or immutable")

    def _attempt(self, job: _Job) -> Any:
        conn = self.store.conn
        self._check_writable()
        if not job.keep:
            return job.fn()
        if isinstance(conn, GymConnection):
            with conn.transaction():
                return job.fn()
        return job.fn()

    def _done(self, job: _Job) -> None:
        with self._cond:
            if self._jobs and self._jobs[0] is job:
                self._jobs.popleft()
            self._cond.notify_all()

    def _refused(self, job: _Job, exc: Exception) -> bool:
        """A write the database refused for now. Returns False when it is time to stop trying (quit)."""
        reason = short_reason(exc)
        with self._cond:
            first = self._outage is None
            if first:
                self._outage = _Outage(reason)
                # Reads queued behind the stuck write would wait with it: refuse them now.
                refused = [j for j in self._jobs if not j.keep]
                for j in refused:
                    self._jobs.remove(j)
            else:
                refused = []
            outage = self._outage
            assert outage is not None
            outage.attempts += 1
            changed = reason != outage.reason
            outage.reason = reason
            pending = sum(1 for j in self._jobs if j.keep)
        for j in refused:
            if not j.future.done():
                j.future.set_exception(StoreUnavailable(f"database unavailable ({reason})"))
        if first:
            log.warning("store write %s refused (%s): keeping writes in memory and retrying", job.what, reason)
            self._set_busy_timeout(RETRY_BUSY_MS)
            outage.told_pending = pending
            self._tell(StoreHealth("unavailable", _unavailable_line(reason, pending), pending, reason))
        elif changed or pending != outage.told_pending:
            outage.told_pending = pending
            self._tell(StoreHealth("retrying", _unavailable_line(reason, pending), pending, reason))
        if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc).lower():
            # The bad page is in this connection's cache: let the retry read it again from disk.
            with contextlib.suppress(sqlite3.Error):
                self.store.conn.execute("PRAGMA shrink_memory")
        wait_s = min(self.retry_max_s, self.retry_first_s * 2 ** (outage.attempts - 1))
        deadline = time.monotonic() + wait_s
        with self._cond:
            while True:
                now = time.monotonic()
                if self._quit_by is not None and now >= self._quit_by:
                    return False
                if now >= deadline or self._urgent:
                    return True
                until = deadline if self._quit_by is None else min(deadline, self._quit_by)
                self._cond.wait(until - now)

    def _saved(self, job: _Job) -> None:
        with self._cond:
            outage = self._outage
            if outage is None:
                return
            outage.saved += 1
            if any(j.keep for j in self._jobs if j is not job):
                return
            self._outage = None
        self._set_busy_timeout(NORMAL_BUSY_MS)
        log.warning("store back: %d write(s) saved", outage.saved)
        self._tell(StoreHealth("back", f"Database back: {outage.saved} write(s) saved", 0))

    def _spill_all(self) -> None:
        """Quit time and the database is still away: everything waiting goes to the recovery file."""
        with self._cond:
            jobs = list(self._jobs)
            self._jobs.clear()
        kept = [j for j in jobs if j.keep]
        report = spill(self.store.path, [(j.write, j.future) for j in kept])
        for j in jobs:
            if not j.future.done():
                j.future.set_exception(StoreUnavailable(report.line() or "the database is unavailable"))
        log.error("%s", report.line())
        with self._cond:
            self._spill = report
            self._outage = None
            self._cond.notify_all()
        self._tell(StoreHealth("spilled", report.line(), 0))

    def _set_busy_timeout(self, ms: int) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.store.conn.execute(f"PRAGMA busy_timeout={int(ms)}")

    def _tell(self, health: StoreHealth) -> None:
        if self.on_health is None:
            return
        try:
            self.on_health(health)
        except Exception:  # the listener must not stop the writes
            log.exception("store health listener failed")


def _unavailable_line(reason: str, pending: int) -> str:
    return f"Database unavailable ({reason}): keeping {pending} write(s) in memory, retrying"
