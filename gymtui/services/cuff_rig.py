"""The app's cuff, assembled: cuff adapter + BFR supervisor + runner + process safety.

Everything here is wiring; the rules live in :mod:`gymtui.bfr.supervisor` and nowhere
else. :meth:`CuffRig.build` makes the parts in the right order: the cuff's
own loop on its own thread (:mod:`gymtui.bfr.loop_thread`), the cuff made on
that loop, the cuff's event log on its own thread and connection, and the
process-level deflate registered before the first inflation. The app then
has a few verbs: start, follow the engine, pause/resume, configure, stop.
No Textual here.

The verbs never wait: each hands its work to the cuff's loop and returns, so
a slow frame in the UI cannot hold back a cap, a reading or a deflate that
the cuff's loop is due to send. The UI reads :meth:`CuffRig.view`, the view
the cuff's loop last published, and never touches the supervisor itself.

Nothing on the way to a deflate touches the database: the runner queues the
command first and hands the records to :class:`~gymtui.services.cuff_log.CuffEventLog`,
which writes them when the database lets it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gymtui.bfr.events import CuffEvent, CuffView
from gymtui.bfr.loop_thread import CuffLoopThread
from gymtui.bfr.rules import BfrLimits, BfrSettings, stricter_or_default
from gymtui.bfr.runner import CuffRunner
from gymtui.bfr.safety import ProcessSafety
from gymtui.bfr.supervisor import ESC_ABORT_REASON, SET_DONE_REASON, BfrSupervisor
from gymtui.device_api import Cuff
from gymtui.services.cuff_log import CuffEventLog
from gymtui.session.engine import Event, SetAborted, SetFinished
from gymtui.session.protocol import SetProtocol
from gymtui.store import Store

log = logging.getLogger(__name__)

LOG_CLOSE_S = 2.0
"""At quit the cuff is already down: give its last records this long to reach the database."""

STOP_MARGIN_S = 10.0
"""Beyond the deflate's own confirm time, how long the quit path waits for the runner to stop (flush, disconnect)."""
CLOSE_S = 5.0
"""How long each closer (the BLE link, the emulated cuff's world) may take at quit before it is left behind."""

SESSION_WINDOW = dt.timedelta(hours=2)
"""Cuff time in the last two hours counts toward this session's cap after a restart."""


@dataclass
class CuffTarget:
    """Where cuff events are filed: the set and session running now (None between sets)."""

    set_id: Callable[[], int | None] = lambda: None
    session_id: Callable[[], int | None] = lambda: None


