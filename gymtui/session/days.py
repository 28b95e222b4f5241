"""One trained day as the plan and the guardrails see it.

A module of its own because both :mod:`gymtui.session.plan` (which week the
athlete is in) and :mod:`gymtui.session.guardrails` (weekly cap, return after
a break) read the same history, and neither should import the other for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionDay:
    """A day with at least one completed set: its kind (neural, light, ...) and body focus."""

    day: dt.date
    kind: str = "neural"
    focus: str = ""
    open: bool = False
    """Still in progress: some of its planned sets are neither done nor skipped."""
    extra: bool = False
    """Trained on a day the plan called a rest day (the athlete said "train anyway")."""
