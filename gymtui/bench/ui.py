"""UI benchmarks: the real CLI in a real terminal: start-up, paints per second, its CPU and its clock.

Keys added to the report (clock in brackets):

- ``startup_s`` [wall]: the median of ``startup_launches`` launches (5; 2
  with ``--quick``) of ``python -m gymtui --demo`` in a real terminal (tmux,
  120×40) to the home screen's first full render on that terminal:
  interpreter start, imports, theme and stylesheet, database, demo sensor,
  with gymtui's bytecode compiled first (:func:`compile_bytecode`).
  ``startup_runs_s`` lists every launch.
- ``ui_fps`` [wall]: screen updates that reached the terminal per second, over
  the middle of a live 15 s isometric hold with an 8-channel sensor at real
  speed: the demo athlete rendered ahead and replayed (:func:`demo_recording`
  says why), in the demo's plan (see :mod:`gymtui.bench.live_probe`: the
  writes of Textual's real Linux driver to tmux's pty that carry a screen
  update). In a CPU quota the app's process alone is in it.
  ``ui_frames_posted_per_s`` is what the signal worker offered,
  ``ui_frames_shown_per_s`` what the set screen took in.
- ``ui_cpu_pct`` [process CPU]: the app process's CPU time (all threads) per
  wall second over the same window, in % of one core.
- ``phase_end_error_ms_p99`` [monotonic, as stored]: over the set's timed
  phase ends and 3-2-1 lead-ins, how far each stored end lies from its plan
  (a phase's stored duration against its planned seconds; the gap before a
  work phase against its lead-in), in the log the real app (demo, ×1) left.
  ``phase_end_error_ms_max`` beside it.
- ``phase_shown_late_ms_p99`` [monotonic]: how late the screen's tick
  delivered those boundaries to the app after their instant: what a starved
  CPU costs the countdown's last digit, never the phase's times.
  ``lead_in_count_error_ms_max``: the same for the 3, 2, 1 counts (the first
  "3" is due the instant the set starts, while its screen is still built).
- ``dropped_samples`` [count]: samples the signal worker recorded as lost over
  the set (lead-in to the hold's end), plus its sequence gaps
  (``worker_seq_gaps``).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gymtui.bench.quota import APP_CGROUP_ENV, app_command

STARTUP_LAUNCHES, QUICK_STARTUP_LAUNCHES = 5, 2
WINDOW_S, QUICK_WINDOW_S = 10.0, 5.0


def _tmux(session: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("TMUX", None)
    return subprocess.run(["tmux", "-L", session, *args], capture_output=True, text=True, env=env, check=False)


_launches = itertools.count()


def _session_name(what: str) -> str:
    """A tmux server of its own per launch (-L): a server still exiting from the last launch is never reused."""
    return f"gymtui-bench-{what}-{os.getpid()}-{next(_launches)}"


def _start_in_tmux(session: str, command: str) -> None:
    for attempt in range(3):
        result = _tmux(session, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)
        if result.returncode == 0:
            return
        time.sleep(0.5 * (attempt + 1))  # tmux's server can fail to come up on a loaded machine: try again
    raise RuntimeError(f"tmux would not start: {result.stderr.strip()}")


def _stop_session(session: str) -> None:
    """Kill the launch's tmux server and the app in it, whatever state the app is in.

    Closing the terminal alone is not enough: an app still starting (under a
    CPU quota that can be a minute) has no hang-up handler yet and is not
    always sent one, and it would run on in the quota's cgroup, taking the
    next launch's CPU. The pane's process leads its own process group: that
    whole group goes.
    """
    panes = _tmux(session, "list-panes", "-s", "-t", session, "-F", "#{pane_pid}").stdout.split()
    _tmux(session, "kill-server")
    for pane in panes:
        try:
            os.killpg(int(pane), signal.SIGKILL)
        except (ProcessLookupError, PermissionError, ValueError):
            pass


def compile_bytecode() -> None:
    """gymtui's modules compiled to bytecode first, as an installed gymtui has them (pip compiles at install).

    A checkout run with ``PYTHONDONTWRITEBYTECODE`` (as CI and this
    workplace set it) would otherwise compile all of gymtui at every launch,
    about a second of CPU that no installed rack ever pays.
    """
    import compileall

    import gymtui

    compileall.compile_dir(str(Path(gymtui.__file__).parent), quiet=1, workers=1)


def startup_seconds(timeout_s: float = 60.0) -> float:
    """One launch of the CLI in tmux (its own server), timed to the home screen's first render there.

    tmux is the terminal: it answers the queries Textual sends at start and
    paints what the app writes, as a user's terminal would.
    """
    with tempfile.TemporaryDirectory() as tmp:
        session = _session_name("startup")
        command = app_command([sys.executable, "-m", "gymtui", "--demo", "--db", str(Path(tmp) / "bench.db")])
        started = time.perf_counter()
        _start_in_tmux(session, command)
        try:
            deadline = started + timeout_s
            while time.perf_counter() < deadline:
                screen = _tmux(session, "capture-pane", "-p", "-t", session).stdout
                if "Start set" in screen and "Quit" in screen:  # the footer: the last thing home composes
                    return time.perf_counter() - started
                time.sleep(0.01)
        finally:
            _stop_session(session)
    return float("nan")


RECORDING_PATTERN_S = 12.0
"""Seconds of the demo athlete rendered for the UI benchmark's sensor; the file repeats them."""
RECORDING_S = 240.0
"""The replayed file's length: longer than the probe's set takes to reach its hold's end at the smallest quota."""


