"""``gymtui cuff simulate``: the supervisor's log for a block of BFR sets, with and without a fault."""

from __future__ import annotations

import subprocess
import sys

import repo_paths

from gymtui.store import Store

REPO = repo_paths.REPO_ROOT


def gymtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args], check=False, capture_output=True, text=True, cwd=REPO, timeout=60
    )


def test_simulate_prints_inflate_hold_rest_deflate_and_ends_down(tmp_path):
    db = tmp_path / "cuff.db"
    out = gymtui("cuff", "simulate", "--limb", "leg", "--lop", "200", "--sets", "2", "--db", str(db))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any("inflate" in line and "140.0" in line for line in lines)  # 70 % of 200
    assert sum("rest (rest-deflate on)" in line for line in lines) == 2
    assert "alarm: none" in lines[-1] and "cuff at 0.0 mmHg" in lines[-1]
    store = Store(db)
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM cuff_events ORDER BY id")]
    assert kinds[-1] == "deflate" and kinds.count("inflate") == 2
    store.close()


def test_simulate_a_stuck_sensor_shows_the_alarm():
    out = gymtui("cuff", "simulate", "--sets", "1", "--fault", "stuck")
    assert out.returncode == 0, out.stderr
    assert "alarm" in out.stdout and "pressure sensor stuck" in out.stdout


def test_simulate_refuses_a_target_beyond_the_hard_bound_in_one_line():
    out = gymtui("cuff", "simulate", "--limb", "arm", "--bfr-pct", "75")
    assert out.returncode == 2
    assert out.stderr.strip() == "gymtui cuff simulate: arm target must be 30–60 % of LOP, not 75 %"


def test_decode_explains_the_spec_examples_for_makers():
    out = gymtui("cuff", "decode", "01 07 84 03 db 90")
    assert out.returncode == 0 and "SET_TARGET token=7 target=90.0 mmHg" in out.stdout
    out = gymtui("cuff", "decode", "--as", "pressure", "02 01 81 03 84 03 05 00")
    assert "pressure=89.7 mmHg set_point=90.0 mmHg flags=PUMP_ON|REGULATING" in out.stdout


def test_decode_names_what_is_wrong_with_bad_bytes():
    out = subprocess.run(
        [sys.executable, "-m", "gymtui", "cuff", "decode"],
        check=False, input="01 07 84 03 00 00\nzz\n03\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert out.returncode == 1
    assert "CRC mismatch (got 0000, want 90db)" in out.stderr and "zz: not hex" in out.stderr
    assert "DEFLATE" in out.stdout  # a bare deflate byte still deflates
