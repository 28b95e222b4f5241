"""Under ``--cpu-quota`` the UI benchmark puts the app, and only the app, in the cgroup.

The command line :func:`gymtui.bench.quota.app_command` builds is run here
for real through ``sh``, against a folder standing in for the cgroup: the pid
written to its ``cgroup.procs`` must be the app's own (``exec``: the shell
becomes the app), and without a cgroup named nothing is written anywhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gymtui.bench.quota import APP_CGROUP_ENV, app_command

PRINT_PID = [sys.executable, "-c", "import os; print(os.getpid())"]


def test_the_launched_app_writes_its_own_pid_into_the_named_cgroup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cgroup = tmp_path / "gymtui bench 0.35"  # a space: the path is quoted for the shell
    cgroup.mkdir()
    (cgroup / "cgroup.procs").write_text("")
    monkeypatch.setenv(APP_CGROUP_ENV, str(cgroup))
    done = subprocess.run(app_command(PRINT_PID), shell=True, capture_output=True, text=True, timeout=60, check=True)
    app_pid = int(done.stdout)
    assert (cgroup / "cgroup.procs").read_text().split() == [str(app_pid)]


def test_without_a_quota_the_app_is_launched_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(APP_CGROUP_ENV, raising=False)
    command = app_command([*PRINT_PID, "it's"])
    assert not command.startswith("sh -c")
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60, check=True)
    assert int(done.stdout) > 0
