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
the next set is offered 10 % lighter, rounded to the gym's plates (the guide:
"if your load drops by 10 % but your activation scores increase, that is
progress"); a bodyweight movement is offered fewer reps instead. Every
suggestion is stored with whether the athlete took it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gymtui.session.loads import DEFAULT_GYM, GymConfig, round_load

if TYPE_CHECKING:
    from gymtui.session.templates import PlannedSet

RULE_FRACTION = 0.8
REDUCTION = 0.10
RATING_FLOOR = 8


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str  # "reduce_load" | "reduce_reps"
    reason: str
    from_kg: float | None
    to_kg: float | None
    to_reps: int | None = None
    id: int | None = None

    def prompt(self) -> str:
        if self.kind == "reduce_load" and self.to_kg is not None:
            return f"{self.reason}: next set {self.to_kg:g} kg instead of {self.from_kg:g}? (y / n)"
        return f"{self.reason}: next set {self.to_reps} reps? (y / n)"


@dataclass(frozen=True, slots=True)
class Reference:
    target_share: float | None = None
    peak_pct_mvc: float | None = None


def _num(summary: dict[str, Any], key: str) -> float | None:
    value = summary.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_80_rule(summary: dict[str, Any], reference: Reference, planned_pct_mvc: float | None = None, rating: int | None = None) -> list[str]:
    """The reasons the 80 % rule fires for this set (empty: it does not)."""
    reasons = []
    share, peak = _num(summary, "target_share"), _num(summary, "peak_pct_mvc")
    if share is not None and reference.target_share:
        ratio = share / reference.target_share
        if ratio < RULE_FRACTION:
            reasons.append(f"target share fell to {ratio:.0%} of your reference")
    peak_ref = reference.peak_pct_mvc or planned_pct_mvc
    if peak is not None and peak_ref:
        ratio = peak / peak_ref
        if ratio < RULE_FRACTION:
            reasons.append(f"target activation at {ratio:.0%} of {'your reference' if reference.peak_pct_mvc else 'the set target'}")
    if rating is not None and rating < RATING_FLOOR:
        reasons.append(f"you rated it {rating}/10")
    return reasons


def suggest_after_set(planned: PlannedSet, summary: dict[str, Any], reference: Reference, *, rating: int | None = None, gym: GymConfig = DEFAULT_GYM) -> Suggestion | None:
    """A lighter next set when a Phase 3 set fails the 80 % rule; None otherwise."""
    if not planned.is_heavy:
        return None
    targets = [p.target_pct_mvc for p in planned.protocol.phases if p.target_pct_mvc]
    reasons = check_80_rule(summary, reference, targets[0] if targets else None, rating)
    if not reasons:
        return None
    reason = "; ".join(reasons)
    reason = reason[0].upper() + reason[1:]
    if planned.load is not None and planned.load.kg > 0:
        lighter = round_load(planned.load.kg * (1 - REDUCTION), planned.equipment, gym)
        if lighter.kg < planned.load.kg:
            return Suggestion("reduce_load", reason, planned.load.kg, lighter.kg)
    reps = max(1, (planned.reps or 6) - 2)
    return Suggestion("reduce_reps", reason, planned.load_kg, planned.load_kg, reps)


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
    """The next set as the suggestion would have it (call only if the athlete took it)."""
    if suggestion.kind == "reduce_load" and suggestion.to_kg is not None:
        return replace(next_set, load=round_load(suggestion.to_kg, next_set.equipment, gym), note="lighter: 80 % rule")
    return replace(next_set, reps=suggestion.to_reps or next_set.reps, note="fewer reps: 80 % rule")
