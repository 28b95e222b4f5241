"""Signal quality per channel: is this electrode telling the truth?

Five faults a lifter can fix between sets, each a short flag string:

- ``"flat"``: the raw signal barely changes (electrode off, lead broken,
  channel dead). Most samples repeat the previous value, or the span is nil.
- ``"clipping"``: the signal sits on the ADC rails. Two signs, either one
  flags: a plateau (runs of equal values at the window's extremes, which
  real EMG never makes), and a pile-up (many samples on the extreme values
  though rarely two in a row: a strong contraction on an int8 Myo hits
  +127/−128 sample by sample between ordinary values). A pile-up is told
  from a quantised tail by the histogram: at a rail the count *rises* at the
  extreme value, in a tail it falls. Known rails (a device profile's range)
  are counted directly when given.
- ``"mains"``: power at the mains frequency and its harmonics rivals the EMG
  band: a loose electrode or a long unshielded lead. The notch hides it from
  the envelope, not from the physics.
- ``"motion"``: power below 20 Hz dominates: cable sway or skin stretch.
- ``"low-snr"``: during work the band power barely rises above the rest
  baseline: electrode in the wrong place, or too much fat/hair between.

All of them are judged on the raw signal over a one-second window, demeaned
(ADC offsets are not faults), every half second. :class:`QualityMonitor`
keeps that window in a ring buffer, so a frame costs a copy and, twice a
second, one FFT over all channels; :func:`assess_quality` runs the same
judgement over a whole recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gymtui.signal.filters import mains_harmonics_hz
from gymtui.signal.onsets import QUIET_STATE_RATIO

FLAT, CLIPPING, MAINS, MOTION, LOW_SNR = "flat", "clipping", "mains", "motion", "low-snr"
FLAG_ORDER = (FLAT, CLIPPING, MAINS, MOTION, LOW_SNR)


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """Where each flag trips, with headroom over what the clean public recordings reach.

    Worst one-second windows measured on ../shared/data: repeated samples
    0.36 (Myo int8 at rest); extreme plateaus 0.02 (Myo); mains ratio 1.0
    (BioSPPy at rest, 12-bit counts); below-20 Hz ratio 0.32 on a still arm,
    2.9 in one Myo window and 2–23 on the moving leg of the UCI leg
    extension (a real motion artefact, flagged). The fault-injection tests
    in tests/unit/signal/test_signal_quality.py hold each threshold to both sides.
    """

    flat_repeat_frac: float = 0.90  # share of samples equal to the one before
    flat_span: float = 1e-6  # peak-to-peak below this (input units) is flat whatever else
    clip_plateau_frac: float = 0.03  # share of samples on a run of equal extreme values (int8 rest noise reaches 0.02)
    clip_rail_margin: float = 0.002  # with known rails: within this fraction of the range
    # share of samples piled on the extreme values (or on known rails), runs or not: the clean Myo fist
    # recording reaches 0.14 in its hardest fist's windows (5.7 % of windows, 1.8 % of samples overall);
    # a channel with 10.7 % of its samples on the rails sits above it most of the time
    clip_pileup_frac: float = 0.10
    mains_ratio: float = 1.5  # mains-bin power ÷ the rest of the EMG band
    motion_ratio: float = 1.0  # 1–20 Hz power ÷ EMG band power
    snr_min: float = 3.0  # work band RMS ÷ rest band RMS (≈ 9.5 dB)


DEFAULT_QUALITY_THRESHOLDS = QualityThresholds()
"""The default quality thresholds (a frozen value, shared by every default argument)."""


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Per-channel measures of one window (each an ``(n_channels,)`` array)."""

    repeat_frac: np.ndarray
    span: np.ndarray
    plateau_frac: np.ndarray
    rail_frac: np.ndarray
    pileup_frac: np.ndarray
    mains_ratio: np.ndarray
    motion_ratio: np.ndarray
    band_rms: np.ndarray


