"""Benchmarks behind ``gymtui bench``.

Each module in :data:`BENCH_MODULES` exposes ``run(report: dict, quick: bool)``
and adds its own keys to the one report, so every figure is measured in the
same process on the same machine, side by side.
"""

from __future__ import annotations

import importlib
import os
import platform
import time
from typing import Any

BENCH_MODULES: list[str] = [
    "gymtui.bench.signal",
    "gymtui.bench.live",
    "gymtui.bench.ble",
    "gymtui.bench.sim",
    "gymtui.bench.ui",
    "gymtui.bench.bfr",
    "gymtui.bench.memory",
    "gymtui.bench.readers",
    "gymtui.bench.storage",
    "gymtui.bench.gym",
]


_SMOKE = False


def smoke() -> bool:
    """True in ``--smoke`` runs: every benchmark at its very shortest, to see that it runs (CI)."""
    return _SMOKE


def machine_info() -> dict[str, Any]:
    import numpy
    import scipy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def run_all(
    quick: bool = False,
    only: list[str] | None = None,
    keys_by_module: dict[str, list[str]] | None = None,
    smoke_run: bool = False,
) -> dict[str, Any]:
    """Every benchmark, or those named in ``only`` (``memory`` or ``gymtui.bench.memory``).

    ``keys_by_module``, when given, receives the keys each benchmark added (``ui`` → its figures).
    ``smoke_run``: shorter still than ``quick`` (see :func:`smoke`); the figures say little.
    """
    global _SMOKE
    _SMOKE = smoke_run
    quick = quick or smoke_run
    names = BENCH_MODULES
    if only:
        wanted = {name if "." in name else f"gymtui.bench.{name}" for name in only}
        unknown = wanted - set(BENCH_MODULES)
        if unknown:
            raise ValueError(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(bench_names())}")
        names = [name for name in BENCH_MODULES if name in wanted]
    report: dict[str, Any] = {"machine": machine_info()}
    if smoke_run:
        report["smoke"] = "a smoke run: every benchmark at its shortest, figures not meaningful"
    wall_s: dict[str, float] = {}
    for name in names:
        started, before = time.perf_counter(), set(report)
        importlib.import_module(name).run(report, quick)
        wall_s[name.rsplit(".", 1)[1]] = round(time.perf_counter() - started, 1)
        if keys_by_module is not None:
            keys_by_module[name.rsplit(".", 1)[1]] = [k for k in report if k not in before]
    report["bench_wall_s"] = wall_s
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def bench_names() -> list[str]:
    return [name.rsplit(".", 1)[1] for name in BENCH_MODULES]
