"""The targets every figure is held to, in one table, and the check ``gymtui bench --check`` runs.

A name is a key of the report; ``quota.0.35.ui_fps`` is the figure measured
inside a CPU quota of 0.35 of a core (``report["quota"]["0.35"]["ui_fps"]``).
Each target names the clock its figure is measured on. A figure the run did
not measure (its benchmark not run) is not checked; one measured as None
(an optional package missing) is said, not failed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

Target = tuple[str, float, str]
"""(comparison ``>=`` or ``<=``, value, clock)."""

TARGETS: dict[str, Target] = {
    "pipeline_rtf_16ch_2khz": (">=", 600.0, "process CPU"),
    "floor_ratio_16ch": ("<=", 3.0, "process CPU"),
    "neurokit_speedup": (">=", 300.0, "process CPU"),
    "cue_overhead_pct": ("<=", 5.0, "process CPU"),
    "latency_p99_ms": ("<=", 5.0, "wall"),
    "simulator_rtf_4ch_2khz": (">=", 50.0, "process CPU"),
    "rss_growth_mb_per_100_sets": ("<=", 2.0, "RSS, whole process"),
    "ui_fps": (">=", 30.0, "wall"),
    "ui_cpu_pct": ("<=", 25.0, "process CPU"),
    "startup_s": ("<=", 0.6, "wall"),
    "phase_end_error_ms_p99": ("<=", 20.0, "monotonic"),
    "dropped_samples": ("<=", 0.0, "count"),
    "gym_latency_p99_ms": ("<=", 250.0, "wall"),
    "gym_coach_cpu_pct": ("<=", 50.0, "process CPU"),
    "quota.0.35.ui_fps": (">=", 30.0, "wall"),
    "quota.0.35.startup_s": ("<=", 2.0, "wall"),
    "quota.0.35.phase_end_error_ms_p99": ("<=", 20.0, "monotonic"),
    "quota.0.35.dropped_samples": ("<=", 0.0, "count"),
    "quota.0.15.ui_fps": (">=", 15.0, "wall"),
    "quota.0.15.phase_end_error_ms_p99": ("<=", 20.0, "monotonic"),
    "quota.0.15.dropped_samples": ("<=", 0.0, "count"),
}

_OVERRIDE = re.compile(r"^(?P<name>[\w.]+?)\s*(?P<op><=|>=|=)\s*(?P<value>[-+0-9.eE]+)$")


def parse_target(text: str, targets: dict[str, Target] | None = None) -> tuple[str, Target]:
    """``name=value`` (the table's comparison, a new value) or ``name<=value`` / ``name>=value``."""
    table = TARGETS if targets is None else targets
    found = _OVERRIDE.match(text.strip())
    if not found:
        raise ValueError(f"--target {text!r}: write NAME=VALUE, NAME<=VALUE or NAME>=VALUE")
    name, op, value = found["name"], found["op"], float(found["value"])
    if op == "=":
        if name not in table:
            raise ValueError(f"--target {text!r}: {name} has no target to change; say <= or >=")
        op = table[name][0]
    clock = table[name][2] if name in table else "as measured"
    return name, (op, value, clock)


@dataclass(frozen=True)
class Verdict:
    name: str
    figure: float | None
    target: Target
    ok: bool | None
    """True: meets it; False: falls short; None: measured as None (not available here)."""

    def line(self) -> str:
        op, value, clock = self.target
        shown = "not measured" if self.figure is None else f"{self.figure:g}"
        word = {True: "ok", False: "FALLS SHORT", None: "not measured"}[self.ok]
        return f"{self.name} = {shown}, target {op} {value:g} [{clock}]: {word}"


def figure_of(report: dict[str, Any], name: str) -> tuple[bool, Any]:
    """(present, value): ``quota.0.35.ui_fps`` looks in ``report["quota"]["0.35"]``."""
    if name.startswith("quota."):
        rest = name[len("quota."):]
        fraction, _, key = rest.rpartition(".")
        column = report.get("quota", {}).get(fraction)
        if not isinstance(column, dict) or key not in column:
            return False, None
        return True, column[key]
    return (name in report), report.get(name)


def check(report: dict[str, Any], targets: dict[str, Target] | None = None) -> list[Verdict]:
    """Every target whose figure the report holds, met or not."""
    verdicts = []
    for name, target in (TARGETS if targets is None else targets).items():
        present, value = figure_of(report, name)
        if not present:
            continue
        if value is None:
            verdicts.append(Verdict(name, None, target, None))
            continue
        figure = float(value)
        op, limit, _ = target
        ok = not math.isnan(figure) and (figure >= limit if op == ">=" else figure <= limit)
        verdicts.append(Verdict(name, figure, target, ok))
    return verdicts
