"""The plan against the log: the athlete's plan row, trained days, today's sets, today's session row.

The week arithmetic is :mod:`gymtui.session.plan` (pure, on values); this
module reads what it needs from the store and writes the plan and session
rows, and each session's planned sets in order (:mod:`gymtui.session.sequence`). Run on the store's thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from gymtui.services.loads import load_book
from gymtui.session.days import SessionDay
from gymtui.session.guardrails import BREAK_DAYS, needs_full_activation
from gymtui.session.loads import GymConfig
from gymtui.session.plan import (
    DEFAULT_PROGRAM,
    Plan,
    PlanStatus,
    exercise_keys,
    plan_status,
)
from gymtui.session.sequence import DaySequence, build_sequence, set_key
from gymtui.session.templates import LoadBook, expand, load_templates

if TYPE_CHECKING:
    from gymtui.session.exercises import ExerciseLibrary
    from gymtui.session.templates import PlannedSet, SessionOptions
    from gymtui.store import Store


def ensure_plan(
    store: Store,
    athlete_id: int | None,
    today: dt.date,
    program: str = DEFAULT_PROGRAM,
    maintenance_every_weeks: int = 1,
    *,
    write: bool = True,
) -> Plan:
    """The athlete's current plan, starting the guide's plan today if there is none.

    ``write=False`` (the read commands) shows the plan that would start today
    without storing it; ``athlete_id`` None is an athlete not made yet.
    """
    row = store.current_plan(athlete_id) if athlete_id is not None else None
    if row is None and not write:
        return Plan(program, today, maintenance_every_weeks)
    if row is None:
        assert athlete_id is not None
        plan_id = store.start_plan(athlete_id, program, today.isoformat(), maintenance_every_weeks)
        return Plan(program, today, maintenance_every_weeks, plan_id)
    return Plan(row["program"], dt.date.fromisoformat(row["started_on"]), int(row["maintenance_every_weeks"] or 1), int(row["id"]))


def session_history(store: Store, athlete_id: int | None) -> list[SessionDay]:
    """Trained days as the plan counts them (a completed set), each marked in progress or extra.

    ``athlete_id`` None is an athlete not made yet: no days.
    """
    if athlete_id is None:
        return []
    open_ids = store.open_session_ids(athlete_id)
    extra_ids = store.extra_session_ids(athlete_id)
    return [
        SessionDay(
            dt.date.fromisoformat(r["day"]), r["kind"] or "neural", r["focus"] or "",
            open=r["id"] in open_ids, extra=r["id"] in extra_ids,
        )
        for r in store.session_days(athlete_id)
    ]


def status_from_store(
    store: Store, athlete_id: int | None, today: dt.date, *, tool: str | None = None, write: bool = True
) -> PlanStatus:
    """The home screen's plan line and options, from the log (``write=False``: stores no plan row)."""
    plan = ensure_plan(store, athlete_id, today, write=write)
    history = session_history(store, athlete_id)
    resume = needs_full_activation(history, today, BREAK_DAYS * plan.maintenance_every_weeks).fired
    return plan_status(plan, history, today, tool=tool, resume=resume)


def todays_sets(
    store: Store,
    athlete_id: int | None,
    status: PlanStatus,
    library: ExerciseLibrary,
    gym: GymConfig | None = None,
    today: dt.date | None = None,
    options: SessionOptions | None = None,
    focus: str | None = None,
) -> list[PlannedSet]:
    """Today's planned sets with loads from the log (1RM → kg on this gym's plates).

    On a day already trained or a rest day this previews the next session
    (with this week's options). ``options`` overrides the plan's, e.g.
    ``guardrails.light_session(status.options)`` after a check-in; ``focus``
    the day's (an open session's own focus).
    """
    template = load_templates(library)[0][focus or status.next_focus]
    names = sorted({library.get(k).name for k in exercise_keys(template.data, library)})
    if athlete_id is None:  # an athlete not made yet: no log, no loads
        book = LoadBook({}, {}, gym or GymConfig())
    else:
        book = load_book(store, athlete_id, names, gym or GymConfig(), today)
    return expand(template, options or status.options, library, book)


def start_planned_session(
    store: Store,
    athlete_id: int,
    status: PlanStatus,
    *,
    light: bool = False,
    planned: Sequence[PlannedSet] = (),
    started_at: str | None = None,
    extra: bool = False,
) -> int:
    """Open today's session row, tagged with plan, focus and kind, and fix its planned sets in order.

    The kind is neural, hypertrophy or deload from the block, or ``light``
    when the check-in (or the weekly cap) turned today into activation only:
    a light day is not a neural session and does not count toward the cap.
    The focus is the day's to train (the next one after a day already done).
    ``started_at`` is the session's time on the caller's calendar;
    ``extra`` marks a session trained on a rest day.
    """
    focus = status.next_focus
    session_id = store.start_session(athlete_id, template=focus, started_at=started_at, extra=extra)
    kind = "light" if light else status.session_kind
    store.tag_session(session_id, plan_id=status.plan.id, focus=focus, kind=kind)
    if planned:
        store.plan_session_sets(session_id, [set_key(p) for p in planned])
    return session_id


def open_sequence(
    store: Store, athlete_id: int, today: dt.date, planned_for: Callable[[str, bool], Sequence[PlannedSet]], first_choice: int | None = None
) -> DaySequence | None:
    """Today's session still in progress, its rows matched to planned sets, or None.

    ``planned_for(focus, light)`` gives the day's planned sets for the
    session's own focus (loads read from the log now).
    """
    row = store.open_session_on(athlete_id, today.isoformat())
    if row is None:
        return None
    planned = planned_for(row["focus"] or "", row["kind"] == "light")
    return build_sequence(row["id"], store.planned_set_rows(row["id"]), planned, first_choice)
