"""One gymtui process per database file: the one that owns the sensors and cuffs.

An advisory ``flock`` on the database file itself, so the lock belongs to
the file (its device and inode), not to the path as typed: a symlink, a hard
link or another spelling of the same file finds it held. The kernel drops
it when the process dies, however it dies, so a set left ``in_progress`` by
a process that no longer holds the lock really was interrupted.

On Linux ``flock`` locks and the POSIX (``fcntl``) locks SQLite uses are
independent: holding this one never blocks a reader or writer of the
database, in this process or another (``tests/e2e/test_db_open.py`` checks
both). One rule makes that safe: closing *any* descriptor of a file drops
every POSIX lock this process holds on it, SQLite's included. So the
descriptor opened here is never closed; it is kept, per file, for the life
of the process, and :meth:`InstanceLock.release` only unlocks it. (On NFS,
Linux emulates ``flock`` with POSIX locks; SQLite's WAL does not work there
either, so gymtui does not support a database on NFS.)

The lock is taken before anything writes the database: ``run_app`` creates
the empty file (``0600``) if needed, locks it, and only then lets
:class:`~gymtui.store.Store` create tables or mark sets interrupted.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Self

from gymtui.store.dbfile import lock_holders

if TYPE_CHECKING:
    from gymtui.store import Store

_descriptors: dict[tuple[int, int], int] = {}
"""One open descriptor per database file (device, inode), never closed: see the module docstring."""
_spare: list[int] = []
"""Descriptors opened in a race for a file already in ``_descriptors``: kept open for the same reason."""
_held: set[tuple[int, int]] = set()
_guard = threading.Lock()


class InstanceLockError(Exception):
    pass


class InstanceLock:
    def __init__(self, db_path: Path) -> None:
        self.path = Path(db_path)
        self._key: tuple[int, int] | None = None

    def acquire(self) -> None:
        with _guard:
            fd = self._descriptor()
            key = _key_of(fd)
            if key in _held:
                raise InstanceLockError(f"this gymtui is already using {self.path}")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holders = lock_holders(self.path, kind="FLOCK")
                who = f" (pid {', '.join(str(pid) for pid, _ in holders)})" if holders else ""
                raise InstanceLockError(f"another gymtui{who} is already using {self.path}; quit it first") from None
            except OSError as exc:
                raise InstanceLockError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
            _held.add(key)
            self._key = key

    def _descriptor(self) -> int:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise InstanceLockError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        key = (st.st_dev, st.st_ino)
        if key in _descriptors:
            return _descriptors[key]
        try:
            # O_NONBLOCK: a FIFO given as --db must not hang the start (the store refuses it later).
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            raise InstanceLockError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        # Keyed on what was opened, should the path have been switched since the stat.
        opened = _key_of(fd)
        if opened in _descriptors:
            _spare.append(fd)  # never closed either
            return _descriptors[opened]
        _descriptors[opened] = fd
        return fd

    @property
    def held(self) -> bool:
        return self._key is not None

    def release(self) -> None:
        with _guard:
            if self._key is None:
                return
            fcntl.flock(_descriptors[self._key], fcntl.LOCK_UN)
            _held.discard(self._key)
            self._key = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()



def _key_of(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino)


def open_locked_store(db_path: Path) -> tuple[InstanceLock, Store]:
    """The database at ``db_path``, created empty and private if missing, locked, then opened (migrated).

    In that order, for every command that writes a database (the app, the
    hub, an import): the lock is held before anything writes the file, so a
    second process on it (by any path) refuses before it touches a table.
    Raises :class:`~gymtui.store.StoreError` or :class:`InstanceLockError`
    with nothing held.
    """
    from gymtui.store import Store, check_db_path

    lock = InstanceLock(db_path)
    try:
        check_db_path(db_path)  # the lock needs a file
        lock.acquire()
        return lock, Store(db_path)
    except BaseException:
        lock.release()
        raise
