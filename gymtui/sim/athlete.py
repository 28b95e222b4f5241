"""A simulated athlete who follows the session engine's cues.

It turns the current phase intent (activation hold, eccentric, isometric,
explosive concentric, reps, rest, maximal effort) and the load into neural
drive per muscle, 0–1, with a muscle's role deciding its share: the target
works hardest, synergists help, the antagonist co-contracts a little. Drive
moves towards its goal through a first-order lag (people do not switch on in
a millisecond), follows the phase's shape over time (a rep's concentric
burst and slower eccentric, an explosive burst) and wanders a little, as
real effort does.

An :class:`AthleteProfile` adds the habits the guide talks about: a
compensation pattern (over-reliance on synergists: in a lat pulldown the
biceps and posterior deltoids do the lats' work), a co-contraction level,
and *focus*, the mind-muscle connection that shifts drive towards the
target (the guide: "up to 30 %") and undoes compensation.

With :class:`~gymtui.sim.surface.MotorUnitPhysiology` (force control on),
the drive produced here is what a fresh muscle needs for the intended force;
the pool then raises the true excitation as its units fatigue, so the
athlete holds the load and the EMG shows the cost.

Determinism: the same seed and the same calls at the same sample positions
give the same drive, however ``drive(n)`` is cut into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gymtui.model import MuscleRole, PhaseKind
from gymtui.phases import PHASE_TRAITS

REP_PERIOD_S = 3.0  # one ordinary rep: ~1 s up, ~1.4 s down, a breath at the end of the range
REP_CONCENTRIC_S = 1.0
REP_ECCENTRIC_LEVEL = 0.7  # eccentric EMG is lower than concentric for the same load
REP_PAUSE_S = 0.6  # the load rests briefly between reps (arms long, stack settled): EMG drops,
REP_PAUSE_LEVEL = 0.15  # which is where the set metrics and the live reps split one rep from the next
EXPLOSIVE_PERIOD_S = 2.0
EXPLOSIVE_BURST_S = 0.35
EXPLOSIVE_RETURN_LEVEL = 0.45


@dataclass(frozen=True, slots=True)
class AthleteProfile:
    """How one athlete moves: habits and variability, all 0–1 unless noted.

    ``compensation``: over-reliance on synergists; at 1 the target loses
    45 % of its share and synergists gain 60 % (the guide's lat pulldown:
    biceps and posterior deltoids over the lats). ``focus``: the
    mind-muscle connection, +30 % to the target and −20 % to the others at 1,
    and it cancels compensation in proportion. ``co_contraction``: antagonist
    drive as a fraction of the target's (None: the phase's own default,
    ≈ 0.15–0.2). ``variability``: lognormal spread of per-muscle gains and
    of tempo between athletes (seeds).
    """

    focus: float = 0.0
    compensation: float = 0.0
    co_contraction: float | None = None
    variability: float = 0.08


LAT_PULLDOWN_COMPENSATOR = AthleteProfile(compensation=0.9, co_contraction=0.15)
"""The guide's example: a trainee whose biceps and rear delts do the lats' job."""

CURL_CO_CONTRACTOR = AthleteProfile(co_contraction=1.0)
"""A trainee who braces the antagonist (the triceps in a curl) as hard as the target works."""

DEMO_ATHLETES: dict[str, AthleteProfile | None] = {
    "default": None,
    "compensating": LAT_PULLDOWN_COMPENSATOR,
    "co-contracting": CURL_CO_CONTRACTOR,
}
"""``gymtui --demo --demo-athlete NAME``: who the simulated sensor measures, to see the live cues at work."""


class SimulatedAthlete:
    """Drive generator for a fixed list of muscles, sample by sample.

    ``set_intent`` is called whenever the session engine changes phase; the
    sensor then asks for ``drive(n)`` for each block it renders.
    """

    def __init__(
        self,
        roles: tuple[MuscleRole, ...],
        rate_hz: float,
        *,
        response_time_s: float = 0.12,
        focus: float | None = None,
        profile: AthleteProfile | None = None,
        seed: int | None = 0,
    ) -> None:
        self.roles = tuple(roles)
        self.rate_hz = float(rate_hz)
        self.profile = profile or AthleteProfile()
        self.focus = self.profile.focus if focus is None else float(focus)
        self._rng = np.random.default_rng(seed)
        n = len(self.roles)
        spread = self.profile.variability
        # Fixed traits of this athlete, drawn once from the seed.
        self._muscle_gain = np.exp(spread * self._rng.standard_normal(n))
        self._tempo = float(np.exp(spread * self._rng.standard_normal()))
        self._step_n = max(1, round(self.rate_hz / 100.0))  # effort changes every 10 ms
        alpha = 1.0 - np.exp(-1.0 / (response_time_s * self.rate_hz))
        self._decay = (1.0 - alpha) ** np.arange(self._step_n + 1)
        self._is_target = np.array([r is MuscleRole.TARGET for r in self.roles])
        self._is_synergist = np.array([r is MuscleRole.SYNERGIST for r in self.roles])
        self._is_antagonist = np.array([r is MuscleRole.ANTAGONIST for r in self.roles])
        self._level = np.full(n, 0.02)
        self._step_start_level = self._level.copy()
        self._step_goal = self._level.copy()
        self._step_pos = 0
        self._step_len = 0
        self._wobble_rel = 0.0
        self._wobble_state = np.zeros(n)
        self._phase_n = 0
        self._goal = self._level.copy()
        self.intent = PhaseKind.REST
        self.effort = 1.0
        self.set_intent(PhaseKind.REST)

    def set_intent(self, intent: PhaseKind, effort: float = 1.0) -> None:
        """Follow a new cue; ``effort`` (0–1, the load relative to maximal) scales the pattern."""
        self.intent = intent
        self.effort = float(effort)
        pattern = PHASE_TRAITS[intent].drive
        self._wobble_rel = pattern.wobble
        self._phase_n = 0
        self._step_len = 0  # the next sample starts a fresh step with the new goal
        if intent is PhaseKind.CALIBRATION:
            self._goal = np.ones(len(self.roles))
            return
        goal = np.array([pattern.for_role(r) for r in self.roles]) * effort * self._muscle_gain
        focus = self.focus
        compensation = self.profile.compensation * (1.0 - focus)
        goal = np.where(self._is_target, goal * (1.0 - 0.45 * compensation), goal)
        goal = np.where(self._is_synergist, goal * (1.0 + 0.6 * compensation), goal)
        if focus:
            # The mind-muscle connection: more of the effort goes to the target.
            goal = np.where(self._is_target, goal * (1 + 0.3 * focus), goal * (1 - 0.2 * focus))
        if self.profile.co_contraction is not None and self._is_target.any() and intent is not PhaseKind.REST:
            target_goal = goal[self._is_target].mean()
            goal = np.where(self._is_antagonist, self.profile.co_contraction * target_goal, goal)
        self._goal = np.clip(goal, 0.0, 1.0)

    def _shape(self, t_s: float) -> float:
        """The phase's drive over time, relative to its goal (reps and bursts have a rhythm)."""
        t_s = t_s / self._tempo
        if self.intent is PhaseKind.REPS:
            in_rep = t_s % REP_PERIOD_S
            if in_rep < REP_CONCENTRIC_S:
                return 1.0
            return REP_ECCENTRIC_LEVEL if in_rep < REP_PERIOD_S - REP_PAUSE_S else REP_PAUSE_LEVEL
        if self.intent is PhaseKind.EXPLOSIVE:
            return 1.0 if (t_s % EXPLOSIVE_PERIOD_S) < EXPLOSIVE_BURST_S else EXPLOSIVE_RETURN_LEVEL
        return 1.0

    def _start_step(self) -> None:
        self._wobble_state += 0.15 * (self._rng.standard_normal(len(self.roles)) - self._wobble_state)
        shape = self._shape(self._phase_n / self.rate_hz)
        self._step_goal = np.clip(self._goal * shape * (1.0 + self._wobble_rel * self._wobble_state), 0.0, 1.0)
        self._step_start_level = self._level.copy()
        self._step_pos = 0
        self._step_len = self._step_n

    def drive(self, n: int) -> np.ndarray:
        """The next ``n`` samples of drive, float64 ``(n, n_muscles)`` in 0–1."""
        out = np.empty((n, len(self.roles)))
        pos = 0
        while pos < n:
            if self._step_pos >= self._step_len:
                self._start_step()
            k = min(self._step_len - self._step_pos, n - pos)
            decay = self._decay[self._step_pos + 1 : self._step_pos + k + 1, None]
            goal = self._step_goal
            out[pos : pos + k] = goal + (self._step_start_level - goal) * decay
            self._step_pos += k
            self._phase_n += k
            pos += k
            self._level = out[pos - 1].copy()
        return out
