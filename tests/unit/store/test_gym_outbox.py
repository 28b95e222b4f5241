"""The rack's outbox keeps what the broker has not acknowledged, in the rack's own file, across a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gymtui.store import Store
from gymtui.store.outbox import Outbox, OutboxError, OutboxItem


@pytest.fixture
def rack_db(tmp_path: Path) -> Path:
    """A rack's database as the app leaves it (migrated, WAL on)."""
    path = tmp_path / "rack.db"
    Store(path).close()
    return path


def test_messages_wait_in_the_rack_file_oldest_first_until_removed(rack_db: Path) -> None:
    outbox = Outbox.open(rack_db)
    first = outbox.add("gymtui/racks/rack-1/events", b'{"a":1}', "event:cue")
    second = outbox.add("gymtui/racks/rack-1/records", b"\x00\xff binary is fine", "record")
    outbox.close()

    reopened = Outbox.open(rack_db)  # a new run of the app
    assert reopened.count() == 2
    assert reopened.pending() == [
        OutboxItem(first, "gymtui/racks/rack-1/events", b'{"a":1}', "event:cue"),
        OutboxItem(second, "gymtui/racks/rack-1/records", b"\x00\xff binary is fine", "record"),
    ]
    reopened.remove(first)
    reopened.remove(first)  # a second acknowledgement of the same row is harmless
    assert [item.id for item in reopened.pending()] == [second]
    assert reopened.count() == 1
    reopened.close()


def test_the_outbox_shares_the_file_with_the_store_writing_sets(rack_db: Path) -> None:
    store = Store(rack_db)
    outbox = Outbox.open(rack_db)
    athlete_id = store.ensure_athlete("Sam Lee")
    row = outbox.add("gymtui/racks/rack-1/events", b"{}", "event:set_started")
    assert store.athlete_name(athlete_id) == "Sam Lee"
    assert int(store.conn.execute("SELECT count(*) FROM gym_outbox WHERE id = ?", (row,)).fetchone()[0]) == 1
    outbox.close()
    store.close()


def test_row_ids_never_count_down_even_when_the_outbox_empties_and_the_rack_restarts(rack_db: Path) -> None:
    outbox = Outbox.open(rack_db)
    ids = [outbox.add("t", b"p", "event:cue") for _ in range(3)]
    for row in (ids[2], ids[0], ids[1]):  # acknowledged out of order
        outbox.remove(row)
    assert (outbox.count(), outbox.pending()) == (0, [])
    outbox.close()

    again = Outbox.open(rack_db)
    assert again.add("t", b"p", "event:cue") == ids[2] + 1
    rows = int(sqlite3.connect(rack_db).execute("SELECT count(*) FROM gym_outbox").fetchone()[0])
    assert rows == 2  # the new message and one mark of the highest id sent, no more
    again.close()


def test_a_payload_may_name_its_own_row_id(rack_db: Path) -> None:
    outbox = Outbox.open(rack_db)
    outbox.add("t", b"x", "event:cue")
    row_id, payload = outbox.add_built("t", "event:cue", lambda row: f'{{"seq":{row}}}'.encode())
    assert payload == f'{{"seq":{row_id}}}'.encode()
    assert outbox.pending()[-1].payload == payload
    outbox.close()


def test_pages_of_waiting_messages_go_on_after_the_last_one_read(rack_db: Path) -> None:
    outbox = Outbox.open(rack_db)
    ids = [outbox.add("t", str(n).encode(), "record") for n in range(5)]
    assert [i.id for i in outbox.pending(2)] == ids[:2]
    assert [i.id for i in outbox.pending(2, after=ids[1])] == ids[2:4]
    assert outbox.pending(2, after=ids[4]) == []
    outbox.close()


@pytest.mark.parametrize("path", [None, Path(":memory:")])
def test_a_rack_without_a_file_gets_an_outbox_in_memory(path: Path | None) -> None:
    outbox = Outbox.open(path)
    row = outbox.add("t", b"p", "record")
    assert outbox.pending() == [OutboxItem(row, "t", b"p", "record")]
    outbox.remove(row)
    assert outbox.count() == 0
    outbox.close()


def test_a_locked_file_is_one_clear_line_not_a_traceback(rack_db: Path) -> None:
    other = sqlite3.connect(rack_db)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OutboxError) as caught:
            Outbox.open(rack_db, busy_timeout_ms=100)
    finally:
        other.rollback()
        other.close()
    assert "locked by another program" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_write_while_another_program_holds_the_file_says_so(rack_db: Path) -> None:
    outbox = Outbox.open(rack_db, busy_timeout_ms=100)
    other = sqlite3.connect(rack_db)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OutboxError, match="locked by another program"):
            outbox.add("t", b"p", "record")
    finally:
        other.rollback()
        other.close()
    assert outbox.add("t", b"p", "record") > 0  # and it works again once the file is free
    outbox.close()


def test_a_file_that_is_not_a_migrated_rack_database_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).close()
    with pytest.raises(OutboxError, match="no gym outbox"):
        Outbox.open(plain)
    with pytest.raises(OutboxError, match="no file at"):
        Outbox.open(tmp_path / "missing.db")


def test_a_closed_outbox_says_so(rack_db: Path) -> None:
    outbox = Outbox.open(rack_db)
    outbox.close()
    outbox.close()
    with pytest.raises(OutboxError, match="closed"):
        outbox.count()
