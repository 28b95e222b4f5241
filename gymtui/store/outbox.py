"""The rack's outbox: what must reach the broker at least once, kept in the rack's own SQLite file until it has.

Events and set records go through here (status does not: a lost status is
replaced 200 ms later). A row is written, committed, and only then handed to
paho; the row is removed when the broker's PUBACK accepts it. So a broker
outage, a network cut or a killed process loses nothing: the next run finds
the rows and sends them again (the hub stores a record by its UUID, so a
record sent twice is stored once).

The table (``gym_outbox``) lives in the rack's database file, created by
migration 8. Unlike the rest of the store it is not a mixin of
:class:`~gymtui.store.Store` and does not run on the store's thread: it keeps
its own connection on purpose, because the rack link's sender thread
(:mod:`gymtui.gym.rack_link`) writes it while the store's thread writes
training data, and a message must not wait behind a set's writes (nor a set
behind a broker outage). WAL lets both connections go on (``busy_timeout``
covers the moments they meet). A rack without a file
(``--db :memory:``, a test) gets an in-memory table: it survives an outage,
not a restart. Every call takes one lock, so the sender thread and paho's
thread (which removes acknowledged rows) never share the connection at once.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Self

from gymtui.store import dbfile
from gymtui.store.connection import close_connection, connect, now_iso, unwritable_files
from gymtui.store.migrations import GYM_OUTBOX_SQL

TABLE_SQL = GYM_OUTBOX_SQL
"""Used only for the in-memory outbox (a file's table is the migration's)."""

MEMORY = ":memory:"
SENT = "~sent"
"""The kind of the one row kept after delivery: the highest id ever acknowledged, nothing to send.

``gym_outbox.id`` is an ``INTEGER PRIMARY KEY`` without ``AUTOINCREMENT``
(migration 8), so SQLite gives a new row the largest id present plus one:
an emptied table would start again at 1. A :class:`RackEvent`'s ``seq`` is
its row id and must only count up on a rack (a log orders and dedupes by
it), so the newest acknowledged row stays behind as this mark (its topic
and payload emptied) instead of going. Only ever one mark is kept.
"""
BUSY_TIMEOUT_MS = 5000
"""How long a write waits for the store's thread (or a backup) to let go of the file before it is a problem."""


class OutboxError(RuntimeError):
    """The outbox cannot be read or written (file unwritable, locked, disk full); the text is one line."""


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message waiting for the broker's acknowledgement."""

    id: int
    topic: str
    payload: bytes
    kind: str


