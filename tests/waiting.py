"""Waiting in tests: poll a condition until a deadline, never sleep and hope.

A bare ``sleep`` used as synchronisation passes on an idle machine and fails
on a loaded one; a ``while not cond:`` without a deadline hangs the run
instead of failing it. Every wait in the tests goes through one of these:

- :func:`wait_until` for plain code (subprocesses, threads, files);
- :func:`wait_until_async` inside a coroutine without an app (``asyncio.sleep``
  between checks, so the loop keeps running);
- :func:`pilot_wait_until` in Pilot tests (``pilot.pause()`` between checks,
  so the app processes its messages and refreshes).

Each fails with an ``AssertionError`` that names what was awaited, how long
it waited, and, when ``detail`` is given, the state it saw last.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Deadline", "describe", "pilot_wait_until", "wait_until", "wait_until_async"]


class _Pilot(Protocol):
    async def pause(self, delay: float | None = None) -> None: ...


def describe(predicate: Callable[[], Any]) -> str:
    """A name for a condition that has none: its source line (a lambda's is what it tests)."""
    try:
        source = " ".join(inspect.getsource(predicate).split())
    except (OSError, TypeError):
        return repr(predicate)
    return source if len(source) <= 200 else source[:200] + "…"


class Deadline:
    """A wall-clock deadline for a loop that does work between its checks.

    ``deadline.check()`` inside the loop fails the test once ``timeout_s`` has
    passed, naming ``what`` was awaited.
    """

    def __init__(self, timeout_s: float, what: str) -> None:
        self.timeout_s = timeout_s
        self.what = what
        self.started = time.monotonic()
        self.at = self.started + timeout_s

    @property
    def expired(self) -> bool:
        return time.monotonic() > self.at

    def check(self, detail: Callable[[], object] | None = None) -> None:
        if self.expired:
            raise AssertionError(self.message(detail))

    def message(self, detail: Callable[[], object] | None = None) -> str:
        waited = time.monotonic() - self.started
        text = f"timed out after {waited:.1f} s (limit {self.timeout_s:g} s) waiting for {self.what}"
        if detail is not None:
            text += f"; last seen: {detail()!r}"
        return text


def wait_until(
    predicate: Callable[[], Any],
    timeout_s: float,
    what: str,
    *,
    poll_s: float = 0.02,
    detail: Callable[[], object] | None = None,
) -> None:
    """Block until ``predicate()`` is true; fail after ``timeout_s`` wall seconds."""
    deadline = Deadline(timeout_s, what)
    while not predicate():
        deadline.check(detail)
        time.sleep(poll_s)


async def wait_until_async(
    predicate: Callable[[], Any],
    timeout_s: float,
    what: str,
    *,
    poll_s: float = 0.01,
    detail: Callable[[], object] | None = None,
) -> None:
    """Await until ``predicate()`` is true, yielding to the loop between checks."""
    deadline = Deadline(timeout_s, what)
    while not predicate():
        deadline.check(detail)
        await asyncio.sleep(poll_s)


async def pilot_wait_until(
    pilot: _Pilot,
    predicate: Callable[[], Any],
    timeout_s: float,
    what: str,
    *,
    poll_s: float = 0.02,
    detail: Callable[[], object] | None = None,
) -> None:
    """In a Pilot test: ``pilot.pause(poll_s)`` between checks until ``predicate()`` is true."""
    deadline = Deadline(timeout_s, what)
    while not predicate():
        deadline.check(detail)
        await pilot.pause(poll_s)
