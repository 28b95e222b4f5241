"""An athlete's state: the hub builds it from the gym's log, another rack adopts it and reads the same plan and loads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gym_records import lift, record_of

from gymtui.gym.athlete_state import adopt_state, build_state
from gymtui.gym.hub_log import HubLog
from gymtui.gym.payloads import AthleteState, decode, encode
from gymtui.services.loads import load_book
from gymtui.services.plan import status_from_store
from gymtui.store import Store

MONDAY = dt.date(2025, 3, 3)
FRIDAY = MONDAY + dt.timedelta(days=4)
NEXT_MONDAY = MONDAY + dt.timedelta(days=7)


def trained_on_rack_a(tmp_path: Path) -> tuple[Store, HubLog, int]:
    """Sam's Monday and Wednesday at rack A (plan started Monday), all heard by the hub."""
    rack_a, log = Store(tmp_path / "a.db"), HubLog(Store(tmp_path / "hub.db"))
    sam = rack_a.ensure_athlete("Sam Lee")
    rack_a.start_plan(sam, "guide", MONDAY.isoformat())
    rack_a.save_lop(sam, "leg", 180.0)
    sets = []
    first, monday = lift(rack_a, "Sam Lee", "Back squat", MONDAY, load_kg=100.0, reps=5, rating=7)
    sets += [first, lift(rack_a, "Sam Lee", "Back squat", MONDAY, load_kg=105.0, reps=3, session_id=monday, minute=5)[0]]
    sets.append(lift(rack_a, "Sam Lee", "Back squat", MONDAY + dt.timedelta(days=2), load_kg=110.0, reps=4, rating=8)[0])
    for set_id in sets:
        log.store_record(record_of(rack_a, set_id, "rack-1"))
    return rack_a, log, sam


def plan_and_loads(store: Store, athlete_id: int, today: dt.date) -> tuple[str, str, object, object]:
    status = status_from_store(store, athlete_id, today, write=False)
    book = load_book(store, athlete_id, ["Back squat"], today=today)
    return status.line, status.next_line, book.one_rms.get("Back squat"), book.last.get("Back squat")


def test_a_rack_that_adopts_the_state_reads_the_same_plan_position_and_loads(tmp_path: Path) -> None:
    rack_a, log, sam_a = trained_on_rack_a(tmp_path)
    state = decode(encode(build_state(log.store, 1, FRIDAY)), AthleteState)  # as it travels
    rack_b = Store(tmp_path / "b.db")
    sam_b = rack_b.ensure_athlete("sam lee")

    adopted = adopt_state(rack_b, sam_b, state)

    assert adopted.plan and adopted.sessions == 2 and adopted.sets == 3
    for today in (FRIDAY, NEXT_MONDAY):
        assert plan_and_loads(rack_b, sam_b, today) == plan_and_loads(rack_a, sam_a, today)
    assert rack_b.last_rating(sam_b, "Back squat") == 8
    assert state.plan["line"] == plan_and_loads(rack_a, sam_a, FRIDAY)[0]
    assert [(s.exercise, s.load_kg) for s in state.loads] == [("Back squat", 110.0)]


def test_adopting_the_same_state_twice_adds_nothing(tmp_path: Path) -> None:
    _, log, _ = trained_on_rack_a(tmp_path)
    state = build_state(log.store, 1, FRIDAY)
    rack_b = Store(tmp_path / "b.db")
    sam_b = rack_b.ensure_athlete("Sam Lee")
    adopt_state(rack_b, sam_b, state)

    again = adopt_state(rack_b, sam_b, state)

    assert not again.changed, again
    assert rack_b.conn.execute("SELECT count(*) FROM sets").fetchone()[0] == 3


def test_the_rack_where_the_sets_were_lifted_keeps_its_own_rows(tmp_path: Path) -> None:
    rack_a, log, sam_a = trained_on_rack_a(tmp_path)
    before = plan_and_loads(rack_a, sam_a, FRIDAY)

    adopted = adopt_state(rack_a, sam_a, build_state(log.store, 1, FRIDAY))

    assert not adopted.changed, adopted
    assert plan_and_loads(rack_a, sam_a, FRIDAY) == before


def test_a_lop_comes_with_its_date_and_a_newer_one_on_the_rack_wins(tmp_path: Path) -> None:
    _, log, _ = trained_on_rack_a(tmp_path)
    log.store.save_lop(1, "leg", 180.0)
    taken = log.store.latest_lop(1, "leg")
    assert taken is not None
    state = build_state(log.store, 1, FRIDAY)
    assert [(lop.limb, lop.lop_mmhg, lop.measured_at) for lop in state.lop] == [("leg", 180.0, taken["taken_at"])]

    rack_b = Store(tmp_path / "b.db")
    sam_b = rack_b.ensure_athlete("Sam Lee")
    adopt_state(rack_b, sam_b, state)
    on_b = rack_b.latest_lop(sam_b, "leg")
    assert on_b is not None and (on_b["lop_mmhg"], on_b["taken_at"]) == (180.0, taken["taken_at"])

    rack_b.save_lop(sam_b, "leg", 170.0)  # measured again on rack B, later
    assert adopt_state(rack_b, sam_b, state).lop == 0
    assert rack_b.latest_lop(sam_b, "leg")["lop_mmhg"] == 170.0  # type: ignore[index]


def test_newer_training_on_the_rack_keeps_its_plan(tmp_path: Path) -> None:
    _, log, _ = trained_on_rack_a(tmp_path)
    state = build_state(log.store, 1, FRIDAY)
    rack_b = Store(tmp_path / "b.db")
    sam_b = rack_b.ensure_athlete("Sam Lee")
    rack_b.start_plan(sam_b, "periodised", FRIDAY.isoformat())
    lift(rack_b, "Sam Lee", "Bench press", FRIDAY + dt.timedelta(days=1))

    adopted = adopt_state(rack_b, sam_b, state)

    assert not adopted.plan
    assert rack_b.current_plan(sam_b)["program"] == "periodised"  # type: ignore[index]
