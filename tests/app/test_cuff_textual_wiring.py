"""The cuff wired into a Textual app the way the lead will: runner on Textual's loop, panel, Esc, SIGTERM.

A small host app, not gymtui's: it proves the recommended wiring (CuffRunner
started in on_mount, the panel refreshed from supervisor.view(), safety
installed on Textual's running loop) works under Textual's event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import ClassVar

from textual.app import App, ComposeResult

from gymtui.bfr.events import CuffEvent, CuffState
from gymtui.bfr.rules import validate_settings
from gymtui.bfr.runner import CuffRunner
from gymtui.bfr.safety import ProcessSafety
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.model import PhaseKind
from gymtui.sim.simulated_cuff import SimulatedCuff
from gymtui.ui.widgets.cuff_panel import CuffPanel

SPEED = 20.0


class CuffHost(App):
    BINDINGS: ClassVar[list[tuple[str, str, str]]] = [("escape", "abort", "Abort")]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[CuffEvent] = []
        self.safety = ProcessSafety()
        self.signalled: list[int] = []

    def compose(self) -> ComposeResult:
        yield CuffPanel()

    async def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        clock = lambda: (loop.time() - t0) * SPEED
        self.cuff = SimulatedCuff(speed=SPEED, clock=clock)
        self.sup = BfrSupervisor(validate_settings("arm", 180, 50), profile_max_mmhg=self.cuff.max_mmhg, clock=clock)
        self.runner = CuffRunner(self.sup, self.cuff, self.records.append, speed=SPEED)
        await self.runner.start()
        self.safety.add(self.runner.emergency)
        self.safety.install(loop=loop, on_signal=self._on_signal, signals=(signal.SIGTERM,))
        self.panel = self.query_one(CuffPanel)
        self.refresh_timer = self.set_interval(0.02, self._refresh_panel)

    def _on_signal(self, signum: int) -> None:
        self.signalled.append(signum)
        self.exit(return_code=128 + signum)

    def _refresh_panel(self) -> None:
        if self.panel.is_mounted:
            self.panel.view = self.sup.view()

    def action_abort(self) -> None:
        self.runner.handle(self.sup.abort())

    async def on_unmount(self) -> None:
        self.refresh_timer.stop()  # the panel goes before the runner has finished deflating
        await self.runner.stop()
        self.safety.remove(self.runner.emergency)
        self.safety.uninstall()


async def wait_for(predicate, wall_s: float = 10.0) -> None:
    """Poll until ``predicate`` holds, up to ``wall_s`` of wall time (a deadline, not a count of sleeps:
    on a busy machine each sleep runs long). How fast the cuff reacts is timed in tests/e2e/test_cuff_ways_out.py."""
    deadline = time.monotonic() + wall_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {wall_s:g} s")
        await asyncio.sleep(0.01)


async def test_esc_in_a_textual_app_deflates_and_the_panel_follows():
    app = CuffHost()
    async with app.run_test(size=(70, 14)) as pilot:
        await wait_for(lambda: app.sup.view().link_ok)  # a set started before the cuff says connected is refused
        app.runner.handle(app.sup.set_started("Curl"))
        app.runner.handle(app.sup.phase_changed(PhaseKind.ISOMETRIC))
        panel = app.query_one(CuffPanel)
        await wait_for(lambda: panel.has_class("-holding"))
        await pilot.press("escape")
        await wait_for(lambda: app.cuff.physics.true_mmhg < 10)
        await wait_for(lambda: panel.has_class("-deflated"))
        assert any(r.reason == "Esc: set aborted" and r.command for r in app.records)


async def test_sigterm_to_a_textual_app_deflates_before_it_exits():
    app = CuffHost()
    async with app.run_test(size=(70, 14)):
        await wait_for(lambda: app.sup.view().link_ok)
        app.runner.handle(app.sup.set_started("Curl"))
        await wait_for(lambda: app.sup.state is CuffState.HOLDING)
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(lambda: bool(app.signalled))
        assert any(c.reason == "signal SIGTERM" for c in app.cuff.sent)  # written synchronously, before exit
        assert any(r.reason == "signal SIGTERM" and r.command for r in app.records)
    assert app.return_code == 128 + signal.SIGTERM
