"""The app's cuff, assembled: cuff adapter + BFR supervisor + runner + process safety.

Everything here is wiring; the rules live in :mod:`gymtui.bfr` and nowhere
else. :class:`CuffRig` builds the parts in the right order (a second store
connection for the emergency log, the process-level deflate registered
before the first inflation), and gives the app four verbs: start, follow the
engine, pause/resume, stop. No Textual here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gymtui.adapters.base import Cuff
from gymtui.bfr import BfrSettings, BfrSupervisor, CuffEvent, CuffView
from gymtui.cuff_runner import CuffRunner, store_record_sink
from gymtui.safety import ProcessSafety
from gymtui.session.engine import Event, SetAborted
from gymtui.session.protocol import SetProtocol
from gymtui.store import Store, StoreExecutor

log = logging.getLogger(__name__)

SESSION_WINDOW = dt.timedelta(hours=2)
"""Cuff time in the last two hours counts toward this session's cap after a restart."""


@dataclass
class CuffTarget:
    """Where cuff events are filed: the set and session running now (None between sets)."""

    set_id: Callable[[], int | None] = lambda: None
    session_id: Callable[[], int | None] = lambda: None


class CuffRig:
    """One cuff under the supervisor, logged to ``cuff_events``, deflated on every way out."""

    def __init__(
        self,
        cuff: Cuff,
        settings: BfrSettings,
        *,
        store: StoreExecutor,
        db_path: Path,
        clock: Callable[[], float],
        speed: float,
        target: CuffTarget,
        prior_session_s: float = 0.0,
    ) -> None:
        self.cuff = cuff
        self.supervisor = BfrSupervisor(
            settings, profile_max_mmhg=cuff.max_mmhg, clock=clock, prior_session_s=prior_session_s
        )
        log_record = store_record_sink(store.store, set_id=target.set_id, session_id=target.session_id)
        # After a signal the process may die before a queued write runs: the
        # emergency log writes synchronously through its own connection (WAL).
        self._emergency_store = Store(db_path)
        emergency = store_record_sink(self._emergency_store, set_id=target.set_id, session_id=target.session_id)
        self.runner = CuffRunner(
            self.supervisor,
            cuff,
            lambda record: store.submit(log_record, record),
            speed=speed,
            emergency_record=emergency,
        )
        self.safety = ProcessSafety()

    @staticmethod
    def prior_session_seconds(store: Store) -> float:
        since = (dt.datetime.now().astimezone() - SESSION_WINDOW).isoformat(timespec="milliseconds")
        return store.cuff_occlusion_s(since=since)

    async def start(self, *, loop: Any, on_signal: Callable[[int], None]) -> None:
        """Arm the process-level deflate first, then connect the cuff."""
        self.safety.add(self.runner.emergency)
        self.safety.install(loop=loop, on_signal=on_signal)
        await self.runner.start()

    def set_started(self, protocol: SetProtocol) -> list[CuffEvent]:
        return self.runner.set_started(protocol)

    def follow(self, events: Iterable[Event], *, abort_reason: str | None = None) -> list[CuffEvent]:
        """Feed the engine's events; ``abort_reason`` says why a set was aborted (default: Esc)."""
        events = list(events)
        if abort_reason is None:
            return self.runner.follow(events)
        records: list[CuffEvent] = []
        for event in events:
            if isinstance(event, SetAborted):
                records += self.runner.handle(self.supervisor.abort(abort_reason))
            else:
                records += self.runner.follow([event])
        return records

    def paused(self) -> list[CuffEvent]:
        return self.runner.handle(self.supervisor.paused())

    def resumed(self) -> list[CuffEvent]:
        return self.runner.handle(self.supervisor.resumed())

    def configure(self, settings: BfrSettings) -> list[CuffEvent]:
        return self.runner.handle(self.supervisor.configure(settings))

    def acknowledge(self) -> None:
        self.supervisor.acknowledge()

    def view(self) -> CuffView:
        return self.supervisor.view()

    def fire(self, reason: str) -> None:
        """The app's exception path: deflate now, synchronously."""
        self.safety.fire(reason)

    async def stop(self) -> None:
        """The quit path: deflate, wait for the cuff to be measured down, disconnect, disarm."""
        try:
            await self.runner.stop()
        finally:
            self.safety.remove(self.runner.emergency)
            self.safety.uninstall()
            self._emergency_store.close()
