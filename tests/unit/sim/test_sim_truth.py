"""The signal carries the model's known truth through the real pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from gymtui.model import MuscleRole, PhaseKind
from gymtui.signal.pipeline import EmgPipeline
from gymtui.sim.athlete import AthleteProfile, SimulatedAthlete
from gymtui.sim.scenarios import get_scenario, run_scenario


def welch_median_frequency(uv: np.ndarray, rate_hz: float, window_s: float = 1.0, band=(20.0, 450.0)):
    """Median frequency per window (Welch, 250 ms segments), per channel: ``(t_s centres, mf (k, ch))``."""
    n = round(window_s * rate_hz)
    k = uv.shape[0] // n
    freqs, psd = sps.welch(uv[: k * n].reshape(k, n, -1), fs=rate_hz, nperseg=n // 4, axis=1)
    inside = (freqs >= band[0]) & (freqs <= min(band[1], 0.9 * rate_hz / 2))
    cum = np.cumsum(psd[:, inside, :], axis=1)
    mf = np.empty((k, uv.shape[1]))
    for i in range(k):
        for c in range(uv.shape[1]):
            mf[i, c] = np.interp(cum[i, -1, c] / 2, cum[i, :, c], freqs[inside])
    return (np.arange(k) + 0.5) * window_s, mf


def test_pipeline_envelope_tracks_the_true_drive_on_the_ramp():
    run = run_scenario("ramp", rate_hz=1000.0, seconds=12.0, seed=1)
    pipeline = EmgPipeline(run.rate_hz, run.uv.shape[1])
    envelope = np.concatenate([pipeline.process(run.uv[i : i + 50]).envelope_uv for i in range(0, len(run.uv), 50)])
    delay = round(pipeline.group_delay_s * run.rate_hz)
    for channel in range(3):  # target and synergists; the antagonist barely moves
        r = np.corrcoef(envelope[delay:, channel], run.drive[:-delay, channel])[0, 1]
        assert r >= 0.9, (channel, r)


def test_isometric_hold_median_frequency_falls_at_the_models_own_rate():
    run = run_scenario("isometric-hold", rate_hz=1000.0, seed=0, track_mf=True)
    hold = run.window("hold")
    t0_s = run.t_s[hold][0]
    t_s, mf = welch_median_frequency(run.uv[hold], run.rate_hz)
    measured = np.polyfit(t_s + t0_s, mf[:, 0], 1)[0]
    truth = run.mf_track.slope_hz_per_s(t0_s, run.t_s[hold][-1])[0]
    assert truth < -0.1  # the model's own spectrum compresses: conduction velocity falls
    assert mf[-5:, 0].mean() < 0.9 * mf[:5, 0].mean()
    assert measured == pytest.approx(truth, rel=0.2)
    # The pool holds 50 % MVC by driving harder and recruiting more units as it fatigues.
    force = run.force[hold, 0]
    assert np.abs(force - 0.5).max() < 0.01
    assert run.drive[hold, 0][-1000:].mean() > run.drive[hold, 0][:1000].mean() + 0.05
    assert run.active_units[hold, 0][-1000:].mean() > run.active_units[hold, 0][:1000].mean()


def test_rest_restores_the_median_frequency():
    from gymtui.sim.scenarios import ELBOW_FLEXORS, Scenario, Segment

    scenario = Scenario(
        "hold-rest-hold",
        "",
        ELBOW_FLEXORS,
        (
            Segment("hold", 30.0, None, force=(0.6, 0.6)),
            Segment("rest", 120.0),
            Segment("again", 3.0, None, force=(0.6, 0.6)),
        ),
    )
    run = run_scenario(scenario, rate_hz=500.0, seed=2, track_mf=True)
    track = run.mf_track
    start = track.mf_hz[track.t_s < 3.0, 0].mean()
    tired = track.mf_hz[(track.t_s > 27.0) & (track.t_s < 30.0), 0].mean()
    rested = track.mf_hz[track.t_s > 150.0, 0].mean()
    assert tired < start - 5.0
    assert rested > tired + 0.6 * (start - tired)


def test_prefatigue_recruits_more_high_threshold_units_in_the_compound():
    scenario = get_scenario("prefatigue-then-compound")
    prefatigued = run_scenario(scenario, rate_hz=500.0, seed=4)
    control = run_scenario(scenario.rest_instead("pre-fatigue"), rate_hz=500.0, seed=4)
    compound = prefatigued.window("compound-prefatigued")
    target = 0
    with_prefatigue = prefatigued.active_units[compound, target]
    without = control.active_units[compound, target]
    assert with_prefatigue.mean() > without.mean() + 2.0
    # High-threshold units (the top quarter of the pool, time-averaged) carry the difference.
    high = 90
    assert np.mean(np.maximum(with_prefatigue - high, 0)) > 1.2 * np.mean(np.maximum(without - high, 0))
    # The guide: quadriceps activation up to ~20 % higher in the compound after pre-fatigue.
    rms_ratio = prefatigued.uv[compound, target].std() / control.uv[compound, target].std()
    assert 1.05 < rms_ratio < 1.4
    # Same load, same force: the difference is the nervous system working around fatigue.
    assert prefatigued.force[compound, target].mean() == pytest.approx(control.force[compound, target].mean(), rel=0.05)


def test_compensating_athlete_uses_biceps_over_lats_until_focused():
    run = run_scenario("pulldown-compensation", rate_hz=500.0, seed=5)
    pipeline = EmgPipeline(run.rate_hz, run.uv.shape[1])
    envelope = pipeline.process(run.uv).envelope_uv
    mvc = envelope[run.window("mvc")].max(axis=0)
    pct = 100 * envelope / mvc
    lats, biceps, rear_delt = 0, 1, 2
    habitual = pct[run.window("reps-habitual")].mean(axis=0)
    focused = pct[run.window("reps-focused")].mean(axis=0)
    assert habitual[biceps] > habitual[lats] and habitual[rear_delt] > 0.8 * habitual[lats]
    share = lambda p: p[lats] / (p[lats] + p[biceps] + p[rear_delt])
    assert share(focused) > share(habitual) + 0.15
    assert focused[lats] > focused[biceps]


def test_focus_and_co_contraction_shape_the_drive():
    roles = (MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST)

    def mean_drive(**profile) -> np.ndarray:
        athlete = SimulatedAthlete(roles, 500.0, profile=AthleteProfile(variability=0.0, **profile), seed=1)
        athlete.set_intent(PhaseKind.ISOMETRIC, 0.8)
        return athlete.drive(2000)[500:].mean(axis=0)

    plain, focused = mean_drive(), mean_drive(focus=1.0)
    assert focused[0] > 1.2 * plain[0] and focused[1] < plain[1]
    guarded = mean_drive(co_contraction=0.4)
    assert guarded[2] == pytest.approx(0.4 * guarded[0], rel=0.1)
    assert guarded[2] > 2 * plain[2]


def test_crosstalk_reaches_the_neighbouring_channel_only():
    from gymtui.sim.surface import MotorUnitPhysiology, MuscleSpec

    physiology = MotorUnitPhysiology(1000.0, [MuscleSpec(m) for m in "abc"], crosstalk=0.12, noise_rms_uv=1.0, seed=3)
    drive = np.zeros((2000, 3))
    drive[:, 0] = 0.6
    uv = physiology.render(drive)[500:]
    rms = uv.std(axis=0)
    assert rms[1] / rms[0] == pytest.approx(0.12, rel=0.15)
    assert rms[2] < 2.0  # electrode noise only
