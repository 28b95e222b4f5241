"""History from the log: what :mod:`gymtui.session.history` turns into the screens' plain data.

Run on the store's thread; the screens get frozen dataclasses and never the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING

import numpy as np

from gymtui.session.history import (
    HistoryData,
    SetDetail,
    feedback_and_cues,
    history_from,
    set_detail_from,
    set_lines,
)
from gymtui.session.mvc import MVC_HOLDS_FOR
from gymtui.store.samples import CorruptBlock

if TYPE_CHECKING:
    from gymtui.store import Store

log = logging.getLogger(__name__)


def load_history(store: Store, athlete_id: int, sessions: int = 30, today: dt.date | None = None) -> HistoryData:
    """Every logged exercise of one athlete week by week and their last ``sessions`` sessions.

    The EMG score compares %MVC only within an electrode application: a set
    measured against an MVC of an earlier application is left out of it. The
    e1RM reads ``Store.loaded_sets`` (warm-ups left out there), the
    perfect-rep goal ``Store.judged_sets``, the rise time of explosive-intent
    reps ``Store.rise_weeks`` and retention against feedback
    ``Store.feedback_weeks``.
    """
    holds_h = MVC_HOLDS_FOR.total_seconds() / 3600
    names = store.exercises_logged(athlete_id)
    weeks = [(name, store.exercise_weeks(athlete_id, name, mvc_holds_h=holds_h)) for name in names]
    return history_from(
        weeks,
        store.session_list(athlete_id, sessions),
        today,
        loaded={name: store.loaded_sets(athlete_id, name) for name in names},
        judged={name: store.judged_sets(athlete_id, name) for name in names},
        rise={name: store.rise_weeks(athlete_id, name) for name in names},
        feedback={name: store.feedback_weeks(athlete_id, name) for name in names},
    )


def sets_of_session(store: Store, session_id: int) -> tuple[tuple[int, str], ...]:
    """(set id, one line) for each set of a session, in order: the session's drill-down, with each set's feedback mode and cues."""
    rows = store.session_sets(session_id)
    said = {}
    for r in rows:
        set_id = int(r["set_id"])
        row = store.get_set(set_id)
        said[set_id] = feedback_and_cues(row["feedback"], store.cues_of(set_id), row["cue_count"])
    return set_lines(rows, said)


def load_set_detail(store: Store, set_id: int) -> SetDetail:
    """One set with its phases, its cues and the target channel's envelope."""
    row = store.set_detail(set_id)
    try:
        samples, rate_hz = store.signal_of(set_id)
    except CorruptBlock as exc:  # the set, its phases and cues still show; the damage is named
        log.warning("%s", exc)
        detail = set_detail_from(row, np.zeros((0, 0), dtype=np.float32), 0.0, store.cues_of(set_id))
        return dataclasses.replace(detail, signal_problem=str(exc))
    return set_detail_from(row, samples, rate_hz, store.cues_of(set_id))
