"""Loads from the log: 1RM estimates and last time's numbers for a list of exercises.

The formulas and the plate arithmetic are :mod:`gymtui.session.loads`
(pure); this module reads the sets they work on. Run on the store's thread.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from gymtui.session import loads
from gymtui.session.lifted import asks_load
from gymtui.session.loads import GymConfig, LastTime, OneRepMax
from gymtui.session.templates import LoadBook, PlannedSet, WorkflowPhase

if TYPE_CHECKING:
    from gymtui.store import Store


def estimate_1rm(store: Store, athlete_id: int, exercise: str, today: dt.date | None = None) -> OneRepMax | None:
    """Best Epley estimate from recent completed sets of this exercise, or None."""
    return loads.estimate_1rm(store.loaded_sets(athlete_id, exercise), exercise, today)


def last_time(store: Store, athlete_id: int, exercise: str, today: dt.date | None = None) -> LastTime | None:
    """The last *earlier* day's sets of this exercise (today's own sets are not "last time")."""
    rows = store.last_session_sets(athlete_id, exercise, before=(today or dt.date.today()).isoformat())
    return loads.last_time(rows, exercise)


def load_book(store: Store, athlete_id: int, names: list[str], gym: GymConfig | None = None, today: dt.date | None = None) -> LoadBook:
    """Read 1RM estimates and last time's numbers for these exercises from the log."""
    one_rms = {n: rm for n in names if (rm := estimate_1rm(store, athlete_id, n, today)) is not None}
    last = {n: lt for n in names if (lt := last_time(store, athlete_id, n, today)) is not None}
    return LoadBook(one_rms, last, gym or GymConfig())


def needs_working_weight(store: Store, athlete_id: int | None, planned: PlannedSet) -> bool:
    """The first time a loaded exercise comes up with no load planned and nothing logged: ask for one."""
    if athlete_id is None or planned.load is not None or not asks_load(planned.equipment):
        return False
    if planned.workflow_phase is WorkflowPhase.ACTIVATION:
        return False
    return not store.loaded_sets(athlete_id, planned.exercise)
