"""The only code that speaks SQL: schema, writes, recovery, queries.

SQLite through sqlite-utils, WAL on and ``PRAGMA foreign_keys=ON`` on every
connection (sqlite-utils does not set it). A set is durable phase by phase:
its row is written when it starts (``in_progress``), each phase when it ends,
and raw signal in blocks of about a second, each in its own transaction, so a
killed process loses the phase that was running and any write still queued
(the README states the measured bound).

The app calls these methods from one dedicated thread (see
:class:`StoreExecutor`), never from the UI's hot path.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import sqlite_utils

from gymtui.model import Calibration

SCHEMA_VERSION = 1

T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used; the message is one line for the athlete."""


class SetStatus:
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    DISCARDED = "discarded"


def now_iso() -> str:
    """Local time, ISO-8601 with its UTC offset, to the millisecond."""
    return dt.datetime.now().astimezone().isoformat(timespec="milliseconds")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=5.0)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def check_db_path(path: Path) -> None:
    """Fail early with one clear line if ``path`` cannot hold a database."""
    parent = path.parent
    if path.is_dir():
        raise StoreError(f"cannot use {path} as the database: it is a directory")
    if not path.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder {parent}: {exc.strerror or exc}") from None
        try:
            # Creating the file is the only honest test (root ignores permission bits; /proc refuses).
            path.touch(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database {path}: {exc.strerror or exc}") from None
    elif not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"cannot write the database {path}: permission denied")


@dataclass(frozen=True, slots=True)
class SetSummary:
    """A set as the home screen and rating prompt show it."""

    id: int
    exercise: str
    status: str
    started_at: str
    activation_rating: int | None
    phases_done: int
    peak_pct_mvc: float | None
    mean_pct_mvc: float | None


