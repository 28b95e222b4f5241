"""The gym's log: every rack's set records in one Store-schema SQLite file, each set once.

The hub hears a set as a :class:`~gymtui.gym.payloads.SetRecord` (QoS 1, so
at least once, maybe twice, maybe again later with its rating). Each record
is stored by its UUID in one transaction: the first time as a new set, a
repeat that says nothing new changes nothing, and a record that changed
(rated later, ended after an outage) rewrites its row and its phases, reps
and cues. The file has the racks' own schema plus ``sets.rack``, so every
read command (``history``, ``export``, ``plan``) works on it unchanged.

Athletes are found or made by name (as the app compares names), so one
athlete who trains at two racks is one athlete here. A rack's session is a
session here too, mapped by the rack and the session's start: two racks
never share one. The plan position is the racks' (the same plan rows): a
record may name its plan (``plan_program``, ``plan_started_on``,
``plan_maintenance_every_weeks`` in its session); without them the plan
starts on the athlete's first trained day, where a rack's starts too.

The rows are written through the store (:class:`gymtui.store.gym.GymTables`:
the set's upsert by UUID, the session's, the plan's); what is here is the
mapping from a record to them and the rules of which plan and session a
record belongs to. Everything in a record is outside input: a field of the wrong type, a
missing column or a set that another rack already sent under that UUID is
:class:`RecordError` with one line, and nothing of that record is written.
"""

from __future__ import annotations

import dataclasses
import sqlite3

from gymtui.gym.payloads import Scalar, SetRecord
from gymtui.session.plan import DEFAULT_PROGRAM, PROGRAMS
from gymtui.store import Store, Upserted
from gymtui.store.athletes import clean_athlete_name

SET_KEPT_LOCAL = frozenset({"id", "session_id", "athlete_id", "calibration_id", "rack", "uuid"})
"""Set columns a record never writes: this file's own ids, and the two the hub fills itself."""
CHILD_KEPT_LOCAL = frozenset({"id", "set_id"})
SESSION_KEPT_LOCAL = frozenset({"id", "athlete_id", "plan_id", "started_at"})
PLAN_KEYS = ("plan_program", "plan_started_on", "plan_maintenance_every_weeks")
"""Optional session keys a rack may send to name its plan (not columns of ``sessions``)."""

Outcome = Upserted


class RecordError(ValueError):
    """A record the log cannot take; the text is one line."""


@dataclasses.dataclass(frozen=True, slots=True)
class Stored:
    """What storing one record did."""

    outcome: Outcome
    athlete_id: int
    athlete: str
    set_id: int


