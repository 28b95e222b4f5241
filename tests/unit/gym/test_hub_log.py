"""The gym's log: each set once by its UUID, updated when it changes, athletes and sessions across racks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest
from gym_records import lift, record_of

from gymtui.gym.hub_log import HubLog, RecordError
from gymtui.store import Store

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def racks(tmp_path: Path) -> tuple[Store, Store, HubLog]:
    return Store(tmp_path / "rack-1.db"), Store(tmp_path / "rack-2.db"), HubLog(Store(tmp_path / "hub.db"))


def count(log: HubLog, sql: str, *params: object) -> int:
    return int(log.store.conn.execute(sql, params).fetchone()[0])


def test_a_record_delivered_twice_is_stored_once(racks: tuple[Store, Store, HubLog]) -> None:
    rack, _, log = racks
    set_id, _ = lift(rack, "Sam Lee", "Back squat", MONDAY, reps=5)
    record = record_of(rack, set_id, "rack-1")

    first, again = log.store_record(record), log.store_record(record)

    assert (first.outcome, again.outcome) == ("new", "same")
    assert count(log, "SELECT count(*) FROM sets") == 1
    assert count(log, "SELECT count(*) FROM reps") == 5
    assert count(log, "SELECT count(*) FROM phases") == 1
    row = log.store.conn.execute("SELECT uuid, rack, exercise, load_kg, status FROM sets").fetchone()
    assert tuple(row) == (record.uuid, "rack-1", "Back squat", 100.0, "completed")


def test_a_set_rated_after_it_was_sent_updates_its_row_and_children(racks: tuple[Store, Store, HubLog]) -> None:
    rack, _, log = racks
    set_id, _ = lift(rack, "Sam Lee", "Back squat", MONDAY, reps=5)
    log.store_record(record_of(rack, set_id, "rack-1"))
    rack.rate_set(set_id, 8)
    rack.conn.execute("DELETE FROM reps WHERE set_id = ? AND idx = 4", (set_id,))
    rack.conn.commit()

    stored = log.store_record(record_of(rack, set_id, "rack-1"))

    assert stored.outcome == "updated"
    assert count(log, "SELECT count(*) FROM sets") == 1
    assert count(log, "SELECT activation_rating FROM sets") == 8
    assert count(log, "SELECT count(*) FROM reps") == 4


def test_two_racks_sets_are_kept_apart_by_rack_and_session(racks: tuple[Store, Store, HubLog]) -> None:
    rack1, rack2, log = racks
    a, _ = lift(rack1, "Sam Lee", "Back squat", MONDAY)
    b, _ = lift(rack2, "Ana Ruiz", "Bench press", MONDAY)
    log.store_record(record_of(rack1, a, "rack-1"))
    log.store_record(record_of(rack2, b, "rack-2"))

    rows = log.store.conn.execute(
        "SELECT a.name, s.rack, s.exercise FROM sets s JOIN athletes a ON a.id = s.athlete_id ORDER BY s.rack"
    ).fetchall()
    assert [tuple(r) for r in rows] == [("Sam Lee", "rack-1", "Back squat"), ("Ana Ruiz", "rack-2", "Bench press")]
    assert count(log, "SELECT count(*) FROM sessions") == 2


def test_an_athlete_on_two_racks_is_one_athlete_with_one_plan(racks: tuple[Store, Store, HubLog]) -> None:
    rack1, rack2, log = racks
    monday, first_session = lift(rack1, "Sam Lee", "Back squat", MONDAY)
    monday2, _ = lift(rack1, "Sam Lee", "Back squat", MONDAY, session_id=first_session, minute=5)
    friday, _ = lift(rack2, "sam  lee", "Bench press", MONDAY + dt.timedelta(days=4))
    for store, set_id, rack in ((rack1, monday, "rack-1"), (rack1, monday2, "rack-1"), (rack2, friday, "rack-2")):
        log.store_record(record_of(store, set_id, rack))

    assert log.store.list_athletes() == [(1, "Sam Lee")]
    assert count(log, "SELECT count(*) FROM sets WHERE athlete_id = 1") == 3
    assert count(log, "SELECT count(*) FROM sessions WHERE athlete_id = 1") == 2, "Monday's two sets are one session"
    assert count(log, "SELECT count(*) FROM plans WHERE athlete_id = 1") == 1
    assert log.store.current_plan(1)["started_on"] == MONDAY.isoformat()


def test_a_rack_cannot_rewrite_a_set_another_rack_sent(racks: tuple[Store, Store, HubLog]) -> None:
    rack1, _, log = racks
    set_id, _ = lift(rack1, "Sam Lee", "Back squat", MONDAY)
    record = record_of(rack1, set_id, "rack-1")
    log.store_record(record)
    forged = msgspec.structs.replace(record, rack="rack-2", set={**record.set, "load_kg": 300.0})

    with pytest.raises(RecordError, match="came from rack-1"):
        log.store_record(forged)
    assert count(log, "SELECT load_kg FROM sets") == 100


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"set": {"status": "completed", "started_at": "2025-03-03T09:00:00+00:00"}}, "no exercise"),
        ({"athlete": "   "}, "needs a name"),
        ({"rack": "rack 1/#"}, "not a rack name"),
        ({"session": {"ended_at": "x"}}, "no started_at"),
    ],
)
def test_a_record_the_log_cannot_take_is_one_line_and_nothing_is_written(
    racks: tuple[Store, Store, HubLog], change: dict[str, object], why: str
) -> None:
    rack1, _, log = racks
    set_id, _ = lift(rack1, "Sam Lee", "Back squat", MONDAY)
    bad = msgspec.structs.replace(record_of(rack1, set_id, "rack-1"), **change)

    with pytest.raises(RecordError, match=why) as raised:
        log.store_record(bad)
    assert "\n" not in str(raised.value)
    assert count(log, "SELECT count(*) FROM sets") == 0
    assert count(log, "SELECT count(*) FROM athletes") == 0