class _Spectrum:
    """Precomputed FFT bin masks for one window length and rate."""

    def __init__(self, n: int, rate_hz: float, band: tuple[float, float], mains_hz: float | None) -> None:
        freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
        self.window = np.hanning(n)
        lo, hi = band
        in_band = (freqs >= lo) & (freqs <= hi)
        mains = np.zeros_like(in_band)
        for h in mains_harmonics_hz(rate_hz, mains_hz, hi + 1.0):
            mains |= np.abs(freqs - h) <= 1.5
        self.mains = mains & (freqs >= lo * 0.5)
        self.band = in_band & ~mains
        self.motion = (freqs >= 1.0) & (freqs < lo)
        # Parseval with a Hann window: scale so band_rms is an RMS in input units.
        self.scale = 2.0 / (np.sum(self.window**2) * n)


def _pileup(x: np.ndarray, at_extreme: np.ndarray, *, upper: bool) -> np.ndarray:
    """Samples on each channel's extreme value where they pile up: at least 3, and more than on the
    next value inwards (a quantised tail thins out towards its extreme; a rail collects)."""
    count = np.count_nonzero(at_extreme, axis=1)
    fill = -np.inf if upper else np.inf
    inner = np.where(at_extreme, fill, x)
    next_value = (inner.max(axis=1) if upper else inner.min(axis=1))[:, None]
    count_next = np.count_nonzero(x == next_value, axis=1)
    piled: np.ndarray = np.where((count >= 3) & (count > count_next), count, 0)
    return piled


def window_stats(
    raw_cm: np.ndarray,
    spectrum: _Spectrum,
    rails: tuple[float, float] | None = None,
) -> WindowStats:
    """Measures of one channel-major window ``(n_channels, n_samples)`` of raw signal."""
    x = np.asarray(raw_cm, dtype=np.float64)
    n = x.shape[1]
    repeat_frac = np.count_nonzero(x[:, 1:] == x[:, :-1], axis=1) / max(1, n - 1)
    hi = x.max(axis=1, keepdims=True)
    lo = x.min(axis=1, keepdims=True)
    span = (hi - lo)[:, 0]
    at_hi = x == hi
    at_lo = x == lo
    plateau = np.count_nonzero(at_hi[:, 1:] & at_hi[:, :-1], axis=1) + np.count_nonzero(
        at_lo[:, 1:] & at_lo[:, :-1], axis=1
    )
    plateau_frac = plateau / n
    pileup_frac = (_pileup(x, at_hi, upper=True) + _pileup(x, at_lo, upper=False)) / n
    if rails is not None:
        r_lo, r_hi = rails
        margin = (r_hi - r_lo) * 0.002
        rail_frac = np.count_nonzero((x <= r_lo + margin) | (x >= r_hi - margin), axis=1) / n
    else:
        rail_frac = np.zeros(x.shape[0])
    demeaned = x - x.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(demeaned * spectrum.window, axis=1)) ** 2 * spectrum.scale
    band_p = power[:, spectrum.band].sum(axis=1)
    tiny = 1e-20
    return WindowStats(
        repeat_frac=repeat_frac,
        span=span,
        plateau_frac=plateau_frac,
        rail_frac=rail_frac,
        pileup_frac=pileup_frac,
        mains_ratio=power[:, spectrum.mains].sum(axis=1) / (band_p + tiny),
        motion_ratio=power[:, spectrum.motion].sum(axis=1) / (band_p + tiny),
        band_rms=np.sqrt(band_p),
    )


def flags_from(
    stats: WindowStats,
    th: QualityThresholds,
    rest_rms: np.ndarray | None = None,
    work_rms: np.ndarray | None = None,
    rails_known: bool = False,
) -> list[set[str]]:
    """Flags per channel from one window's measures (and, for low SNR, rest and work band RMS)."""
    out: list[set[str]] = []
    for ch in range(stats.span.shape[0]):
        f: set[str] = set()
        flat = stats.repeat_frac[ch] >= th.flat_repeat_frac or stats.span[ch] <= th.flat_span
        if flat:
            f.add(FLAT)
        else:
            clip = stats.plateau_frac[ch] >= th.clip_plateau_frac or stats.pileup_frac[ch] >= th.clip_pileup_frac
            if rails_known:
                clip = clip or stats.rail_frac[ch] >= th.clip_pileup_frac
            if clip:
                f.add(CLIPPING)
            if stats.mains_ratio[ch] >= th.mains_ratio:
                f.add(MAINS)
            if stats.motion_ratio[ch] >= th.motion_ratio:
                f.add(MOTION)
            if rest_rms is not None and work_rms is not None and rest_rms[ch] > 0 and work_rms[ch] / rest_rms[ch] < th.snr_min:
                f.add(LOW_SNR)
        out.append(f)
    return out


