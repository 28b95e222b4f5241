"""An athlete's state between racks: built by the hub from the gym's log, adopted by a rack from it.

Where an athlete stands in the plan is not a number kept anywhere: a rack
counts it from the plan row and the days trained since
(:func:`gymtui.services.plan.status_from_store`), and its loads from the
sets lifted (:func:`gymtui.services.loads.load_book`). So the hub sends
what those counts read, and a rack that adopts it counts the same:

* the plan row (program, start, maintenance rhythm) and, for reading, the
  position the hub counted (``plan_week``, ``line``…);
* every session trained since the plan began, with its first completed set
  (a day counts when a set of it completed);
* per exercise the sets the loads come from: the working sets of its last
  two days (today's and "last time"), the best e1RM set in the recent
  window and overall, the last rated set; and the athlete's last few sets;
* each limb's newest LOP with its date.

:func:`build_state` runs on the hub, :func:`adopt_state` on a rack's store
thread before its home screen reads the plan. Adoption adds only what the
rack lacks (sets by UUID, sessions by start, a LOP measured later than the
rack's own) and moves the plan row only when the hub has heard of training
newer than anything on this rack: a rack's own log is never overwritten.
Adopted sets carry ``sets.rack``, the rack they were lifted at (a rack's
own sets leave it NULL).

The rows are read and written by the store (:class:`gymtui.store.gym.GymTables`);
what is here is which rows make a state, and the rules of adopting one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable
from typing import cast

from gymtui.gym.payloads import (
    AthleteState,
    LoadState,
    LopState,
    Scalar,
    SessionState,
    SetState,
)
from gymtui.gym.topics import athlete_key
from gymtui.services.plan import status_from_store
from gymtui.session import loads
from gymtui.session.plan import PROGRAMS
from gymtui.store import Store

LIMBS = ("arm", "leg")
RECENT_SETS = 5
"""The athlete's newest sets sent along (the home screen's "Recent" line)."""
MAX_SETS = 2000
"""A bound on one state's sets (a message stays far below the payload cap)."""

_SET_FIELDS = (
    "uuid", "exercise", "started_at", "status", "ended_at", "load_kg", "reps", "rir", "activation_rating",
    "rated_at", "set_type", "workflow_phase", "set_number", "pct_1rm", "protocol", "load_source", "reps_source", "rack",
)


# -- the hub's side ------------------------------------------------------------------
def build_state(store: Store, athlete_id: int, today: dt.date | None = None) -> AthleteState:
    """The athlete's state from ``store`` (the hub's log): plan, sessions, the loads' sets, LOP."""
    today = today or dt.date.today()
    name = store.athlete_name(athlete_id)
    plan: dict[str, Scalar] = {}
    row = store.current_plan(athlete_id)
    if row is not None:
        status = status_from_store(store, athlete_id, today, write=False)
        plan = {
            "program": row["program"],
            "started_on": row["started_on"],
            "maintenance_every_weeks": int(row["maintenance_every_weeks"] or 1),
            "plan_week": status.plan_week,
            "block": str(status.block.kind),
            "week_in_block": status.week_in_block,
            "focus": status.focus,
            "line": status.line,
            "as_counted_on": today.isoformat(),
        }
    since = str(plan.get("started_on") or "0000-00-00")
    sessions = store.trained_sessions_since(athlete_id, since)
    wanted: set[int] = {s.first_completed_set_id for s in sessions}
    loads_out: list[LoadState] = []
    for exercise in store.exercises_logged(athlete_id):
        wanted.update(_load_set_ids(store, athlete_id, exercise, today))
        rated = store.last_rated_set_id(athlete_id, exercise)
        if rated is not None:
            wanted.add(rated)
        load = _load_state(store, athlete_id, exercise, today)
        if load is not None:
            loads_out.append(load)
    wanted.update(store.recent_finished_set_ids(athlete_id, RECENT_SETS))
    lops = tuple(
        LopState(limb, float(lop["lop_mmhg"]), str(lop["taken_at"]))
        for limb in LIMBS
        if (lop := store.latest_lop(athlete_id, limb)) is not None
    )
    newest = store.newest_finished_set_at(athlete_id)
    return AthleteState(
        athlete=name,
        key=athlete_key(name),
        as_of=newest,
        plan=plan,
        loads=tuple(loads_out),
        lop=lops,
        updated_at=time.time(),
        sessions=tuple(
            SessionState(s.started_at, s.ended_at, s.focus, s.kind, s.template, s.extra) for s in sessions
        ),
        sets=_set_states(store, sorted(wanted)[-MAX_SETS:]),
    )


def _load_set_ids(store: Store, athlete_id: int, exercise: str, today: dt.date) -> set[int]:
    """The sets an exercise's loads are read from: its last two days' working sets and its best e1RM sets."""
    ids: set[int] = set()
    last = store.last_session_sets(athlete_id, exercise)
    ids.update(int(r["id"]) for r in last)
    if last:
        ids.update(int(r["id"]) for r in store.last_session_sets(athlete_id, exercise, before=last[0]["started_at"][:10]))
    rows = store.loaded_sets(athlete_id, exercise)
    usable = [r for r in rows if 1 <= (r["reps"] or 0) <= loads.MAX_REPS_FOR_ESTIMATE and (r["load_kg"] or 0) > 0]
    since = (today - dt.timedelta(weeks=loads.RECENT_WEEKS)).isoformat()
    for pool in (usable, [r for r in usable if r["started_at"][:10] >= since]):
        if pool:
            ids.add(int(max(pool, key=lambda r: loads.epley_1rm(r["load_kg"], r["reps"]))["id"]))
    return ids


