"""The causal envelope against a zero-phase offline reference, on real recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gymtui.model import Calibration
from gymtui.signal.analysis import stream_envelope
from gymtui.signal.envelope import fit_delay_s, zero_phase_envelope
from gymtui.signal.pipeline import EmgPipeline, PipelineConfig
from gymtui.signal.recording import load_text

# Channels with clear contractions (the weak hamstring channels of the UCI file
# barely leave their noise floor and are left out).
CASES = [
    ("biosppy_emg_1_1khz.txt", [0]),
    ("uci_leg_extension_quads_hams_1khz.txt", [0, 2]),
    ("myo_fist_clean_200hz.txt", list(range(8))),
]


@pytest.mark.parametrize("kind", ["rms", "linear"])
@pytest.mark.parametrize("name,channels", CASES)
def test_causal_envelope_matches_zero_phase_reference_after_the_reported_delay(
    shared_data: Path, name: str, channels: list[int], kind: str
) -> None:
    rec = load_text(shared_data / name)
    pipeline, envelope, _ = stream_envelope(rec.samples, rec.rate_hz, PipelineConfig(envelope=kind))
    reference = zero_phase_envelope(rec.samples, rec.rate_hz, pipeline.sos, pipeline.envelope_spec)
    reported_s = pipeline.group_delay_s
    lag = round(reported_s * rec.rate_hz)
    skip = int(rec.rate_hz)  # filter settling
    for ch in channels:
        causal, ref = envelope[skip:, ch], reference[skip:, ch]
        aligned = np.corrcoef(causal[lag:], ref[: ref.size - lag])[0, 1]
        fitted_s, _ = fit_delay_s(causal, ref, rec.rate_hz)
        assert aligned >= 0.98, f"{name} ch{ch} {kind}: r = {aligned:.4f}"
        assert abs(fitted_s - reported_s) <= 0.005, f"{name} ch{ch} {kind}: fitted {fitted_s * 1e3:.1f} ms, reported {reported_s * 1e3:.1f} ms"


def test_rms_delay_is_about_half_the_window_plus_a_few_ms_of_band_pass() -> None:
    for window_s in (0.05, 0.1, 0.25):
        delay = EmgPipeline(2000.0, 1, PipelineConfig(rms_window_s=window_s)).group_delay_s
        assert window_s / 2 < delay < window_s / 2 + 0.008


def test_pct_mvc_divides_by_the_calibrated_peak() -> None:
    pipeline = EmgPipeline(1000.0, 2)
    assert pipeline.pct_mvc(np.ones((3, 2))) is None
    pipeline.set_calibration(Calibration((200.0, 50.0), 0.1))
    np.testing.assert_allclose(pipeline.pct_mvc(np.array([[100.0, 100.0]])), [[50.0, 200.0]])


def test_mvc_capture_returns_the_peak_envelope_per_channel() -> None:
    rng = np.random.default_rng(0)
    pipeline = EmgPipeline(1000.0, 2)
    pipeline.process(rng.standard_normal((1000, 2)).astype(np.float32))
    pipeline.begin_mvc_capture()
    out = pipeline.process((rng.standard_normal((1000, 2)) * [100.0, 10.0]).astype(np.float32))
    peak = pipeline.end_mvc_capture()
    np.testing.assert_allclose(peak, np.asarray(out.envelope_uv).max(axis=0))
    assert peak[0] > 5 * peak[1]
