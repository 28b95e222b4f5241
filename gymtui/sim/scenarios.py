"""Named, scripted sessions for ``gymtui simulate`` and the tests' ground truth.

A scenario is a list of muscles, an athlete profile, optional artefacts and
a timeline of segments. A segment either hands a phase intent to the
:class:`~gymtui.sim.athlete.SimulatedAthlete` (who brings rhythm, wobble and
habits) or scripts the force exactly (a ramp or a hold, in fractions of
MVC), which the tests need for a clean ground truth. ``seconds`` stretches
or squeezes the whole timeline (and its artefacts) proportionally.

Every scenario is streamed block by block with bounded memory
(:func:`stream_scenario`); :func:`run_scenario` collects a whole run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from gymtui.model import MuscleRole, PhaseKind
from gymtui.sim.artefacts import ArtefactPlan, LiftOff, MotionArtefact, Window
from gymtui.sim.athlete import (
    CURL_CO_CONTRACTOR,
    LAT_PULLDOWN_COMPENSATOR,
    AthleteProfile,
    SimulatedAthlete,
)
from gymtui.sim.pool import PoolParams
from gymtui.sim.surface import (
    BlockTruth,
    MedianFrequencyTrack,
    MotorUnitPhysiology,
    MuscleSpec,
)

ROLE_FORCE_SHARE = {
    MuscleRole.TARGET: 1.0,
    MuscleRole.SYNERGIST: 0.6,
    MuscleRole.ANTAGONIST: 0.1,
    MuscleRole.OTHER: 0.3,
}
"""In a scripted segment, each muscle's force as a fraction of the target's."""

MF_BAND_HZ = (20.0, 450.0)


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of a scenario.

    With ``intent`` the athlete follows that cue at ``effort``; with
    ``force`` = (from, to) the target's force is scripted linearly between
    the two (fractions of MVC) and the others follow :data:`ROLE_FORCE_SHARE`.
    ``focus`` changes the athlete's focus from this segment on; ``muscle_scale``
    multiplies the drive per muscle (an isolation exercise works only some).
    """

    name: str
    duration_s: float
    intent: PhaseKind | None = PhaseKind.REST
    effort: float = 1.0
    force: tuple[float, float] | None = None
    focus: float | None = None
    muscle_scale: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    muscles: tuple[MuscleSpec, ...]
    segments: tuple[Segment, ...]
    profile: AthleteProfile = field(default_factory=AthleteProfile)
    artefacts: ArtefactPlan | None = None
    compensation_from: str | None = None
    """The segment in which the athlete's bad habit (compensation or co-contraction) starts:
    the ground truth a form cue is timed against (None: the athlete moves well throughout)."""

    @property
    def natural_s(self) -> float:
        return sum(s.duration_s for s in self.segments)

    def compensation_start_s(self, seconds: float | None = None) -> float | None:
        """When the habit starts, on the scenario's clock (stretched to ``seconds`` like the timeline)."""
        for start_s, _end_s, seg in self.timeline(seconds):
            if seg.name == self.compensation_from:
                return start_s
        return None

    def timeline(self, seconds: float | None = None) -> list[tuple[float, float, Segment]]:
        """``(start_s, end_s, segment)`` for each segment, stretched to ``seconds`` in total."""
        scale = 1.0 if seconds is None else seconds / self.natural_s
        out, t = [], 0.0
        for seg in self.segments:
            out.append((t, t + seg.duration_s * scale, seg))
            t += seg.duration_s * scale
        return out

    def rest_instead(self, segment_name: str) -> Scenario:
        """The same scenario with one segment replaced by rest of the same length (a control run)."""
        if segment_name not in {s.name for s in self.segments}:
            raise KeyError(segment_name)
        segments = tuple(
            Segment(s.name, s.duration_s, PhaseKind.REST) if s.name == segment_name else s for s in self.segments
        )
        return dataclasses.replace(self, segments=segments)


def _muscles(*named: tuple[str, MuscleRole, float]) -> tuple[MuscleSpec, ...]:
    return tuple(MuscleSpec(name, role, PoolParams(mvc_rms_uv=mvc)) for name, role, mvc in named)


