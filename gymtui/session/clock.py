"""Clocks the engine and simulated devices share.

Everything that measures set time reads one injected clock. In demo mode
``--speed X`` makes that clock run X times faster than the wall, so a 15 s
hold takes 15/X wall seconds while every stored duration still says 15 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ScaledClock:
    """Monotonic seconds that advance ``speed`` times faster than real time."""

    def __init__(self, speed: float = 1.0, base: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._base = base
        self._origin = base()

    def __call__(self) -> float:
        return self._origin + (self._base() - self._origin) * self.speed

    def wall_seconds(self, clock_seconds: float) -> float:
        """How long ``clock_seconds`` of set time takes on the wall."""
        return clock_seconds / self.speed
