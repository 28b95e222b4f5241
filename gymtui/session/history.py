"""History as plain data for the screens: per-exercise weeks, sessions, one set.

The history screen shows, per exercise, the activation rating and the EMG
score week by week (the guide: "over months, you will see the score
increase, even if loads stay the same"), perfect-rep counts with a goal, the
top load and the Epley e1RM, and one sentence that says whether that is
progress (:mod:`gymtui.session.progress`), the mean rise time of explosive-intent
reps week by week and, once a retention set exists, its target share against
the fed-back sets'; a list of sessions (each set with the cues it showed:
"3 compensation cues, last at rep 6"); and a set's detail with its phases,
its cues and target envelope. Everything here is frozen dataclasses of floats and strings, so
screens take them without touching the store.

The *EMG score* of a week is the mean peak %MVC of the target over that
week's completed sets that were measured against an MVC of their own
electrode application (:mod:`gymtui.session.mvc`): a %MVC against an MVC of
another placement is not comparable, so it is left out and counted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gymtui.session.loads import estimate_1rm
from gymtui.session.progress import (
    FeedbackWeek,
    JudgedSet,
    Week,
    perfect_rep_goal,
    plural,
    progress_sentence,
    retention_line,
)

ENVELOPE_POINTS = 120
ENVELOPE_WINDOW_S = 0.1


@dataclass(frozen=True, slots=True)
class WeekPoint:
    week_of: dt.date
    sets: int
    mean_rating: float | None
    emg_score: float | None
    perfect_reps: int
    best_perfect_reps: int | None
    top_load_kg: float | None
    other_mvc_sets: int = 0
    """Sets whose %MVC was against an MVC of another electrode application: not in ``emg_score``."""
    e1rm_kg: float | None = None
    """The week's best Epley estimate from its loaded sets (warm-ups left out by ``Store.loaded_sets``)."""
    rise_ms: float | None = None
    """Mean rise time (onset to 90 % of peak) of the week's explosive-intent reps (``Store.rise_weeks``)."""
    rise_reps: int = 0


@dataclass(frozen=True, slots=True)
class ExerciseHistory:
    exercise: str
    weeks: tuple[WeekPoint, ...]
    goal: str = ""
    """The perfect-rep goal in words (empty when no reps were judged yet)."""
    sentence: str = ""
    """Whether this is progress, in one plain sentence (:func:`gymtui.session.progress.progress_sentence`)."""
    retention: str = ""
    """Retention against fed-back target share (:func:`gymtui.session.progress.retention_line`); empty before any."""

    @property
    def mvc_note(self) -> str:
        """What the EMG score compares, in words: %MVC only against the MVC of the same electrode application."""
        left_out = sum(w.other_mvc_sets for w in self.weeks)
        note = "EMG score: peak %MVC, each set against the MVC of its own electrode application"
        if left_out:
            note += f" ({left_out} set{'s' if left_out != 1 else ''} measured against an older MVC left out)"
        return note


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    day: str
    label: str
    sets: int
    completed: int
    mean_rating: float | None
    exercises: str


@dataclass(frozen=True, slots=True)
class HistoryData:
    exercises: tuple[ExerciseHistory, ...]
    sessions: tuple[SessionRow, ...]


@dataclass(frozen=True, slots=True)
class PhaseRow:
    idx: int
    kind: str
    name: str
    duration_s: float | None
    planned_s: float | None
    ended_by: str
    peak_pct_mvc: float | None


@dataclass(frozen=True, slots=True)
class SetDetail:
    id: int
    exercise: str
    status: str
    started_at: str
    load_kg: float | None
    reps: int | None
    activation_rating: int | None
    peak_pct_mvc: float | None
    target_share: float | None
    perfect_reps: int | None
    phases: tuple[PhaseRow, ...]
    envelope_uv: tuple[float, ...] = ()
    """The target channel's RMS envelope, resampled to about 120 points."""
    target_muscle: str = ""
    cues: str = ""
    """The cues the set showed, in words (:func:`cue_summary`); empty for a set run without live cues."""
    cue_rows: tuple[CueLine, ...] = ()
    feedback: str = "live"
    """What the athlete saw: ``live``, ``cues`` or ``retention``."""
    signal_problem: str = ""
    """Why the stored raw signal could not be read (a damaged block, named); empty when it could."""


@dataclass(frozen=True, slots=True)
class CueLine:
    """One cue of a set, as its detail lists it."""

    t_s: float
    rep: int | None
    kind: str
    muscle: str
    text: str


