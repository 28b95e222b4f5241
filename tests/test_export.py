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
import sqlite_utils

from gymtui.cli import main
from gymtui.datasette_metadata import TABLES
from gymtui.session import guardrails as g
from gymtui.session.autoreg import Autoregulator
from gymtui.session.exercises import load_library
from gymtui.session.plan import start_planned_session, status_from_store, todays_sets
from gymtui.store import SetStatus, Store
from program_log import log_session

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A log with every kind of row: plan, check-in, sessions, sets, phases, reps, a suggestion."""
    path = tmp_path / "gym.db"
    store = Store(path)
    athlete = store.ensure_athlete("Sam")
    g.acknowledge_disclaimer(store, athlete)
    checkin = g.CheckIn(7.5, 56, 4, 4)
    g.record_checkin(store, athlete, checkin, g.assess_checkin(checkin, 55))
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
    assert rows == store.export_rows()
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


def _parse_metadata(text: str) -> dict:
    """Our YAML subset: two-space indents, ``key: <json scalar or flow list>`` or ``key:`` opening a map."""
    root: dict = {}
    stack = [(-1, root)]
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(": ") if ": " in line else (line.strip().rstrip(":"), "", "")
        key = json.loads(key) if key.startswith('"') else key
        while stack[-1][0] >= indent:
            stack.pop()
        if value:
            stack[-1][1][key] = json.loads(value)
        else:
            stack[-1][1][key] = {}
            stack.append((indent, stack[-1][1][key]))
    return root


def test_metadata_yml_is_written_beside_the_db_with_units_facets_and_the_signal_hidden(db_path: Path, tmp_path: Path) -> None:
    assert main(["export", "--db", str(db_path), "--out", str(tmp_path / "x.csv")]) == 0
    meta = _parse_metadata((db_path.parent / "metadata.yml").read_text(encoding="utf-8"))
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
