"""Reps found and judged while the set runs, each as it ends.

The rule is the set metrics' (:class:`~gymtui.signal.metrics.SetAnalyzer`):
a rep is where the target's %MVC envelope, inside a work phase, is above
:func:`~gymtui.signal.metrics.rep_threshold_pct` — ``max(floor, frac ×
peak)`` — with runs closer than ``rep_merge_gap_s`` merged and runs shorter
than ``rep_min_s`` dropped. Live, the peak is the set's peak *so far* (the
after-the-set analysis may use the whole set's, which only the end knows),
and a rep is over once the target has stayed below the threshold for the
merge gap. The reps found here are the set's reps: the ones the athlete saw
judged are the ones stored.

Each finished rep becomes a :class:`~gymtui.model.RepVerdict`: perfect, or
the first reason among "target not prime mover" (its target share below
``perfect_min_share``), "below N % MVC" (its peak under
``perfect_min_peak_pct``) and "antagonist on" (the antagonist above
``perfect_max_antagonist_pct`` of its MVC for ``antagonist_on_s`` of the rep).

``rise_ms`` is the explosive-intent measure: from the onset (the last
sample before the rise at or below 10 % of the rep's peak) to the first
sample at 90 % of the rep's peak, on the target's envelope. Both ends are
read on the same causal envelope, so its group delay cancels in the
difference; only the start and end times of the rep are shifted back by the
delay onto the muscle's clock. The envelope's own smoothing (a 100 ms RMS
window by default) sets a floor of roughly that window on any rise.

Time in zone: while a phase with a target band runs, the seconds the
target's %MVC spent inside it (on samples, whatever the frame size).

Vectorised per frame: only the threshold crossings (a few per rep) are
walked in Python.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gymtui.model import MuscleRole, RepVerdict
from gymtui.signal.metrics import (
    DEFAULT_METRICS,
    MetricsConfig,
    rep_threshold_pct,
    target_share,
)

ONSET_FRAC = 0.10
"""The rep's onset: the last sample before its rise at or below this share of the rep's peak."""
RISE_FRAC = 0.90
PRE_ROLL_S = 1.0
"""Target envelope kept before a rep's threshold crossing, to find its onset."""


def _fmt_pct(x: float) -> str:
    return f"{x:g}"


@dataclass
class _OpenRep:
    start_t: float  # stream clock, first sample above the threshold
    last_above_t: float  # stream clock, last sample above the threshold
    t: list[np.ndarray] = field(default_factory=list)
    target: list[np.ndarray] = field(default_factory=list)
    syn: list[np.ndarray] = field(default_factory=list)
    ant_on_n: int = 0
    pre_n: int = 0  # leading samples that are pre-roll, not rep


