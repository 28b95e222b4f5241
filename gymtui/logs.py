"""Where the app's warnings and exceptions go: a private rotating file, and a memory ring.

Textual owns the terminal while the app runs and drops whatever is written
to stderr, so a ``log.exception(...)`` in the signal worker or the cuff
runner would otherwise vanish. :func:`configure` (called once by the CLI,
before anything else runs) sends the ``gymtui`` loggers, Python's warnings
(``py.warnings``), asyncio's and bleak's warnings, and uncaught exceptions
in threads to:

- a rotating file in the platform's user log folder (``gymtui.log``,
  1 MB × 5 older files; on Linux ``$XDG_STATE_HOME/gymtui/log``), created
  0600 in a 0700 folder, because a log names devices, exercises and loads;
- a ring of the last :data:`RING_RECORDS` records in memory, which the crash
  report (:mod:`gymtui.crash`) copies even when there is no file.

The caller's thread only formats the record and puts it on a bounded queue;
a listener thread writes the file. A log call on the cuff's path or the UI
thread therefore never waits for a slow SD card or a full disk.

Every record is one header line (ISO timestamp with offset, level, logger,
thread, message); further lines (a multi-line message, a traceback) are
indented, so a device name carrying a line break cannot forge a record.
Device and user strings are kept, but every control character is replaced
(:func:`gymtui.text.safe_lines`): ``less gymtui.log`` cannot be made to
rename the terminal or clear it.

If the folder cannot be written, one line goes to stderr and the app runs
without the file: a log never stops the app. No Textual here.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime as dt
import io
import logging
import logging.handlers
import os
import queue
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gymtui.text import safe_lines

APP_NAME = "gymtui"
LOG_FILE_NAME = "gymtui.log"
MAX_BYTES = 1_000_000
"""One file's size before it rotates: a few thousand records, enough for a day at the rack."""
BACKUP_COUNT = 5
"""Rotated files kept beside the current one (gymtui.log.1 … .5): at most 6 MB in all."""
RING_RECORDS = 200
"""Records kept in memory for the crash report."""
QUEUE_RECORDS = 10_000
"""Records waiting for the file writer before new ones are dropped (the ring still has them)."""
LINE_MAX_CHARS = 4_000
"""A log line longer than this is cut: a 10 kB device name must not make a 10 kB line per record."""
FILE_MODE = 0o600
DIR_MODE = 0o700

LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
DEFAULT_LEVEL = "warning"

ALSO_CAPTURED = ("py.warnings", "asyncio", "bleak")
"""Loggers outside ``gymtui`` whose records (at their own level, WARNING by default) also go to the log."""

log = logging.getLogger(APP_NAME)


def log_dir() -> Path:
    """The platform's user log folder for gymtui (honours ``XDG_STATE_HOME`` on Linux)."""
    from platformdirs import user_log_path

    return user_log_path(APP_NAME)


def log_path() -> Path:
    """The current log file (``gymtui --log-path`` prints it)."""
    return log_dir() / LOG_FILE_NAME


class SafeFormatter(logging.Formatter):
    """``<ISO time with offset> <LEVEL> <logger> [<thread>] <message>``, then indented extra lines."""

    def __init__(self, line_max_chars: int = LINE_MAX_CHARS) -> None:
        super().__init__()
        self.line_max_chars = line_max_chars

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).astimezone()
        return stamp.isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text = f"{text}\n{record.exc_text}"
        if record.stack_info:
            text = f"{text}\n{self.formatStack(record.stack_info)}"
        first, *rest = safe_lines(text, max_chars_per_line=self.line_max_chars).split("\n")
        header = f"{self.formatTime(record)} {record.levelname} {record.name} [{record.threadName}] {first}"
        return "\n".join([header, *(f"  {line}" for line in rest)])


