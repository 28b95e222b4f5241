"""Quality flags: each one trips on a real recording with the fault injected into a copy, and stays off without it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gymtui.signal.quality import QualityMonitor, QualityThresholds, assess_quality
from gymtui.signal.recording import load_text

FLAGS = ("flat", "clipping", "mains", "motion", "low-snr")


@pytest.fixture
def biosppy(shared_data: Path):
    return load_text(shared_data / "biosppy_emg_1_1khz.txt")


def _live(samples: np.ndarray, rate_hz: float, work=None) -> list[tuple[float, tuple[tuple[str, ...], ...]]]:
    """Flags over time from the live monitor, fed in 33 ms frames; ``work`` marks (start, end) work phases."""
    monitor = QualityMonitor(samples.shape[1], rate_hz)
    step = int(0.033 * rate_hz)
    seen = []
    in_work = False
    for start in range(0, samples.shape[0], step):
        t = start / rate_hz
        if work is not None:
            now = any(a <= t < b for a, b in work)
            if now and not in_work:
                monitor.begin_work()
            if not now and in_work:
                monitor.end_work()
            in_work = now
        flags = monitor.update(samples[start : start + step].astype(np.float32))
        seen.append((t, flags))
    return seen


def _flagged_at(seen, flag: str, ch: int = 0) -> np.ndarray:
    return np.array([t for t, flags in seen if flag in flags[ch]])


def test_clean_recordings_raise_no_flags(shared_data: Path, biosppy) -> None:
    assert assess_quality(biosppy.samples, biosppy.rate_hz) == [()]
    myo = load_text(shared_data / "myo_fist_clean_200hz.txt")
    assert assess_quality(myo.samples, myo.rate_hz, band_hz=(20.0, 90.0)) == [()] * 8
    seen = _live(biosppy.samples, biosppy.rate_hz, work=[(15.0, 20.0)])
    for flag in FLAGS:
        assert _flagged_at(seen, flag).size == 0, f"{flag} raised on the clean recording"


def test_flat_line_when_the_electrode_comes_off(biosppy) -> None:
    x = biosppy.samples.copy()
    x[20000:30000] = 2048.0  # the ADC reads mid-scale with the lead off
    assert "flat" in assess_quality(x, biosppy.rate_hz)[0]
    flagged = _flagged_at(_live(x, biosppy.rate_hz), "flat")
    assert flagged.size and flagged.min() >= 20.0 and flagged.max() <= 31.6
    assert np.any((flagged > 22) & (flagged < 29))


def test_clipping_at_the_rails(shared_data: Path, biosppy) -> None:
    uci = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    x = uci.samples.copy()
    rail = np.percentile(np.abs(x[:, 0]), 95)  # the amplifier saturates through every rep
    x[:, 0] = np.clip(x[:, 0], -rail, rail)
    flags = assess_quality(x, uci.rate_hz)
    assert "clipping" in flags[0] and "clipping" not in flags[2]
    assert "clipping" not in assess_quality(uci.samples, uci.rate_hz)[0]
    y = biosppy.samples.copy()
    np.clip(y, 2048 - 60, 2048 + 60, out=y)  # an amplifier saturating in the strong contraction
    flagged = _flagged_at(_live(y, biosppy.rate_hz), "clipping")
    clipped_s = np.flatnonzero(np.abs(y[:, 0] - 2048) >= 60) / biosppy.rate_hz
    assert np.any((flagged > 16.0) & (flagged < 17.5))
    # Every flag follows real clipping within one window, two hops of hysteresis (2 s) and a frame.
    latest_clip_before = clipped_s[np.searchsorted(clipped_s, flagged, side="right") - 1]
    assert np.all(flagged - latest_clip_before <= 2.05)


def test_mains_interference(biosppy) -> None:
    x = biosppy.samples.copy()
    t = np.arange(x.shape[0]) / biosppy.rate_hz
    x[:, 0] += 25.0 * np.sin(2 * np.pi * 50.0 * t)  # a loose electrode picking up the lights
    assert "mains" in assess_quality(x, biosppy.rate_hz)[0]
    assert "mains" not in assess_quality(x, biosppy.rate_hz, mains_hz=60.0)[0]  # wrong mains: not ours to see
    flagged = _flagged_at(_live(x, biosppy.rate_hz), "mains")
    assert flagged.size > 0.5 * (x.shape[0] / 33)


def test_motion_artefact(biosppy) -> None:
    x = biosppy.samples.copy()
    t = np.arange(x.shape[0]) / biosppy.rate_hz
    sway = 80.0 * np.sin(2 * np.pi * 2.5 * t) + 40.0 * np.sin(2 * np.pi * 7.0 * t)
    window = (t >= 30.0) & (t < 40.0)
    x[window, 0] += sway[window]  # the cable swings for ten seconds
    assert "motion" in assess_quality(x, biosppy.rate_hz)[0]
    flagged = _flagged_at(_live(x, biosppy.rate_hz), "motion")
    assert flagged.size and flagged.min() >= 30.0 and flagged.max() <= 42.1


def test_low_snr_against_the_rest_baseline(biosppy) -> None:
    rng = np.random.default_rng(5)
    x = biosppy.samples.copy()
    x[:, 0] += rng.standard_normal(x.shape[0]) * 60.0  # a noisy, badly placed electrode
    assert "low-snr" in assess_quality(x, biosppy.rate_hz)[0]
    work = [(15.0, 20.0)]
    assert _flagged_at(_live(x, biosppy.rate_hz, work=work), "low-snr").size > 0
    assert _flagged_at(_live(biosppy.samples, biosppy.rate_hz, work=work), "low-snr").size == 0


def test_one_odd_window_does_not_flash_a_flag(biosppy) -> None:
    x = biosppy.samples[:8000].copy()
    x[3000:4000] = 2048.0  # one second of dropout, aligned so exactly one judgement sees a whole flat window

    def shown(confirm: int) -> list[tuple[str, ...]]:
        monitor = QualityMonitor(1, biosppy.rate_hz, confirm=confirm)  # judged every 500 samples
        return [monitor.update(x[s : s + 500])[0] for s in range(0, x.shape[0], 500)]

    assert sum("flat" in flags for flags in shown(confirm=1)) == 1  # without hysteresis: a one-frame flash
    assert not any("flat" in flags for flags in shown(confirm=2))


def test_monitor_learns_rest_from_a_rest_phase_and_costs_one_fft_per_hop(biosppy) -> None:
    monitor = QualityMonitor(1, biosppy.rate_hz)
    monitor.begin_rest()
    for start in range(3000, 9000, 33):
        monitor.update(biosppy.samples[start : start + 33])
    rest = monitor.end_rest()
    assert rest is not None and 2.0 < rest[0] < 10.0  # counts RMS of the quiet EMG band
    assert monitor.flags == ((),)


def _rail_hits(x: np.ndarray) -> tuple[float, float]:
    """(share of samples on the int8 rails, share of samples on a rail right after a rail sample)."""
    rail = (x >= 127) | (x <= -128)
    return float(rail.mean()), float((rail[1:] & rail[:-1]).mean())


def _int8_with_rail_share(x: np.ndarray, share: float) -> np.ndarray:
    """``x`` amplified until ``share`` of its samples hit the int8 rails, then clipped and rounded (an overdriven Myo)."""
    for gain in np.geomspace(1.0, 200.0, 400):
        y = np.clip(np.round(x * gain), -128, 127)
        if _rail_hits(y)[0] >= share:
            return y
    raise AssertionError("could not reach the rail share")


def test_rail_hits_that_alternate_are_clipping_not_only_runs() -> None:
    """Rail samples scattered between ordinary ones (rarely two in a row): the pile-up flags them, runs did not."""
    rng = np.random.default_rng(7)
    emg = rng.standard_normal(20 * 200) * 79.0  # white EMG-like: 10.7 % beyond ±127 once clipped
    x = np.clip(np.round(emg), -128, 127)
    share, pairs = _rail_hits(x)
    assert 0.09 <= share <= 0.125 and pairs < 0.02
    assert "clipping" in assess_quality(x[:, None], 200.0, band_hz=(20.0, 90.0))[0]
    runs_only = QualityThresholds(clip_pileup_frac=1.0)  # the run-based check alone misses it
    assert "clipping" not in assess_quality(x[:, None], 200.0, band_hz=(20.0, 90.0), thresholds=runs_only)[0]
    assert "clipping" in assess_quality(x[:, None], 200.0, band_hz=(20.0, 90.0), rails=(-128.0, 127.0))[0]
    # The same noise, quieter: nothing reaches the rails and no flag shows.
    quiet = np.clip(np.round(emg * 0.35), -128, 127)
    assert _rail_hits(quiet)[0] == 0.0
    assert "clipping" not in assess_quality(quiet[:, None], 200.0, band_hz=(20.0, 90.0))[0]
    # Alternating rails with no signal between: the extreme values collect, the flag shows live too.
    alt = np.where(np.arange(4000) % 9 == 0, 127.0, np.round(rng.standard_normal(4000) * 20))
    alt[np.arange(4000) % 9 == 4] = -128.0
    seen = _live(alt[:, None], 200.0)
    assert _flagged_at(seen, "clipping").size > 0.5 * len(seen)


def test_quantised_rest_noise_is_not_a_pile_up() -> None:
    """Small int8 noise has few distinct values, but its tails thin out: no clipping."""
    rng = np.random.default_rng(3)
    x = np.round(rng.standard_normal((20 * 200, 2)) * [1.5, 4.0])
    assert [("clipping" in f) for f in assess_quality(x, 200.0, band_hz=(20.0, 90.0), mains_hz=None)] == [False, False]


def test_an_overdriven_myo_channel_is_flagged_and_the_clean_recording_is_not(shared_data: Path) -> None:
    myo = load_text(shared_data / "myo_fist_clean_200hz.txt")
    # The clean recording: 1.8 % of channel 5's samples on the rails overall, never flagged, rails known or not.
    assert max(_rail_hits(myo.samples[:, ch])[0] for ch in range(8)) < 0.02
    assert assess_quality(myo.samples, myo.rate_hz, band_hz=(20.0, 90.0), rails=(-128.0, 127.0)) == [()] * 8
    # Channel 5 overdriven until 10.7 % of its samples sit on +127/−128, rarely two in a row.
    x = myo.samples.copy()
    x[:, 4] = _int8_with_rail_share(myo.samples[:, 4], 0.107)
    share, pairs = _rail_hits(x[:, 4])
    assert 0.107 <= share < 0.115 and pairs < 0.5 * share
    flags = assess_quality(x, myo.rate_hz, band_hz=(20.0, 90.0))
    assert "clipping" in flags[4]
    assert all("clipping" not in f for ch, f in enumerate(flags) if ch != 4)
    runs_only = QualityThresholds(clip_pileup_frac=1.0)
    assert "clipping" not in assess_quality(x, myo.rate_hz, band_hz=(20.0, 90.0), thresholds=runs_only)[4]
