"""Autoregulation over one session: the 80 % rule's suggestions, stored with the athlete's answers.

The rule is :mod:`gymtui.session.autoreg` (pure); this keeps the session's
best set per exercise, reads last time's sets for the first reference and
writes each suggestion. Run on the store's thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gymtui.session.autoreg import (
    Reference,
    Suggestion,
    best_reference,
    reference_from,
    suggest_after_set,
)
from gymtui.session.lifted import Lifted
from gymtui.session.loads import GymConfig

if TYPE_CHECKING:
    from gymtui.session.templates import PlannedSet
    from gymtui.store import Store


class Autoregulator:
    """Watches one session's heavy sets, suggests, and remembers the answers."""

    def __init__(self, store: Store, athlete_id: int, gym: GymConfig | None = None, today: dt.date | None = None) -> None:
        self.store = store
        self.athlete_id = athlete_id
        self.gym = gym or GymConfig()
        self.today = today or dt.date.today()
        self._best: dict[str, Reference] = {}

    def reference_for(self, exercise: str) -> Reference:
        if exercise in self._best:
            return self._best[exercise]
        # The last day *before* today: today's own sets must not be their own reference.
        return reference_from(self.store.last_session_sets(self.athlete_id, exercise, before=self.today.isoformat()))

    def after_set(
        self,
        planned: PlannedSet,
        set_id: int,
        summary: dict[str, Any],
        rating: int | None = None,
        lifted: Lifted | None = None,
    ) -> Suggestion | None:
        """Call when a set is rated: returns a stored suggestion for the next set of this exercise, or None.

        ``lifted`` is what the athlete confirmed: 10 % lighter is taken off that load.
        """
        reference = self.reference_for(planned.exercise)
        suggestion = suggest_after_set(
            planned, summary, reference, rating=rating, gym=self.gym,
            lifted_kg=lifted.load_kg if lifted is not None else None,
            lifted_reps=lifted.reps if lifted is not None else None,
        )
        if planned.is_heavy:
            self._remember_best(planned.exercise, summary)
        if suggestion is None:
            return None
        sid = self.store.save_suggestion(self.athlete_id, set_id, suggestion.kind, suggestion.reason, suggestion.from_kg, suggestion.to_kg)
        return replace(suggestion, id=sid)

    def answer(self, suggestion: Suggestion, taken: bool, next_set_id: int | None = None) -> None:
        """Store the athlete's answer; ``next_set_id`` is the set of the same exercise it changed."""
        if suggestion.id is None:
            raise ValueError("this suggestion was never stored")
        self.store.answer_suggestion(suggestion.id, taken, next_set_id)

    def _remember_best(self, exercise: str, summary: dict[str, Any]) -> None:
        """The session's best share and peak so far become the next set's reference."""
        self._best[exercise] = best_reference(self._best.get(exercise, Reference()), summary)
