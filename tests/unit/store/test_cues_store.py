"""Cues, rep verdicts and the set's feedback columns: stored in a real SQLite file and read back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gymtui.model import FormCue, FormCueKind
from gymtui.store import SetStatus, Store, cue_fields


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "gym.db")
    yield s
    s.close()


def test_cues_are_stored_in_the_order_they_fired_and_survive_a_reopen(store: Store, tmp_path: Path) -> None:
    athlete = store.ensure_athlete("Sam")
    set_id = store.start_set(athlete, "lat_pulldown", "Pulldown")
    other = store.start_set(athlete, "lat_pulldown", "Pulldown")
    late = FormCue(6.5, FormCueKind.CO_CONTRACTION, 2, "triceps", 41.0, "Relax the triceps", rep=4)
    early = FormCue(2.25, FormCueKind.COMPENSATION, 1, "biceps", 0.38, "Hands as hooks, elbows to the pockets", rep=2)
    store.record_cue(set_id, late)
    store.record_cue(set_id, cue_fields(early))  # the form a write kept through an outage carries
    store.record_cue(other, FormCue(1.0, FormCueKind.COMPENSATION, 0, "lats", 0.4, "Lead with the elbows"))
    store.close()

    reopened = Store(tmp_path / "gym.db")
    rows = reopened.cues_of(set_id)
    assert [(r["t_s"], r["kind"], r["channel"], r["muscle"], r["value"], r["rep"], r["text"]) for r in rows] == [
        (2.25, "compensation", 1, "biceps", 0.38, 2, "Hands as hooks, elbows to the pockets"),
        (6.5, "co_contraction", 2, "triceps", 41.0, 4, "Relax the triceps"),
    ]
    between_reps = reopened.cues_of(other)
    assert [(r["muscle"], r["rep"]) for r in between_reps] == [("lats", None)]
    reopened.close()


def test_a_cue_for_a_set_that_does_not_exist_is_refused(store: Store) -> None:
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        store.record_cue(9999, FormCue(1.0, FormCueKind.COMPENSATION, 0, "lats", 0.4, "x"))


def test_the_summary_and_rep_verdicts_keep_the_biofeedback_columns(store: Store) -> None:
    athlete = store.ensure_athlete("Sam")
    set_id = store.start_set(athlete, "lat_pulldown", "Pulldown", extra={"feedback": "retention"})
    store.finish_set(set_id, SetStatus.COMPLETED, {"peak_pct_mvc": 80.0, "time_in_zone_s": 7.5, "cue_count": 3})
    store.record_reps(
        set_id,
        [
            {"idx": 0, "start_s": 0.5, "end_s": 2.0, "perfect": 1, "reason": "", "rise_ms": 180.0},
            {"idx": 1, "start_s": 2.5, "end_s": 4.0, "perfect": 0, "reason": "target not prime mover", "rise_ms": 260.0},
        ],
    )
    row = store.get_set(set_id)
    assert (row["feedback"], row["time_in_zone_s"], row["cue_count"]) == ("retention", 7.5, 3)
    reps = store.conn.execute("SELECT idx, perfect, reason, rise_ms FROM reps WHERE set_id = ? ORDER BY idx", (set_id,)).fetchall()
    assert reps == [(0, 1, "", 180.0), (1, 0, "target not prime mover", 260.0)]


def test_a_set_started_without_a_mode_was_fed_back_live(store: Store) -> None:
    athlete = store.ensure_athlete("Sam")
    set_id = store.start_set(athlete, "lat_pulldown", "Pulldown")
    assert store.get_set(set_id)["feedback"] == "live"


def test_a_cue_write_kept_through_an_outage_has_a_json_form_that_stores_the_same_row(store: Store) -> None:
    import json

    from gymtui.store.recovery import Write, decode_value, encode_value

    set_id = store.start_set(store.ensure_athlete("Sam"), "lat_pulldown", "Pulldown")
    cue = FormCue(3.0, FormCueKind.COMPENSATION, 1, "biceps", 0.4, "Elbows to the pockets", rep=3)
    write = Write("record_cue", (set_id, cue_fields(cue)), {})  # refused if the recovery file could not name it
    args = decode_value(json.loads(json.dumps(encode_value(list(write.args), {}))), {})
    store.record_cue(*args)
    [row] = store.cues_of(set_id)
    assert (row["t_s"], row["kind"], row["muscle"], row["rep"], row["text"]) == (3.0, "compensation", "biceps", 3, "Elbows to the pockets")