class HubLog:
    """The gym's log over one :class:`Store` (the hub's ``--db``); one thread calls it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._columns: dict[str, frozenset[str]] = {}

    def columns(self, table: str) -> frozenset[str]:
        found = self._columns.get(table)
        if found is None:
            found = self._columns[table] = self.store.table_columns(table)
        return found

    def store_record(self, record: SetRecord) -> Stored:
        """Upsert one record by its UUID, all or nothing; :class:`RecordError` says why not."""
        _check_record(record)
        try:
            with self.store.transaction():
                return self._store(record)
        except sqlite3.IntegrityError as exc:
            raise RecordError(f"record {record.uuid[:36]} from {record.rack}: not storable ({exc})") from None

    # -- inside the transaction ------------------------------------------------------
    def _store(self, record: SetRecord) -> Stored:
        store = self.store
        try:
            name = clean_athlete_name(record.athlete)
        except ValueError as exc:
            raise RecordError(f"record {record.uuid[:36]} from {record.rack}: {exc}") from None
        athlete_id = store.ensure_athlete(name)
        row: dict[str, Scalar | int] = dict(self._set_values(record))
        existing = store.set_origin(record.uuid)
        if existing is not None and existing.rack != record.rack:
            raise RecordError(
                f"record {record.uuid[:36]} from {record.rack}: that set came from {existing.rack}; kept as it was"
            )
        session_id = self._session(record, athlete_id)
        row.update({"athlete_id": athlete_id, "session_id": session_id, "rack": record.rack, "uuid": record.uuid})
        children = {
            "phases": self._children("phases", record.phases),
            "reps": self._children("reps", record.reps),
            "cues": self._children("cues", record.cues),
        }
        outcome, set_id = store.upsert_set_by_uuid(row, children)
        return Stored(outcome, athlete_id, name, set_id)

    def _set_values(self, record: SetRecord) -> dict[str, Scalar]:
        given = record.set
        for key in ("exercise", "status", "started_at"):
            if not isinstance(given.get(key), str) or not given[key]:
                raise RecordError(f"record {record.uuid[:36]} from {record.rack}: the set has no {key}")
        sent_uuid = given.get("uuid")
        if sent_uuid is not None and sent_uuid != record.uuid:
            raise RecordError(f"record {record.uuid[:36]} from {record.rack}: its set names another uuid")
        have = self.columns("sets")
        return {k: v for k, v in given.items() if k in have and k not in SET_KEPT_LOCAL}

    def _children(self, table: str, rows: tuple[dict[str, Scalar], ...]) -> list[dict[str, Scalar]]:
        have = self.columns(table)
        return [{k: v for k, v in r.items() if k in have and k not in CHILD_KEPT_LOCAL} for r in rows]

    def _session(self, record: SetRecord, athlete_id: int) -> int | None:
        """This file's session for the rack's session (found by rack and start, else made), its plan tagged."""
        given = record.session
        started_at = given.get("started_at")
        if not given:
            return None
        if not isinstance(started_at, str) or not started_at:
            raise RecordError(f"record {record.uuid[:36]} from {record.rack}: its session has no started_at")
        have = self.columns("sessions")
        values: dict[str, Scalar | int] = {k: v for k, v in given.items() if k in have and k not in SESSION_KEPT_LOCAL}
        values["plan_id"] = self._plan(record, athlete_id, started_at[:10])
        return self.store.upsert_rack_session(athlete_id, record.rack, started_at, values)

    def _plan(self, record: SetRecord, athlete_id: int, day: str) -> int:
        """The athlete's plan row: as the record names it, else one started on their first trained day."""
        given = record.session
        program = given.get("plan_program")
        started_on = given.get("plan_started_on")
        every = given.get("plan_maintenance_every_weeks")
        program = program if isinstance(program, str) and program in PROGRAMS else None
        started_on = started_on if isinstance(started_on, str) and _is_day(started_on) else None
        every = every if every in (1, 2) else None
        store = self.store
        current = store.current_plan(athlete_id)
        if current is None:
            return store.start_plan(athlete_id, program or DEFAULT_PROGRAM, started_on or day, int(every or 1))
        plan_id = int(current["id"])
        if program is not None and started_on is not None and (program, started_on) != (current["program"], current["started_on"]):
            if started_on > current["started_on"]:  # the rack started a new plan: this one ends where it begins
                return store.start_plan(athlete_id, program, started_on, int(every or 1))
            return plan_id  # an older plan's late record: the current plan stays
        if started_on is None and day < current["started_on"]:  # a late record from before the first day known
            store.revise_plan(plan_id, started_on=day)
        elif every is not None and every != current["maintenance_every_weeks"]:
            store.revise_plan(plan_id, maintenance_every_weeks=int(every))
        return plan_id


def _is_day(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _check_record(record: SetRecord) -> None:
    from gymtui.gym.topics import RACK_NAME_RE

    if not RACK_NAME_RE.fullmatch(record.rack):
        raise RecordError(f"record from {record.rack[:40]!r}: not a rack name")
    if not record.uuid or len(record.uuid) > 64 or not record.uuid.isprintable():
        raise RecordError(f"record from {record.rack}: no usable uuid")
