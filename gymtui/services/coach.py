"""One object for the app to ask: where am I, what's next, may I, how did it go.

:class:`Coach` bundles the plan, templates, loads, guardrails, check-in,
autoregulation and history for one athlete over one store, so the app wires
a single thing. Every method that reads or writes the store is synchronous:
run it on the store's thread (``StoreExecutor.submit(coach.home)``), never
on the UI's hot path. ``today`` is injected (a callable) so demos and tests
can move the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gymtui.services import guardrails as stored_guards
from gymtui.services.autoreg import Autoregulator
from gymtui.services.history import load_history, load_set_detail, sets_of_session
from gymtui.services.loads import last_time
from gymtui.services.plan import (
    session_history,
    start_planned_session,
    status_from_store,
    todays_sets,
)
from gymtui.session import guardrails as g
from gymtui.session.autoreg import Suggestion
from gymtui.session.exercises import ExerciseLibrary, load_library
from gymtui.session.history import HistoryData, SetDetail
from gymtui.session.lifted import Lifted
from gymtui.session.loads import GymConfig, LastTime, load_gym_config
from gymtui.session.plan import PlanStatus
from gymtui.session.templates import PlannedSet, load_templates

if TYPE_CHECKING:
    from gymtui.store import Store


@dataclass(frozen=True, slots=True)
class Home:
    """What the home screen needs in one read."""

    status: PlanStatus
    planned: tuple[PlannedSet, ...]
    guards: tuple[g.Guard, ...]
    disclaimer_pending: bool
    problems: tuple[str, ...] = field(default_factory=tuple)
    """One-line problems with the user's exercise or gym files (built-ins still loaded)."""

    @property
    def next_set(self) -> PlannedSet | None:
        return self.planned[0] if self.planned else None


class Coach:
    def __init__(
        self,
        store: Store,
        athlete_id: int,
        *,
        library: ExerciseLibrary | None = None,
        gym: GymConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        tool: str | None = None,
    ) -> None:
        self.store = store
        self.athlete_id = athlete_id
        self.library = library or load_library()
        problems = list(self.library.problems)
        if gym is None:
            gym, gym_problems = load_gym_config()
            problems += gym_problems
        self.gym = gym
        problems += load_templates(self.library)[1]
        self.problems = tuple(problems)
        self.today = today
        self.tool = tool
        self.light = False
        self._autoregulator: Autoregulator | None = None

    # -- home screen ------------------------------------------------------------------
    def status(self) -> PlanStatus:
        return status_from_store(self.store, self.athlete_id, self.today(), tool=self.tool)

    def planned(self, status: PlanStatus | None = None) -> list[PlannedSet]:
        """Today's sets (a light day's when the check-in chose one), loads from the log."""
        status = status or self.status()
        options = g.light_session(status.options) if self.light else None
        return todays_sets(self.store, self.athlete_id, status, self.library, self.gym, self.today(), options)

    def home(self) -> Home:
        status = self.status()
        planned = self.planned(status)
        guards = g.session_guards(session_history(self.store, self.athlete_id), self.today(), planned)
        return Home(status, tuple(planned), tuple(guards), stored_guards.disclaimer_pending(self.store, self.athlete_id), self.problems)

    def last_time(self, exercise: str) -> LastTime | None:
        """For one-key "same as last time": ``planned.same_as_last_time(coach.last_time(planned.exercise))``."""
        return last_time(self.store, self.athlete_id, exercise, self.today())

    # -- disclaimer and check-in ----------------------------------------------------
    def acknowledge_disclaimer(self) -> None:
        stored_guards.acknowledge_disclaimer(self.store, self.athlete_id)

    def baseline_rhr(self) -> float | None:
        return self.store.baseline_rhr(self.athlete_id)

    def assess(self, checkin: g.CheckIn) -> g.CheckInAdvice:
        """What :class:`~gymtui.ui.screens.checkin.CheckinScreen` calls (give it ``coach.assess``)."""
        return g.assess_checkin(checkin, self.baseline_rhr())

    def record_checkin(self, checkin: g.CheckIn, advice: g.CheckInAdvice, choice: g.Advice) -> int:
        """Remember the check-in; a light choice makes today's plan activation only."""
        self.light = choice is g.Advice.LIGHT
        return stored_guards.record_checkin(self.store, self.athlete_id, checkin, advice, choice.value)

    # -- the session ------------------------------------------------------------------
    def start_session(self, status: PlanStatus | None = None) -> int:
        self._autoregulator = Autoregulator(self.store, self.athlete_id, self.gym, self.today())
        return start_planned_session(self.store, self.athlete_id, status or self.status(), light=self.light)

    def start_set(self, planned: PlannedSet, session_id: int | None, **kwargs: Any) -> int:
        """``Store.start_set`` with the planned set's exercise, load and channels, plus its plan columns."""
        set_id = self.store.start_set(
            self.athlete_id, planned.exercise, planned.protocol.name, session_id=session_id,
            load_kg=planned.load_kg, channels=planned.channel_dicts(), **kwargs,
        )
        self.store.update_set(set_id, planned.log_fields())
        return set_id

    def after_set(
        self, planned: PlannedSet, set_id: int, summary: dict[str, Any], rating: int | None = None, lifted: Lifted | None = None
    ) -> Suggestion | None:
        """The 80 % rule after a Phase 3 set; a stored suggestion for the next set of this exercise, or None."""
        if self._autoregulator is None:
            self._autoregulator = Autoregulator(self.store, self.athlete_id, self.gym, self.today())
        return self._autoregulator.after_set(planned, set_id, summary, rating, lifted)

    def answer(self, suggestion: Suggestion, taken: bool, next_set_id: int | None = None) -> None:
        if self._autoregulator is None:
            raise RuntimeError("no session is running")
        self._autoregulator.answer(suggestion, taken, next_set_id)

    # -- history ------------------------------------------------------------------------
    def history(self) -> HistoryData:
        return load_history(self.store, self.athlete_id, today=self.today())

    def session_sets(self, session_id: int) -> tuple[tuple[int, str], ...]:
        return sets_of_session(self.store, session_id)

    def set_detail(self, set_id: int) -> SetDetail:
        return load_set_detail(self.store, set_id)
