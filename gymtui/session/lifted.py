"""What was lifted: a set's load, reps and reps in reserve as the athlete confirms them.

The plan suggests; what was lifted is the truth every later number (e1RM,
loads, autoregulation, history) is computed from. After a set the rating
screen shows a :class:`LiftedDraft` pre-filled from the plan (the load) and
the sensor (the reps it segmented, else the planned reps). The athlete steps
the load by the gym's smallest plate pair, the reps by one and the reps in
reserve through 0–5; whatever they did not change keeps its source. Loads
are shown and stepped in the gym's unit and stored in kilograms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from gymtui.session.loads import DEFAULT_GYM, GymConfig

Source = Literal["entered", "emg", "planned"]
"""Where a stored number came from: typed by the athlete, counted from the EMG, or the plan's."""

SOURCES: tuple[Source, ...] = ("entered", "emg", "planned")
RIR_MAX = 5
"""Reps in reserve run 0–5: beyond five the guess is worthless (and no set here is that easy)."""
MAX_REPS = 100
"""More reps than any set of the plan asks for (BFR's 30 is the most)."""
MAX_LOAD_KG = 700.0
"""Above any barbell record: a held-down key stops here."""
UNLOADED = frozenset({"bodyweight", "band"})
"""Equipment whose sets ask for no load."""


def asks_load(equipment: str) -> bool:
    """Whether a working set on this equipment asks what load was on it."""
    return equipment not in UNLOADED


@dataclass(frozen=True, slots=True)
class Lifted:
    """What the set row stores: each number with where it came from."""

    load_kg: float | None
    load_source: Source | None
    reps: int | None
    reps_source: Source | None
    rir: int | None = None
    rir_source: Source | None = None

    def __post_init__(self) -> None:
        for source in (self.load_source, self.reps_source, self.rir_source):
            if source is not None and source not in SOURCES:
                raise ValueError(f"a source is one of {', '.join(SOURCES)}, not {source!r}")
        if self.load_kg is not None and not 0 <= self.load_kg <= MAX_LOAD_KG:
            raise ValueError(f"a load is 0–{MAX_LOAD_KG:g} kg, not {self.load_kg}")
        if self.reps is not None and not 0 <= self.reps <= MAX_REPS:
            raise ValueError(f"reps are 0–{MAX_REPS}, not {self.reps}")
        if self.rir is not None and not 0 <= self.rir <= RIR_MAX:
            raise ValueError(f"reps in reserve are 0–{RIR_MAX}, not {self.rir}")


@dataclass(frozen=True, slots=True)
class LiftedDraft:
    """The rating screen's load, reps and RIR: in the gym's unit, each with its source so far."""

    ask_load: bool
    load: float | None
    """In the gym's unit."""
    load_source: Source | None
    reps: int | None
    reps_source: Source | None
    rir: int | None = None
    step: float = 2.5
    """One load step in the gym's unit (the smallest plate pair)."""
    gym: GymConfig = DEFAULT_GYM
    planned_kg: float | None = None
    """The planned load in kg exactly (so an unchanged pound load stores the plan's kg, not a round trip)."""

    def load_by(self, steps: int) -> LiftedDraft:
        """``steps`` plate pairs heavier (negative: lighter), never below zero."""
        if not self.ask_load:
            return self
        start = self.load if self.load is not None else 0.0
        top = self.gym.to_unit(MAX_LOAD_KG)
        new = min(top, max(0.0, round(start + steps * self.step, 3)))
        return replace(self, load=new, load_source="entered")

    def reps_by(self, steps: int) -> LiftedDraft:
        new = min(MAX_REPS, max(0, (self.reps or 0) + steps))
        return replace(self, reps=new, reps_source="entered")

    def rir_by(self, steps: int) -> LiftedDraft:
        """Reps in reserve up or down: from "not given" the first step is 0 up (5 down)."""
        if self.rir is None:
            new = 0 if steps > 0 else RIR_MAX
        else:
            new = min(RIR_MAX, max(0, self.rir + steps))
        return replace(self, rir=new)

    def with_counted_reps(self, reps: int) -> LiftedDraft:
        """The sensor's rep count, unless the athlete already typed theirs."""
        if self.reps_source == "entered" or reps < 1:
            return self
        return replace(self, reps=min(reps, MAX_REPS), reps_source="emg")

    def lifted(self) -> Lifted:
        """What to store (kilograms; an unchanged planned load exactly as planned)."""
        load_kg: float | None = None
        if self.ask_load and self.load is not None and self.load_source is not None:
            same = self.load_source != "entered" and self.planned_kg is not None
            load_kg = self.planned_kg if same else self.gym.to_kg(self.load)
        return Lifted(
            load_kg,
            self.load_source if load_kg is not None else None,
            self.reps,
            self.reps_source if self.reps is not None else None,
            self.rir,
            "entered" if self.rir is not None else None,
        )

    def load_text(self) -> str:
        return "–" if self.load is None else f"{self.load:g} {self.gym.unit}"

    def reps_text(self) -> str:
        return "–" if self.reps is None else str(self.reps)

    def rir_text(self) -> str:
        return "not given" if self.rir is None else str(self.rir)


def draft_for(
    load_kg: float | None,
    reps: int | None,
    equipment: str,
    gym: GymConfig = DEFAULT_GYM,
    *,
    counted_reps: int | None = None,
    load_source: Source = "planned",
) -> LiftedDraft:
    """The draft a set's rating screen starts from: the set's load; counted reps, else planned reps.

    ``load_source`` says where the set's load came from (``entered`` when
    the athlete typed it before the set). With no load (nothing logged
    yet), a barbell starts at the empty bar.
    """
    ask = asks_load(equipment)
    load: float | None = None
    source: Source | None = None
    if ask and load_kg is not None:
        load, source = gym.to_unit(load_kg), load_source
    elif ask:
        load, source = gym.to_unit(gym.bar_kg if equipment == "barbell" else 0.0), None
    draft = LiftedDraft(
        ask, load, source, reps, "planned" if reps is not None else None,
        step=gym.to_unit(gym.step_kg(equipment)), gym=gym, planned_kg=load_kg,
    )
    if counted_reps:
        draft = draft.with_counted_reps(counted_reps)
    return draft