ELBOW_FLEXORS = _muscles(
    ("biceps brachii", MuscleRole.TARGET, 450.0),
    ("brachialis", MuscleRole.SYNERGIST, 300.0),
    ("brachioradialis", MuscleRole.SYNERGIST, 350.0),
    ("triceps brachii", MuscleRole.ANTAGONIST, 400.0),
)
LAT_PULLDOWN = _muscles(
    ("latissimus dorsi", MuscleRole.TARGET, 350.0),
    ("biceps brachii", MuscleRole.SYNERGIST, 450.0),
    ("posterior deltoid", MuscleRole.SYNERGIST, 300.0),
    ("triceps brachii", MuscleRole.ANTAGONIST, 400.0),
)
SQUAT = _muscles(
    ("vastus lateralis", MuscleRole.TARGET, 400.0),
    ("vastus medialis", MuscleRole.SYNERGIST, 380.0),
    ("gluteus maximus", MuscleRole.SYNERGIST, 250.0),
    ("biceps femoris", MuscleRole.ANTAGONIST, 300.0),
)

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "ramp",
            "Force ramps linearly from rest to 100 % MVC over 10 s (10 % MVC/s): recruitment and rate "
            "coding in order; by the top the pool has tired a little, so drive reaches 1 just short of the fresh maximum.",
            ELBOW_FLEXORS,
            (Segment("rest", 1.0), Segment("ramp", 10.0, None, force=(0.0, 1.0))),
        ),
        Scenario(
            "isometric-hold",
            "A 60 s hold at 50 % MVC: conduction velocity falls, the median frequency with it, "
            "and drive and recruitment rise to hold the force.",
            ELBOW_FLEXORS,
            (
                Segment("rest", 1.0),
                Segment("rise", 0.5, None, force=(0.0, 0.5)),
                Segment("hold", 60.0, None, force=(0.5, 0.5)),
            ),
        ),
        Scenario(
            "pulldown-compensation",
            "Lat pulldown by an athlete who lets biceps and rear delts do the work; "
            "an MVC first, then 15 s of reps as usual, then 15 s of reps focused on the lats.",
            LAT_PULLDOWN,
            (
                Segment("mvc", 3.0, PhaseKind.CALIBRATION),
                Segment("rest", 5.0),
                Segment("reps-habitual", 15.0, PhaseKind.REPS, effort=0.8, focus=0.0),
                Segment("rest-2", 8.0),
                Segment("reps-focused", 15.0, PhaseKind.REPS, effort=0.8, focus=1.0),
            ),
            profile=LAT_PULLDOWN_COMPENSATOR,
            compensation_from="reps-habitual",
        ),
        Scenario(
            "pulldown-focused",
            "The same trainee after learning the lats: an MVC, then a set of 10 reps focused on the lats "
            "(focus cancels the compensation habit): no compensation cue should fire.",
            LAT_PULLDOWN,
            (
                Segment("mvc", 3.0, PhaseKind.CALIBRATION),
                Segment("rest", 5.0),
                Segment("reps-focused", 30.0, PhaseKind.REPS, effort=0.8, focus=1.0),
                Segment("rest-2", 2.0),
            ),
            profile=LAT_PULLDOWN_COMPENSATOR,
        ),
        Scenario(
            "pulldown-clean",
            "An athlete with no compensation habit (and no special focus): an MVC, then 10 ordinary lat "
            "pulldown reps; no compensation cue should fire.",
            LAT_PULLDOWN,
            (
                Segment("mvc", 3.0, PhaseKind.CALIBRATION),
                Segment("rest", 5.0),
                Segment("reps", 30.0, PhaseKind.REPS, effort=0.8),
                Segment("rest-2", 2.0),
            ),
        ),
        Scenario(
            "curl-cocontraction",
            "Biceps curls by a trainee who braces the triceps through every rep (antagonist drive as high "
            "as the biceps'): an MVC, then 15 s of reps.",
            ELBOW_FLEXORS,
            (
                Segment("mvc", 3.0, PhaseKind.CALIBRATION),
                Segment("rest", 5.0),
                Segment("reps", 15.0, PhaseKind.REPS, effort=0.8),
                Segment("rest-2", 2.0),
            ),
            profile=CURL_CO_CONTRACTOR,
            compensation_from="reps",
        ),
        Scenario(
            "curl-clean",
            "The same curls with a quiet triceps (the phase's ordinary antagonist drive): the control for "
            "curl-cocontraction.",
            ELBOW_FLEXORS,
            (
                Segment("mvc", 3.0, PhaseKind.CALIBRATION),
                Segment("rest", 5.0),
                Segment("reps", 15.0, PhaseKind.REPS, effort=0.8),
                Segment("rest-2", 2.0),
            ),
        ),
        Scenario(
            "prefatigue-then-compound",
            "Squats fresh, then leg extensions to near failure (quadriceps only), then the same squats "
            "again: the fatigued low-threshold units force recruitment of higher-threshold ones.",
            SQUAT,
            (
                Segment("rest", 1.0),
                Segment("compound-fresh", 12.0, PhaseKind.REPS, effort=0.7),
                Segment("rest-2", 10.0),
                Segment("pre-fatigue", 25.0, PhaseKind.REPS, effort=1.1, muscle_scale=(1.0, 1.0, 0.1, 0.6)),
                Segment("rest-3", 5.0),
                Segment("compound-prefatigued", 12.0, PhaseKind.REPS, effort=0.7),
            ),
        ),
        Scenario(
            "artefacts",
            "Holds with the floor's artefacts: 50 Hz hum throughout, a motion artefact, "
            "electrode lift-off on channel 3, clipping at ±2 mV and packet gaps.",
            ELBOW_FLEXORS,
            (
                Segment("rest", 1.0),
                Segment("activation", 3.0, PhaseKind.ACTIVATION),
                Segment("rest-2", 1.0),
                Segment("isometric", 6.0, PhaseKind.ISOMETRIC),
                Segment("rest-3", 1.0),
            ),
            artefacts=ArtefactPlan(
                mains_hz=50.0,
                mains_uv=25.0,
                motion=(MotionArtefact(Window(2.0, 0.8), amplitude_uv=4000.0, frequency_hz=3.0),),
                lift_off=(LiftOff(2, Window(6.0, 1.5)),),
                clip_uv=2000.0,
                gaps=(Window(8.0, 0.06), Window(9.0, 0.03), Window(10.0, 0.1)),
            ),
        ),
    )
}


