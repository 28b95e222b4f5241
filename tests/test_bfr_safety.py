"""Process-level safety: SIGTERM, exceptions and exit deflate the cuff, logged in a real SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gymtui.safety import ProcessSafety
from gymtui.store import Store, now_iso

REPO = Path(__file__).resolve().parents[1]

# A small gymtui process wired as the app should be: simulated cuff at 10x,
# supervisor, runner logging through the store's own thread (StoreExecutor)
# with a second, synchronous Store for the emergency path, safety installed on
# the asyncio loop. It inflates, says HOLDING, then waits to be killed.
CUFF_PROCESS = r"""
import asyncio, sys, time
from gymtui.adapters.cuff import SimulatedCuff
from gymtui.bfr import BfrSupervisor, CuffState, validate_settings
from gymtui.cuff_runner import CuffRunner, store_record_sink
from gymtui.model import PhaseKind
from gymtui.safety import ProcessSafety
from gymtui.store import Store, StoreExecutor

store = Store(sys.argv[1])
session = store.start_session(store.ensure_athlete())
executor = StoreExecutor(store)
log_record = store_record_sink(store, session_id=lambda: session)
emergency_store = Store(sys.argv[1])  # opened up front: the signal path must not wait for a thread

async def main():
    speed = 10.0
    t0 = time.monotonic()
    clock = lambda: (time.monotonic() - t0) * speed
    cuff = SimulatedCuff(speed=speed, clock=clock)
    sup = BfrSupervisor(validate_settings("arm", 180, 50), profile_max_mmhg=cuff.max_mmhg, clock=clock)
    runner = CuffRunner(
        sup, cuff, lambda record: executor.submit(log_record, record), speed=speed,
        emergency_record=store_record_sink(emergency_store, session_id=lambda: session),
    )
    safety = ProcessSafety()
    safety.add(runner.emergency)
    safety.add(lambda reason: print("CUFF", cuff.physics.mode, cuff.sent[-1].reason, flush=True))
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
    print("HOLDING", flush=True)
    await asyncio.sleep(120)  # not a wait for anything: the test signals this process while it holds

asyncio.run(main())
"""


def test_sigterm_during_occlusion_deflates_and_logs_it_after_the_signal(tmp_path):
    db_path = tmp_path / "cuff.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CUFF_PROCESS, str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "HOLDING", (line, proc.stderr.read() if proc.poll() is not None else "")
        signalled_at = now_iso()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGTERM, err  # it died of the signal, after deflating
    assert "CUFF deflate signal SIGTERM" in out  # the deflate reached the cuff before exit

    store = Store(db_path)
    rows = list(store.conn.execute("SELECT at, kind, reason, pressure_mmhg, target_mmhg FROM cuff_events ORDER BY id"))
    kinds = [r[1] for r in rows]
    assert "inflate" in kinds and "hold" in kinds
    at, kind, reason, pressure, target = rows[-1]
    assert (kind, reason) == ("deflate", "signal SIGTERM")
    assert at >= signalled_at
    assert pressure == pytest.approx(90, abs=6) and target == 0.0
    store.close()


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
        1 / 0
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
