"""The real ``gymtui hub`` against a real Mosquitto: records from a rack in, retained athlete state out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest
from app_process import query
from gym_records import lift, record_of
from hub_process import HubProcess, publish_as_rack
from mqtt_broker import Broker
from waiting import wait_until

from gymtui.gym.state_fetch import fetch_athlete_state
from gymtui.store import Store

pytestmark = pytest.mark.timeout(240)

MONDAY = dt.date(2025, 3, 3)


def test_the_hub_stores_a_record_delivered_twice_once_and_rack_2_gets_the_athletes_state(
    gym_broker: Broker, tmp_path: Path
) -> None:
    rack = Store(tmp_path / "rack-1.db")
    squat, session = lift(rack, "Sam Lee", "Back squat", MONDAY, load_kg=100.0, reps=5, rating=7)
    heavier, _ = lift(rack, "Sam Lee", "Back squat", MONDAY, load_kg=110.0, reps=3, session_id=session, minute=4)
    records = [record_of(rack, squat, "rack-1"), record_of(rack, heavier, "rack-1")]
    hub_db = tmp_path / "hub.db"

    with HubProcess(gym_broker, hub_db, tmp_path / "hub.log") as hub:
        publish_as_rack(gym_broker, "rack-1", [records[0], records[0], records[1]])
        wait_until(lambda: "hub: new set " + records[1].uuid[:8] in hub.output(), 60, "the hub stored the second set",
                   detail=hub.output)
        state = None

        def state_has_both() -> bool:
            nonlocal state
            state = fetch_athlete_state(gym_broker.settings("rack-2"), "sam lee", timeout_s=10)
            return state is not None and {s.uuid for s in state.sets} >= {r.uuid for r in records}

        wait_until(state_has_both, 60, "rack-2 reads Sam's state with both sets", detail=lambda: state)

    assert "(3 records stored, 0 skipped)" in hub.output(), "the duplicate was heard, and stored once"
    rows = query(hub_db, "SELECT uuid, rack, load_kg FROM sets ORDER BY started_at")
    assert rows == [(records[0].uuid, "rack-1", 100.0), (records[1].uuid, "rack-1", 110.0)]
    assert state is not None and state.athlete == "Sam Lee"
    assert state.plan["program"] == "guide" and state.plan["started_on"] == MONDAY.isoformat()
    assert [(load.exercise, load.load_kg) for load in state.loads] == [("Back squat", 110.0)]


def test_a_malformed_record_or_one_from_another_rack_is_one_line_and_the_hub_goes_on(
    gym_broker: Broker, tmp_path: Path
) -> None:
    rack = Store(tmp_path / "rack-1.db")
    good, _ = lift(rack, "Sam Lee", "Back squat", MONDAY)
    record = record_of(rack, good, "rack-1")
    forged = msgspec.structs.replace(record, uuid="0" * 36, rack="rack-2")
    hub_db = tmp_path / "hub.db"

    with HubProcess(gym_broker, hub_db, tmp_path / "hub.log") as hub:
        publish_as_rack(gym_broker, "rack-1", [b"{not json", b'{"type": "record"}', forged, record])
        wait_until(lambda: "hub: new set " + record.uuid[:8] in hub.output(), 60, "the good record stored",
                   detail=hub.output)
        assert hub.proc.poll() is None, "the hub is still running"
    skipped = [line for line in hub.output().splitlines() if line.startswith("hub: skipped")]
    assert len(skipped) == 3, hub.output()
    assert "says it is from 'rack-2'" in skipped[2]
    assert "Traceback" not in hub.output()
    assert query(hub_db, "SELECT uuid FROM sets") == [(record.uuid,)]


def test_an_athletes_name_from_a_record_is_printed_as_inert_text(gym_broker: Broker, tmp_path: Path) -> None:
    rack = Store(tmp_path / "rack-1.db")
    marked, _ = lift(rack, "[bold]Sam Lee[/bold]", "Back squat", MONDAY)
    plain, _ = lift(rack, "Ana Ruiz", "Back squat", MONDAY, minute=10)
    named_with_escape = msgspec.structs.replace(record_of(rack, plain, "rack-1"), athlete="\x1b[31mAna [bold]Ruiz\x1b[0m")
    record = record_of(rack, marked, "rack-1")

    with HubProcess(gym_broker, tmp_path / "hub.db", tmp_path / "hub.log") as hub:
        publish_as_rack(gym_broker, "rack-1", [named_with_escape, record])
        wait_until(lambda: "hub: new set " + record.uuid[:8] in hub.output(), 60, "the marked-up name stored",
                   detail=hub.output)
    said = hub.output()
    assert f"hub: new set {record.uuid[:8]} of [bold]Sam Lee[/bold] from rack-1\n" in said, "brackets are just brackets"
    assert "\x1b" not in said, "no escape from a record reaches the terminal"
    skipped = [line for line in said.splitlines() if line.startswith("hub: skipped")]
    assert skipped == [f"hub: skipped record {named_with_escape.uuid} from rack-1: an athlete's name cannot hold control characters"]
