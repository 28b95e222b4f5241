"""Frames degrade, time does not: the set screen's bar rate follows what a painted frame costs.

The worker posts about 30 frames a second. On a slow CPU (a Raspberry Pi
Zero) painting the bars can cost more than 33 ms; shown as they come, the
frames then go out in bursts with freezes between them. Instead the screen
paints at a rate it can hold, evenly: 30, 15, 10, 7.5... frames a second,
whole multiples of the worker's frame interval, so every shown frame is the
same number of worker frames after the last. A frame's cost is measured
from the moment it is handed to the screen until the screen has been
refreshed with it (the paint and whatever the loop had to do first). The
set's clock is not here: the engine stamps every boundary from the clock,
however few frames are painted.

The athlete is told nothing unless the rate falls below
:data:`SLOW_BELOW_FPS` (one line on the set screen's status), since bars
at 15 fps still read as live. No Textual here.
"""

from __future__ import annotations

import statistics
from collections import deque

BASE_FPS = 30.0
"""The rate the worker posts frames at, and the screen's best."""

STEPS = (1, 2, 3, 4, 5, 6, 10, 15, 30)
"""Frame intervals in worker frames: 30, 15, 10, 7.5, 6, 5, 3, 2 and 1 frames a second."""

HEADROOM = 0.7
"""A frame may cost this share of its interval: the rest is the loop's (the set's ticks, keys, the cuff)."""

FASTER_BELOW = 0.45
"""Back to the next faster rate once a second of frames has cost, in the median, at most this share of its
interval (and four in five of them fit its :data:`HEADROOM`)."""

SLOWER_AFTER = 5
"""Frames whose median cost says "too slow" before the rate drops (one slow frame is not a slow screen)."""

SLOW_BELOW_FPS = 10.0
"""Below this the set screen says how many frames a second it manages."""


class FramePacer:
    """When to paint the next frame, and at what rate; see the module docstring.

    ``due(now_s)`` says whether a frame may be shown now, ``shown(now_s)``
    records that one was, and ``painted(cost_s)`` reports what it cost once
    the screen was refreshed. Times are wall seconds (``time.monotonic``).
    """

    def __init__(self, base_fps: float = BASE_FPS) -> None:
        self.base_interval_s = 1.0 / base_fps
        self._step = 0
        self._costs: deque[float] = deque(maxlen=round(base_fps))
        self._last_shown_s: float | None = None

    @property
    def interval_s(self) -> float:
        return STEPS[self._step] * self.base_interval_s

    @property
    def fps(self) -> float:
        return 1.0 / self.interval_s

    def due(self, now_s: float) -> bool:
        """An interval since the last frame shown (less half a worker frame: frames and ticks arrive with jitter)."""
        last = self._last_shown_s
        return last is None or now_s - last >= self.interval_s - self.base_interval_s / 2

    def shown(self, now_s: float) -> None:
        self._last_shown_s = now_s

    def painted(self, cost_s: float) -> None:
        """A shown frame reached the screen ``cost_s`` after it was handed over: keep or change the rate."""
        costs = self._costs
        costs.append(cost_s)
        recent = list(costs)[-SLOWER_AFTER:]
        if len(recent) == SLOWER_AFTER and self._step < len(STEPS) - 1:
            typical = statistics.median(recent)
            if typical > HEADROOM * self.interval_s:
                # Straight to the rate that holds it: no staircase of freezes on the way down.
                fits = [k for k in range(self._step + 1, len(STEPS)) if HEADROOM * STEPS[k] * self.base_interval_s >= typical]
                self._step = fits[0] if fits else len(STEPS) - 1
                costs.clear()
                return
        # A second's worth of frames (at least SLOWER_AFTER) cheap at the faster rate: step up once.
        needed = max(SLOWER_AFTER, round(self.fps))
        if self._step > 0 and len(costs) >= needed:
            faster_s = STEPS[self._step - 1] * self.base_interval_s
            window = sorted(list(costs)[-needed:])
            if statistics.median(window) <= FASTER_BELOW * faster_s and window[int(0.8 * (needed - 1))] <= HEADROOM * faster_s:
                self._step -= 1
                costs.clear()

    def slow_line(self) -> str:
        """What the set screen says about its rate: nothing at 10 fps and above."""
        return f"screen slow: {self.fps:.0f} fps" if self.fps < SLOW_BELOW_FPS else ""
