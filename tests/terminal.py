"""The real ``gymtui`` in a pseudo-terminal, as a user starts it, for end-to-end tests.

Its output is drained on a thread all the time: a pty whose buffer fills
stalls the app's writes, and a stalled app would make every timing wrong.
Every wait has a deadline and names what it waited for.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

REPO_ROOT = Path(__file__).resolve().parents[1]


class PtyApp:
    """``python -m gymtui ARGS`` (or ``python -c CODE ARGS``) on a 120×40 pseudo-terminal.

    ``env`` is the whole environment (default: this process's); the source tree
    goes first on ``PYTHONPATH``.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        code: str | None = None,
        umask: int = 0o022,
        size: tuple[int, int] = (120, 40),
    ) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        command = [sys.executable, "-c", code] if code is not None else [sys.executable, "-m", "gymtui"]
        self.proc = subprocess.Popen(
            [*command, *args],
            stdin=slave, stdout=slave, stderr=slave, cwd=REPO_ROOT, start_new_session=True, umask=umask,
            env={**(os.environ if env is None else env), "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm-256color"},
        )
        os.close(slave)
        self.master = master
        self._output = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._drain, name="pty-drain", daemon=True)
        self._reader.start()

    @property
    def output(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def _drain(self) -> None:
        while not self._stop.is_set():
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                with self._lock:
                    self._output += chunk

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    press = write

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            assert self.proc.poll() is None, (
                f"gymtui exited ({self.proc.returncode}) while waiting for {what}: {self.output[-1500:]!r}"
            )
            assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
            time.sleep(0.02)

    def wait_exit(self, timeout_s: float) -> int:
        """The exit status, once the process has gone and its last output has been read."""
        status = self.proc.wait(timeout_s)
        self._reader.join(5)  # the pty reads as closed once the process is gone
        return status

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Leave as a user would (SIGTERM), then kill if it will not go; never leaves a process behind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._stop.set()
        self._reader.join(2)
        os.close(self.master)
