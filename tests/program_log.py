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
