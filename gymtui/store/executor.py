"""The store thread: every store call in order, writes kept and retried while the database is away.

The app never touches the database from its event loop: it hands each call
to :class:`StoreExecutor`, which runs it on one thread. What the database
refuses for a reason that may pass is kept and retried, and saved to the
recovery file (:mod:`gymtui.store.recovery`) if it is still waiting at quit.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from gymtui.store.connection import GymConnection, unwritable_files
from gymtui.store.errors import StoreUnavailable
from gymtui.store.facade import Store
from gymtui.store.recovery import (
    REPLAYABLE,
    ReplayReport,
    SpillReport,
    Write,
    replay,
    spill,
)
from gymtui.text import safe_text

log = logging.getLogger(__name__)

T = TypeVar("T")

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
    (:mod:`gymtui.store.recovery`), which the next start replays
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
