"""The rows a gym of many racks moves: a set by its UUID, a set's whole record, an athlete's state.

A rack sends each set to the hub as a record (the set row, its session and
plan, its phases, reps and cues); the hub keeps every rack's records in one
file of this schema (plus ``sets.rack``), each set once by its UUID; from
that log the hub builds an athlete's state, and a rack adopts it into its
own file. :mod:`gymtui.gym` maps those messages to and from rows
(:mod:`gymtui.gym.records`, :mod:`gymtui.gym.hub_log`,
:mod:`gymtui.gym.athlete_state`); these are the rows, read and written here,
because the store is the only code that speaks SQL. The store never imports
:mod:`gymtui.gym`: it takes and gives plain dicts and values, so the
payloads can change without a migration and the store without a payload.

Rows are read with ``SELECT *``, so a column a later migration adds travels
without a change here. Column names that come from a record (outside input)
are checked against the table's columns by the caller before they get here
(:meth:`GymTables.table_columns`); here they are also refused unless they
are plain identifiers, since a name is part of the SQL text, not a value.

The hub's upsert and a rack's adoption are many calls that must happen
whole or not at all: run them inside :meth:`GymTables.transaction`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict, cast

from gymtui.store.connection import GymConnection
from gymtui.store.tables import Tables

Row = dict[str, Any]
"""A whole row by column name, as ``SELECT *`` gives it (values as SQLite returns them)."""

CHILD_TABLES = ("phases", "reps", "cues")
"""A set's children, in the order a record lists (and the hub writes) them."""
CHILD_ORDER = {"phases": "idx, id", "reps": "idx, id", "cues": "t_s, id"}
WRITABLE_TABLES = frozenset({"sets", "sessions", *CHILD_TABLES})
"""The tables the hub's upsert and a rack's adoption write rows of whole (names checked before they reach SQL)."""
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Upserted = Literal["new", "updated", "same"]
"""What writing a set by its UUID did: a new row, a rewritten one, or nothing (it said that already)."""


class PlanKeys(TypedDict):
    """What names a plan in any file (an id means nothing outside its own)."""

    program: str
    started_on: str
    maintenance_every_weeks: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class RecordRows:
    """One set's rows as they are in this file: what a rack's record of the set is made from."""

    set_row: Row
    session: Row | None
    """The set's session row (None: the set has no session, or its row is gone)."""
    plan: PlanKeys | None
    """The session's plan (None: no session, or a session with no plan row)."""
    phases: list[Row]
    reps: list[Row]
    cues: list[Row]


@dataclasses.dataclass(frozen=True, slots=True)
class SetOrigin:
    """The set a UUID names in this file, and the rack it came from (None: lifted here)."""

    id: int
    rack: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class TrainedSession:
    """A session with a completed set (one the plan counts), and its first completed set."""

    started_at: str
    ended_at: str | None
    focus: str | None
    kind: str | None
    template: str | None
    extra: bool
    first_completed_set_id: int


