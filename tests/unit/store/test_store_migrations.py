"""Old databases open at the current schema with every row they held.

Each ``tests/data/store_v1_*.sql`` is the dump of a small database written
through the ``Store`` of an earlier gymtui (the first line of each names the
commit; ``tests/data/make_store_dump.py`` wrote them). Opening a copy with
today's store must leave it with exactly the tables, columns, indexes and
views of a database created new, marked as gymtui's at
:data:`SCHEMA_VERSION`, and with every row it had, unchanged.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
import repo_paths
import sqlite_utils

from gymtui.store import SCHEMA_VERSION, SetStatus, Store, StoreError
from gymtui.store.dbfile import APPLICATION_ID
from gymtui.store.migrations import MIGRATIONS

DATA = repo_paths.TESTS_DIR / "data"
DUMPS = {
    "first schema": "store_v1_core.sql",
    "programs, unmarked": "store_v1_programs.sql",
    "programs, marked": "store_v1_marked.sql",
}

Schema = dict[str, object]


def load_dump(path: Path, dump: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript((DATA / dump).read_text(encoding="utf-8"))
    conn.close()


def pragma(path: Path, name: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        conn.close()


def schema_of(path: Path) -> Schema:
    """Every table's columns (name, type, not null, default, pk) and foreign keys, every index and view."""
    conn = sqlite3.connect(path)
    try:
        found: Schema = {}
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        ):
            if kind == "table":
                columns = [tuple(r[1:6]) for r in conn.execute(f'PRAGMA table_xinfo("{name}")')]
                keys = sorted(tuple(r[2:5]) for r in conn.execute(f'PRAGMA foreign_key_list("{name}")'))
                found[name] = ("table", columns, keys)
            elif kind == "index":
                table = conn.execute("SELECT tbl_name FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
                found[name] = ("index", table, [r[2] for r in conn.execute(f'PRAGMA index_info("{name}")')])
            else:
                found[name] = (kind, " ".join(str(sql).split()))
        return found
    finally:
        conn.close()


def rows_of(path: Path) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        found = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            selected = ", ".join(f'"{c}"' for c in columns)
            found[table] = (columns, conn.execute(f'SELECT {selected} FROM "{table}" ORDER BY rowid').fetchall())
        return found
    finally:
        conn.close()


def rows_in(path: Path, table: str, columns: list[str]) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        selected = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f'SELECT {selected} FROM "{table}" ORDER BY rowid').fetchall()
    finally:
        conn.close()


@pytest.fixture
def fresh_schema(tmp_path: Path) -> Schema:
    Store(tmp_path / "fresh.db").close()
    return schema_of(tmp_path / "fresh.db")


def test_a_new_database_is_at_the_last_step_and_marked(tmp_path: Path, fresh_schema: Schema) -> None:
    assert [v for v, _ in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    path = tmp_path / "fresh.db"
    assert pragma(path, "user_version") == SCHEMA_VERSION
    assert pragma(path, "application_id") == APPLICATION_ID
    tables = {name for name, shape in fresh_schema.items() if shape[0] == "table"}  # type: ignore[index]
    assert tables == {
        "athletes", "sessions", "calibrations", "sets", "phases", "reps", "signal_blocks", "cuff_events",
        "plans", "checkins", "suggestions", "athlete_flags", "planned_sets", "import_fingerprints", "imported_exercises",
        "cues", "gym_outbox",
    }
    assert {"set_log", "activation_by_week"} <= set(fresh_schema)
    store = Store(path)
    assert store.upgraded_from == SCHEMA_VERSION  # opening again runs no step
    store.close()


@pytest.mark.parametrize("name", list(DUMPS))
def test_an_old_database_opens_at_the_current_schema_with_every_row(
    tmp_path: Path, fresh_schema: Schema, name: str
) -> None:
    path = tmp_path / "old.db"
    load_dump(path, DUMPS[name])
    assert pragma(path, "user_version") == 1
    before = rows_of(path)
    assert before["sets"][1] and before["phases"][1] and before["signal_blocks"][1] and before["cuff_events"][1]

    store = Store(path)
    assert store.upgraded_from == 1
    # The old rows read back through today's store as the athlete saw them.
    athlete = store.ensure_athlete("Ana")
    [summary] = store.recent_sets(athlete)
    assert (summary.exercise, summary.status, summary.activation_rating, summary.phases_done) == (
        "squat", SetStatus.COMPLETED, 7, 1
    )
    samples, rate_hz = store.signal_of(summary.id)
    assert rate_hz == 1000.0 and samples.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]
    assert store.phases_of(summary.id)[0]["name"] == "Wake up"
    assert store.cuff_occlusion_s() >= 0.0
    assert store.foreign_key_problems() == []
    # Sets from before imports existed were lifted here, as normal sets (the 1RM still reads them).
    assert store.conn.execute("SELECT set_type, source FROM sets WHERE id = ?", (summary.id,)).fetchone() == ("normal", "app")
    # Every old set has an identity the gym's log can keep it by, and no rack (this is a rack's own file).
    [(set_uuid, rack)] = store.conn.execute("SELECT uuid, rack FROM sets WHERE id = ?", (summary.id,)).fetchall()
    assert rack is None and str(uuid.UUID(set_uuid)) == set_uuid
    store.close()

    assert pragma(path, "user_version") == SCHEMA_VERSION
    assert pragma(path, "application_id") == APPLICATION_ID
    assert schema_of(path) == fresh_schema
    for table, (columns, rows) in before.items():
        assert rows_in(path, table, columns) == rows, table


