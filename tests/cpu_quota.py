"""A CPU quota for one child process: a cgroup v1 ``cpu`` child with a CFS quota.

A Raspberry Pi 4 core is about a third of this machine's; a Pi Zero 2 W
less than a fifth. A test that must hold on such a CPU runs its subprocess
in a cgroup whose CFS quota is that share of one core, per 100 ms period.
Making the cgroup needs root (or a delegated ``cpu`` hierarchy): without it
the test skips and says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CPU_ROOT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000


@dataclass(frozen=True)
class CpuQuota:
    path: Path
    fraction: float

    @property
    def procs(self) -> Path:
        """Write a pid here to put that process (all its threads) under the quota."""
        return self.path / "cgroup.procs"

    def throttled(self) -> tuple[int, float]:
        """(periods in which the group was throttled, seconds it spent throttled)."""
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        return int(stat.get("nr_throttled", 0)), int(stat.get("throttled_time", 0)) / 1e9


@contextmanager
def cpu_quota(fraction: float) -> Iterator[CpuQuota]:
    """A fresh cgroup limited to ``fraction`` of one core; skips the test when none can be made."""
    if not (CPU_ROOT / "cpu.cfs_quota_us").is_file():
        pytest.skip(f"no cgroup v1 cpu controller at {CPU_ROOT}: cannot hold a process to a CPU quota here")
    path = CPU_ROOT / f"gymtui-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        path.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot make a cgroup under {CPU_ROOT} ({exc.strerror}): a CPU quota needs root or a delegated cgroup")
    try:
        (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (path / "cpu.cfs_quota_us").write_text(str(round(fraction * PERIOD_US)))
        yield CpuQuota(path, fraction)
    finally:
        for pid in (path / "cgroup.procs").read_text().split():  # a process still inside goes back to the root group
            try:
                (CPU_ROOT / "cgroup.procs").write_text(pid)
            except OSError:
                pass
        path.rmdir()
