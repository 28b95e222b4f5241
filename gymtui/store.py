"""The only code that speaks SQL: schema, writes, recovery, queries.

SQLite through sqlite-utils, WAL on and ``PRAGMA foreign_keys=ON`` on every
connection (sqlite-utils does not set it). A set is durable phase by phase:
its row is written when it starts (``in_progress``), each phase when it ends,
and raw signal in blocks of about a second, each in its own transaction, so a
killed process loses at most the phase that was running.

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
        if not os.access(parent, os.W_OK):
            raise StoreError(f"cannot write the database {path}: the folder {parent} is not writable")
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
        peak_pct_mvc: float | None = None,
        mean_pct_mvc: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> int:
        """Write one finished phase, in its own transaction."""
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
                        "ended_at": now_iso(),
                        "duration_s": duration_s,
                        "ended_by": ended_by,
                        "peak_pct_mvc": peak_pct_mvc,
                        "mean_pct_mvc": mean_pct_mvc,
                        "metrics": json.dumps(metrics or {}),
                    }
                )
                .last_pk
            )

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
        return self._summaries("WHERE s.status = ?", (SetStatus.INTERRUPTED,))

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
