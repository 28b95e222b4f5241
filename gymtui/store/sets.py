"""Sets and their phases and reps, durable phase by phase.

A set's row is written when it starts (``in_progress``), each phase the
moment it ends, and the EMG statistics follow as updates, each in its own
transaction: a killed process loses only the phase that was running and any
write still queued.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import cast

from gymtui.store.connection import now_iso
from gymtui.store.errors import StoreError
from gymtui.store.rows import (
    JsonObject,
    LiftedSource,
    PhaseRow,
    SetRow,
    SetStatus,
    SetSummary,
)
from gymtui.store.tables import Tables, encode, inserted_id


class Sets(Tables):
    """Sets, phases and reps."""

    def start_set(
        self,
        athlete_id: int,
        exercise: str,
        protocol: str,
        *,
        session_id: int | None = None,
        load_kg: float | None = None,
        channels: Sequence[dict[str, str]] = (),
        pipeline: JsonObject | None = None,
        calibration_id: int | None = None,
        started_at: str | None = None,
        extra: JsonObject | None = None,
    ) -> int:
        """Write the set row at the moment it starts, as ``in_progress``.

        ``started_at`` is when the set began (default now: a write retried
        after an outage keeps the real time); ``extra`` adds columns (a
        planned set's plan fields) in the same insert. A load given here is
        the plan's unless ``extra`` says otherwise (``load_source``).
        """
        row: dict[str, object] = {
            "athlete_id": athlete_id,
            "session_id": session_id,
            "exercise": exercise,
            "protocol": protocol,
            "load_kg": load_kg,
            "status": SetStatus.IN_PROGRESS,
            "started_at": started_at or now_iso(),
            "channels": json.dumps(list(channels)),
            "pipeline": json.dumps(dict(pipeline or {})),
            "calibration_id": calibration_id,
            "load_source": LiftedSource.PLANNED if load_kg is not None else None,
            "uuid": str(uuid.uuid4()),
        }
        for key, value in (extra or {}).items():
            if key == "load_source":
                row[key] = value if load_kg is not None else None
                continue
            row.setdefault(key, encode(value))
        with self.conn:
            return inserted_id(self.db.table("sets").insert(row))

    def set_calibration_for_set(self, set_id: int, calibration_id: int) -> None:
        with self.conn:
            self.db.table("sets").update(set_id, {"calibration_id": calibration_id})

    def record_phase(
        self,
        set_id: int,
        idx: int,
        kind: str,
        name: str,
        *,
        planned_s: float | None,
        started_at: str,
        duration_s: float,
        ended_by: str,
        ended_at: str | None = None,
        peak_pct_mvc: float | None = None,
        mean_pct_mvc: float | None = None,
        metrics: JsonObject | None = None,
    ) -> int:
        """Write one finished phase, in its own transaction (``ended_at``: default now).

        The app writes it the moment the phase ends, before its EMG
        statistics exist (they follow through :meth:`update_phase_stats`), so
        a kill right after the end still finds the phase on disk.
        """
        with self.conn:
            return inserted_id(
                self.db.table("phases")
                .insert(
                    {
                        "set_id": set_id,
                        "idx": idx,
                        "kind": kind,
                        "name": name,
                        "planned_s": planned_s,
                        "started_at": started_at,
                        "ended_at": ended_at or now_iso(),
                        "duration_s": duration_s,
                        "ended_by": ended_by,
                        "peak_pct_mvc": peak_pct_mvc,
                        "mean_pct_mvc": mean_pct_mvc,
                        "metrics": json.dumps(dict(metrics or {})),
                    }
                )
                
            )

    def update_phase_stats(
        self,
        set_id: int,
        idx: int,
        *,
        peak_pct_mvc: float | None,
        mean_pct_mvc: float | None,
        metrics: JsonObject,
    ) -> None:
        """Add a phase's EMG statistics to the row its end wrote (the set's phase ``idx``).

        Raises :class:`StoreError` when there is no such row: the statistics
        would otherwise vanish without a word.
        """
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE phases SET peak_pct_mvc = ?, mean_pct_mvc = ?, metrics = ? WHERE set_id = ? AND idx = ?",
                (peak_pct_mvc, mean_pct_mvc, json.dumps(dict(metrics)), set_id, idx),
            )
        if cursor.rowcount == 0:
            raise StoreError(f"set {set_id} has no phase {idx} to add its statistics to")

    def finish_set(
        self, set_id: int, status: str, summary: JsonObject | None = None, ended_at: str | None = None
    ) -> None:
        """Close a set as ``completed`` or ``aborted`` with its EMG summary (``ended_at``: default now).

        Reps the athlete already typed (``reps_source = 'entered'``) win over
        the summary's count, whichever write came first.
        """
        if status not in (SetStatus.COMPLETED, SetStatus.ABORTED):
            raise ValueError(f"a set finishes as completed or aborted, not {status!r}")
        values: dict[str, object] = {"status": status, "ended_at": ended_at or now_iso()}
        for key, value in (summary or {}).items():
            values[key] = encode(value)
        with self.conn:
            row = self.conn.execute("SELECT reps_source FROM sets WHERE id = ?", (set_id,)).fetchone()
            if row is not None and row[0] == LiftedSource.ENTERED:
                values.pop("reps", None)
                values.pop("reps_source", None)
            self.db.table("sets").update(set_id, values)

    def record_lifted(
        self,
        set_id: int,
        *,
        load_kg: float | None,
        load_source: str | None,
        reps: int | None,
        reps_source: str | None,
        rir: int | None = None,
        rir_source: str | None = None,
    ) -> None:
        """What was lifted, as the athlete confirmed it after the set: each number with its source.

        A number given as None leaves the row's value (the plan's load, the
        counted reps) as it is.
        """
        values: dict[str, object] = {}
        for name, value, source in (("load_kg", load_kg, load_source), ("reps", reps, reps_source), ("rir", rir, rir_source)):
            if value is None:
                continue
            if source not in tuple(LiftedSource):
                raise ValueError(f"{name} needs a source ({', '.join(LiftedSource)}), not {source!r}")
            values[name] = value
            values[f"{name.removesuffix('_kg')}_source"] = str(source)
        if values:
            with self.conn:
                self.db.table("sets").update(set_id, values)

    def update_set(self, set_id: int, values: JsonObject) -> None:
        """Add late-arriving facts (reps, load, notes, summary) to a set row."""
        encoded = {k: encode(v) for k, v in values.items()}
        with self.conn:
            self.db.table("sets").update(set_id, encoded)

    def rate_set(self, set_id: int, rating: int, rated_at: str | None = None) -> None:
        if not 1 <= rating <= 10:
            raise ValueError(f"an activation rating is 1–10, not {rating}")
        with self.conn:
            self.db.table("sets").update(set_id, {"activation_rating": rating, "rated_at": rated_at or now_iso()})

    def discard_set(self, set_id: int) -> None:
        """Mark an interrupted set as looked at and not wanted; its data stays."""
        with self.conn:
            self.db.table("sets").update(set_id, {"status": SetStatus.DISCARDED})

    def record_reps(self, set_id: int, reps: Iterable[JsonObject]) -> None:
        rows = [{"set_id": set_id, **rep} for rep in reps]
        if rows:
            with self.conn:
                self.db.table("reps").insert_all(rows)

    def recover_interrupted(self) -> list[int]:
        """Sets left ``in_progress`` by a process that died become ``interrupted``.

        Call only while holding the single-instance lock: then no live process
        owns an in-progress set.
        """
        with self.conn:
            ids = [
                int(r[0])
                for r in self.conn.execute("SELECT id FROM sets WHERE status = ?", (SetStatus.IN_PROGRESS,))
            ]
            if ids:
                self.conn.execute(
                    "UPDATE sets SET status = ? WHERE status = ?", (SetStatus.INTERRUPTED, SetStatus.IN_PROGRESS)
                )
        return ids

    def interrupted_sets(self, athlete_id: int | None = None) -> list[SetSummary]:
        """Interrupted sets still waiting for the athlete (``athlete_id``, or anyone) to rate or discard them."""
        if athlete_id is not None:
            return self._summaries(
                "WHERE s.status = ? AND s.activation_rating IS NULL AND s.athlete_id = ?", (SetStatus.INTERRUPTED, athlete_id)
            )
        return self._summaries("WHERE s.status = ? AND s.activation_rating IS NULL", (SetStatus.INTERRUPTED,))

    def get_set(self, set_id: int) -> SetRow:
        return cast(SetRow, dict(self.db.table("sets").get(set_id)))

    def phases_of(self, set_id: int) -> list[PhaseRow]:
        return [cast(PhaseRow, row) for row in self.db.table("phases").rows_where("set_id = ?", [set_id], order_by="idx")]

    def last_rating(self, athlete_id: int, exercise: str, *, before_set: int | None = None) -> int | None:
        row = self.conn.execute(
            "SELECT activation_rating FROM sets WHERE athlete_id = ? AND exercise = ? "
            "AND activation_rating IS NOT NULL AND id != ? ORDER BY started_at DESC, id DESC LIMIT 1",
            (athlete_id, exercise, before_set or -1),
        ).fetchone()
        return int(row[0]) if row else None

    def recent_sets(self, athlete_id: int, limit: int = 5) -> list[SetSummary]:
        return self._summaries(
            "WHERE s.athlete_id = ? AND s.status != 'discarded'", (athlete_id,), limit=limit
        )

    def _summaries(self, where: str, params: tuple[object, ...], limit: int = 50) -> list[SetSummary]:
        rows = self.conn.execute(
            "SELECT s.id, s.exercise, s.status, s.started_at, s.activation_rating, "
            "(SELECT count(*) FROM phases p WHERE p.set_id = s.id), s.peak_pct_mvc, s.mean_pct_mvc "
            f"FROM sets s {where} ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [SetSummary(*row) for row in rows]
