"""Runs a cuff under the BFR supervisor on the asyncio loop.

The supervisor is pure; something has to carry its commands to a cuff, its
records to the log and the cuff's readings back. That is this class, and
nothing else: the app calls the supervisor's event methods through
:meth:`CuffRunner.handle` (``runner.handle(runner.supervisor.abort())``) and
reads :meth:`BfrSupervisor.view` for the panel.

The cuff comes first. For every batch of records the commands are queued
before any record is logged, and logging is a hand-over to a sink that never
blocks (:class:`gymtui.services.cuff_log.CuffEventLog`): a database locked by another
program, a full disk or a dead store thread cannot delay a deflate.

- Commands go out in order through one sender task. A deflate drops any
  not-yet-sent target commands queued before it (they are obsolete and
  would only delay it) and every write has a 1 s timeout.
- A tick task calls :meth:`BfrSupervisor.tick` every
  :data:`gymtui.bfr.rules.TICK_INTERVAL_S` of supervisor time.
- :meth:`emergency` is the synchronous last-resort path for
  :mod:`gymtui.bfr.safety`, callable from any thread: it writes the deflate
  through the cuff's synchronous ``send_now`` if it has one (the simulated
  cuff does; a BLE cuff gets it through the sender, and its link-loss rule
  deflates it if the process is gone), latches the runner so that no
  command but a deflate goes out after it, and only then asks the
  supervisor for its way-out records and hands them to the log.
- The runner belongs to the loop :meth:`start` ran on (in the app, the cuff's
  own thread: :mod:`gymtui.bfr.loop_thread`). A cuff that calls back from another
  thread (a test's fault hook, a driver thread) is handed over to that loop,
  so the supervisor only ever runs on one thread, apart from the last resort.
- :attr:`view` is the supervisor's panel view, refreshed on that loop after
  every batch and tick, for a UI on another thread to read without touching
  the supervisor.

No Textual here: tests and ``python -c`` scripts run it on a bare loop.

Wiring in the app (see :class:`gymtui.services.cuff_rig.CuffRig`)::

    log = CuffEventLog(lambda: Store(db_path), set_id=..., session_id=...)
    runner = CuffRunner(supervisor, cuff, log.put, speed=speed)
    await runner.start()
    safety.add(runner.emergency)

    runner.set_started(protocol); runner.follow(engine.start())          # Enter
    runner.follow(engine.tick())                                          # every engine tick / advance / abort
    panel.view = supervisor.view()                                        # a few times a second
    await runner.stop()                                                   # q: deflates, waits for it, disconnects
    log.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable

from gymtui.bfr.events import CuffEvent, CuffState, CuffView
from gymtui.bfr.rules import TICK_INTERVAL_S
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.device_api import AdapterError, Cuff
from gymtui.model import CuffCommand, CuffCommandKind, LinkHealth, PressureReading
from gymtui.session.engine import Event as EngineEvent
from gymtui.session.engine import PhaseStarted, SetAborted, SetFinished
from gymtui.session.protocol import SetProtocol

log = logging.getLogger(__name__)

RecordSink = Callable[[CuffEvent], None]
SEND_TIMEOUT_S = 1.0


class CuffRunner:
    """Carries supervisor records to the log and commands to the cuff."""

    def __init__(
        self,
        supervisor: BfrSupervisor,
        cuff: Cuff,
        on_record: RecordSink,
        *,
        tick_interval_s: float = TICK_INTERVAL_S,
        speed: float = 1.0,
        on_send_error: Callable[[CuffCommand, Exception], None] | None = None,
    ) -> None:
        """``on_record`` receives every record after its command is queued; it must
        not block (hand it to another thread, as :class:`~gymtui.services.cuff_log.CuffEventLog` does)."""
        self.supervisor = supervisor
        self.cuff = cuff
        self._on_record = on_record
        self._tick_wall_s = tick_interval_s / speed
        self._on_send_error = on_send_error
        self._queue: asyncio.Queue[CuffCommand] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._speed = speed
        self._quiet_disconnect = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._latched = False
        self._protocol: SetProtocol | None = None
        self.view: CuffView = supervisor.view()
        """The supervisor's view as of the last batch or tick (read it from any thread)."""

    async def start(self, connect_timeout_s: float = 10.0) -> None:
        """Connect the cuff and start readings, ticks and the sender, on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._queue = asyncio.Queue()
        self._tasks.append(asyncio.create_task(self._sender(), name="cuff-sender"))
        await self.cuff.connect(connect_timeout_s)
        await self.cuff.start(self._on_pressure, self._on_health)
        self._tasks.append(asyncio.create_task(self._ticker(), name="cuff-ticks"))

    @property
    def speed(self) -> float:
        """How much faster than the wall the cuff's set clock runs (1 on the gym floor)."""
        return self._speed

    async def stop(self) -> None:
        """Quit path: deflate, wait (up to the confirm time) until the cuff is down, then disconnect.

        A clean quit with a confirmed-deflated cuff disconnects quietly; if the
        cuff is not confirmed down, the disconnect reaches the supervisor as a
        lost link and raises the release-by-hand alarm, as it should.
        """
        if not self._tasks:
            return  # already stopped
        self.handle(self.supervisor.quit())
        await self.flush()
        deadline = asyncio.get_running_loop().time() + self.supervisor.limits.deflate_confirm_s / self._speed
        while self.supervisor.state is CuffState.DEFLATING and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        self._quiet_disconnect = self.supervisor.state is CuffState.DEFLATED
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        with contextlib.suppress(AdapterError):
            await self.cuff.disconnect()

    async def flush(self, timeout_s: float = 2.0) -> None:
        """Wait until every queued command has been written (or failed)."""
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout_s)

    def handle(self, records: Iterable[CuffEvent]) -> list[CuffEvent]:
        """Queue every command, then log every record. Returns the records (for alarms in the UI)."""
        records = list(records)
        for record in records:
            if record.command is not None:
                self._enqueue(record.command)
        self._log(records)
        self._publish_view()
        return records

    # -- following the session engine ----------------------------------------------------
    def set_started(self, protocol: SetProtocol, *, bfr: bool = True) -> list[CuffEvent]:
        """Call right after ``SetEngine.start()``: the cuff inflates during the lead-in
        (or at the first work phase, if the set opens with an MVC calibration).
        ``bfr=False``: not a BFR set, the cuff stays down for all of it."""
        first = protocol.phases[0].kind if protocol.phases else None
        self._protocol = protocol
        return self.handle(self.supervisor.set_started(protocol.exercise, first, bfr=bfr))

    def follow(self, events: Iterable[EngineEvent]) -> list[CuffEvent]:
        """Feed every event the engine returned (``start``/``tick``/``advance``/``abort``):
        a phase start inflates or rests the cuff, the set's end or an abort deflates it.

        A timed phase's due end goes with its start, with what follows it, so the
        supervisor brings the cuff down at that end on this loop's own timer,
        not when the screen's next tick says the phase is over."""
        records: list[CuffEvent] = []
        for event in events:
            if isinstance(event, PhaseStarted):
                phases = self._protocol.phases if self._protocol is not None else ()
                duration_s = event.phase.duration_s
                records += self.handle(
                    self.supervisor.phase_changed(
                        event.phase.kind,
                        at_s=event.at_s,
                        ends_at_s=None if duration_s is None else event.at_s + duration_s,
                        next_kind=phases[event.index + 1].kind if event.index + 1 < len(phases) else None,
                        last=event.index == len(phases) - 1,
                    )
                )
            elif isinstance(event, SetFinished):
                records += self.handle(self.supervisor.set_ended())
            elif isinstance(event, SetAborted):
                records += self.handle(self.supervisor.abort())
        return records

    def phase_end_moved(self, ends_at_s: float) -> list[CuffEvent]:
        """The running rest was made longer or shorter: the supervisor's due end follows it."""
        return self.handle(self.supervisor.phase_end_moved(ends_at_s))

    def emergency(self, reason: str) -> None:
        """Synchronous last resort (signal, atexit, crash), from any thread: deflate now, log it. Never raises.

        Register it with :meth:`gymtui.bfr.safety.ProcessSafety.add`. After it, only
        deflates reach the cuff: a target the runner's loop was about to send
        when this fired is dropped, and a second deflate follows on that loop
        in case one slipped through between its check and the wire.
        """
        self._latched = True
        command = CuffCommand(CuffCommandKind.DEFLATE, 0.0, reason)
        send_now = getattr(self.cuff, "send_now", None)
        if send_now is not None:
            with contextlib.suppress(Exception):
                send_now(command)  # synchronous: on the wire before anything else happens
        try:
            records = self.supervisor.last_resort(reason)
        except Exception:
            log.exception("supervisor failed in the emergency path")
            records = []
        with contextlib.suppress(Exception):
            self._on_loop(self._enqueue, command)  # BLE: the sender's way; simulated: the second deflate
        self._log(records)

    def deflate_ahead(self, reason: str) -> None:
        """A way out another thread saw first (the screen's Esc, the set's end): the deflate now, from here.

        The supervisor runs on the runner's loop and hears of the way out a moment
        later, through the same hand-over as every engine event; this puts the
        deflate on the wire before that moment, through the cuff's synchronous
        ``send_now`` where it has one (a BLE cuff has none: its deflate goes out on
        the runner's loop, the next thing it does). Never raises; logs nothing (the
        supervisor's own record of the way out follows).
        """
        send_now = getattr(self.cuff, "send_now", None)
        if send_now is None or self._loop is None or threading.get_ident() == self._loop_thread:
            return
        with contextlib.suppress(Exception):
            send_now(CuffCommand(CuffCommandKind.DEFLATE, 0.0, reason))

    # -- internals ------------------------------------------------------------------
    def _log(self, records: list[CuffEvent]) -> None:
        for record in records:
            try:
                self._on_record(record)
            except Exception:  # the log must never stop the cuff
                log.exception("could not log cuff event %s", record.kind)

    def _publish_view(self) -> None:
        try:
            self.view = self.supervisor.view()
        except Exception:  # the panel must never stop the cuff
            log.exception("supervisor view failed")

    def _on_loop(self, fn: Callable[..., object], *args: object) -> None:
        """Run on the runner's loop: now if this is its thread, else as its next callback."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            fn(*args)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def _on_pressure(self, reading: PressureReading) -> None:
        self._on_loop(self._pressure_arrived, reading)

    def _pressure_arrived(self, reading: PressureReading) -> None:
        self.handle(self.supervisor.pressure(reading))

    def _on_health(self, health: LinkHealth) -> None:
        self._on_loop(self._health_changed, health)

    def _health_changed(self, health: LinkHealth) -> None:
        if self._quiet_disconnect:
            return  # our own disconnect after a confirmed deflate
        self.handle(self.supervisor.link_changed(health))

    def _enqueue(self, command: CuffCommand) -> None:
        if self._queue is None:
            return
        if self._latched and command.kind is not CuffCommandKind.DEFLATE:
            log.warning("cuff %s %.0f mmHg dropped: the last-resort deflate has fired", command.kind, command.target_mmhg)
            return
        if command.kind is CuffCommandKind.DEFLATE:
            while not self._queue.empty():  # obsolete targets must not delay a deflate
                self._queue.get_nowait()
                self._queue.task_done()
            send_now = getattr(self.cuff, "send_now", None)
            if send_now is not None:
                # A cuff that can take a command synchronously gets the deflate now, not
                # after whatever else the loop has queued (a screen change, a redraw).
                try:
                    send_now(command)
                except (AdapterError, OSError) as exc:
                    self._send_failed(command, exc)
                return
        self._queue.put_nowait(command)

    def _send_failed(self, command: CuffCommand, exc: Exception) -> None:
        log.warning("cuff command %s failed: %s", command.kind, exc)
        if self._on_send_error:
            self._on_send_error(command, exc)

    async def _sender(self) -> None:
        assert self._queue is not None
        while True:
            command = await self._queue.get()
            if self._latched and command.kind is not CuffCommandKind.DEFLATE:
                self._queue.task_done()
                continue
            try:
                await asyncio.wait_for(self.cuff.send(command), SEND_TIMEOUT_S)
            except (AdapterError, TimeoutError, OSError) as exc:
                self._send_failed(command, exc)
            finally:
                self._queue.task_done()

    async def _ticker(self) -> None:
        while True:
            wait_s = self._tick_wall_s
            deadline = self.supervisor.next_deadline_s()
            if deadline is not None:
                # Wake at the cap itself (a hair after, so it has passed), not at the next tick.
                # A deadline already past (the cuff still reads up while it deflates) changes nothing.
                until_s = (deadline - self.supervisor.now()) / self._speed
                if until_s > 0:
                    wait_s = min(wait_s, until_s + 0.001)
            await asyncio.sleep(wait_s)
            self.handle(self.supervisor.tick())
