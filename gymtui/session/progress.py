"""Is the athlete improving? One plain sentence per exercise and a perfect-rep goal the sets can reach.

The history screen answers the question a lifter asks of it in words, not
only in bars: the activation rating of the first rated week against the last,
read beside the top load of those weeks. A rating that climbs at the same
load is the guide's progress ("you will see the score increase, even if loads
stay the same"); a rating that holds while the load climbs is progress too,
and so is a rating that climbs on a lighter load (the guide's 10 % lighter
load with more activation); a rating that falls, or sits flat at the same
load, is said as it is.

Retention is motor learning's honest test: feedback during the set is faded
so the athlete does not come to depend on it, and a *retention* set (nothing
shown until it ends) says whether the target share holds without it
(:func:`retention_line`).

The perfect-rep goal is the guide's neural overload ("8 perfect reps on day
one, aim for 10 in two weeks"), made to fit the drill: a set of 6 reps cannot
have 8 perfect ones, so the target is capped at the reps of the sets the goal
was set on. A goal is fixed when it is set, from the log alone: it keeps its
date until it is met (a new one starts from that session) or its date passes
(a new one starts from the next session). Today only decides whether a goal
still open is due or missed, never where it stands.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PERFECT_REP_STEP = 2
PERFECT_REP_WEEKS = 2
FLAT_POINTS = 0.5
"""A change of rating smaller than this (in points of the 1–10 scale) is no change."""
SAME_LOAD_KG = 0.5
"""Top loads closer than this are the same load (plate rounding)."""


def plural(n: float, word: str, many: str | None = None) -> str:
    """``1 week``, ``4 weeks``, ``1.5 points``: the number and the noun that agrees with it."""
    shown = f"{n:g}" if isinstance(n, int) or float(n).is_integer() else f"{n:.1f}"
    return f"{shown} {word if float(n) == 1 else (many or word + 's')}"


def day_label(day: dt.date) -> str:
    """A date as a lifter reads it on the axis: ``5 Jan``, ``28 Nov``."""
    return f"{day.day} {day:%b}"


@dataclass(frozen=True, slots=True)
class Week:
    """What the sentence needs of one week: its Monday, mean rating and top load."""

    week_of: dt.date
    rating: float | None
    top_load_kg: float | None


def weeks_spanned(first: dt.date, last: dt.date) -> int:
    """Calendar weeks from the week of ``first`` to the week of ``last``, both counted."""
    return (last - first).days // 7 + 1


def _kg(kg: float) -> str:
    return f"{round(kg, 1):g} kg"


def progress_sentence(weeks: Sequence[Week]) -> str:
    """One plain sentence: the rating's change from the first rated week to the last, read with the load."""
    rated = [w for w in weeks if w.rating is not None]
    if not rated:
        return "No rated sets yet: rate your sets and the trend shows here."
    if len(rated) < 2:
        return f"Too little data: 1 rated week so far ({day_label(rated[0].week_of)}); a trend needs two."
    first, last = rated[0], rated[-1]
    assert first.rating is not None and last.rating is not None
    span = plural(weeks_spanned(first.week_of, last.week_of), "week")
    delta = round(last.rating - first.rating, 1)
    if first.top_load_kg is None or last.top_load_kg is None:
        load = "unknown"
        load_diff = 0.0
    else:
        load_diff = last.top_load_kg - first.top_load_kg
        load = "same" if abs(load_diff) < SAME_LOAD_KG else ("up" if load_diff > 0 else "down")
    moved = plural(abs(delta), "point")
    if delta >= FLAT_POINTS:
        return {
            "same": f"Rating up {moved} in {span} at the same load: that is progress.",
            "up": f"Rating up {moved} in {span} while the load went up {_kg(load_diff)}: that is progress.",
            "down": f"Rating up {moved} in {span} with {_kg(-load_diff)} less on the bar: more felt from less load is progress.",
            "unknown": f"Rating up {moved} in {span}: that is progress.",
        }[load]
    if delta <= -FLAT_POINTS:
        return {
            "same": f"Rating down {moved} in {span} at the same load: not progress yet.",
            "up": f"Rating down {moved} in {span} as the load went up {_kg(load_diff)}: the heavier load may be why.",
            "down": f"Rating down {moved} in {span} with {_kg(-load_diff)} less on the bar: not progress.",
            "unknown": f"Rating down {moved} in {span}: not progress yet.",
        }[load]
    held = f"{last.rating:g}" if float(last.rating).is_integer() else f"{last.rating:.1f}"
    return {
        "same": f"Rating flat at {held} for {span} at the same load: no progress yet; change one thing.",
        "up": f"Rating held at {held} for {span} while the load went up {_kg(load_diff)}: that is progress.",
        "down": f"Rating held at {held} for {span} with {_kg(-load_diff)} less on the bar: not progress yet.",
        "unknown": f"Rating flat at {held} for {span}: no progress yet; change one thing.",
    }[load]


RETENTION_HELD = 0.95
"""A retention share at least this fraction of the fed-back one held: the connection is learned."""


@dataclass(frozen=True, slots=True)
class FeedbackWeek:
    """One week's mean target share of its retention sets and of its fed-back (live or cued) sets."""

    week_of: dt.date
    retention_share: float | None
    retention_sets: int
    fed_back_share: float | None
    fed_back_sets: int


