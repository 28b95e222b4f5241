"""The seam between the simulated athlete and the simulated electrodes.

A :class:`Physiology` turns per-muscle neural drive (0–1) into surface EMG in
µV, block by block, keeping whatever state it needs between calls. The demo
sensor only knows this protocol, so a richer model (motor-unit pools) can
replace the simple one without touching the sensor or anything above it:
:class:`gymtui.sim.surface.MotorUnitPhysiology` is that model, and
:func:`gymtui.sim.demo_physiology` builds one with its athlete for the demo.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from scipy import signal as sps


class Physiology(Protocol):
    """Drive in, surface EMG out, for a fixed set of muscles at a fixed rate."""

    rate_hz: float
    n_muscles: int

    def render(self, drive: np.ndarray) -> np.ndarray:
        """``drive`` float ``(n_samples, n_muscles)`` in 0–1 → float32 µV of the same shape."""
        ...


class BandNoisePhysiology:
    """Band-limited Gaussian noise whose amplitude follows the drive.

    Surface EMG is, to first order, a zero-mean random signal whose variance
    grows with excitation and whose power sits between ~20 and ~250 Hz. This
    model renders exactly that, plus electrode noise and a little mains hum,
    so the filters, envelope and %MVC downstream have real work to do.
    """

    def __init__(
        self,
        rate_hz: float,
        n_muscles: int,
        *,
        max_rms_uv: float | np.ndarray = 300.0,
        noise_rms_uv: float = 3.0,
        mains_hz: float = 50.0,
        mains_uv: float = 4.0,
        seed: int | None = 0,
    ) -> None:
        self.rate_hz = float(rate_hz)
        self.n_muscles = n_muscles
        self._rng = np.random.default_rng(seed)
        self._max_rms_uv = np.broadcast_to(np.asarray(max_rms_uv, dtype=np.float64), (n_muscles,)).copy()
        self._noise_rms_uv = noise_rms_uv
        self._mains_hz = mains_hz
        self._mains_uv = mains_uv
        high_hz = min(250.0, 0.45 * self.rate_hz)
        self._sos = sps.butter(2, [20.0, high_hz], btype="bandpass", fs=self.rate_hz, output="sos")
        self._zi = np.zeros((self._sos.shape[0], 2, n_muscles))
        # The shaping filter loses power; scale so unit drive gives max_rms_uv.
        _, h = sps.sosfreqz(self._sos, worN=4096, fs=self.rate_hz)
        self._gain = 1.0 / np.sqrt(np.mean(np.abs(h) ** 2) * 2.0)
        self._n_done = 0

    def render(self, drive: np.ndarray) -> np.ndarray:
        n = drive.shape[0]
        white = self._rng.standard_normal((n, self.n_muscles))
        shaped, self._zi = sps.sosfilt(self._sos, white, axis=0, zi=self._zi)
        emg = shaped * self._gain * np.clip(drive, 0.0, 1.0) * self._max_rms_uv
        t_s = (self._n_done + np.arange(n)) / self.rate_hz
        hum = self._mains_uv * np.sin(2 * np.pi * self._mains_hz * t_s)[:, None]
        noise = self._noise_rms_uv * self._rng.standard_normal((n, self.n_muscles))
        self._n_done += n
        result: np.ndarray = (emg + hum + noise).astype(np.float32)
        return result
