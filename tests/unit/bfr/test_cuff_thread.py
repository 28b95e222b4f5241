"""The cuff's own loop: work handed to it runs on its thread, and the last resort latches the runner.

The app's loop paints the screen; the cuff's loop must keep its caps and
readings however long a frame takes. These tests drive :class:`CuffLoopThread`
and :class:`CuffRunner` with the simulated cuff (the radio is the only fake).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time

import pytest
from waiting import wait_until

from gymtui.bfr.events import CuffEvent, CuffState
from gymtui.bfr.loop_thread import CUFF_THREAD_NICE, SWITCH_INTERVAL_S, CuffLoopThread
from gymtui.bfr.rules import validate_settings
from gymtui.bfr.runner import CuffRunner
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.model import CuffCommand, CuffCommandKind, PhaseKind
from gymtui.sim.simulated_cuff import SimulatedCuff


@pytest.fixture
def cuff_loop() -> CuffLoopThread:
    thread = CuffLoopThread()
    thread.start()
    yield thread
    assert thread.stop(5.0), "the cuff loop did not stop"


def test_work_handed_over_runs_on_the_cuff_thread_in_order(cuff_loop: CuffLoopThread) -> None:
    ran: list[tuple[int, str | None]] = []
    for i in range(5):
        cuff_loop.call(lambda i=i: ran.append((i, threading.current_thread().name)))
    wait_until(lambda: len(ran) == 5, 5, "the five calls")
    assert ran == [(i, "gymtui-cuff") for i in range(5)]


def test_a_call_on_the_cuff_thread_runs_at_once(cuff_loop: CuffLoopThread) -> None:
    async def nested() -> list[str]:
        seen: list[str] = []
        cuff_loop.call(seen.append, "inline")
        seen.append("after")
        return seen

    assert cuff_loop.submit(nested()).result(5) == ["inline", "after"]


async def test_the_cuff_loop_keeps_time_while_the_callers_loop_is_blocked(cuff_loop: CuffLoopThread) -> None:
    """The point of the thread: a caller's loop frozen for 0.5 s does not stop the cuff's timers."""
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    future = cuff_loop.submit(ticker())
    try:
        await asyncio.sleep(0.1)
        frozen_from = time.monotonic()
        time.sleep(0.5)  # noqa: ASYNC251 - deliberately: this loop cannot run a thing meanwhile
        during = [t for t in ticks if frozen_from < t < frozen_from + 0.5]
    finally:
        future.cancel()
    assert len(during) >= 5, f"only {len(during)} cuff ticks in 0.5 s of a blocked caller"


def test_a_call_after_the_loop_stopped_is_dropped_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    thread = CuffLoopThread()
    thread.start()
    assert thread.stop(5.0)
    with caplog.at_level(logging.WARNING, logger="gymtui.bfr.loop_thread"):
        thread.call(lambda: None)
    assert "cuff loop gone" in caplog.text


def _runner_on(cuff_loop: CuffLoopThread) -> tuple[CuffRunner, SimulatedCuff, list[CuffEvent]]:
    cuff = SimulatedCuff()
    supervisor = BfrSupervisor(validate_settings("arm", 180, 50), profile_max_mmhg=cuff.max_mmhg, clock=time.monotonic)
    records: list[CuffEvent] = []
    runner = CuffRunner(supervisor, cuff, records.append)
    cuff_loop.submit(runner.start()).result(5)
    return runner, cuff, records


def test_readings_from_another_thread_reach_the_supervisor_on_the_cuff_thread(cuff_loop: CuffLoopThread) -> None:
    runner, cuff, _ = _runner_on(cuff_loop)
    threads: list[str] = []
    pressure = runner.supervisor.pressure

    def noted(reading: object) -> list[CuffEvent]:
        threads.append(threading.current_thread().name)
        return pressure(reading)  # type: ignore[arg-type]

    runner.supervisor.pressure = noted  # type: ignore[method-assign]
    try:
        cuff.simulate_link_loss()  # a fault hook called from this (the test's) thread
        wait_until(lambda: not runner.view.link_ok, 5, "the supervisor to hear of the lost link")
        cuff.restore_link()
        wait_until(lambda: len(threads) >= 3, 5, "readings after the link came back")
        assert set(threads) == {"gymtui-cuff"}
    finally:
        cuff_loop.submit(runner.stop()).result(10)


def test_after_the_last_resort_only_deflates_reach_the_cuff(cuff_loop: CuffLoopThread) -> None:
    runner, cuff, _ = _runner_on(cuff_loop)
    try:
        cuff_loop.call(lambda: runner.handle(runner.supervisor.set_started("Dumbbell curl", PhaseKind.ISOMETRIC)))
        wait_until(lambda: runner.supervisor.state in (CuffState.INFLATING, CuffState.HOLDING), 5, "the cuff inflating")
        runner.emergency("SIGTERM")  # from this thread, as a signal handler would
        # The cuff's loop then asks for a new target (a late engine event): it must not go out.
        cuff_loop.call(runner.handle, [])  # after the emergency's own hand-over
        cuff_loop.call(runner._enqueue, CuffCommand(CuffCommandKind.TARGET, 90.0, "late phase"))
        cuff_loop.call(runner._enqueue, CuffCommand(CuffCommandKind.DEFLATE, 0.0, "late deflate"))
        wait_until(lambda: any(c.reason == "late deflate" for c in cuff.sent), 5, "the late deflate")
    finally:
        cuff_loop.submit(runner.stop()).result(10)
    first = next(i for i, c in enumerate(cuff.sent) if c.reason == "SIGTERM")
    assert cuff.sent[first].kind is CuffCommandKind.DEFLATE
    after = cuff.sent[first:]
    assert all(c.kind is CuffCommandKind.DEFLATE for c in after), after
    assert "late phase" not in [c.reason for c in after]


def test_where_permitted_the_cuff_thread_is_scheduled_ahead_of_the_app(cuff_loop: CuffLoopThread) -> None:
    if not hasattr(os, "setpriority") or os.geteuid() != 0:
        pytest.skip("only root (or CAP_SYS_NICE) may raise a thread's priority; elsewhere it runs at the app's")

    async def own_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert cuff_loop.priority_raised
    assert cuff_loop.submit(own_nice()).result(5) == CUFF_THREAD_NICE
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == 0  # the app's own threads are untouched


def test_an_abort_seen_by_the_screen_deflates_even_while_the_cuff_thread_is_busy(cuff_loop: CuffLoopThread) -> None:
    """Esc and the set's end: the deflate goes on the wire from the screen's thread, not after the cuff's."""
    runner, cuff, _ = _runner_on(cuff_loop)
    try:
        cuff_loop.call(lambda: runner.handle(runner.supervisor.set_started("Dumbbell curl", PhaseKind.ISOMETRIC)))
        wait_until(lambda: runner.supervisor.state in (CuffState.INFLATING, CuffState.HOLDING), 5, "the cuff inflating")
        busy, free = threading.Event(), threading.Event()
        release = threading.Event()
        cuff_loop.call(lambda: (busy.set(), release.wait(10), free.set()))  # the cuff's thread is busy until released
        assert busy.wait(5)
        runner.deflate_ahead("Esc: set aborted")
        assert cuff.sent[-1].kind is CuffCommandKind.DEFLATE and cuff.sent[-1].reason == "Esc: set aborted"
        assert not free.is_set(), "the deflate waited for the cuff's thread"
        release.set()
        cuff_loop.call(lambda: runner.handle(runner.supervisor.abort()))  # the supervisor hears of it after
        wait_until(lambda: runner.supervisor.state in (CuffState.DEFLATING, CuffState.DEFLATED), 5, "the supervisor")
    finally:
        cuff_loop.submit(runner.stop()).result(10)


def test_while_the_cuff_loop_runs_a_thread_holding_the_interpreter_lets_go_within_1ms(cuff_loop: CuffLoopThread) -> None:
    import sys

    assert sys.getswitchinterval() <= SWITCH_INTERVAL_S