class LiveRepJudge:
    """Streaming rep segmentation and verdicts on the target's %MVC envelope.

    ``delay_s`` is the pipeline's group delay (rep times are moved back by
    it); ``t0_s`` the set's start on the stream clock (verdict times count
    from it). Per frame :meth:`update` with the %MVC block, the time of its
    last sample, whether the phase is work, the phase's zone (or None) and
    which channels are flagged; it returns the reps that ended in it.
    """

    def __init__(
        self,
        roles: Sequence[MuscleRole | str],
        rate_hz: float,
        config: MetricsConfig = DEFAULT_METRICS,
        *,
        delay_s: float = 0.0,
        t0_s: float = 0.0,
        antagonist_on_s: float = 0.3,
    ) -> None:
        roles = [MuscleRole(r) for r in roles]
        self.rate_hz = float(rate_hz)
        self.config = config
        self.delay_s = float(delay_s)
        self.t0_s = float(t0_s)
        self.antagonist_on_s = antagonist_on_s
        self._target = [i for i, r in enumerate(roles) if r is MuscleRole.TARGET]
        self._syn = [i for i, r in enumerate(roles) if r is MuscleRole.SYNERGIST]
        self._ant = [i for i, r in enumerate(roles) if r is MuscleRole.ANTAGONIST]
        self.peak_pct = 0.0
        self._line_peak = math.nan  # the peak _line_pct was worked out for
        self._line_pct = math.nan
        self._open: _OpenRep | None = None
        # The target's recent batches (time of last sample, values), for a rep's onset: as few
        # as hold the pre-roll's samples (it is rebuilt from them at each rep's start).
        self._pre: deque[tuple[float, np.ndarray]] = deque()
        self._pre_n = 0
        self._pre_keep = max(1, round(PRE_ROLL_S * self.rate_hz))
        self.reps: list[RepVerdict] = []
        self._spans: list[tuple[float, float]] = []  # each judged rep's (first, last) sample above the line, stream clock
        self.rep_rows: list[dict[str, Any]] = []
        self.zone_s = 0.0

    @property
    def in_rep(self) -> bool:
        return self._open is not None

    @property
    def current_rep(self) -> int | None:
        """The number of the rep in progress (None between reps)."""
        return len(self.reps) + 1 if self._open is not None else None

    def rep_at(self, t_stream_s: float) -> int | None:
        """The rep under way at ``t_stream_s`` (stream clock): the open one or a recent finished one; None between reps."""
        rep = self._open
        if rep is not None and t_stream_s >= rep.start_t:
            return len(self.reps) + 1
        for number, (start_t, end_t) in reversed(list(enumerate(self._spans[-3:], start=max(1, len(self._spans) - 2)))):
            if start_t <= t_stream_s <= end_t:
                return number
        return None

    def update(
        self,
        pct_mvc: np.ndarray | None,
        t_end_s: float,
        work: bool,
        zone_pct: tuple[float, float] | None = None,
        flagged: Sequence[bool] = (),
    ) -> list[RepVerdict]:
        if pct_mvc is None or pct_mvc.shape[0] == 0 or not self._target:
            return []
        n = pct_mvc.shape[0]
        block = pct_mvc
        target = block[:, self._target].mean(axis=1) if len(self._target) > 1 else block[:, self._target[0]]
        if work and zone_pct is not None:
            lo, hi = zone_pct
            self.zone_s += float(np.count_nonzero((target >= lo) & (target <= hi))) / self.rate_hz  # NaN: outside
        above: np.ndarray | None = None
        if work:
            # The peak so far (NaN-blind), then the set metrics' threshold on it.
            top = float(np.fmax.reduce(target))  # NaN only when every sample is
            if top > self.peak_pct:
                running = np.fmax.accumulate(np.fmax(target, self.peak_pct))
                self.peak_pct = float(running[-1])
                above = target > rep_threshold_pct(running, self.config)  # NaN: below
                if self._open is None and not above.any():
                    above = None
            else:
                # No new peak (the usual case once the set is under way): the threshold is flat.
                line = self._line()
                if self._open is not None or top > line:
                    above = target > line  # NaN: below
        if above is None and self._open is None:
            # The common case between reps: only remember the pre-roll (no copy until a rep starts).
            self._remember(t_end_s, target)
            return []
        if above is None:
            above = np.zeros(n, dtype=bool)
        t = np.arange(n) / self.rate_hz + (t_end_s - (n - 1) / self.rate_hz)
        if len(self._syn) == 1:
            syn = block[:, self._syn[0]]
        else:
            syn = block[:, self._syn].mean(axis=1) if self._syn else np.full(n, np.nan)
        ants = [c for c in self._ant if not (c < len(flagged) and flagged[c])]
        ant_max = self.config.perfect_max_antagonist_pct
        if len(ants) == 1:
            ant_on = block[:, ants[0]] > ant_max
        else:
            ant_on = np.any(block[:, ants] > ant_max, axis=1) if ants else np.zeros(n, dtype=bool)
        if self._open is not None and above.all():
            # The common case inside a rep: it goes on.
            self._feed(slice(0, n), t, target, syn, ant_on, inside=True)
            self._open.last_above_t = float(t[-1])
            finished = []
        else:
            finished = self._walk(t, target, syn, ant_on, above)
        self._remember(t_end_s, target)  # after the walk: a rep starting here takes its pre-roll from before
        return finished

    def _line(self) -> float:
        """The rep threshold at the current peak (cached until the peak moves)."""
        if self._line_peak != self.peak_pct:
            self._line_peak = self.peak_pct
            self._line_pct = float(rep_threshold_pct(self.peak_pct, self.config))
        return self._line_pct

    def _remember(self, t_end_s: float, target: np.ndarray) -> None:
        """Keep this batch for the pre-roll, dropping the oldest batches no longer needed to fill it."""
        pre = self._pre
        pre.append((t_end_s, target))
        self._pre_n += target.size
        while len(pre) > 1 and self._pre_n - pre[0][1].size >= self._pre_keep:
            self._pre_n -= pre.popleft()[1].size

    def _pre_roll(self) -> tuple[np.ndarray, np.ndarray]:
        """The remembered target envelope (up to ``PRE_ROLL_S``) with its times."""
        if not self._pre:
            return np.zeros(0), np.zeros(0)
        ts = [t_end - (v.size - 1 - np.arange(v.size)) / self.rate_hz for t_end, v in self._pre]
        t = np.concatenate(ts)
        v = np.concatenate([v for _t, v in self._pre])
        keep = self._pre_keep
        return t[-keep:], v[-keep:]

    def _walk(self, t: np.ndarray, target: np.ndarray, syn: np.ndarray, ant_on: np.ndarray, above: np.ndarray) -> list[RepVerdict]:
        """Walk the frame run by run (runs of constant ``above``): start, extend, merge or end reps."""
        gap_s = self.config.rep_merge_gap_s
        finished: list[RepVerdict] = []
        n = t.size
        change = np.flatnonzero(np.diff(above.astype(np.int8))) + 1
        bounds = [0, *change.tolist(), n]
        for a, b in itertools.pairwise(bounds):
            if above[a]:
                if self._open is None:
                    self._start(t, target, a)
                self._feed(slice(a, b), t, target, syn, ant_on, inside=True)
                if self._open is not None:
                    self._open.last_above_t = float(t[b - 1])
            elif self._open is not None:
                over = np.flatnonzero(t[a:b] - self._open.last_above_t >= gap_s - 1e-9)
                cut = b if over.size == 0 else a + int(over[0])
                self._feed(slice(a, cut), t, target, syn, ant_on, inside=False)
                if over.size:
                    verdict = self._close()
                    if verdict is not None:
                        finished.append(verdict)
        return finished

    def _start(self, t: np.ndarray, target: np.ndarray, pos: int) -> None:
        start_t = float(t[pos])
        rep = _OpenRep(start_t=start_t, last_above_t=start_t)
        # Pre-roll: what came before the crossing (earlier frames and this one), for the onset.
        pre_t, pre_v = self._pre_roll()
        rep.t.append(np.concatenate([pre_t, t[:pos]]))
        rep.target.append(np.concatenate([pre_v, target[:pos]]))
        rep.syn.append(np.full(rep.t[0].size, np.nan))
        rep.pre_n = rep.t[0].size
        self._open = rep

    def _feed(
        self, seg: slice, t: np.ndarray, target: np.ndarray, syn: np.ndarray, ant_on: np.ndarray, *, inside: bool
    ) -> None:
        rep = self._open
        if rep is None or seg.stop <= seg.start:
            return
        rep.t.append(t[seg])
        rep.target.append(target[seg])
        rep.syn.append(syn[seg])
        if inside:  # the antagonist counts while the target is above the line (the rep proper)
            rep.ant_on_n += int(np.count_nonzero(ant_on[seg]))

    def flush(self) -> list[RepVerdict]:
        """The set ends: a rep still open ends now."""
        verdict = self._close() if self._open is not None else None
        return [verdict] if verdict is not None else []

    def _close(self) -> RepVerdict | None:
        rep, self._open = self._open, None
        if rep is None:
            return None
        cfg = self.config
        dt = 1.0 / self.rate_hz
        t = np.concatenate(rep.t)
        v = np.concatenate(rep.target)
        s = np.concatenate(rep.syn)
        body = t <= rep.last_above_t
        body[: rep.pre_n] = False
        duration = rep.last_above_t + dt - rep.start_t
        if duration < cfg.rep_min_s - 1e-9 or not np.any(body):
            return None
        tar_b = v[body]
        peak = float(np.nanmax(tar_b))
        share = target_share(tar_b, s[body])
        reason = ""
        if share is not None and share < cfg.perfect_min_share:
            reason = "target not prime mover"
        elif peak < cfg.perfect_min_peak_pct:
            reason = f"below {_fmt_pct(cfg.perfect_min_peak_pct)} % MVC"
        elif rep.ant_on_n * dt >= self.antagonist_on_s:
            reason = "antagonist on"
        rise_ms = self._rise_ms(t, v, rep.pre_n, peak)
        number = len(self.reps) + 1
        start_s = float(rep.start_t - self.delay_s - self.t0_s)
        end_s = float(rep.last_above_t + dt - self.delay_s - self.t0_s)
        verdict = RepVerdict(
            number=number,
            start_s=round(start_s, 3),
            end_s=round(end_s, 3),
            perfect=not reason,
            reason=reason,
            peak_pct_mvc=round(peak, 2),
            target_share=None if share is None else round(share, 3),
            rise_ms=rise_ms,
        )
        self.reps.append(verdict)
        self._spans.append((rep.start_t, rep.last_above_t + dt))
        self.rep_rows.append(
            {
                "idx": number,
                "start_s": verdict.start_s,
                "end_s": verdict.end_s,
                "peak_pct_mvc": verdict.peak_pct_mvc,
                "mean_pct_mvc": round(float(np.nanmean(tar_b)), 2),
                "target_share": verdict.target_share,
                "perfect": int(verdict.perfect),
                "reason": reason,
                "rise_ms": rise_ms,
            }
        )
        return verdict

    @staticmethod
    def _rise_ms(t: np.ndarray, v: np.ndarray, pre_n: int, peak: float) -> float | None:
        if not np.isfinite(peak) or peak <= 0:
            return None
        reach = np.flatnonzero(v[pre_n:] >= RISE_FRAC * peak)
        if reach.size == 0:
            return None
        i90 = pre_n + int(reach[0])
        low = np.flatnonzero(v[: i90 + 1] <= ONSET_FRAC * peak)
        if low.size == 0:
            return None  # the pre-roll never saw the target quiet: no honest onset
        i0 = int(low[-1])
        return round((float(t[i90]) - float(t[i0])) * 1000.0, 1)