def retention_line(weeks: Sequence[FeedbackWeek]) -> str:
    """The latest retention week's target share against the fed-back sets' ("" before any retention set).

    The fed-back sets compared are the same week's, or, when that week had
    none, the latest week before it that had some: the retention set asks
    whether what the feedback taught is still there without it.
    """
    retention = [w for w in weeks if w.retention_sets and w.retention_share is not None]
    if not retention:
        return ""
    week = retention[-1]
    assert week.retention_share is not None
    kept = f"Retention {week.retention_share:.2f} ({plural(week.retention_sets, 'set')})"
    fed = [w for w in weeks if w.week_of <= week.week_of and w.fed_back_sets and w.fed_back_share is not None]
    if not fed:
        return f"{kept} target share (week of {day_label(week.week_of)}); no fed-back sets to compare with yet."
    base = fed[-1]
    assert base.fed_back_share is not None
    when = (
        f"week of {day_label(week.week_of)}"
        if base.week_of == week.week_of
        else f"retention week of {day_label(week.week_of)}, fed back week of {day_label(base.week_of)}"
    )
    line = f"{kept} vs fed back {base.fed_back_share:.2f} ({plural(base.fed_back_sets, 'set')}) target share ({when})"
    ratio = week.retention_share / base.fed_back_share if base.fed_back_share > 0 else 1.0
    if ratio >= RETENTION_HELD:
        return f"{line}: it held without feedback, the connection is learned."
    return f"{line}: {ratio * 100:.0f} % of it held without feedback; keep the feedback a while longer."


@dataclass(frozen=True, slots=True)
class JudgedSet:
    """One completed set whose reps were judged: its day, its reps (if logged) and how many were perfect."""

    day: dt.date
    reps: int | None
    perfect_reps: int


@dataclass(frozen=True, slots=True)
class PerfectRepGoal:
    """+2 perfect reps in a set within two weeks, capped at the reps the drill's sets have."""

    set_on: dt.date
    baseline: int
    target: int
    by: dt.date
    reach: int | None
    """Reps in the sets the goal was set on: no goal asks for more perfect reps than that."""
    best_since: int | None = None
    """Best perfect reps in one set after the goal was set (None: no set since)."""
    last_met: tuple[int, dt.date] | None = None
    """The goal before this one, when it was met: (its target, the day it was met)."""

    @property
    def every_rep(self) -> bool:
        """Every rep of the drill was already perfect when the goal was set: the next step is load, not reps."""
        return self.reach is not None and self.baseline >= self.reach

    def describe(self, today: dt.date) -> str:
        """The goal in one line; ``today`` only says whether an open goal is missed."""
        met = f"Goal of {self.last_met[0]} met on {day_label(self.last_met[1])}. " if self.last_met else ""
        of = f" of {self.reach}" if self.reach is not None else ""
        if self.every_rep:
            return f"{met}Perfect reps: all {self.baseline}{of} on {day_label(self.set_on)}: keep them perfect, add load."
        start = f"{met}Perfect reps: {self.baseline}{of} on {day_label(self.set_on)}"
        best = "no set since" if self.best_since is None else f"best since {self.best_since}"
        if today > self.by:
            return f"{start}; goal {self.target} by {day_label(self.by)} missed ({best}): a new goal starts next session."
        return f"{start} → aim for {self.target} by {day_label(self.by)} ({best})."


def _goal_from(day: dt.date, sets: Sequence[JudgedSet]) -> PerfectRepGoal:
    best = max(s.perfect_reps for s in sets)
    reps = [s.reps for s in sets if s.reps is not None]
    reach = max(reps) if reps else None
    target = best + PERFECT_REP_STEP if reach is None else min(best + PERFECT_REP_STEP, reach)
    return PerfectRepGoal(day, best, max(target, best), day + dt.timedelta(weeks=PERFECT_REP_WEEKS), reach)


def perfect_rep_goal(sets: Iterable[JudgedSet], today: dt.date) -> PerfectRepGoal | None:
    """The goal standing on ``today``, walked forward from the first judged session (None: nothing judged yet).

    A goal is set from a session's best set; later sessions up to its date
    either meet it (the next goal is set from that session) or not; the first
    session after an unmet goal's date sets the next one.
    """
    judged = sorted((s for s in sets if s.day <= today), key=lambda s: s.day)
    goal: PerfectRepGoal | None = None
    for day, group in itertools.groupby(judged, key=lambda s: s.day):
        day_sets = list(group)
        if goal is None or goal.every_rep or day > goal.by:
            goal = _goal_from(day, day_sets)
            continue
        best = max(s.perfect_reps for s in day_sets)
        since = best if goal.best_since is None else max(goal.best_since, best)
        if since >= goal.target:
            fresh = _goal_from(day, day_sets)
            goal = PerfectRepGoal(fresh.set_on, fresh.baseline, fresh.target, fresh.by, fresh.reach, last_met=(goal.target, day))
            continue
        goal = PerfectRepGoal(goal.set_on, goal.baseline, goal.target, goal.by, goal.reach, since, goal.last_met)
    return goal
