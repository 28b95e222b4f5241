"""The Coach facade: one object from home screen to history, over a real database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from program_log import log_session

from gymtui.services.coach import Coach
from gymtui.session import guardrails as g
from gymtui.session.autoreg import apply
from gymtui.session.templates import WorkflowPhase
from gymtui.store import SetStatus, Store

WEEK3_MONDAY = dt.date(2026, 1, 19)


def test_coach_home_checkin_light_day_and_autoregulation(tmp_path: Path) -> None:
    store = Store(tmp_path / "coach.db")
    athlete = store.ensure_athlete()
    day = [dt.date(2026, 1, 5)]
    coach = Coach(store, athlete, today=lambda: day[0])
    home = coach.home()
    assert home.disclaimer_pending and home.status.line.startswith("Week 1 of 4")
    assert home.next_set.workflow_phase is WorkflowPhase.ACTIVATION and home.guards == ()
    coach.acknowledge_disclaimer()
    assert not coach.home().disclaimer_pending

    # Two weeks of training, then week 3: heavy squats with loads from the log.
    for offset in (0, 2, 4, 7, 9, 11):
        log_session(store, athlete, day[0] + dt.timedelta(days=offset), [
            {"exercise": "Back squat", "load_kg": 100.0, "reps": 6, "target_share": 0.42, "peak_pct_mvc": 70.0},
        ], focus="lower" if offset % 4 == 0 else "upper")
    day[0] = WEEK3_MONDAY
    home = coach.home()
    assert home.status.line.startswith("Week 3 of 4 · neural block")
    squats = [p for p in home.planned if p.exercise == "Back squat"]
    assert squats[0].load_kg == 95.0 and squats[0].muscles[0] == ("Vastus lateralis", "target")

    checkin = g.CheckIn(8, None, 4, 4)
    coach.record_checkin(checkin, coach.assess(checkin), g.Advice.GO)
    session = coach.start_session(home.status)
    set_id = coach.start_set(squats[0], session)
    summary = {"target_share": 0.30, "peak_pct_mvc": 69.0}
    store.finish_set(set_id, SetStatus.COMPLETED, summary)
    coach.set_completed(session, squats[0], set_id)
    assert store.get_set(set_id)["workflow_phase"] == "compound"
    suggestion = coach.after_set(squats[0], set_id, summary)
    assert suggestion.to_kg == 85.0  # 10 % off 95 kg on the default plates
    next_set = apply(squats[1], suggestion)
    next_id = coach.start_set(next_set, session)
    coach.answer(suggestion, taken=True, next_set_id=next_id)
    assert store.get_set(next_id)["load_kg"] == 85.0
    assert store.get_suggestion(suggestion.id)["taken"] == 1

    # The athlete ends that session; a tired athlete then takes a light day: activation only, tagged light.
    assert coach.end_day(session) == len(home.planned) - 1  # all but the squat set marked done
    tired = g.CheckIn(5.5, None, 2, 4)
    advice = coach.assess(tired)
    assert advice.advice is g.Advice.REST
    coach.record_checkin(tired, advice, g.Advice.LIGHT)
    assert {p.workflow_phase for p in coach.planned()} == {WorkflowPhase.ACTIVATION}
    light_session = coach.start_session()
    assert store.db["sessions"].get(light_session)["kind"] == "light"
    assert [e.exercise for e in coach.history().exercises] == ["Back squat"]
    store.close()
