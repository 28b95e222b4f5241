"""Say a repeated failure once, then how often it came back.

A fault that hits every batch of samples (a broken electrode driving a
filter to NaN, a bug in one phase's metrics) fails 30 times a second. Each
failure must not become a traceback in the log and a line on the screen:
the log would roll over within minutes, losing the first (useful) one, and
the athlete would see a flood. :class:`RepeatGate` lets the first occurrence
of each distinct failure through in full, counts the repeats, and lets a
one-line summary through at most once per ``every_s``.

No imports beyond the standard library: the signal worker and the store use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one occurrence."""

    first: bool
    """Never seen before (or not for ``forget_s``): report it in full."""
    summary: int
    """Repeats since the last report, if a summary is due now; 0 otherwise."""

    @property
    def report(self) -> bool:
        return self.first or self.summary > 0


class RepeatGate:
    """Per-key first-in-full, then a counted summary at most every ``every_s`` seconds."""

    def __init__(self, every_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 256) -> None:
        self.every_s = every_s
        self._clock = clock
        self._max_keys = max_keys
        self._last_report_s: dict[str, float] = {}
        self._unreported: dict[str, int] = {}

    def seen(self, key: str) -> Verdict:
        now = self._clock()
        last = self._last_report_s.get(key)
        if last is None:
            if len(self._last_report_s) >= self._max_keys:  # a fault with a changing message: keep the newest
                oldest = min(self._last_report_s, key=self._last_report_s.__getitem__)
                del self._last_report_s[oldest]
                self._unreported.pop(oldest, None)
            self._last_report_s[key] = now
            self._unreported[key] = 0
            return Verdict(first=True, summary=0)
        repeats = self._unreported.get(key, 0) + 1
        if now - last >= self.every_s:
            self._last_report_s[key] = now
            self._unreported[key] = 0
            return Verdict(first=False, summary=repeats)
        self._unreported[key] = repeats
        return Verdict(first=False, summary=0)
