"""Streaming filters: state carried across blocks, the band clamped below Nyquist, notches where mains is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

from gymtui.signal.filters import (
    StreamingSos,
    clamp_band,
    design_emg_sos,
    mains_harmonics_hz,
)
from gymtui.signal.pipeline import EmgPipeline, PipelineConfig

RNG = np.random.default_rng(3)
SIGNAL = (RNG.standard_normal((1500, 3)) * 50 + 2048).astype(np.float32)  # ADC counts with an offset


def _stream(pipeline: EmgPipeline, x: np.ndarray, cuts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    env, filt, start = [], [], 0
    for size in cuts + [x.shape[0]]:
        block = x[start : start + size]
        start += block.shape[0]
        out = pipeline.process(block, start / pipeline.rate_hz)
        env.append(np.array(out.envelope_uv))
        filt.append(np.array(out.filtered_uv))
        if start >= x.shape[0]:
            break
    return np.concatenate(env), np.concatenate(filt)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30), kind=st.sampled_from(["rms", "linear"]))
def test_any_block_sizes_give_the_same_output_as_one_block(cuts: list[int], kind: str) -> None:
    config = PipelineConfig(envelope=kind)
    whole_env, whole_filt = _stream(EmgPipeline(1000.0, 3, config), SIGNAL, [])
    cut_env, cut_filt = _stream(EmgPipeline(1000.0, 3, config), SIGNAL, cuts)
    assert cut_env.shape == whole_env.shape == SIGNAL.shape
    np.testing.assert_allclose(cut_filt, whole_filt, rtol=0, atol=1e-9)
    np.testing.assert_allclose(cut_env, whole_env, rtol=0, atol=1e-9)


def test_fast_kernel_matches_public_sosfilt() -> None:
    sos, _ = design_emg_sos(2000.0)
    x = RNG.standard_normal((700, 4))
    streaming = StreamingSos(sos, 4, settle_on_first=False)
    ours = np.concatenate([streaming(x[:66]), streaming(x[66:])])
    np.testing.assert_allclose(ours, sps.sosfilt(sos, x, axis=0), atol=1e-12)


def test_settling_on_the_first_sample_removes_the_adc_offset_transient() -> None:
    sos, _ = design_emg_sos(1000.0)
    flat_offset = np.full((500, 1), 2048.0)
    assert np.abs(StreamingSos(sos, 1, settle_on_first=True)(flat_offset)).max() < 1e-6
    assert np.abs(StreamingSos(sos, 1, settle_on_first=False)(flat_offset)).max() > 100


def test_the_band_is_clamped_below_nyquist_for_200_hz_devices_and_says_so() -> None:
    band = clamp_band(200.0)
    assert band.clamped and band.high_hz == pytest.approx(90.0)
    assert "clamped" in band.note and "200" in band.note
    full = clamp_band(1000.0)
    assert not full.clamped and full.high_hz == 450.0 and full.note == ""
    assert EmgPipeline(200.0, 8).band.clamped


def test_notches_sit_on_each_mains_harmonic_up_to_the_band_edge() -> None:
    assert mains_harmonics_hz(2000.0, 50.0, 450.0) == [50, 100, 150, 200, 250, 300, 350, 400]
    assert mains_harmonics_hz(2000.0, 60.0, 450.0) == [60, 120, 180, 240, 300, 360, 420]
    assert mains_harmonics_hz(200.0, 50.0, 90.0) == [50]
    sos, _ = design_emg_sos(2000.0, mains_hz=60.0)
    freqs = np.array([60.0, 180.0, 420.0, 90.0, 270.0])
    _, h = sps.sosfreqz(sos, worN=freqs, fs=2000.0)
    gain_db = 20 * np.log10(np.abs(h))
    assert np.all(gain_db[:3] < -30)  # on the harmonics
    assert np.all(gain_db[3:] > -3)  # between them, the EMG passes


def test_dc_blocker_is_an_extra_section_and_removes_a_slow_drift() -> None:
    plain, _ = design_emg_sos(1000.0)
    blocked, _ = design_emg_sos(1000.0, dc_block_hz=1.0)
    assert blocked.shape[0] == plain.shape[0] + 1


def test_public_sosfilt_fallback_gives_the_same_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    from gymtui.signal import filters

    sos, _ = design_emg_sos(1000.0)
    fast = StreamingSos(sos, 3)
    expected = np.concatenate([fast(SIGNAL[:100]), fast(SIGNAL[100:])])
    monkeypatch.setattr(filters, "_sosfilt_kernel", None)  # as if a future scipy moved its kernel
    slow = StreamingSos(sos, 3)
    got = np.concatenate([slow(SIGNAL[:100]), slow(SIGNAL[100:])])
    np.testing.assert_allclose(got, expected, atol=1e-9)


@pytest.mark.parametrize("channels", [3, 5, 64])
def test_a_block_with_another_channel_count_is_refused_and_leaves_the_stream_intact(channels: int) -> None:
    """The fast kernel does not check shapes: a wider block would corrupt the heap, so it is refused first."""
    sos, _ = design_emg_sos(1000.0)
    rng = np.random.default_rng(3)
    good = rng.normal(size=(200, 4))
    reference = StreamingSos(sos, 4)
    expected = np.vstack([reference(good[:100]), reference(good[100:])])
    stream = StreamingSos(sos, 4)
    first = stream(good[:100])
    for _ in range(200):
        with pytest.raises(ValueError, match="4-channel filter"):
            stream(np.ones((10, channels)))
    np.testing.assert_array_equal(np.vstack([first, stream(good[100:])]), expected)
