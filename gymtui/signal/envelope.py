"""Amplitude envelopes of band-passed EMG: moving RMS or linear envelope.

Both run causally on a stream with their state carried between blocks, and
both say how late they are: a causal envelope lags the muscle, and the
athlete's bar (and every onset we report) must account for it. The delay of
each option is computed from the filters themselves (:func:`envelope_delay_s`)
and checked in the tests against a zero-phase offline reference on real
recordings.

Arrays here are channel-major ``(n_channels, n_samples)`` float64, the layout
the SOS kernel wants; :class:`~gymtui.signal.pipeline.EmgPipeline` hands the
rest of the app ``(n_samples, n_channels)`` views of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import signal as sps
from scipy.ndimage import uniform_filter1d

from gymtui.signal.filters import StreamingSos, sos_group_delay_s

EnvelopeKind = Literal["rms", "linear"]


@dataclass(frozen=True, slots=True)
class EnvelopeSpec:
    """Which envelope, and its window or cut-off (ISEK asks for both to be reported)."""

    kind: EnvelopeKind = "rms"
    rms_window_s: float = 0.100
    lowpass_hz: float = 6.0
    lowpass_order: int = 2

    def describe(self) -> str:
        if self.kind == "rms":
            return f"moving RMS, {self.rms_window_s * 1000:g} ms window"
        return f"linear envelope: full-wave rectified, {self.lowpass_order}nd-order Butterworth low-pass {self.lowpass_hz:g} Hz"


_INTEGRATOR_SOS = np.array([[1.0, 0.0, 0.0, 1.0, -1.0, 0.0]])
"""y[n] = y[n-1] + x[n] as one SOS section: its state is the running sum."""


class StreamingRms:
    """Causal moving RMS over ``window_n`` samples, per channel.

    A running sum of squares: each block adds its squares and subtracts the
    squares leaving the window (kept in a history of the last ``window_n``),
    integrated by scipy's SOS kernel as a one-section accumulator whose state
    carries the sum between blocks (≈4× cheaper than ``np.cumsum`` on a
    16-channel frame). The sum is recomputed exactly from the history every
    ``resync_n`` samples, so rounding cannot creep over a two-hour stream;
    the output is the same (to 1e-9) however the stream is cut. Its delay
    is ``(window_n - 1) / 2`` samples.
    """

    def __init__(self, window_n: int, n_channels: int, resync_n: int = 1 << 16) -> None:
        if window_n < 1:
            raise ValueError("the RMS window must hold at least one sample")
        self.window_n = window_n
        self.n_channels = n_channels
        self._resync_n = resync_n
        self._integrator = StreamingSos(_INTEGRATOR_SOS, n_channels, settle_on_first=False)
        self.reset()

    def reset(self) -> None:
        self._history = np.zeros((self.n_channels, self.window_n), dtype=np.float64)  # oldest first
        self._integrator.reset()
        self._since_resync = 0

    def __call__(self, filtered_cm: np.ndarray) -> np.ndarray:
        """``(n_channels, n)`` filtered → ``(n_channels, n)`` RMS envelope."""
        n = filtered_cm.shape[1]
        w = self.window_n
        if n == 0:
            return np.zeros((self.n_channels, 0))
        squared = np.square(filtered_cm)
        if n <= w:
            delta = squared - self._history[:, :n]
            self._history = np.concatenate((self._history[:, n:], squared), axis=1)
        else:
            delta = squared - np.concatenate((self._history, squared[:, : n - w]), axis=1)
            self._history = squared[:, n - w :].copy()
        sums = self._integrator.filter_channel_major(delta)
        self._since_resync += n
        if self._since_resync >= self._resync_n:
            self._since_resync = 0
            self._integrator.set_state_sum(self._history.sum(axis=1))
        np.maximum(sums, 0.0, out=sums)
        sums *= 1.0 / w
        result: np.ndarray = np.sqrt(sums, out=sums)
        return result

    @property
    def delay_samples(self) -> float:
        return (self.window_n - 1) / 2.0


class StreamingLinearEnvelope:
    """Full-wave rectification then a Butterworth low-pass, streaming."""

    def __init__(self, rate_hz: float, lowpass_hz: float, order: int, n_channels: int) -> None:
        if not 0 < lowpass_hz < rate_hz / 2:
            raise ValueError(f"a {lowpass_hz:g} Hz envelope low-pass is impossible at {rate_hz:g} Hz")
        self.sos = sps.butter(order, lowpass_hz, btype="lowpass", fs=rate_hz, output="sos")
        self._lowpass = StreamingSos(self.sos, n_channels, settle_on_first=False)
        self.rate_hz = rate_hz
        self.lowpass_hz = lowpass_hz

    def reset(self) -> None:
        self._lowpass.reset()

    def __call__(self, filtered_cm: np.ndarray) -> np.ndarray:
        rectified = np.abs(filtered_cm)
        return self._lowpass.filter_channel_major(rectified)

    @property
    def delay_samples(self) -> float:
        # The envelope's own content sits well below the cut-off, where a
        # Butterworth's group delay is flat: average it over that range.
        return sos_group_delay_s(self.sos, self.rate_hz, 0.05 * self.lowpass_hz, 0.5 * self.lowpass_hz) * self.rate_hz


def make_envelope(spec: EnvelopeSpec, rate_hz: float, n_channels: int) -> StreamingRms | StreamingLinearEnvelope:
    if spec.kind == "rms":
        return StreamingRms(max(1, round(spec.rms_window_s * rate_hz)), n_channels)
    if spec.kind == "linear":
        return StreamingLinearEnvelope(rate_hz, spec.lowpass_hz, spec.lowpass_order, n_channels)
    raise ValueError(f"unknown envelope kind {spec.kind!r}; choose 'rms' or 'linear'")


def carrier_band_hz(low_hz: float, high_hz: float) -> tuple[float, float]:
    """Where surface-EMG power concentrates (≈50–150 Hz), clipped to the band in use."""
    if high_hz < 200.0:
        # A 200 Hz device aliases the whole EMG spectrum into 0–100 Hz: what
        # it sees is spread over all of what is left of the band.
        return low_hz, high_hz
    return max(low_hz * 1.5, 40.0), 120.0


def envelope_delay_s(
    band_sos: np.ndarray, rate_hz: float, low_hz: float, high_hz: float, envelope: StreamingRms | StreamingLinearEnvelope
) -> float:
    """Total delay of the causal envelope: band-pass group delay over the EMG carrier plus the smoother's."""
    lo, hi = carrier_band_hz(low_hz, high_hz)
    return sos_group_delay_s(band_sos, rate_hz, lo, hi) + envelope.delay_samples / rate_hz


