"""The crash report: what to send when gymtui dies of an exception.

When the app (Textual's last-resort handler) or a sub-command ends in an
exception, :func:`report_crash` writes ``crash-<timestamp>.txt`` beside the
log — the traceback, the versions that matter (gymtui, Python, platform,
textual, bleak, numpy, scipy, the SQLite library), the command line and the
last log records from the memory ring (:mod:`gymtui.logs`), so the report
is complete even when there is no log file — and returns the one line the
CLI prints on stderr::

    gymtui: crashed (ValueError: ...); report written to /…/crash-20250301T140203+0100.txt

Reports are created 0600 (they quote the log) and only the newest
:data:`KEEP_REPORTS` are kept. Everything a device or a user wrote is made
printable (:func:`gymtui.text.safe_lines`). This module imports no Textual:
versions are read from the installed packages' metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import platform
import shlex
import sqlite3
import sys
import tempfile
import traceback
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from gymtui import __version__, logs
from gymtui.text import safe_lines, safe_text

KEEP_REPORTS = 20
"""Older crash reports beyond this many are deleted: a crash loop must not fill the disk."""
VERSION_PACKAGES = ("textual", "bleak", "numpy", "scipy", "sqlite-utils")
EXIT_CRASH = 1

log = logging.getLogger(__name__)


class AppCrashed(Exception):
    """The Textual app died of :attr:`error`; Textual caught it and closed the screen first."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


def summary(error: BaseException) -> str:
    """``ValueError: what it said``, one printable line."""
    text = str(error)
    return safe_text(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def versions() -> dict[str, str]:
    """The versions a bug report needs, without importing the packages."""
    found = {
        "gymtui": __version__,
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
    }
    for name in VERSION_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["sqlite3 library"] = sqlite3.sqlite_version
    return found


def report_text(error: BaseException, argv: Sequence[str], *, now: dt.datetime | None = None) -> str:
    """The report's contents (also what is printed when no file can be written)."""
    now = now or dt.datetime.now().astimezone()
    setup = logs.current()
    lines = [
        "gymtui crash report",
        f"time: {now.isoformat(timespec='seconds')}",
        f"command: {safe_text(shlex.join(['gymtui', *argv]), max_chars=None)}",
        f"error: {summary(error)}",
        f"log file: {setup.path if setup and setup.path else 'none'}",
    ]
    problem = logs.file_problem()
    if problem:
        lines.append(f"log note: {problem}")
    lines += ["", "versions:"]
    lines += [f"  {name}: {value}" for name, value in versions().items()]
    lines += ["", "traceback:"]
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    lines += [safe_lines(trace, max_chars_per_line=logs.LINE_MAX_CHARS)]
    recent = logs.recent_lines()
    lines += ["", f"last {len(recent)} log records (oldest first):"]
    lines += recent or ["  (none)"]
    return "\n".join(lines) + "\n"


def write_report(error: BaseException, argv: Sequence[str], *, directory: Path | None = None) -> Path:
    """Write the report beside the log (or in the temp folder if that fails); its path. Raises OSError."""
    now = dt.datetime.now().astimezone()
    text = report_text(error, argv, now=now)
    stamp = now.strftime("%Y%m%dT%H%M%S%z")
    folders = [directory] if directory is not None else []
    setup = logs.current()
    if directory is None:
        folders += [setup.directory if setup else logs.log_dir(), Path(tempfile.gettempdir())]
    failure: OSError | None = None
    for folder in folders:
        try:
            if folder != Path(tempfile.gettempdir()):
                logs.make_private_dir(folder)
            path = _create(folder, stamp, text)
        except OSError as exc:
            failure = exc
            continue
        _prune(folder)
        return path
    assert failure is not None
    raise failure


def _create(folder: Path, stamp: str, text: str) -> Path:
    for n in range(1, 100):
        path = folder / (f"crash-{stamp}.txt" if n == 1 else f"crash-{stamp}-{n}.txt")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, logs.FILE_MODE)
        except FileExistsError:
            continue
        with open(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
            out.write(text)
        return path
    raise FileExistsError(f"too many crash reports named crash-{stamp}* in {folder}")


def _prune(folder: Path) -> None:
    with contextlib.suppress(OSError):  # pruning is housekeeping: never let it hide the report
        reports = sorted(folder.glob("crash-*.txt"), key=lambda p: p.stat().st_mtime_ns)
        for old in reports[:-KEEP_REPORTS]:
            old.unlink()


def report_crash(error: BaseException, argv: Sequence[str], *, logged: bool = False) -> tuple[int, str]:
    """Log the crash (unless ``logged``), write the report; the exit status and the line for stderr.

    Never raises: if no report can be written, the line says so and the
    report's text goes to stderr instead, so nothing is lost.
    """
    if not logged:
        log.critical("gymtui crashed", exc_info=error)
    logs.flush()
    try:
        path = write_report(error, argv)
    except OSError as exc:
        text = report_text(error, argv)
        reason = safe_text(exc.strerror or exc)
        return EXIT_CRASH, f"{text}\ngymtui: crashed ({summary(error)}); no report written ({reason}), it is above"
    return EXIT_CRASH, f"gymtui: crashed ({summary(error)}); report written to {safe_text(path, max_chars=None)}"
