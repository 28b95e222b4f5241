"""Export round trip, Datasette metadata, and a database every tool can open."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import repo_paths
import sqlite_utils
from program_log import log_session

from gymtui.cli import main
from gymtui.commands.export import sheet_rows
from gymtui.datasette_metadata import TABLES
from gymtui.services import guardrails as stored_guards
from gymtui.services.autoreg import Autoregulator
from gymtui.services.plan import start_planned_session, status_from_store, todays_sets
from gymtui.session import guardrails as g
from gymtui.session.exercises import load_library
from gymtui.store import SetStatus, Store

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A log with every kind of row: plan, check-in, sessions, sets, phases, reps, a suggestion."""
    path = tmp_path / "gym.db"
    store = Store(path)
    athlete = store.ensure_athlete("Sam")
    stored_guards.acknowledge_disclaimer(store, athlete)
    checkin = g.CheckIn(7.5, 56, 4, 4)
    stored_guards.record_checkin(store, athlete, checkin, g.assess_checkin(checkin, 55))
    log_session(store, athlete, TODAY - dt.timedelta(days=7), [
        {"exercise": "Back squat", "load_kg": 100.0, "reps": 6, "activation_rating": 7, "peak_pct_mvc": 71.5, "target_share": 0.41, "perfect_reps": 5},
        {"exercise": "Leg extension", "load_kg": 45.0, "reps": 12, "activation_rating": 9, "peak_pct_mvc": 64.0},
    ])
    status = status_from_store(store, athlete, TODAY)
    planned = todays_sets(store, athlete, status, load_library(), today=TODAY)
    session = start_planned_session(store, athlete, status)
    squat = next(p for p in planned if p.exercise == "Back squat")
    set_id = store.start_set(athlete, squat.exercise, squat.protocol.name, session_id=session, load_kg=squat.load_kg, channels=[{"muscle": m, "role": r} for m, r in squat.muscles])
    store.record_phase(set_id, 0, "reps", "Reps", planned_s=None, started_at="2026-03-02T10:00:00+00:00", duration_s=21.0, ended_by="athlete", peak_pct_mvc=60.0)
    store.record_reps(set_id, [{"idx": i, "start_s": i * 3.0, "end_s": i * 3.0 + 2.5, "perfect": int(i < 4)} for i in range(6)])
    summary = {"peak_pct_mvc": 52.0, "target_share": 0.25, "perfect_reps": 4, "reps": 6, "workflow_phase": "compound", "pct_1rm": squat.pct_1rm}
    store.finish_set(set_id, SetStatus.COMPLETED, summary)
    store.rate_set(set_id, 6)
    suggestion = Autoregulator(store, athlete).after_set(squat, set_id, summary, rating=6)
    Autoregulator(store, athlete).answer(suggestion, taken=False)
    store.append_signal(set_id, 0, 0.0, 1000.0, __import__("numpy").zeros((10, 4), dtype="float32"))
    store.close()
    return path


