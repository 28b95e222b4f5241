"""The live cue rules, frame by frame: dwell, hysteresis, blame, flags, phases."""

from __future__ import annotations

import numpy as np

from gymtui.model import (
    Compensator,
    FormCue,
    FormCueKind,
    FormRules,
    MuscleRole,
    PhaseKind,
)
from gymtui.signal.cues import CueMonitor

RATE_HZ = 100.0
FRAME = 10  # samples per frame: 0.1 s
ROLES = [MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST]
NAMES = ["Latissimus dorsi", "Biceps brachii", "Posterior deltoid", "Triceps brachii"]
RULES = FormRules(
    compensators=(Compensator("biceps brachii", "Hands as hooks, elbows to the pockets"),),
    correction="Pull with the back",
    dwell_s=0.3,
)


def feed(
    mon: CueMonitor,
    levels: list[tuple[float, float, float, float]],
    seconds: float,
    t0: float,
    phase: PhaseKind = PhaseKind.REPS,
    quality: tuple[tuple[str, ...], ...] = (),
) -> tuple[list[FormCue], float]:
    """Hold constant %MVC levels for ``seconds``; return (all new cues, the time after)."""
    fired: list[FormCue] = []
    n_frames = round(seconds * RATE_HZ / FRAME)
    t = t0
    for _ in range(n_frames):
        block = np.tile(np.asarray(levels, dtype=float), (FRAME, 1))
        t += FRAME / RATE_HZ
        fired += mon.update(block, t - 1 / RATE_HZ, quality, phase)
    return fired, t


def monitor(rules: FormRules = RULES) -> CueMonitor:
    return CueMonitor(ROLES, NAMES, rules, RATE_HZ)


GOOD = (60.0, 20.0, 20.0, 5.0)  # share 0.75
BICEPS = (40.0, 55.0, 15.0, 5.0)  # the biceps out-fires the lat
SHARE_ONLY = (35.0, 30.0, 60.0, 5.0)  # share 35/80 = 0.44; the biceps under the target, the delt loudest


def test_compensation_cue_waits_for_the_dwell_time() -> None:
    mon = monitor()
    fired, t = feed(mon, [GOOD], 1.0, 0.0)
    assert fired == []
    fired, t = feed(mon, [BICEPS], 0.2, t)
    assert fired == [] and mon.cue is None  # 0.2 s < dwell
    fired, t = feed(mon, [BICEPS], 0.5, t)
    assert len(fired) == 1
    cue = fired[0]
    assert cue.kind is FormCueKind.COMPENSATION
    assert cue.channel == 1 and cue.muscle == "Biceps brachii"
    assert cue.text == "Hands as hooks, elbows to the pockets"
    assert cue.value == 55.0
    # The condition began at the first sample after 1.0 s; it fires 0.3 s later.
    assert abs(cue.t_s - 1.3) < 0.011
    assert mon.cue == cue and mon.marked == (1,)


def test_a_broken_run_restarts_the_dwell() -> None:
    mon = monitor()
    _, t = feed(mon, [GOOD], 0.5, 0.0)
    for _ in range(4):  # 0.2 s on, 0.1 s off: never 0.3 s in a row
        fired, t = feed(mon, [BICEPS], 0.2, t)
        assert fired == []
        fired, t = feed(mon, [GOOD], 0.1, t)
        assert fired == []
    assert mon.cue is None


def test_share_cue_blames_the_target_with_the_exercise_correction() -> None:
    mon = monitor()
    _, t = feed(mon, [GOOD], 0.5, 0.0)
    fired, t = feed(mon, [SHARE_ONLY], 0.5, t)
    assert [(c.channel, c.text) for c in fired] == [(0, "Pull with the back")]
    assert abs(fired[0].value - 35 / (35 + 45)) < 1e-3
    assert abs(fired[0].t_s - 0.8) < 0.011


