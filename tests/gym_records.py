"""Sets written into a rack's database and turned into the records it sends, for the hub's tests.

``record_of`` is the rack's own :func:`gymtui.gym.records.set_record` when
that module is there; until it is, a copy of its contract: the set row
without its local ids (``id``, ``session_id``, ``athlete_id``,
``calibration_id``, ``rack``), phases, reps and cues without ``id`` and
``set_id``, the session without ``id``, ``athlete_id`` and ``plan_id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gymtui.gym.payloads import Scalar, SetRecord
from gymtui.store import Store

try:
    from gymtui.gym.records import set_record as _rack_set_record
except ImportError:  # the rack's side is not on this branch yet
    _rack_set_record = None


def _plain(row: dict[str, Any], leave_out: set[str]) -> dict[str, Scalar]:
    return {k: v for k, v in row.items() if k not in leave_out}


def _rows(store: Store, sql: str, *params: object) -> list[dict[str, Any]]:
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def record_of(store: Store, set_id: int, rack: str) -> SetRecord:
    """The set as the record ``rack`` sends the hub."""
    if _rack_set_record is not None:
        return _rack_set_record(store, set_id, rack)
    row = _rows(store, "SELECT * FROM sets WHERE id = ?", set_id)[0]
    session = _rows(store, "SELECT * FROM sessions WHERE id = ?", row["session_id"])
    return SetRecord(
        uuid=row["uuid"],
        rack=rack,
        athlete=store.athlete_name(row["athlete_id"]),
        set=_plain(row, {"id", "session_id", "athlete_id", "calibration_id", "rack"}),
        session=_plain(session[0], {"id", "athlete_id", "plan_id"}) if session else {},
        phases=tuple(_plain(p, {"id", "set_id"}) for p in _rows(store, "SELECT * FROM phases WHERE set_id = ? ORDER BY idx", set_id)),
        reps=tuple(_plain(p, {"id", "set_id"}) for p in _rows(store, "SELECT * FROM reps WHERE set_id = ? ORDER BY idx", set_id)),
        cues=tuple(_plain(p, {"id", "set_id"}) for p in _rows(store, "SELECT * FROM cues WHERE set_id = ? ORDER BY t_s", set_id)),
    )


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
