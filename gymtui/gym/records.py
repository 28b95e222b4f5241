"""One set of the rack's log as the :class:`~gymtui.gym.payloads.SetRecord` it sends the hub.

The record carries the rows as they are, so the hub writes the same schema
(:class:`gymtui.gym.hub_log.HubLog`): the set row without this file's ids
(``id``, ``session_id``, ``athlete_id``, ``calibration_id``) and without
``rack`` (the hub fills it from the topic), its phases, reps and cues
without ``id`` and ``set_id``, and the session row without ``id``,
``athlete_id`` and ``plan_id``. A plan id means nothing in another file, so
the session names its plan instead (``plan_program``, ``plan_started_on``,
``plan_maintenance_every_weeks``, :data:`gymtui.gym.hub_log.PLAN_KEYS`):
the hub then counts the athlete's plan from the same start as this rack.

The rows come from the store (:meth:`gymtui.store.Store.record_rows`, every
column of each), so a column added by a later migration travels without a
change here; a BLOB value (none of these tables has one today) is sent as
hex text rather than breaking the JSON.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from gymtui.gym.payloads import Scalar, SetRecord
from gymtui.store import PlanKeys, Store

SET_LEFT_OUT = frozenset({"id", "session_id", "athlete_id", "calibration_id", "rack"})
CHILD_LEFT_OUT = frozenset({"id", "set_id"})
SESSION_LEFT_OUT = frozenset({"id", "athlete_id", "plan_id"})


class NoSuchSet(LookupError):
    """The set id is not in this rack's log (deleted, or never written)."""


def set_record(store: Store, set_id: int, rack: str) -> SetRecord:
    """The set ``set_id`` as ``rack`` sends it; run it on the store's thread (it reads the store)."""
    rows = store.record_rows(set_id)
    if rows is None:
        raise NoSuchSet(f"no set {set_id} in this rack's log")
    row = rows.set_row
    uuid = row.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise NoSuchSet(f"set {set_id} has no uuid (the database is older than the gym link)")
    session: dict[str, Scalar] = {}
    if rows.session is not None:
        session = _plain(rows.session, SESSION_LEFT_OUT)
        session.update(_plan_keys(rows.plan))
    return SetRecord(
        uuid=uuid,
        rack=rack,
        athlete=store.athlete_name(int(row["athlete_id"])),
        set=_plain(row, SET_LEFT_OUT),
        session=session,
        phases=tuple(_plain(r, CHILD_LEFT_OUT) for r in rows.phases),
        reps=tuple(_plain(r, CHILD_LEFT_OUT) for r in rows.reps),
        cues=tuple(_plain(r, CHILD_LEFT_OUT) for r in rows.cues),
        sent_at=time.time(),
    )


def _plan_keys(plan: PlanKeys | None) -> dict[str, Scalar]:
    """The session's plan by what names it anywhere: program, start day, maintenance rhythm."""
    if plan is None:
        return {}
    return {
        "plan_program": plan["program"],
        "plan_started_on": plan["started_on"],
        "plan_maintenance_every_weeks": plan["maintenance_every_weeks"],
    }


def _plain(row: Mapping[str, object], leave_out: frozenset[str]) -> dict[str, Scalar]:
    return {k: _scalar(v) for k, v in row.items() if k not in leave_out}


def _scalar(value: object) -> Scalar:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
