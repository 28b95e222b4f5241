"""Live form cues: what to tell the athlete while the rep can still be fixed.

Two cues, both judged on %MVC envelopes, sample by sample, with state that
carries across frames:

- **Compensation** (any work phase): the target's share of target +
  synergists, ``T / (T + mean(synergists))`` as in the set metrics, falls
  below ``FormRules.min_target_share``, or a named compensator (matched by
  muscle name, case-insensitive) out-fires the target, for longer than
  ``dwell_s``. It clears with hysteresis: when the share is back at
  ``clear_target_share`` and no compensator is within the same hysteresis
  gap of the target (pairwise share ``T / (T + C)`` at least
  ``0.5 + (clear - min)``), so a rep that hovers near the line does not
  flicker the banner.
- **Co-contraction** (concentric, explosive, isometric, activation and reps
  phases — not eccentric, where the antagonist brakes legitimately, nor
  rest): an antagonist above ``antagonist_max_pct`` of its own MVC for
  ``dwell_s``; clears below ``antagonist_clear_pct``.

Only work counts. A share is a ratio of two envelopes, and at rest it is the
ratio of two noise floors, which swings anywhere between 0 and 1. So the
compensation rule is judged only while the target or a synergist is above
``activity_floor_pct`` (default 10 % MVC): the same floor the set metrics
use as the lowest threshold of a rep (``MetricsConfig.rep_threshold_floor_pct``),
i.e. below it there is no rep to coach, and well above the 1–5 % MVC that
surface-EMG rest noise reads after a maximal calibration. The co-contraction
rule has its own floor (its threshold, 20 % MVC by default).

One correction at a time: while one kind of cue shows, the other does not
fire (its condition keeps dwelling, so it fires as soon as the first clears
if it still holds). The athlete reads one instruction, and every stored cue
is one the screen showed.

A cue never fires on a channel the quality monitor flags, and a share cue
never fires while the target itself is flagged (a share of a bad channel
means nothing); a cue already showing is withdrawn when its channel becomes
flagged. Uncalibrated channels (NaN %MVC) never satisfy a rule.

The signal worker's :class:`~gymtui.signal.live.LiveSignal` feeds it a
batch at a time (about 20 samples of the 100 Hz envelope, five times a
second). At that size each numpy call costs more than the arithmetic it
does, so a batch is judged in plain Python over the few role channels
(target, synergists, compensators, antagonists), fetched from the block in
one gather; samples' times are built only when a cue is brewing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gymtui.model import FormCue, FormCueKind, FormRules, MuscleRole, PhaseKind
from gymtui.phases import traits_of

DEFAULT_ACTIVITY_FLOOR_PCT = 10.0
"""Below this %MVC on the target and every synergist the athlete is not working (see the module doc)."""

CO_CONTRACTION_KINDS = frozenset(
    {PhaseKind.CONCENTRIC, PhaseKind.EXPLOSIVE, PhaseKind.ISOMETRIC, PhaseKind.ACTIVATION, PhaseKind.REPS}
)
"""Phases in which an antagonist that fires is working against the lift (not eccentric, not rest)."""


def _muscle_phrase(name: str) -> str:
    """"Triceps brachii" → "triceps brachii" for use inside a sentence (acronyms such as "TA" kept)."""
    if len(name) > 1 and name[:2].isupper():
        return name
    return name[:1].lower() + name[1:]


def default_compensation_text(target: str) -> str:
    return f"Let the {_muscle_phrase(target)} lead the lift"


def default_co_contraction_text(antagonist: str) -> str:
    return f"Relax the {_muscle_phrase(antagonist)}"


RepStamp = int | Callable[[float], int | None] | None
"""The rep a cue belongs to: a number, a function of the cue's stream time, or None."""


@dataclass(frozen=True, slots=True)
class _Times:
    """A batch's sample times on the stream clock, worked out only for the samples a rule asks about."""

    n: int
    t_end_s: float
    rate_hz: float

    def at(self, i: int) -> float:
        return self.t_end_s - (self.n - 1 - i) / self.rate_hz


@dataclass
class _Dwell:
    """When the current run of a condition began (stream clock), carried across batches."""

    since_s: float | None = None

    def first_fire(self, cond: list[bool], times: _Times, dwell_s: float, from_idx: int = 0) -> int | None:
        """Index (from ``from_idx`` on) of the first sample at which ``cond`` has held for ``dwell_s``;
        updates the carried run.

        A run starts at its first true sample, or at the carried start when
        the batch opens inside a run that began in an earlier one.
        """
        if True not in cond:
            if cond:
                self.since_s = None
            return None
        t_end, last, rate = times.t_end_s, times.n - 1, times.rate_hz  # sample i at t_end - (last - i) / rate
        since = self.since_s
        limit = dwell_s - 1e-9
        hit: int | None = None
        for i, c in enumerate(cond):
            if not c:
                since = None
                continue
            if since is None:
                since = t_end - (last - i) / rate
            if i >= from_idx and t_end - (last - i) / rate - since >= limit:
                hit = i
                break
        if hit is not None:  # the run carried on is the one the batch ends in
            if not cond[-1]:
                since = None
            elif False in cond[hit + 1 :]:
                since = t_end - (cond[::-1].index(False) - 1) / rate  # just after the last False
        self.since_s = since
        return hit

    def reset(self) -> None:
        self.since_s = None


