"""Athletes, their sessions and their per-athlete flags and baselines."""

from __future__ import annotations

from gymtui.store.connection import now_iso
from gymtui.store.tables import Tables, inserted_id


class Athletes(Tables):
    """Athletes and sessions: who trains, and when a visit to the gym began and ended."""

    def ensure_athlete(self, name: str = "Athlete") -> int:
        row = self.conn.execute("SELECT id FROM athletes WHERE name = ? ORDER BY id LIMIT 1", (name,)).fetchone()
        if row:
            return int(row[0])
        with self.conn:
            return inserted_id(self.db.table("athletes").insert({"name": name, "created_at": now_iso()}))

    def start_session(self, athlete_id: int, template: str = "", *, started_at: str | None = None, extra: bool = False) -> int:
        """Open a session row; ``started_at`` is the training day's time (default now).

        The plan counts days by this stamp, so a caller with its own calendar
        (a demo, a test walking weeks) passes its time and the whole path uses
        that date. ``extra``: trained on a day the plan called a rest day.
        """
        row: dict[str, object] = {"athlete_id": athlete_id, "started_at": started_at or now_iso(), "template": template}
        if extra:
            row["extra"] = 1
        with self.conn:
            return inserted_id(self.db.table("sessions").insert(row))

    def end_session(self, session_id: int) -> None:
        with self.conn:
            self.db.table("sessions").update(session_id, {"ended_at": now_iso()})

    def get_flag(self, athlete_id: int, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM athlete_flags WHERE athlete_id = ? AND key = ?", (athlete_id, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_flag(self, athlete_id: int, key: str, value: str = "1") -> None:
        with self.conn:
            self.db.table("athlete_flags").upsert(
                {"athlete_id": athlete_id, "key": key, "value": value, "set_at": now_iso()},
                pk=("athlete_id", "key"),
            )

    def baseline_rhr(self, athlete_id: int) -> float | None:
        row = self.conn.execute("SELECT baseline_rhr_bpm FROM athletes WHERE id = ?", (athlete_id,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def set_baseline_rhr(self, athlete_id: int, bpm: float) -> None:
        with self.conn:
            self.db.table("athletes").update(athlete_id, {"baseline_rhr_bpm": float(bpm)})