CUE_KIND_WORDS = {"compensation": "compensation", "co_contraction": "co-contraction"}
FEEDBACK_WORDS = {"cues": "cues only", "retention": "retention: screen dark"}
"""How a set's feedback mode reads in its line, when it was not the usual live bars and cues."""


def feedback_and_cues(feedback: str | None, cues: Sequence[Mapping[str, Any]], cue_count: int | None) -> str:
    """A set's mode (when not live) and its cues, for its line: ``retention: screen dark · no cues``."""
    parts = [FEEDBACK_WORDS.get(str(feedback), ""), cue_summary(cues, cue_count)]
    return " · ".join(p for p in parts if p)


def cue_summary(cues: Sequence[Mapping[str, Any]], cue_count: int | None = None) -> str:
    """``3 compensation cues, last at rep 6`` from a set's ``Store.cues_of`` rows ("no cues" if none).

    ``cue_count`` is the set's stored count: None (and no rows) means the
    set ran without live cues (no sensor, or logged before they existed),
    so nothing is said rather than a "no cues" that was never measured.
    """
    if not cues:
        return "" if cue_count is None else "no cues"
    counts: dict[str, int] = {}
    for cue in cues:
        kind = str(cue.get("kind") or "")
        counts[kind] = counts.get(kind, 0) + 1
    parts = [plural(n, f"{CUE_KIND_WORDS.get(kind, kind.replace('_', '-'))} cue") for kind, n in counts.items()]
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    last = max(cues, key=lambda c: float(c.get("t_s") or 0.0))
    rep = last.get("rep")
    when = f"rep {rep}" if rep is not None else f"{float(last.get('t_s') or 0.0):.1f} s, between reps"
    return f"{said}, last at {when}"


