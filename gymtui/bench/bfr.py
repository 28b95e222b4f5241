"""BFR figures: what the safety supervisor costs per reading, and how fast the cuff loop simulates.

The supervisor runs on the app's event loop for every pressure notification
(20 Hz per cuff) and every tick (4 Hz); its cost must stay negligible next
to a 33 ms UI frame: ``bfr_supervisor_cpu_us_per_reading`` is the thread's
CPU time (``time.thread_time``) per reading, a tick every fifth. The closed loop (supervisor ⇄ codec ⇄ firmware ⇄
physics) is what the property tests and ``gymtui cuff simulate`` run:
``bfr_closed_loop_x_realtime`` is simulated seconds per wall second.
"""

from __future__ import annotations

import time
from typing import Any


def run(report: dict[str, Any], quick: bool) -> None:
    from gymtui.bfr.rules import validate_settings
    from gymtui.bfr.supervisor import BfrSupervisor
    from gymtui.model import LinkHealth, LinkState, PhaseKind, PressureReading
    from gymtui.sim.cuff_loop import ClosedLoop, FakeClock

    # Supervisor alone: readings around a held target, with ticks, as in a set.
    n = 20_000 if quick else 200_000
    clock = FakeClock()
    sup = BfrSupervisor(validate_settings("arm", 180, 50), profile_max_mmhg=300, clock=clock)
    sup.link_changed(LinkHealth(LinkState.CONNECTED))
    sup.set_started("Curl")
    readings = [PressureReading(0.0, 90.0 + 0.3 * ((i * 7919) % 11 - 5), 0) for i in range(1000)]
    start = time.thread_time()  # CPU time of this thread: a busy neighbour does not inflate it
    for i in range(n):
        clock.t += 0.05
        sup.pressure(readings[i % 1000])
        if i % 5 == 0:
            sup.tick()
    elapsed = time.thread_time() - start
    report["bfr_supervisor_cpu_us_per_reading"] = round(elapsed / n * 1e6, 2)

    # Closed loop: simulated seconds per wall second (wall: it is how long a simulation takes).
    sim_s = 60.0 if quick else 600.0
    loop = ClosedLoop(settings=validate_settings("leg", 200, 70, rest_deflate=False))
    loop.apply(loop.sup.set_started("Leg press"))
    loop.apply(loop.sup.phase_changed(PhaseKind.ISOMETRIC))
    start = time.perf_counter()
    loop.run(sim_s)
    elapsed = time.perf_counter() - start
    report["bfr_closed_loop_x_realtime"] = round(sim_s / elapsed, 1)
