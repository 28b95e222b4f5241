"""Muscle onsets and offsets: a threshold on a rest baseline (Hodges & Bui 1996).

A channel is active where its envelope exceeds the rest mean + k·SD. Bursts
shorter than a minimum duration are noise and are dropped; bursts separated
by less than a short gap are one contraction and are merged. The Teager–
Kaiser energy operator (Li, Zhou & Aruin 2007) is an option that sharpens
onsets before the envelope.

Two forms with the same rules: :func:`detect_bursts` over a whole envelope,
and :class:`StreamingOnsetDetector`, which the worker feeds frame by frame
and which reports each onset once the burst has lasted the minimum duration
and each offset once the merge gap has passed.

Times are on the envelope's clock; subtract the pipeline's group delay to
put them on the muscle's (:func:`detect_bursts` does it with ``delay_s``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps
from scipy.ndimage import uniform_filter1d


@dataclass(frozen=True, slots=True)
class RestBaseline:
    """Rest envelope statistics per channel: what 'quiet' looks like for this electrode."""

    mean: np.ndarray  # (n_channels,)
    sd: np.ndarray  # (n_channels,)

    def threshold(self, k: float, floor_ratio: float = 0.0) -> np.ndarray:
        """mean + k·SD, and at least ``(1 + floor_ratio)·mean`` (a floor for very steady baselines)."""
        return np.maximum(self.mean + k * self.sd, self.mean * (1.0 + floor_ratio))


@dataclass(frozen=True, slots=True)
class OnsetRule:
    """The detector's settings (Hodges & Bui compared k = 1–3 and 20–100 ms windows)."""

    k: float = 3.0
    window_s: float = 0.025  # the mean over this window must exceed the threshold
    min_duration_s: float = 0.100
    merge_gap_s: float = 0.150
    floor_ratio: float = 1.0  # threshold never below 2× the rest mean
    settle_s: float = 0.25  # ignore the filters' start-up transient (the first sample seeds their state)


DEFAULT_ONSET_RULE = OnsetRule()
"""The default onset rule (a frozen value, shared by every default argument)."""


@dataclass(frozen=True, slots=True)
class Burst:
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


QUIET_STATE_RATIO = 4.0
"""A window this many times quieter than the typical quiet window is another state (rest), not noise."""


