"""What the store hands back: one type per row shape, so a caller knows its keys.

Rows that callers index by name (``row["load_kg"]``) stay dicts at run time
and are typed as :class:`TypedDict`; rows no caller indexes are frozen
dataclasses. Nullable columns are ``X | None``: SQLite gives back ``NULL``
for a column a set never filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict

JsonObject = Mapping[str, object]
"""A free-form mapping the store encodes as JSON or as columns (metrics, a summary, a check-in)."""


class SetStatus(StrEnum):
    """Where a set is in its life; the values are what the ``sets.status`` column holds."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    DISCARDED = "discarded"


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


class SetRow(TypedDict):
    """A whole ``sets`` row (JSON columns still as text)."""

    id: int
    session_id: int | None
    athlete_id: int
    exercise: str
    protocol: str | None
    load_kg: float | None
    reps: int | None
    activation_rating: int | None
    status: str
    started_at: str
    ended_at: str | None
    rated_at: str | None
    peak_pct_mvc: float | None
    mean_pct_mvc: float | None
    target_share: float | None
    cci_pct: float | None
    time_above_target_s: float | None
    perfect_reps: int | None
    mf_slope_hz_per_s: float | None
    quality_flags: str | None
    channels: str | None
    pipeline: str | None
    calibration_id: int | None
    notes: str | None
    workflow_phase: str | None
    pct_1rm: float | None
    set_number: int | None
    rir: int | None
    load_source: str | None
    """Where ``load_kg`` came from: ``entered``, ``planned`` (see :class:`LiftedSource`)."""
    reps_source: str | None
    """Where ``reps`` came from: ``entered``, ``emg`` or ``planned``."""
    rir_source: str | None
    feedback: str
    """What the athlete saw during the set: ``live`` (bars and cues), ``cues`` or ``retention`` (nothing)."""
    time_in_zone_s: float | None
    cue_count: int | None


class LiftedSource(StrEnum):
    """Where a set's load, reps or reps in reserve came from (the ``*_source`` columns)."""

    ENTERED = "entered"
    EMG = "emg"
    PLANNED = "planned"
    IMPORTED = "imported"


class PhaseRow(TypedDict):
    """A ``phases`` row (``metrics`` is JSON text)."""

    id: int
    set_id: int
    idx: int
    kind: str
    name: str | None
    planned_s: float | None
    started_at: str
    ended_at: str | None
    duration_s: float | None
    ended_by: str | None
    peak_pct_mvc: float | None
    mean_pct_mvc: float | None
    metrics: str | None


class RepRow(TypedDict):
    """A ``reps`` row: one repetition found in a set's signal."""

    id: int
    set_id: int
    idx: int
    start_s: float | None
    end_s: float | None
    peak_pct_mvc: float | None
    mean_pct_mvc: float | None
    target_share: float | None
    perfect: int | None
    reason: str | None
    """Why the rep was not perfect ("" when it was)."""
    rise_ms: float | None
    """Onset to 90 % of the rep's peak: the explosive-intent measure."""


class SetDetail(SetRow):
    """A set with its phases and reps, for the history screen's detail."""

    phases: list[PhaseRow]
    rep_rows: list[RepRow]


class LopReading(TypedDict):
    """A limb's newest occlusion pressure and how old it is."""

    id: int
    limb: str
    lop_mmhg: float
    taken_at: str
    source: str | None
    age_days: float


class PlanRow(TypedDict):
    """A ``plans`` row: a training program an athlete follows from ``started_on``."""

    id: int
    athlete_id: int
    program: str
    started_on: str
    maintenance_every_weeks: int | None
    created_at: str
    ended_on: str | None


class SessionDayRow(TypedDict):
    """A session with at least one completed set, as the plan counts it."""

    id: int
    day: str
    kind: str | None
    focus: str | None
    template: str | None


class CheckinRow(TypedDict):
    """A ``checkins`` row: the readiness questions before a session (``reasons`` is JSON text)."""

    id: int
    athlete_id: int
    session_id: int | None
    taken_at: str
    sleep_h: float | None
    resting_hr_bpm: float | None
    baseline_rhr_bpm: float | None
    coordination: int | None
    mood: int | None
    advice: str
    reasons: str | None
    choice: str | None


class SuggestionRow(TypedDict):
    """A ``suggestions`` row: a load change offered after a set, and the answer."""

    id: int
    athlete_id: int
    set_id: int
    next_set_id: int | None
    kind: str
    reason: str | None
    from_kg: float | None
    to_kg: float | None
    created_at: str
    taken: int | None
    answered_at: str | None


class LoadedSetRow(TypedDict):
    """A completed set with load and reps (for the one-rep-max estimate)."""

    id: int
    started_at: str
    load_kg: float
    reps: int
    activation_rating: int | None
    workflow_phase: str | None


class JudgedSetRow(TypedDict):
    """A completed set whose reps were judged perfect or not (for the perfect-rep goal)."""

    started_at: str
    reps: int | None
    perfect_reps: int


class SessionSetRow(TypedDict):
    """A completed set of the last day an exercise was trained."""

    id: int
    started_at: str
    load_kg: float | None
    reps: int | None
    activation_rating: int | None
    target_share: float | None
    peak_pct_mvc: float | None


class ExerciseWeekRow(TypedDict):
    """One week (its Monday) of an exercise: what the history plot draws."""

    week_of: str
    sets: int
    mean_rating: float | None
    mean_peak_pct_mvc: float | None
    mean_target_share: float | None
    perfect_reps: int | None
    best_perfect_reps: int | None
    top_load_kg: float | None
    other_mvc_sets: int
    """Sets with a %MVC against an MVC of another electrode application: left out of ``mean_peak_pct_mvc``."""


class SessionListRow(TypedDict):
    """A session in the history list, with counts over its sets."""

    id: int
    started_at: str
    template: str | None
    kind: str | None
    focus: str | None
    sets: int
    completed: int | None
    mean_rating: float | None
    exercises: str | None


class ExportRow(TypedDict):
    """One set in the export (CSV/JSON), in this column order."""

    set_id: int
    athlete: str
    session_id: int | None
    started_at: str
    ended_at: str | None
    exercise: str
    workflow_phase: str | None
    set_number: int | None
    set_type: str
    source: str
    load_kg: float | None
    pct_1rm: float | None
    reps: int | None
    rir: int | None
    activation_rating: int | None
    status: str
    peak_pct_mvc: float | None
    mean_pct_mvc: float | None
    target_share: float | None
    cci_pct: float | None
    time_above_target_s: float | None
    perfect_reps: int | None
    mf_slope_hz_per_s: float | None
    feedback: str
    time_in_zone_s: float | None
    cue_count: int | None
    phases: int


class SessionSetSummaryRow(TypedDict):
    """A set of one session as the coach reviews it (discarded sets left out)."""

    set_id: int
    exercise: str
    load_kg: float | None
    reps: int | None
    activation_rating: int | None
    status: str
