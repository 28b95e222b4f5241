"""UI benchmarks: start-up to first frame, and the live set screen's frame rate and CPU.

Keys added to the report:

- ``startup_s``: wall time from launching ``python -m gymtui --demo`` in a
  real pseudo-terminal (120×40) to the home screen's first full render —
  interpreter start, imports, theme and stylesheet, database, demo sensor.
- ``ui_fps`` and ``ui_cpu_pct``: the real app (headless Textual driver, the
  same compositor and widgets) with an 8-channel demo sensor at real speed,
  measured over the middle 10 s of a live 15 s isometric hold: activation
  frames handled per second, and the process's CPU time per wall second, in
  % of one core (the signal worker, simulator and store threads included).
  ``ui_frames_posted_per_s`` says how many frames the worker offered.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gymtui.app import GymApp
    from gymtui.model import PhaseKind
    from gymtui.session.engine import Stage


def startup_seconds(timeout_s: float = 30.0) -> tuple[float, str]:
    """Launch the CLI in a real terminal and time the first render of the home screen.

    tmux is the terminal where it exists: it answers the queries Textual
    sends at start (a bare pty leaves them unanswered, and Textual waits for
    them). Without tmux, a bare pty gives a pessimistic figure.
    """
    if shutil.which("tmux"):
        return _startup_in_tmux(timeout_s), "tmux 120x40"
    return _startup_in_pty(timeout_s), "bare pty 120x40 (no tmux: terminal queries go unanswered)"


def _startup_in_tmux(timeout_s: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        session = f"gymtui-bench-{os.getpid()}"  # its own tmux server (-L), so no other session interferes
        command = f"{shlex.quote(sys.executable)} -m gymtui --demo --db {shlex.quote(str(Path(tmp) / 'bench.db'))}"
        env = {**os.environ}
        env.pop("TMUX", None)
        started = time.perf_counter()
        subprocess.run(
            ["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
            check=True, env=env, cwd=os.getcwd(),
        )
        elapsed = float("nan")
        try:
            deadline = started + timeout_s
            while time.perf_counter() < deadline:
                screen = subprocess.run(
                    ["tmux", "-L", session, "capture-pane", "-p", "-t", session], capture_output=True, text=True, env=env, check=False
                ).stdout
                if "Start set" in screen and "Quit" in screen:
                    elapsed = time.perf_counter() - started
                    break
                time.sleep(0.01)
        finally:
            subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True, env=env, check=False)
        return elapsed


def _startup_in_pty(timeout_s: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
        env.pop("GYMTUI_DB", None)
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gymtui", "--demo", "--db", str(Path(tmp) / "bench.db")],
            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True,
        )
        os.close(slave)
        seen = b""
        elapsed = float("nan")
        try:
            deadline = started + timeout_s
            while time.perf_counter() < deadline:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        seen += os.read(master, 65536)
                    except OSError:
                        break
                    # The footer is the last thing the home screen composes.
                    if b"Start set" in seen and b"Quit" in seen:
                        elapsed = time.perf_counter() - started
                        break
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
            os.close(master)
        return elapsed


def _stage(app: GymApp) -> Stage | None:
    """The running set's stage, None between sets."""
    return None if app.runner is None else app.runner.engine.stage


def _phase_kind(app: GymApp) -> PhaseKind | None:
    """The running set's current phase kind, None between sets or phases."""
    phase = None if app.runner is None else app.runner.engine.current_phase
    return None if phase is None else phase.kind


async def _live_isometric(window_s: float) -> dict[str, float]:
    from gymtui.app import AppConfig, GymApp
    from gymtui.model import PhaseKind
    from gymtui.session.engine import Stage
    from gymtui.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        app = GymApp(Store(Path(tmp) / "bench.db"), AppConfig(demo=True, speed=1.0, demo_channels=8))
        async with app.run_test(size=(120, 40)) as pilot:
            while app.coach is None or app.signal is None:
                await asyncio.sleep(0.05)
            # Calibrate once (quick finisher), so the hold shows %MVC as in real use.
            await app.sets.begin(quick=True)
            while not (_stage(app) is Stage.PHASE and _phase_kind(app) is PhaseKind.ISOMETRIC):
                await asyncio.sleep(0.02)
            await asyncio.sleep(2.0)  # settle into the hold
            shown0, posted0 = app.frames_shown, app.signal.frames_posted
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(window_s)
            cpu1, wall1 = time.process_time(), time.perf_counter()
            shown, posted = app.frames_shown - shown0, app.signal.frames_posted - posted0
            still_holding = _phase_kind(app) is PhaseKind.ISOMETRIC
            await app.shutdown()
            del pilot
    wall = wall1 - wall0
    return {
        "ui_fps": round(shown / wall, 1),
        "ui_cpu_pct": round(100.0 * (cpu1 - cpu0) / wall, 1),
        "ui_frames_posted_per_s": round(posted / wall, 1),
        "ui_window_in_hold": float(still_holding),
    }


def run(report: dict[str, Any], quick: bool) -> None:
    startup_s, terminal = startup_seconds()
    report["startup_s"] = round(startup_s, 2)
    report["startup_terminal"] = terminal
    live = asyncio.run(_live_isometric(window_s=5.0 if quick else 10.0))
    report.update(live)
    report["ui_bench_notes"] = (
        "startup: the real CLI in a 120x40 terminal (tmux, else a bare pty) to the first home-screen render; fps/cpu: headless app, 8-channel demo "
        "sensor at x1, middle of a live 15 s isometric, process CPU (all threads) per wall second"
    )
