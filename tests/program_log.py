"""Seed a real gymtui database with sessions on chosen days (a fake calendar)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gymtui.store import SetStatus, Store


def log_session(
    store: Store,
    athlete_id: int,
    day: dt.date,
    sets: list[dict[str, Any]] = (),  # type: ignore[assignment]
    *,
    focus: str = "lower",
    kind: str = "neural",
) -> int:
    """One session on ``day`` with completed sets; each set dict holds set-row values."""
    session_id = store.start_session(athlete_id, template=focus)
    store.tag_session(session_id, plan_id=None, focus=focus, kind=kind)
    # Back-date the session: the store stamps "now", the test owns the calendar.
    store.db["sessions"].update(session_id, {"started_at": f"{day.isoformat()}T10:00:00.000+00:00"})
    for i, values in enumerate(sets or [{"exercise": "Back squat", "load_kg": 100.0, "reps": 5}]):
        values = dict(values)
        rating = values.pop("activation_rating", None)
        set_id = store.start_set(athlete_id, values.pop("exercise"), "test", session_id=session_id, load_kg=values.pop("load_kg", None))
        store.finish_set(set_id, SetStatus.COMPLETED, values)
        store.update_set(set_id, {"started_at": f"{day.isoformat()}T10:{i:02d}:00.000+00:00"})
        if rating is not None:
            store.rate_set(set_id, rating)
    return session_id


def four_weeks_logged(store: Store, athlete: int, first_monday: dt.date) -> None:
    """Four weeks from ``first_monday``, one session each Monday, telling four stories a history must read.

    Leg extension: rating 6 → 8 at 40 kg, 6-rep sets, perfect reps 3 → 5.
    Back squat: rating 7 held while the load climbs 100 → 115 kg.
    Hip thrust: rating 8 → 6 at 80 kg. Calf raise: one session, in the last week.
    """
    for week in range(4):
        day = first_monday + dt.timedelta(weeks=week)
        log_session(store, athlete, day, [
            {"exercise": "Leg extension", "load_kg": 40.0, "reps": 6, "activation_rating": [6, 6, 7, 8][week],
             "peak_pct_mvc": 50.0 + 10 * week, "perfect_reps": [3, 4, 5, 5][week]},
            {"exercise": "Leg extension", "load_kg": 30.0, "reps": 6, "perfect_reps": 2},
            {"exercise": "Back squat", "load_kg": 100.0 + 5 * week, "reps": 5, "activation_rating": 7},
            {"exercise": "Hip thrust", "load_kg": 80.0, "reps": 10, "activation_rating": 8 - week * 2 // 3},
        ])
    log_session(store, athlete, first_monday + dt.timedelta(weeks=3, days=1), [
        {"exercise": "Calf raise", "load_kg": 60.0, "reps": 12, "activation_rating": 6},
    ])
