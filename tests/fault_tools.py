"""Real faults for a real database file: another process's lock, a full disk, immutable files.

Shared by the store's fault tests and the app's. Every fault has a way back
(the lock's holder is killed at its deadline, the disk is emptied, the flag
is cleared in a ``finally``), and every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
    print("released", flush=True)
    """
)


def wait_for(predicate: Callable[[], object], timeout_s: float, what: str, step_s: float = 0.02) -> None:
    """Poll ``predicate`` until it is true; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(step_s)


class LockHolder:
    """Another process holding the database's write lock (``BEGIN IMMEDIATE``) for ``seconds``."""

    def __init__(self, db: Path, seconds: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(db), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.deadline = time.monotonic() + seconds + 30.0
        self._expect("locked", 30.0)

    def _expect(self, word: str, timeout_s: float) -> None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            self.kill()
            raise AssertionError(f"the lock holder did not say {word!r} within {timeout_s} s")
        line = self.proc.stdout.readline().strip()
        assert line == word, f"the lock holder said {line!r}"

    def released(self) -> bool:
        return self.proc.poll() is not None

    def wait_released(self) -> None:
        self._expect("released", max(0.0, self.deadline - time.monotonic()))
        self.proc.wait(timeout=10)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@contextlib.contextmanager
def lock_held(db: Path, seconds: float) -> Iterator[LockHolder]:
    holder = LockHolder(db, seconds)
    try:
        yield holder
    finally:
        holder.kill()


def can_chattr(folder: Path) -> str | None:
    """None if ``chattr +i`` works on files in ``folder``, else why not (for a skip reason)."""
    if os.geteuid() != 0:
        return "chattr +i needs root"
    if shutil.which("chattr") is None:
        return "chattr is not installed"
    probe = folder / ".chattr-probe"
    probe.write_text("x")
    try:
        done = subprocess.run(["chattr", "+i", str(probe)], check=False, capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            return f"chattr +i is refused here: {done.stderr.strip()}"
        return None
    finally:
        subprocess.run(["chattr", "-i", str(probe)], check=False, capture_output=True, timeout=10)
        probe.unlink()


def chattr(flag: str, *paths: Path) -> None:
    for path in paths:
        if path.exists():
            subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True, timeout=10)


def db_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


class SmallDisk:
    """A small tmpfs for the database (root only), filled and emptied on demand."""

    def __init__(self, mountpoint: Path, size: str = "16m") -> None:
        self.mountpoint = mountpoint
        mountpoint.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mountpoint)],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if done.returncode != 0:
            raise OSError(done.stderr.strip() or "mount failed")
        self.filler = mountpoint / "filler"

    def fill(self) -> None:
        """Take every free byte: the next write that needs space gets ENOSPC."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 4096, 512, 1):
                chunk = b"\0" * size
                with contextlib.suppress(OSError):
                    while os.write(fd, chunk) == size:
                        pass
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.mountpoint)], check=False, capture_output=True, timeout=10)


def can_mount_tmpfs(folder: Path) -> str | None:
    """None if a tmpfs can be mounted under ``folder``, else why not (so the test uses its fallback)."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    try:
        disk = SmallDisk(folder / ".tmpfs-probe", "1m")
    except OSError as exc:
        return f"mount -t tmpfs refused: {exc}"
    disk.unmount()
    return None
