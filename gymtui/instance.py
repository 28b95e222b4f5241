"""One gymtui process per database: the one that owns the sensors and cuffs.

An advisory ``flock`` on ``<db>.lock``. The kernel drops it when the process
dies, however it dies, so a set left ``in_progress`` by a process that no
longer holds the lock really was interrupted.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class InstanceLockError(Exception):
    pass


class InstanceLock:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InstanceLockError(f"cannot create the lock file {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InstanceLockError(
                f"another gymtui is already using {self.path.with_suffix('')}; quit it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
