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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gymtui.services import guardrails as stored_guards
from gymtui.services.autoreg import Autoregulator
from gymtui.services.history import load_history, load_set_detail, sets_of_session
from gymtui.services.loads import last_time
from gymtui.services.plan import (
    open_sequence,
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
from gymtui.session.sequence import ENDED_EARLY, DaySequence, row_key, set_key
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

    sequence: DaySequence | None = None
    """Today's session in progress: its sets in order, what is done and skipped (None: none open)."""

    @property
    def next_set(self) -> PlannedSet | None:
        """The open session's next undone set; else the first set of the day to come."""
        if self.sequence is not None:
            entry = self.sequence.next_entry
            return entry.planned if entry is not None else None
        return self.planned[0] if self.planned else None

    @property
    def next_row(self) -> int | None:
        """The stored row of :attr:`next_set` (None until the session opens)."""
        entry = self.sequence.next_entry if self.sequence is not None else None
        return entry.row_id if entry is not None else None

    @property
    def refused(self) -> g.Guard | None:
        """A guard that stops a new session today (the weekly neural limit), if one fired."""
        if self.sequence is not None:
            return None  # today's session is already open: it goes on
        return next((x for x in self.guards if x.level is g.Level.STOP and x.name == "neural_frequency"), None)


class Coach:
    def __init__(
        self,
        store: Store,
        athlete_id: int,
        *,
        library: ExerciseLibrary | None = None,
        gym: GymConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        now: Callable[[], dt.datetime] | None = None,
        tool: str | None = None,
        cuff_limb: str | None = None,
    ) -> None:
        """``cuff_limb``: the limb the cuff is on (``--cuff``); BFR sets are planned for it only."""
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
        self.now = now or (lambda: dt.datetime.combine(self.today(), dt.datetime.now().time()).astimezone())
        """The session's time on the injected calendar (the app's date, a test's)."""
        self.tool = tool
        self.cuff_limb = cuff_limb
        self.light = False
        self.extra = False
        """The athlete said "train anyway" on a rest day: the next session opened is an extra one."""
        self.first_choice: int | None = None
        """A planned-set row taken first from today's list (the rack was busy)."""
        self._autoregulator: Autoregulator | None = None

    # -- home screen ------------------------------------------------------------------
    def status(self) -> PlanStatus:
        return status_from_store(self.store, self.athlete_id, self.today(), tool=self.tool)

    def planned(self, status: PlanStatus | None = None) -> list[PlannedSet]:
        """Today's sets (a light day's when the check-in chose one), loads from the log."""
        status = status or self.status()
        options = g.light_session(status.options) if self.light else status.options
        options = replace(options, bfr_limb=self.cuff_limb)
        return todays_sets(self.store, self.athlete_id, status, self.library, self.gym, self.today(), options)

    def sequence(self, status: PlanStatus | None = None) -> DaySequence | None:
        """Today's open session as a sequence, or None."""
        status = status or self.status()

        def planned_for(focus: str, light: bool) -> list[PlannedSet]:
            options = g.light_session(status.options) if light else status.options
            options = replace(options, bfr_limb=self.cuff_limb)
            return todays_sets(self.store, self.athlete_id, status, self.library, self.gym, self.today(), options, focus or None)

        return open_sequence(self.store, self.athlete_id, self.today(), planned_for, self.first_choice)

    def home(self) -> Home:
        status = self.status()
        sequence = self.sequence(status)
        if sequence is not None:  # the undone sets, the one taken next first
            nxt = sequence.next_entry
            order = ([nxt] if nxt else []) + [e for e in sequence.runnable if e is not nxt]
            planned = [e.planned for e in order if e.planned is not None]
        else:
            planned = self.planned(status)
        history = session_history(self.store, self.athlete_id)
        guards = g.session_guards(
            history, self.today(), planned, week_start=status.week_start, cuff_limb=self.cuff_limb
        )
        return Home(
            status, tuple(planned), tuple(guards), stored_guards.disclaimer_pending(self.store, self.athlete_id),
            self.problems, sequence,
        )

    def stamp(self) -> str:
        """Now on the coach's calendar, as the store writes times (sessions and sets share one calendar)."""
        return self.now().isoformat(timespec="milliseconds")

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
        """Today's open session, or a new one with its planned sets fixed in order.

        A new session after a day already done or on a rest day is an extra
        one (the app asks first and sets :attr:`extra`).
        """
        open_row = self.store.open_session_on(self.athlete_id, self.today().isoformat())
        if open_row is not None:
            if self._autoregulator is None:
                self._autoregulator = Autoregulator(self.store, self.athlete_id, self.gym, self.today())
            return open_row["id"]
        status = status or self.status()
        self._autoregulator = Autoregulator(self.store, self.athlete_id, self.gym, self.today())
        extra, self.extra = self.extra or status.today != "train", False
        self.first_choice = None
        return start_planned_session(
            self.store, self.athlete_id, status, light=self.light, planned=self.planned(status),
            started_at=self.stamp(), extra=extra,
        )

    def set_completed(self, session_id: int | None, planned: PlannedSet, set_id: int | None) -> None:
        """A set of today's sequence completed: its row (the one taken first, else the first undone with its key) is done."""
        if session_id is None:
            return
        key = set_key(planned)
        rows = [r for r in self.store.planned_set_rows(session_id) if r["status"] == "planned" and row_key(r) == key]
        row = next((r for r in rows if r["id"] == self.first_choice), rows[0] if rows else None)
        if row is None:
            return
        if row["id"] == self.first_choice:
            self.first_choice = None
        self.store.mark_planned_set_done(row["id"], set_id)

    def skip(self, row_id: int, reason: str | None = None) -> None:
        """``x``: the set is stored as skipped, with the athlete's reason if given."""
        if row_id == self.first_choice:
            self.first_choice = None
        self.store.skip_planned_set(row_id, reason)

    def skip_next(self, reason: str | None = None) -> None:
        """``x`` before the day's first set: open the session, then skip its first set."""
        self.start_session()
        sequence = self.sequence()
        entry = sequence.next_entry if sequence is not None else None
        if entry is not None:
            self.skip(entry.row_id, reason)

    def end_day(self, session_id: int) -> int:
        """``e``: end the session early; every set left is skipped. How many were."""
        self.first_choice = None
        return self.store.skip_remaining_sets(session_id, ENDED_EARLY)

    def take_first(self, row_id: int) -> None:
        """``l``: take this set of today's list next (the rack is busy)."""
        self.first_choice = row_id

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
