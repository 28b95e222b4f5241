"""Run benchmarks inside a CPU quota (a Linux cgroup), as on a Raspberry Pi's slower cores.

A quota of 0.35 gives the process and everything it starts 35 ms of CPU time
per 100 ms period, across all cores: about a Pi 4 core; 0.15 is about a Pi
Zero 2 W's. cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us``) are both
supported; a child cgroup is made for each run under the first root that has
the cpu controller and may be written (root, or a delegated cgroup), and
removed afterwards. When none can be written, :class:`QuotaUnavailable` says
which were tried.

What goes in the quota is the app's own process, as on a Pi: the live
chain runs in a benchmark child started inside it, and the UI benchmark's
child starts outside it and puts only each launch of the app in (its
terminal, tmux, and the observer that reads the screen stay out: on a Pi 4
or a Zero 2 W the terminal runs on another of the four cores, and the
observer is not the app's cost).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
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
APP_ONLY_MODULES = frozenset({"ui"})
"""Benchmarks whose child stays outside the quota and starts the app inside it (see :data:`APP_CGROUP_ENV`)."""
APP_CGROUP_ENV = "GYMTUI_BENCH_APP_CGROUP"
"""Names the cgroup each launch of the app enters before it starts (the UI benchmark reads it)."""


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
    """``gymtui bench --json --only ...`` in child processes, the app's work inside ``quota`` (None: unconstrained).

    The live chain's child starts inside the quota; the UI's child starts
    outside and hands the cgroup to each launch of the app it makes.
    """
    inside = [m for m in modules if m not in APP_ONLY_MODULES]
    app_only = [m for m in modules if m in APP_ONLY_MODULES]
    report: dict[str, Any] = {}
    if inside:
        report.update(_bench_child(inside, quick, timeout_s, quota, enter=True))
    if app_only:
        report.update(_bench_child(app_only, quick, timeout_s, quota, enter=False))
    if quota is not None:
        report["cgroup"] = f"v{quota.version} {quota.path.parent}"
        report["throttled_periods"] = quota.throttled_periods()
    return report


def _bench_child(
    modules: Sequence[str], quick: bool, timeout_s: float, quota: CpuQuota | None, *, enter: bool
) -> dict[str, Any]:
    command = [sys.executable, "-m", "gymtui", "bench", "--json"]
    for module in modules:
        command += ["--only", module]
    if quick:
        command.append("--quick")
    env = {k: v for k, v in os.environ.items() if k != APP_CGROUP_ENV}
    if quota is not None and not enter:
        env[APP_CGROUP_ENV] = str(quota.path)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout_s, check=False, env=env,
        preexec_fn=quota.enter if quota is not None and enter else None,  # the child starts inside the quota
    )
    if done.returncode != 0:
        where = "unconstrained" if quota is None else f"in a quota of {quota.fraction:g}"
        raise RuntimeError(f"the benchmark run {where} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    for key in [k for k in report if k.endswith("_notes") or k in ("machine", "bench_wall_s")]:
        del report[key]
    return report


def app_command(argv: Sequence[str]) -> str:
    """A shell command line that runs ``argv``, inside the cgroup :data:`APP_CGROUP_ENV` names if it is set.

    ``sh`` writes its own pid into the cgroup and then becomes the app
    (``exec``), so the app is in the quota from its first instruction and
    nothing else the benchmark runs is.
    """
    command = " ".join(shlex.quote(part) for part in argv)
    cgroup = os.environ.get(APP_CGROUP_ENV)
    if not cgroup:
        return command
    procs = shlex.quote(str(Path(cgroup) / "cgroup.procs"))
    return "sh -c " + shlex.quote(f"echo $$ > {procs} && exec {command}")
