"""The cuff log: every command to a BFR cuff, and the occlusion time it adds up to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from gymtui.bfr.ledger import occluded_s
from gymtui.store.connection import now_iso
from gymtui.store.tables import Tables, inserted_id


class CuffLog(Tables):
    """The ``cuff_events`` log."""

    def log_cuff_event(
        self,
        kind: str,
        *,
        pressure_mmhg: float | None = None,
        target_mmhg: float | None = None,
        reason: str = "",
        set_id: int | None = None,
        session_id: int | None = None,
        at: str | None = None,
    ) -> int:
        with self.conn:
            return inserted_id(
                self.db.table("cuff_events")
                .insert(
                    {
                        "set_id": set_id,
                        "session_id": session_id,
                        "at": at or now_iso(),
                        "kind": kind,
                        "pressure_mmhg": pressure_mmhg,
                        "target_mmhg": target_mmhg,
                        "reason": reason,
                    }
                )
                
            )

    def close_left_inflation(self, close_at: Callable[[dt.datetime, dt.datetime], dt.datetime]) -> dt.datetime | None:
        """Close an inflation a dead process left open; return when it was inflated (or None).

        The newest ``cuff_events`` row that says the cuff was up (inflate,
        target, hold) with no deflate after it means the app ended without
        deflating (SIGKILL, power cut, bus error). A ``deflate`` row is
        written at ``close_at(inflated_at, now)`` (see
        :func:`gymtui.bfr.ledger.left_inflated_until`), so the session's occlusion
        time counts it. Call only while holding the single-instance lock.
        """
        row = self.conn.execute(
            "SELECT at, kind, set_id, session_id FROM cuff_events ORDER BY at DESC, id DESC LIMIT 1"
        ).fetchone()
        if row is None or row[1] not in ("inflate", "target", "hold"):
            return None
        opened = self.conn.execute(
            "SELECT at FROM cuff_events WHERE kind IN ('inflate', 'target') AND at > COALESCE("
            "(SELECT max(at) FROM cuff_events WHERE kind = 'deflate'), '') ORDER BY at, id LIMIT 1"
        ).fetchone()
        inflated_at = dt.datetime.fromisoformat(opened[0] if opened else row[0])
        now = dt.datetime.now().astimezone()
        closed_at = close_at(inflated_at, now)
        self.log_cuff_event(
            "deflate",
            reason=(
                f"restart: the app ended with the cuff up (inflated {inflated_at:%H:%M:%S}); "
                f"counted as occluded until {closed_at:%H:%M:%S}"
            ),
            set_id=row[2],
            session_id=row[3],
            at=closed_at.isoformat(timespec="milliseconds"),
        )
        return inflated_at

    def cuff_occlusion_s(self, *, session_id: int | None = None, since: str | None = None) -> float:
        """Seconds the cuff was commanded up, from ``cuff_events`` (one session, or since a time).

        An inflation opens at an ``inflate`` row and closes at the next
        ``deflate``; one left open (a killed process) counts up to the last
        cuff event. The app passes this to a new supervisor
        (``prior_session_s``) so the session cap survives a restart: e.g.
        ``since`` two hours ago.
        """
        where: list[str] = []
        params: list[str | int] = []
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.conn.execute(f"SELECT at, kind FROM cuff_events {clause} ORDER BY at, id", params).fetchall()
        return occluded_s((kind, dt.datetime.fromisoformat(at).timestamp()) for at, kind in rows)