def _week(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _monday(started_at: str) -> dt.date:
    day = dt.date.fromisoformat(started_at[:10])
    return day - dt.timedelta(days=day.weekday())


def week_e1rm(name: str, loaded_rows: Sequence[Mapping[str, Any]]) -> dict[dt.date, float]:
    """Per week (its Monday), the best Epley estimate of that week's loaded sets (``Store.loaded_sets`` rows)."""
    by_week: dict[dt.date, list[Mapping[str, Any]]] = {}
    for row in loaded_rows:
        by_week.setdefault(_monday(row["started_at"]), []).append(row)
    out = {}
    for monday, rows in by_week.items():
        best = estimate_1rm(rows, name, today=monday + dt.timedelta(days=6))
        if best is not None:
            out[monday] = best.kg
    return out


def history_from(
    exercise_weeks: Iterable[tuple[str, Sequence[Mapping[str, Any]]]],
    session_rows: Iterable[Mapping[str, Any]],
    today: dt.date | None = None,
    *,
    loaded: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    judged: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    rise: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    feedback: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> HistoryData:
    """The history screen's data from (exercise, ``Store.exercise_weeks`` rows) pairs and ``Store.session_list`` rows.

    ``loaded`` (``Store.loaded_sets`` rows per exercise) gives the weekly e1RM;
    ``judged`` (``Store.judged_sets`` rows per exercise) the perfect-rep goal;
    ``rise`` (``Store.rise_weeks``) the weekly rise time of explosive-intent
    reps; ``feedback`` (``Store.feedback_weeks``) retention against feedback.
    """
    today = today or dt.date.today()
    exercises = []
    for name, week_rows in exercise_weeks:
        e1rm = week_e1rm(name, (loaded or {}).get(name, ()))
        rises = {_week(r["week_of"]): r for r in (rise or {}).get(name, ())}
        weeks = tuple(
            WeekPoint(
                _week(w["week_of"]), w["sets"], w["mean_rating"], w["mean_peak_pct_mvc"],
                int(w["perfect_reps"] or 0), w["best_perfect_reps"], w["top_load_kg"],
                int(w.get("other_mvc_sets") or 0), e1rm.get(_week(w["week_of"])),
                *_rise_of(rises.get(_week(w["week_of"]))),
            )
            for w in week_rows
        )
        retention = retention_line([
            FeedbackWeek(_week(f["week_of"]), f["retention_share"], int(f["retention_sets"] or 0),
                         f["fed_back_share"], int(f["fed_back_sets"] or 0))
            for f in (feedback or {}).get(name, ())
        ])
        goal = perfect_rep_goal(
            (JudgedSet(dt.date.fromisoformat(r["started_at"][:10]), r["reps"], int(r["perfect_reps"]))
             for r in (judged or {}).get(name, ())),
            today,
        )
        sentence = progress_sentence([Week(w.week_of, w.mean_rating, w.top_load_kg) for w in weeks])
        exercises.append(ExerciseHistory(name, weeks, goal.describe(today) if goal else "", sentence, retention))
    rows = []
    for s in session_rows:
        label = " · ".join(x for x in (s["kind"], s["focus"] and f"{s['focus']} body") if x) or (s["template"] or "session")
        rows.append(SessionRow(s["id"], s["started_at"][:10], label, s["sets"] or 0, s["completed"] or 0, s["mean_rating"], s["exercises"] or ""))
    return HistoryData(tuple(exercises), tuple(rows))


def _rise_of(row: Mapping[str, Any] | None) -> tuple[float | None, int]:
    if row is None:
        return None, 0
    return row["mean_rise_ms"], int(row["reps"] or 0)


def set_lines(
    set_rows: Iterable[Mapping[str, Any]], cues: Mapping[int, str] | None = None
) -> tuple[tuple[int, str], ...]:
    """(set id, one line) for each set of a session (``Store.session_sets`` rows), in order: the drill-down.

    ``cues`` maps a set id to its :func:`feedback_and_cues`, added at the end of its line when there is one.
    """
    out = []
    for r in set_rows:
        load = f"{r['load_kg']:g} kg" if r["load_kg"] is not None else "—"
        rating = f"{r['activation_rating']}/10" if r["activation_rating"] is not None else "unrated"
        line = f"{r['exercise']} · {load} × {r['reps'] or '—'} · {rating} · {r['status']}"
        said = (cues or {}).get(int(r["set_id"]), "")
        out.append((int(r["set_id"]), f"{line} · {said}" if said else line))
    return tuple(out)


def envelope(samples_uv: np.ndarray, rate_hz: float, points: int = ENVELOPE_POINTS) -> tuple[float, ...]:
    """RMS over ~100 ms windows of one channel (float32 µV, shape (n,)), about ``points`` values."""
    x = np.asarray(samples_uv, dtype=np.float64)
    if x.size == 0 or rate_hz <= 0:
        return ()
    x = x - x.mean()
    window = max(1, int(rate_hz * ENVELOPE_WINDOW_S))
    n_windows = x.size // window
    if n_windows == 0:
        return (float(np.sqrt(np.mean(x**2))),)
    rms = np.sqrt(np.mean(x[: n_windows * window].reshape(n_windows, window) ** 2, axis=1))
    if n_windows > points:
        edges = np.linspace(0, n_windows, points + 1).astype(int)
        rms = np.array([rms[a:b].max() for a, b in itertools.pairwise(edges)])
    return tuple(float(v) for v in rms)


def set_detail_from(
    row: Mapping[str, Any], samples: np.ndarray, rate_hz: float, cues: Sequence[Mapping[str, Any]] = ()
) -> SetDetail:
    """One set's detail from ``Store.set_detail``, its signal (``Store.signal_of``) and its cues (``Store.cues_of``)."""
    channels = json.loads(row.get("channels") or "[]")
    target_index = next((i for i, c in enumerate(channels) if isinstance(c, dict) and c.get("role") == "target"), 0)
    env = envelope(samples[:, target_index], rate_hz) if samples.size and samples.shape[1] > target_index else ()
    phases = tuple(
        PhaseRow(p["idx"], p["kind"], p["name"] or p["kind"], p["duration_s"], p["planned_s"], p["ended_by"] or "", p["peak_pct_mvc"])
        for p in row["phases"]
    )
    return SetDetail(
        row["id"], row["exercise"], row["status"], row["started_at"], row["load_kg"], row["reps"],
        row["activation_rating"], row["peak_pct_mvc"], row["target_share"], row["perfect_reps"], phases, env,
        channels[target_index]["muscle"] if channels and isinstance(channels[target_index], dict) else "",
        cue_summary(cues, row.get("cue_count")),
        tuple(
            CueLine(float(c["t_s"]), c.get("rep"), CUE_KIND_WORDS.get(str(c["kind"]), str(c["kind"])),
                    str(c.get("muscle") or ""), str(c.get("text") or ""))
            for c in cues
        ),
        str(row.get("feedback") or "live"),
    )
