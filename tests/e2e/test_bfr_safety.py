"""Process-level safety: SIGTERM, exceptions and exit deflate the cuff, logged in a real SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import repo_paths

from gymtui.bfr.safety import ProcessSafety
from gymtui.store import Store, now_iso

REPO = repo_paths.REPO_ROOT

# A small gymtui process wired as the app is: simulated cuff at 10x,
# supervisor, runner handing records to the cuff's own event log (its own
# thread and connection), safety installed on the asyncio loop with the log
# as a flusher. It inflates, says HOLDING, then waits to be killed. When the
# cuff receives the deflate it prints the monotonic instant (system-wide on
# Linux, so the test can compare it with the instant it sent the signal).
CUFF_PROCESS = r"""
import asyncio, sys, time
from gymtui.sim.simulated_cuff import SimulatedCuff
from gymtui.bfr.events import CuffState
from gymtui.bfr.rules import validate_settings
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.services.cuff_log import CuffEventLog
from gymtui.bfr.runner import CuffRunner
from gymtui.model import CuffCommandKind, PhaseKind
from gymtui.bfr.safety import ProcessSafety
from gymtui.store import Store

store = Store(sys.argv[1])
session = store.start_session(store.ensure_athlete())
store.close()

class ProbedCuff(SimulatedCuff):
    def send_now(self, command):
        super().send_now(command)
        if command.kind is CuffCommandKind.DEFLATE and command.reason.startswith("signal"):
            print("DEFLATED", repr(time.monotonic()), self.physics.mode, command.reason, flush=True)

async def main():
    speed = 10.0
    t0 = time.monotonic()
    clock = lambda: (time.monotonic() - t0) * speed
    cuff = ProbedCuff(speed=speed, clock=clock)
    sup = BfrSupervisor(validate_settings("arm", 180, 50), profile_max_mmhg=cuff.max_mmhg, clock=clock)
    log = CuffEventLog(lambda: Store(sys.argv[1]), session_id=lambda: session)
    runner = CuffRunner(sup, cuff, log.put, speed=speed)
    safety = ProcessSafety()
    safety.add(runner.emergency)
    safety.add_flusher(log.close)
    safety.install(loop=asyncio.get_running_loop())
    await runner.start()
    runner.handle(sup.set_started("Curl"))
    runner.handle(sup.phase_changed(PhaseKind.ISOMETRIC))
    deadline = time.monotonic() + 30
    while sup.state is not CuffState.HOLDING:
        if time.monotonic() > deadline:
            print("TIMEOUT waiting for the cuff to hold", sup.view(), flush=True)
            raise SystemExit(1)
        await asyncio.sleep(0.01)
    log.flush(5.0)
    print("HOLDING", flush=True)
    await asyncio.sleep(120)  # not a wait for anything: the test signals this process while it holds

asyncio.run(main())
"""

# Holds the database's write lock (BEGIN IMMEDIATE) until killed, as another program might.
LOCK_HOLDER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("LOCKED", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _start(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _read_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """One line of the child's stdout, or fail after ``timeout_s`` (never hang on a stuck child)."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout_s)
    if not box:
        proc.kill()
        raise AssertionError(f"no line from the child within {timeout_s} s")
    return box[0].strip()


@pytest.mark.parametrize("locked", [False, True], ids=["database-free", "database-write-locked"])
@pytest.mark.solo
def test_sigterm_during_occlusion_deflates_within_100ms_then_logs_it(tmp_path, locked):
    db_path = tmp_path / "cuff.db"
    proc = _start(CUFF_PROCESS, str(db_path))
    holder = None
    try:
        line = _read_line(proc, 30)
        assert line == "HOLDING", (line, proc.stderr.read() if proc.poll() is not None else "")  # type: ignore[union-attr]
        if locked:
            holder = _start(LOCK_HOLDER, str(db_path), "30")
            assert _read_line(holder, 10) == "LOCKED"
        signalled_at, signalled_mono = now_iso(), time.monotonic()
        proc.send_signal(signal.SIGTERM)
        deflated = _read_line(proc, 10).split(" ", 3)
        _out, err = proc.communicate(timeout=10)
    finally:
        for child in (proc, holder):
            if child is not None and child.poll() is None:
                child.kill()
                child.wait(5)
    assert deflated[0] == "DEFLATED" and deflated[2:] == ["deflate", "signal SIGTERM"], deflated
    latency_s = float(deflated[1]) - signalled_mono
    assert 0 <= latency_s < 0.100, f"deflate reached the cuff {latency_s * 1000:.0f} ms after SIGTERM"
    assert proc.returncode == -signal.SIGTERM, err  # it died of the signal, after deflating

    store = Store(db_path)
    rows = list(store.conn.execute("SELECT at, kind, reason, pressure_mmhg, target_mmhg FROM cuff_events ORDER BY id"))
    store.close()
    kinds = [r[1] for r in rows]
    assert kinds[:2] == ["deflate", "notice"] and "inflate" in kinds and "hold" in kinds
    if locked:
        # The lock outlived the process's one second for its log: the rows it could not
        # write are named on stderr (the log), and the deflate was not held up by them.
        assert kinds[-1] == "hold", kinds
        assert "cuff event not stored" in err and "signal SIGTERM" in err
        return
    at, kind, reason, pressure, target = rows[-1]
    assert (kind, reason) == ("deflate", "signal SIGTERM")
    assert at >= signalled_at
    assert pressure == pytest.approx(90, abs=6) and target == 0.0


