"""Autoregulation from EMG: the guide's 80 % rule, measured instead of felt.

Phase 3 says: "If you feel the target muscle working less than 80 % of the
effort, reduce the load." After every heavy compound set the app compares
the set's EMG summary with a reference for the same exercise:

* ``target_share`` (the target muscle's fraction of the summed activation)
  below 80 % of the reference share, or
* ``peak_pct_mvc`` below 80 % of the reference peak (or of the set's own
  planned ``target_pct_mvc``), or
* the athlete's own 1–10 activation rating below 8 (their "less than 80 %").

The reference is the best set of this exercise earlier in the session, or,
for the first set, the mean of the last session's sets. When the rule fires
the prompt names the rule that fired and the numbers, and offers the next
set *of the same exercise* 10 % lighter than what was lifted, rounded to the
gym's plates (the guide: "if your load drops by 10 % but your activation
scores increase, that is progress"); a bodyweight movement is offered fewer
reps instead. Every suggestion is stored with whether the athlete took it
and the set it changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gymtui.model import PhaseKind
from gymtui.session.loads import DEFAULT_GYM, GymConfig, round_load, show_load

if TYPE_CHECKING:
    from gymtui.session.templates import PlannedSet

RULE_FRACTION = 0.8
REDUCTION = 0.10
RATING_FLOOR = 8


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str  # "reduce_load" | "reduce_reps"
    reason: str
    """The rule that fired, with its numbers (``You rated it 6/10 (below 8)``)."""
    from_kg: float | None
    to_kg: float | None
    to_reps: int | None = None
    id: int | None = None
    exercise: str = ""
    """The exercise whose next set the suggestion changes (and no other)."""
    after_set_number: int = 0
    """The set it was made after: it applies to a later set of the same exercise."""
    from_reps: int | None = None
    unit: str = "kg"

    def prompt(self) -> str:
        which = f"Next {self.exercise} set" if self.exercise else "Next set"
        if self.kind == "reduce_load" and self.to_kg is not None and self.from_kg is not None:
            offer = (
                f"{which} {show_load(self.to_kg, self.unit)} instead of "
                f"{show_load(self.from_kg, self.unit)} ({_pct(REDUCTION)} lighter)? (y / n)"
            )
        else:
            was = f" instead of {self.from_reps}" if self.from_reps else ""
            offer = f"{which} {self.to_reps} reps{was}? (y / n)"
        return f"80 % rule: {self.reason}.\n{offer}"

    def applies_to(self, planned: PlannedSet) -> bool:
        """Only a later set of the same exercise takes the suggestion (never the next set whatever it is)."""
        return planned.exercise == self.exercise and planned.set_number > self.after_set_number


@dataclass(frozen=True, slots=True)
class Reference:
    target_share: float | None = None
    peak_pct_mvc: float | None = None


def _pct(fraction: float) -> str:
    """0.8 → ``80 %`` (the guide's spelling)."""
    return f"{fraction * 100:.0f} %"


def _num(summary: dict[str, Any], key: str) -> float | None:
    value = summary.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_80_rule(summary: dict[str, Any], reference: Reference, planned_pct_mvc: float | None = None, rating: int | None = None) -> list[str]:
    """The rules that fire for this set, each with its numbers (empty: none does)."""
    reasons = []
    share, peak = _num(summary, "target_share"), _num(summary, "peak_pct_mvc")
    if share is not None and reference.target_share:
        ratio = share / reference.target_share
        if ratio < RULE_FRACTION:
            reasons.append(
                f"target share {_pct(share)} is {_pct(ratio)} of your reference {_pct(reference.target_share)} "
                f"(below {_pct(RULE_FRACTION)})"
            )
    peak_ref = reference.peak_pct_mvc or planned_pct_mvc
    if peak is not None and peak_ref:
        ratio = peak / peak_ref
        if ratio < RULE_FRACTION:
            against = "your reference" if reference.peak_pct_mvc else "the set target"
            reasons.append(
                f"peak {peak:.0f} % MVC is {_pct(ratio)} of {against} {peak_ref:.0f} % MVC (below {_pct(RULE_FRACTION)})"
            )
    if rating is not None and rating < RATING_FLOOR:
        reasons.append(f"you rated it {rating}/10 (below {RATING_FLOOR})")
    return reasons


def suggest_after_set(
    planned: PlannedSet,
    summary: dict[str, Any],
    reference: Reference,
    *,
    rating: int | None = None,
    gym: GymConfig = DEFAULT_GYM,
    lifted_kg: float | None = None,
    lifted_reps: int | None = None,
) -> Suggestion | None:
    """A lighter next set of this exercise when a Phase 3 set fails the 80 % rule; None otherwise.

    "Lighter" is 10 % off what was lifted (``lifted_kg``; the plan's load
    when nothing was entered), on the gym's plates.
    """
    if not planned.is_heavy:
        return None
    targets = [p.target_pct_mvc for p in planned.protocol.phases if p.target_pct_mvc]
    reasons = check_80_rule(summary, reference, targets[0] if targets else None, rating)
    if not reasons:
        return None
    reason = "; ".join(reasons)
    reason = reason[0].upper() + reason[1:]
    load_kg = lifted_kg if lifted_kg is not None else planned.load_kg
    if load_kg is not None and load_kg > 0:
        lighter = round_load(load_kg * (1 - REDUCTION), planned.equipment, gym)
        if lighter.kg < load_kg:
            return Suggestion(
                "reduce_load", reason, load_kg, lighter.kg,
                exercise=planned.exercise, after_set_number=planned.set_number, unit=gym.unit,
            )
    done = lifted_reps or planned.reps or 6
    return Suggestion(
        "reduce_reps", reason, load_kg, load_kg, max(1, done - 2),
        exercise=planned.exercise, after_set_number=planned.set_number, from_reps=done, unit=gym.unit,
    )


def reference_from(rows: Sequence[Mapping[str, Any]]) -> Reference:
    """The first heavy set's reference: the mean share and peak of the last earlier day's sets (``Store.last_session_sets``)."""
    shares = [r["target_share"] for r in rows if r.get("target_share") is not None]
    peaks = [r["peak_pct_mvc"] for r in rows if r.get("peak_pct_mvc") is not None]
    return Reference(sum(shares) / len(shares) if shares else None, sum(peaks) / len(peaks) if peaks else None)


def best_reference(old: Reference, summary: dict[str, Any]) -> Reference:
    """The session's best share and peak so far, with this set's summary counted in."""

    def best(a: float | None, b: float | None) -> float | None:
        values = [v for v in (a, b) if v is not None]
        return max(values) if values else None

    return Reference(
        best(old.target_share, _num(summary, "target_share")),
        best(old.peak_pct_mvc, _num(summary, "peak_pct_mvc")),
    )


def apply(next_set: PlannedSet, suggestion: Suggestion, gym: GymConfig = DEFAULT_GYM) -> PlannedSet:
    """The next set of the same exercise as the suggestion would have it (only if the athlete took it).

    Fewer reps change the set's reps *and* the cue of its reps phase, so the
    header and the cue say the same number.
    """
    if not suggestion.applies_to(next_set):
        raise ValueError(f"a suggestion for {suggestion.exercise!r} does not apply to {next_set.exercise!r} set {next_set.set_number}")
    if suggestion.kind == "reduce_load" and suggestion.to_kg is not None:
        return replace(next_set, load=round_load(suggestion.to_kg, next_set.equipment, gym), note="lighter: 80 % rule")
    reps = suggestion.to_reps or next_set.reps
    phases = tuple(
        replace(p, cue=_with_reps(p.cue, next_set.reps, reps)) if p.kind is PhaseKind.REPS else p
        for p in next_set.protocol.phases
    )
    return replace(next_set, reps=reps, protocol=replace(next_set.protocol, phases=phases), note="fewer reps: 80 % rule")


def _with_reps(cue: str, old: int | None, new: int | None) -> str:
    """A reps phase's cue (``6 reps · tempo``) saying the new count."""
    if old is not None and new is not None and cue.startswith(f"{old} reps"):
        return f"{new} reps" + cue[len(f"{old} reps"):]
    return cue
