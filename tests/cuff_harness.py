"""What the cuff adapter tests share, simulated or over emulated BLE.

They run the cuff, the BFR supervisor and the runner on one
:class:`gymtui.session.clock.ScaledClock` (the demo's clock), so a 15 s hold
takes 15/speed wall seconds, and wait for what the athlete would see within a
budget of *simulated* seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from waiting import describe, wait_until_async

from gymtui.bfr.events import CuffEvent
from gymtui.bfr.rules import BfrSettings
from gymtui.bfr.runner import CuffRunner
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.device_api import Cuff

__all__ = ["supervised", "waiter"]


def waiter(speed: float, *, slack_s: float, poll_s: float) -> Callable[[Callable[[], bool], float], Awaitable[None]]:
    """``until(predicate, sim_seconds)``: poll every ``poll_s`` wall seconds until ``predicate()``
    holds, failing after ``sim_seconds`` of simulated time plus ``slack_s`` wall seconds
    (the loop, the radio emulation, a busy CI machine)."""

    async def until(predicate: Callable[[], bool], sim_seconds: float) -> None:
        what = f"{describe(predicate)} (within {sim_seconds:g} simulated s)"
        await wait_until_async(predicate, sim_seconds / speed + slack_s, what, poll_s=poll_s)

    return until


@contextlib.asynccontextmanager
async def supervised(
    cuff: Cuff, settings: BfrSettings, *, clock: Callable[[], float], speed: float
) -> AsyncIterator[tuple[CuffRunner, BfrSupervisor, list[CuffEvent]]]:
    """``cuff`` under a supervisor and a started runner, as the app runs it; yields
    ``(runner, supervisor, records)`` with every record the runner logged, and stops the runner after."""
    supervisor = BfrSupervisor(settings, profile_max_mmhg=cuff.max_mmhg, clock=clock)
    records: list[CuffEvent] = []
    runner = CuffRunner(supervisor, cuff, records.append, speed=speed)
    await runner.start()
    try:
        yield runner, supervisor, records
    finally:
        await runner.stop()
