"""Set and rep metrics: what the guide asks of a set, from the live envelopes.

Fed frame by frame by the worker (:class:`SetAnalyzer`), it answers after
each phase and at the end of the set:

- peak and mean %MVC of the target, and time above the target line;
- target share = target / (target + synergists), in %MVC: is the target the
  prime mover ("reps where you feel the target");
- co-contraction index with the antagonist (Falconer & Winter 1985):
  CCI = 2·I_ant / (I_target + I_ant) · 100 %, I = integrated %MVC envelope;
- median frequency per window (Welch) and its slope over an isometric hold,
  with its 95 % CI (None, shown "n/a", below 500 Hz sampling);
- reps segmented from the target envelope (the live rule, see
  :func:`rep_threshold_pct`), each with its metrics and a
  "perfect" flag (target share and peak %MVC above configurable floors).

The summary's keys are the ``sets`` columns and each rep's keys the ``reps``
columns, so ``Store.finish_set(set_id, status, summary)`` and
``Store.record_reps(set_id, reps)`` take them as they are. Target share is a
fraction 0–1; CCI and %MVC are percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gymtui.model import MuscleRole, PhaseKind
from gymtui.phases import PHASE_TRAITS, traits_of
from gymtui.signal.onsets import _clean_runs, _runs
from gymtui.signal.spectrum import Slope, fit_slope, median_frequency, spectral_ok

NOT_WORK = frozenset(kind.value for kind, traits in PHASE_TRAITS.items() if not traits.is_work)
"""Phase kinds whose signal is not the set's work (the phase table says which)."""


def _is_hold(kind: str | None) -> bool:
    """A sustained hold: its median-frequency slope is worth computing (the phase table says which)."""
    traits = None if kind is None else traits_of(kind)
    return traits is not None and traits.hold_metrics


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """Thresholds for the set metrics (the athlete's or coach's to change)."""

    target_line_pct: float = 60.0  # the bar's target line, %MVC
    perfect_min_share: float = 0.55  # target share a perfect rep needs
    perfect_min_peak_pct: float = 40.0  # peak %MVC a perfect rep needs
    perfect_max_antagonist_pct: float = 20.0  # an antagonist above this (%MVC) through a rep: "antagonist on"
    rep_threshold_frac: float = 0.3  # a rep is where the target exceeds this share of the work's peak so far...
    rep_threshold_floor_pct: float = 10.0  # ...and at least this %MVC
    rep_min_s: float = 0.3
    rep_merge_gap_s: float = 0.25
    store_rate_hz: float = 100.0  # envelopes kept at this rate for the end-of-set maths
    mf_window_s: float = 0.5
    mf_hop_s: float = 0.25
    flag_min_share: float = 0.2  # a quality flag counts for the set when seen in this share of frames


DEFAULT_METRICS = MetricsConfig()
"""The default metrics settings (a frozen value, shared by every default argument)."""


def rep_threshold_pct(peak_pct: np.ndarray | float, config: MetricsConfig = DEFAULT_METRICS) -> np.ndarray:
    """Where a rep begins on the target's %MVC envelope: ``max(floor, frac × peak)``.

    ``peak`` is the work's peak so far (a streaming rule: the live judge
    cannot know the set's peak before the set ends). One rule for the set
    metrics and the live reps, so the reps judged during the set are the
    reps counted after it.
    """
    return np.maximum(config.rep_threshold_floor_pct, config.rep_threshold_frac * np.asarray(peak_pct, dtype=np.float64))


def _round(x: float | None, nd: int = 3) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), nd)


def target_share(target: np.ndarray, synergists: np.ndarray) -> float | None:
    """mean(target) / (mean(target) + mean(synergists)), envelopes in %MVC; None without synergists."""
    if synergists.size == 0 or np.all(np.isnan(synergists)):
        return None
    t, s = float(np.nanmean(target)), float(np.nanmean(synergists))
    return t / (t + s) if t + s > 0 else None


def cci_pct(target: np.ndarray, antagonist: np.ndarray) -> float | None:
    """Falconer–Winter co-contraction index in %: 2·I_ant / (I_target + I_ant) · 100."""
    if antagonist.size == 0 or np.all(np.isnan(antagonist)):
        return None
    i_t, i_a = float(np.nansum(target)), float(np.nansum(antagonist))
    return 200.0 * i_a / (i_t + i_a) if i_t + i_a > 0 else None


