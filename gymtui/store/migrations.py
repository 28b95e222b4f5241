"""The schema as numbered steps on ``PRAGMA user_version``; opening a file runs the steps it lacks.

A database at version *n* has had steps 1…*n* run on it; :func:`migrate`
runs the rest in the one ``BEGIN IMMEDIATE`` transaction that opens the
file, so a file is at one version or the next, never between. A new step is
a new function appended to :data:`MIGRATIONS`, never an edit of an old one:
files in the field are at every version that was ever released.

Steps 1 and 2 create only what is missing. gymtui wrote ``user_version=1``
before the steps were numbered, both on files with the core tables alone
(the first schema) and on files that already had the programs tables, so a
file at version 1 may or may not have step 2's tables. Every later step may
rely on exactly the steps before it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from gymtui.store import dbfile
from gymtui.store.connection import GymConnection
from gymtui.store.sqlite_utils_load import database

Migration = Callable[[sqlite_utils.Database], None]


def _v1_core(db: sqlite_utils.Database) -> None:
    """The first schema: athletes, sessions, calibrations, sets, phases, reps, raw signal, cuff events."""
    db.table("athletes").create(
        {"id": int, "name": str, "created_at": str, "baseline_rhr_bpm": float},
        pk="id",
        not_null={"name", "created_at"},
        if_not_exists=True,
    )
    db.table("sessions").create(
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
    db.table("calibrations").create(
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
    if not db.table("sets").exists():
        db.table("sets").create(
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
    db.table("phases").create(
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
    db.table("reps").create(
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
    db.table("signal_blocks").create(
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
    db.table("cuff_events").create(
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
        db.table(table).create_index([column], if_not_exists=True)
    db.table("sets").create_index(["exercise", "started_at"], if_not_exists=True)
    db.table("sets").create_index(["status"], if_not_exists=True)


def _v2_programs(db: sqlite_utils.Database) -> None:
    """Programs: plans, check-ins, load suggestions, per-athlete flags; plan columns on sets and sessions; two views."""
    db.table("plans").create(
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
    db.table("checkins").create(
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
    db.table("suggestions").create(
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
    db.table("athlete_flags").create(
        {"athlete_id": int, "key": str, "value": str, "set_at": str},
        pk=("athlete_id", "key"),
        foreign_keys=[("athlete_id", "athletes", "id")],
        not_null={"athlete_id", "key", "set_at"},
        if_not_exists=True,
    )
    new_columns: dict[str, list[tuple[str, type, str | None]]] = {
        "sets": [("workflow_phase", str, None), ("pct_1rm", float, None), ("set_number", int, None)],
        "sessions": [("plan_id", int, "plans"), ("focus", str, None), ("kind", str, None)],
    }
    for table, columns in new_columns.items():
        have = set(db.table(table).columns_dict)
        for name, col_type, fk in columns:
            if name not in have:
                db.table(table).add_column(name, col_type, fk=fk, fk_col="id" if fk else None)
    for table, column in [
        ("plans", "athlete_id"),
        ("checkins", "athlete_id"),
        ("checkins", "session_id"),
        ("suggestions", "athlete_id"),
        ("suggestions", "set_id"),
        ("suggestions", "next_set_id"),
        ("sessions", "plan_id"),
    ]:
        db.table(table).create_index([column], if_not_exists=True)
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


def _v3_planned_sets(db: sqlite_utils.Database) -> None:
    """A session is a sequence: its planned sets in order, each planned, done or skipped; extra sessions marked.

    Opening a day's session writes its planned sets here, so a restart the
    same day resumes at the next undone one and a skip keeps its reason.
    ``sessions.extra`` marks a session the athlete chose to train on a rest day.
    """
    db.table("planned_sets").create(
        {
            "id": int,
            "session_id": int,
            "position": int,
            "exercise": str,
            "exercise_key": str,
            "workflow_phase": str,
            "set_number": int,
            "status": str,
            "skip_reason": str,
            "set_id": int,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id"), ("set_id", "sets", "id")],
        not_null={"session_id", "position", "exercise", "set_number", "status"},
        if_not_exists=True,
    )
    db.table("planned_sets").create_index(["session_id", "position"], unique=True, if_not_exists=True)
    db.table("planned_sets").create_index(["set_id"], if_not_exists=True)
    if "extra" not in db.table("sessions").columns_dict:
        db.table("sessions").add_column("extra", int)


def _v4_lifted(db: sqlite_utils.Database) -> None:
    """What was lifted: reps in reserve, and where each set's load, reps and RIR came from.

    The sources are ``entered`` (typed by the athlete), ``emg`` (counted by
    the sensor) or ``planned``. Rows written before this step held the plan's
    load and reps, so theirs are marked ``planned``. ``set_log`` shows them.
    """
    have = set(db.table("sets").columns_dict)
    for name, col_type in [("rir", int), ("load_source", str), ("reps_source", str), ("rir_source", str)]:
        if name not in have:
            db.table("sets").add_column(name, col_type)
    db.execute("UPDATE sets SET load_source = 'planned' WHERE load_kg IS NOT NULL AND load_source IS NULL")
    db.execute("UPDATE sets SET reps_source = 'planned' WHERE reps IS NOT NULL AND reps_source IS NULL")
    db.create_view(
        "set_log",
        """SELECT s.id AS set_id, s.athlete_id, a.name AS athlete, s.session_id,
       substr(s.started_at, 1, 10) AS day, strftime('%Y-W%W', substr(s.started_at, 1, 10)) AS week,
       s.exercise, s.workflow_phase, s.load_kg, s.pct_1rm, s.reps, s.activation_rating,
       s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, s.perfect_reps, s.status,
       s.rir, s.load_source, s.reps_source, s.rir_source
