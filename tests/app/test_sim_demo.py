"""The demo sensor on the motor-unit simulator: bars that look and fatigue like real EMG."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps
from scipy import stats

from gymtui.adapters.demo import DemoEmgSource
from gymtui.model import ChannelInfo, MuscleRole, PhaseKind
from gymtui.signal.pipeline import EmgPipeline
from gymtui.sim import MotorUnitPhysiology, demo_physiology

RATE_HZ = 1000.0
CHANNELS = (
    ChannelInfo("Biceps femoris", MuscleRole.TARGET),
    ChannelInfo("Semitendinosus", MuscleRole.SYNERGIST),
    ChannelInfo("Vastus medialis", MuscleRole.ANTAGONIST),
    ChannelInfo("Gastrocnemius", MuscleRole.SYNERGIST),
)
FINISHER = (
    (PhaseKind.CALIBRATION, 3.0),
    (PhaseKind.REST, 3.0),
    (PhaseKind.ACTIVATION, 3.0),
    (PhaseKind.ECCENTRIC, 5.0),
    (PhaseKind.ISOMETRIC, 15.0),
)


def run_demo_set(seed: int):
    """The demo protocol through the real demo sensor (10 ms notifications) and the real pipeline."""
    physiology, athlete = demo_physiology(CHANNELS, RATE_HZ, seed)
    source = DemoEmgSource(CHANNELS, rate_hz=RATE_HZ, physiology=physiology, athlete=athlete)
    pipeline = EmgPipeline(RATE_HZ, len(CHANNELS))
    raw, envelopes, spans, t = [], [], {}, 0
    for kind, seconds in FINISHER:
        source.athlete.set_intent(kind)
        n = round(seconds * RATE_HZ)
        spans[kind] = slice(t, t + n)
        for _ in range(n // 10):
            block = source.render_block(10)
            raw.append(block)
            envelopes.append(pipeline.process(block).envelope_uv)
        t += n
    return np.concatenate(raw), np.concatenate(envelopes), spans


@pytest.fixture(scope="module")
def demo_set():
    return run_demo_set(seed=0)


def test_demo_physiology_is_a_drop_in_physiology():
    physiology, athlete = demo_physiology(CHANNELS, RATE_HZ, seed=1)
    assert isinstance(physiology, MotorUnitPhysiology)
    assert physiology.n_muscles == 4 and physiology.rate_hz == RATE_HZ
    out = physiology.render(athlete.drive(10))
    assert out.shape == (10, 4) and out.dtype == np.float32


def test_bars_rise_with_effort(demo_set):
    _, envelope, spans = demo_set
    mvc = envelope[spans[PhaseKind.CALIBRATION]].max(axis=0)
    pct = 100 * envelope / mvc
    settled = lambda kind: pct[spans[kind]][500:, 0].mean()
    assert settled(PhaseKind.REST) < 10
    assert settled(PhaseKind.REST) < settled(PhaseKind.ECCENTRIC) < settled(PhaseKind.ACTIVATION)
    assert settled(PhaseKind.ACTIVATION) < settled(PhaseKind.ISOMETRIC) < 100
    # The target leads; the antagonist stays low.
    hold = pct[spans[PhaseKind.ISOMETRIC]].mean(axis=0)
    assert hold[0] > hold[1] and hold[2] < 0.5 * hold[0]


def test_bars_are_noisy_and_bursty_like_real_envelopes(demo_set):
    _, envelope, spans = demo_set
    hold = envelope[spans[PhaseKind.ISOMETRIC], 0]
    # A 100 ms RMS of a few hundred asynchronous units wobbles by several percent, not a flat line.
    wobble = np.std(hold - sps.savgol_filter(hold, 1001, 2)) / hold.mean()
    assert 0.03 < wobble < 0.3
    physiology, athlete = demo_physiology(CHANNELS, RATE_HZ, seed=2)
    athlete.set_intent(PhaseKind.REPS)
    pipeline = EmgPipeline(RATE_HZ, 4)
    reps = np.concatenate([pipeline.process(physiology.render(athlete.drive(10))).envelope_uv for _ in range(900)])
    per_rep = reps[1000:, 0].reshape(-1, 500)  # half-second means over 8 s of reps
    assert per_rep.mean(axis=1).max() > 1.3 * per_rep.mean(axis=1).min()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_median_frequency_falls_during_the_15_s_hold(seed, demo_set):
    raw, _, spans = demo_set if seed == 0 else run_demo_set(seed)
    hold = raw[spans[PhaseKind.ISOMETRIC], 0].astype(np.float64)
    n = int(RATE_HZ)
    freqs, psd = sps.welch(hold.reshape(-1, n), fs=RATE_HZ, nperseg=256, axis=1)
    band = (freqs >= 20) & (freqs <= 450)
    cum = np.cumsum(psd[:, band], axis=1)
    mf = np.array([np.interp(c[-1] / 2, c, freqs[band]) for c in cum])
    fit = stats.linregress(np.arange(mf.size), mf)
    assert fit.slope < -0.2  # Hz/s, well clear of a 15 s hold's scatter (≈0.15–0.2 Hz/s)


def test_envelope_creeps_up_during_the_hold_as_fatigued_units_are_backed_up(demo_set):
    _, envelope, spans = demo_set
    hold = envelope[spans[PhaseKind.ISOMETRIC], 0]
    early, late = hold[500:3500].mean(), hold[-3000:].mean()
    assert 1.03 < late / early < 1.4  # amplitude rises to hold the force (De Luca 1984)
