"""A session's planned sets, in order: what the day fixed when it opened, and what became of each.

One row per planned set (``position`` 0…n-1 within the session) with its
status: ``planned`` until a set of it completes (``done``) or the athlete
skips it (``skipped``, with a reason if they gave one). Ending a session
early skips what is left. The day is finished when no row is ``planned``;
a session without rows (older files, quick sets) is finished by definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from gymtui.store.connection import now_iso
from gymtui.store.tables import Tables

PLANNED = "planned"
DONE = "done"
SKIPPED = "skipped"


class PlannedSetRow(TypedDict):
    """One planned set of a session as stored."""

    id: int
    session_id: int
    position: int
    exercise: str
    exercise_key: str | None
    workflow_phase: str | None
    set_number: int
    status: str
    skip_reason: str | None
    set_id: int | None


class OpenSessionRow(TypedDict):
    """A session of the day that still has planned sets (or has none written yet)."""

    id: int
    focus: str | None
    kind: str | None
    extra: int | None


_COLUMNS = "id, session_id, position, exercise, exercise_key, workflow_phase, set_number, status, skip_reason, set_id"


class PlannedSets(Tables):
    """The day's sequence of sets, per session."""

    def plan_session_sets(self, session_id: int, sets: Sequence[tuple[str, str, str, int]]) -> None:
        """Fix the session's planned sets in order: (exercise, exercise_key, workflow_phase, set_number) each."""
        at = now_iso()
        with self.conn:
            self.db.table("planned_sets").insert_all(
                {
                    "session_id": session_id,
                    "position": i,
                    "exercise": exercise,
                    "exercise_key": key,
                    "workflow_phase": phase,
                    "set_number": number,
                    "status": PLANNED,
                    "updated_at": at,
                }
                for i, (exercise, key, phase, number) in enumerate(sets)
            )

    def planned_set_rows(self, session_id: int) -> list[PlannedSetRow]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM planned_sets WHERE session_id = ? ORDER BY position", (session_id,)
        ).fetchall()
        keys = tuple(c.strip() for c in _COLUMNS.split(","))
        return [PlannedSetRow(**dict(zip(keys, r))) for r in rows]  # type: ignore[typeddict-item]

    def mark_planned_set_done(self, planned_set_id: int, set_id: int | None) -> None:
        """A set of this planned set completed (a skipped one done after all counts as done)."""
        with self.conn:
            self.conn.execute(
                "UPDATE planned_sets SET status = ?, set_id = ?, skip_reason = NULL, updated_at = ? WHERE id = ?",
                (DONE, set_id, now_iso(), planned_set_id),
            )

    def skip_planned_set(self, planned_set_id: int, reason: str | None = None) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE planned_sets SET status = ?, skip_reason = ?, updated_at = ? WHERE id = ? AND status = ?",
                (SKIPPED, reason or None, now_iso(), planned_set_id, PLANNED),
            )

    def skip_remaining_sets(self, session_id: int, reason: str) -> int:
        """End the session early: every set still planned is skipped with ``reason``; how many were."""
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE planned_sets SET status = ?, skip_reason = ?, updated_at = ? WHERE session_id = ? AND status = ?",
                (SKIPPED, reason, now_iso(), session_id, PLANNED),
            )
        return int(cursor.rowcount)

    def open_session_on(self, athlete_id: int, day: str) -> OpenSessionRow | None:
        """The newest session started on ``day`` (YYYY-MM-DD) that still has a planned set."""
        row = self.conn.execute(
            "SELECT se.id, se.focus, se.kind, se.extra FROM sessions se "
            "WHERE se.athlete_id = ? AND substr(se.started_at, 1, 10) = ? AND EXISTS "
            "(SELECT 1 FROM planned_sets p WHERE p.session_id = se.id AND p.status = ?) "
            "ORDER BY se.started_at DESC, se.id DESC LIMIT 1",
            (athlete_id, day, PLANNED),
        ).fetchone()
        if row is None:
            return None
        return OpenSessionRow(id=int(row[0]), focus=row[1], kind=row[2], extra=row[3])

    def open_session_ids(self, athlete_id: int) -> set[int]:
        """Sessions of the athlete that still have a planned set (the plan counts them as in progress)."""
        rows = self.conn.execute(
            "SELECT DISTINCT p.session_id FROM planned_sets p JOIN sessions se ON se.id = p.session_id "
            "WHERE se.athlete_id = ? AND p.status = ?",
            (athlete_id, PLANNED),
        ).fetchall()
        return {int(r[0]) for r in rows}

    def extra_session_ids(self, athlete_id: int) -> set[int]:
        rows = self.conn.execute(
            "SELECT id FROM sessions WHERE athlete_id = ? AND extra = 1", (athlete_id,)
        ).fetchall()
        return {int(r[0]) for r in rows}