class Store:
    """A gymtui database file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        check_db_path(self.path)
        try:
            self.conn = _connect(self.path)
            self.db = sqlite_utils.Database(self.conn)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable gymtui database ({exc})") from None
        except OSError as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    # -- schema ------------------------------------------------------------
    def _ensure_schema(self) -> None:
        db = self.db
        # Reading the schema is the first thing that fails on a file that is not SQLite.
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        with self.conn:
            db["athletes"].create(
                {"id": int, "name": str, "created_at": str, "baseline_rhr_bpm": float},
                pk="id",
                not_null={"name", "created_at"},
                if_not_exists=True,
            )
            db["sessions"].create(
                {
                    "id": int,
                    "athlete_id": int,
                    "started_at": str,
                    "ended_at": str,
                    "template": str,
                    "notes": str,
                },
                pk="id",
                foreign_keys=[("athlete_id", "athletes", "id")],
                not_null={"athlete_id", "started_at"},
                if_not_exists=True,
            )
            db["calibrations"].create(
                {
                    "id": int,
                    "athlete_id": int,
                    "kind": str,
                    "taken_at": str,
                    "source": str,
                    "channels": str,
                    "values_json": str,
                    "window_s": float,
                    "limb": str,
                    "lop_mmhg": float,
                },
                pk="id",
                foreign_keys=[("athlete_id", "athletes", "id")],
                not_null={"athlete_id", "kind", "taken_at"},
                if_not_exists=True,
            )
            if not db["sets"].exists():
                db["sets"].create(
                    {
                        "id": int,
                        "session_id": int,
                        "athlete_id": int,
                        "exercise": str,
                        "protocol": str,
                        "load_kg": float,
                        "reps": int,
                        "activation_rating": int,
                        "status": str,
                        "started_at": str,
                        "ended_at": str,
                        "rated_at": str,
                        "peak_pct_mvc": float,
                        "mean_pct_mvc": float,
                        "target_share": float,
                        "cci_pct": float,
                        "time_above_target_s": float,
                        "perfect_reps": int,
                        "mf_slope_hz_per_s": float,
                        "quality_flags": str,
                        "channels": str,
                        "pipeline": str,
                        "calibration_id": int,
                        "notes": str,
                    },
                    pk="id",
                    foreign_keys=[
                        ("session_id", "sessions", "id"),
                        ("athlete_id", "athletes", "id"),
                        ("calibration_id", "calibrations", "id"),
                    ],
                    not_null={"athlete_id", "exercise", "status", "started_at"},
                )
            db["phases"].create(
                {
                    "id": int,
                    "set_id": int,
                    "idx": int,
                    "kind": str,
                    "name": str,
                    "planned_s": float,
                    "started_at": str,
                    "ended_at": str,
                    "duration_s": float,
                    "ended_by": str,
                    "peak_pct_mvc": float,
                    "mean_pct_mvc": float,
                    "metrics": str,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id")],
                not_null={"set_id", "idx", "kind", "started_at"},
                if_not_exists=True,
            )
            db["reps"].create(
                {
                    "id": int,
                    "set_id": int,
                    "idx": int,
                    "start_s": float,
                    "end_s": float,
                    "peak_pct_mvc": float,
                    "mean_pct_mvc": float,
                    "target_share": float,
                    "perfect": int,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id")],
                not_null={"set_id", "idx"},
                if_not_exists=True,
            )
            db["signal_blocks"].create(
                {
                    "id": int,
                    "set_id": int,
                    "seq": int,
                    "t0_s": float,
                    "rate_hz": float,
                    "dtype": str,
                    "n_samples": int,
                    "n_channels": int,
                    "lost_samples": int,
                    "data": bytes,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id")],
                not_null={"set_id", "seq", "rate_hz", "dtype", "n_samples", "n_channels", "data"},
                if_not_exists=True,
            )
            db["cuff_events"].create(
                {
                    "id": int,
                    "set_id": int,
                    "session_id": int,
                    "at": str,
                    "kind": str,
                    "pressure_mmhg": float,
                    "target_mmhg": float,
                    "reason": str,
                },
                pk="id",
                foreign_keys=[("set_id", "sets", "id"), ("session_id", "sessions", "id")],
                not_null={"at", "kind"},
                if_not_exists=True,
            )
            for table, column in [
                ("sessions", "athlete_id"),
                ("sets", "session_id"),
                ("sets", "athlete_id"),
                ("sets", "calibration_id"),
                ("calibrations", "athlete_id"),
                ("phases", "set_id"),
                ("reps", "set_id"),
                ("signal_blocks", "set_id"),
                ("cuff_events", "set_id"),
                ("cuff_events", "session_id"),
            ]:
                db[table].create_index([column], if_not_exists=True)
            db["sets"].create_index(["exercise", "started_at"], if_not_exists=True)
            db["sets"].create_index(["status"], if_not_exists=True)
            # -- programs (issue 7): plans, check-ins, suggestions, flags ----------
            # New tables and new nullable columns only; see _ensure_programs_schema.
            self._ensure_programs_schema()
            # -- end programs --------------------------------------------------
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- athletes and sessions ---------------------------------------------
    def ensure_athlete(self, name: str = "Athlete") -> int:
        row = self.conn.execute("SELECT id FROM athletes WHERE name = ? ORDER BY id LIMIT 1", (name,)).fetchone()
        if row:
            return int(row[0])
        with self.conn:
            return int(self.db["athletes"].insert({"name": name, "created_at": now_iso()}).last_pk)

    def start_session(self, athlete_id: int, template: str = "") -> int:
        with self.conn:
            return int(
                self.db["sessions"]
                .insert({"athlete_id": athlete_id, "started_at": now_iso(), "template": template})
                .last_pk
            )

    def end_session(self, session_id: int) -> None:
        with self.conn:
            self.db["sessions"].update(session_id, {"ended_at": now_iso()})

    # -- sets --------------------------------------------------------------
    def start_set(
        self,
        athlete_id: int,
        exercise: str,
        protocol: str,
        *,
        session_id: int | None = None,
        load_kg: float | None = None,
        channels: Sequence[dict[str, str]] = (),
        pipeline: dict[str, Any] | None = None,
        calibration_id: int | None = None,
    ) -> int:
        """Write the set row at the moment it starts, as ``in_progress``."""
        with self.conn:
            return int(
                self.db["sets"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "session_id": session_id,
                        "exercise": exercise,
                        "protocol": protocol,
                        "load_kg": load_kg,
                        "status": SetStatus.IN_PROGRESS,
                        "started_at": now_iso(),
                        "channels": json.dumps(list(channels)),
                        "pipeline": json.dumps(pipeline or {}),
                        "calibration_id": calibration_id,
                    }
                )
                .last_pk
            )

    def set_calibration_for_set(self, set_id: int, calibration_id: int) -> None:
        with self.conn:
            self.db["sets"].update(set_id, {"calibration_id": calibration_id})

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
        metrics: dict[str, Any] | None = None,
    ) -> int:
        """Write one finished phase, in its own transaction.

        The app writes it the moment the phase ends, before its EMG
        statistics exist (they follow through :meth:`update_phase_stats`), so
        a kill right after the end still finds the phase on disk.
        """
        with self.conn:
            return int(
                self.db["phases"]
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
                        "metrics": json.dumps(metrics or {}),
                    }
                )
                .last_pk
            )

    def update_phase_stats(
        self,
        set_id: int,
        idx: int,
        *,
        peak_pct_mvc: float | None,
        mean_pct_mvc: float | None,
        metrics: dict[str, Any],
    ) -> None:
        """Add a phase's EMG statistics to the row its end wrote (the set's phase ``idx``).

        Raises :class:`StoreError` when there is no such row: the statistics
        would otherwise vanish without a word.
        """
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE phases SET peak_pct_mvc = ?, mean_pct_mvc = ?, metrics = ? WHERE set_id = ? AND idx = ?",
                (peak_pct_mvc, mean_pct_mvc, json.dumps(metrics), set_id, idx),
            )
        if cursor.rowcount == 0:
            raise StoreError(f"set {set_id} has no phase {idx} to add its statistics to")

    def finish_set(self, set_id: int, status: str, summary: dict[str, Any] | None = None) -> None:
        """Close a set as ``completed`` or ``aborted`` with its EMG summary."""
        if status not in (SetStatus.COMPLETED, SetStatus.ABORTED):
            raise ValueError(f"a set finishes as completed or aborted, not {status!r}")
        values: dict[str, Any] = {"status": status, "ended_at": now_iso()}
        for key, value in (summary or {}).items():
            values[key] = json.dumps(value) if isinstance(value, (list, dict, tuple)) else value
        with self.conn:
            self.db["sets"].update(set_id, values)

    def update_set(self, set_id: int, values: dict[str, Any]) -> None:
        """Add late-arriving facts (reps, load, notes, summary) to a set row."""
        encoded = {k: json.dumps(v) if isinstance(v, (list, dict, tuple)) else v for k, v in values.items()}
        with self.conn:
            self.db["sets"].update(set_id, encoded)

    def rate_set(self, set_id: int, rating: int) -> None:
        if not 1 <= rating <= 10:
            raise ValueError(f"an activation rating is 1–10, not {rating}")
        with self.conn:
            self.db["sets"].update(set_id, {"activation_rating": rating, "rated_at": now_iso()})

    def discard_set(self, set_id: int) -> None:
        """Mark an interrupted set as looked at and not wanted; its data stays."""
        with self.conn:
            self.db["sets"].update(set_id, {"status": SetStatus.DISCARDED})

    def record_reps(self, set_id: int, reps: Iterable[dict[str, Any]]) -> None:
        rows = [{"set_id": set_id, **rep} for rep in reps]
        if rows:
            with self.conn:
                self.db["reps"].insert_all(rows)

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

    def interrupted_sets(self) -> list[SetSummary]:
        """Interrupted sets still waiting for the athlete to rate or discard them."""
        return self._summaries("WHERE s.status = ? AND s.activation_rating IS NULL", (SetStatus.INTERRUPTED,))

    def get_set(self, set_id: int) -> dict[str, Any]:
        return dict(self.db["sets"].get(set_id))

    def phases_of(self, set_id: int) -> list[dict[str, Any]]:
        return list(self.db["phases"].rows_where("set_id = ?", [set_id], order_by="idx"))

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

    def _summaries(self, where: str, params: tuple[Any, ...], limit: int = 50) -> list[SetSummary]:
        rows = self.conn.execute(
            "SELECT s.id, s.exercise, s.status, s.started_at, s.activation_rating, "
            "(SELECT count(*) FROM phases p WHERE p.set_id = s.id), s.peak_pct_mvc, s.mean_pct_mvc "
            f"FROM sets s {where} ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [SetSummary(*row) for row in rows]

    # -- calibrations --------------------------------------------------------
    def save_mvc(self, athlete_id: int, calibration: Calibration) -> int:
        with self.conn:
            return int(
                self.db["calibrations"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "kind": "mvc",
                        "taken_at": now_iso(),
                        "source": calibration.source,
                        "channels": json.dumps(list(calibration.channels)),
                        "values_json": json.dumps([float(v) for v in calibration.mvc_uv]),
                        "window_s": calibration.window_s,
                    }
                )
                .last_pk
            )

    def latest_mvc(self, athlete_id: int, source: str, channels: Sequence[str]) -> tuple[int, Calibration] | None:
        """The newest MVC taken with this source and these channel labels."""
        row = self.conn.execute(
            "SELECT id, values_json, window_s, source, channels FROM calibrations "
            "WHERE athlete_id = ? AND kind = 'mvc' AND source = ? AND channels = ? "
            "ORDER BY taken_at DESC, id DESC LIMIT 1",
            (athlete_id, source, json.dumps(list(channels))),
        ).fetchone()
        if not row:
            return None
        return int(row[0]), Calibration(
            tuple(json.loads(row[1])), float(row[2]), row[3], tuple(json.loads(row[4]))
        )

    # -- raw signal ------------------------------------------------------------
    def append_signal(self, set_id: int, seq: int, t0_s: float, rate_hz: float, samples: np.ndarray, lost: int = 0) -> None:
        """Store a chunk of raw signal (float32, samples × channels) with its own description."""
        data = np.ascontiguousarray(samples, dtype=np.float32)
        with self.conn:
            self.db["signal_blocks"].insert(
                {
                    "set_id": set_id,
                    "seq": seq,
                    "t0_s": t0_s,
                    "rate_hz": rate_hz,
                    "dtype": "<f4",
                    "n_samples": int(data.shape[0]),
                    "n_channels": int(data.shape[1]),
                    "lost_samples": lost,
                    "data": data.astype("<f4").tobytes(),
                }
            )

    def signal_of(self, set_id: int) -> tuple[np.ndarray, float]:
        """The whole raw signal of a set, concatenated in order, and its rate."""
        blocks = []
        rate_hz = 0.0
        for row in self.conn.execute(
            "SELECT dtype, n_samples, n_channels, data, rate_hz FROM signal_blocks WHERE set_id = ? ORDER BY seq",
            (set_id,),
        ):
            dtype, n, ch, data, rate_hz = row
            blocks.append(np.frombuffer(data, dtype=np.dtype(dtype)).reshape(n, ch))
        if not blocks:
            return np.zeros((0, 0), dtype=np.float32), rate_hz
        return np.concatenate(blocks).astype(np.float32), float(rate_hz)

    # -- cuff ------------------------------------------------------------------
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
            return int(
                self.db["cuff_events"]
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
                .last_pk
            )

    # == programs (issue 7): plans, check-ins, autoregulation, history, export ==
    # Appended at the end of the class on purpose: schema additions are new
    # tables, new nullable columns and views, created if missing.

    def _ensure_programs_schema(self) -> None:
        db = self.db
        db["plans"].create(
            {
                "id": int,
                "athlete_id": int,
                "program": str,
                "started_on": str,
                "maintenance_every_weeks": int,
                "created_at": str,
                "ended_on": str,
            },
            pk="id",
            foreign_keys=[("athlete_id", "athletes", "id")],
            not_null={"athlete_id", "program", "started_on", "created_at"},
            if_not_exists=True,
        )
        db["checkins"].create(
            {
                "id": int,
                "athlete_id": int,
                "session_id": int,
                "taken_at": str,
                "sleep_h": float,
                "resting_hr_bpm": float,
                "baseline_rhr_bpm": float,
                "coordination": int,
                "mood": int,
                "advice": str,
                "reasons": str,
                "choice": str,
            },
            pk="id",
            foreign_keys=[("athlete_id", "athletes", "id"), ("session_id", "sessions", "id")],
            not_null={"athlete_id", "taken_at", "advice"},
            if_not_exists=True,
        )
        db["suggestions"].create(
            {
                "id": int,
                "athlete_id": int,
                "set_id": int,
                "next_set_id": int,
                "kind": str,
                "reason": str,
                "from_kg": float,
                "to_kg": float,
                "created_at": str,
                "taken": int,
                "answered_at": str,
            },
            pk="id",
            foreign_keys=[
                ("athlete_id", "athletes", "id"),
                ("set_id", "sets", "id"),
                ("next_set_id", "sets", "id"),
            ],
            not_null={"athlete_id", "set_id", "kind", "created_at"},
            if_not_exists=True,
        )
        db["athlete_flags"].create(
            {"athlete_id": int, "key": str, "value": str, "set_at": str},
            pk=("athlete_id", "key"),
            foreign_keys=[("athlete_id", "athletes", "id")],
            not_null={"athlete_id", "key", "set_at"},
            if_not_exists=True,
        )
        new_columns = {
            "sets": [("workflow_phase", str, None), ("pct_1rm", float, None), ("set_number", int, None)],
            "sessions": [("plan_id", int, "plans"), ("focus", str, None), ("kind", str, None)],
        }
        for table, columns in new_columns.items():
            have = set(db[table].columns_dict)
            for name, col_type, fk in columns:
                if name not in have:
                    db[table].add_column(name, col_type, fk=fk, fk_col="id" if fk else None)
        for table, column in [
            ("plans", "athlete_id"),
            ("checkins", "athlete_id"),
            ("checkins", "session_id"),
            ("suggestions", "athlete_id"),
            ("suggestions", "set_id"),
            ("suggestions", "next_set_id"),
            ("sessions", "plan_id"),
        ]:
            db[table].create_index([column], if_not_exists=True)
        db.create_view(
            "set_log",
            """SELECT s.id AS set_id, s.athlete_id, a.name AS athlete, s.session_id,
       substr(s.started_at, 1, 10) AS day, strftime('%Y-W%W', substr(s.started_at, 1, 10)) AS week,
       s.exercise, s.workflow_phase, s.load_kg, s.pct_1rm, s.reps, s.activation_rating,
       s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, s.perfect_reps, s.status