FROM sets s JOIN athletes a ON a.id = s.athlete_id
WHERE s.status != 'discarded'""",
        replace=True,
    )


def _v5_imported(db: sqlite_utils.Database) -> None:
    """Sets brought in from other apps: each set's type and source, what was imported, and names the library lacks.

    ``sets.set_type`` is ``normal``, ``warmup``, ``failure`` or ``dropset``
    (warm-ups never feed the e1RM); ``sets.source`` is ``app`` for a set
    lifted here, or the app it was imported from (``strong``, ``hevy``).
    ``import_fingerprints`` holds one hash per imported set and athlete, so the same file
    imported again adds nothing; ``imported_exercises`` names the exercises an
    import met that the library has no name or alias for (their sets carry
    that name, as the app's own sets carry a library name).
    """
    have = set(db.table("sets").columns_dict)
    if "set_type" not in have:
        db.execute("ALTER TABLE sets ADD COLUMN set_type TEXT NOT NULL DEFAULT 'normal'")
    if "source" not in have:
        db.execute("ALTER TABLE sets ADD COLUMN source TEXT NOT NULL DEFAULT 'app'")
    db.table("import_fingerprints").create(
        {"fingerprint": str, "athlete_id": int, "source": str, "set_id": int, "imported_at": str},
        pk=("athlete_id", "fingerprint"),
        foreign_keys=[("athlete_id", "athletes", "id"), ("set_id", "sets", "id")],
        not_null={"athlete_id", "source", "imported_at"},
        if_not_exists=True,
    )
    db.table("imported_exercises").create(
        {"id": int, "name": str, "source": str, "created_at": str},
        pk="id",
        not_null={"name", "source", "created_at"},
        if_not_exists=True,
    )
    db.table("imported_exercises").create_index(["name"], unique=True, if_not_exists=True)
    db.table("import_fingerprints").create_index(["set_id"], if_not_exists=True)
    db.create_view(
        "set_log",
        """SELECT s.id AS set_id, s.athlete_id, a.name AS athlete, s.session_id,
       substr(s.started_at, 1, 10) AS day, strftime('%Y-W%W', substr(s.started_at, 1, 10)) AS week,
       s.exercise, s.workflow_phase, s.load_kg, s.pct_1rm, s.reps, s.activation_rating,
       s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, s.perfect_reps, s.status,
       s.rir, s.load_source, s.reps_source, s.rir_source, s.set_type, s.source
FROM sets s JOIN athletes a ON a.id = s.athlete_id
WHERE s.status != 'discarded'""",
        replace=True,
    )


def _v6_biofeedback(db: sqlite_utils.Database) -> None:
    """Live biofeedback: every cue shown during a set, each rep's verdict and rise time, the set's feedback mode.

    ``cues`` holds one row per cue as it fired: ``t_s`` seconds into the set,
    ``kind`` (``compensation`` or ``co_contraction``), the offending
    ``channel`` (0-based) and its ``muscle``, the ``value`` that fired it (a
    share 0–1 for a share cue, else %MVC), the ``rep`` it fired in and the
    ``text`` shown. ``reps.reason`` says why a rep was not perfect ("" when
    it was) and ``reps.rise_ms`` is its rate-of-rise time (onset to 90 % of
    its peak). ``sets.feedback`` is what the athlete saw: ``live`` (bars and
    cues), ``cues`` (cues only) or ``retention`` (nothing until the set
    ended); ``sets.time_in_zone_s`` the time the target spent in its phase's
    zone; ``sets.cue_count`` how many cues fired.
    """
    db.table("cues").create(
        {
            "id": int,
            "set_id": int,
            "t_s": float,
            "kind": str,
            "channel": int,
            "muscle": str,
            "value": float,
            "rep": int,
            "text": str,
        },
        pk="id",
        foreign_keys=[("set_id", "sets", "id")],
        not_null={"set_id", "t_s", "kind"},
        if_not_exists=True,
    )
    db.table("cues").create_index(["set_id"], if_not_exists=True)
    have_reps = set(db.table("reps").columns_dict)
    if "reason" not in have_reps:
        db.execute("ALTER TABLE reps ADD COLUMN reason TEXT")
    if "rise_ms" not in have_reps:
        db.execute("ALTER TABLE reps ADD COLUMN rise_ms REAL")
    have_sets = set(db.table("sets").columns_dict)
    if "feedback" not in have_sets:
        db.execute("ALTER TABLE sets ADD COLUMN feedback TEXT NOT NULL DEFAULT 'live'")
    if "time_in_zone_s" not in have_sets:
        db.execute("ALTER TABLE sets ADD COLUMN time_in_zone_s REAL")
    if "cue_count" not in have_sets:
        db.execute("ALTER TABLE sets ADD COLUMN cue_count INTEGER")


def _v7_lab_interop(db: sqlite_utils.Database) -> None:
    """The raw signal placed in wall time, and room for blocks kept in the sensor's own numbers.

    ``sets.clock_offset_s`` is the set's wall-clock start (Unix seconds)
    minus the signal clock at that moment: a block's ``t0_s`` plus it is
    the block's wall time, which the raw export and the LSL markers need.
    NULL for sets stored before it. ``signal_blocks.codec`` says how
    ``data`` is packed (NULL: plain little-endian ``dtype`` values) and
    ``signal_blocks.scale_uv`` the float64 µV per count of each channel
    (NULL: the values are already in the source's unit).
    """
    have_sets = set(db.table("sets").columns_dict)
    if "clock_offset_s" not in have_sets:
        db.execute("ALTER TABLE sets ADD COLUMN clock_offset_s REAL")
    have_blocks = set(db.table("signal_blocks").columns_dict)
    if "codec" not in have_blocks:
        db.execute("ALTER TABLE signal_blocks ADD COLUMN codec TEXT")
    if "scale_uv" not in have_blocks:
        db.execute("ALTER TABLE signal_blocks ADD COLUMN scale_uv BLOB")


GYM_OUTBOX_SQL = """CREATE TABLE IF NOT EXISTS gym_outbox (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
)"""
"""The rack's outbox as migration 8 makes it (and as :mod:`gymtui.store.outbox` makes it in memory)."""


def _v8_gym(db: sqlite_utils.Database) -> None:
    """What a gym of many racks needs: a set's identity beyond this file, its rack, and the rack's outbox.

    ``sets.uuid`` names a set wherever it travels (the hub stores a record
    delivered twice once, by it); sets stored before it get one here.
    ``sets.rack`` is NULL on a rack's own file and names the rack in the
    hub's log. ``gym_outbox`` holds what a rack must deliver at least once
    (events, set records) until the broker has acknowledged it: it survives
    a broker outage, a network cut and a killed process.
    """
    import uuid

    have_sets = set(db.table("sets").columns_dict)
    if "uuid" not in have_sets:
        db.execute("ALTER TABLE sets ADD COLUMN uuid TEXT")
    if "rack" not in have_sets:
        db.execute("ALTER TABLE sets ADD COLUMN rack TEXT")
    missing = [row[0] for row in db.execute("SELECT id FROM sets WHERE uuid IS NULL").fetchall()]
    for set_id in missing:
        db.execute("UPDATE sets SET uuid = ? WHERE id = ?", (str(uuid.uuid4()), set_id))
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS sets_uuid ON sets(uuid)")
    db.execute(GYM_OUTBOX_SQL)


MIGRATIONS: tuple[tuple[int, Migration], ...] = (
    (1, _v1_core),
    (2, _v2_programs),
    (3, _v3_planned_sets),
    (4, _v4_lifted),
    (5, _v5_imported),
    (6, _v6_biofeedback),
    (7, _v7_lab_interop),
    (8, _v8_gym),
)
"""Every step, numbered from 1 without gaps."""

SCHEMA_VERSION = MIGRATIONS[-1][0]
"""The version a database is at once this gymtui has opened it for writing."""


def migrate(conn: GymConnection, path: Path) -> int:
    """Bring the database to :data:`SCHEMA_VERSION` and mark it as gymtui's, in one write transaction.

    ``BEGIN IMMEDIATE`` takes the write lock first, so a locked or read-only
    file fails here, at start, with nothing half-made; and the file is
    classified again under that lock, so a database that changed hands
    since :func:`gymtui.store.dbfile.inspect` is still refused untouched.
    Returns the version the file was at.
    """
    db = database(conn)
    with conn.transaction():
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        dbfile.classify(path, application_id, user_version, dbfile.schema_names(conn), SCHEMA_VERSION)
        for version, step in MIGRATIONS:
            if version > user_version:
                step(db)
        if application_id != dbfile.APPLICATION_ID:
            conn.execute(f"PRAGMA application_id={dbfile.APPLICATION_ID}")
        if user_version != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return user_version
