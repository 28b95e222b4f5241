"""The per-stream EMG chain: band-pass + notch → rectify → RMS envelope → %MVC.

Pure numpy/scipy with state; the worker thread owns one instance per source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gymtui.model import Calibration
from gymtui.signal.filters import BandSpec, StreamingRms, StreamingSos, design_emg_sos


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """The chain's settings, reported with every set (ISEK asks for them)."""

    low_hz: float = 20.0
    high_hz: float = 450.0
    order: int = 4
    mains_hz: float | None = 50.0
    notch_q: float = 30.0
    rms_window_s: float = 0.100


@dataclass(frozen=True, slots=True)
class PipelineOutput:
    """One processed block: envelopes ``(n_samples, n_channels)`` float64 in µV."""

    envelope_uv: np.ndarray
    t_end_s: float


class EmgPipeline:
    """Streaming filter + envelope + normalisation for one multichannel source."""

    def __init__(self, rate_hz: float, n_channels: int, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self.rate_hz = float(rate_hz)
        self.n_channels = n_channels
        sos, self.band = design_emg_sos(
            rate_hz,
            self.config.low_hz,
            self.config.high_hz,
            self.config.order,
            self.config.mains_hz,
            self.config.notch_q,
        )
        self._filter = StreamingSos(sos, n_channels)
        self.rms_window_n = max(1, round(self.config.rms_window_s * rate_hz))
        self._rms = StreamingRms(self.rms_window_n, n_channels)
        self._mvc_uv: np.ndarray | None = None
        self._capture_peak_uv: np.ndarray | None = None

    @property
    def band_spec(self) -> BandSpec:
        return self.band

    @property
    def group_delay_s(self) -> float:
        """Delay of the RMS envelope: half its window (the band-pass adds little at EMG rates)."""
        return (self.rms_window_n - 1) / 2.0 / self.rate_hz

    def process(self, samples_uv: np.ndarray, t_end_s: float = 0.0) -> PipelineOutput:
        filtered = self._filter(samples_uv)
        envelope = self._rms(filtered)
        if self._capture_peak_uv is not None and envelope.shape[0]:
            np.maximum(self._capture_peak_uv, envelope.max(axis=0), out=self._capture_peak_uv)
        return PipelineOutput(envelope, t_end_s)

    # -- MVC calibration -------------------------------------------------
    def set_calibration(self, calibration: Calibration | None) -> None:
        if calibration is None:
            self._mvc_uv = None
            return
        mvc = np.asarray(calibration.mvc_uv, dtype=np.float64)
        if mvc.shape != (self.n_channels,):
            raise ValueError(f"calibration has {mvc.shape[0]} channels, stream has {self.n_channels}")
        self._mvc_uv = np.where(mvc > 0, mvc, np.nan)

    @property
    def calibrated(self) -> bool:
        return self._mvc_uv is not None

    def begin_mvc_capture(self) -> None:
        self._capture_peak_uv = np.zeros(self.n_channels, dtype=np.float64)

    def end_mvc_capture(self) -> np.ndarray:
        """The peak envelope per channel since :meth:`begin_mvc_capture`."""
        if self._capture_peak_uv is None:
            raise RuntimeError("no MVC capture is running")
        peak, self._capture_peak_uv = self._capture_peak_uv, None
        return peak

    def pct_mvc(self, envelope_uv: np.ndarray) -> np.ndarray | None:
        """Envelope as % of the calibrated MVC (same shape), or None uncalibrated."""
        if self._mvc_uv is None:
            return None
        return 100.0 * envelope_uv / self._mvc_uv
