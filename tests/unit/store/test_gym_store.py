"""The gym's rows in a real SQLite file: a set's whole record read back in order, and the hub's upsert by UUID."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gymtui.model import FormCue, FormCueKind
from gymtui.store import Store

AT = "2025-03-03T09:00:00.000+00:00"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "rack.db")
    yield s
    s.close()


def lifted_set(store: Store) -> int:
    athlete = store.ensure_athlete("Sam Lee")
    plan = store.start_plan(athlete, "guide", "2025-03-03", 2)
    session = store.start_session(athlete, "lower", started_at=AT)
    store.tag_session(session, plan_id=plan, focus="lower", kind="neural")
    set_id = store.start_set(athlete, "back_squat", "standard", session_id=session, load_kg=100.0, started_at=AT)
    for idx in (1, 0):  # written out of order: the record lists them in order
        store.record_phase(set_id, idx, "reps", f"Reps {idx}", planned_s=30.0, started_at=AT, duration_s=28.0,
                           ended_by="athlete", ended_at=AT)
    store.record_reps(set_id, [{"idx": 1, "start_s": 3.0, "end_s": 5.5}, {"idx": 0, "start_s": 0.0, "end_s": 2.5}])
    store.record_cue(set_id, FormCue(6.5, FormCueKind.CO_CONTRACTION, 2, "triceps", 41.0, "Relax the triceps", rep=1))
    store.record_cue(set_id, FormCue(2.0, FormCueKind.COMPENSATION, 1, "biceps", 0.4, "Hands as hooks", rep=0))
    store.finish_set(set_id, "completed", {"reps": 2, "reps_source": "emg"}, ended_at=AT)
    return set_id


def test_a_sets_rows_come_with_its_session_its_plan_and_its_children_in_order(store: Store) -> None:
    set_id = lifted_set(store)

    rows = store.record_rows(set_id)

    assert rows is not None
    assert rows.set_row["uuid"] == store.set_uuid(set_id)
    assert (rows.set_row["exercise"], rows.set_row["status"], rows.set_row["reps"]) == ("back_squat", "completed", 2)
    assert rows.session is not None and rows.session["started_at"] == AT and rows.session["focus"] == "lower"
    assert rows.plan == {"program": "guide", "started_on": "2025-03-03", "maintenance_every_weeks": 2}
    assert [p["name"] for p in rows.phases] == ["Reps 0", "Reps 1"]
    assert [r["idx"] for r in rows.reps] == [0, 1]
    assert [c["text"] for c in rows.cues] == ["Hands as hooks", "Relax the triceps"]
    assert store.record_rows(set_id + 1) is None
    assert store.set_uuid(set_id + 1) is None


def hub_row(uuid: str, athlete_id: int, **changes: object) -> dict[str, object]:
    return {"uuid": uuid, "rack": "rack-1", "athlete_id": athlete_id, "exercise": "back_squat", "status": "completed",
            "started_at": AT, "reps": 5, **changes}


def test_a_set_written_by_uuid_is_new_then_the_same_then_updated_with_its_children_replaced(tmp_path: Path) -> None:
    hub = Store(tmp_path / "hub.db")
    athlete = hub.ensure_athlete("Sam Lee")
    reps = {"phases": [], "reps": [{"idx": 0, "start_s": 0.0, "end_s": 2.5}], "cues": []}

    assert hub.upsert_set_by_uuid(hub_row("u-1", athlete), reps)[0] == "new"
    outcome, set_id = hub.upsert_set_by_uuid(hub_row("u-1", athlete), reps)  # delivered twice
    assert outcome == "same"
    origin = hub.set_origin("u-1")
    assert origin is not None and (origin.id, origin.rack) == (set_id, "rack-1")

    rated = {**reps, "reps": [{"idx": 0, "start_s": 0.0, "end_s": 2.0}, {"idx": 1, "start_s": 3.0, "end_s": 5.0}]}
    assert hub.upsert_set_by_uuid(hub_row("u-1", athlete, activation_rating=7), rated) == ("updated", set_id)
    rows = hub.record_rows(set_id)
    assert rows is not None
    assert rows.set_row["activation_rating"] == 7
    assert [(r["idx"], r["end_s"]) for r in rows.reps] == [(0, 2.0), (1, 5.0)]
    assert hub.set_origin("u-2") is None
    hub.close()


def test_a_column_name_that_is_no_identifier_never_reaches_the_sql(store: Store) -> None:
    athlete = store.ensure_athlete("Sam Lee")

    with pytest.raises(ValueError, match="not a column name"):
        store.upsert_set_by_uuid({**hub_row("u-1", athlete), "reps = 0; DROP TABLE sets; --": 1}, {})
    with pytest.raises(ValueError, match="not a table of a set's children"):
        store.upsert_set_by_uuid(hub_row("u-1", athlete), {"athletes": [{"name": "Eve"}]})
    with pytest.raises(ValueError, match="not a column name"):  # a bad child row: its set is not left behind
        store.upsert_set_by_uuid(hub_row("u-1", athlete), {"reps": [{"idx": 0, "end_s); --": 1.0}]})

    assert store.set_origin("u-1") is None
    assert store.list_athletes() == [(athlete, "Sam Lee")]


def test_writes_inside_one_transaction_happen_whole_or_not_at_all(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        athlete = store.ensure_athlete("Ana Ruiz")
        store.upsert_set_by_uuid(hub_row("u-9", athlete), {})
        raise RuntimeError("the record turned out bad half way")

    assert store.find_athlete("Ana Ruiz") is None
    assert store.set_origin("u-9") is None
