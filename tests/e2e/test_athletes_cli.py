"""``--athlete`` on the read commands, and no silent athletes: ``plan``, ``export`` and ``analyze`` add no rows.

A real database with two athletes (Ana, a lower-body day into her plan,
with a set and its raw signal; Ben, new), read by the real CLI in subprocesses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import repo_paths

from gymtui.store import Store

REPO_ROOT = repo_paths.REPO_ROOT
TODAY = dt.date(2026, 11, 23)
TABLES = ("athletes", "athlete_flags", "sessions", "sets", "phases", "plans", "calibrations", "signal_blocks", "checkins")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
        env={**os.environ}, stdin=subprocess.DEVNULL,
    )


def make_db(path: Path) -> tuple[int, int, int]:
    """Ana's plan with a lower-body day two days ago (a set and its signal), Ben new and used last; (ana set, ben set, ana id)."""
    store = Store(path)
    ana, ben = store.create_athlete("Ana"), store.create_athlete("Ben")
    store.start_plan(ana, "guide", (TODAY - dt.timedelta(days=2)).isoformat())
    session = store.start_session(ana, "lower")
    store.tag_session(session, plan_id=None, focus="lower", kind="neural")
    with store.conn:  # she trained the lower-body day two days ago
        store.conn.execute("UPDATE sessions SET started_at = ? WHERE id = ?",
                           (f"{TODAY - dt.timedelta(days=2)}T10:00:00.000+00:00", session))
    ana_set = store.start_set(ana, "Back squat", "p", session_id=session, load_kg=80.0,
                              channels=[{"muscle": "Vastus lateralis"}])
    rng = np.random.default_rng(1)
    for seq in range(3):
        store.append_signal(ana_set, seq, float(seq), 1000.0, (rng.standard_normal((1000, 1)) * 50).astype(np.float32))
    store.finish_set(ana_set, "completed", {"peak_pct_mvc": 70.0})
    store.rate_set(ana_set, 8)
    ben_set = store.start_set(ben, "Glute bridge", "p")
    store.finish_set(ben_set, "completed", {})
    store.mark_last_used(ana)
    store.mark_last_used(ben)
    store.close()
    return ana_set, ben_set, ana


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def test_plan_export_and_analyze_leave_an_existing_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    ana_set, _, _ = make_db(db)
    before_bytes, before_rows = hashlib.sha256(db.read_bytes()).hexdigest(), counts(db)
    runs = [
        run_cli("plan", "--db", str(db), "--date", TODAY.isoformat()),
        run_cli("plan", "--db", str(db), "--athlete", "Ana", "--date", TODAY.isoformat()),
        run_cli("plan", "--db", str(db), "--athlete", "Ben", "--date", TODAY.isoformat()),
        run_cli("export", "--db", str(db), "--format", "json"),
        run_cli("export", "--db", str(db), "--athlete", "Ana"),
        run_cli("analyze", f"set:{ana_set}", "--db", str(db), "--athlete", "Ana", "--json"),
        run_cli("plan", "--db", str(db), "--athlete", "Nobody"),
    ]
    assert [r.returncode for r in runs] == [0, 0, 0, 0, 0, 0, 2], [r.stderr for r in runs]
    assert counts(db) == before_rows, "a read command added rows"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before_bytes, "a read command changed the file"


def test_plan_reads_the_named_athlete_or_the_one_used_last_and_never_someone_new(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    make_db(db)
    ana = run_cli("plan", "--db", str(db), "--athlete", "ana", "--date", TODAY.isoformat())
    assert ana.returncode == 0, ana.stderr
    assert "athlete: Ana" in ana.stdout and ana.stdout.splitlines()[0].endswith("today: upper body"), ana.stdout
    last = run_cli("plan", "--db", str(db), "--date", TODAY.isoformat())
    assert "athlete: Ben" in last.stdout and last.stdout.splitlines()[0].endswith("today: lower body"), last.stdout
    # `gymtui --athlete Ana plan` is the same as `gymtui plan --athlete Ana`.
    outer = run_cli("--athlete", "Ana", "plan", "--db", str(db), "--date", TODAY.isoformat())
    assert outer.stdout == ana.stdout


def test_an_unknown_athlete_is_one_line_naming_the_athletes_there_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    ana_set, _, _ = make_db(db)
    for args in (
        ("plan", "--db", str(db), "--athlete", "Anna"),
        ("export", "--db", str(db), "--athlete", "Anna"),
        ("analyze", f"set:{ana_set}", "--db", str(db), "--athlete", "Anna"),
    ):
        done = run_cli(*args)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (args, done.stderr)
        assert "no athlete named 'Anna'" in lines[0] and "Ana, Ben" in lines[0], lines[0]
        assert done.stdout == ""


def test_export_with_athlete_has_only_their_sets_and_analyze_refuses_a_set_of_another_athlete(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    ana_set, ben_set, _ = make_db(db)
    everyone = json.loads(run_cli("export", "--db", str(db), "--format", "json").stdout)
    assert sorted((r["athlete"], r["set_id"]) for r in everyone) == [("Ana", ana_set), ("Ben", ben_set)]
    ana_only = json.loads(run_cli("export", "--db", str(db), "--format", "json", "--athlete", "Ana").stdout)
    assert [(r["athlete"], r["set_id"], r["exercise"]) for r in ana_only] == [("Ana", ana_set, "Back squat")]
    refused = run_cli("analyze", f"set:{ana_set}", "--db", str(db), "--athlete", "Ben")
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"gymtui analyze: set {ana_set} is not Ben's: it belongs to Ana"


def test_plan_on_a_new_database_shows_week_1_for_a_new_athlete_and_adds_no_one(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    done = run_cli("plan", "--db", str(db), "--date", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Week 1 of 4 · neural block · today: lower body"
    assert "  athlete: none yet (the plan a new athlete starts with)" in lines
    assert counts(db)["athletes"] == 0 and counts(db)["plans"] == 0


def test_an_empty_or_unprintable_athlete_name_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for name, why in (("   ", "an athlete needs a name"), ("Eve\x07", "control characters")):
        done = run_cli("--db", str(tmp_path / "gym.db"), "--athlete", name, "--demo")
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, done.stderr
        assert "--athlete" in lines[0] and why in lines[0]
