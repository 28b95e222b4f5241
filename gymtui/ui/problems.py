"""The app's list of things that went wrong, as the athlete should read them: one line each.

A failed sensor, a signal error, a database that stopped taking writes: each
is a line here, shown on the home screen and notified once. The same
problem repeating (a signal error on every block, a store retrying) counts
up on its line instead of adding lines or notifications, so a fault that
fires a hundred times a second is still one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from gymtui.text import safe_text

REPEAT_WINDOW_S = 60.0
"""The same text again within this is a repeat of the same problem, not a new one."""

MAX_LINES = 50
"""Older lines are dropped beyond this: the home screen shows the newest few."""


@dataclass(slots=True)
class Problem:
    text: str
    first_at: float
    last_at: float
    count: int = 1

    def line(self) -> str:
        return self.text if self.count == 1 else f"{self.text} (×{self.count})"


class Problems:
    """One line per problem, newest last; :meth:`add` says whether the athlete still needs telling."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, limit: int = MAX_LINES) -> None:
        self._clock = clock
        self._limit = limit
        self._items: list[Problem] = []

    def add(self, text: str) -> bool:
        """Record a problem; True if it is new (tell the athlete), False if it repeats a recent one."""
        text = safe_text(text, max_chars=300)
        now = self._clock()
        for item in reversed(self._items):
            if item.text == text and now - item.last_at <= REPEAT_WINDOW_S:
                item.count += 1
                item.last_at = now
                return False
        self._items.append(Problem(text, now, now))
        del self._items[: -self._limit]
        return True

    append = add
    """So code that treats the problems as a list of lines keeps working."""

    def latest(self, n: int = 3) -> list[str]:
        return [item.line() for item in self._items[-n:]]

    def __iter__(self) -> Iterator[str]:
        return (item.text for item in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __contains__(self, text: object) -> bool:
        return any(item.text == text for item in self._items)
