"""The occlusion ledger: how long the cuff has occluded, per exercise and per session.

The time caps (10 min an exercise, 15 min arm / 20 min leg a session) are
only as good as this count, so it has one owner. :class:`OcclusionLedger` is
the supervisor's live count: occlusion time (cuff commanded up, or measured
above the residual pressure) never goes down, whatever pauses, aborts or
restarts happen. :func:`occluded_s` is the same count read back from
``cuff_events`` rows, so a restarted app carries the session on
(``prior_session_s``); :func:`left_inflated_until` closes an inflation a
dead process left open. Pure: no I/O, no clock of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from gymtui.bfr.events import EventKind
from gymtui.bfr.rules import BfrLimits

OPENING_KINDS = frozenset({"inflate", "target", "hold"})
"""``cuff_events`` kinds that mean the cuff was up (or going up) after them."""

_OPENS = frozenset({EventKind.INFLATE.value, EventKind.TARGET.value})
"""Kinds that start counting occlusion; a ``hold`` only says a target was reached."""

CUFF_WATCHDOG_S = 3.0
"""The open cuff profile's watchdog: with no write for this long the cuff deflates itself
(``devices/cuff-open.toml``); a process that died mid-occlusion stopped writing."""


class OcclusionLedger:
    """Occluded seconds per exercise and per session, brought up to date by :meth:`advance`.

    Time is charged to the exercise that was current when the occlusion
    began (a late exercise change does not move time already spent), and
    the instant the occlusion ended is kept for the reperfusion rule.
    """

    def __init__(self, now_s: float, *, prior_session_s: float = 0.0, reperfusion_s: float = 0.0) -> None:
        self.last_s = now_s
        self.session_s = float(prior_session_s)
        self._exercise_s: dict[str, float] = {}
        self.exercise = ""  # the exercise the current (or last) occlusion is charged to
        self.occluding = False
        self.occluded_since: float | None = None
        self.unoccluded_since: float = now_s - reperfusion_s  # as if reperfused already at start

    def advance(self, clock_s: float, *, occluding: bool, exercise: str) -> float:
        """Count the time since the last call, then note whether the cuff occludes now; return now.

        Time never runs backwards here: a clock reading older than the last
        one counts as the last one.
        """
        now = max(clock_s, self.last_s)
        dt = now - self.last_s
        if self.occluding and dt > 0:
            self.session_s += dt
            self._exercise_s[self.exercise] = self._exercise_s.get(self.exercise, 0.0) + dt
        self.last_s = now
        if occluding and not self.occluding:
            self.occluded_since = now
            if exercise:
                self.exercise = exercise
        elif not occluding and self.occluding:
            self.occluded_since = None
            self.unoccluded_since = now
        self.occluding = occluding
        return now

    def exercise_s(self, exercise: str) -> float:
        """Seconds occluded on ``exercise`` so far (0 for one never occluded)."""
        return self._exercise_s.get(exercise, 0.0)


def occluded_s(events: Iterable[tuple[str, float]]) -> float:
    """Seconds the cuff was commanded up, from ``(kind, at_s)`` events in time order.

    An inflation opens at an ``inflate`` (or ``target``) event and closes at
    the next ``deflate``; one left open (a killed process) counts up to the
    last event.
    """
    total = 0.0
    opened: float | None = None
    last: float | None = None
    for kind, at_s in events:
        last = at_s
        if kind in _OPENS and opened is None:
            opened = at_s
        elif kind == EventKind.DEFLATE.value and opened is not None:
            total += at_s - opened
            opened = None
    if opened is not None and last is not None:
        total += last - opened
    return total


def left_inflated_until(
    inflated_s: float, restart_s: float, limits: BfrLimits | None = None, watchdog_s: float = CUFF_WATCHDOG_S
) -> float:
    """The latest a cuff left up by a process that died can have stayed up (epoch seconds).

    Nothing logs the instant of a SIGKILL or a power cut, so the occlusion is
    counted to the restart, but never past what was possible: while the
    process lived, the supervisor deflated at the exercise cap; once it died,
    the cuff's own watchdog deflated within ``watchdog_s``. Counting more
    would lock the athlete out of BFR for no reason; counting less (up to the
    last logged event, as a "hold") would let the session cap under-count.
    """
    lim = limits or BfrLimits()
    return max(inflated_s, min(restart_s, inflated_s + lim.exercise_cap_s + watchdog_s))
