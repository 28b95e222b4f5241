"""What the home screen shows, read from the store in one go.

A plain value: the app reads it (:meth:`gymtui.app.GymApp.home_info`) and
the home screen draws it, so the screen never reaches into the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from gymtui.services.coach import Home
from gymtui.session.templates import PlannedSet
from gymtui.store import SetSummary


@dataclass(frozen=True)
class HomeInfo:
    """The plan, the last rating, what a dead process left unfinished, the sensor."""

    athlete: str
    plan: Home | None
    last_rating: int | None
    interrupted: list[SetSummary]
    recent: list[SetSummary]
    sensor: str
    speed: float
    disclaimer: str | None = None
    override: PlannedSet | None = None
    """"Same as last time" for the next set, if the athlete asked for it."""
    quick_exercise: str = ""
    """The quick set's exercise, named when nothing is planned."""
    fresh_mvc: bool = False
    """Home ``m`` was pressed: the next set starts with the MVC phase."""

    @property
    def next_set(self) -> PlannedSet | None:
        return self.plan.next_set if self.plan else None

    @property
    def shown_next(self) -> PlannedSet | None:
        """The next set as it will run: the "same as last time" copy when it is for this exercise."""
        nxt = self.next_set
        if nxt is not None and self.override is not None and self.override.exercise == nxt.exercise:
            return self.override
        return nxt