def _ordered(flags: set[str]) -> tuple[str, ...]:
    return tuple(f for f in FLAG_ORDER if f in flags)


class QualityMonitor:
    """Per-channel quality flags for a live stream, cheap enough to run every frame.

    Feed the raw block (the adapter's float32 ``(n, n_channels)``) each frame;
    :meth:`update` returns a tuple per channel of flag strings, re-judged every
    ``hop_s`` over the last ``window_s`` of signal (between judgements the
    previous flags stand). For ``"low-snr"`` the monitor needs to know what
    rest looks like and when work is expected: call :meth:`begin_rest` /
    :meth:`end_rest` around a rest phase (or :meth:`set_rest_rms`) and
    :meth:`begin_work` / :meth:`end_work` around work phases. Without a rest
    reference it uses the quietest window it has seen. A flag appears after
    ``confirm`` judgements in a row see it and clears after as many do not
    (default 2: about a second), so the screen does not flicker.
    """

    def __init__(
        self,
        n_channels: int,
        rate_hz: float,
        *,
        mains_hz: float | None = 50.0,
        band_hz: tuple[float, float] = (20.0, 450.0),
        rails: tuple[float, float] | None = None,
        window_s: float = 1.0,
        hop_s: float = 0.5,
        thresholds: QualityThresholds = QualityThresholds(),
        min_work_s: float = 1.0,
        confirm: int = 2,
    ) -> None:
        self.n_channels = n_channels
        self.rate_hz = float(rate_hz)
        self.rails = rails
        self.thresholds = thresholds
        self._n = max(8, round(window_s * rate_hz))
        self._hop = max(1, round(hop_s * rate_hz))
        hi = min(band_hz[1], 0.9 * rate_hz / 2)
        self._spectrum = _Spectrum(self._n, self.rate_hz, (band_hz[0], hi), mains_hz)
        self._ring = np.zeros((n_channels, self._n), dtype=np.float64)
        self._pos = 0  # next write index
        self._filled = 0
        self._since_eval = 0
        self._flags: tuple[tuple[str, ...], ...] = tuple(() for _ in range(n_channels))
        self.confirm = max(1, confirm)
        self._streaks: list[dict[str, int]] = [{} for _ in range(n_channels)]
        self._rest_rms: np.ndarray | None = None
        self._auto_rest: np.ndarray | None = None
        self._resting: list[np.ndarray] | None = None
        self._work_peak: np.ndarray | None = None
        self._work_n = 0
        self._min_work_n = int(min_work_s * rate_hz)
        self.last_stats: WindowStats | None = None

    # -- phases ----------------------------------------------------------------
    def set_rest_rms(self, rest_rms: np.ndarray | None) -> None:
        self._rest_rms = None if rest_rms is None else np.asarray(rest_rms, dtype=np.float64)

    def begin_rest(self) -> None:
        self._resting = []

    def end_rest(self) -> np.ndarray | None:
        """Close a rest phase: its median window band RMS becomes the rest reference."""
        if self._resting:
            self._rest_rms = np.median(np.vstack(self._resting), axis=0)
        self._resting = None
        return self._rest_rms

    def begin_work(self) -> None:
        self._work_peak = np.zeros(self.n_channels)
        self._work_n = 0

    def end_work(self) -> None:
        self._work_peak = None

    # -- streaming ---------------------------------------------------------------
    @property
    def flags(self) -> tuple[tuple[str, ...], ...]:
        return self._flags

    def update(self, raw: np.ndarray) -> tuple[tuple[str, ...], ...]:
        """``raw`` ``(n_samples, n_channels)`` → flags per channel (e.g. ``(("mains",), ())``)."""
        n = raw.shape[0]
        if n == 0:
            return self._flags
        block = raw.T
        if n >= self._n:
            self._ring[:, :] = block[:, -self._n :]
            self._pos = 0
        else:
            first = min(n, self._n - self._pos)
            self._ring[:, self._pos : self._pos + first] = block[:, :first]
            if first < n:
                self._ring[:, : n - first] = block[:, first:]
            self._pos = (self._pos + n) % self._n
        self._filled = min(self._n, self._filled + n)
        self._since_eval += n
        if self._work_peak is not None:
            self._work_n += n
        if self._filled == self._n and self._since_eval >= self._hop:
            self._since_eval = 0
            self._evaluate()
        return self._flags

    def _evaluate(self) -> None:
        window = np.roll(self._ring, -self._pos, axis=1) if self._pos else self._ring
        stats = window_stats(window, self._spectrum, self.rails)
        self.last_stats = stats
        if self._resting is not None:
            self._resting.append(stats.band_rms)
        rest = self._rest_rms
        if rest is None:
            self._auto_rest = stats.band_rms if self._auto_rest is None else np.minimum(self._auto_rest, stats.band_rms)
            rest = self._auto_rest
        work = None
        if self._work_peak is not None:
            np.maximum(self._work_peak, stats.band_rms, out=self._work_peak)
            if self._work_n >= self._min_work_n:
                work = self._work_peak
        seen = flags_from(stats, self.thresholds, rest, work, self.rails is not None)
        # Hysteresis: a flag shows after `confirm` judgements in a row that see
        # it and clears after `confirm` that do not, so one odd window (a
        # cough, a bump) does not make the screen flicker.
        shown: list[set[str]] = []
        for ch, flags in enumerate(seen):
            streaks = self._streaks[ch]
            current = set(self._flags[ch])
            for flag in FLAG_ORDER:
                if (flag in flags) == (flag in current):
                    streaks[flag] = 0
                    continue
                streaks[flag] = streaks.get(flag, 0) + 1
                if streaks[flag] >= self.confirm:
                    streaks[flag] = 0
                    current.symmetric_difference_update({flag})
            shown.append(current)
        self._flags = tuple(_ordered(f) for f in shown)


