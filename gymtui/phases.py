"""What each phase kind means to every layer: one row per :class:`~gymtui.model.PhaseKind`.

A new phase kind is a new ``PhaseKind`` member and a new row here; the BFR
supervisor, the simulated athlete and the signal metrics read this table
instead of keeping their own lists, and a test checks every kind has a row.
A kind without a row is treated as the safest thing it could be: the cuff
never inflates for it.

Pure values; imports only :mod:`gymtui.model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gymtui.model import MuscleRole, PhaseKind


@dataclass(frozen=True, slots=True)
class IntentDrive:
    """Goal drive per role for one phase intent (fractions of maximal drive), for the simulated athlete."""

    target: float
    synergist: float
    antagonist: float
    other: float
    wobble: float = 0.05  # relative slow fluctuation of effort

    def for_role(self, role: MuscleRole) -> float:
        return {
            MuscleRole.TARGET: self.target,
            MuscleRole.SYNERGIST: self.synergist,
            MuscleRole.ANTAGONIST: self.antagonist,
            MuscleRole.OTHER: self.other,
        }[role]


@dataclass(frozen=True, slots=True)
class PhaseTraits:
    """How one phase kind is treated.

    - ``label``: how the cuff log names it (``"isometric phase: 50 % of LOP"``).
    - ``is_work``: the athlete works against the load; the set's EMG summary
      and its work regions count it, and the quality monitor watches it as work.
    - ``is_rest``: the muscles are quiet; the onset detector and the quality
      monitor learn their baseline from it, and with rest-deflate on the
      cuff goes down for it.
    - ``may_occlude``: the BFR cuff may be up during it (a rest only with
      rest-deflate off).
    - ``drive``: what the simulated athlete does for it.
    - ``hold_metrics``: a sustained hold, so its median-frequency slope (a
      fatigue sign) is computed and reported for the set.
    """

    label: str
    is_work: bool
    is_rest: bool
    may_occlude: bool
    drive: IntentDrive
    hold_metrics: bool = False


PHASE_TRAITS: Mapping[PhaseKind, PhaseTraits] = MappingProxyType({
    PhaseKind.CALIBRATION: PhaseTraits(
        "MVC calibration", is_work=False, is_rest=False, may_occlude=False, drive=IntentDrive(1.0, 1.0, 1.0, 1.0, 0.02)
    ),
    PhaseKind.ACTIVATION: PhaseTraits(
        "activation phase", is_work=True, is_rest=False, may_occlude=True, drive=IntentDrive(0.55, 0.30, 0.08, 0.12)
    ),
    PhaseKind.ECCENTRIC: PhaseTraits(
        "eccentric phase", is_work=True, is_rest=False, may_occlude=True, drive=IntentDrive(0.45, 0.30, 0.10, 0.12, 0.10)
    ),
    PhaseKind.CONCENTRIC: PhaseTraits(
        "concentric phase", is_work=True, is_rest=False, may_occlude=True, drive=IntentDrive(0.60, 0.40, 0.10, 0.15, 0.10)
    ),
    PhaseKind.EXPLOSIVE: PhaseTraits(
        "explosive phase", is_work=True, is_rest=False, may_occlude=True, drive=IntentDrive(0.90, 0.60, 0.15, 0.20, 0.08)
    ),
    PhaseKind.ISOMETRIC: PhaseTraits(
        "isometric phase",
        is_work=True,
        is_rest=False,
        may_occlude=True,
        drive=IntentDrive(0.70, 0.40, 0.10, 0.15, 0.06),
        hold_metrics=True,
    ),
    PhaseKind.REPS: PhaseTraits(
        "reps phase", is_work=True, is_rest=False, may_occlude=True, drive=IntentDrive(0.60, 0.40, 0.10, 0.15, 0.25)
    ),
    PhaseKind.REST: PhaseTraits(
        "rest", is_work=False, is_rest=True, may_occlude=True, drive=IntentDrive(0.02, 0.02, 0.02, 0.02, 0.3)
    ),
})
"""One row per phase kind (``tests`` check that none is missing)."""


def traits_of(kind: PhaseKind | str, table: Mapping[PhaseKind, PhaseTraits] = PHASE_TRAITS) -> PhaseTraits | None:
    """The row for ``kind``, or None for a kind with no row (or a string that names no kind)."""
    if isinstance(kind, PhaseKind):
        return table.get(kind)
    try:
        return table.get(PhaseKind(kind))
    except ValueError:
        return None
