"""Live biofeedback week by week, for history: explosive intent's rise time, and retention against feedback.

Two questions the history screen asks of one exercise:

- Is the athlete getting faster off the mark? The mean rise time (onset to
  90 % of the rep's peak, ms) of the reps done with explosive intent: reps
  of a set with an ``explosive`` phase, of a contrast set, or of a heavy
  compound set (the guide's sets "with intent").
- Was the mind-muscle connection learned, or does it lean on the screen?
  The mean target share of the *retention* sets (nothing shown until the
  set ended) against that of the sets fed back live or by cues.
"""

from __future__ import annotations

from typing import TypedDict, cast

from gymtui.store.tables import Tables

INTENT_WORKFLOW_PHASES = ("compound", "contrast")
"""Plan phases whose sets are lifted with intent (Phase 3 heavy compounds, contrast sets)."""

_WEEK = "date(substr(s.started_at, 1, 10), '-' || ((strftime('%w', substr(s.started_at, 1, 10)) + 6) % 7) || ' days')"
_DONE = "s.athlete_id = ? AND s.exercise = ? AND s.status = 'completed' AND s.set_type != 'warmup'"


class RiseWeekRow(TypedDict):
    week_of: str
    """The week's Monday (ISO date)."""
    mean_rise_ms: float
    reps: int


class FeedbackWeekRow(TypedDict):
    week_of: str
    retention_share: float | None
    retention_sets: int
    fed_back_share: float | None
    fed_back_sets: int


class FeedbackWeeks(Tables):
    """Reads of the biofeedback columns (``reps.rise_ms``, ``sets.feedback``) per exercise and week."""

    def rise_weeks(self, athlete_id: int, exercise: str) -> list[RiseWeekRow]:
        """Per week with any, the mean rise time of the explosive-intent reps that have one."""
        marks = ", ".join("?" for _ in INTENT_WORKFLOW_PHASES)
        rows = self.conn.execute(
            f"SELECT {_WEEK} AS monday, avg(r.rise_ms), count(r.id) "
            "FROM reps r JOIN sets s ON s.id = r.set_id "
            f"WHERE {_DONE} AND r.rise_ms IS NOT NULL "
            f"AND (s.workflow_phase IN ({marks}) "
            "OR EXISTS (SELECT 1 FROM phases p WHERE p.set_id = s.id AND p.kind = 'explosive')) "
            "GROUP BY monday ORDER BY monday",
            (athlete_id, exercise, *INTENT_WORKFLOW_PHASES),
        ).fetchall()
        return [cast(RiseWeekRow, dict(zip(("week_of", "mean_rise_ms", "reps"), r))) for r in rows]

    def feedback_weeks(self, athlete_id: int, exercise: str) -> list[FeedbackWeekRow]:
        """Per week, the mean target share of retention sets and of fed-back (``live`` or ``cues``) sets."""
        rows = self.conn.execute(
            f"SELECT {_WEEK} AS monday, "
            "avg(CASE WHEN s.feedback = 'retention' THEN s.target_share END), "
            "sum(s.feedback = 'retention' AND s.target_share IS NOT NULL), "
            "avg(CASE WHEN s.feedback != 'retention' THEN s.target_share END), "
            "sum(s.feedback != 'retention' AND s.target_share IS NOT NULL) "
            f"FROM sets s WHERE {_DONE} AND s.target_share IS NOT NULL "
            "GROUP BY monday ORDER BY monday",
            (athlete_id, exercise),
        ).fetchall()
        keys = ("week_of", "retention_share", "retention_sets", "fed_back_share", "fed_back_sets")
        return [cast(FeedbackWeekRow, dict(zip(keys, r))) for r in rows]
