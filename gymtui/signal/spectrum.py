"""Median frequency and its slope: the spectral sign of fatigue.

During a sustained contraction conduction velocity falls, the spectrum
compresses and the median frequency declines (De Luca 1984; Merletti et al.
1990). We estimate it per window with Welch and fit a line over the hold.
One 15 s hold is noisy (slopes scatter by 0.15–0.20 Hz/s between stretches
of a real hold), so the slope always travels with its 95 % confidence
interval. At 200 Hz (Myo, Ganglion) the spectrum is aliased and clamped:
the measure is not meaningful there and every function says "n/a" (None).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps
from scipy import stats

MIN_SPECTRAL_RATE_HZ = 500.0
"""Below this sampling rate median frequency is reported as n/a (None)."""


def spectral_ok(rate_hz: float) -> bool:
    return rate_hz >= MIN_SPECTRAL_RATE_HZ


@functools.lru_cache(maxsize=16)
def _hann(n: int) -> np.ndarray:
    result: np.ndarray = sps.get_window("hann", n)
    return result


def welch_psd(x: np.ndarray, rate_hz: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch's estimate: Hann segments overlapping by half, each detrended, periodograms averaged.

    The same numbers as ``scipy.signal.welch(x, fs, nperseg=nperseg)`` (a
    test holds them to it) at a fraction of the cost: scipy's general
    machinery costs ≈1 ms per call, which the worker would pay four times a
    second during every hold.
    """
    step = nperseg - nperseg // 2  # scipy's default overlap is nperseg // 2
    n_seg = 1 + (x.size - nperseg) // step
    segments = np.lib.stride_tricks.sliding_window_view(x, nperseg)[::step][:n_seg]
    segments = segments - segments.mean(axis=1, keepdims=True)
    window = _hann(nperseg)
    spectra = np.abs(np.fft.rfft(segments * window, axis=1)) ** 2
    psd = spectra.mean(axis=0) / (rate_hz * np.sum(window**2))
    if nperseg % 2 == 0:
        psd[1:-1] *= 2.0
    else:
        psd[1:] *= 2.0
    return np.fft.rfftfreq(nperseg, 1.0 / rate_hz), psd


def median_frequency(x: np.ndarray, rate_hz: float, band_hz: tuple[float, float] = (20.0, 450.0)) -> float | None:
    """Median frequency (Hz) of a 1-D window by Welch (≈0.25 s segments), within the band."""
    x = np.asarray(x, dtype=np.float64)
    if not spectral_ok(rate_hz) or x.size < 32:
        return None
    nperseg = min(x.size, max(32, int(0.25 * rate_hz)))
    freqs, psd = welch_psd(x, rate_hz, nperseg)
    sel = (freqs >= band_hz[0]) & (freqs <= min(band_hz[1], 0.9 * rate_hz / 2))
    f, p = freqs[sel], psd[sel]
    total = p.sum()
    if total <= 0:
        return None
    cum = np.cumsum(p)
    k = int(np.searchsorted(cum, total / 2.0))
    if k == 0:
        return float(f[0])
    # Interpolate inside the bin where the cumulative power crosses half.
    frac = (total / 2.0 - cum[k - 1]) / max(p[k], 1e-300)
    return float(f[k - 1] + frac * (f[k] - f[k - 1]))


def median_frequency_series(
    x: np.ndarray, rate_hz: float, window_s: float = 0.5, hop_s: float = 0.25, t0_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Median frequency per window along a 1-D signal: (window centre times s, Hz). Empty at 200 Hz."""
    n = round(window_s * rate_hz)
    hop = max(1, round(hop_s * rate_hz))
    if not spectral_ok(rate_hz) or x.shape[0] < n:
        return np.zeros(0), np.zeros(0)
    times, mfs = [], []
    for start in range(0, x.shape[0] - n + 1, hop):
        mf = median_frequency(x[start : start + n], rate_hz)
        if mf is not None:
            times.append(t0_s + (start + n / 2) / rate_hz)
            mfs.append(mf)
    return np.asarray(times), np.asarray(mfs)


@dataclass(frozen=True, slots=True)
class Slope:
    """A fitted median-frequency slope with its 95 % confidence interval (Hz/s)."""

    hz_per_s: float
    ci_low: float
    ci_high: float
    n_windows: int
    mf_start_hz: float
    mf_end_hz: float

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero: a trend, not noise."""
        return self.ci_high < 0 or self.ci_low > 0


def fit_slope(times_s: np.ndarray, mfs_hz: np.ndarray) -> Slope | None:
    """Least-squares line through (t, MF) with a t-based 95 % CI; None with fewer than 3 windows."""
    if len(times_s) < 3:
        return None
    res = stats.linregress(times_s, mfs_hz)
    half = stats.t.ppf(0.975, len(times_s) - 2) * res.stderr
    start = res.intercept + res.slope * times_s[0]
    end = res.intercept + res.slope * times_s[-1]
    return Slope(float(res.slope), float(res.slope - half), float(res.slope + half), len(times_s), float(start), float(end))
