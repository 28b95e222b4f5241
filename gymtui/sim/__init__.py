"""The physiological EMG simulator and the simulated devices.

For the demo sensor::

    physiology, athlete = demo_physiology(channels, rate_hz=1000.0, seed=0)
    source = DemoEmgSource(channels, rate_hz=1000.0, physiology=physiology, athlete=athlete)

Motor-unit pools (:mod:`gymtui.sim.pool`) render surface EMG
(:mod:`gymtui.sim.surface`) from the drive of a simulated athlete
(:mod:`gymtui.sim.athlete`); :mod:`gymtui.sim.scenarios` scripts whole
sessions for ``gymtui simulate`` and the tests.

The simulated BFR cuff lives here too: its physics and firmware
(:mod:`gymtui.sim.cuff`), the :class:`~gymtui.device_api.Cuff` the demo
uses (:mod:`gymtui.sim.simulated_cuff`), and the supervisor in closed loop
with it on a fake clock (:mod:`gymtui.sim.cuff_loop`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gymtui.model import ChannelInfo, MuscleRole
from gymtui.sim.artefacts import ArtefactPlan
from gymtui.sim.athlete import AthleteProfile, SimulatedAthlete
from gymtui.sim.pool import PoolParams
from gymtui.sim.surface import MotorUnitPhysiology, MuscleSpec

__all__ = ["AthleteProfile", "MotorUnitPhysiology", "MuscleSpec", "SimulatedAthlete", "demo_physiology"]

MuscleLike = ChannelInfo | MuscleSpec | MuscleRole | tuple[str, MuscleRole | str]


def _spec(item: MuscleLike, index: int, mvc_rms_uv: float, synchrony: float) -> MuscleSpec:
    params = PoolParams(mvc_rms_uv=mvc_rms_uv, synchrony=synchrony)
    if isinstance(item, MuscleSpec):
        return item
    if isinstance(item, ChannelInfo):
        return MuscleSpec(item.muscle, item.role, params)
    if isinstance(item, MuscleRole):
        return MuscleSpec(f"muscle {index + 1}", item, params)
    name, role = item
    return MuscleSpec(name, MuscleRole(role), params)


def demo_physiology(
    muscles: Sequence[MuscleLike],
    rate_hz: float = 1000.0,
    seed: int = 0,
    *,
    profile: AthleteProfile | None = None,
    mains_hz: float = 50.0,
    mains_uv: float = 3.0,
    synchrony: float = 0.0,
    artefacts: ArtefactPlan | None = None,
) -> tuple[MotorUnitPhysiology, SimulatedAthlete]:
    """A motor-unit physiology and the athlete who drives it, for the demo sensor.

    ``muscles``: the sensor's channels (``ChannelInfo``), or ``(name, role)``
    pairs, or bare roles. Each muscle's surface amplitude at MVC is drawn
    between 250 and 500 µV (electrode placement and tissue vary), a little
    mains hum is added, and the athlete's drive is a force intent: during
    an isometric the pool fatigues, the median frequency falls and the drive
    (and the envelope) creeps up to hold the force. ``synchrony`` (0–0.3)
    makes motor units fire together more, as in trained lifters: bigger,
    lower-frequency EMG for the same drive.
    """
    if not muscles:
        raise ValueError("at least one muscle is needed")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD3]))
    mvc = rng.uniform(250.0, 500.0, len(muscles))
    specs = [_spec(m, i, float(v), synchrony) for i, (m, v) in enumerate(zip(muscles, mvc))]
    plan = artefacts if artefacts is not None else ArtefactPlan(mains_hz=mains_hz, mains_uv=mains_uv)
    physiology = MotorUnitPhysiology(rate_hz, specs, artefacts=plan, seed=seed)
    athlete = SimulatedAthlete(tuple(s.role for s in specs), rate_hz, profile=profile, seed=seed + 1)
    return physiology, athlete