def test_the_first_schema_gains_the_programs_tables_and_they_work(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    load_dump(path, DUMPS["first schema"])
    store = Store(path)
    athlete = store.ensure_athlete("Ana")
    plan_id = store.start_plan(athlete, "hypertrophy", "2026-11-30")
    plan = store.current_plan(athlete)
    assert plan is not None and (plan["id"], plan["program"]) == (plan_id, "hypertrophy")
    set_id = store.recent_sets(athlete)[0].id
    store.update_set(set_id, {"workflow_phase": "compound"})
    [row] = store.export_rows(athlete)
    assert (row["set_id"], row["exercise"], row["workflow_phase"], row["activation_rating"]) == (
        set_id, "squat", "compound", 7
    )
    store.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_each_step_takes_a_database_from_every_earlier_version(
    tmp_path: Path, fresh_schema: Schema, version: int
) -> None:
    """A file left at ``version`` by the steps themselves reaches the last step, its rows kept."""
    path = tmp_path / f"v{version}.db"
    conn = sqlite3.connect(path)
    db = sqlite_utils.Database(conn)
    for number, step in MIGRATIONS[:version]:
        step(db)
        assert number <= version
    if version >= 1:
        conn.execute("INSERT INTO athletes (name, created_at) VALUES ('Ana', '2026-11-02T09:00:00.000+01:00')")
    conn.execute(f"PRAGMA user_version={version}")
    if version:
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.commit()
    conn.close()

    store = Store(path)
    assert store.upgraded_from == version
    if version >= 1:
        assert store.ensure_athlete("Ana") == 1
    store.close()
    assert pragma(path, "user_version") == SCHEMA_VERSION
    assert schema_of(path) == fresh_schema


def test_a_failing_step_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All the steps run in one transaction: a file is at one version or the next, never between."""
    path = tmp_path / "old.db"
    load_dump(path, DUMPS["first schema"])
    before_schema, before_rows = schema_of(path), rows_of(path)

    def broken(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE half_made (id INTEGER)")
        raise sqlite3.OperationalError("disk I/O error")

    from gymtui.store import migrations

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, (SCHEMA_VERSION + 1, broken)))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError):
        Store(path)
    assert schema_of(path) == before_schema
    assert rows_of(path) == before_rows
    assert pragma(path, "user_version") == 1 and pragma(path, "application_id") == 0


def test_set_status_is_stored_as_the_same_text_as_before(tmp_path: Path) -> None:
    """The values are in every database already written: an enum member goes in as its plain text."""
    assert {s.value for s in SetStatus} == {"in_progress", "completed", "aborted", "interrupted", "discarded"}
    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete("Ana")
    done = store.start_set(athlete, "squat", "guided")
    store.finish_set(done, SetStatus.ABORTED)
    left = store.start_set(athlete, "squat", "guided")
    assert store.recover_interrupted() == [left]
    rows = store.conn.execute("SELECT id, status, typeof(status) FROM sets ORDER BY id").fetchall()
    assert rows == [(done, "aborted", "text"), (left, "interrupted", "text")]
    assert [s.status for s in store.interrupted_sets()] == ["interrupted"]
    store.close()
