"""A simulated athlete who follows the session engine's cues.

It turns the current phase intent (activation hold, eccentric, isometric,
rest, maximal effort...) into neural drive per muscle, 0–1, with a muscle's
role deciding its share: the target works hardest, synergists help, the
antagonist stays mostly quiet. Drive moves towards its goal through a
first-order lag (people do not switch on in a millisecond) and wanders a
little, as real effort does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gymtui.model import MuscleRole, PhaseKind


@dataclass(frozen=True, slots=True)
class IntentDrive:
    """Goal drive per role for one phase intent (fractions of maximal drive)."""

    target: float
    synergist: float
    antagonist: float
    other: float
    wobble: float = 0.05  # relative slow fluctuation of effort

    def for_role(self, role: MuscleRole) -> float:
        return {
            MuscleRole.TARGET: self.target,
            MuscleRole.SYNERGIST: self.synergist,
            MuscleRole.ANTAGONIST: self.antagonist,
            MuscleRole.OTHER: self.other,
        }[role]


INTENT_DRIVES: dict[PhaseKind, IntentDrive] = {
    PhaseKind.CALIBRATION: IntentDrive(1.0, 1.0, 1.0, 1.0, 0.02),
    PhaseKind.ACTIVATION: IntentDrive(0.55, 0.30, 0.08, 0.12),
    PhaseKind.ECCENTRIC: IntentDrive(0.45, 0.30, 0.10, 0.12, 0.10),
    PhaseKind.CONCENTRIC: IntentDrive(0.60, 0.40, 0.10, 0.15, 0.10),
    PhaseKind.EXPLOSIVE: IntentDrive(0.90, 0.60, 0.15, 0.20, 0.08),
    PhaseKind.ISOMETRIC: IntentDrive(0.70, 0.40, 0.10, 0.15, 0.06),
    PhaseKind.REPS: IntentDrive(0.60, 0.40, 0.10, 0.15, 0.25),
    PhaseKind.REST: IntentDrive(0.02, 0.02, 0.02, 0.02, 0.3),
}


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
        focus: float = 0.0,
        seed: int | None = 0,
    ) -> None:
        self.roles = roles
        self.rate_hz = float(rate_hz)
        self.focus = focus
        self._rng = np.random.default_rng(seed)
        self._alpha = 1.0 - np.exp(-1.0 / (response_time_s * self.rate_hz))
        self._level = np.full(len(roles), 0.02)
        self._goal = self._level.copy()
        self._wobble_rel = 0.0
        self._wobble_state = np.zeros(len(roles))
        self.intent = PhaseKind.REST
        self.set_intent(PhaseKind.REST)

    def set_intent(self, intent: PhaseKind, effort: float = 1.0) -> None:
        """Follow a new cue; ``effort`` scales the whole pattern (a lighter load)."""
        self.intent = intent
        pattern = INTENT_DRIVES[intent]
        goal = np.array([pattern.for_role(r) for r in self.roles]) * effort
        if intent is not PhaseKind.CALIBRATION and self.focus:
            # The mind-muscle connection: more of the effort goes to the target.
            is_target = np.array([r is MuscleRole.TARGET for r in self.roles])
            goal = np.where(is_target, goal * (1 + 0.3 * self.focus), goal * (1 - 0.2 * self.focus))
        self._goal = np.clip(goal, 0.0, 1.0)
        self._wobble_rel = pattern.wobble

    def drive(self, n: int) -> np.ndarray:
        """The next ``n`` samples of drive, float64 ``(n, n_muscles)`` in 0–1."""
        out = np.empty((n, len(self.roles)))
        # Slow effort fluctuation: low-passed noise, updated per sample block of 10 ms.
        step = max(1, int(self.rate_hz / 100))
        a = self._alpha
        level = self._level
        for start in range(0, n, step):
            stop = min(n, start + step)
            self._wobble_state += 0.15 * (self._rng.standard_normal(len(self.roles)) - self._wobble_state)
            goal = np.clip(self._goal * (1.0 + self._wobble_rel * self._wobble_state), 0.0, 1.0)
            k = np.arange(1, stop - start + 1)[:, None]
            decay = (1.0 - a) ** k
            out[start:stop] = goal + (level - goal) * decay
            level = out[stop - 1]
        self._level = level.copy()
        return out
