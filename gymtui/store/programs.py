"""Programs: plans, the sessions they tag, check-ins and load suggestions."""

from __future__ import annotations

from typing import cast

from gymtui.store.connection import now_iso
from gymtui.store.rows import (
    CheckinRow,
    JsonObject,
    PlanRow,
    SessionDayRow,
    SuggestionRow,
)
from gymtui.store.tables import Tables, encode, inserted_id


class Programs(Tables):
    """Plans, check-ins and suggestions."""

    def start_plan(self, athlete_id: int, program: str, started_on: str, maintenance_every_weeks: int = 1) -> int:
        with self.conn:
            self.conn.execute(
                "UPDATE plans SET ended_on = ? WHERE athlete_id = ? AND ended_on IS NULL", (started_on, athlete_id)
            )
            return inserted_id(
                self.db.table("plans")
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "program": program,
                        "started_on": started_on,
                        "maintenance_every_weeks": maintenance_every_weeks,
                        "created_at": now_iso(),
                    }
                )
                
            )

    def current_plan(self, athlete_id: int) -> PlanRow | None:
        row = self.conn.execute(
            "SELECT id FROM plans WHERE athlete_id = ? AND ended_on IS NULL ORDER BY id DESC LIMIT 1", (athlete_id,)
        ).fetchone()
        return None if row is None else cast(PlanRow, dict(self.db.table("plans").get(row[0])))

    def tag_session(self, session_id: int, *, plan_id: int | None, focus: str, kind: str) -> None:
        with self.conn:
            self.db.table("sessions").update(session_id, {"plan_id": plan_id, "focus": focus, "kind": kind})

    def session_days(self, athlete_id: int) -> list[SessionDayRow]:
        """Sessions with at least one completed set, oldest first: what the plan counts."""
        rows = self.conn.execute(
            "SELECT se.id, substr(se.started_at, 1, 10), se.kind, se.focus, se.template "
            "FROM sessions se WHERE se.athlete_id = ? AND EXISTS "
            "(SELECT 1 FROM sets s WHERE s.session_id = se.id AND s.status = 'completed') "
            "ORDER BY se.started_at, se.id",
            (athlete_id,),
        ).fetchall()
        keys = ("id", "day", "kind", "focus", "template")
        return [cast(SessionDayRow, dict(zip(keys, r))) for r in rows]

    def record_checkin(self, athlete_id: int, values: JsonObject, session_id: int | None = None) -> int:
        row = {k: encode(v) for k, v in values.items()}
        with self.conn:
            return inserted_id(
                self.db.table("checkins")
                .insert({"athlete_id": athlete_id, "session_id": session_id, "taken_at": now_iso(), **row})
                
            )

    def checkins_since(self, athlete_id: int, day: str) -> list[CheckinRow]:
        rows = self.db.table("checkins").rows_where(
            "athlete_id = ? AND substr(taken_at, 1, 10) >= ?", [athlete_id, day], order_by="taken_at, id"
        )
        return [cast(CheckinRow, row) for row in rows]

    def save_suggestion(self, athlete_id: int, set_id: int, kind: str, reason: str, from_kg: float | None, to_kg: float | None) -> int:
        with self.conn:
            return inserted_id(
                self.db.table("suggestions")
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "set_id": set_id,
                        "kind": kind,
                        "reason": reason,
                        "from_kg": from_kg,
                        "to_kg": to_kg,
                        "created_at": now_iso(),
                    }
                )
                
            )

    def answer_suggestion(self, suggestion_id: int, taken: bool, next_set_id: int | None = None) -> None:
        with self.conn:
            self.db.table("suggestions").update(
                suggestion_id, {"taken": int(taken), "next_set_id": next_set_id, "answered_at": now_iso()}
            )

    def get_suggestion(self, suggestion_id: int) -> SuggestionRow:
        return cast(SuggestionRow, dict(self.db.table("suggestions").get(suggestion_id)))
