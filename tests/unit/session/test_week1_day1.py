"""Week 1, day 1 end to end: plan → planned sets → engine → store → plan and history move on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gymtui.model import PhaseKind
from gymtui.services.history import load_history
from gymtui.services.plan import start_planned_session, status_from_store, todays_sets
from gymtui.session.engine import PhaseEnded, SetCompleted, SetEngine, SetFinished
from gymtui.session.exercises import load_library
from gymtui.session.templates import WorkflowPhase
from gymtui.store import SetStatus, Store

MONDAY = dt.date(2026, 1, 5)


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def run_set(store: Store, athlete: int, session: int, planned, clock: Clock, rating: int) -> int:
    """Walk one planned set as the app would: reps end on Space, the rest runs out by itself."""
    set_id = store.start_set(athlete, planned.exercise, planned.protocol.name, session_id=session,
                             load_kg=planned.load_kg or 60.0, channels=planned.channel_dicts())
    store.update_set(set_id, planned.log_fields())
    engine = SetEngine(planned.protocol, clock)
    events = engine.start()
    limit_s = clock.now_s + 3600  # simulated: no set of the plan comes near an hour
    while engine.running:
        assert clock.now_s < limit_s, f"{planned.exercise} never finished"
        phase = engine.current_phase
        if engine.can_advance and phase.kind is PhaseKind.REPS and engine.view().elapsed_s >= 3.0 * (planned.reps or 6):
            events += engine.advance()
        clock.now_s += 0.25
        events += engine.tick()
        for event in events:
            if isinstance(event, PhaseEnded):
                store.record_phase(set_id, event.index, event.phase.kind.value, event.phase.name,
                                   planned_s=event.phase.duration_s, started_at="2026-01-05T10:00:00+00:00",
                                   duration_s=event.duration_s, ended_by=event.ended_by.value)
            elif isinstance(event, SetCompleted):
                store.finish_set(set_id, SetStatus.COMPLETED, {"reps": planned.reps})
                store.rate_set(set_id, rating)
        if any(isinstance(e, SetFinished) for e in events):
            break
        events = []
    return set_id


def test_a_demo_athlete_runs_week_1_day_1_and_the_plan_moves_on(tmp_path: Path) -> None:
    store = Store(tmp_path / "week1.db")
    athlete = store.ensure_athlete("Demo")
    status = status_from_store(store, athlete, MONDAY)
    assert status.line == "Week 1 of 4 · neural block · today: lower body"
    planned = todays_sets(store, athlete, status, load_library(), today=MONDAY)
    session = start_planned_session(store, athlete, status)
    clock = Clock()
    activation_end_s = 0.0
    for p in planned:
        run_set(store, athlete, session, p, clock, rating=7 if p.workflow_phase is WorkflowPhase.ACTIVATION else 8)
        if p.workflow_phase is WorkflowPhase.ACTIVATION:
            activation_end_s = clock.now_s
    store.end_session(session)
    # Phase 1 really took 5–10 minutes of (simulated) wall time.
    assert 5 * 60 <= activation_end_s <= 10 * 60
    rows = store.export_rows()
    assert len(rows) == len(planned) and all(r["status"] == "completed" for r in rows)
    assert {r["workflow_phase"] for r in rows} == {"activation", "compound"}
    assert store.foreign_key_problems() == []

    # Later the same day the home screen says it is done and what is next ...
    store.db["sessions"].update(session, {"started_at": f"{MONDAY}T10:00:00+00:00"})
    done = status_from_store(store, athlete, MONDAY)
    assert done.line == "Week 1 of 4 · neural block · today: lower body done"
    assert done.next_line == "Next: upper body (session 2 of 3 this week)"
    # ... and on Wednesday the upper-body day with its own drills.
    wednesday = status_from_store(store, athlete, MONDAY + dt.timedelta(days=2))
    assert wednesday.line == "Week 1 of 4 · neural block · today: upper body"
    upper = todays_sets(store, athlete, wednesday, load_library(), today=wednesday.plan.started_on)
    assert upper[0].exercise == "Band lat pulldown"
    # History shows the ratings.
    history = {e.exercise: e for e in load_history(store, athlete).exercises}
    assert history["Glute bridge, 3 s hold"].weeks[0].mean_rating == 7
    assert history["Back squat"].weeks[0].mean_rating == 8
    store.close()
