"""LiveSignal: what the worker runs per source, fed frame by frame like the worker feeds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gymtui.model import Calibration, MuscleRole, PhaseKind
from gymtui.signal.live import LiveSignal
from gymtui.signal.onsets import OnsetRule, StreamingOnsetDetector, baseline_from
from gymtui.signal.recording import load_text

ROLES = [MuscleRole.TARGET, MuscleRole.ANTAGONIST, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST]


def test_a_leg_extension_set_streams_into_frames_metrics_and_reps(shared_data: Path) -> None:
    rec = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    live = LiveSignal(rec.rate_hz, ROLES, names=["RF", "BF", "VM", "ST"])
    live.set_calibration(Calibration((90.0, 90.0, 130.0, 20.0), 0.1))
    live.begin_set()
    step = 33
    results, phases = [], []
    live.begin_phase(PhaseKind.REST, 0.0)
    for start in range(0, rec.samples.shape[0], step):
        t0 = start / rec.rate_hz
        if t0 >= 0.6 and live._phase_kind == PhaseKind.REST.value:  # the first 0.6 s is quiet
            phases.append(live.end_phase(0.6))
            live.begin_phase(PhaseKind.REPS, 0.6)
        block = rec.samples[start : start + step].astype(np.float32)
        results.append(live.process(block, (start + block.shape[0] - 1) / rec.rate_hz))
    summary, reps = live.finish_set(rec.duration_s)
    last = results[-1]
    assert len(last.envelope_uv) == len(last.pct_mvc) == len(last.quality) == 4
    assert all(isinstance(v, float) for v in last.pct_mvc)
    assert all(isinstance(flags, tuple) for flags in last.quality)
    onsets = [e for r in results for e in r.events if e.kind == "onset" and e.channel == 0]
    assert 3 <= len(onsets) <= 6  # the four reps, learnt from a 0.6 s rest
    assert any(0.5 <= e.t_s <= 1.3 for e in onsets)
    assert phases[0]["kind"] == "rest"
    assert len(reps) == 4 and summary["perfect_reps"] == sum(r["perfect"] for r in reps)
    assert set(summary) == {
        "peak_pct_mvc", "mean_pct_mvc", "target_share", "cci_pct", "time_above_target_s",
        "perfect_reps", "mf_slope_hz_per_s", "quality_flags", "time_in_zone_s", "cue_count",
    }
    assert [r["idx"] for r in reps] == [v.number for v in results[-1].feedback.reps]  # stored = judged live
    assert all({"reason", "rise_ms"} <= set(r) for r in reps)
    assert live.analyzer is None


def test_uncalibrated_frames_carry_none_per_channel() -> None:
    live = LiveSignal(1000.0, [MuscleRole.TARGET, MuscleRole.OTHER])
    result = live.process(np.zeros((33, 2), dtype=np.float32), 0.033)
    assert result.pct_mvc == (None, None) and result.quality == ((), ())


ENV = np.concatenate(
    [np.full(n, level) for n, level in [(700, 5.0), (300, 40.0), (40, 5.0), (200, 40.0), (600, 5.0), (60, 40.0), (500, 5.0), (250, 40.0), (350, 5.0)]]
)[:, None] + np.random.default_rng(0).standard_normal((3000, 1)) * 0.2


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=40))
def test_onset_detector_events_do_not_depend_on_frame_sizes(cuts: list[int]) -> None:
    rule = OnsetRule(settle_s=0.0)
    baseline = baseline_from(ENV[:600])

    def events(sizes: list[int]) -> list[tuple[str, float]]:
        detector = StreamingOnsetDetector(1, 1000.0, rule)
        detector.set_baseline(baseline)
        out, start = [], 0
        for size in sizes + [ENV.shape[0]]:
            out += detector.update(ENV[start : start + size])
            start += size
            if start >= ENV.shape[0]:
                break
        return [(e.kind, round(e.t_s, 6)) for e in out]

    whole = events([])
    assert [k for k, _ in whole] == ["onset", "offset", "onset", "offset"]  # the 40 ms gap merges, the 60 ms blip is too short
    assert events(cuts) == whole


def test_tkeo_onsets_in_the_live_chain(shared_data: Path) -> None:
    rec = load_text(shared_data / "biosppy_emg_1_1khz.txt")
    live = LiveSignal(rec.rate_hz, [MuscleRole.TARGET], onsets_on="tkeo")
    onsets = []
    for start in range(0, rec.samples.shape[0], 33):
        t_s = start / rec.rate_hz
        if live._phase_kind is None and 3.0 <= t_s < 3.1:  # 3–12 s is quiet: a rest phase teaches the baseline
            live.begin_phase(PhaseKind.REST, t_s)
        if live._phase_kind == PhaseKind.REST.value and t_s >= 12.0:
            live.end_phase(t_s)
        block = rec.samples[start : start + 33].astype(np.float32)
        onsets += [e.t_s for e in live.process(block, (start + 32) / rec.rate_hz).events if e.kind == "onset"]
    assert any(15.2 <= t <= 15.8 for t in onsets), onsets
    assert not [t for t in onsets if 27.5 < t < 34.0 or 46.0 < t < 63.0], onsets


def test_a_channel_without_mvc_reads_none_not_nan() -> None:
    live = LiveSignal(1000.0, [MuscleRole.TARGET, MuscleRole.OTHER])
    live.set_calibration(Calibration((100.0, 0.0), 0.1))
    rng = np.random.default_rng(0)
    result = live.process((rng.standard_normal((200, 2)) * 50).astype(np.float32), 0.2)
    assert isinstance(result.pct_mvc[0], float) and result.pct_mvc[1] is None


def _pct_stream(live: LiveSignal, pct_levels: np.ndarray, seconds: float, t0: float, rate_hz: float) -> tuple[list, float]:
    """Feed white noise whose RMS is ``pct_levels`` % of a 100 µV MVC per channel; return (results, t after)."""
    rng = np.random.default_rng(int(t0 * 10))
    step = 33
    out = []
    n = round(seconds * rate_hz)
    for start in range(0, n, step):
        k = min(step, n - start)
        block = (rng.standard_normal((k, pct_levels.size)) * pct_levels).astype(np.float32)
        out.append(live.process(block, t0 + (start + k - 1) / rate_hz))
    return out, t0 + n / rate_hz


def test_a_cue_in_the_sets_last_samples_is_kept_and_counted() -> None:
    from gymtui.model import FormCueKind, FormRules

    rate = 1000.0
    live = LiveSignal(rate, [MuscleRole.TARGET, MuscleRole.SYNERGIST], names=["Lat", "Biceps"])
    live.set_calibration(Calibration((100.0, 100.0), 0.1))
    live.begin_set(FormRules(correction="Lats first"))
    live.begin_phase(PhaseKind.REPS, 0.0)
    results, t = _pct_stream(live, np.array([20.0, 60.0]), 0.39, 0.0, rate)  # dwell 0.3 s reached after the last batch
    shown = [c for r in results for c in r.new_cues]
    summary, _reps = live.finish_set(t)
    late = live.take_new_cues()
    assert shown == [] and len(late) == 1  # judged at the set end, not lost
    cues = shown + list(late)
    assert [(c.kind, c.text) for c in cues] == [(FormCueKind.COMPENSATION, "Lats first")]
    assert summary["cue_count"] == 1


def test_without_coaching_the_set_metrics_still_run() -> None:
    live = LiveSignal(1000.0, [MuscleRole.TARGET, MuscleRole.SYNERGIST])
    live.set_calibration(Calibration((100.0, 100.0), 0.1))
    live.begin_set(coach=False)
    live.begin_phase(PhaseKind.REPS, 0.0)
    results, t = _pct_stream(live, np.array([20.0, 60.0]), 1.0, 0.0, 1000.0)
    assert all(r.feedback is None and r.new_cues == () for r in results)
    summary, _reps = live.finish_set(t)
    assert summary["cue_count"] == 0 and summary["time_in_zone_s"] is None and summary["target_share"] is not None
