"""The simulator is deterministic for a seed and streams with bounded memory, identical to one go."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gymtui.model import MuscleRole, PhaseKind
from gymtui.sim import demo_physiology
from gymtui.sim.scenarios import run_scenario
from gymtui.sim.surface import MotorUnitPhysiology, MuscleSpec

MUSCLES = [MuscleSpec("a", MuscleRole.TARGET), MuscleSpec("b", MuscleRole.SYNERGIST), MuscleSpec("c", MuscleRole.ANTAGONIST)]


def wavy_drive(n: int, rate_hz: float) -> np.ndarray:
    t = np.arange(n) / rate_hz
    base = 0.35 + 0.3 * np.sin(2 * np.pi * 0.4 * t)  # recruits and derecruits units repeatedly
    return np.clip(np.stack([base, 0.7 * base, 0.2 * base], axis=1), 0, 1)


@pytest.mark.parametrize("rate_hz", [200.0, 1000.0, 2000.0])
def test_streaming_in_random_blocks_equals_one_go(rate_hz):
    n = round(4 * rate_hz)
    drive = wavy_drive(n, rate_hz)
    whole = MotorUnitPhysiology(rate_hz, MUSCLES, seed=11)
    one_go = whole.render(drive)
    truth = whole.truth
    cuts = np.sort(np.random.default_rng(1).choice(np.arange(1, n), 60, replace=False))
    pieces = MotorUnitPhysiology(rate_hz, MUSCLES, seed=11)
    blocks, forces = [], []
    for part in np.split(drive, cuts):
        blocks.append(pieces.render(part))
        forces.append(pieces.truth.force)
    np.testing.assert_array_equal(np.concatenate(blocks), one_go)
    np.testing.assert_array_equal(np.concatenate(forces), truth.force)


def test_scenario_streams_identically_whatever_the_block_size():
    small = run_scenario("artefacts", rate_hz=500.0, seconds=6.0, seed=3, block_s=0.013)
    large = run_scenario("artefacts", rate_hz=500.0, seconds=6.0, seed=3, block_s=1.0)
    np.testing.assert_array_equal(small.uv, large.uv)
    np.testing.assert_array_equal(small.drive, large.drive)
    np.testing.assert_array_equal(small.active_units, large.active_units)
    np.testing.assert_array_equal(small.delivered, large.delivered)


def test_same_seed_same_signal_other_seed_other_signal():
    a = run_scenario("pulldown-compensation", rate_hz=500.0, seconds=8.0, seed=7)
    b = run_scenario("pulldown-compensation", rate_hz=500.0, seconds=8.0, seed=7)
    c = run_scenario("pulldown-compensation", rate_hz=500.0, seconds=8.0, seed=8)
    np.testing.assert_array_equal(a.uv, b.uv)
    assert not np.allclose(a.uv, c.uv)
    # Different athletes, same physiology: the signals differ but their sizes are alike.
    assert 0.5 < a.uv.std() / c.uv.std() < 2.0


def test_athlete_drive_does_not_depend_on_block_cuts():
    roles = (MuscleRole.TARGET, MuscleRole.SYNERGIST)
    one, two = (demo_physiology(roles, 1000.0, seed=4)[1] for _ in range(2))
    for athlete in (one, two):
        athlete.set_intent(PhaseKind.REPS, 0.8)
    whole = one.drive(3000)
    parts = np.concatenate([two.drive(k) for k in (7, 993, 1, 1499, 500)])
    np.testing.assert_array_equal(whole, parts)


@pytest.mark.parametrize("rate_hz", [200.0, 4000.0])
def test_any_rate_from_200_hz_to_4_khz_gives_emg_of_the_same_size(rate_hz):
    reference = MotorUnitPhysiology(1000.0, MUSCLES, seed=2).render(np.full((2000, 3), 0.5))
    uv = MotorUnitPhysiology(rate_hz, MUSCLES, seed=2).render(np.full((round(2 * rate_hz), 3), 0.5))
    assert uv.dtype == np.float32 and np.isfinite(uv).all()
    # At 200 Hz the device sees only 0–100 Hz (a third to half of the power); at 4 kHz all of it.
    ratio = uv[:, 0].std() / reference[:, 0].std()
    assert (0.4 < ratio < 0.95) if rate_hz == 200.0 else (0.9 < ratio < 1.1)


def test_rates_outside_200_hz_to_4_khz_are_refused():
    with pytest.raises(ValueError, match="between 200 and 4000 Hz"):
        MotorUnitPhysiology(100.0, MUSCLES)


def test_memory_stays_bounded_however_long_the_stream():
    def peak_bytes(seconds: float) -> int:
        physiology = MotorUnitPhysiology(1000.0, MUSCLES, seed=1)
        drive = np.full((100, 3), 0.6)
        tracemalloc.start()
        for _ in range(round(seconds * 10)):
            physiology.render(drive)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    short, long = peak_bytes(1.0), peak_bytes(10.0)
    assert long < 1.5 * short + 200_000


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=12))
def test_any_cut_of_the_stream_gives_the_same_signal(sizes):
    rate_hz = 1000.0
    n = sum(sizes)
    drive = wavy_drive(n, rate_hz)
    one_go = MotorUnitPhysiology(rate_hz, MUSCLES, seed=5).render(drive)
    streamed = MotorUnitPhysiology(rate_hz, MUSCLES, seed=5)
    edges = np.cumsum([0, *sizes])
    blocks = [streamed.render(drive[a:b]) for a, b in itertools.pairwise(edges)]  # empty blocks included
    assert all(block.shape == (b - a, 3) for block, a, b in zip(blocks, edges[:-1], edges[1:]))
    np.testing.assert_array_equal(np.concatenate(blocks), one_go)