def demo_recording(path: Path, channels: int = 8) -> Path:
    """The demo athlete's EMG rendered ahead into an EDF file, for the app to replay as its sensor.

    On a rack the EMG comes from the sensor, a device of its own. The demo's
    motor-unit simulator is numpy work a rack never does (about a fifth of
    the app's main thread at 30 fps, on the event loop), and under a quota
    it would be billed to the screen. Rendered here, before the launch and
    outside any quota, the app being measured pays for what a rack pays:
    blocks coming in, the signal worker, the store and the screen. The
    athlete alternates rest, an activation and a hold, so the bars move as
    in a set. The replayed source never drops a late block (it catches up,
    as a BLE stack's buffer does), so ``dropped_samples`` are the worker's.
    """
    import numpy as np

    from gymtui.adapters.demo import DemoEmgSource
    from gymtui.interop.edf_export import write_edf
    from gymtui.interop.raw_signal import RawBlock, RawRecording
    from gymtui.model import PhaseKind
    from gymtui.ui.controllers.sensors import DEMO_RATE_HZ, demo_channels

    source = DemoEmgSource(demo_channels(channels), rate_hz=DEMO_RATE_HZ, seed=7)
    parts: list[np.ndarray] = []
    third_n = round(RECORDING_PATTERN_S / 3 * DEMO_RATE_HZ)
    for intent, effort in ((PhaseKind.REST, 1.0), (PhaseKind.ACTIVATION, 0.6), (PhaseKind.ISOMETRIC, 0.8)):
        source.athlete.set_intent(intent, effort)
        parts.append(source.render_block(third_n))
    pattern_uv = np.concatenate(parts)  # float32 (n, channels) µV
    repeats = int(np.ceil(RECORDING_S / RECORDING_PATTERN_S))
    samples_uv = np.tile(pattern_uv, (repeats, 1)).astype(np.float32)
    labels = tuple(channel.muscle for channel in source.info.channels)
    write_edf(RawRecording(DEMO_RATE_HZ, labels, "uV", (RawBlock(time.time(), 0, samples_uv),)), path)
    return path