def _sum_columns(cols: list[list[float]]) -> list[float]:
    """Per-sample sum of a few channels' columns, added in channel order (as numpy's ``sum(axis=1)`` does)."""
    out = cols[0]
    for col in cols[1:]:
        out = [a + b for a, b in zip(out, col, strict=True)]
    return out


class CueMonitor:
    """Streaming compensation and co-contraction cues for one set.

    ``roles`` and ``names`` are per channel (channel order). Per batch call
    :meth:`update` with the %MVC block ``(n, n_channels)`` (NaN where
    uncalibrated), the time of its last sample on the stream clock, the
    quality flags per channel and the current phase kind (None outside a
    phase); it returns the cues that fired in that batch, their ``t_s``
    counted from ``t0_s`` (the set's start). :attr:`cue` is the cue showing
    now and :attr:`marked` the channels to mark on the bars.
    """

    def __init__(
        self,
        roles: Sequence[MuscleRole | str],
        names: Sequence[str],
        rules: FormRules | None = None,
        rate_hz: float = 1000.0,
        *,
        t0_s: float = 0.0,
        activity_floor_pct: float = DEFAULT_ACTIVITY_FLOOR_PCT,
    ) -> None:
        self.rules = rules or FormRules()
        self.rate_hz = float(rate_hz)
        self.t0_s = t0_s
        self.activity_floor_pct = activity_floor_pct
        roles = [MuscleRole(r) for r in roles]
        self.names = list(names)
        self.n_channels = len(roles)
        self._target = [i for i, r in enumerate(roles) if r is MuscleRole.TARGET]
        self._syn = [i for i, r in enumerate(roles) if r is MuscleRole.SYNERGIST]
        self._ant = [i for i, r in enumerate(roles) if r is MuscleRole.ANTAGONIST]
        by_name = {n.strip().casefold(): i for i, n in enumerate(self.names)}
        comp: dict[int, str] = {}
        for c in self.rules.compensators:
            ch = by_name.get(c.muscle.strip().casefold())
            if ch is not None and ch not in self._target and ch not in comp:
                comp[ch] = c.correction
        self._comp = comp
        self._comp_channels = sorted(comp)
        # The only channels a rule reads, fetched from each batch in one gather.
        gather = sorted({*self._target, *self._syn, *self._comp_channels, *self._ant})
        self._gather = np.asarray(gather, dtype=np.intp)
        self._pos = {ch: k for k, ch in enumerate(gather)}
        gap = max(0.0, self.rules.clear_target_share - self.rules.min_target_share)
        share = min(0.95, 0.5 + gap)
        self._comp_clear_ratio = (1.0 - share) / share  # C/T below this: the compensator has backed off
        self._comp_dwell = _Dwell()
        self._ant_dwell = [_Dwell() for _ in self._ant]
        self._no_flags: tuple[bool, ...] = (False,) * self.n_channels
        self._phase_cache: dict[PhaseKind | str | None, tuple[bool, bool]] = {}
        self._comp_cue: FormCue | None = None
        self._ant_cue: FormCue | None = None
        self._latest: FormCue | None = None
        self.fired: list[FormCue] = []

    # -- state the screen shows ---------------------------------------------------
    @property
    def cue(self) -> FormCue | None:
        """The cue showing now: the newest of the active ones (None when clear)."""
        return self._latest

    @property
    def marked(self) -> tuple[int, ...]:
        """Channels to mark on the bars (the offending channel of each active cue)."""
        return tuple(sorted({c.channel for c in (self._comp_cue, self._ant_cue) if c is not None}))

    @property
    def cues_fired(self) -> int:
        return len(self.fired)

    def _refresh_latest(self) -> None:
        active = [c for c in (self._comp_cue, self._ant_cue) if c is not None]
        self._latest = max(active, key=lambda c: c.t_s) if active else None

    # -- per batch ------------------------------------------------------------------
    def _flags(self, quality: Sequence[Sequence[str]]) -> Sequence[bool]:
        """Flagged channels (the all-clear case, by far the commonest, is one shared tuple)."""
        if not any(quality):
            return self._no_flags
        flagged = [False] * self.n_channels
        for ch, flags in enumerate(quality[: self.n_channels]):
            flagged[ch] = bool(flags)
        return flagged

    def _phase(self, phase: PhaseKind | str | None) -> tuple[bool, bool]:
        """(a work phase where compensation counts, a phase where co-contraction counts); cached per phase."""
        known = self._phase_cache.get(phase)
        if known is None:
            kind = None if phase is None else PhaseKind(phase)
            traits = None if kind is None else traits_of(kind)
            work = traits is not None and traits.is_work and kind is not PhaseKind.CALIBRATION
            known = (work, work and kind in CO_CONTRACTION_KINDS)
            self._phase_cache[phase] = known
        return known

    def update(
        self,
        pct_mvc: np.ndarray | None,
        t_end_s: float,
        quality: Sequence[Sequence[str]] = (),
        phase: PhaseKind | str | None = None,
        rep: RepStamp = None,
    ) -> list[FormCue]:
        """One batch; returns the cues that fired in it.

        ``rep`` stamps them: the rep in progress, or a function from a cue's
        stream time to the rep it fell in.
        """
        working_phase, co_phase = self._phase_cache.get(phase) or self._phase(phase)
        new: list[FormCue] = []
        if pct_mvc is None or pct_mvc.shape[0] == 0 or not working_phase:
            self._comp_dwell.reset()
            for d in self._ant_dwell:
                d.reset()
            if not working_phase:
                self._comp_cue = None
                self._ant_cue = None
            self._refresh_latest()
            return new
        flagged = self._flags(quality) if any(quality) else self._no_flags
        before = (self._comp_cue, self._ant_cue)
        # One gather, one conversion: the role channels as Python lists, one per channel.
        cols: list[list[float]] = pct_mvc[:, self._gather].T.tolist()
        times = _Times(pct_mvc.shape[0], t_end_s, self.rate_hz)
        # One correction at a time: a cue fires only while the other kind is not showing (its
        # condition keeps dwelling meanwhile, so it fires as soon as the first clears, if it still holds).
        cue = self._compensation(cols, times, flagged, rep, may_fire=self._ant_cue is None)
        if cue is not None:
            new.append(cue)
        if co_phase:
            new.extend(self._co_contraction(cols, times, flagged, rep, may_fire=self._comp_cue is None))
        elif self._ant_cue is not None or any(d.since_s is not None for d in self._ant_dwell):
            for d in self._ant_dwell:
                d.reset()
            self._ant_cue = None
        if new or before[0] is not self._comp_cue or before[1] is not self._ant_cue:
            self.fired.extend(new)
            self._refresh_latest()
        return new

    # -- compensation -----------------------------------------------------------------
    def _compensation(
        self, cols: list[list[float]], times: _Times, flagged: Sequence[bool], rep: RepStamp, *, may_fire: bool = True
    ) -> FormCue | None:
        """Shares are compared without dividing: ``T/(T+S) < m`` ⇔ ``T·(1−m) < m·S`` (NaN compares False).

        One pass over the batch finds the samples where the condition holds
        and, while a cue shows, the last sample where it cleared.
        """
        if not self._target or (not self._syn and not self._comp) or (flagged is not self._no_flags and any(flagged[c] for c in self._target)):
            self._comp_dwell.reset()
            self._comp_cue = None
            return None
        active = self._comp_cue
        if active is not None and flagged[active.channel]:
            self._comp_cue = active = None
        rules = self.rules
        pos = self._pos
        n = times.n
        if len(self._target) == 1:
            target = cols[pos[self._target[0]]]
        else:
            k = len(self._target)
            target = [a / k for a in _sum_columns([cols[pos[c]] for c in self._target])]
        syn_ok = self._syn if flagged is self._no_flags else [c for c in self._syn if not flagged[c]]
        if len(syn_ok) > 1:
            inv = 1.0 / len(syn_ok)
            syn = [a * inv for a in _sum_columns([cols[pos[c]] for c in syn_ok])]
        elif syn_ok:
            syn = cols[pos[syn_ok[0]]]
        else:
            syn = [math.nan] * n
        comp_ok = self._comp_channels if flagged is self._no_flags else [c for c in self._comp_channels if not flagged[c]]
        comps = [cols[pos[c]] for c in comp_ok]
        floor = self.activity_floor_pct
        m = rules.min_target_share
        keep = 1.0 - m
        judge_clear = active is not None
        c = rules.clear_target_share
        keep_c = 1.0 - c
        ratio = self._comp_clear_ratio
        last_clear = -1
        cond = [False] * n
        for i in range(n):
            tv = target[i]
            sv = syn[i]
            if not (tv >= floor or sv >= floor):
                for cc in comps:
                    if cc[i] >= floor:
                        break
                else:
                    continue  # not working: neither brewing nor clearing
            if tv * keep < m * sv:
                cond[i] = True
            else:
                for cc in comps:
                    if cc[i] > tv:  # a compensator out-fires the target
                        cond[i] = True
                        break
            # Cleared: the share is back (a NaN share, no synergist, counts as back) and every
            # compensator is back below the ratio to the target.
            if judge_clear and not (tv * keep_c < c * sv):
                for cc in comps:
                    if cc[i] >= ratio * tv:
                        break
                else:
                    last_clear = i
        dwell = self._comp_dwell
        if active is None and dwell.since_s is None and True not in cond:
            return None  # the common case: nothing brewing
        start = 0
        if active is not None:
            if last_clear < 0:
                dwell.first_fire(cond, times, rules.dwell_s)
                return None
            self._comp_cue = None
            # A relapse after the clearing sample must dwell afresh.
            start = last_clear + 1
        fire = dwell.first_fire(cond, times, rules.dwell_s, start)
        if fire is None or not may_fire:
            return None
        channel, value, text = self._compensation_blame(fire, target[fire], syn[fire], comps, comp_ok, cols, syn_ok)
        t_i = times.at(fire)
        cue = FormCue(
            t_s=round(t_i - self.t0_s, 3),
            kind=FormCueKind.COMPENSATION,
            channel=channel,
            muscle=self.names[channel],
            value=round(value, 3),
            text=text,
            rep=rep(t_i) if callable(rep) else rep,
        )
        self._comp_cue = cue
        return cue

    def _compensation_blame(
        self,
        i: int,
        target: float,
        syn: float,
        comps: list[list[float]],
        comp_ok: Sequence[int],
        cols: list[list[float]],
        syn_ok: Sequence[int],
    ) -> tuple[int, float, str]:
        """Who to mark and what to say at sample ``i``.

        A named compensator out-firing the target is blamed first (the
        loudest, its %MVC as the value; the first in channel order on a tie);
        when the share alone fell, a named compensator that is the loudest
        synergist takes the blame (value: the share), else the target does,
        with the exercise's correction.
        """
        loudest_j: int | None = None
        for j, cc in enumerate(comps):
            if cc[i] > target and (loudest_j is None or cc[i] > comps[loudest_j][i]):
                loudest_j = j
        if loudest_j is not None:  # sample i is working: it met the condition
            ch = comp_ok[loudest_j]
            return ch, float(comps[loudest_j][i]), self._comp[ch]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = float(np.float64(target) / (target + syn))
        candidates = [c for c in self._syn if c in syn_ok]
        if candidates:
            pos = self._pos
            loudest = max(candidates, key=lambda c: float(np.nan_to_num(cols[pos[c]][i], nan=-1.0)))
            if loudest in comp_ok:
                return loudest, share, self._comp[loudest]
        target_ch = self._target[0]
        text = self.rules.correction or default_compensation_text(self.names[target_ch])
        return target_ch, share, text

    # -- co-contraction ----------------------------------------------------------------
    def _co_contraction(
        self, cols: list[list[float]], times: _Times, flagged: Sequence[bool], rep: RepStamp, *, may_fire: bool = True
    ) -> list[FormCue]:
        if not self._ant:
            return []
        rules = self.rules
        pos = self._pos
        limit = rules.antagonist_max_pct
        overs = [[v > limit for v in cols[pos[ch]]] for ch in self._ant]
        active = self._ant_cue
        if active is None and not any(True in o for o in overs) and all(d.since_s is None for d in self._ant_dwell):
            return []  # the common case
        start = 0
        if active is not None and flagged[active.channel]:
            self._ant_cue = active = None
        if active is not None:
            clear_pct = rules.antagonist_clear_pct
            below = [i for i, v in enumerate(cols[pos[active.channel]]) if not v >= clear_pct]
            if below:
                self._ant_cue = active = None
                start = below[-1] + 1
        best: tuple[int, int] | None = None  # (sample, antagonist index) of the earliest dwell
        for k, ch in enumerate(self._ant):
            if flagged[ch]:
                self._ant_dwell[k].reset()
                continue
            i = self._ant_dwell[k].first_fire(overs[k], times, rules.dwell_s, start)
            if i is not None and (best is None or i < best[0]):
                best = (i, k)
        if best is None or active is not None or not may_fire:
            return []
        i, k = best
        ch = self._ant[k]
        t_i = times.at(i)
        cue = FormCue(
            t_s=round(t_i - self.t0_s, 3),
            kind=FormCueKind.CO_CONTRACTION,
            channel=ch,
            muscle=self.names[ch],
            value=round(float(cols[pos[ch]][i]), 2),
            text=rules.antagonist_correction or default_co_contraction_text(self.names[ch]),
            rep=rep(t_i) if callable(rep) else rep,
        )
        self._ant_cue = cue
        return [cue]