def test_fire_calls_every_deflater_even_if_one_fails():
    safety = ProcessSafety()
    calls = []

    def broken(reason):
        raise RuntimeError("radio gone")

    safety.add(broken)
    safety.add(calls.append)
    safety.fire("exception: boom")
    assert calls == ["exception: boom"]


def test_guard_deflates_when_an_exception_escapes_and_reraises():
    safety = ProcessSafety()
    calls = []
    safety.add(calls.append)
    with pytest.raises(ZeroDivisionError), safety.guard():
        _ = 1 / 0
    assert calls == ["exception: ZeroDivisionError('division by zero')"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_exception_in_a_worker_thread_deflates():
    safety = ProcessSafety()
    calls = []
    safety.add(calls.append)
    safety.install(signals=())
    try:
        worker = threading.Thread(target=lambda: 1 / 0, name="signal-worker")
        worker.start()
        worker.join()
    finally:
        safety.uninstall()
    assert calls and calls[0].startswith("exception in thread signal-worker")


def test_signal_without_a_loop_deflates_then_hands_over():
    safety = ProcessSafety()
    calls, handed = [], []
    safety.add(calls.append)
    safety.install(on_signal=handed.append, signals=(signal.SIGUSR1,))
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
    finally:
        safety.uninstall()
    assert calls == ["signal SIGUSR1"] and handed == [signal.SIGUSR1]
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_store_keeps_lop_per_limb_with_its_date(tmp_path):
    store = Store(tmp_path / "lop.db")
    athlete = store.ensure_athlete()
    assert store.latest_lop(athlete, "arm") is None
    store.save_lop(athlete, "arm", 172.0)
    store.save_lop(athlete, "leg", 201.0, source="Doppler")
    store.save_lop(athlete, "arm", 176.0)
    arm = store.latest_lop(athlete, "arm")
    assert arm["lop_mmhg"] == 176.0 and arm["limb"] == "arm" and arm["source"] == "manual"
    assert arm["age_days"] < 0.01 and arm["taken_at"][:4].isdigit()
    assert store.latest_lop(athlete, "leg")["lop_mmhg"] == 201.0
    with pytest.raises(ValueError):
        store.save_lop(athlete, "hand", 150.0)
    store.close()


def test_store_counts_commanded_occlusion_from_cuff_events(tmp_path):
    store = Store(tmp_path / "occ.db")
    session = store.start_session(store.ensure_athlete())
    store.log_cuff_event("inflate", target_mmhg=90, session_id=session, at="2026-11-25T10:00:00.000+00:00")
    store.log_cuff_event("hold", target_mmhg=90, session_id=session, at="2026-11-25T10:00:03.000+00:00")
    store.log_cuff_event("deflate", target_mmhg=0, session_id=session, at="2026-11-25T10:01:00.000+00:00")
    store.log_cuff_event("inflate", target_mmhg=90, session_id=session, at="2026-11-25T10:02:00.000+00:00")
    store.log_cuff_event("alarm", session_id=session, at="2026-11-25T10:02:30.000+00:00")  # then killed
    assert store.cuff_occlusion_s(session_id=session) == pytest.approx(90.0)
    assert store.cuff_occlusion_s(since="2026-11-25T10:01:30.000+00:00") == pytest.approx(30.0)
    store.close()
