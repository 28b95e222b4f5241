"""The real ``python -m gymtui`` in a pseudo-terminal, and read-only looks at its database.

For end-to-end tests that signal or kill the app: the process gets a pty (a
real terminal size, so Textual draws and reads keys as it would for a user),
its own session (so a signal reaches it alone), and the caller's environment
(so ``PYTHONPATH`` reaches it). Every wait has a deadline.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

REPO_ROOT = Path(__file__).resolve().parents[1]


def query(db: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows from a read-only connection; [] while the file or its tables do not exist yet."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def phases_of(db: Path) -> list[str]:
    """The kinds of the phases stored so far, in the order they were written."""
    return [r[0] for r in query(db, "SELECT kind FROM phases ORDER BY id")]


def monotonic_of(iso: str) -> float:
    """A stored ISO-8601 wall-clock stamp on this process's ``time.monotonic()`` axis."""
    return dt.datetime.fromisoformat(iso).timestamp() - (time.time() - time.monotonic())


class AppProcess:
    """``python -m gymtui ARGS`` on a pty, its output kept (the last few hundred kB) for :meth:`saw`."""

    def __init__(self, args: Sequence[str], *, rows: int = 30, cols: int = 100) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gymtui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=REPO_ROOT,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm-256color"},
        )
        os.close(slave)
        os.set_blocking(master, False)
        self.master: int | None = master
        self._screen = bytearray()

    def drain(self, wait_s: float = 0.0) -> None:
        """Read what the app has drawn (a pty that is never read would block the app)."""
        if self.master is None:
            return
        while select.select([self.master], [], [], wait_s)[0]:
            wait_s = 0.0
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self._screen += data
            if len(self._screen) > 400_000:
                del self._screen[:-200_000]

    def forget(self) -> None:
        """Drop what was drawn so far: the next :meth:`saw` sees only what comes after."""
        self.drain()
        self._screen.clear()

    def saw(self, text: bytes) -> bool:
        """Whether the last few hundred kB the app drew contain ``text`` (escape sequences and all)."""
        return text in self._screen

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float, what: str, step_s: float = 0.02) -> None:
        """Poll ``predicate`` (draining the screen) until it holds; fail with the app's last words."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            assert self.proc.poll() is None, f"gymtui exited ({self.proc.returncode}) waiting for {what}: {self.tail()}"
            assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}: {self.tail()}"
            self.drain(step_s)

    def press(self, keys: bytes) -> None:
        assert self.master is not None
        os.write(self.master, keys)

    def kill(self) -> tuple[float, float]:
        """SIGKILL now; the ``time.monotonic()`` instants just before and just after sending it.

        The process died between the two: "before" is the instant to hold
        the app to (it cannot have done anything after it was dead), "after"
        the instant by which it certainly had stopped.
        """
        before = time.monotonic()
        os.kill(self.proc.pid, signal.SIGKILL)
        after = time.monotonic()
        self.proc.wait(10)
        return before, after

    def tail(self, n: int = 600) -> str:
        return bytes(self._screen[-n:]).decode("utf-8", "replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
