"""The README's performance table, written from one ``gymtui bench --json`` report.

``gymtui bench --table REPORT.json`` prints it: each row names its clock,
with a column per CPU quota the report holds (``quota.1.0`` is the
unconstrained run) where the row was measured inside quotas.
"""

from __future__ import annotations

from typing import Any

from gymtui.bench.targets import TARGETS, Target

Row = tuple[str, str, str]
"""(what is measured, the report key, the clock)."""

ROWS: list[Row] = [
    (("streaming pipeline, 16 ch @ 2 kHz, 10 ms notifications per 33 ms frame, called directly (pipeline figure), "
     "× real time"), "pipeline_rtf_16ch_2khz", "process CPU"),
    ("the same, 8 ch @ 2 kHz, × real time", "pipeline_rtf_8ch_2khz", "process CPU"),
    ("streaming cost ÷ the same filters over the whole recording at once", "floor_ratio_16ch", "process CPU"),
    ("NeuroKit2 clean + amplitude on a sliding 1 s window per frame ÷ ours, × faster", "neurokit_speedup",
     "process CPU"),
    ("form cues' added cost per frame on the live chain, %", "cue_overhead_pct", "process CPU"),
    ("live chain (LiveSignal: + quality, onsets, set metrics), 16 ch @ 2 kHz, × real time",
     "live_chain_rtf_16ch_2khz", "process CPU"),
    ("block submitted → frame callback through the app's SignalWorker, 16 ch @ 2 kHz in real time, p50, ms",
     "latency_p50_ms", "wall"),
    ("… p99, ms", "latency_p99_ms", "wall"),
    ("the app during a live 15 s isometric, 8 ch: screen updates that reached the terminal (tmux) per second",
     "ui_fps", "wall"),
    ("… the app's CPU (all threads), % of one core", "ui_cpu_pct", "process CPU"),
    ("launch → first rendered home screen (real CLI in tmux 120×40), median of 5, s", "startup_s", "wall"),
    (("timed phase ends and 3-2-1 lead-ins as the set's log stores them, against the plan, p99, ms "
     "(real app, demo at ×1)"), "phase_end_error_ms_p99", "monotonic, as stored"),
    ("… the same boundaries reached the screen's tick after their instant, p99, ms", "phase_shown_late_ms_p99",
     "monotonic"),
    ("… the 3-2-1 counts, worst, ms", "lead_in_count_error_ms_max", "monotonic"),
    ("samples the signal worker counted lost over the set (+ sequence gaps)", "dropped_samples", "count"),
    ("whole-process RSS growth per 100 sets of the app (demo, clock ×20), MB", "rss_growth_mb_per_100_sets",
     "RSS, whole process"),
    ("motor-unit simulator, 4 muscles × 120 units @ 2 kHz, × real time", "simulator_rtf_4ch_2khz", "process CPU"),
    ("BFR supervisor per pressure reading, µs", "bfr_supervisor_cpu_us_per_reading", "thread CPU"),
    ("reading a recording as text: row loop ÷ numpy readers", "readers_speedup", "wall"),
    ("gym: 50 racks at 5 Hz through Mosquitto, status → coach p99, ms", "gym_latency_p99_ms", "wall"),
    ("… the coach's CPU, % of one core", "gym_coach_cpu_pct", "process CPU"),
]


def _shown(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _target(name: str) -> str:
    target: Target | None = TARGETS.get(name)
    return "" if target is None else f"{target[0].replace('<=', '≤').replace('>=', '≥')} {target[1]:g}"


def markdown_table(report: dict[str, Any]) -> str:
    quotas = sorted(report.get("quota", {}), key=lambda k: -float(k))
    header = ["measure", "clock", *(["unconstrained" if q == "1.0" else f"{q} of a core" for q in quotas] or ["result"]),
              "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for what, key, clock in ROWS:
        if key not in report:
            continue
        if quotas:
            cells = []
            for q in quotas:
                column = report["quota"][q]
                if key in column:
                    goal = _target(f"quota.{q}.{key}") if q != "1.0" else ""
                    cells.append(_shown(column[key]) + (f" ({goal})" if goal else ""))
                elif q == "1.0":
                    cells.append(_shown(report[key]))
                else:
                    cells.append("")
        else:
            cells = [_shown(report[key])]
        lines.append("| " + " | ".join([what, clock, *cells, _target(key)]) + " |")
    return "\n".join(lines)