def test_share_cue_without_a_correction_names_the_target() -> None:
    mon = monitor(FormRules())
    _, t = feed(mon, [GOOD], 0.5, 0.0)
    fired, _ = feed(mon, [SHARE_ONLY], 0.5, t)
    assert [c.text for c in fired] == ["Let the latissimus dorsi lead the lift"]


def test_cue_clears_only_past_the_hysteresis() -> None:
    mon = monitor(FormRules(min_target_share=0.45, clear_target_share=0.55, dwell_s=0.3))
    _, t = feed(mon, [SHARE_ONLY], 0.5, 0.0)
    assert mon.cue is not None and mon.cue.channel == 0
    # Share 0.5: above the firing line, below the clearing line: the cue stays.
    fired, t = feed(mon, [(40.0, 40.0, 40.0, 5.0)], 1.0, t)
    assert fired == [] and mon.cue is not None
    # Share 0.6: past the clearing line: it clears, and nothing new fires.
    fired, t = feed(mon, [(60.0, 40.0, 40.0, 5.0)], 0.2, t)
    assert fired == [] and mon.cue is None and mon.marked == ()
    # A relapse must dwell again.
    fired, t = feed(mon, [SHARE_ONLY], 0.2, t)
    assert fired == []
    fired, t = feed(mon, [SHARE_ONLY], 0.2, t)
    assert len(fired) == 1 and mon.cues_fired == 2


def test_compensator_clears_only_when_it_backs_off_past_the_gap() -> None:
    mon = monitor(FormRules(compensators=RULES.compensators, min_target_share=0.3, clear_target_share=0.35, dwell_s=0.3))
    _, t = feed(mon, [BICEPS], 0.5, 0.0)
    assert mon.cue is not None and mon.cue.channel == 1
    _, t = feed(mon, [(50.0, 48.0, 10.0, 5.0)], 0.5, t)  # biceps just under the lat: inside the gap
    assert mon.cue is not None
    feed(mon, [(60.0, 30.0, 10.0, 5.0)], 0.1, t)  # well under: clears
    assert mon.cue is None


def test_rest_noise_never_cues() -> None:
    mon = monitor()
    # At rest the lat reads less than the arm: a share of 0.2, but nobody is working.
    fired, _ = feed(mon, [(2.0, 6.0, 5.0, 3.0)], 3.0, 0.0)
    assert fired == [] and mon.cue is None


def test_no_compensation_cue_outside_work_phases() -> None:
    mon = monitor()
    fired, t = feed(mon, [BICEPS], 2.0, 0.0, phase=PhaseKind.REST)
    assert fired == []
    fired, t = feed(mon, [BICEPS], 2.0, t, phase=PhaseKind.CALIBRATION)
    assert fired == []


def test_flagged_channel_never_cues() -> None:
    mon = monitor()
    flagged_biceps = ((), ("clipping",), (), ())
    fired, t = feed(mon, [(40.0, 90.0, 15.0, 5.0)], 2.0, 0.0, quality=flagged_biceps)
    # The biceps is flagged: neither its out-firing nor its share counts (share 40/55 = 0.73 without it).
    assert fired == []
    flagged_target = (("motion",), (), (), ())
    fired, t = feed(mon, [SHARE_ONLY], 2.0, t, quality=flagged_target)
    assert fired == []
    flagged_ant = ((), (), (), ("mains",))
    fired, t = feed(mon, [(60.0, 20.0, 20.0, 80.0)], 2.0, t, phase=PhaseKind.CONCENTRIC, quality=flagged_ant)
    assert fired == []


def test_a_showing_cue_is_withdrawn_when_its_channel_gets_flagged() -> None:
    mon = monitor()
    _, t = feed(mon, [BICEPS], 0.5, 0.0)
    assert mon.cue is not None
    feed(mon, [BICEPS], 0.1, t, quality=((), ("clipping",), (), ()))
    assert mon.cue is None