class CuffRig:
    """One cuff under the supervisor on its own loop, logged to ``cuff_events``, deflated on every way out."""

    def __init__(
        self,
        cuff: Cuff,
        settings: BfrSettings,
        *,
        thread: CuffLoopThread,
        db_path: Path,
        safety: ProcessSafety,
        clock: Callable[[], float],
        speed: float,
        target: CuffTarget,
        prior_session_s: float = 0.0,
        limits: BfrLimits | None = None,
    ) -> None:
        """Use :meth:`build`: ``cuff`` must belong to ``thread``'s loop, which must be running."""
        self.cuff = cuff
        self.thread = thread
        self.clock = clock
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
        self.taps: list[Callable[[CuffEvent], None]] = []
        """Who hears of each record after its command was queued and it was logged (on the cuff's thread;
        each must only hand it on, as :meth:`gymtui.ui.controllers.lsl.LslController.cuff_record` does)."""
        self.runner = CuffRunner(self.supervisor, cuff, self._record, speed=speed)
        self.safety = safety
        self._closers: list[Callable[[], Awaitable[object]]] = []

    @classmethod
    async def build(
        cls, make_cuff: Callable[[], Coroutine[Any, Any, Cuff]], settings: BfrSettings, **parts: Any
    ) -> CuffRig:
        """Start the cuff's loop, make the cuff on it (a BLE client belongs to the loop that made it), assemble."""
        thread = CuffLoopThread()
        await asyncio.to_thread(thread.start)
        try:
            cuff = await thread.run(make_cuff())
            return cls(cuff, settings, thread=thread, **parts)
        except BaseException:
            await asyncio.to_thread(thread.stop)
            raise

    @staticmethod
    def prior_session_seconds(store: Store) -> float:
        since = (dt.datetime.now().astimezone() - SESSION_WINDOW).isoformat(timespec="milliseconds")
        return store.cuff_occlusion_s(since=since)

    async def start(self) -> None:
        """Arm the process-level deflate first, then connect the cuff (on its loop)."""
        self.safety.add(self.runner.emergency)
        self.safety.add_flusher(self.event_log.close)
        await self.thread.run(self.runner.start())

    def add_closer(self, close: Callable[[], Awaitable[object]]) -> None:
        """Something made with the cuff on its loop (an emulated peripheral) to close there after the cuff stops."""
        self._closers.append(close)

    # -- the verbs: each hands its work to the cuff's loop and returns -------------------
    def set_started(self, protocol: SetProtocol, *, bfr: bool) -> None:
        """A set starts; ``bfr`` says whether it is a BFR set (only those inflate the cuff)."""
        self.thread.call(functools.partial(self.runner.set_started, protocol, bfr=bfr))

    def follow(self, events: Iterable[Event], *, abort_reason: str | None = None) -> None:
        """Feed the engine's events; ``abort_reason`` says why a set was aborted (default: Esc).

        An abort or the set's end goes out as a deflate from the caller's thread
        first (:meth:`CuffRunner.deflate_ahead`), so a busy screen thread does not
        also wait for the cuff's thread to be scheduled before the valve opens.
        """
        events = list(events)
        for event in events:
            if isinstance(event, SetAborted):
                self.runner.deflate_ahead(abort_reason or ESC_ABORT_REASON)
                break
            if isinstance(event, SetFinished):
                self.runner.deflate_ahead(SET_DONE_REASON)
                break
        self.thread.call(self._follow, events, abort_reason)

    @property
    def can_drop_link(self) -> bool:
        """Whether the cuff is the demo's simulated one, whose link a key can drop (no real cuff ever can)."""
        return callable(getattr(self.cuff, "simulate_link_loss", None))

    def drop_link(self) -> None:
        """Demo ``ctrl+k``: the simulated cuff's radio link drops, as a real one can mid-set (the alarm, the deflate)."""
        drop = getattr(self.cuff, "simulate_link_loss", None)
        if callable(drop):
            self.thread.call(drop)

    def paused(self) -> None:
        self.thread.call(self._handle, self.supervisor.paused)

    def rest_moved(self, ends_at_s: float) -> None:
        """The running rest's end moved (+/- at the rack): the supervisor's due end for it follows."""
        self.thread.call(self.runner.phase_end_moved, ends_at_s)

    def resumed(self) -> None:
        self.thread.call(self._handle, self.supervisor.resumed)

    def configure(self, settings: BfrSettings) -> None:
        self.thread.call(self._handle, lambda: self.supervisor.configure(settings))

    def view(self) -> CuffView:
        """The view the cuff's loop last published (at most one tick old)."""
        return self.runner.view

    async def fresh_view(self) -> tuple[float, CuffView]:
        """The clock and the supervisor's view, read together on the cuff's loop."""

        async def read() -> tuple[float, CuffView]:
            return self.clock(), self.supervisor.view()

        return await self.thread.run(read())

    async def stop(self) -> None:
        """The quit path: deflate, wait for the cuff to be measured down, disconnect, disarm, end the loop."""
        # Every wait here is bounded: the deflate is already written first thing
        # in runner.stop; a link or a world that never finishes closing must
        # not keep the app from exiting (the cuff's own watchdog covers a link
        # left open).
        stop_s = self.supervisor.limits.deflate_confirm_s / self.runner.speed + STOP_MARGIN_S
        try:
            try:
                await self.thread.run(asyncio.wait_for(self.runner.stop(), stop_s))
            except TimeoutError:
                log.error("the cuff runner did not stop within %.1f s; leaving it", stop_s)
            for close in self._closers:
                try:
                    await self.thread.run(asyncio.wait_for(_awaited(close), CLOSE_S))
                except TimeoutError:
                    log.error("closing %r took over %.1f s; left behind", close, CLOSE_S)
                except Exception:
                    log.exception("closing %r", close)
        finally:
            self.safety.remove(self.runner.emergency)
            self.safety.remove_flusher(self.event_log.close)
            await asyncio.to_thread(self.event_log.close, LOG_CLOSE_S)
            await asyncio.to_thread(self.thread.stop)

    # -- on the cuff's loop ---------------------------------------------------------------
    def _record(self, record: CuffEvent) -> None:
        """Log the record, then tell the taps (never raises: the runner's command is already queued)."""
        self.event_log.put(record)
        for tap in self.taps:
            try:
                tap(record)
            except Exception:
                log.exception("a cuff record's tap failed")

    def _follow(self, events: list[Event], abort_reason: str | None) -> None:
        if abort_reason is None:
            self.runner.follow(events)
            return
        for event in events:
            if isinstance(event, SetAborted):
                self.runner.handle(self.supervisor.abort(abort_reason))
            else:
                self.runner.follow([event])

    def _handle(self, records: Callable[[], Iterable[CuffEvent]]) -> None:
        self.runner.handle(records())

async def _awaited(close: Callable[[], Awaitable[object]]) -> None:
    await close()
