"""The motor-unit pool obeys the size principle, rate coding and Fuglevand's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from gymtui.sim.pool import MotorUnitPool, PoolParams
from gymtui.sim.surface import MotorUnitPhysiology, MuscleSpec

RATE_HZ = 1000.0


def steady(drive: float, seconds: float = 2.0, seed: int = 2) -> MotorUnitPhysiology:
    """One fresh muscle at constant drive (force control off: drive is the excitation)."""
    physiology = MotorUnitPhysiology(
        RATE_HZ, [MuscleSpec("biceps brachii")], force_control=False, record_spikes=True, seed=seed
    )
    physiology.render(np.full((round(seconds * RATE_HZ), 1), drive))
    return physiology


def test_pool_parameters_follow_fuglevand_1993():
    pool = MotorUnitPool(PoolParams())
    assert pool.n_units == 120
    assert pool.threshold_exc[-1] / pool.threshold_exc[0] == pytest.approx(30.0, rel=0.05)
    assert np.all(np.diff(pool.threshold_exc) > 0)
    assert pool.peak_rate_hz[0] == pytest.approx(35.0, abs=0.5)
    assert pool.peak_rate_hz[-1] == pytest.approx(25.0)
    assert pool.twitch_force[-1] / pool.twitch_force[0] == pytest.approx(100.0, rel=0.05)
    assert pool.contraction_time_s[0] == pytest.approx(0.090, rel=0.02)
    assert pool.contraction_time_s[0] / pool.contraction_time_s[-1] == pytest.approx(3.0, rel=0.05)
    # Drive 1 brings the last unit to its peak rate; recruitment ends near 64 % of maximal excitation.
    assert pool.rates_hz(1.0)[-1] == pytest.approx(25.0)
    assert pool.threshold_drive[-1] == pytest.approx(30.0 / 47.0)


def test_recruitment_order_follows_thresholds_during_a_ramp():
    physiology = MotorUnitPhysiology(
        RATE_HZ, [MuscleSpec("biceps brachii")], force_control=False, record_spikes=True, seed=5
    )
    n = round(6 * RATE_HZ)
    ramp = np.linspace(0.0, 0.8, n)[:, None]
    first_spike_s = {}
    for start in range(0, n, 250):
        physiology.render(ramp[start : start + 250])
        log = physiology.last_spikes
        for unit, t_s in zip(log.unit.tolist(), log.t_s.tolist()):
            first_spike_s.setdefault(unit, t_s)
    units = np.array(sorted(first_spike_s))
    onsets = np.array([first_spike_s[u] for u in units])
    assert units.size == 120  # 0.8 is beyond the last threshold (0.64)
    # Each unit starts at the moment the ramp crosses its threshold: strictly in threshold order.
    expected = physiology.pools[0].threshold_drive / 0.8 * 6.0
    assert np.all(np.diff(onsets) >= 0)
    assert np.max(np.abs(onsets - expected[units])) < 0.003


def test_active_units_and_mean_rate_rise_with_drive():
    counts, mean_rates = [], []
    for drive in (0.05, 0.15, 0.3, 0.5, 0.8):
        log = steady(drive).last_spikes
        units, spikes = np.unique(log.unit, return_counts=True)
        counts.append(units.size)
        mean_rates.append(spikes.mean() / 2.0)
    assert np.all(np.diff(counts) > 0), counts
    assert np.all(np.diff(mean_rates) > 0), mean_rates
    assert counts[0] < 40 and counts[-1] == 120
    assert 8.0 <= mean_rates[0] < 15.0 and 25.0 <= mean_rates[-1] <= 35.0


def test_discharge_variability_has_isi_cv_near_0_2_and_rates_within_8_to_35_hz():
    log = steady(0.5, seconds=4.0).last_spikes
    cvs, rates = [], []
    for unit in np.unique(log.unit):
        isi = np.diff(log.t_s[log.unit == unit])
        if isi.size >= 20:
            cvs.append(isi.std() / isi.mean())
            rates.append(1.0 / isi.mean())
    assert np.median(cvs) == pytest.approx(0.2, abs=0.03)
    assert min(rates) > 7.0 and max(rates) < 37.0
    # Rate coding: early-recruited units fire faster than late ones at the same drive.
    first_units = np.unique(log.unit)[:10]
    last_units = np.unique(log.unit)[-10:]
    rate_of = lambda u: 1.0 / np.diff(log.t_s[log.unit == u]).mean()
    assert np.mean([rate_of(u) for u in first_units]) > np.mean([rate_of(u) for u in last_units]) + 5.0


def test_rms_force_relation_is_monotonic_and_near_linear():
    forces = np.array([0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
    rms = []
    for force in forces:
        physiology = MotorUnitPhysiology(RATE_HZ, [MuscleSpec("biceps brachii")], force_control=False, seed=4)
        drive = float(physiology.pools[0].fresh_drive_for_force(force))
        uv = physiology.render(np.full((round(1.5 * RATE_HZ), 1), drive))
        assert physiology.truth.force[0, 0] == pytest.approx(force, abs=0.01)  # fresh: before it fatigues
        rms.append(uv[500:].std())
    rms = np.array(rms) / rms[-1]
    assert np.all(np.diff(rms) > 0), rms
    # Linear to curvilinear (Lawrence & De Luca 1983): a straight line explains it well,
    # and low forces are not silent nor do they already saturate the signal.
    assert np.corrcoef(forces, rms)[0, 1] > 0.98
    assert 0.05 < rms[0] < 0.35
    assert 0.4 < rms[3] < 0.75


def test_fatigue_slows_conduction_and_rest_recovers():
    pool = MotorUnitPool(PoolParams())
    cv_fresh = pool.cv_m_s().copy()
    busy = np.round(pool.rates_hz(0.6) * 0.05)
    for _ in range(400):  # 20 s at 60 % drive
        pool.update_fatigue(busy, 0.05)
    cv_tired = pool.cv_m_s()
    assert np.all(cv_tired <= cv_fresh) and cv_tired.mean() < 0.9 * cv_fresh.mean()
    tired_force = pool.force(0.6)
    assert tired_force < MotorUnitPool(PoolParams()).force(0.6)
    # The force controller asks for more drive for the same force.
    assert pool.compensation_map()[64] > pool.drive_grid[64]
    fatigue_tired = pool.fatigue.mean()
    for _ in range(1200):  # 60 s of rest
        pool.update_fatigue(np.zeros(pool.n_units), 0.05)
    assert pool.fatigue.mean() < 0.6 * fatigue_tired


def test_synchrony_raises_amplitude_and_lowers_median_frequency_without_changing_rates():
    from scipy import signal as sps

    def run(synchrony: float):
        physiology = MotorUnitPhysiology(
            RATE_HZ, [MuscleSpec("a", params=PoolParams(synchrony=synchrony))], force_control=False,
            record_spikes=True, seed=1,
        )
        uv = physiology.render(np.full((3000, 1), 0.4))[500:, 0]
        freqs, psd = sps.welch(uv, fs=RATE_HZ, nperseg=256)
        band = (freqs >= 20) & (freqs <= 450)
        cum = np.cumsum(psd[band])
        log = physiology.last_spikes
        return uv.std(), np.interp(cum[-1] / 2, cum, freqs[band]), log.t_s.size

    rms0, mf0, spikes0 = run(0.0)
    rms3, mf3, spikes3 = run(0.3)
    assert rms3 > 1.2 * rms0  # Yao, Fuglevand & Enoka 2000: synchrony increases EMG amplitude
    assert mf3 < mf0 - 3.0
    assert spikes3 == pytest.approx(spikes0, rel=0.03)


def test_synchronised_pool_still_streams_identically():
    muscles = [MuscleSpec("a", params=PoolParams(synchrony=0.3)), MuscleSpec("b", params=PoolParams(synchrony=0.1))]
    drive = np.clip(0.4 + 0.3 * np.sin(np.linspace(0, 12, 3000)), 0, 1)[:, None].repeat(2, axis=1)
    whole = MotorUnitPhysiology(RATE_HZ, muscles, seed=9).render(drive)
    pieces = MotorUnitPhysiology(RATE_HZ, muscles, seed=9)
    cuts = np.sort(np.random.default_rng(3).choice(np.arange(1, 3000), 50, replace=False))
    np.testing.assert_array_equal(np.concatenate([pieces.render(p) for p in np.split(drive, cuts)]), whole)