class _FrontHandler(logging.handlers.QueueHandler):
    """Runs on the thread that logs: formats once, keeps the text in the ring, queues it for the file.

    Never blocks and never raises: a full queue drops the record for the
    file (counted), the ring keeps it.
    """

    def __init__(self, q: queue.Queue[Any], ring: collections.deque[str], *, to_file: bool) -> None:
        super().__init__(q)
        self.ring = ring
        self.to_file = to_file
        self.dropped = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = super().prepare(record)
        self.ring.append(prepared.getMessage())
        return prepared

    def enqueue(self, record: logging.LogRecord) -> None:
        if not self.to_file:
            return
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating file created 0600 (the log names devices, exercises and loads).

    A failed write (disk full) is remembered in :attr:`last_error`, not
    printed: stderr belongs to the terminal the app draws on.
    """

    last_error: str | None = None

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.chmod(self.baseFilename, FILE_MODE)  # an older file, or a umask that ignored the mode
        except OSError:
            pass
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # always appends (mode "a")

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        self.last_error = f"{type(exc).__name__}: {exc}" if exc else "unknown error"


@dataclass(frozen=True)
class LogSetup:
    """What :func:`configure` managed: the file (or why there is none)."""

    path: Path | None
    directory: Path
    problem: str | None = None


class _State:
    def __init__(self) -> None:
        self.ring: collections.deque[str] = collections.deque(maxlen=RING_RECORDS)
        self.queue: queue.Queue[Any] | None = None
        self.front: _FrontHandler | None = None
        self.file: _PrivateRotatingFile | None = None
        self.listener: logging.handlers.QueueListener | None = None
        self.setup: LogSetup | None = None
        self.thread_hook_installed = False


_state = _State()
_lock = threading.Lock()


def make_private_dir(directory: Path) -> None:
    """Create ``directory`` (and missing parents) 0700; tighten an existing one we own to 0700."""
    created = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for path in {directory, *created}:  # the folder itself, and any parent made just now (not $HOME's)
        try:
            os.chmod(path, DIR_MODE)
        except OSError:
            pass


def configure(level: str = DEFAULT_LEVEL, *, directory: Path | None = None, stderr: IO[str] | None = None) -> LogSetup:
    """Send gymtui's records to the rotating file and the ring, at ``level`` and above.

    Safe to call again (tests, or a sub-command that knows better): the
    previous file is flushed and closed first. Never raises for the file: if
    the folder cannot be written, one line goes to ``stderr`` and the ring
    alone is kept.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; choose from {', '.join(LEVELS)}")
    directory = directory if directory is not None else log_dir()
    with _lock:
        _stop_locked()
        problem = None
        file_handler = None
        try:
            make_private_dir(directory)
            file_handler = _PrivateRotatingFile(
                directory / LOG_FILE_NAME, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8",
                errors="backslashreplace",
            )
            file_handler.setFormatter(logging.Formatter("%(message)s"))  # the front handler formatted it
        except OSError as exc:
            problem = exc.strerror or str(exc)
            print(
                f"gymtui: cannot write the log in {safe_lines(directory)} ({problem}); going on without a log file",
                file=stderr if stderr is not None else sys.stderr,
            )
        q: queue.Queue[Any] = queue.Queue(QUEUE_RECORDS)
        front = _FrontHandler(q, _state.ring, to_file=file_handler is not None)
        front.setFormatter(SafeFormatter())
        listener = None
        if file_handler is not None:
            listener = logging.handlers.QueueListener(q, file_handler)
            listener.start()
        log.setLevel(LEVELS[level])
        for name in (APP_NAME, *ALSO_CAPTURED):
            logging.getLogger(name).addHandler(front)
        _state.queue, _state.front, _state.file, _state.listener = q, front, file_handler, listener
        _state.setup = LogSetup(directory / LOG_FILE_NAME if file_handler else None, directory, problem)
        logging.captureWarnings(True)
        _install_thread_hook_locked()
        return _state.setup


def current() -> LogSetup | None:
    """What :func:`configure` set up last (``None`` before it ran)."""
    return _state.setup


def recent_lines() -> list[str]:
    """The last :data:`RING_RECORDS` records, formatted, oldest first."""
    return list(_state.ring)


def flush(timeout_s: float = 2.0) -> bool:
    """Wait until every queued record is in the file (or ``timeout_s`` passes). True if written."""
    q, file_handler = _state.queue, _state.file
    if q is None or file_handler is None:
        return True
    with q.all_tasks_done:
        done = q.all_tasks_done.wait_for(lambda: q.unfinished_tasks == 0, timeout=timeout_s)
    if done:
        file_handler.flush()
    return done


def file_problem() -> str | None:
    """Why the file is missing or lost records, if it is or did; ``None`` if all went to it."""
    setup, file_handler, front = _state.setup, _state.file, _state.front
    if setup is None:
        return "logging was not configured"
    if setup.problem:
        return f"no log file: {setup.problem}"
    notes = []
    if file_handler is not None and file_handler.last_error:
        notes.append(f"a write to the log file failed: {file_handler.last_error}")
    if front is not None and front.dropped:
        notes.append(f"{front.dropped} records not written (the writer fell behind)")
    return "; ".join(notes) or None


def shutdown() -> None:
    """Write what is queued and close the file (also run at exit)."""
    with _lock:
        _stop_locked()


def _stop_locked() -> None:
    front, listener, file_handler = _state.front, _state.listener, _state.file
    if front is not None:
        for name in (APP_NAME, *ALSO_CAPTURED):
            logging.getLogger(name).removeHandler(front)
    if listener is not None:
        # Drains the queue into the file. A full queue cannot take the stop mark: the thread is a daemon.
        with contextlib.suppress(Exception):
            listener.stop()
    if file_handler is not None:
        file_handler.close()
    _state.front = _state.listener = _state.file = _state.queue = None


def _install_thread_hook_locked() -> None:
    """Chain :data:`threading.excepthook` (never replace it): log the exception, then call the previous hook.

    :class:`gymtui.bfr.safety.ProcessSafety` chains the same hook when a cuff is
    on; installed after this one, it deflates first and then reaches this.
    """
    if _state.thread_hook_installed:
        return
    _state.thread_hook_installed = True
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            with contextlib.suppress(Exception):  # the previous hook must still run
                name = args.thread.name if args.thread is not None else "?"
                log.critical("uncaught exception in thread %s", name, exc_info=args.exc_value or True)
        previous(args)

    threading.excepthook = hook


atexit.register(shutdown)
