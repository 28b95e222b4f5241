"""Sets written into a rack's database and turned into the records it sends, for the hub's tests.

``record_of`` is the rack's own :func:`gymtui.gym.records.set_record`: the
record the hub's tests feed it is exactly what a rack would send.
"""

from __future__ import annotations

import datetime as dt

from gymtui.gym.payloads import SetRecord
from gymtui.gym.records import set_record
from gymtui.store import Store


def record_of(store: Store, set_id: int, rack: str) -> SetRecord:
    """The set as the record ``rack`` sends the hub."""
    return set_record(store, set_id, rack)


def lift(
    store: Store,
    athlete: str,
    exercise: str,
    day: dt.date,
    *,
    load_kg: float | None = 100.0,
    reps: int = 5,
    rating: int | None = None,
    session_id: int | None = None,
    minute: int = 0,
) -> tuple[int, int]:
    """One completed set on ``day`` (a session opened for it unless given): (set id, session id)."""
    athlete_id = store.ensure_athlete(athlete)
    at = dt.datetime.combine(day, dt.time(9, minute)).astimezone().isoformat(timespec="milliseconds")
    if session_id is None:
        session_id = store.start_session(athlete_id, template="lower", started_at=at)
        store.tag_session(session_id, plan_id=None, focus="lower", kind="neural")
    set_id = store.start_set(athlete_id, exercise, "standard", session_id=session_id, load_kg=load_kg, started_at=at,
                             extra={"workflow_phase": "compound", "set_number": 1})
    store.record_phase(set_id, 0, "reps", "Reps", planned_s=30.0, started_at=at, duration_s=28.0, ended_by="athlete", ended_at=at)
    store.record_reps(set_id, [{"idx": i, "start_s": i * 3.0, "end_s": i * 3.0 + 2.5} for i in range(reps)])
    store.finish_set(set_id, "completed", {"reps": reps, "reps_source": "emg"}, ended_at=at)
    if rating is not None:
        store.rate_set(set_id, rating, rated_at=at)
    return set_id, session_id