def test_co_contraction_cue_fires_in_a_lift_and_names_the_antagonist() -> None:
    mon = monitor()
    _, t = feed(mon, [GOOD], 0.5, 0.0, phase=PhaseKind.CONCENTRIC)
    fired, t = feed(mon, [(60.0, 20.0, 20.0, 45.0)], 0.5, t, phase=PhaseKind.CONCENTRIC)
    assert [(c.kind, c.channel, c.text, c.value) for c in fired] == [
        (FormCueKind.CO_CONTRACTION, 3, "Relax the triceps brachii", 45.0)
    ]
    assert abs(fired[0].t_s - 0.8) < 0.011
    assert mon.marked == (3,)
    # Below the clear level (15) it clears; between 15 and 20 it stays.
    feed(mon, [(60.0, 20.0, 20.0, 17.0)], 0.5, t, phase=PhaseKind.CONCENTRIC)
    assert mon.cue is not None
    feed(mon, [(60.0, 20.0, 20.0, 12.0)], 0.1, t + 0.5, phase=PhaseKind.CONCENTRIC)
    assert mon.cue is None


def test_co_contraction_uses_the_exercise_text() -> None:
    mon = monitor(FormRules(antagonist_correction="Let the back of the arm go soft"))
    fired, _ = feed(mon, [(60.0, 20.0, 20.0, 45.0)], 0.5, 0.0, phase=PhaseKind.ISOMETRIC)
    assert [c.text for c in fired] == ["Let the back of the arm go soft"]


def test_no_co_contraction_cue_in_the_eccentric() -> None:
    mon = monitor()
    fired, _ = feed(mon, [(60.0, 20.0, 20.0, 45.0)], 2.0, 0.0, phase=PhaseKind.ECCENTRIC)
    assert fired == []


def test_uncalibrated_channels_never_cue() -> None:
    mon = monitor()
    fired, _ = feed(mon, [(np.nan, np.nan, np.nan, np.nan)], 2.0, 0.0, phase=PhaseKind.CONCENTRIC)
    assert fired == [] and mon.cue is None


def test_cue_times_count_from_the_set_start_and_carry_the_rep() -> None:
    mon = CueMonitor(ROLES, NAMES, RULES, RATE_HZ, t0_s=100.0)
    t = 100.0
    fired: list[FormCue] = []
    for _ in range(10):
        block = np.tile(np.asarray(BICEPS), (FRAME, 1))
        t += FRAME / RATE_HZ
        fired += mon.update(block, t - 1 / RATE_HZ, (), PhaseKind.REPS, rep=3)
    assert [(c.rep, round(c.t_s, 2)) for c in fired] == [(3, 0.3)]


def test_one_correction_at_a_time_the_second_fires_when_the_first_clears() -> None:
    """A braced triceps during a biceps takeover waits: one banner, and every stored cue is one shown."""
    mon = monitor()
    fired, t = feed(mon, [BICEPS], 0.5, 0.0, phase=PhaseKind.CONCENTRIC)
    assert [c.kind for c in fired] == [FormCueKind.COMPENSATION]
    both = (40.0, 55.0, 15.0, 45.0)  # the biceps still out-fires the lat, and the triceps is on
    fired, t = feed(mon, [both], 1.0, t, phase=PhaseKind.CONCENTRIC)
    assert fired == [] and mon.cue is not None and mon.cue.kind is FormCueKind.COMPENSATION
    assert mon.marked == (1,)
    # The lat takes over again, the triceps stays on: the co-contraction cue, at once (it has dwelt).
    fired, _ = feed(mon, [(60.0, 20.0, 20.0, 45.0)], 0.2, t, phase=PhaseKind.CONCENTRIC)
    assert [(c.kind, c.channel, c.text) for c in fired] == [
        (FormCueKind.CO_CONTRACTION, 3, "Relax the triceps brachii")
    ]
    assert fired[0].t_s - t <= 0.1 + 1e-9
    assert mon.cue == fired[0] and mon.marked == (3,)
    assert [c.kind for c in mon.fired] == [FormCueKind.COMPENSATION, FormCueKind.CO_CONTRACTION]
