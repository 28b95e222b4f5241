"""The cuff's log: ``cuff_events`` rows written behind the cuff, never in front of it.

A deflate must leave the app whatever the database is doing: another program
may hold its write lock for seconds, the disk may be full, the file may be
read-only. So the supervisor's records are *handed* to this log after their
command has been queued, and the log writes them on its own thread through
its own connection (WAL lets it sit beside the app's store connection):

- :meth:`CuffEventLog.put` never blocks and never raises. It stamps the
  record with the wall time it happened (not when it is written) and puts it
  on a bounded queue; if the queue is full (the database has been away for a
  long time) the record goes to the log file instead, one line each.
- The writer retries a failed write with backoff, so a lock held for 15 s
  delays the rows, never loses them; when it stops (:meth:`close`) whatever
  it could not write by the deadline is written to the log file.
- It opens its database connection on its own thread, so even opening it
  against a locked database never stalls the caller.

No Textual, no asyncio: the caller may be a signal handler, an exception
hook or ``atexit``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gymtui.bfr.events import CuffEvent
from gymtui.store import Store, now_iso

log = logging.getLogger(__name__)

QUEUE_CAPACITY = 4096
"""About an hour of the busiest cuff (a few records a second in regulation faults): past that,
the database has been gone for so long that the log file is the better place."""

RETRY_FIRST_S = 0.2
RETRY_MAX_S = 2.0
"""Backoff between attempts at a failed write: quick after a short lock, calm after a long one."""


@dataclass(frozen=True, slots=True)
class LoggedCuffEvent:
    """A record as it will be stored: stamped when it happened, filed to its set and session."""

    at: str
    kind: str
    pressure_mmhg: float | None
    target_mmhg: float | None
    reason: str
    set_id: int | None
    session_id: int | None

    def describe(self) -> str:
        pressure = "—" if self.pressure_mmhg is None else f"{self.pressure_mmhg:.0f}"
        target = "—" if self.target_mmhg is None else f"{self.target_mmhg:.0f}"
        return f"{self.at} {self.kind} pressure {pressure} target {target} mmHg: {self.reason}"


_STOP = object()


class CuffEventLog:
    """A writer thread with a bounded queue; see the module docstring."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        *,
        set_id: Callable[[], int | None] = lambda: None,
        session_id: Callable[[], int | None] = lambda: None,
        capacity: int = QUEUE_CAPACITY,
    ) -> None:
        self._open_store = open_store
        self._set_id = set_id
        self._session_id = session_id
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name="gymtui-cuff-log", daemon=True)
        self._pending: LoggedCuffEvent | None = None  # the record the writer is trying now
        self._closing = threading.Event()
        self.written = 0
        self.failed_attempts = 0
        self._thread.start()

    # -- the caller's side: never blocks, never raises ----------------------------
    def put(self, record: CuffEvent) -> None:
        try:
            entry = LoggedCuffEvent(
                at=now_iso(),
                kind=str(record.kind),
                pressure_mmhg=record.pressure_mmhg,
                target_mmhg=record.target_mmhg,
                reason=record.reason,
                set_id=_safe_call(self._set_id),
                session_id=_safe_call(self._session_id),
            )
        except Exception:  # a log entry must never stop a cuff command
            log.exception("could not stamp a cuff event")
            return
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            log.warning("cuff event not stored (the database has been unavailable too long): %s", entry.describe())

    def flush(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` until every record so far is written; True if it was."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return self._queue.unfinished_tasks == 0

    def close(self, timeout_s: float = 2.0) -> None:
        """Write what can be written within ``timeout_s``; put the rest in the log file."""
        self.flush(timeout_s)
        self._closing.set()
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:
            pass
        self._thread.join(timeout=0.5)
        unwritten = []
        if self._pending is not None:
            unwritten.append(self._pending)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, LoggedCuffEvent) and item is not self._pending:
                unwritten.append(item)
        for entry in unwritten:
            log.warning("cuff event not stored (database unavailable at exit): %s", entry.describe())

    # -- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        store: Store | None = None
        try:
            while True:
                item = self._queue.get()
                try:
                    if item is _STOP:
                        return
                    assert isinstance(item, LoggedCuffEvent)
                    self._pending = item
                    store, stored = self._write_until_done(store, item)
                    if not stored:
                        return  # closing: close() puts the pending record in the log file
                    self._pending = None
                finally:
                    self._queue.task_done()
        finally:
            if store is not None:
                with contextlib.suppress(Exception):  # closing a connection on the way out
                    store.close()

    def _write_until_done(self, store: Store | None, entry: LoggedCuffEvent) -> tuple[Store | None, bool]:
        delay_s = RETRY_FIRST_S
        warned = False
        while True:
            try:
                if store is None:
                    store = self._open_store()
                store.log_cuff_event(
                    entry.kind,
                    pressure_mmhg=entry.pressure_mmhg,
                    target_mmhg=entry.target_mmhg,
                    reason=entry.reason,
                    set_id=entry.set_id,
                    session_id=entry.session_id,
                    at=entry.at,
                )
                self.written += 1
                if warned:
                    log.warning("cuff log: the database is back; cuff events are being stored again")
                return store, True
            except Exception as exc:  # noqa: BLE001 - locked, full, read-only, corrupt: retry, say it once
                self.failed_attempts += 1
                if not warned:
                    log.warning("cuff log: cannot store cuff events yet (%s); retrying", exc)
                    warned = True
                if self._closing.is_set():
                    return store, False
                if store is not None and "no such" in str(exc):
                    store = None  # reopen: the schema may not be there yet
                time.sleep(delay_s)
                delay_s = min(delay_s * 2, RETRY_MAX_S)


def _safe_call(fn: Callable[[], int | None]) -> int | None:
    try:
        return fn()
    except Exception:  # noqa: BLE001 - filing a record must not fail it
        return None