def test_json_export_round_trips_every_set(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sets.json"
    assert main(["export", "--format", "json", "--db", str(db_path), "--out", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    store = Store(db_path)
    assert rows == sheet_rows(store.export_rows(), "kg")
    assert [r["exercise"] for r in rows] == ["Back squat", "Leg extension", "Back squat"]
    last = rows[-1]
    assert (last["load_kg"], last["reps"], last["activation_rating"], last["peak_pct_mvc"], last["target_share"]) == (100.0, 6, 6, 52.0, 0.25)
    assert last["workflow_phase"] == "compound" and last["phases"] == 1 and last["athlete"] == "Sam"
    assert {"exercise", "load_kg", "reps", "activation_rating", "peak_pct_mvc", "mean_pct_mvc", "target_share", "perfect_reps"} <= set(last)
    store.close()


def test_csv_export_to_stdout_has_one_row_per_set(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(db_path), "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3
    assert rows[0]["exercise"] == "Back squat" and float(rows[0]["load_kg"]) == 100.0 and rows[0]["activation_rating"] == "7"
    assert rows[1]["peak_pct_mvc"] == "64.0"


def test_export_of_a_missing_database_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", str(tmp_path / "nope.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no database at" in err


def test_datasette_metadata_and_config_are_written_beside_the_db_with_units_facets_and_the_signal_hidden(
    db_path: Path, tmp_path: Path
) -> None:
    assert main(["export", "--db", str(db_path), "--out", str(tmp_path / "x.csv")]) == 0
    assert not (db_path.parent / "metadata.json").exists() and not (db_path.parent / "datasette.json").exists()
    assert main(["export", "--db", str(db_path), "--out", str(tmp_path / "x.csv"), "--datasette"]) == 0
    meta = json.loads((db_path.parent / "metadata.json").read_text(encoding="utf-8"))
    config = json.loads((db_path.parent / "datasette.json").read_text(encoding="utf-8"))
    assert meta["title"] == "gymtui training log"
    # Datasette 1.0 reads the table settings from its configuration file; 0.x from the metadata.
    settings = config["databases"]["gym"]["tables"]
    assert settings["signal_blocks"] == {"hidden": True}
    assert settings["sets"] == {"label_column": "exercise", "sort_desc": "started_at",
                                "facets": ["exercise", "status", "workflow_phase", "set_type", "source", "activation_rating"]}
    assert all("units" not in t and "columns" not in t for t in settings.values())
    tables = meta["databases"]["gym"]["tables"]
    assert tables == json.loads(json.dumps(TABLES))
    assert tables["signal_blocks"]["hidden"] is True
    assert tables["sets"]["units"]["load_kg"] == "kg" and "exercise" in tables["sets"]["facets"]
    db = sqlite_utils.Database(db_path)
    for table, spec in tables.items():
        assert db[table].exists(), table
        for column in list(spec.get("units", {})) + list(spec.get("columns", {})) + list(spec.get("facets", [])):
            assert column in db[table].columns_dict, (table, column)


def test_db_opens_with_sqlite_utils_and_every_foreign_key_resolves(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    names = set(db.table_names())
    assert {"plans", "checkins", "suggestions", "sets", "sessions", "phases", "reps"} <= names
    assert db["sessions"].count == 2 and db["suggestions"].count == 1 and db["checkins"].count == 1
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    fk_tables = {fk.other_table for t in ("sessions", "suggestions", "checkins") for fk in db[t].foreign_keys}
    assert fk_tables == {"athletes", "plans", "sets", "sessions"}
    views = {v: list(db.query(f"select * from {v}")) for v in ("set_log", "activation_by_week")}
    assert len(views["set_log"]) == 3 and views["activation_by_week"]
    cli = shutil.which("sqlite-utils") or str(Path(sys.executable).with_name("sqlite-utils"))
    if Path(cli).exists():
        done = subprocess.run([cli, "tables", str(db_path), "--counts"], capture_output=True, text=True, check=True)
        assert '"table": "sets", "count": 3' in done.stdout


# -- hostile strings: a spreadsheet runs nothing, a terminal is sent no escape -------------------


HOSTILE_EXERCISES = [
    '=HYPERLINK("http://x","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "Back squat",
    "a\x1b]0;pwned\x07b",
    "x" * 10_000,
]


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.db"
    store = Store(path)
    athlete = store.ensure_athlete("=cmd|' /C calc'!A0")
    for name in HOSTILE_EXERCISES:
        set_id = store.start_set(athlete, name, "p", load_kg=-3.5)
        store.finish_set(set_id, SetStatus.COMPLETED, {"peak_pct_mvc": -1.25})
    store.close()
    return path


def test_csv_export_neutralises_cells_a_spreadsheet_would_run_and_keeps_negative_numbers(
    hostile_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "csv", "--db", str(hostile_db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    header, *cells = list(csv.reader(io.StringIO(out)))
    column = {name: i for i, name in enumerate(header)}
    assert [row[column["exercise"]] for row in cells] == [
        "'=HYPERLINK(\"http://x\",\"click\")",
        "'+1+1",
        "'-2+3",
        "'@SUM(A1:A2)",
        "' =1+1",  # the tab became a space, and the cell still cannot start a formula
        "' =1+1",
        "Back squat",
        "a\ufffd]0;pwned\ufffdb",
        "x" * 10_000,  # made safe, never shortened
    ]
    assert {row[column["athlete"]] for row in cells} == {"'=cmd|' /C calc'!A0"}
    assert {(row[column["load_kg"]], row[column["peak_pct_mvc"]]) for row in cells} == {("-3.5", "-1.25")}


def test_json_export_replaces_control_characters_and_keeps_text_and_numbers_as_they_are(
    hostile_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "json", "--db", str(hostile_db)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["exercise"] for r in rows] == [
        '=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1:A2)", " =1+1", " =1+1", "Back squat",
        "a\ufffd]0;pwned\ufffdb", "x" * 10_000,
    ]
    assert {(r["load_kg"], r["peak_pct_mvc"]) for r in rows} == {(-3.5, -1.25)}


# -- a damaged database: export what can be read, say what could not --------------------------------


def run_export(db: Path, fmt: str = "csv") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", "export", "--format", fmt, "--db", str(db)],
        check=False, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        cwd=repo_paths.REPO_ROOT,
    )


def many_sets(path: Path, n: int = 300) -> None:
    store = Store(path)
    athlete = store.ensure_athlete("Sam")
    session = store.start_session(athlete, "Phase 4")
    for i in range(n):
        set_id = store.start_set(athlete, f"Exercise {i:03d} " + "x" * 120, "p", session_id=session, load_kg=float(i))
        store.record_phase(set_id, 0, "reps", "Reps", planned_s=None, started_at="2026-03-02T10:00:00+00:00",
                           duration_s=20.0, ended_by="athlete")
        store.finish_set(set_id, SetStatus.COMPLETED, {"peak_pct_mvc": 50.0 + i / 10})
    store.close()


def pages_of(db: Path, table: str) -> tuple[list[int], int]:
    """The table's leaf pages in key order (from SQLite's dbstat), and the page size."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        pages = [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path", (table,))]
        return pages, conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()


def overwrite_pages(db: Path, pages: list[int], page_size: int) -> None:
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # every page is in the main file
    with open(db, "r+b") as f:
        for page in pages:
            f.seek((page - 1) * page_size)
            f.write(b"\xa5" * page_size)


def test_export_of_a_database_with_a_damaged_page_writes_every_readable_set_and_says_what_was_lost(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gym.db"
    many_sets(db)
    healthy = {row["set_id"]: row for row in csv.DictReader(io.StringIO(run_export(db).stdout))}
    assert len(healthy) == 300
    leaves, page_size = pages_of(db, "sets")
    assert len(leaves) > 10
    overwrite_pages(db, [leaves[len(leaves) // 2]], page_size)  # one page in the middle of the sets table

    done = run_export(db)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    got = {row["set_id"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
    assert got and all(got[k] == healthy[k] for k in got)  # every row read is exactly what it was
    lost = sorted(int(k) for k in set(healthy) - set(got))
    assert 0 < len(lost) < 30 and lost == list(range(lost[0], lost[-1] + 1))  # one page's worth, contiguous
    assert str(1) in got and str(300) in got  # the sets before and after the damage are all there
    message = done.stderr.splitlines()
    assert message[0] == (
        f"gymtui: export: sets: the rows after id {lost[0] - 1} and before id {lost[-1] + 1} could not be read "
        "(database disk image is malformed)"
    )
    assert message[-1] == (
        f"gymtui: export: the {len(got)} sets that could be read are exported; "
        f"`sqlite3 {db} .recover > rescued.sql` can rescue more; keep gym.db until then"
    )


def test_damage_at_both_ends_of_the_sets_table_still_exports_the_middle(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    many_sets(db)
    healthy = {row["set_id"]: row for row in csv.DictReader(io.StringIO(run_export(db).stdout))}
    leaves, page_size = pages_of(db, "sets")
    overwrite_pages(db, [leaves[0], leaves[-1]], page_size)
    done = run_export(db)
    assert done.returncode == 0, done.stderr
    read = {row["set_id"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
    assert all(read[k] == healthy[k] for k in read)
    got = sorted(int(k) for k in read)
    assert got == list(range(got[0], got[-1] + 1)) and 1 < got[0] and got[-1] < 300
    first, last = done.stderr.splitlines()[:2]
    assert first == f"gymtui: export: sets: the rows before id {got[0]} could not be read (database disk image is malformed)"
    assert last == f"gymtui: export: sets: the rows after id {got[-1]} could not be read (database disk image is malformed)"


def test_a_damaged_athletes_page_keeps_every_set_and_says_the_name_is_missing(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    many_sets(db)
    [page], page_size = pages_of(db, "athletes")  # one athlete: the table is a single page
    overwrite_pages(db, [page], page_size)
    done = run_export(db, "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["set_id"] for r in rows] == list(range(1, 301))
    assert {r["athlete"] for r in rows} == {None} and {r["phases"] for r in rows} == {1}
    assert rows[7]["exercise"] == "Exercise 007 " + "x" * 120 and rows[7]["load_kg"] == 7.0
    assert done.stderr.splitlines()[0] == (
        "gymtui: export: athletes: no row could be read (database disk image is malformed); "
        "their sets are exported without the athlete's name"
    )


def test_export_with_no_set_readable_exits_non_zero_and_points_to_recover(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    many_sets(db)
    leaves, page_size = pages_of(db, "sets")
    overwrite_pages(db, leaves, page_size)
    done = run_export(db)
    assert done.returncode == 1 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"gymtui: export: no set could be read from {db}; "
        f"`sqlite3 {db} .recover > rescued.sql` can rescue more; keep gym.db until then"
    )


def test_the_salvaging_reader_gives_exactly_the_export_rows_of_a_healthy_database(db_path: Path) -> None:
    from gymtui.store.salvage import export_rows

    store = Store(db_path)
    assert export_rows(store.conn) == (store.export_rows(), [])
    store.close()


def test_export_reads_without_writing(db_path: Path, tmp_path: Path) -> None:
    """Even a database from before the gymtui marker is exported as it is, not upgraded."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA application_id=0")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    assert main(["export", "--db", str(db_path), "--out", str(tmp_path / "x.csv")]) == 0
    assert db_path.read_bytes() == before
    assert len(list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text())))) == 3