class GymTables(Tables):
    """Sets by UUID, the hub's upsert of a rack's record, and an athlete's state read and adopted."""

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Several of these calls as one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, or nothing of them)."""
        return cast(GymConnection, self.conn).transaction()

    def table_columns(self, table: str) -> frozenset[str]:
        """The columns ``table`` has in this file (a record's keys are kept to these)."""
        return frozenset(self.db.table(table).columns_dict)

    # -- a set by its UUID -------------------------------------------------------------
    def set_uuid(self, set_id: int) -> str | None:
        """The UUID that names set ``set_id`` beyond this file (None: no such set)."""
        row = self.conn.execute("SELECT uuid FROM sets WHERE id = ?", (set_id,)).fetchone()
        return None if row is None else str(row[0])

    def set_origin(self, uuid: str) -> SetOrigin | None:
        """The set this UUID names here, with its rack; None when this file has no such set."""
        row = self.conn.execute("SELECT id, rack FROM sets WHERE uuid = ?", (uuid,)).fetchone()
        return None if row is None else SetOrigin(int(row[0]), row[1])

    def record_rows(self, set_id: int) -> RecordRows | None:
        """Set ``set_id`` with its session, plan, phases, reps and cues (children in their order); None: no such set."""
        found = self._rows("SELECT * FROM sets WHERE id = ?", set_id)
        if not found:
            return None
        set_row = found[0]
        session: Row | None = None
        plan: PlanKeys | None = None
        if set_row.get("session_id") is not None:
            sessions = self._rows("SELECT * FROM sessions WHERE id = ?", set_row["session_id"])
            if sessions:
                session = sessions[0]
                plan = self._plan_keys(session.get("plan_id"))
        children = {
            table: self._rows(f"SELECT * FROM {table} WHERE set_id = ? ORDER BY {order}", set_id)
            for table, order in CHILD_ORDER.items()
        }
        return RecordRows(set_row, session, plan, children["phases"], children["reps"], children["cues"])

    def _plan_keys(self, plan_id: object) -> PlanKeys | None:
        if plan_id is None:
            return None
        row = self.conn.execute(
            "SELECT program, started_on, maintenance_every_weeks FROM plans WHERE id = ?", (plan_id,)
        ).fetchone()
        if row is None:
            return None
        return PlanKeys(program=row[0], started_on=row[1], maintenance_every_weeks=None if row[2] is None else int(row[2]))

    # -- the hub: a rack's record into the gym's log ---------------------------------
    def upsert_set_by_uuid(
        self, row: Mapping[str, object], children: Mapping[str, Sequence[Mapping[str, object]]]
    ) -> tuple[Upserted, int]:
        """Write the set ``row["uuid"]`` names, with its children (table → rows), and say what that did.

        A set not in this file is inserted; one that already says exactly
        this (a repeat delivery) is left alone; one that differs has its row
        updated and its children replaced. Returns the outcome and the set's
        id here. It is one transaction (or part of the caller's
        :meth:`transaction`, with the session and plan writes of the same
        record): a row it cannot write leaves none of the others.
        """
        for table in children:
            _child_table(table)
        with self.transaction():
            origin = self.set_origin(str(row["uuid"]))
            if origin is None:
                set_id = self._insert_row("sets", row)
                self._insert_children(set_id, children)
                return "new", set_id
            set_id = origin.id
            if self._set_says(set_id, row, children):
                return "same", set_id
            self._update_row("sets", set_id, row)
            for table in children:
                self.conn.execute(f"DELETE FROM {_child_table(table)} WHERE set_id = ?", (set_id,))
            self._insert_children(set_id, children)
            return "updated", set_id

    def upsert_rack_session(self, athlete_id: int, rack: str, started_at: str, values: Mapping[str, object]) -> int:
        """The session here of ``rack``'s session that started at ``started_at``, its columns set to ``values``.

        Found by athlete, start and a set of it from that rack (two racks
        never share a session), else made.
        """
        found = self.conn.execute(
            "SELECT se.id FROM sessions se WHERE se.athlete_id = ? AND se.started_at = ? AND EXISTS "
            "(SELECT 1 FROM sets s WHERE s.session_id = se.id AND s.rack = ?) ORDER BY se.id LIMIT 1",
            (athlete_id, started_at, rack),
        ).fetchone()
        if found is None:
            return self._insert_row("sessions", {**values, "athlete_id": athlete_id, "started_at": started_at})
        session_id = int(found[0])
        self._update_row("sessions", session_id, values)
        return session_id

    def revise_plan(self, plan_id: int, *, started_on: str | None = None, maintenance_every_weeks: int | None = None) -> None:
        """Move a plan's first day or change its maintenance rhythm (what a late record says of it)."""
        with self.conn:
            if started_on is not None:
                self.conn.execute("UPDATE plans SET started_on = ? WHERE id = ?", (started_on, plan_id))
            if maintenance_every_weeks is not None:
                self.conn.execute(
                    "UPDATE plans SET maintenance_every_weeks = ? WHERE id = ?", (maintenance_every_weeks, plan_id)
                )

    # -- the hub: an athlete's state from the gym's log ---------------------------------
    def trained_sessions_since(self, athlete_id: int, since_day: str) -> list[TrainedSession]:
        """The athlete's sessions from ``since_day`` on that have a completed set, oldest first."""
        rows = self.conn.execute(
            "SELECT se.started_at, se.ended_at, se.focus, se.kind, se.template, se.extra, "
            "(SELECT s.id FROM sets s WHERE s.session_id = se.id AND s.status = 'completed' ORDER BY s.started_at, s.id LIMIT 1) "
            "FROM sessions se WHERE se.athlete_id = ? AND substr(se.started_at, 1, 10) >= ? AND EXISTS "
            "(SELECT 1 FROM sets s WHERE s.session_id = se.id AND s.status = 'completed') ORDER BY se.started_at, se.id",
            (athlete_id, since_day),
        ).fetchall()
        return [TrainedSession(r[0], r[1], r[2], r[3], r[4], bool(r[5]), int(r[6])) for r in rows]

    def last_rated_set_id(self, athlete_id: int, exercise: str) -> int | None:
        """The athlete's newest finished set of ``exercise`` with an activation rating."""
        row = self.conn.execute(
            "SELECT id FROM sets WHERE athlete_id = ? AND exercise = ? AND activation_rating IS NOT NULL "
            "AND status IN ('completed', 'aborted') ORDER BY started_at DESC, id DESC LIMIT 1",
            (athlete_id, exercise),
        ).fetchone()
        return None if row is None else int(row[0])

    def recent_finished_set_ids(self, athlete_id: int, limit: int) -> list[int]:
        """The athlete's newest ``limit`` finished (completed or aborted) sets, newest first."""
        rows = self.conn.execute(
            "SELECT id FROM sets WHERE athlete_id = ? AND status IN ('completed', 'aborted') "
            "ORDER BY started_at DESC, id DESC LIMIT ?",
            (athlete_id, limit),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def newest_finished_set_at(self, athlete_id: int) -> str | None:
        """When the athlete's newest finished set started (None: none yet)."""
        row = self.conn.execute(
            "SELECT max(started_at) FROM sets WHERE athlete_id = ? AND status IN ('completed', 'aborted')", (athlete_id,)
        ).fetchone()
        return None if row[0] is None else str(row[0])

    def sets_with_session_start(self, set_ids: Iterable[int], columns: Sequence[str]) -> list[Row]:
        """These sets' ``columns`` and their session's start (``session_started_at``), in the order asked.

        A set id not in this file is left out. ``columns`` are the caller's
        own names (a payload's fields), never outside input.
        """
        wanted = ", ".join(f"s.{_name(c)}" for c in columns)
        out: list[Row] = []
        for set_id in set_ids:
            row = self.conn.execute(
                f"SELECT {wanted}, se.started_at FROM sets s LEFT JOIN sessions se ON se.id = s.session_id WHERE s.id = ?",
                (set_id,),
            ).fetchone()
            if row is not None:
                out.append({**dict(zip(columns, row[: len(columns)], strict=True)), "session_started_at": row[-1]})
        return out

    # -- a rack: adopting an athlete's state ------------------------------------------
    def newest_own_set_at(self, athlete_id: int) -> str | None:
        """When the athlete's newest set lifted at this rack started (``sets.rack`` NULL; any status)."""
        row = self.conn.execute(
            "SELECT max(started_at) FROM sets WHERE athlete_id = ? AND rack IS NULL", (athlete_id,)
        ).fetchone()
        return None if row[0] is None else str(row[0])

    def ensure_session_at(self, athlete_id: int, started_at: str, values: Mapping[str, object]) -> tuple[int, bool]:
        """The athlete's session that started at ``started_at``, else a new one with ``values``; (id, made)."""
        found = self.conn.execute(
            "SELECT id FROM sessions WHERE athlete_id = ? AND started_at = ? ORDER BY id LIMIT 1", (athlete_id, started_at)
        ).fetchone()
        if found is not None:
            return int(found[0]), False
        return self._insert_row("sessions", {**values, "athlete_id": athlete_id, "started_at": started_at}), True

    def add_set_row(self, row: Mapping[str, object]) -> int:
        """A whole set row as another file has it (an adopted set, ``rack`` set): its id here."""
        return self._insert_row("sets", row)

    # -- helpers ------------------------------------------------------------------------
    def _rows(self, sql: str, *params: object) -> list[Row]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def _insert_row(self, table: str, row: Mapping[str, object]) -> int:
        names = sorted(row)
        with self.conn:
            cursor = self.conn.execute(
                f"INSERT INTO {_table(table)} ({', '.join(_name(n) for n in names)}) VALUES ({', '.join('?' for _ in names)})",
                tuple(row[n] for n in names),
            )
        return int(cursor.lastrowid or 0)

    def _update_row(self, table: str, row_id: int, values: Mapping[str, object]) -> None:
        names = sorted(values)
        with self.conn:
            self.conn.execute(
                f"UPDATE {_table(table)} SET {', '.join(f'{_name(n)} = ?' for n in names)} WHERE id = ?",
                (*(values[n] for n in names), row_id),
            )

    def _insert_children(self, set_id: int, children: Mapping[str, Sequence[Mapping[str, object]]]) -> None:
        for table, rows in children.items():
            for row in rows:
                self._insert_row(_child_table(table), {**row, "set_id": set_id})

    def _set_says(
        self, set_id: int, row: Mapping[str, object], children: Mapping[str, Sequence[Mapping[str, object]]]
    ) -> bool:
        """Whether the stored set already says exactly this (a repeat delivery)."""
        names = sorted(row)
        stored = self.conn.execute(
            f"SELECT {', '.join(_name(n) for n in names)} FROM sets WHERE id = ?", (set_id,)
        ).fetchone()
        if stored is None or tuple(stored) != tuple(row[n] for n in names):
            return False
        for table, rows in children.items():
            table = _child_table(table)
            if len(rows) != self.conn.execute(f"SELECT count(*) FROM {table} WHERE set_id = ?", (set_id,)).fetchone()[0]:
                return False
            for wanted in rows:
                cols = sorted(wanted)
                if not cols:
                    continue
                where = " AND ".join(f"{_name(c)} IS ?" for c in cols)
                if self.conn.execute(
                    f"SELECT 1 FROM {table} WHERE set_id = ? AND {where} LIMIT 1", (set_id, *(wanted[c] for c in cols))
                ).fetchone() is None:
                    return False
        return True


def _name(name: str) -> str:
    """A column name fit to be part of SQL text; ``ValueError`` for anything else."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"not a column name: {name[:40]!r}")
    return name


def _table(table: str) -> str:
    if table not in WRITABLE_TABLES:
        raise ValueError(f"the gym's rows are not written to {table!r}")
    return table


def _child_table(table: str) -> str:
    if table not in CHILD_TABLES:
        raise ValueError(f"{table!r} is not a table of a set's children")
    return table
