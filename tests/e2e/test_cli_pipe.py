"""``gymtui plan | head -5``: a reader that stops early ends the command quietly, never a traceback.

The pipe is real and its read end is closed before the command writes a
byte, so every write meets a closed pipe (what ``head`` leaves behind once it
has its lines), whatever the machine's speed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import repo_paths

COMMANDS = [
    pytest.param(["plan"], id="plan"),
    pytest.param(["plan", "--date", "2026-12-21", "--cuff", "leg"], id="plan-week-four"),
    pytest.param(["--help"], id="help"),
    pytest.param(["--version"], id="version"),
]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_command_into_a_closed_pipe_exits_quietly(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gymtui", *args],
            check=False,
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
            cwd=repo_paths.REPO_ROOT,
            env=dict(os.environ),
        )
    finally:
        os.close(write_end)
    assert done.stderr == "", done.stderr  # no traceback, no "Exception ignored", not a word
    assert done.returncode == 0


def test_the_same_command_into_an_open_pipe_prints_its_plan() -> None:
    """The quiet exit is for a closed pipe only: read to the end, the plan is all there."""
    done = subprocess.run(
        [sys.executable, "-m", "gymtui", "plan"],
        check=False, capture_output=True, text=True, timeout=60, cwd=repo_paths.REPO_ROOT, env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "Week 1" in done.stdout and done.stderr == ""