class Outbox:
    """A durable FIFO of (topic, payload, kind) rows; safe to call from any thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self.path = path
        """The database file, or None for the in-memory outbox."""
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, path: Path | None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Self:
        """The outbox of the rack's database at ``path`` (None or ``:memory:``: a table in memory).

        :class:`OutboxError` with one line when the file cannot be written
        now (read-only, locked longer than ``busy_timeout_ms``), or is not a
        gymtui database at schema 8 or later.
        """
        if path is None or str(path) == MEMORY:
            conn = sqlite3.connect(MEMORY, check_same_thread=False)
            conn.execute(TABLE_SQL)
            conn.commit()
            return cls(conn, None)
        path = Path(path)
        if not path.is_file():
            raise OutboxError(f"the gym outbox needs the rack's database: no file at {path}")
        unwritable = unwritable_files(path)
        if unwritable:  # never map a -shm we cannot write (SIGBUS): say so instead
            raise OutboxError(dbfile.unwritable_message(unwritable[0]))
        try:
            conn = connect(path)
        except sqlite3.Error as exc:
            raise OutboxError(_line(path, exc)) from None
        try:
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gym_outbox'").fetchone()
            if found is None:
                raise OutboxError(f"{path} has no gym outbox: open it once with this gymtui (it adds the table)")
            conn.execute("BEGIN IMMEDIATE")  # a write lock now, so a locked or read-only file fails here, at start
            conn.rollback()
        except sqlite3.Error as exc:
            close_connection(path, conn)
            raise OutboxError(_line(path, exc)) from None
        except OutboxError:
            close_connection(path, conn)
            raise
        return cls(conn, path)

    def add(self, topic: str, payload: bytes, kind: str) -> int:
        """Keep one message; its row id once it is committed."""
        return self.add_built(topic, kind, lambda _row_id: payload)[0]

    def add_built(self, topic: str, kind: str, build: Callable[[int], bytes]) -> tuple[int, bytes]:
        """Keep a message whose payload names its own row id (a :class:`RackEvent`'s ``seq``).

        The row is inserted, ``build(row_id)`` makes the payload, and the row
        gets it, all in one transaction: a crash leaves either nothing or the
        finished row, never a placeholder. Returns the row id and the payload.
        """
        if kind == SENT:
            raise ValueError(f"{SENT!r} is the outbox's own mark, not a kind of message")
        with self._lock:
            conn = self._open_conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    cursor = conn.execute(
                        "INSERT INTO gym_outbox (topic, payload, kind, created_at) VALUES (?, ?, ?, ?)",
                        (topic, b"", kind, now_iso()),
                    )
                    row_id = int(cursor.lastrowid or 0)
                    payload = build(row_id)
                    conn.execute("UPDATE gym_outbox SET payload = ? WHERE id = ?", (payload, row_id))
                    conn.commit()
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise
            except sqlite3.Error as exc:
                raise OutboxError(_line(self.path, exc)) from None
            return row_id, payload

    def pending(self, limit: int = 500, *, after: int = 0) -> list[OutboxItem]:
        """Up to ``limit`` waiting messages, oldest first (``after``: only rows with a larger id, to page on)."""
        with self._lock:
            try:
                rows = self._open_conn().execute(
                    "SELECT id, topic, payload, kind FROM gym_outbox WHERE id > ? AND kind != ? ORDER BY id LIMIT ?",
                    (after, SENT, limit),
                ).fetchall()
            except sqlite3.Error as exc:
                raise OutboxError(_line(self.path, exc)) from None
        return [OutboxItem(int(r[0]), str(r[1]), bytes(r[2]), str(r[3])) for r in rows]

    def remove(self, item_id: int) -> None:
        """Forget one message (the broker has it); a row already gone is no error.

        The row becomes the high-water mark (see :data:`SENT`) and any lower
        mark goes, so row ids, and the event ``seq`` made from them, never
        count down, even when the outbox empties and the app restarts.
        """
        with self._lock:
            conn = self._open_conn()
            try:
                with conn:
                    conn.execute(
                        "UPDATE gym_outbox SET kind = ?, topic = '', payload = x'' WHERE id = ? AND kind != ?",
                        (SENT, item_id, SENT),
                    )
                    conn.execute(
                        "DELETE FROM gym_outbox WHERE kind = ? AND id < (SELECT max(id) FROM gym_outbox WHERE kind = ?)",
                        (SENT, SENT),
                    )
            except sqlite3.Error as exc:
                raise OutboxError(_line(self.path, exc)) from None

    def count(self) -> int:
        """How many messages wait."""
        with self._lock:
            try:
                return int(self._open_conn().execute("SELECT count(*) FROM gym_outbox WHERE kind != ?", (SENT,)).fetchone()[0])
            except sqlite3.Error as exc:
                raise OutboxError(_line(self.path, exc)) from None

    def close(self) -> None:
        """Close the connection (the rows stay in the file); later calls raise :class:`OutboxError`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.path is None:
                self._conn.close()
            else:
                close_connection(self.path, self._conn)

    def _open_conn(self) -> sqlite3.Connection:
        if self._closed:
            raise OutboxError("the gym outbox is closed")
        return self._conn


def _line(path: Path | None, exc: sqlite3.Error) -> str:
    """One line for an SQLite error, the way the store words its own."""
    if path is None:
        return f"the gym outbox (in memory): {exc}"
    return f"gym outbox: {dbfile.explain(path, exc)}"
