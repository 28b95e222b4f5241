"""Find it: ramp-up sets of 5 until the bar slows, for an exercise with nothing logged.

Instead of guessing a working weight the athlete can find it: sets of five
from the empty bar (or the lightest step), each one heavier, until they say
the bar slowed. Every ramp-up set is stored like any set (load and reps,
``workflow_phase = 'rampup'``), so once the bar slows the Epley 1RM of those
sets gives the planned sets their loads. The jumps shrink as the load grows
(a quarter more, at least 10 kg on a barbell) so the last step is not a leap.
"""

from __future__ import annotations

from dataclasses import replace

from gymtui.model import PhaseKind
from gymtui.session.loads import DEFAULT_GYM, GymConfig, round_load
from gymtui.session.templates import PlannedSet, WorkflowPhase

RAMP_REPS = 5
"""The guide's ramp: sets of five."""
RAMP_GROWTH = 0.25
"""Each set a quarter heavier than the last..."""
RAMP_MIN_STEPS = 2
"""...but never less than two load steps (plate pairs) more..."""
RAMP_MIN_BAR_JUMP_KG = 10.0
"""...and on a barbell at least 10 kg, so the empty bar is not followed by a dozen tiny steps."""
RAMP_REST_S = 60.0
"""Rest between ramp-up sets: enough to load the plates, not a working set's rest."""


def first_ramp_kg(equipment: str, gym: GymConfig = DEFAULT_GYM) -> float:
    """The first ramp-up load: the empty bar, or the first step of a machine, cable or dumbbell."""
    if equipment == "barbell":
        return gym.bar_kg
    return gym.step_kg(equipment)


def next_ramp_kg(load_kg: float, equipment: str, gym: GymConfig = DEFAULT_GYM) -> float:
    """The next ramp-up load after ``load_kg``, on the gym's plates."""
    jump = max(RAMP_MIN_STEPS * gym.step_kg(equipment), RAMP_MIN_BAR_JUMP_KG if equipment == "barbell" else 0.0)
    wanted = max(load_kg * (1 + RAMP_GROWTH), load_kg + jump)
    return round_load(wanted, equipment, gym).kg


def ramp_set(planned: PlannedSet, load_kg: float, number: int, gym: GymConfig = DEFAULT_GYM) -> PlannedSet:
    """Ramp-up set ``number`` for ``planned``'s exercise: five reps at ``load_kg``, no rest to speak of."""
    phases = tuple(
        replace(p, cue=f"{RAMP_REPS} reps · ramp-up: Space when racked, then say if the bar slowed")
        if p.kind is PhaseKind.REPS
        else replace(p, duration_s=min(p.duration_s, RAMP_REST_S)) if p.kind is PhaseKind.REST and p.duration_s is not None
        else p
        for p in planned.protocol.phases
    )
    return replace(
        planned,
        protocol=replace(planned.protocol, phases=phases, name=f"Ramp-up: {planned.exercise}"),
        workflow_phase=WorkflowPhase.RAMP_UP,
        set_number=number,
        of_sets=number,
        reps=RAMP_REPS,
        pct_1rm=None,
        load=round_load(load_kg, planned.equipment, gym),
        rir=None,
        note="find it: ramp-up set",
    )
