"""The app's cuff, assembled: cuff adapter + BFR supervisor + runner + process safety.

Everything here is wiring; the rules live in :mod:`gymtui.bfr` and nowhere
else. :class:`CuffRig` builds the parts in the right order (the cuff's own
event log on its own thread and connection, the process-level deflate
registered before the first inflation), and gives the app four verbs: start,
follow the engine, pause/resume, stop. No Textual here.

Nothing on the way to a deflate touches the database: the runner queues the
command first and hands the records to :class:`~gymtui.cuff_log.CuffEventLog`,
which writes them when the database lets it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gymtui.adapters.base import Cuff
from gymtui.bfr import BfrLimits, BfrSettings, BfrSupervisor, CuffEvent, CuffView, stricter_or_default
from gymtui.cuff_log import CuffEventLog
from gymtui.cuff_runner import CuffRunner
from gymtui.safety import ProcessSafety
from gymtui.session.engine import Event, SetAborted
from gymtui.session.protocol import SetProtocol
from gymtui.store import Store

log = logging.getLogger(__name__)

LOG_CLOSE_S = 2.0
"""At quit the cuff is already down: give its last records this long to reach the database."""

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
        db_path: Path,
        safety: ProcessSafety,
        clock: Callable[[], float],
        speed: float,
        target: CuffTarget,
        prior_session_s: float = 0.0,
        limits: BfrLimits | None = None,
    ) -> None:
        self.cuff = cuff
        self.supervisor = BfrSupervisor(
            settings,
            profile_max_mmhg=cuff.max_mmhg,
            clock=clock,
            prior_session_s=prior_session_s,
            limits=stricter_or_default(limits),
        )
        self.event_log = CuffEventLog(
            lambda: Store(db_path), set_id=target.set_id, session_id=target.session_id
        )
        self.runner = CuffRunner(self.supervisor, cuff, self.event_log.put, speed=speed)
        self.safety = safety

    @staticmethod
    def prior_session_seconds(store: Store) -> float:
        since = (dt.datetime.now().astimezone() - SESSION_WINDOW).isoformat(timespec="milliseconds")
        return store.cuff_occlusion_s(since=since)

    async def start(self) -> None:
        """Arm the process-level deflate first, then connect the cuff."""
        self.safety.add(self.runner.emergency)
        self.safety.add_flusher(self.event_log.close)
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

    async def stop(self) -> None:
        """The quit path: deflate, wait for the cuff to be measured down, disconnect, disarm."""
        try:
            await self.runner.stop()
        finally:
            self.safety.remove(self.runner.emergency)
            self.safety.remove_flusher(self.event_log.close)
            await asyncio.to_thread(self.event_log.close, LOG_CLOSE_S)