def _scaled_plan(plan: ArtefactPlan, factor: float) -> ArtefactPlan:
    def win(w: Window) -> Window:
        return Window(w.start_s * factor, w.duration_s * factor)

    return dataclasses.replace(
        plan,
        motion=tuple(dataclasses.replace(m, window=win(m.window)) for m in plan.motion),
        lift_off=tuple(dataclasses.replace(l, window=win(l.window)) for l in plan.lift_off),
        gaps=tuple(win(g) for g in plan.gaps),
    )


@dataclass(frozen=True, slots=True)
class ScenarioBlock:
    """One streamed block: sample times, the signal and the model's truth, at the output rate."""

    t_s: np.ndarray  # (n,)
    uv: np.ndarray  # (n, n_muscles) float32
    truth: BlockTruth
    segment: str


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    """A whole run, every sample (gaps included, with ``truth.delivered`` False)."""

    scenario: Scenario
    rate_hz: float
    t_s: np.ndarray
    uv: np.ndarray
    drive: np.ndarray
    force: np.ndarray
    active_units: np.ndarray
    delivered: np.ndarray
    segments: list[tuple[float, float, Segment]]
    mf_track: MedianFrequencyTrack | None

    def window(self, segment_name: str) -> slice:
        """Sample slice of the named segment."""
        for start_s, end_s, seg in self.segments:
            if seg.name == segment_name:
                return slice(round(start_s * self.rate_hz), round(end_s * self.rate_hz))
        raise KeyError(segment_name)


def column_key(muscle: str) -> str:
    """CSV column stem for a muscle name: ``"biceps brachii"`` → ``"biceps_brachii"``."""
    return "_".join(muscle.lower().replace("-", " ").split())


def build(
    scenario: Scenario, rate_hz: float, seed: int, *, seconds: float | None = None, track_mf: bool = False
) -> tuple[MotorUnitPhysiology, SimulatedAthlete]:
    """The scenario's physiology (its muscles and artefacts) and athlete (its profile), seeded apart."""
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds:g}")
    seeds = np.random.SeedSequence(seed).generate_state(2)
    plan = scenario.artefacts
    if plan is not None and seconds is not None:
        plan = _scaled_plan(plan, seconds / scenario.natural_s)
    physiology = MotorUnitPhysiology(
        rate_hz,
        scenario.muscles,
        artefacts=plan,
        track_mf_band_hz=MF_BAND_HZ if track_mf else None,
        seed=int(seeds[0]),
    )
    athlete = SimulatedAthlete(
        tuple(m.role for m in scenario.muscles), rate_hz, profile=scenario.profile, seed=int(seeds[1])
    )
    return physiology, athlete


