"""Onsets and offsets where the recordings' contractions are, none at rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gymtui.signal.analysis import stream_envelope
from gymtui.signal.onsets import (
    OnsetRule,
    StreamingOnsetDetector,
    baseline_from,
    detect_bursts,
    rest_baseline,
    tkeo,
    tkeo_envelope,
)
from gymtui.signal.recording import load_text


def _bursts(shared_data: Path, name: str):
    rec = load_text(shared_data / name)
    pipeline, envelope, filtered = stream_envelope(rec.samples, rec.rate_hz)
    return rec, pipeline, envelope, filtered, detect_bursts(envelope, rec.rate_hz, delay_s=pipeline.group_delay_s)


def _covers(bursts, t_s: float, slack_s: float = 0.3) -> bool:
    return any(b.start_s - slack_s <= t_s <= b.end_s + slack_s for b in bursts)


def test_biosppy_contractions_are_found_and_rest_stays_quiet(shared_data: Path) -> None:
    _, _, _, _, found = _bursts(shared_data, "biosppy_emg_1_1khz.txt")
    bursts = found[0]
    strong = [b for b in bursts if b.start_s < 16.0 < b.end_s]
    assert strong and 15.2 <= strong[0].start_s <= 15.8 and strong[0].end_s >= 16.9
    for t_s in (1.6, 23.3, 38.5, 40.5):  # the small ones
        assert _covers(bursts, t_s), f"no burst near {t_s} s"
    for a, b in [(3.0, 9.3), (11.0, 15.0), (27.5, 34.0), (46.0, 63.0)]:  # rest
        assert not [x for x in bursts if x.end_s > a and x.start_s < b], f"spurious burst in rest {a}-{b} s"


def test_leg_extension_gives_four_reps_on_the_quadriceps(shared_data: Path) -> None:
    _, _, _, _, found = _bursts(shared_data, "uci_leg_extension_quads_hams_1khz.txt")
    knee_moving = [(0.9, 3.0), (4.1, 5.9), (7.1, 8.8), (9.9, 11.5)]
    for ch in (0, 2):  # rectus femoris, vastus medialis
        assert len(found[ch]) == 4
        for burst, (a, b) in zip(found[ch], knee_moving):
            assert burst.start_s < b and burst.end_s > a  # overlaps the movement
            assert a - 0.5 <= burst.start_s <= a + 0.6


def test_myo_fist_onsets_follow_each_cue_by_a_reaction_time(shared_data: Path) -> None:
    rec, pipeline, _, _, found = _bursts(shared_data, "myo_fist_clean_200hz.txt")
    assert pipeline.band.clamped and "clamped" in pipeline.band.note
    labels = np.loadtxt(shared_data / "myo_fist_clean_200hz_labels.txt")
    cues_s = (np.flatnonzero(np.diff(labels) > 0) + 1) / rec.rate_hz
    assert len(cues_s) == 6
    for cue in cues_s:
        delays = []
        for bursts in found:
            main = [b for b in bursts if b.start_s <= cue + 1.0 <= b.end_s]
            if main and main[0].start_s > cue - 0.5:
                delays.append(main[0].start_s - cue)
        assert len(delays) >= 3, f"cue {cue:.2f} s: fist burst missing on most channels"
        assert 0.15 <= float(np.median(delays)) <= 0.5, f"cue {cue:.2f} s: median onset delay {np.median(delays):.2f} s"


def test_streaming_detector_reports_the_same_bursts_as_the_offline_one(shared_data: Path) -> None:
    rec, _pipeline, envelope, _, _ = _bursts(shared_data, "biosppy_emg_1_1khz.txt")
    baseline = rest_baseline(envelope, rec.rate_hz)
    offline = detect_bursts(envelope, rec.rate_hz, baseline=baseline)[0]
    detector = StreamingOnsetDetector(1, rec.rate_hz)
    detector.set_baseline(baseline)
    events = []
    step = 33
    for start in range(0, envelope.shape[0], step):
        events += detector.update(envelope[start : start + step])
    onsets = [e.t_s for e in events if e.kind == "onset"]
    offsets = [e.t_s for e in events if e.kind == "offset"]
    # The offline detector smooths with the same causal window; only the first
    # samples differ (edge handling), and those sit inside the settling time.
    assert onsets == pytest.approx([b.start_s for b in offline], abs=2e-3)
    assert offsets == pytest.approx([b.end_s for b in offline], abs=2e-3)


def test_streaming_detector_learns_its_baseline_from_a_rest_phase() -> None:
    rng = np.random.default_rng(1)
    rate = 1000.0
    rest = 5 + rng.standard_normal((2000, 1)) * 0.3
    work = np.concatenate([rest[:500], np.full((800, 1), 60.0), rest[:1500]])
    detector = StreamingOnsetDetector(1, rate, OnsetRule(settle_s=0.0))
    assert detector.update(rest) == []  # no baseline yet: nothing
    detector.begin_rest()
    detector.update(rest)
    assert detector.end_rest() is not None
    events = []
    for start in range(0, work.shape[0], 66):
        events += detector.update(work[start : start + 66])
    kinds = [e.kind for e in events]
    assert kinds == ["onset", "offset"]
    t0 = 4.0  # samples seen before the work block
    assert events[0].t_s == pytest.approx(t0 + 0.5, abs=0.03)
    assert events[1].t_s == pytest.approx(t0 + 1.3, abs=0.03)


def test_tkeo_option_finds_the_strong_contraction_onset(shared_data: Path) -> None:
    rec, _pipeline, _, filtered, _found = _bursts(shared_data, "biosppy_emg_1_1khz.txt")
    assert tkeo(np.array([1.0, 2.0, 3.0, 4.0]))[1] == pytest.approx(4 - 3)
    energy = tkeo_envelope(filtered, rec.rate_hz)
    bursts = detect_bursts(energy, rec.rate_hz, rule=OnsetRule(k=3.0, floor_ratio=3.0))[0]
    strong = [b for b in bursts if b.start_s < 16.0 < b.end_s]
    assert strong and 15.2 <= strong[0].start_s <= 15.8


def test_baseline_from_rest_is_its_mean_and_sd() -> None:
    b = baseline_from(np.array([[1.0], [3.0]]))
    assert b.mean[0] == 2.0 and b.sd[0] == 1.0
    assert b.threshold(3.0, 0.0)[0] == 5.0


def test_streaming_tkeo_matches_offline_one_sample_behind(shared_data: Path) -> None:
    from gymtui.signal.onsets import StreamingTkeoEnvelope

    rec, _, _, filtered, _ = _bursts(shared_data, "biosppy_emg_1_1khz.txt")
    offline = tkeo_envelope(filtered, rec.rate_hz)
    streaming = StreamingTkeoEnvelope(1, rec.rate_hz)
    sizes = [1, 1, 5, 66, 7, 300] * 100
    out, start = [], 0
    for size in sizes:
        out.append(streaming(filtered[start : start + size]))
        start += size
    out.append(streaming(filtered[start:]))
    got = np.concatenate(out)
    assert got.shape[0] == filtered.shape[0] - 1
    np.testing.assert_allclose(got, offline[:-1], rtol=1e-9, atol=1e-9)


def test_analyze_with_tkeo_onsets_finds_the_strong_contraction(shared_data: Path) -> None:
    from gymtui.signal.analysis import analyze_recording

    rec = load_text(shared_data / "biosppy_emg_1_1khz.txt")
    report, _, _ = analyze_recording(rec.samples, rec.rate_hz, rec.names, onset_method="tkeo")
    onsets = report["channels"][0]["onsets_s"]
    assert any(15.2 <= t <= 15.8 for t in onsets)
    assert not [t for t in onsets if 27.5 < t < 34.0 or 46.0 < t < 63.0]
