"""Streaming IIR filters whose state survives block boundaries.

The design is one second-order-sections cascade per stream (band-pass and
every mains notch folded together), run with ``scipy.signal.sosfilt`` and its
``zi`` carried from call to call. Cutting a stream into any block sizes gives
the same output as filtering it whole, and one call per block costs a few
microseconds of overhead, so the worker can afford a call per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

NYQUIST_MARGIN = 0.9
"""The band-pass upper corner never exceeds this fraction of Nyquist."""


@dataclass(frozen=True, slots=True)
class BandSpec:
    """The band actually used at one sample rate, and why it differs from the request."""

    low_hz: float
    high_hz: float | None
    clamped: bool
    note: str


def clamp_band(rate_hz: float, low_hz: float = 20.0, high_hz: float = 450.0) -> BandSpec:
    """Fit the requested EMG band below Nyquist.

    At 200 Hz (Myo, Ganglion) a 20–450 Hz band is impossible; the upper corner
    drops to 90 % of Nyquist and the note says so, for the screen.
    """
    nyquist_hz = rate_hz / 2.0
    ceiling_hz = NYQUIST_MARGIN * nyquist_hz
    if high_hz < ceiling_hz:
        return BandSpec(low_hz, high_hz, False, "")
    if low_hz >= ceiling_hz:
        raise ValueError(f"a {low_hz:g} Hz high-pass is impossible at {rate_hz:g} Hz sampling")
    return BandSpec(
        low_hz,
        ceiling_hz,
        True,
        f"band {low_hz:g}–{ceiling_hz:g} Hz (clamped below Nyquist at {rate_hz:g} Hz; request was {low_hz:g}–{high_hz:g})",
    )


def design_emg_sos(
    rate_hz: float,
    low_hz: float = 20.0,
    high_hz: float = 450.0,
    order: int = 4,
    mains_hz: float | None = 50.0,
    notch_q: float = 30.0,
) -> tuple[np.ndarray, BandSpec]:
    """Band-pass Butterworth plus a notch per mains harmonic inside the band.

    Returns the cascade as float64 SOS of shape ``(n_sections, 6)`` and the
    band actually used.
    """
    band = clamp_band(rate_hz, low_hz, high_hz)
    sos = sps.butter(order, [band.low_hz, band.high_hz], btype="bandpass", fs=rate_hz, output="sos")
    sections = [sos]
    if mains_hz:
        upper_hz = band.high_hz if band.high_hz is not None else rate_hz / 2
        harmonic = mains_hz
        while harmonic < min(upper_hz, NYQUIST_MARGIN * rate_hz / 2):
            b, a = sps.iirnotch(harmonic, notch_q, fs=rate_hz)
            sections.append(sps.tf2sos(b, a))
            harmonic += mains_hz
    return np.vstack(sections), band


class StreamingSos:
    """An SOS cascade applied to a multichannel stream, block by block.

    Input blocks are ``(n_samples, n_channels)``; the state ``zi`` has shape
    ``(n_sections, 2, n_channels)`` and starts at zero (the band-pass removes
    any DC within a few hundred ms, which is what a live stream needs).
    """

    def __init__(self, sos: np.ndarray, n_channels: int) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=np.float64)
        self.n_channels = n_channels
        self._zi = np.zeros((self.sos.shape[0], 2, n_channels), dtype=np.float64)

    def reset(self) -> None:
        self._zi[...] = 0.0

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if block.shape[0] == 0:
            return np.zeros((0, self.n_channels), dtype=np.float64)
        out, self._zi = sps.sosfilt(self.sos, block, axis=0, zi=self._zi)
        return out


class StreamingRms:
    """Causal moving RMS over a window of ``window_n`` samples, per channel.

    Carries the last ``window_n - 1`` squared samples between blocks, so the
    output is identical however the stream is cut. Its group delay is about
    half the window.
    """

    def __init__(self, window_n: int, n_channels: int) -> None:
        if window_n < 1:
            raise ValueError("the RMS window must hold at least one sample")
        self.window_n = window_n
        self.n_channels = n_channels
        self._tail_sq = np.zeros((window_n - 1, n_channels), dtype=np.float64)

    def reset(self) -> None:
        self._tail_sq[...] = 0.0

    def __call__(self, block: np.ndarray) -> np.ndarray:
        n = block.shape[0]
        if n == 0:
            return np.zeros((0, self.n_channels), dtype=np.float64)
        squared = np.concatenate([self._tail_sq, np.square(block, dtype=np.float64)], axis=0)
        csum = np.cumsum(squared, axis=0)
        csum = np.concatenate([np.zeros((1, self.n_channels)), csum], axis=0)
        w = self.window_n
        window_sums = csum[w:] - csum[:-w]
        self._tail_sq = squared[-(w - 1):] if w > 1 else self._tail_sq
        return np.sqrt(np.maximum(window_sums, 0.0) / w)