def _role_mean(block: np.ndarray, channels: list[int]) -> np.ndarray:
    """Mean over a role's channels per sample (NaN where the role has none)."""
    if not channels:
        return np.full(block.shape[0], np.nan)
    if len(channels) == 1:
        return block[:, channels[0]].copy()
    result: np.ndarray = block[:, channels].mean(axis=1)
    return result


class SetAnalyzer:
    """Per-set metrics from the worker's frames.

    Construct one per set with the channel roles (``ChannelInfo.role`` of
    each channel, in channel order) and the stream's rate. Then, per frame:
    ``update(pct_mvc, filtered, t_end_s, quality)``; at phase changes
    ``begin_phase(kind, t_s)`` / ``end_phase(t_s) -> dict``; at the end
    ``finish() -> (summary, reps)``. Times are the stream's clock (the
    ``t_end_s`` the worker already has); ``delay_s`` (the pipeline's group
    delay) shifts envelope times back onto the muscle's clock so the phase
    boundaries cut the right samples.
    """

    def __init__(
        self,
        rate_hz: float,
        roles: Sequence[MuscleRole | str],
        config: MetricsConfig = MetricsConfig(),
        *,
        delay_s: float = 0.0,
        channel_names: Sequence[str] | None = None,
    ) -> None:
        self.rate_hz = float(rate_hz)
        self.config = config
        self.delay_s = delay_s
        roles = [MuscleRole(r) for r in roles]
        self.n_channels = len(roles)
        self.channel_names = list(channel_names or [f"ch{i + 1}" for i in range(self.n_channels)])
        self._target = [i for i, r in enumerate(roles) if r is MuscleRole.TARGET]
        self._syn = [i for i, r in enumerate(roles) if r is MuscleRole.SYNERGIST]
        self._ant = [i for i, r in enumerate(roles) if r is MuscleRole.ANTAGONIST]
        self._step = max(1, round(self.rate_hz / config.store_rate_hz))
        self._skip = 0  # samples to skip before the next kept one
        self._t: list[np.ndarray] = []
        self._tar: list[np.ndarray] = []
        self._synv: list[np.ndarray] = []
        self._antv: list[np.ndarray] = []
        # Median frequency of the first target channel, window by window.
        self._mf_n = round(config.mf_window_s * self.rate_hz)
        self._mf_hop = max(1, round(config.mf_hop_s * self.rate_hz))
        self._mf_buf = np.zeros(0)
        self._mf_buf_t0: float | None = None
        self._mf_times: list[float] = []
        self._mf_values: list[float] = []
        self._flag_counts: list[dict[str, int]] = [{} for _ in range(self.n_channels)]
        self._frames = 0
        self._phases: list[dict[str, Any]] = []
        self._open: tuple[str, float] | None = None
        self.t_start_s: float | None = None

    # -- feeding -------------------------------------------------------------------
    def update(
        self,
        pct_mvc: np.ndarray | None,
        filtered: np.ndarray | None,
        t_end_s: float,
        quality: Sequence[Sequence[str]] | None = None,
    ) -> None:
        """One frame: %MVC envelopes and the filtered signal ``(n, n_channels)``, the time of its last sample."""
        if quality is not None:
            self._frames += 1
            for ch, flags in enumerate(quality[: self.n_channels]):
                if not flags:
                    continue
                counts = self._flag_counts[ch]
                for flag in flags:
                    counts[flag] = counts.get(flag, 0) + 1
        if pct_mvc is None or pct_mvc.shape[0] == 0 or not self._target:
            return
        n = pct_mvc.shape[0]
        t_first = t_end_s - (n - 1) / self.rate_hz
        if self.t_start_s is None:
            self.t_start_s = t_first
        idx = np.arange(self._skip, n, self._step)
        self._skip = (self._skip - n) % self._step
        if idx.size:
            block = pct_mvc[idx]
            self._t.append(t_first + idx / self.rate_hz - self.delay_s)
            self._tar.append(_role_mean(block, self._target))
            self._synv.append(_role_mean(block, self._syn))
            self._antv.append(_role_mean(block, self._ant))
        if filtered is not None and spectral_ok(self.rate_hz):
            self._feed_mf(np.asarray(filtered[:, self._target[0]], dtype=np.float64), t_first)

    def _feed_mf(self, x: np.ndarray, t_first: float) -> None:
        if self._mf_buf_t0 is None:
            self._mf_buf_t0 = t_first
        self._mf_buf = np.concatenate([self._mf_buf, x])
        while self._mf_buf.size >= self._mf_n:
            mf = median_frequency(self._mf_buf[: self._mf_n], self.rate_hz)
            if mf is not None:
                self._mf_times.append(self._mf_buf_t0 + self._mf_n / 2 / self.rate_hz)
                self._mf_values.append(mf)
            self._mf_buf = self._mf_buf[self._mf_hop :]
            self._mf_buf_t0 += self._mf_hop / self.rate_hz

    # -- phases ----------------------------------------------------------------------
    def begin_phase(self, kind: PhaseKind | str, t_s: float) -> None:
        if self._open is not None:
            self.end_phase(t_s)
        self._open = (str(PhaseKind(kind).value if isinstance(kind, PhaseKind) else kind), t_s)

    def end_phase(self, t_s: float) -> dict[str, Any]:
        """Close the open phase; its metrics (for ``Store.record_phase``: peak/mean %MVC and ``metrics``)."""
        if self._open is None:
            raise RuntimeError("no phase is open")
        kind, t0 = self._open
        self._open = None
        metrics = self._region_metrics(t0, t_s, kind)
        metrics.update({"kind": kind, "start_s": _round(t0), "end_s": _round(t_s)})
        self._phases.append(metrics)
        return metrics

    @property
    def phases(self) -> list[dict[str, Any]]:
        return list(self._phases)

    # -- maths -----------------------------------------------------------------------
    def _series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self._t:
            e = np.zeros(0)
            return e, e, e, e
        # Compact the lists so repeated calls stay cheap.
        self._t, self._tar, self._synv, self._antv = (
            [np.concatenate(self._t)],
            [np.concatenate(self._tar)],
            [np.concatenate(self._synv)],
            [np.concatenate(self._antv)],
        )
        return self._t[0], self._tar[0], self._synv[0], self._antv[0]

    def _mf_slope(self, t0: float, t1: float) -> Slope | None:
        if not spectral_ok(self.rate_hz) or not self._mf_times:
            return None
        times = np.asarray(self._mf_times)
        sel = (times >= t0) & (times <= t1)
        return fit_slope(times[sel], np.asarray(self._mf_values)[sel])

    def _region_metrics(self, t0: float, t1: float, kind: str | None = None) -> dict[str, Any]:
        t, tar, syn, ant = self._series()
        sel = (t >= t0) & (t < t1)
        out: dict[str, Any] = {
            "peak_pct_mvc": None,
            "mean_pct_mvc": None,
            "time_above_target_s": None,
            "target_share": None,
            "cci_pct": None,
        }
        if np.any(sel):
            target = tar[sel]
            out["peak_pct_mvc"] = _round(np.nanmax(target), 2)
            out["mean_pct_mvc"] = _round(np.nanmean(target), 2)
            out["time_above_target_s"] = _round(np.count_nonzero(target >= self.config.target_line_pct) * self._step / self.rate_hz, 2)
            out["target_share"] = _round(target_share(target, syn[sel]))
            out["cci_pct"] = _round(cci_pct(target, ant[sel]), 2)
        if _is_hold(kind):
            slope = self._mf_slope(t0, t1)
            out.update(self._slope_fields(slope))
        return out

    def _slope_fields(self, slope: Slope | None) -> dict[str, Any]:
        if slope is None:
            return {"mf_slope_hz_per_s": None, "mf_slope_ci_hz_per_s": None, "mf_start_hz": None, "mf_end_hz": None}
        return {
            "mf_slope_hz_per_s": _round(slope.hz_per_s, 4),
            "mf_slope_ci_hz_per_s": [_round(slope.ci_low, 4), _round(slope.ci_high, 4)],
            "mf_start_hz": _round(slope.mf_start_hz, 2),
            "mf_end_hz": _round(slope.mf_end_hz, 2),
        }

    def _work_regions(self) -> list[tuple[float, float]]:
        work = [(p["start_s"], p["end_s"]) for p in self._phases if p["kind"] not in NOT_WORK]
        if not self._phases and self._t:
            t, *_ = self._series()
            return [(float(t[0]), float(t[-1]) + 1.0 / self.rate_hz)] if t.size else []
        return work

    def reps(self) -> list[dict[str, Any]]:
        """Reps from the target envelope over the work phases, with per-rep metrics (the ``reps`` rows)."""
        t, tar, syn, _ant = self._series()
        regions = self._work_regions()
        if t.size == 0 or not regions:
            return []
        work = np.zeros(t.size, dtype=bool)
        for a, b in regions:
            work |= (t >= a) & (t < b)
        if not np.any(work):
            return []
        cfg = self.config
        # The live rule (gymtui.signal.live_reps): the threshold follows the work's peak so far,
        # so the reps counted here are the reps judged during the set.
        running_peak = np.maximum.accumulate(np.where(work & np.isfinite(tar), tar, 0.0))
        threshold = rep_threshold_pct(running_peak, cfg)
        store_hz = self.rate_hz / self._step
        starts, ends = _runs(work & (tar > threshold))
        runs = _clean_runs(starts, ends, max(1, int(cfg.rep_min_s * store_hz)), max(1, int(cfg.rep_merge_gap_s * store_hz)))
        t0 = self.t_start_s if self.t_start_s is not None else float(t[0])
        reps = []
        for i, (s, e) in enumerate(runs, start=1):
            seg = slice(s, e)
            share = target_share(tar[seg], syn[seg])
            rep_peak = float(np.nanmax(tar[seg]))
            perfect = rep_peak >= cfg.perfect_min_peak_pct and (share is None or share >= cfg.perfect_min_share)
            reps.append(
                {
                    "idx": i,
                    "start_s": _round(t[s] - t0),
                    "end_s": _round(t[e - 1] - t0 + 1.0 / store_hz),
                    "peak_pct_mvc": _round(rep_peak, 2),
                    "mean_pct_mvc": _round(np.nanmean(tar[seg]), 2),
                    "target_share": _round(share),
                    "perfect": int(perfect),
                }
            )
        return reps

    def quality_flags(self) -> dict[str, list[str]]:
        """Flags seen in at least ``flag_min_share`` of the set's frames, per channel name."""
        out: dict[str, list[str]] = {}
        for name, counts in zip(self.channel_names, self._flag_counts):
            flags = sorted(f for f, c in counts.items() if self._frames and c >= self.config.flag_min_share * self._frames)
            if flags:
                out[name] = flags
        return out

    def finish(self, t_s: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Close any open phase; return (summary for ``sets``, reps for ``reps``)."""
        if self._open is not None and t_s is not None:
            self.end_phase(t_s)
        reps = self.reps()
        t, tar, syn, ant = self._series()
        sel = np.zeros(t.size, dtype=bool)
        for a, b in self._work_regions():
            sel |= (t >= a) & (t < b)
        summary: dict[str, Any] = {
            "peak_pct_mvc": None,
            "mean_pct_mvc": None,
            "target_share": None,
            "cci_pct": None,
            "time_above_target_s": None,
            "perfect_reps": sum(r["perfect"] for r in reps),
            "mf_slope_hz_per_s": None,
            "quality_flags": self.quality_flags(),
        }
        if np.any(sel):
            target = tar[sel]
            summary["peak_pct_mvc"] = _round(np.nanmax(target), 2)
            summary["mean_pct_mvc"] = _round(np.nanmean(target), 2)
            summary["time_above_target_s"] = _round(
                np.count_nonzero(target >= self.config.target_line_pct) * self._step / self.rate_hz, 2
            )
            summary["target_share"] = _round(target_share(target, syn[sel]))
            summary["cci_pct"] = _round(cci_pct(target, ant[sel]), 2)
        holds = [p for p in self._phases if _is_hold(p["kind"])]
        if holds:
            longest = max(holds, key=lambda p: (p["end_s"] or 0) - (p["start_s"] or 0))
            summary["mf_slope_hz_per_s"] = longest.get("mf_slope_hz_per_s")
        return summary, reps

    def details(self) -> dict[str, Any]:
        """What the summary columns cannot hold: per-phase metrics and slope CIs (for ``sets.notes`` or a report)."""
        return {"phases": self.phases, "spectral": "ok" if spectral_ok(self.rate_hz) else "n/a"}