def stream_scenario(
    scenario: Scenario | str,
    *,
    rate_hz: float = 2000.0,
    seconds: float | None = None,
    seed: int = 0,
    block_s: float = 0.1,
) -> Iterator[ScenarioBlock]:
    """Render ``scenario`` block by block (at most ``block_s`` each; segments start on a block)."""
    scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
    physiology, athlete = build(scenario, rate_hz, seed, seconds=seconds)
    return _render(scenario, physiology, athlete, seconds, block_s)


def _render(
    scenario: Scenario,
    physiology: MotorUnitPhysiology,
    athlete: SimulatedAthlete,
    seconds: float | None,
    block_s: float,
) -> Iterator[ScenarioBlock]:
    rate_hz = physiology.rate_hz
    block_n = max(1, round(block_s * rate_hz))
    roles = [m.role for m in scenario.muscles]
    share = np.array([ROLE_FORCE_SHARE[r] for r in roles])
    for start_s, end_s, seg in scenario.timeline(seconds):
        seg_start, seg_end = round(start_s * rate_hz), round(end_s * rate_hz)
        if seg.focus is not None:
            athlete.focus = seg.focus
        if seg.intent is not None:
            athlete.set_intent(seg.intent, seg.effort)
        scale = np.ones(len(roles)) if seg.muscle_scale is None else np.asarray(seg.muscle_scale)
        for b0 in range(seg_start, seg_end, block_n):
            b1 = min(seg_end, b0 + block_n)
            if seg.force is not None:
                frac = (np.arange(b0, b1) - seg_start + 1) / max(1, seg_end - seg_start)
                target_force = seg.force[0] + (seg.force[1] - seg.force[0]) * frac
                drive = np.stack(
                    [pool.fresh_drive_for_force(target_force * s) for pool, s in zip(physiology.pools, share)], axis=1
                )
                athlete.drive(b1 - b0)  # the athlete's own clock runs on
            else:
                drive = athlete.drive(b1 - b0)
            uv = physiology.render(np.clip(drive * scale, 0.0, 1.0))
            assert physiology.truth is not None  # render() has just set it
            yield ScenarioBlock(np.arange(b0, b1) / rate_hz, uv, physiology.truth, seg.name)


def run_scenario(
    scenario: Scenario | str,
    *,
    rate_hz: float = 2000.0,
    seconds: float | None = None,
    seed: int = 0,
    block_s: float = 0.1,
    track_mf: bool = False,
) -> ScenarioRun:
    """A whole scenario in memory, with the model's truth and (optionally) its median-frequency track."""
    scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
    physiology, athlete = build(scenario, rate_hz, seed, seconds=seconds, track_mf=track_mf)
    blocks = list(_render(scenario, physiology, athlete, seconds, block_s))
    cat = np.concatenate
    return ScenarioRun(
        scenario,
        float(rate_hz),
        cat([b.t_s for b in blocks]),
        cat([b.uv for b in blocks]),
        cat([b.truth.drive for b in blocks]),
        cat([b.truth.force for b in blocks]),
        cat([b.truth.active_units for b in blocks]),
        cat([b.truth.delivered for b in blocks]),
        scenario.timeline(seconds),
        physiology.median_frequency_track() if track_mf else None,
    )


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}") from None


def csv_header(scenario: Scenario) -> list[str]:
    header = ["t_s"]
    for m in scenario.muscles:
        key = column_key(m.name)
        header += [f"{key}_uv", f"{key}_drive", f"{key}_force", f"{key}_active_units"]
    return header


def block_rows(block: ScenarioBlock) -> np.ndarray:
    """The block's CSV rows (delivered samples only): t_s, then uv, drive, force, units per muscle."""
    n_muscles = block.uv.shape[1]
    cols = [block.t_s[:, None]]
    for m in range(n_muscles):
        cols += [
            block.uv[:, m : m + 1].astype(np.float64),
            block.truth.drive[:, m : m + 1],
            block.truth.force[:, m : m + 1],
            block.truth.active_units[:, m : m + 1].astype(np.float64),
        ]
    rows = np.hstack(cols)
    result: np.ndarray = rows[block.truth.delivered]
    return result


def csv_formats(n_muscles: int) -> list[str]:
    return ["%.6f"] + ["%.3f", "%.5f", "%.5f", "%d"] * n_muscles
