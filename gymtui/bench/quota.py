"""Run benchmarks inside a CPU quota (a Linux cgroup), as on a Raspberry Pi's slower cores.

A quota of 0.35 gives the process and everything it starts 35 ms of CPU time
per 100 ms period, across all cores: about a Pi 4 core; 0.15 is about a Pi
Zero 2 W's. cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us``) are both
supported; a child cgroup is made for each run under the first root that has
the cpu controller and may be written (root, or a delegated cgroup), and
removed afterwards. When none can be written, :class:`QuotaUnavailable` says
which were tried.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PERIOD_US = 100_000
CGROUP_ROOTS = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct")
QUOTA_MODULES = ("ui", "live")
"""The benchmarks run inside each quota: the UI (startup, paints, its clock) and the live chain."""


class QuotaUnavailable(Exception):
    """No cgroup here can be given a CPU quota by this user."""


def quota_key(fraction: float) -> str:
    """The report's key for a quota: ``0.35``, ``0.15``, ``1.0``."""
    text = f"{fraction:g}"
    return text if "." in text or "e" in text else f"{text}.0"


@dataclass(frozen=True)
class CpuQuota:
    fraction: float
    path: Path
    version: int

    def enter(self) -> None:
        """Move the calling process into the quota (a child between fork and exec)."""
        (self.path / "cgroup.procs").write_text(f"{os.getpid()}\n", encoding="ascii")

    def throttled_periods(self) -> int | None:
        """How many 100 ms periods the quota held its processes back (evidence the quota bit)."""
        try:
            for line in (self.path / "cpu.stat").read_text(encoding="ascii").splitlines():
                name, _, value = line.partition(" ")
                if name == "nr_throttled":
                    return int(value)
        except OSError:
            return None
        return None

    def remove(self) -> None:
        """Remove the child cgroup; processes still in it (ours: started inside it) are ended first."""
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                with contextlib.suppress(OSError):
                    for pid in (self.path / "cgroup.procs").read_text(encoding="ascii").split():
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.kill(int(pid), signal.SIGKILL)
                time.sleep(0.1)


def _limits(fraction: float) -> int:
    return max(1000, round(fraction * PERIOD_US))


def create_quota(fraction: float, roots: Sequence[str] | None = None) -> CpuQuota:
    """A child cgroup limited to ``fraction`` of one core, under the first root that allows it."""
    if not 0.0 < fraction <= 64.0:
        raise ValueError(f"--cpu-quota {fraction:g}: give a fraction of one core, e.g. 0.35")
    tried = []
    for root_text in roots or CGROUP_ROOTS:
        root = Path(root_text)
        name = f"gymtui-bench-{os.getpid()}-{quota_key(fraction)}"
        if (root / "cgroup.controllers").exists():
            version = 2
            controllers = (root / "cgroup.controllers").read_text(encoding="ascii").split()
            if "cpu" not in controllers:
                tried.append(f"{root} (cgroup v2 without the cpu controller)")
                continue
        elif (root / "cpu.cfs_quota_us").exists():
            version = 1
        else:
            tried.append(f"{root} (not a cgroup with a cpu controller)")
            continue
        child = root / name
        try:
            if version == 2:
                subtree = (root / "cgroup.subtree_control").read_text(encoding="ascii").split()
                if "cpu" not in subtree:
                    (root / "cgroup.subtree_control").write_text("+cpu\n", encoding="ascii")
            child.mkdir(exist_ok=True)
            if version == 2:
                (child / "cpu.max").write_text(f"{_limits(fraction)} {PERIOD_US}\n", encoding="ascii")
            else:
                (child / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n", encoding="ascii")
                (child / "cpu.cfs_quota_us").write_text(f"{_limits(fraction)}\n", encoding="ascii")
        except OSError as exc:
            with contextlib.suppress(OSError):
                child.rmdir()
            tried.append(f"{root} ({exc.strerror or exc})")
            continue
        return CpuQuota(fraction, child, version)
    raise QuotaUnavailable(
        f"cannot set a CPU quota: no writable cgroup with the cpu controller ({'; '.join(tried)}); "
        "run as root or in a cgroup delegated to you"
    )


@contextlib.contextmanager
def quotas(fractions: Sequence[float], roots: Sequence[str] | None = None) -> Iterator[list[CpuQuota]]:
    """Every quota made before anything runs (a refusal comes first), all removed afterwards."""
    made: list[CpuQuota] = []
    try:
        for fraction in fractions:
            made.append(create_quota(fraction, roots))
        yield made
    finally:
        for quota in made:
            quota.remove()


def run_in_quota(quota: CpuQuota | None, modules: Sequence[str], quick: bool, timeout_s: float = 1800.0) -> dict[str, Any]:
    """``gymtui bench --json --only ...`` in a child process, inside ``quota`` (None: unconstrained)."""
    command = [sys.executable, "-m", "gymtui", "bench", "--json"]
    for module in modules:
        command += ["--only", module]
    if quick:
        command.append("--quick")
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout_s, check=False,
        preexec_fn=None if quota is None else quota.enter,  # the child starts inside the quota
    )
    if done.returncode != 0:
        where = "unconstrained" if quota is None else f"in a quota of {quota.fraction:g}"
        raise RuntimeError(f"the benchmark run {where} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    for key in [k for k in report if k.endswith("_notes") or k in ("machine", "bench_wall_s")]:
        del report[key]
    if quota is not None:
        report["cgroup"] = f"v{quota.version} {quota.path.parent}"
        report["throttled_periods"] = quota.throttled_periods()
    return report
