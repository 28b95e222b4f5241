"""Set and rep metrics from the live frames: %MVC, target share, co-contraction, reps, fatigue slope."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gymtui.model import Calibration, MuscleRole, PhaseKind
from gymtui.signal.analysis import stream_envelope
from gymtui.signal.metrics import (
    DEFAULT_METRICS,
    MetricsConfig,
    SetAnalyzer,
    cci_pct,
    target_share,
)
from gymtui.signal.pipeline import EmgPipeline
from gymtui.signal.recording import load_text
from gymtui.signal.spectrum import median_frequency
from gymtui.store import Store

# Leg extension: quadriceps are the agonists, hamstrings the antagonists.
UCI_ROLES = [MuscleRole.TARGET, MuscleRole.ANTAGONIST, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST]
KNEE_MOVING = [(0.9, 3.0), (4.1, 5.9), (7.1, 8.8), (9.9, 11.5)]


def _feed(samples, rate_hz, roles, phases, config=DEFAULT_METRICS, calibrate=True):
    """Run a recording through pipeline + analyzer in 33 ms frames, opening phases at their times."""
    pipeline = EmgPipeline(rate_hz, samples.shape[1])
    if calibrate:
        _, envelope, _ = stream_envelope(samples, rate_hz)
        pipeline.set_calibration(Calibration(tuple(envelope[int(rate_hz):].max(axis=0)), 0.1))
    analyzer = SetAnalyzer(rate_hz, roles, config, delay_s=pipeline.group_delay_s)
    step = max(1, int(0.033 * rate_hz))
    pending = sorted(phases, key=lambda p: p[1])
    results = []
    open_end = None
    for start in range(0, samples.shape[0], step):
        block = samples[start : start + step].astype(np.float32)
        t_end = (start + block.shape[0] - 1) / rate_hz
        if open_end is not None and start / rate_hz >= open_end:
            results.append(analyzer.end_phase(open_end))
            open_end = None
        if pending and start / rate_hz >= pending[0][1]:
            kind, t0, t1 = pending.pop(0)
            analyzer.begin_phase(kind, t0)
            open_end = t1
        out = pipeline.process(block, t_end)
        analyzer.update(pipeline.pct_mvc(out.envelope_uv), out.filtered_uv, t_end, [()] * samples.shape[1])
    if open_end is not None:
        results.append(analyzer.end_phase(open_end))
    return analyzer, results


def test_leg_extension_set_finds_four_reps_with_their_metrics(shared_data: Path) -> None:
    rec = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    analyzer, _ = _feed(rec.samples, rec.rate_hz, UCI_ROLES, [(PhaseKind.REPS, 0.0, rec.duration_s)])
    summary, reps = analyzer.finish()
    assert [r["idx"] for r in reps] == [1, 2, 3, 4]
    for rep, (a, b) in zip(reps, KNEE_MOVING):
        assert rep["start_s"] < b and rep["end_s"] > a
        assert 0.0 < rep["target_share"] < 1.0
        assert rep["peak_pct_mvc"] >= rep["mean_pct_mvc"] > 0
    assert 0 < summary["mean_pct_mvc"] < summary["peak_pct_mvc"] <= 100.5
    assert summary["perfect_reps"] == sum(r["perfect"] for r in reps)
    assert summary["cci_pct"] > 0 and 0 < summary["target_share"] < 1
    assert summary["mf_slope_hz_per_s"] is None  # no isometric hold in this set


def test_hamstring_co_contraction_fades_over_the_reps(shared_data: Path) -> None:
    rec = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    phases = [(PhaseKind.CONCENTRIC, a, b) for a, b in KNEE_MOVING]
    _, results = _feed(rec.samples, rec.rate_hz, UCI_ROLES, phases)
    cci = [r["cci_pct"] for r in results]
    assert len(cci) == 4
    assert cci[-1] < min(cci[:3]) - 5.0, cci  # the last rep has the least co-activation


def test_perfect_rep_follows_the_configured_thresholds(shared_data: Path) -> None:
    rec = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    lenient, _ = _feed(rec.samples, rec.rate_hz, UCI_ROLES, [], MetricsConfig(perfect_min_share=0.0, perfect_min_peak_pct=0.0))
    strict, _ = _feed(rec.samples, rec.rate_hz, UCI_ROLES, [], MetricsConfig(perfect_min_share=0.99))
    assert lenient.finish()[0]["perfect_reps"] == 4
    assert strict.finish()[0]["perfect_reps"] == 0


def test_time_above_target_line_counts_seconds_over_it() -> None:
    rate = 1000.0
    analyzer = SetAnalyzer(rate, [MuscleRole.TARGET], MetricsConfig(target_line_pct=50.0))
    analyzer.begin_phase(PhaseKind.ISOMETRIC, 0.0)
    pct = np.concatenate([np.full(3000, 70.0), np.full(2000, 20.0)])[:, None]
    for start in range(0, 5000, 33):
        block = pct[start : start + 33]
        analyzer.update(block, None, (start + block.shape[0] - 1) / rate)
    phase = analyzer.end_phase(5.0)
    assert phase["time_above_target_s"] == pytest.approx(3.0, abs=0.02)
    assert phase["peak_pct_mvc"] == 70.0
    assert phase["target_share"] is None and phase["cci_pct"] is None  # no synergist, no antagonist


def test_share_and_cci_formulas() -> None:
    assert target_share(np.array([60.0]), np.array([20.0])) == pytest.approx(0.75)
    assert cci_pct(np.array([80.0, 80.0]), np.array([20.0, 20.0])) == pytest.approx(40.0)


def _fatiguing_hold(shared_data: Path, duration_s: float = 14.0, compress: float = 0.35) -> tuple[np.ndarray, float]:
    """A sustained contraction whose spectrum compresses: a real burst tiled, then progressively resampled.

    The strong contraction of biosppy_emg_1_1khz (15.6–16.8 s) is repeated to
    fill the hold; reading it ever more slowly (instantaneous rate falling
    linearly to ``1 - compress``) lowers every frequency in it, as falling
    conduction velocity does.
    """
    rec = load_text(shared_data / "biosppy_emg_1_1khz.txt")
    rate = rec.rate_hz
    seg = rec.samples[int(15.6 * rate) : int(16.8 * rate), 0] - 2048.0
    source = np.tile(seg, int(np.ceil(duration_s * 2 / (seg.size / rate))))
    t = np.arange(int(duration_s * rate)) / rate
    speed = 1.0 - compress * t / duration_s
    position = np.concatenate([[0.0], np.cumsum(speed[:-1])])
    hold = np.interp(position, np.arange(source.size), source)
    return hold[:, None] + 2048.0, rate


def test_median_frequency_slope_is_negative_when_the_spectrum_compresses(shared_data: Path) -> None:
    hold, rate = _fatiguing_hold(shared_data)
    phases = [(PhaseKind.ISOMETRIC, 1.0, hold.shape[0] / rate)]
    analyzer, results = _feed(hold, rate, [MuscleRole.TARGET], phases)
    hold_metrics = results[0]
    slope = hold_metrics["mf_slope_hz_per_s"]
    _low, high = hold_metrics["mf_slope_ci_hz_per_s"]
    assert slope < 0 and high < 0, hold_metrics
    assert hold_metrics["mf_end_hz"] < 0.8 * hold_metrics["mf_start_hz"]
    assert analyzer.finish()[0]["mf_slope_hz_per_s"] == slope
    steady, _ = _fatiguing_hold(shared_data, compress=0.0)
    control = _feed(steady, rate, [MuscleRole.TARGET], phases)[1][0]
    assert abs(control["mf_slope_hz_per_s"]) < abs(slope) / 4


def test_median_frequency_is_na_at_200_hz(shared_data: Path) -> None:
    rec = load_text(shared_data / "myo_fist_clean_200hz.txt")
    assert median_frequency(rec.samples[:1000, 0], rec.rate_hz) is None
    roles = [MuscleRole.TARGET] + [MuscleRole.OTHER] * 7
    analyzer, results = _feed(rec.samples, rec.rate_hz, roles, [(PhaseKind.ISOMETRIC, 4.9, 9.7)])
    assert results[0]["mf_slope_hz_per_s"] is None and results[0]["peak_pct_mvc"] > 20
    assert analyzer.details()["spectral"] == "n/a"


def test_summary_and_reps_write_straight_into_the_store(shared_data: Path, tmp_path: Path) -> None:
    rec = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    analyzer, _ = _feed(rec.samples, rec.rate_hz, UCI_ROLES, [(PhaseKind.REPS, 0.0, rec.duration_s)])
    quality = [("motion",), (), (), ()]
    analyzer.update(None, None, rec.duration_s, quality)  # a frame's flags count even uncalibrated
    summary, reps = analyzer.finish()
    store = Store(tmp_path / "g.db")
    athlete = store.ensure_athlete()
    set_id = store.start_set(athlete, "leg extension", "finisher")
    store.finish_set(set_id, "completed", summary)
    store.record_reps(set_id, reps)
    row = store.get_set(set_id)
    assert row["peak_pct_mvc"] == summary["peak_pct_mvc"] and row["perfect_reps"] == summary["perfect_reps"]
    assert row["target_share"] == summary["target_share"] and row["cci_pct"] == summary["cci_pct"]
    stored = list(store.db["reps"].rows_where("set_id = ?", [set_id], order_by="idx"))
    assert [r["idx"] for r in stored] == [1, 2, 3, 4]
    assert stored[0]["peak_pct_mvc"] == reps[0]["peak_pct_mvc"]
    store.close()


def test_our_welch_is_scipys_welch() -> None:
    from scipy import signal as sps

    from gymtui.signal.spectrum import welch_psd

    x = np.random.default_rng(4).standard_normal(1000)
    for nperseg in (250, 333):
        f_ours, p_ours = welch_psd(x, 2000.0, nperseg)
        f_ref, p_ref = sps.welch(x, fs=2000.0, nperseg=nperseg, detrend="constant")
        np.testing.assert_allclose(f_ours, f_ref)
        np.testing.assert_allclose(p_ours, p_ref, rtol=1e-10)
