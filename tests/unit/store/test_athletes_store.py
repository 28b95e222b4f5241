"""Athletes in the store: named, renamed, looked up without being added, and the one used last."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from gymtui.model import Calibration
from gymtui.session.mvc import MVC_HOLDS_FOR, mvc_holds
from gymtui.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "gym.db")
    yield s
    s.close()


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_athletes_are_made_renamed_and_listed_by_name_and_a_taken_or_empty_name_is_refused(store: Store) -> None:
    ana = store.create_athlete("  Ana  ")
    ben = store.create_athlete("Ben")
    assert store.list_athletes() == [(ana, "Ana"), (ben, "Ben")]
    with pytest.raises(ValueError, match="already an athlete named ana"):
        store.create_athlete("ana")
    with pytest.raises(ValueError, match="needs a name"):
        store.create_athlete("   ")
    with pytest.raises(ValueError, match="control characters"):
        store.create_athlete("Eve\x1b[31m")
    with pytest.raises(ValueError, match="at most 40"):
        store.create_athlete("x" * 41)
    assert store.rename_athlete(ben, "Benjamin") == "Benjamin"
    with pytest.raises(ValueError, match="already an athlete named Ana"):
        store.rename_athlete(ben, "Ana")
    assert store.list_athletes() == [(ana, "Ana"), (ben, "Benjamin")]
    assert count(store, "athletes") == 2


def test_find_athlete_never_adds_one_and_ignores_case_and_spaces(store: Store) -> None:
    ana = store.ensure_athlete("Ana")
    assert store.find_athlete(" ana ") == ana
    assert store.find_athlete("Ben") is None
    assert store.ensure_athlete("ANA") == ana
    assert count(store, "athletes") == 1


def test_the_athlete_used_last_is_the_one_marked_else_the_one_who_trained_last(store: Store) -> None:
    assert store.last_athlete() is None
    ana = store.ensure_athlete("Ana")
    demo = store.ensure_athlete("Demo athlete")  # a database both names once trained in, before the mark
    store.start_set(demo, "Back squat", "p")
    ana_set = store.start_set(ana, "Back squat", "p")
    store.conn.execute("UPDATE sets SET started_at = '2030-01-01T10:00:00.000+00:00' WHERE id = ?", (ana_set,))
    store.conn.commit()
    assert store.last_athlete() == (ana, "Ana"), "the log's own athlete, not the other name"
    store.mark_last_used(demo)
    assert store.last_athlete() == (demo, "Demo athlete")
    store.mark_last_used(ana)
    assert store.last_athlete() == (ana, "Ana")


def test_an_mvc_holds_in_its_session_and_for_the_hours_after_it_and_not_after(store: Store) -> None:
    ana, ben = store.ensure_athlete("Ana"), store.ensure_athlete("Ben")
    cal = Calibration((400.0, 300.0), 0.1, "demo", ("Glute", "Hamstring"))
    cal_id = store.save_mvc(ana, cal)
    session = store.start_session(ana)
    store.start_set(ana, "Glute bridge", "p", session_id=session, calibration_id=cal_id)
    taken = dt.datetime.fromisoformat(store.conn.execute("SELECT taken_at FROM calibrations").fetchone()[0])

    def at(now: dt.datetime, session_id: int | None) -> tuple[int, Calibration] | None:
        return store.latest_mvc(
            ana, "demo", ["Glute", "Hamstring"],
            holds=lambda t, same: mvc_holds(t, now, same_session=same), session_id=session_id,
        )

    assert at(taken + dt.timedelta(minutes=30), None) == (cal_id, cal)
    later = taken + MVC_HOLDS_FOR + dt.timedelta(minutes=1)
    assert at(later, None) is None, "a new session hours later: new electrodes, a new MVC"
    assert at(later, session) == (cal_id, cal), "a long session keeps its own MVC"
    assert store.latest_mvc(ben, "demo", ["Glute", "Hamstring"]) is None, "one athlete's MVC is never another's"


def test_a_first_schema_file_read_only_still_names_its_athlete(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    conn.executescript((Path(__file__).parents[2] / "data" / "store_v1_core.sql").read_text())
    conn.close()
    store = Store(db, readonly=True)
    try:
        assert store.last_athlete() == (1, "Ana")
    finally:
        store.close()


def test_each_athlete_is_offered_only_their_own_interrupted_sets(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    dead = Store(db)
    ana, ben = dead.ensure_athlete("Ana"), dead.ensure_athlete("Ben")
    ana_set, ben_set = dead.start_set(ana, "Back squat", "p"), dead.start_set(ben, "Glute bridge", "p")
    dead.close()  # the process died with both sets running
    store = Store(db)
    store.recover_interrupted()
    assert [s.id for s in store.interrupted_sets(ana)] == [ana_set]
    assert [s.id for s in store.interrupted_sets(ben)] == [ben_set]
    assert sorted(s.id for s in store.interrupted_sets()) == [ana_set, ben_set]
    store.close()
