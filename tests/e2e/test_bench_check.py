"""``gymtui bench --check`` fails on a figure short of its target, and ``--cpu-quota`` says when it cannot run.

The check is the one function the CLI uses (:func:`gymtui.bench.targets.check`);
the CLI runs below are real: a real benchmark measures a real figure, and a
target tightened with ``--target`` (documented in ``--help``) makes it fall short.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import repo_paths

from gymtui.bench.quota import QuotaUnavailable, create_quota, quota_key
from gymtui.bench.targets import TARGETS, check, parse_target

REPO_ROOT = repo_paths.REPO_ROOT


def bench(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", "bench", *args],
        check=False, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout_s,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def test_a_figure_beyond_its_target_falls_short_and_one_within_passes() -> None:
    report = {"ui_fps": 12.0, "startup_s": 0.4, "quota": {"0.15": {"ui_fps": 15.2, "dropped_samples": 3}}}
    verdicts = {v.name: v for v in check(report)}
    assert verdicts["ui_fps"].ok is False and verdicts["ui_fps"].target == TARGETS["ui_fps"]
    assert verdicts["startup_s"].ok is True
    assert verdicts["quota.0.15.ui_fps"].ok is True
    assert verdicts["quota.0.15.dropped_samples"].ok is False
    assert "quota.0.35.ui_fps" not in verdicts  # not measured in this run: not checked
    assert "FALLS SHORT" in verdicts["ui_fps"].line() and "[wall]" in verdicts["ui_fps"].line()


def test_a_figure_missing_here_is_said_and_a_nan_falls_short() -> None:
    verdicts = {v.name: v for v in check({"neurokit_speedup": None, "startup_s": float("nan")})}
    assert verdicts["neurokit_speedup"].ok is None and "not measured" in verdicts["neurokit_speedup"].line()
    assert verdicts["startup_s"].ok is False


def test_every_target_names_its_clock_and_a_comparison() -> None:
    for name, (op, value, clock) in TARGETS.items():
        assert op in ("<=", ">=") and isinstance(value, float) and clock, name


def test_a_target_override_keeps_or_sets_the_comparison() -> None:
    assert parse_target("startup_s=1.5") == ("startup_s", ("<=", 1.5, "wall"))
    assert parse_target("bfr_supervisor_cpu_us_per_reading<=50")[1][:2] == ("<=", 50.0)
    with pytest.raises(ValueError, match="no target to change"):
        parse_target("bfr_supervisor_cpu_us_per_reading=50")


def test_check_exits_1_naming_the_figure_a_tightened_target_makes_fall_short() -> None:
    done = bench("--quick", "--only", "bfr", "--check", "--target", "bfr_supervisor_cpu_us_per_reading<=0.0001")
    assert done.returncode == 1, done.stderr
    assert "bfr_supervisor_cpu_us_per_reading" in done.stderr.splitlines()[-1]
    assert "FALLS SHORT" in done.stderr
    relaxed = bench("--quick", "--only", "bfr", "--check", "--target", "bfr_supervisor_cpu_us_per_reading<=100000")
    assert relaxed.returncode == 0, relaxed.stderr
    assert "bfr_supervisor_cpu_us_per_reading = " in relaxed.stderr and ": ok" in relaxed.stderr


def test_a_target_written_wrong_is_refused_before_anything_runs() -> None:
    done = bench("--only", "bfr", "--check", "--target", "startup_s is fast")
    assert done.returncode == 2 and done.stdout == ""
    assert "NAME=VALUE" in done.stderr


def test_a_cpu_quota_no_cgroup_allows_is_refused_in_one_line(tmp_path: Path) -> None:
    not_a_cgroup = tmp_path / "cgroup"
    not_a_cgroup.mkdir()
    roots = ["--cgroup-root", str(not_a_cgroup)]
    if Path("/sys/fs/cgroup/unified/cgroup.controllers").exists():
        roots += ["--cgroup-root", "/sys/fs/cgroup/unified"]
    done = bench("--quick", "--only", "bfr", "--cpu-quota", "0.35", *roots)
    assert done.returncode == 2
    assert done.stdout == ""  # refused before any benchmark ran
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gymtui bench: cannot set a CPU quota")
    assert str(not_a_cgroup) in lines[0] and "run as root" in lines[0]
    assert list(not_a_cgroup.iterdir()) == []


def test_a_quota_fraction_must_be_above_zero() -> None:
    done = bench("--only", "bfr", "--cpu-quota", "0")
    assert done.returncode == 2 and "fraction of one core" in done.stderr


def test_quota_keys_read_as_the_issue_writes_them() -> None:
    assert [quota_key(f) for f in (1.0, 0.35, 0.15, 0.5)] == ["1.0", "0.35", "0.15", "0.5"]


def _writable_cgroup() -> bool:
    try:
        create_quota(0.5).remove()
    except QuotaUnavailable:
        return False
    return True


@pytest.mark.solo
@pytest.mark.timeout(900)
def test_the_ui_and_live_chain_measured_inside_a_quota_beside_the_unconstrained_run() -> None:
    assert _writable_cgroup(), "this test needs a cgroup it may write (root on Linux); see gymtui bench --help"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gymtui", "bench", "--quick", "--json", "--only", "ui", "--only", "live",
         "--cpu-quota", "0.5"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    out, err = proc.communicate(timeout=840)
    assert proc.returncode == 0, err[-3000:]
    import json

    report = json.loads(out)
    keys = ("ui_fps", "ui_cpu_pct", "startup_s", "phase_end_error_ms_p99", "dropped_samples", "latency_p99_ms")
    for column in (report, report["quota"]["1.0"], report["quota"]["0.5"]):
        for key in keys:
            assert isinstance(column[key], int | float) and column[key] == column[key] and column[key] >= 0, key
    assert report["quota"]["1.0"]["ui_fps"] == report["ui_fps"]  # the unconstrained column is this run's figures
    assert report["quota"]["0.5"]["throttled_periods"] > 0  # the quota held the run back
    assert 0 < report["ui_fps"] < 120 and report["startup_launches"] == 2
    leftovers = [p for root in ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup") if Path(root).is_dir()
                 for p in Path(root).glob(f"gymtui-bench-{proc.pid}-*")]
    assert leftovers == []


def test_the_readme_table_has_a_column_per_quota_and_names_each_rows_clock(tmp_path: Path) -> None:
    report = {
        "ui_fps": 29.5, "startup_s": 0.8, "pipeline_rtf_16ch_2khz": 800.0,
        "quota": {"1.0": {"ui_fps": 29.5, "startup_s": 0.8}, "0.35": {"ui_fps": 24.0, "startup_s": 2.6},
                  "0.15": {"ui_fps": 11.0, "startup_s": 5.1}},
    }
    saved = tmp_path / "report.json"
    import json

    saved.write_text(json.dumps(report), encoding="utf-8")
    done = bench("--table", str(saved))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "| measure | clock | unconstrained | 0.35 of a core | 0.15 of a core | target |"
    fps = next(line for line in lines if "| ui_fps" in line or "per second" in line)
    assert "| wall | 29.5 | 24 (≥ 30) | 11 (≥ 15) | ≥ 30 |" in fps
    pipeline = next(line for line in lines if "pipeline figure" in line)
    assert "| process CPU | 800 |  |  | ≥ 600 |" in pipeline
