"""The command line: one clear line and exit 2 for every mistake a user can make."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import repo_paths

from gymtui.cli import main
from gymtui.instance import InstanceLock
from gymtui.store import check_db_path

REPO_ROOT = repo_paths.REPO_ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False, capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_exit_2(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_an_uncreatable_db_path_is_one_line_and_exit_2() -> None:
    assert_one_line_exit_2(run_cli("--db", "/proc/nope.db", "--demo"), "/proc/nope.db")


def test_a_corrupt_db_file_is_one_line_and_exit_2_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"\x00garbage that is not sqlite" * 100)
    before = path.read_bytes()
    assert_one_line_exit_2(run_cli("--db", str(path), "--demo"), "not a usable gymtui database")
    assert path.read_bytes() == before


def test_a_directory_as_db_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert_one_line_exit_2(run_cli("--db", str(tmp_path), "--demo"), "directory")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("--speed", "fast"), "--speed"),
        (("--speed", "0"), "--speed"),
        (("--theme-colour", "red"), "error"),
        (("--mains", "55"), "--mains"),
        (("--emulate", "myo"), "--emulate needs --demo"),
        (("--demo", "--emulate", "fitbit"), "--emulate"),
        (("--demo-athlete", "compensating"), "--demo-athlete needs --demo"),
        (("--demo", "--demo-athlete", "lazy"), "--demo-athlete"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_exit_2(run_cli(*args), fragment)


def test_an_unknown_theme_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert_one_line_exit_2(run_cli("--db", str(tmp_path / "x.db"), "--theme", "neon"), "unknown theme", "gymtui-floor")


def test_a_second_instance_on_the_same_db_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    check_db_path(db)
    with InstanceLock(db):  # another live gymtui holds it (this test process, here)
        assert_one_line_exit_2(run_cli("--db", str(db), "--demo"), "another gymtui")


def test_help_lists_the_sub_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("analyze", "bench", "decode", "export", "plan", "prune", "scan", "simulate"):
        assert command in out


def test_python_dash_m_and_the_script_share_one_entry_point() -> None:
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("gymtui ")


@pytest.mark.parametrize(("name", "compensation", "co_contraction"), [("compensating", 0.9, 0.15), ("co-contracting", 0.0, 1.0)])
def test_demo_athlete_chooses_who_the_simulated_sensor_measures(name: str, compensation: float, co_contraction: float) -> None:
    from gymtui.app import AppConfig
    from gymtui.cli import build_parser

    config = AppConfig.from_args(build_parser().parse_args(["--demo", "--demo-athlete", name]), Path("gym.db"))
    assert config.demo_athlete is not None
    assert (config.demo_athlete.compensation, config.demo_athlete.co_contraction) == (compensation, co_contraction)
    assert AppConfig.from_args(build_parser().parse_args(["--demo"]), Path("gym.db")).demo_athlete is None