def zero_phase_envelope(
    samples: np.ndarray, rate_hz: float, band_sos: np.ndarray, spec: EnvelopeSpec
) -> np.ndarray:
    """The offline reference: ``sosfiltfilt`` band-pass and a centred (zero-phase) envelope.

    ``samples`` is ``(n_samples, n_channels)``; returns the envelope in the same layout.
    """
    x = np.asarray(samples, dtype=np.float64)
    x = x - x[: max(1, int(rate_hz // 2))].mean(axis=0)
    filtered = sps.sosfiltfilt(band_sos, x, axis=0)
    if spec.kind == "rms":
        w = max(1, round(spec.rms_window_s * rate_hz))
        rms: np.ndarray = np.sqrt(np.maximum(uniform_filter1d(filtered**2, size=w, axis=0, mode="nearest"), 0.0))
        return rms
    sos = sps.butter(spec.lowpass_order, spec.lowpass_hz, btype="lowpass", fs=rate_hz, output="sos")
    result: np.ndarray = sps.sosfiltfilt(sos, np.abs(filtered), axis=0)
    return result


def fit_delay_s(causal: np.ndarray, reference: np.ndarray, rate_hz: float, max_lag_s: float = 0.25) -> tuple[float, float]:
    """Lag (s) at which a causal envelope best matches a zero-phase one, and that correlation.

    Both are 1-D. The lag is refined between samples by a parabola through
    the correlation peak, so a 200 Hz stream is not stuck on 5 ms steps.
    """
    max_lag = max(2, int(max_lag_s * rate_hz))
    n = min(len(causal), len(reference)) - max_lag
    if n < 4:
        raise ValueError("too few samples to fit a delay")
    ref = reference[:n] - reference[:n].mean()
    ref_norm = np.sqrt(np.sum(ref * ref))
    corr = np.empty(max_lag + 1)
    for lag in range(max_lag + 1):
        seg = causal[lag : lag + n]
        seg = seg - seg.mean()
        corr[lag] = np.sum(seg * ref) / (np.sqrt(np.sum(seg * seg)) * ref_norm + 1e-300)
    k = int(np.argmax(corr))
    shift = 0.0
    if 0 < k < max_lag:
        y0, y1, y2 = corr[k - 1], corr[k], corr[k + 1]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            shift = 0.5 * (y0 - y2) / denom
    return (k + shift) / rate_hz, float(corr[k])


def measure_envelope_delay_s(rate_hz: float, band_sos: np.ndarray, spec: EnvelopeSpec, seed: int = 7) -> float:
    """The envelope's delay, measured the way the tests check it on recordings.

    A synthetic surface EMG (band-limited noise whose amplitude follows a
    train of bursts of different lengths and slopes) runs through the causal
    band-pass and envelope and through the zero-phase reference; the lag that
    best aligns them is the delay. Rectification makes the linear envelope's
    delay depend on more than the low-pass's group delay, so it is measured
    rather than read off one filter. Deterministic (fixed seed), ≈10 ms.
    """
    rng = np.random.default_rng(seed)
    duration_s = 12.0
    n = int(duration_s * rate_hz)
    t_s = np.arange(n) / rate_hz
    # Surface EMG power peaks near 50–80 Hz and falls off above ≈150 Hz.
    carrier_lo, carrier_hi = carrier_band_hz(20.0, min(250.0, 0.45 * rate_hz))
    carrier_hi = min(carrier_hi, 0.45 * rate_hz)
    carrier = sps.sosfilt(
        sps.butter(2, [carrier_lo, carrier_hi], btype="bandpass", fs=rate_hz, output="sos"), rng.standard_normal(n)
    )
    amplitude = np.full(n, 0.05)
    for start_s, length_s, ramp_s in [(1.0, 1.5, 0.05), (3.5, 0.6, 0.02), (5.0, 2.5, 0.4), (8.5, 0.3, 0.01), (9.5, 1.2, 0.2)]:
        rise = np.clip((t_s - start_s) / ramp_s, 0, 1)
        fall = np.clip((start_s + length_s - t_s) / ramp_s, 0, 1)
        amplitude += np.minimum(rise, fall)
    # Force is never steady: recruitment and rate coding wobble the amplitude at a few Hz.
    wobble = sps.sosfilt(sps.butter(2, 8.0, fs=rate_hz, output="sos"), rng.standard_normal(n))
    amplitude *= np.clip(1.0 + 0.6 * wobble / (wobble.std() + 1e-12), 0.1, None)
    x = (carrier * amplitude)[:, None]
    filtered = sps.sosfilt(band_sos, x, axis=0)
    envelope = make_envelope(spec, rate_hz, 1)
    causal = envelope(np.ascontiguousarray(filtered.T))[0]
    reference = zero_phase_envelope(x, rate_hz, band_sos, spec)[:, 0]
    skip = int(0.5 * rate_hz)
    delay_s, _ = fit_delay_s(causal[skip:], reference[skip:], rate_hz)
    return delay_s


@functools.lru_cache(maxsize=32)
def cached_envelope_delay_s(rate_hz: float, low_hz: float, high_hz: float, order: int, spec: EnvelopeSpec) -> float:
    """:func:`measure_envelope_delay_s` for a band-pass given by its corners, cached per configuration."""
    band_sos = sps.butter(order, [low_hz, high_hz], btype="bandpass", fs=rate_hz, output="sos")
    return measure_envelope_delay_s(rate_hz, band_sos, spec)