def _load_state(store: Store, athlete_id: int, exercise: str, today: dt.date) -> LoadState | None:
    last = store.last_session_sets(athlete_id, exercise)
    loaded = [(float(r["load_kg"]), r) for r in last if r["load_kg"] is not None]
    if not loaded:
        return None
    top_kg, top = max(loaded, key=lambda pair: pair[0])
    rm = loads.estimate_1rm(store.loaded_sets(athlete_id, exercise), exercise, today)
    return LoadState(exercise, top_kg, str(top["started_at"]), rm.kg if rm else None, top["reps"])


def _set_states(store: Store, ids: Iterable[int]) -> tuple[SetState, ...]:
    out: list[SetState] = []
    for row in store.sets_with_session_start(ids, _SET_FIELDS):
        if not row["uuid"]:
            continue
        fields = {f: row[f] for f in _SET_FIELDS}
        fields["set_type"] = fields["set_type"] or "normal"
        out.append(SetState(**fields, session_started_at=row["session_started_at"]))
    out.sort(key=lambda s: (s.started_at, s.uuid))
    return tuple(out)


# -- a rack's side -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class Adoption:
    """What adopting a state changed on this rack (all zero: it had everything already)."""

    sets: int = 0
    sessions: int = 0
    plan: bool = False
    lop: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.sets or self.sessions or self.plan or self.lop)

    def line(self) -> str:
        """One line for the log and the screen."""
        if not self.changed:
            return "gym: this rack already had the athlete's plan and loads"
        parts = [f"{self.sets} sets", f"{self.sessions} sessions"]
        if self.plan:
            parts.append("the plan")
        if self.lop:
            parts.append(f"{self.lop} LOP")
        return "gym: took " + ", ".join(parts) + " from the gym's log"


def adopt_state(store: Store, athlete_id: int, state: AthleteState) -> Adoption:
    """Add to this rack's file what the state has and it lacks, in one transaction (see the module's rules)."""
    with store.transaction():
        own_newest = store.newest_own_set_at(athlete_id)
        newer = state.as_of is not None and (own_newest is None or state.as_of > own_newest)
        plan_changed, plan_id = _adopt_plan(store, athlete_id, state, newer=newer)
        sessions: dict[str, int] = {}
        made_sessions = 0
        for session in state.sessions:
            found, made = _session_for(store, athlete_id, session.started_at, session, plan_id)
            sessions[session.started_at] = found
            made_sessions += made
        added = 0
        for s in state.sets:
            if store.set_origin(s.uuid) is not None:
                continue
            session_id: int | None = None
            if s.session_started_at is not None:
                session_id = sessions.get(s.session_started_at)
                if session_id is None:
                    made_id, made = _session_for(store, athlete_id, s.session_started_at, None, plan_id)
                    sessions[s.session_started_at] = session_id = made_id
                    made_sessions += made
            store.add_set_row({
                **{f: getattr(s, f) for f in _SET_FIELDS},
                "rack": s.rack or "gym",
                "athlete_id": athlete_id,
                "session_id": session_id,
            })
            added += 1
        lop = 0
        for reading in state.lop:
            if reading.limb not in LIMBS or not 0 < reading.lop_mmhg < 400:
                continue
            mine = store.latest_lop(athlete_id, reading.limb)
            if mine is None or str(mine["taken_at"]) < reading.measured_at:
                store.save_lop(athlete_id, reading.limb, float(reading.lop_mmhg), source="gym", taken_at=reading.measured_at)
                lop += 1
    return Adoption(added, made_sessions, plan_changed, lop)


def _adopt_plan(store: Store, athlete_id: int, state: AthleteState, *, newer: bool) -> tuple[bool, int | None]:
    """The hub's plan row when this rack has none, or when the hub knows of newer training; the plan id either way."""
    current = store.current_plan(athlete_id)
    program, started_on = state.plan.get("program"), state.plan.get("started_on")
    every = state.plan.get("maintenance_every_weeks")
    if not isinstance(program, str) or program not in PROGRAMS or not isinstance(started_on, str):
        return False, current["id"] if current else None
    every = every if every in (1, 2) else 1
    same = current is not None and (current["program"], current["started_on"], current["maintenance_every_weeks"]) == (
        program, started_on, every
    )
    if same or (current is not None and not newer):
        return False, current["id"] if current else None
    return True, store.start_plan(athlete_id, program, started_on, int(cast(int, every)))


def _session_for(
    store: Store, athlete_id: int, started_at: str, session: SessionState | None, plan_id: int | None
) -> tuple[int, int]:
    """This rack's session that started then, else a new one; (id, 1 if made)."""
    row: dict[str, object] = {"plan_id": plan_id}
    if session is not None:
        row.update(ended_at=session.ended_at, focus=session.focus, kind=session.kind,
                   template=session.template or session.focus or "", extra=1 if session.extra else None)
    session_id, made = store.ensure_session_at(athlete_id, started_at, row)
    return session_id, int(made)
