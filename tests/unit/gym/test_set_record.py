"""A rack's set as the record it sends the hub: its rows without this file's ids, its plan named, the hub can store it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest
from gym_records import lift

from gymtui.gym.hub_log import PLAN_KEYS, HubLog
from gymtui.gym.payloads import SetRecord, decode, encode
from gymtui.gym.records import NoSuchSet, set_record
from gymtui.store import Store

MONDAY = dt.date(2025, 3, 3)


def test_a_set_travels_as_its_rows_without_local_ids_and_its_session_names_the_plan(tmp_path: Path) -> None:
    rack = Store(tmp_path / "rack.db")
    athlete_id = rack.ensure_athlete("Sam Lee")
    plan_id = rack.start_plan(athlete_id, "periodised", "2025-03-03", maintenance_every_weeks=2)
    at = dt.datetime.combine(MONDAY, dt.time(9, 0)).astimezone().isoformat(timespec="milliseconds")
    session_id = rack.start_session(athlete_id, template="lower", started_at=at)
    rack.tag_session(session_id, plan_id=plan_id, focus="lower", kind="neural")
    set_id, _ = lift(rack, "Sam Lee", "Back squat", MONDAY, load_kg=82.5, reps=3, rating=7, session_id=session_id)
    rack.record_cue(set_id, {"t_s": 4.5, "kind": "depth", "text": "Deeper"})
    rack.record_cue(set_id, {"t_s": 1.5, "kind": "tempo", "text": "Slower down"})

    record = set_record(rack, set_id, "rack-3")

    uuid = rack.conn.execute("SELECT uuid FROM sets WHERE id = ?", (set_id,)).fetchone()[0]
    assert (record.uuid, record.rack, record.athlete) == (uuid, "rack-3", "Sam Lee")
    assert not {"id", "session_id", "athlete_id", "calibration_id", "rack"} & set(record.set)
    assert (record.set["exercise"], record.set["load_kg"], record.set["reps"], record.set["activation_rating"]) == (
        "Back squat", 82.5, 3, 7)
    assert record.set["uuid"] == uuid and record.set["status"] == "completed"
    assert {k: record.session[k] for k in PLAN_KEYS} == {
        "plan_program": "periodised", "plan_started_on": "2025-03-03", "plan_maintenance_every_weeks": 2}
    assert not {"id", "athlete_id", "plan_id"} & set(record.session)
    assert (record.session["started_at"], record.session["focus"], record.session["kind"]) == (at, "lower", "neural")
    assert [r["idx"] for r in record.reps] == [0, 1, 2]
    assert [p["name"] for p in record.phases] == ["Reps"]
    assert [c["text"] for c in record.cues] == ["Slower down", "Deeper"]  # in the order they fired
    assert all(not {"id", "set_id"} & set(row) for row in (*record.phases, *record.reps, *record.cues))
    assert record.sent_at is not None

    assert decode(encode(record), SetRecord) == record  # JSON through and back, unchanged
    hub = HubLog(Store(tmp_path / "hub.db"))
    assert hub.store_record(record).outcome == "new"
    plan = hub.store.conn.execute("SELECT program, started_on, maintenance_every_weeks FROM plans").fetchone()
    assert tuple(plan) == ("periodised", "2025-03-03", 2)


def test_a_set_outside_any_plan_or_session_still_travels(tmp_path: Path) -> None:
    rack = Store(tmp_path / "rack.db")
    set_id, _ = lift(rack, "Ana Ruiz", "Bench press", MONDAY)
    record = set_record(rack, set_id, "rack-1")
    assert not set(PLAN_KEYS) & set(record.session)
    assert record.session["template"] == "lower"


def test_a_blob_value_is_sent_as_hex_text(tmp_path: Path) -> None:
    rack = Store(tmp_path / "rack.db")
    set_id, _ = lift(rack, "Ana Ruiz", "Bench press", MONDAY)
    rack.conn.execute("UPDATE sets SET notes = ? WHERE id = ?", (b"\x01\xfe", set_id))
    rack.conn.commit()
    record = set_record(rack, set_id, "rack-1")
    assert record.set["notes"] == "01fe"
    assert msgspec.json.decode(encode(record))["set"]["notes"] == "01fe"


def test_a_set_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(NoSuchSet, match="no set 99"):
        set_record(Store(tmp_path / "rack.db"), 99, "rack-1")
