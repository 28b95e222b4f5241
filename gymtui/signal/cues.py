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
rule has its own floor (its threshold, 30 % MVC by default).

A cue never fires on a channel the quality monitor flags, and a share cue
never fires while the target itself is flagged (a share of a bad channel
means nothing); a cue already showing is withdrawn when its channel becomes
flagged. Uncalibrated channels (NaN %MVC) never satisfy a rule.

Pure numpy; the signal worker's :class:`~gymtui.signal.live.LiveSignal`
feeds it one frame at a time.
"""

from __future__ import annotations

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


@dataclass
class _Dwell:
    """When the current run of a condition began (stream clock), carried across frames."""

    since_s: float | None = None

    def first_fire(self, cond: np.ndarray, t: np.ndarray, dwell_s: float, from_idx: int = 0) -> int | None:
        """Index (from ``from_idx`` on) of the first sample at which ``cond`` has held for ``dwell_s``;
        updates the carried run.

        Vectorised: each sample's run start is the time after the last False
        before it (or the carried start when the run began in an earlier frame).
        """
        n = cond.size
        if n == 0:
            return None
        idx = np.arange(n)
        last_false = np.maximum.accumulate(np.where(cond, -1, idx))
        start_idx = last_false + 1
        start_t = t[np.minimum(start_idx, n - 1)]
        if self.since_s is not None:
            start_t = np.where(last_false < 0, self.since_s, start_t)
        held = cond & (t - start_t >= dwell_s - 1e-9)
        self.since_s = float(start_t[-1]) if cond[-1] else None
        hits = np.flatnonzero(held[from_idx:])
        return int(hits[0]) + from_idx if hits.size else None

    def reset(self) -> None:
        self.since_s = None


class CueMonitor:
    """Streaming compensation and co-contraction cues for one set.

    ``roles`` and ``names`` are per channel (channel order). Per frame call
    :meth:`update` with the %MVC block ``(n, n_channels)`` (NaN where
    uncalibrated), the time of its last sample on the stream clock, the
    quality flags per channel and the current phase kind (None outside a
    phase); it returns the cues that fired in that frame, their ``t_s``
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
        self._comp_channels = np.asarray(sorted(comp), dtype=int)
        self._ant_channels = np.asarray(self._ant, dtype=int)
        gap = max(0.0, self.rules.clear_target_share - self.rules.min_target_share)
        share = min(0.95, 0.5 + gap)
        self._comp_clear_ratio = (1.0 - share) / share  # C/T below this: the compensator has backed off
        self._comp_dwell = _Dwell()
        self._ant_dwell = [_Dwell() for _ in self._ant]
        self._no_flags = np.zeros(self.n_channels, dtype=bool)
        self._phase_cache: dict[PhaseKind | str | None, tuple[bool, bool]] = {}
        self._ant_idx = np.asarray(self._ant, dtype=int)
        self._last_block = np.zeros((0, self.n_channels))
        self._last_syn_ok: list[int] = []
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

    # -- per frame ------------------------------------------------------------------
    def _flags(self, quality: Sequence[Sequence[str]]) -> np.ndarray:
        """Flagged channels as a bool array (the all-clear case, by far the commonest, is cached)."""
        if not any(quality):
            return self._no_flags
        flagged = np.zeros(self.n_channels, dtype=bool)
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

    def _times(self, n: int, t_end_s: float) -> np.ndarray:
        return t_end_s - (n - 1 - np.arange(n)) / self.rate_hz

    def update(
        self,
        pct_mvc: np.ndarray | None,
        t_end_s: float,
        quality: Sequence[Sequence[str]] = (),
        phase: PhaseKind | str | None = None,
        rep: RepStamp = None,
    ) -> list[FormCue]:
        """One frame; returns the cues that fired in it.

        ``rep`` stamps them: the rep in progress, or a function from a cue's
        stream time to the rep it fell in.
        """
        working_phase, co_phase = self._phase(phase)
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
        flagged = self._flags(quality)
        block = pct_mvc
        cue = self._compensation(block, t_end_s, flagged, rep)
        if cue is not None:
            new.append(cue)
        if co_phase:
            new.extend(self._co_contraction(block, t_end_s, flagged, rep))
        elif self._ant_cue is not None or any(d.since_s is not None for d in self._ant_dwell):
            for d in self._ant_dwell:
                d.reset()
            self._ant_cue = None
        if new or self._latest is not None:
            self.fired.extend(new)
            self._refresh_latest()
        return new

    # -- compensation -----------------------------------------------------------------
    def _compensation(self, block: np.ndarray, t_end_s: float, flagged: np.ndarray, rep: RepStamp) -> FormCue | None:
        """Shares are compared without dividing: ``T/(T+S) < m`` ⇔ ``T·(1−m) < m·S`` (NaN compares False)."""
        if not self._target or (not self._syn and not self._comp) or flagged[self._target].any():
            self._comp_dwell.reset()
            self._comp_cue = None
            return None
        rules = self.rules
        target = block[:, self._target[0]] if len(self._target) == 1 else block[:, self._target].mean(axis=1)
        syn_ok = self._syn if flagged is self._no_flags else [c for c in self._syn if not flagged[c]]
        if syn_ok:
            syn = block[:, syn_ok].sum(axis=1) * (1.0 / len(syn_ok)) if len(syn_ok) > 1 else block[:, syn_ok[0]]
        else:
            syn = np.full(target.size, np.nan)
        comp_ok = self._comp_channels if flagged is self._no_flags else self._comp_channels[~flagged[self._comp_channels]]
        comp = block[:, comp_ok]
        floor = self.activity_floor_pct
        working = (target >= floor) | (syn >= floor)
        if comp_ok.size:
            working |= (comp >= floor).any(axis=1)
        m = rules.min_target_share
        share_low = target * (1.0 - m) < m * syn
        outfire = (comp > target[:, None]) & working[:, None]
        cond = working & share_low
        if comp_ok.size:
            cond |= outfire.any(axis=1)
        active = self._comp_cue
        if active is None and self._comp_dwell.since_s is None and not cond.any():
            return None  # the common case: nothing brewing
        t = self._times(block.shape[0], t_end_s)
        start = 0
        if active is not None and flagged[active.channel]:
            self._comp_cue = active = None
        if active is not None:
            c = rules.clear_target_share
            share_back = ~(target * (1.0 - c) < c * syn)  # NaN share (no synergist) counts as back
            if comp_ok.size:
                comp_back = np.all(~(comp >= self._comp_clear_ratio * target[:, None]), axis=1)
            else:
                comp_back = np.ones(target.size, dtype=bool)
            clear = np.flatnonzero(working & share_back & comp_back)
            if clear.size == 0:
                self._comp_dwell.first_fire(cond, t, rules.dwell_s)
                return None
            self._comp_cue = None
            # A relapse after the clearing sample must dwell afresh.
            start = int(clear[-1]) + 1
        i = self._comp_dwell.first_fire(cond, t, rules.dwell_s, start)
        if i is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            share = target / (target + syn)
        self._last_block, self._last_syn_ok = block, list(syn_ok)
        channel, value, text = self._compensation_blame(i, target, share, comp, comp_ok, outfire)
        cue = FormCue(
            t_s=round(float(t[i]) - self.t0_s, 3),
            kind=FormCueKind.COMPENSATION,
            channel=channel,
            muscle=self.names[channel],
            value=round(value, 3),
            text=text,
            rep=rep(float(t[i])) if callable(rep) else rep,
        )
        self._comp_cue = cue
        return cue

    def _compensation_blame(
        self, i: int, target: np.ndarray, share: np.ndarray, comp: np.ndarray, comp_ok: np.ndarray, outfire: np.ndarray
    ) -> tuple[int, float, str]:
        """Who to mark and what to say at sample ``i``.

        A named compensator out-firing the target is blamed first (the
        loudest, its %MVC as the value); when the share alone fell, a named
        compensator that is the loudest synergist takes the blame (value:
        the share), else the target does, with the exercise's correction.
        """
        if outfire.shape[1] and outfire[i].any():
            j = int(np.argmax(np.where(outfire[i], comp[i], -np.inf)))
            ch = int(comp_ok[j])
            return ch, float(comp[i, j]), self._comp[ch]
        block_i = self._last_block[i]
        candidates = [c for c in self._syn if c in self._last_syn_ok]
        if candidates:
            loudest = max(candidates, key=lambda c: float(np.nan_to_num(block_i[c], nan=-1.0)))
            if loudest in comp_ok.tolist():
                return loudest, float(share[i]), self._comp[loudest]
        target_ch = self._target[0]
        text = self.rules.correction or default_compensation_text(self.names[target_ch])
        return target_ch, float(share[i]), text

    # -- co-contraction ----------------------------------------------------------------
    def _co_contraction(self, block: np.ndarray, t_end_s: float, flagged: np.ndarray, rep: RepStamp) -> list[FormCue]:
        if not self._ant:
            return []
        rules = self.rules
        over = block[:, self._ant_idx] > rules.antagonist_max_pct
        active = self._ant_cue
        if active is None and not over.any() and all(d.since_s is None for d in self._ant_dwell):
            return []  # the common case
        t = self._times(block.shape[0], t_end_s)
        start = 0
        if active is not None and flagged[active.channel]:
            self._ant_cue = active = None
        if active is not None:
            below = np.flatnonzero(~(block[:, active.channel] >= rules.antagonist_clear_pct))
            if below.size:
                self._ant_cue = active = None
                start = int(below[-1]) + 1
        best: tuple[int, int] | None = None  # (sample, antagonist index) of the earliest dwell
        for k, ch in enumerate(self._ant):
            if flagged[ch]:
                self._ant_dwell[k].reset()
                continue
            i = self._ant_dwell[k].first_fire(over[:, k], t, rules.dwell_s, start)
            if i is not None and (best is None or i < best[0]):
                best = (i, k)
        if best is None or active is not None:
            return []
        i, k = best
        ch = self._ant[k]
        cue = FormCue(
            t_s=round(float(t[i]) - self.t0_s, 3),
            kind=FormCueKind.CO_CONTRACTION,
            channel=ch,
            muscle=self.names[ch],
            value=round(float(block[i, ch]), 2),
            text=rules.antagonist_correction or default_co_contraction_text(self.names[ch]),
            rep=rep(float(t[i])) if callable(rep) else rep,
        )
        self._ant_cue = cue
        return [cue]
