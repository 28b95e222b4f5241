"""Read-only queries across aggregates: history, the coach's review and export."""

from __future__ import annotations

import sqlite3
from typing import cast

from gymtui.store.rows import (
    ExerciseWeekRow,
    ExportRow,
    JudgedSetRow,
    LoadedSetRow,
    PhaseRow,
    RepRow,
    SessionListRow,
    SessionSetRow,
    SessionSetSummaryRow,
    SetDetail,
)
from gymtui.store.tables import Tables

FINISHER_WORD = "finisher"
"""A set whose protocol names it a finisher (``Phase 4 finisher``) is the workflow's finisher phase."""


class Reports(Tables):
    """History, review and export queries (reads only)."""

    def loaded_sets(self, athlete_id: int, exercise: str) -> list[LoadedSetRow]:
        """Completed working sets of an exercise with load and reps, newest first (for the 1RM).

        Warm-ups (``set_type = 'warmup'``, mostly imported ones) are left out:
        a light ramp-up set would never be the best estimate, but it must not
        count as a set either.
        """
        rows = self.db.table("sets").rows_where(
            "athlete_id = ? AND exercise = ? AND status = 'completed' AND load_kg IS NOT NULL AND reps IS NOT NULL "
            "AND set_type != 'warmup'",
            [athlete_id, exercise],
            order_by="started_at DESC, id DESC",
            select="id, started_at, load_kg, reps, activation_rating, workflow_phase",
        )
        return [cast(LoadedSetRow, row) for row in rows]

    def last_session_sets(self, athlete_id: int, exercise: str, before: str | None = None) -> list[SessionSetRow]:
        """The completed working sets (no warm-ups) of this exercise on the last day it was trained, in order."""
        row = self.conn.execute(
            "SELECT substr(started_at, 1, 10) FROM sets WHERE athlete_id = ? AND exercise = ? "
            "AND status = 'completed' AND set_type != 'warmup' AND (? IS NULL OR substr(started_at, 1, 10) < ?) "
            "ORDER BY started_at DESC LIMIT 1",
            (athlete_id, exercise, before, before),
        ).fetchone()
        if row is None:
            return []
        rows = self.db.table("sets").rows_where(
            "athlete_id = ? AND exercise = ? AND status = 'completed' AND set_type != 'warmup' "
            "AND substr(started_at, 1, 10) = ?",
            [athlete_id, exercise, row[0]],
            order_by="started_at, id",
            select="id, started_at, load_kg, reps, activation_rating, target_share, peak_pct_mvc",
        )
        return [cast(SessionSetRow, r) for r in rows]

    def exercises_logged(self, athlete_id: int) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT exercise FROM sets WHERE athlete_id = ? AND status = 'completed' "
                "GROUP BY exercise ORDER BY max(started_at) DESC",
                (athlete_id,),
            )
        ]

    def judged_sets(self, athlete_id: int, exercise: str) -> list[JudgedSetRow]:
        """Completed sets of an exercise with a perfect-rep count, oldest first: the perfect-rep goal's log."""
        rows = self.db.table("sets").rows_where(
            "athlete_id = ? AND exercise = ? AND status = 'completed' AND perfect_reps IS NOT NULL AND set_type != 'warmup'",
            [athlete_id, exercise],
            order_by="started_at, id",
            select="started_at, reps, perfect_reps",
        )
        return [cast(JudgedSetRow, row) for row in rows]

    def exercise_weeks(self, athlete_id: int, exercise: str, *, mvc_holds_h: float | None = None) -> list[ExerciseWeekRow]:
        """Per week (Monday's date): mean rating, mean peak %MVC, perfect reps, top load.

        With ``mvc_holds_h`` the mean peak %MVC counts only sets measured
        against an MVC of their own electrode application: taken in the set's
        session, or at most ``mvc_holds_h`` hours before the set. The others
        (an MVC carried over from an earlier application) are counted in
        ``other_mvc_sets`` and left out of the mean. A set with no MVC named
        (a log written without one) is counted: nothing says it is foreign.
        """
        own = (
            "(c.id IS NULL OR (julianday(s.started_at) - julianday(c.taken_at)) * 24.0 <= ? "
            "OR (s.session_id IS NOT NULL AND s.session_id = "
            "(SELECT o.session_id FROM sets o WHERE o.calibration_id = s.calibration_id ORDER BY o.id LIMIT 1)))"
            if mvc_holds_h is not None
            else "1"
        )
        params: tuple[object, ...] = (mvc_holds_h,) * 2 if mvc_holds_h is not None else ()
        rows = self.conn.execute(
            "SELECT date(substr(s.started_at, 1, 10), '-' || ((strftime('%w', substr(s.started_at, 1, 10)) + 6) % 7) || ' days') AS monday, "
            f"count(*), avg(s.activation_rating), avg(CASE WHEN {own} THEN s.peak_pct_mvc END), avg(s.target_share), "
            "sum(s.perfect_reps), max(s.perfect_reps), max(s.load_kg), "
            f"sum(CASE WHEN s.peak_pct_mvc IS NOT NULL AND NOT {own} THEN 1 ELSE 0 END) "
            "FROM sets s LEFT JOIN calibrations c ON c.id = s.calibration_id "
            "WHERE s.athlete_id = ? AND s.exercise = ? AND s.status = 'completed' AND s.set_type != 'warmup' "
            "GROUP BY monday ORDER BY monday",
            (*params, athlete_id, exercise),
        ).fetchall()
        keys = (
            "week_of", "sets", "mean_rating", "mean_peak_pct_mvc", "mean_target_share", "perfect_reps",
            "best_perfect_reps", "top_load_kg", "other_mvc_sets",
        )
        return [cast(ExerciseWeekRow, dict(zip(keys, r))) for r in rows]

    def session_list(self, athlete_id: int, limit: int = 30) -> list[SessionListRow]:
        rows = self.conn.execute(
            "SELECT se.id, se.started_at, se.template, se.kind, se.focus, "
            "count(s.id), sum(s.status = 'completed'), avg(s.activation_rating), "
            "group_concat(DISTINCT s.exercise) "
            "FROM sessions se LEFT JOIN sets s ON s.session_id = se.id "
            "WHERE se.athlete_id = ? GROUP BY se.id ORDER BY se.started_at DESC, se.id DESC LIMIT ?",
            (athlete_id, limit),
        ).fetchall()
        keys = ("id", "started_at", "template", "kind", "focus", "sets", "completed", "mean_rating", "exercises")
        return [cast(SessionListRow, dict(zip(keys, r))) for r in rows]

    def set_detail(self, set_id: int) -> SetDetail:
        """A set with its phases and reps (the envelope comes from ``signal_of``)."""
        detail = dict(self.db.table("sets").get(set_id))
        detail["phases"] = [cast(PhaseRow, r) for r in self.db.table("phases").rows_where("set_id = ?", [set_id], order_by="idx")]
        detail["rep_rows"] = [cast(RepRow, r) for r in self.db.table("reps").rows_where("set_id = ?", [set_id], order_by="idx")]
        return cast(SetDetail, detail)

    def export_rows(self, athlete_id: int | None = None) -> list[ExportRow]:
        """One row per set (not discarded), oldest first, with its type, source, what was lifted and its EMG summary.

        A set started outside the day's plan (the quick Phase 4 finisher) has
        no session, plan phase or typed reps of its own: it is given the
        session the athlete had open that day, ``finisher`` when its protocol
        is one, and the reps the sensor counted. :func:`gymtui.store.salvage.export_rows`
        gives the same rows from a damaged file.
        """
        where = "WHERE s.status != 'discarded'" + (" AND s.athlete_id = ?" if athlete_id is not None else "")
        params: tuple[int, ...] = (athlete_id,) if athlete_id is not None else ()
        cursor = self.conn.execute(
            "SELECT s.id AS set_id, a.name AS athlete, "
            "COALESCE(s.session_id, (SELECT se.id FROM sessions se WHERE se.athlete_id = s.athlete_id "
            "AND substr(se.started_at, 1, 10) = substr(s.started_at, 1, 10) AND se.started_at <= s.started_at "
            "ORDER BY se.started_at DESC, se.id DESC LIMIT 1)) AS session_id, "
            "s.started_at, s.ended_at, s.exercise, "
            f"COALESCE(s.workflow_phase, CASE WHEN lower(s.protocol) LIKE '%{FINISHER_WORD}%' THEN '{FINISHER_WORD}' END) "
            "AS workflow_phase, s.set_number, s.set_type, s.source, s.load_kg, s.pct_1rm, "
            "COALESCE(s.reps, NULLIF((SELECT count(*) FROM reps r WHERE r.set_id = s.id), 0)) AS reps, "
            "s.rir, s.activation_rating, s.status, s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, "
            "s.time_above_target_s, s.perfect_reps, s.mf_slope_hz_per_s, s.feedback, s.time_in_zone_s, s.cue_count, "
            "(SELECT count(*) FROM phases p WHERE p.set_id = s.id) AS phases "
            f"FROM sets s JOIN athletes a ON a.id = s.athlete_id {where} "
            "ORDER BY s.started_at, s.id",
            params,
        )
        names = [d[0] for d in cursor.description]
        return [cast(ExportRow, dict(zip(names, row))) for row in cursor.fetchall()]

    def session_sets(self, session_id: int) -> list[SessionSetSummaryRow]:
        rows = self.db.table("sets").rows_where(
            "session_id = ? AND status != 'discarded'", [session_id], order_by="started_at, id",
            select="id AS set_id, exercise, load_kg, reps, activation_rating, status",
        )
        return [cast(SessionSetSummaryRow, row) for row in rows]

    def foreign_key_problems(self) -> list[tuple[object, ...]]:
        return [tuple(r) for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()]

    def raw_export_sets(
        self,
        *,
        set_id: int | None = None,
        session_id: int | None = None,
        athlete_id: int | None = None,
        since: str | None = None,
    ) -> list[tuple[int, int]]:
        """The sets (not discarded) every given filter matches, oldest first, each with its number of raw blocks.

        ``since`` is a date (``YYYY-MM-DD``): sets started on it or later,
        by the date the set row carries.
        """
        clauses: list[str] = ["s.status != 'discarded'"]
        params: list[object] = []
        for clause, value in (
            ("s.id = ?", set_id),
            ("s.session_id = ?", session_id),
            ("s.athlete_id = ?", athlete_id),
            ("substr(s.started_at, 1, 10) >= ?", since),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        rows = self.conn.execute(
            "SELECT s.id, (SELECT count(*) FROM signal_blocks b WHERE b.set_id = s.id) FROM sets s "
            f"WHERE {' AND '.join(clauses)} ORDER BY s.started_at, s.id",
            params,
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def has_session(self, session_id: int) -> bool:
        return self.conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def has_set(self, set_id: int) -> bool:
        return self.conn.execute("SELECT 1 FROM sets WHERE id = ?", (set_id,)).fetchone() is not None

    def raw_packings(self, set_id: int) -> list[tuple[str, bytes | None]]:
        """The distinct (``dtype``, ``scale_uv``) the set's raw blocks are kept in (none before migration 7's columns)."""
        try:
            rows = self.conn.execute(
                "SELECT DISTINCT dtype, scale_uv FROM signal_blocks WHERE set_id = ?", (set_id,)
            ).fetchall()
        except sqlite3.OperationalError:  # a file older than the scale column, opened read-only
            return []
        return [(str(r[0]), r[1]) for r in rows]