def live_set_in_tmux(window_s: float, channels: int = 8, speed: float = 1.0, timeout_s: float = 240.0) -> dict[str, Any]:
    """The live probe's figures: the real CLI in tmux through a quick finisher set (the demo clock at ``speed``).

    The sensor is :func:`demo_recording` replayed: the demo's plan and athlete, a rack's cost of EMG.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.json"
        session = _session_name("live")
        recording = demo_recording(Path(tmp) / "demo-athlete.edf", channels)
        command = app_command([
            sys.executable, "-m", "gymtui.bench.live_probe", str(out), f"{window_s:g}",
            "--demo", "--replay", str(recording), "--speed", f"{speed:g}", "--db", str(Path(tmp) / "bench.db"),
        ])
        _start_in_tmux(session, command)
        try:
            deadline = time.monotonic() + timeout_s
            while not out.exists():
                if time.monotonic() > deadline:
                    screen = _tmux(session, "capture-pane", "-p", "-t", session).stdout
                    raise RuntimeError(f"ui bench: the live probe gave no figures in {timeout_s:g} s; screen:\n{screen}")
                time.sleep(0.1)
            result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        finally:
            _stop_session(session)
    if "error" in result:
        raise RuntimeError(f"ui bench: {result['error']}")
    return result


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(report: dict[str, Any], quick: bool) -> None:
    if not shutil.which("tmux"):
        raise RuntimeError("ui bench: needs tmux (the terminal the app paints to); install tmux")
    from gymtui.bench import smoke

    launches = 1 if smoke() else QUICK_STARTUP_LAUNCHES if quick else STARTUP_LAUNCHES
    speed = 4.0 if smoke() else 1.0  # a smoke run only sees that it all runs
    compile_bytecode()
    runs = [startup_seconds() for _ in range(launches)]
    report["startup_s"] = round(statistics.median(runs), 3)
    report["startup_runs_s"] = [round(r, 3) for r in runs]
    report["startup_launches"] = launches
    live = live_set_in_tmux(1.0 if smoke() else QUICK_WINDOW_S if quick else WINDOW_S, speed=speed)
    errors = [abs(e) for e in live["boundary_errors_ms"]]  # the set's own time, as stored
    shown_late = [e / speed for e in live["shown_late_ms"]]  # the demo clock's ms, back to wall ms
    report["ui_fps"] = round(live["paints_per_s"], 1)
    report["ui_cpu_pct"] = round(live["cpu_pct"], 1)
    report["ui_frames_posted_per_s"] = round(live["frames_posted_per_s"], 1)
    report["ui_frames_shown_per_s"] = round(live["frames_shown_per_s"], 1)
    report["ui_window_in_hold"] = bool(live["window_in_hold"])
    report["phase_end_error_ms_p99"] = round(_p99(errors), 2) if errors else None
    report["phase_end_error_ms_max"] = round(max(errors), 2) if errors else None
    report["phase_boundaries"] = len(errors)
    report["phase_shown_late_ms_p99"] = round(_p99(shown_late), 2) if shown_late else None
    counts = [e / speed for e in live["count_errors_ms"]]
    report["lead_in_count_error_ms_max"] = round(max(counts), 2) if counts else None
    report["dropped_samples"] = int(live["dropped_samples"]) + int(live["seq_gaps"])
    report["worker_seq_gaps"] = int(live["seq_gaps"])
    report["ui_bench_notes"] = (
        f"real CLI in tmux 120x40; startup_s [wall]: median of {launches} launches to the first home-screen render; "
        "ui_fps [wall]: terminal writes carrying a screen update per second, middle of a live 15 s isometric, "
        f"8-channel sensor at x{speed:g}: the demo athlete rendered ahead (1 kHz EDF) and replayed, so the simulator's work is not billed to the rack; ui_cpu_pct [process CPU, all threads, % of one core]; "
        "phase_end_error_ms_p99 [monotonic, as stored]: timed phase ends and lead-ins in the set's log against the plan; "
        "phase_shown_late_ms_p99 [monotonic]: the same boundaries delivered by the screen's tick, after their instant; "
        "dropped_samples [count]: the worker's lost samples + sequence gaps over the set"
        + ("; in a CPU quota: the app's process alone (tmux and the observer outside)" if os.environ.get(APP_CGROUP_ENV) else "")
    )
