"""``gymtui --sensor``: a spec that names no LSL stream is one line on stderr and exit 2, before anything opens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def gymtui(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", "--db", str(db), *args],
        capture_output=True, text=True, timeout=60, env=dict(os.environ), check=False,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--sensor", "myo"), "argument --sensor: unknown sensor 'myo': give lsl:NAME, lsl:name=NAME or lsl:type=EMG"),
        (("--sensor", "lsl:"), "argument --sensor: lsl: needs a stream"),
        (("--sensor", "lsl:rate=1000"), "argument --sensor: lsl:rate=...: match on one of name, type, source_id"),
        (("--sensor", "lsl:obci_eeg1", "--demo"), "--sensor replaces the demo sensor: give --sensor or --demo, not both"),
    ],
)
def test_a_bad_sensor_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    db = tmp_path / "gym.db"
    done = gymtui(*args, db=db)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and said in lines[0], done.stderr
    assert done.stdout == "" and not db.exists()  # refused before the database is touched


def test_the_help_names_the_sensor_flag(tmp_path: Path) -> None:
    done = gymtui("--help", db=tmp_path / "gym.db")
    assert done.returncode == 0 and "--sensor SPEC" in done.stdout and "lsl:type=EMG" in done.stdout