FROM sets s JOIN athletes a ON a.id = s.athlete_id
WHERE s.status != 'discarded'""",
            replace=True,
        )
        db.create_view(
            "activation_by_week",
            """SELECT athlete_id, exercise, week, count(*) AS sets,
       round(avg(activation_rating), 2) AS mean_rating,
       round(avg(peak_pct_mvc), 1) AS mean_peak_pct_mvc,
       round(avg(target_share), 3) AS mean_target_share,
       sum(perfect_reps) AS perfect_reps, max(load_kg) AS top_load_kg
FROM set_log WHERE status = 'completed' GROUP BY athlete_id, exercise, week""",
            replace=True,
        )

    # -- flags (the disclaimer shown once, and the like) -----------------------
    def get_flag(self, athlete_id: int, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM athlete_flags WHERE athlete_id = ? AND key = ?", (athlete_id, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_flag(self, athlete_id: int, key: str, value: str = "1") -> None:
        with self.conn:
            self.db["athlete_flags"].upsert(
                {"athlete_id": athlete_id, "key": key, "value": value, "set_at": now_iso()},
                pk=("athlete_id", "key"),
            )

    def baseline_rhr(self, athlete_id: int) -> float | None:
        row = self.conn.execute("SELECT baseline_rhr_bpm FROM athletes WHERE id = ?", (athlete_id,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def set_baseline_rhr(self, athlete_id: int, bpm: float) -> None:
        with self.conn:
            self.db["athletes"].update(athlete_id, {"baseline_rhr_bpm": float(bpm)})

    # -- plans and sessions ------------------------------------------------------
    def start_plan(self, athlete_id: int, program: str, started_on: str, maintenance_every_weeks: int = 1) -> int:
        with self.conn:
            self.conn.execute(
                "UPDATE plans SET ended_on = ? WHERE athlete_id = ? AND ended_on IS NULL", (started_on, athlete_id)
            )
            return int(
                self.db["plans"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "program": program,
                        "started_on": started_on,
                        "maintenance_every_weeks": maintenance_every_weeks,
                        "created_at": now_iso(),
                    }
                )
                .last_pk
            )

    def current_plan(self, athlete_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id FROM plans WHERE athlete_id = ? AND ended_on IS NULL ORDER BY id DESC LIMIT 1", (athlete_id,)
        ).fetchone()
        return None if row is None else dict(self.db["plans"].get(row[0]))

    def tag_session(self, session_id: int, *, plan_id: int | None, focus: str, kind: str) -> None:
        with self.conn:
            self.db["sessions"].update(session_id, {"plan_id": plan_id, "focus": focus, "kind": kind})

    def session_days(self, athlete_id: int) -> list[dict[str, Any]]:
        """Sessions with at least one completed set, oldest first: what the plan counts."""
        rows = self.conn.execute(
            "SELECT se.id, substr(se.started_at, 1, 10), se.kind, se.focus, se.template "
            "FROM sessions se WHERE se.athlete_id = ? AND EXISTS "
            "(SELECT 1 FROM sets s WHERE s.session_id = se.id AND s.status = 'completed') "
            "ORDER BY se.started_at, se.id",
            (athlete_id,),
        ).fetchall()
        keys = ("id", "day", "kind", "focus", "template")
        return [dict(zip(keys, r)) for r in rows]

    # -- check-ins -----------------------------------------------------------------
    def record_checkin(self, athlete_id: int, values: dict[str, Any], session_id: int | None = None) -> int:
        row = {k: json.dumps(v) if isinstance(v, (list, tuple, dict)) else v for k, v in values.items()}
        with self.conn:
            return int(
                self.db["checkins"]
                .insert({"athlete_id": athlete_id, "session_id": session_id, "taken_at": now_iso(), **row})
                .last_pk
            )

    def checkins_since(self, athlete_id: int, day: str) -> list[dict[str, Any]]:
        return list(
            self.db["checkins"].rows_where(
                "athlete_id = ? AND substr(taken_at, 1, 10) >= ?", [athlete_id, day], order_by="taken_at, id"
            )
        )

    # -- autoregulation suggestions ---------------------------------------------
    def save_suggestion(self, athlete_id: int, set_id: int, kind: str, reason: str, from_kg: float | None, to_kg: float | None) -> int:
        with self.conn:
            return int(
                self.db["suggestions"]
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
                .last_pk
            )

    def answer_suggestion(self, suggestion_id: int, taken: bool, next_set_id: int | None = None) -> None:
        with self.conn:
            self.db["suggestions"].update(
                suggestion_id, {"taken": int(taken), "next_set_id": next_set_id, "answered_at": now_iso()}
            )

    def get_suggestion(self, suggestion_id: int) -> dict[str, Any]:
        return dict(self.db["suggestions"].get(suggestion_id))

    # -- history -------------------------------------------------------------------
    def loaded_sets(self, athlete_id: int, exercise: str) -> list[dict[str, Any]]:
        """Completed sets of an exercise with load and reps, newest first (for the 1RM)."""
        return list(
            self.db["sets"].rows_where(
                "athlete_id = ? AND exercise = ? AND status = 'completed' AND load_kg IS NOT NULL AND reps IS NOT NULL",
                [athlete_id, exercise],
                order_by="started_at DESC, id DESC",
                select="id, started_at, load_kg, reps, activation_rating, workflow_phase",
            )
        )

    def last_session_sets(self, athlete_id: int, exercise: str, before: str | None = None) -> list[dict[str, Any]]:
        """The completed sets of this exercise on the last day it was trained, in order."""
        row = self.conn.execute(
            "SELECT substr(started_at, 1, 10) FROM sets WHERE athlete_id = ? AND exercise = ? "
            "AND status = 'completed' AND (? IS NULL OR substr(started_at, 1, 10) < ?) "
            "ORDER BY started_at DESC LIMIT 1",
            (athlete_id, exercise, before, before),
        ).fetchone()
        if row is None:
            return []
        return list(
            self.db["sets"].rows_where(
                "athlete_id = ? AND exercise = ? AND status = 'completed' AND substr(started_at, 1, 10) = ?",
                [athlete_id, exercise, row[0]],
                order_by="started_at, id",
                select="id, started_at, load_kg, reps, activation_rating, target_share, peak_pct_mvc",
            )
        )

    def exercises_logged(self, athlete_id: int) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT exercise FROM sets WHERE athlete_id = ? AND status = 'completed' "
                "GROUP BY exercise ORDER BY max(started_at) DESC",
                (athlete_id,),
            )
        ]

    def exercise_weeks(self, athlete_id: int, exercise: str) -> list[dict[str, Any]]:
        """Per week (Monday's date): mean rating, mean peak %MVC, perfect reps, top load."""
        rows = self.conn.execute(
            "SELECT date(substr(started_at, 1, 10), '-' || ((strftime('%w', substr(started_at, 1, 10)) + 6) % 7) || ' days') AS monday, "
            "count(*), avg(activation_rating), avg(peak_pct_mvc), avg(target_share), "
            "sum(perfect_reps), max(perfect_reps), max(load_kg) "
            "FROM sets WHERE athlete_id = ? AND exercise = ? AND status = 'completed' "
            "GROUP BY monday ORDER BY monday",
            (athlete_id, exercise),
        ).fetchall()
        keys = ("week_of", "sets", "mean_rating", "mean_peak_pct_mvc", "mean_target_share", "perfect_reps", "best_perfect_reps", "top_load_kg")
        return [dict(zip(keys, r)) for r in rows]

    def session_list(self, athlete_id: int, limit: int = 30) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT se.id, se.started_at, se.template, se.kind, se.focus, "
            "count(s.id), sum(s.status = 'completed'), avg(s.activation_rating), "
            "group_concat(DISTINCT s.exercise) "
            "FROM sessions se LEFT JOIN sets s ON s.session_id = se.id "
            "WHERE se.athlete_id = ? GROUP BY se.id ORDER BY se.started_at DESC, se.id DESC LIMIT ?",
            (athlete_id, limit),
        ).fetchall()
        keys = ("id", "started_at", "template", "kind", "focus", "sets", "completed", "mean_rating", "exercises")
        return [dict(zip(keys, r)) for r in rows]

    def set_detail(self, set_id: int) -> dict[str, Any]:
        """A set with its phases and reps (the envelope comes from :meth:`signal_of`)."""
        detail = self.get_set(set_id)
        detail["phases"] = self.phases_of(set_id)
        detail["rep_rows"] = list(self.db["reps"].rows_where("set_id = ?", [set_id], order_by="idx"))
        return detail

    def export_rows(self, athlete_id: int | None = None) -> list[dict[str, Any]]:
        """One row per set (not discarded), oldest first, with its EMG summary."""
        where = "WHERE s.status != 'discarded'" + (" AND s.athlete_id = ?" if athlete_id is not None else "")
        params: tuple[Any, ...] = (athlete_id,) if athlete_id is not None else ()
        cursor = self.conn.execute(
            "SELECT s.id AS set_id, a.name AS athlete, s.session_id, se.template AS session_template, "
            "s.started_at, s.ended_at, s.exercise, s.workflow_phase, s.set_number, s.load_kg, s.pct_1rm, s.reps, "
            "s.activation_rating, s.status, s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, "
            "s.time_above_target_s, s.perfect_reps, s.mf_slope_hz_per_s, "
            "(SELECT count(*) FROM phases p WHERE p.set_id = s.id) AS phases "
            f"FROM sets s JOIN athletes a ON a.id = s.athlete_id LEFT JOIN sessions se ON se.id = s.session_id {where} "
            "ORDER BY s.started_at, s.id",
            params,
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def session_sets(self, session_id: int) -> list[dict[str, Any]]:
        return list(
            self.db["sets"].rows_where(
                "session_id = ? AND status != 'discarded'", [session_id], order_by="started_at, id",
                select="id AS set_id, exercise, load_kg, reps, activation_rating, status",
            )
        )

    def foreign_key_problems(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()]

    # -- BFR: limb occlusion pressure (LOP) and occlusion time ---------------------
    def save_lop(self, athlete_id: int, limb: str, lop_mmhg: float, *, source: str = "manual") -> int:
        """Store a limb's occlusion pressure (``calibrations`` row, kind ``lop``), dated now.

        ``source`` says how it was measured: ``manual`` (typed from a Doppler
        or pulse oximeter reading, as clinics do) or the cuff's name.
        """
        if limb not in ("arm", "leg"):
            raise ValueError(f"limb is arm or leg, not {limb!r}")
        with self.conn:
            return int(
                self.db["calibrations"]
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "kind": "lop",
                        "taken_at": now_iso(),
                        "source": source,
                        "limb": limb,
                        "lop_mmhg": float(lop_mmhg),
                    }
                )
                .last_pk
            )

    def latest_lop(self, athlete_id: int, limb: str) -> dict[str, Any] | None:
        """The newest LOP for this limb: ``{id, limb, lop_mmhg, taken_at, source, age_days}``."""
        row = self.conn.execute(
            "SELECT id, limb, lop_mmhg, taken_at, source FROM calibrations "
            "WHERE athlete_id = ? AND kind = 'lop' AND limb = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
            (athlete_id, limb),
        ).fetchone()
        if not row:
            return None
        taken = dt.datetime.fromisoformat(row[3])
        age_days = (dt.datetime.now().astimezone() - taken).total_seconds() / 86400.0
        return {
            "id": int(row[0]),
            "limb": row[1],
            "lop_mmhg": float(row[2]),
            "taken_at": row[3],
            "source": row[4],
            "age_days": age_days,
        }

    def cuff_occlusion_s(self, *, session_id: int | None = None, since: str | None = None) -> float:
        """Seconds the cuff was commanded up, from ``cuff_events`` (one session, or since a time).

        An inflation opens at an ``inflate`` row and closes at the next
        ``deflate``; one left open (a killed process) counts up to the last
        cuff event. The app passes this to a new supervisor
        (``prior_session_s``) so the session cap survives a restart: e.g.
        ``since`` two hours ago.
        """
        where, params = [], []
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.conn.execute(f"SELECT at, kind FROM cuff_events {clause} ORDER BY at, id", params).fetchall()
        total = 0.0
        opened: dt.datetime | None = None
        last: dt.datetime | None = None
        for at, kind in rows:
            when = dt.datetime.fromisoformat(at)
            last = when
            if kind in ("inflate", "target") and opened is None:
                opened = when
            elif kind == "deflate" and opened is not None:
                total += (when - opened).total_seconds()
                opened = None
        if opened is not None and last is not None:
            total += (last - opened).total_seconds()
        return total


class StoreExecutor:
    """Runs every store call on one thread, in order, off the UI's hot path.

    ``submit`` returns a future; the app awaits it with
    ``asyncio.wrap_future`` where it needs the answer (a new set's id), and
    fires and forgets where it does not (a finished phase).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="gymtui-store")

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        return self._pool.submit(fn, *args, **kwargs)

    def drain(self, timeout_s: float = 5.0) -> None:
        """Wait until every write submitted so far is on disk."""
        self._pool.submit(lambda: None).result(timeout=timeout_s)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