def rest_baseline(
    envelope: np.ndarray, rate_hz: float, window_s: float = 1.0, skip_s: float = 0.5, quantile: float = 0.1
) -> RestBaseline:
    """A typical quiet stretch of each channel, when no rest phase was marked.

    Slides a ``window_s`` window over the envelope (after ``skip_s`` of filter
    settling) and takes, per channel, the window whose mean sits at the
    ``quantile`` of all window means, with its SD: Hodges & Bui's rest
    baseline, found rather than given. Not the very quietest window: one
    lucky second of silence would set the bar below the electrode's usual
    rest and turn tonic activity into bursts.
    """
    env = np.atleast_2d(np.asarray(envelope, dtype=np.float64).T).T
    start = min(int(skip_s * rate_hz), max(0, env.shape[0] - int(window_s * rate_hz)))
    env = env[start:]
    w = max(2, int(window_s * rate_hz))
    if env.shape[0] <= w:
        return baseline_from(env)
    # Every window of w samples, a quarter window apart, from running sums.
    hop = max(1, w // 4)
    zeros = np.zeros((1, env.shape[1]))
    csum = np.concatenate([zeros, np.cumsum(env, axis=0)])
    csq = np.concatenate([zeros, np.cumsum(env * env, axis=0)])
    starts = np.arange(0, env.shape[0] - w + 1, hop)
    means = (csum[starts + w] - csum[starts]) / w
    var = np.maximum((csq[starts + w] - csq[starts]) / w - means**2, 0.0)
    order = np.argsort(means, axis=0)
    best = order[int(quantile * (len(starts) - 1))]
    cols = np.arange(env.shape[1])
    # A recording that is mostly one long contraction (a sustained hold after a
    # short rest) has its quantile window inside the hold; then the quietest
    # window is the rest, and it is a different state, not a lucky second.
    quietest = order[0]
    separate = means[quietest, cols] * QUIET_STATE_RATIO < means[best, cols]
    best = np.where(separate, quietest, best)
    return RestBaseline(means[best, cols], np.sqrt(var[best, cols]))


def baseline_from(envelope_rest: np.ndarray) -> RestBaseline:
    """Baseline statistics from an envelope known to be rest (a marked rest phase)."""
    env = np.atleast_2d(np.asarray(envelope_rest, dtype=np.float64).T).T
    return RestBaseline(env.mean(axis=0), env.std(axis=0))


def tkeo(x: np.ndarray) -> np.ndarray:
    """Teager–Kaiser energy ψ[n] = x[n]² − x[n−1]·x[n+1] along axis 0 (ends repeated)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    out[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    out[0] = out[1] if len(x) > 2 else 0.0
    out[-1] = out[-2] if len(x) > 2 else 0.0
    return out


def tkeo_envelope(filtered: np.ndarray, rate_hz: float, lowpass_hz: float = 50.0) -> np.ndarray:
    """|TKEO| of the band-passed signal, low-passed (causal): the onset detector's input in TKEO mode."""
    sos = sps.butter(2, min(lowpass_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")
    result: np.ndarray = sps.sosfilt(sos, np.abs(tkeo(filtered)), axis=0)
    return result


class StreamingTkeoEnvelope:
    """|TKEO| then a causal low-pass, streaming: the onset detector's input in TKEO mode.

    ψ[n] needs x[n+1], so the output runs one sample behind its input (the
    first output of a stream is ψ[0] computed as ψ[1], like :func:`tkeo`'s
    repeated end). Feed band-passed blocks ``(n, n_channels)``; get ``(n,
    n_channels)``. Identical to :func:`tkeo_envelope` shifted by one sample.
    """

    def __init__(self, n_channels: int, rate_hz: float, lowpass_hz: float = 50.0) -> None:
        from gymtui.signal.filters import StreamingSos

        sos = sps.butter(2, min(lowpass_hz, 0.45 * rate_hz), fs=rate_hz, output="sos")
        self._lowpass = StreamingSos(sos, n_channels, settle_on_first=False)
        self._prev = np.zeros((0, n_channels))  # the last (up to) two input samples
        self._first = True
        self.delay_s = 1.0 / rate_hz

    def __call__(self, filtered: np.ndarray) -> np.ndarray:
        x = np.concatenate([self._prev, np.asarray(filtered, dtype=np.float64)], axis=0)
        if x.shape[0] < 3:
            self._prev = x
            return np.zeros((0, x.shape[1]))
        psi = np.abs(x[1:-1] ** 2 - x[:-2] * x[2:])
        if self._first:
            psi = np.concatenate([psi[:1], psi], axis=0)  # ψ[0] := ψ[1], as offline
            self._first = False
        self._prev = x[-2:]
        return self._lowpass(psi)


def _runs(active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the True runs of a 1-D boolean array."""
    padded = np.concatenate([[False], active, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def _clean_runs(starts: np.ndarray, ends: np.ndarray, min_n: int, gap_n: int) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if merged and s - merged[-1][1] < gap_n:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged if e - s >= min_n]


def detect_bursts(
    envelope: np.ndarray,
    rate_hz: float,
    *,
    baseline: RestBaseline | None = None,
    rule: OnsetRule = OnsetRule(),
    delay_s: float = 0.0,
) -> list[list[Burst]]:
    """Bursts per channel of an envelope ``(n_samples,)`` or ``(n_samples, n_channels)``.

    ``baseline`` defaults to the quietest second (:func:`rest_baseline`).
    ``delay_s`` (the pipeline's group delay) is subtracted from every time so
    onsets are reported when the muscle switched on, not when the causal
    envelope noticed.
    """
    env = np.asarray(envelope, dtype=np.float64)
    if env.ndim == 1:
        env = env[:, None]
    baseline = baseline or rest_baseline(env, rate_hz)
    thresholds = baseline.threshold(rule.k, rule.floor_ratio)
    w = max(1, round(rule.window_s * rate_hz))
    # Causal window mean, as the streaming detector sees it.
    smoothed = uniform_filter1d(env, size=w, axis=0, origin=(w - 1) // 2, mode="nearest") if w > 1 else env.copy()
    smoothed[: int(rule.settle_s * rate_hz)] = -np.inf
    min_n = max(1, round(rule.min_duration_s * rate_hz))
    gap_n = max(1, round(rule.merge_gap_s * rate_hz))
    result: list[list[Burst]] = []
    for ch in range(env.shape[1]):
        starts, ends = _runs(smoothed[:, ch] > thresholds[ch])
        result.append(
            [
                Burst(max(0.0, s / rate_hz - delay_s), max(0.0, e / rate_hz - delay_s))
                for s, e in _clean_runs(starts, ends, min_n, gap_n)
            ]
        )
    return result


@dataclass(frozen=True, slots=True)
class OnsetEvent:
    """A confirmed onset or offset on one channel, on the stream's clock (delay removed)."""

    channel: int
    kind: str  # "onset" or "offset"
    t_s: float


@dataclass(slots=True)
class _ChannelState:
    active: bool = False  # inside a (possibly unconfirmed) burst
    confirmed: bool = False  # the burst has lasted min_duration
    start_n: int = 0
    last_above_n: int = -(10**12)


class StreamingOnsetDetector:
    """The same rules as :func:`detect_bursts`, one frame at a time.

    Feed envelope blocks ``(n_samples, n_channels)``; each call returns the
    events confirmed during it. Onsets are confirmed ``min_duration_s`` after
    they happen and offsets ``merge_gap_s`` after, and both carry the time
    they happened (minus ``delay_s``). ``is_active`` says which channels are
    inside a confirmed burst now. Without a baseline it detects nothing:
    give it one from a rest phase (:meth:`set_baseline`) or let it learn one
    (:meth:`begin_rest` / :meth:`end_rest`).

    Cost: vectorised over samples; Python only loops over threshold
    crossings, a handful per second at most.
    """

    def __init__(self, n_channels: int, rate_hz: float, rule: OnsetRule = OnsetRule(), delay_s: float = 0.0) -> None:
        self.n_channels = n_channels
        self.rate_hz = float(rate_hz)
        self.rule = rule
        self.delay_s = delay_s
        self._w = max(1, round(rule.window_s * rate_hz))
        self._min_n = max(1, round(rule.min_duration_s * rate_hz))
        self._gap_n = max(1, round(rule.merge_gap_s * rate_hz))
        self._tail = np.zeros((self._w - 1, n_channels))
        self._settle_n = int(rule.settle_s * rate_hz)
        self._n = 0  # samples seen
        self._thresholds: np.ndarray | None = None
        self._states = [_ChannelState() for _ in range(n_channels)]
        self._rest_sum: np.ndarray | None = None
        self._rest_sq: np.ndarray | None = None
        self._rest_n = 0

    # -- baseline ------------------------------------------------------------
    def set_baseline(self, baseline: RestBaseline) -> None:
        self._thresholds = baseline.threshold(self.rule.k, self.rule.floor_ratio)

    def begin_rest(self) -> None:
        self._rest_sum = np.zeros(self.n_channels)
        self._rest_sq = np.zeros(self.n_channels)
        self._rest_n = 0

    def end_rest(self) -> RestBaseline | None:
        """Close a rest phase and use it as the baseline (None if it held too few samples)."""
        if self._rest_sum is None or self._rest_sq is None or self._rest_n < 2:
            self._rest_sum = None
            return None
        mean = self._rest_sum / self._rest_n
        sd = np.sqrt(np.maximum(self._rest_sq / self._rest_n - mean**2, 0.0))
        self._rest_sum = None
        baseline = RestBaseline(mean, sd)
        self.set_baseline(baseline)
        return baseline

    @property
    def is_active(self) -> tuple[bool, ...]:
        return tuple(s.active and s.confirmed for s in self._states)

    # -- streaming -------------------------------------------------------------
    def update(self, envelope: np.ndarray) -> list[OnsetEvent]:
        env = np.asarray(envelope, dtype=np.float64)
        n = env.shape[0]
        if n == 0:
            return []
        if self._rest_sum is not None:
            self._rest_sum += env.sum(axis=0)
            self._rest_sq += np.einsum("ij,ij->j", env, env)
            self._rest_n += n
        w = self._w
        if w > 1:
            joined = np.concatenate([self._tail, env], axis=0)
            csum = np.cumsum(joined, axis=0)
            csum = np.concatenate([np.zeros((1, self.n_channels)), csum], axis=0)
            smoothed = (csum[w:] - csum[:-w]) / w
            self._tail = joined[-(w - 1):]
        else:
            smoothed = env
        base_n = self._n
        self._n += n
        if self._thresholds is None:
            return []
        above = smoothed > self._thresholds
        if base_n < self._settle_n:
            above[: self._settle_n - base_n] = False
        # Every channel's runs above threshold in one pass (channel-major edges: each channel's
        # starts and ends alternate), so Python visits only the channels with a run or a burst open.
        edge = np.zeros((1, self.n_channels), dtype=bool)
        padded = np.concatenate([edge, above, edge], axis=0)
        channels, rows = np.nonzero((padded[1:] != padded[:-1]).T)
        runs: dict[int, list[tuple[int, int]]] = {}
        for ch, s, e in zip(channels[0::2].tolist(), (rows[0::2] + base_n).tolist(), (rows[1::2] + base_n).tolist()):
            runs.setdefault(ch, []).append((s, e))
        events: list[OnsetEvent] = []
        for ch, state in enumerate(self._states):
            if state.active or ch in runs:
                self._advance_channel(ch, state, runs.get(ch, []), events)
        return events

    def _advance_channel(self, ch: int, st: _ChannelState, runs: list[tuple[int, int]], events: list[OnsetEvent]) -> None:
        """One channel's runs above threshold in this block (absolute sample indices, end exclusive)."""
        rate = self.rate_hz
        for s, e in runs:
            if st.active:
                if s - st.last_above_n >= self._gap_n:
                    self._close(ch, st, events)
                else:
                    st.last_above_n = e
            if not st.active:
                st.active, st.confirmed, st.start_n = True, False, s
            st.last_above_n = e
            if not st.confirmed and st.last_above_n - st.start_n >= self._min_n:
                st.confirmed = True
                events.append(OnsetEvent(ch, "onset", max(0.0, st.start_n / rate - self.delay_s)))
        # Close a burst whose gap has run out by the end of this block.
        if st.active and self._n - st.last_above_n >= self._gap_n:
            self._close(ch, st, events)

    def _close(self, ch: int, st: _ChannelState, events: list[OnsetEvent]) -> None:
        if st.confirmed:
            events.append(OnsetEvent(ch, "offset", max(0.0, st.last_above_n / self.rate_hz - self.delay_s)))
        st.active = False
        st.confirmed = False