def assess_quality(
    samples: np.ndarray,
    rate_hz: float,
    *,
    mains_hz: float | None = 50.0,
    band_hz: tuple[float, float] = (20.0, 450.0),
    rails: tuple[float, float] | None = None,
    thresholds: QualityThresholds = QualityThresholds(),
    window_s: float = 1.0,
    min_share: float = 0.1,
) -> list[tuple[str, ...]]:
    """Flags per channel over a whole recording ``(n_samples, n_channels)``.

    The same one-second judgement as the live monitor, every half second; a
    flag is reported where it holds in at least ``min_share`` of the windows.
    Low SNR compares the loudest windows (95th percentile) with the quietest.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n_ch = x.shape[1]
    n = max(8, round(window_s * rate_hz))
    n = min(n, x.shape[0])
    hop = max(1, n // 2)
    hi = min(band_hz[1], 0.9 * rate_hz / 2)
    spectrum = _Spectrum(n, rate_hz, (band_hz[0], hi), mains_hz)
    counts = {flag: np.zeros(n_ch) for flag in FLAG_ORDER}
    band_rms = []
    n_windows = 0
    for start in range(0, x.shape[0] - n + 1, hop):
        stats = window_stats(x[start : start + n].T, spectrum, rails)
        band_rms.append(stats.band_rms)
        for ch, flags in enumerate(flags_from(stats, thresholds, rails_known=rails is not None)):
            for flag in flags:
                counts[flag][ch] += 1
        n_windows += 1
    result: list[set[str]] = [set() for _ in range(n_ch)]
    for flag, count in counts.items():
        for flagged in np.flatnonzero(count >= max(1.0, min_share * n_windows)):
            result[flagged].add(flag)
    if band_rms:
        rms = np.vstack(band_rms)
        rest = np.percentile(rms, 5, axis=0)
        quietest = rms.min(axis=0)
        # Mostly one long contraction after a short rest: the quietest window is the rest.
        rest = np.where(quietest * QUIET_STATE_RATIO < rest, quietest, rest)
        work = np.percentile(rms, 95, axis=0)
        for ch in range(n_ch):
            if FLAT not in result[ch] and rest[ch] > 0 and work[ch] / rest[ch] < thresholds.snr_min:
                result[ch].add(LOW_SNR)
    return [_ordered(f) for f in result]
