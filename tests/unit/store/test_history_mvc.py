"""History compares %MVC only within an electrode application, and says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gymtui.model import Calibration
from gymtui.services.history import load_history
from gymtui.store import Store

MONDAY = dt.date(2026, 11, 2)


def at(day: dt.date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000+01:00"


def test_a_set_measured_against_an_mvc_of_an_earlier_application_is_left_out_of_the_emg_score(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    ana, ben = store.ensure_athlete("Ana"), store.ensure_athlete("Ben")
    conn = store.conn

    def mvc(taken_at: str) -> int:
        cal_id = store.save_mvc(ana, Calibration((400.0,), 0.1, "demo", ("Glute",)))
        with conn:
            conn.execute("UPDATE calibrations SET taken_at = ? WHERE id = ?", (taken_at, cal_id))
        return cal_id

    def logged(day: dt.date, hour: int, calibration: int, peak: float, athlete: int = ana) -> int:
        session = store.start_session(athlete)
        set_id = store.start_set(athlete, "Glute bridge", "p", session_id=session, calibration_id=calibration)
        store.finish_set(set_id, "completed", {"peak_pct_mvc": peak})
        with conn:
            conn.execute("UPDATE sets SET started_at = ? WHERE id = ?", (at(day, hour), set_id))
            conn.execute("UPDATE sessions SET started_at = ? WHERE id = ?", (at(day, hour), session))
        return set_id

    week1 = mvc(at(MONDAY, 9))
    logged(MONDAY, 9, week1, 80.0)
    logged(MONDAY, 10, week1, 70.0)  # an hour later, same electrodes: compared
    next_monday = MONDAY + dt.timedelta(weeks=1)
    logged(next_monday, 9, week1, 40.0)  # a week later against last week's MVC: not comparable
    week2 = mvc(at(next_monday, 10))
    logged(next_monday, 10, week2, 60.0)
    logged(next_monday, 11, week2, 99.0, athlete=ben)  # Ben's set is never in Ana's history

    (history,) = load_history(store, ana, today=next_monday).exercises
    assert [(w.week_of, w.sets, w.emg_score, w.other_mvc_sets) for w in history.weeks] == [
        (MONDAY, 2, 75.0, 0),
        (next_monday, 2, 60.0, 1),
    ]
    assert history.mvc_note == (
        "EMG score: peak %MVC, each set against the MVC of its own electrode application "
        "(1 set measured against an older MVC left out)"
    )
    store.close()
