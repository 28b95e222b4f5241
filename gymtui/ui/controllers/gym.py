"""The gym controller: this rack on the gym's broker (``--gym URL --rack NAME``), publishing what it does.

Owned by :class:`gymtui.app.GymApp` as ``app.gym``; without ``--gym`` it
does nothing and nothing of MQTT is imported. The link itself
(:class:`gymtui.gym.rack_link.RackLink`) runs on its own threads; this
wires it to where the app's news arrives:

- **status** (QoS 0): a timer builds a :class:`~gymtui.gym.payloads.RackStatus`
  from what the screens show (the runner's view, the newest frame, the
  cuff's view) at :data:`STATUS_HZ` while a set runs and once a second
  otherwise, so a coach sees an idle rack is there;
- **events** (QoS 1 through the outbox): the set flow's start, its engine
  cues, its end with a one-line summary, the rating, and the cuff's alarms
  and inflations;
- **records** (QoS 1 through the outbox): each set once it has left the
  screen (all its writes queued), read on the store's thread, and again when
  its worker summary (reps) or a later rating lands: the hub upserts by UUID.

The cuff comes first: its records reach :meth:`cuff_record` on the cuff's
thread after their command was queued and logged, and are handed to the
app's loop from there (behind what the cuff's loop has queued already);
nothing of the link, the outbox or the store runs on the cuff's thread.

A broker that is away costs the rack nothing: status is dropped, events and
records wait in the outbox of the rack's own database and go when it is back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from typing import TYPE_CHECKING

from gymtui.bfr.events import AlarmLevel
from gymtui.bfr.events import EventKind as CuffEventKind
from gymtui.model import PhaseKind
from gymtui.session.engine import (
    Cue,
    Event,
    SetAborted,
    SetCompleted,
    SetFinished,
    Stage,
)
from gymtui.text import safe_text
from gymtui.ui.controllers.cuff_taps import hand_to_app_loop

if TYPE_CHECKING:
    from textual.timer import Timer

    from gymtui.app import GymApp
    from gymtui.bfr.events import CuffEvent
    from gymtui.gym.payloads import (
        ChannelLevel,
        CuffLevel,
        EventKind,
        RackStatus,
        Scalar,
    )
    from gymtui.gym.rack_link import LinkHealth, RackLink
    from gymtui.services.set_runner import SetRunner, SetSummaryReady

log = logging.getLogger(__name__)

STATUS_HZ = 5.0
"""Live status while a set runs: the coach's tiles and countdowns move at this rate, and never faster."""
STATUS_CHECK_S = 0.1
"""The timer looks twice per status period and sends once a whole period has passed: a late tick
never makes the next status follow it closely (the rate is a ceiling, not an average)."""
IDLE_STATUS_EVERY_S = 1.0
"""Between sets a status once a second: the coach sees the rack is there and what it offers."""
SETS_REMEMBERED = 200
"""Sets of this run whose later summary or rating re-sends them (older ones are long since complete)."""
CLOSE_WAIT_S = 2.0
"""The longest the app's exit waits for the link to say "offline" (an unreachable broker costs no more)."""


class GymController:
    """This rack's link to the gym, opened at start when ``--gym`` is given."""

    def __init__(self, app: GymApp) -> None:
        self.app = app
        self.link: RackLink | None = None
        """The broker link, once open (None: a rack alone, or the ``gym`` extra missing)."""
        self.health: LinkHealth | None = None
        """What the link said last (the home screen's gym line)."""
        self.status_seq = 0
        self._timer: Timer | None = None
        self._last_sent_s = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._set_uuid: str | None = None
        self._set_fields: dict[str, Scalar] = {}
        self._completed = False
        self._recorded: set[int] = set()
        """Sets whose record went out this run: a later summary or rating sends the set again."""
        self._unread: set[int] = set()
        """Sets whose record could not be read (the database away): they go with the next one."""

    @property
    def rack(self) -> str | None:
        return self.app.config.rack

    # -- opening and closing --------------------------------------------------------------
    def open(self) -> None:
        """Start the link (never waits on the network); a missing extra or an unusable outbox is one line."""
        app = self.app
        settings, rack = app.config.gym, app.config.rack
        if settings is None or rack is None:
            return
        from gymtui import __version__
        from gymtui.gym.connection import GymUnavailable, load_paho
        from gymtui.gym.rack_link import RackLink
        from gymtui.store.outbox import Outbox, OutboxError

        try:
            load_paho()
            outbox = Outbox.open(None if str(app.store.path) == ":memory:" else app.store.path)
        except (GymUnavailable, OutboxError) as exc:
            app.report_problem(f"Gym link off: {exc}", severity="warning", timeout=12)
            return
        self._loop = asyncio.get_running_loop()
        self.link = RackLink(settings, rack, outbox, on_health=self._health_from_thread, version=__version__)
        self.link.start()
        self._timer = app.set_interval(STATUS_CHECK_S, self._publish_status, name="gym-status")

    async def close(self) -> None:
        """Say "offline" and stop the link's threads, within :data:`CLOSE_WAIT_S` (off the app's loop)."""
        link, self.link = self.link, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if link is None:
            return
        try:
            await asyncio.wait_for(asyncio.to_thread(link.close, CLOSE_WAIT_S), CLOSE_WAIT_S + 1.0)
        except Exception:
            log.warning("gym: the link did not close in time", exc_info=True)

    def _health_from_thread(self, health: LinkHealth) -> None:
        """The link's threads: hand the news to the app's loop as a message."""
        from gymtui.ui.messages import GymLinkChanged

        self.app.post_message(GymLinkChanged(health))

    def health_changed(self, health: LinkHealth) -> None:
        self.health = health

    def line(self) -> str | None:
        """The home screen's gym line, None for a rack alone."""
        if self.app.config.gym is None:
            return None
        if self.health is None:
            return f"Gym: {self.rack} connecting…" if self.link is not None else None
        return self.health.line()

    # -- status ---------------------------------------------------------------------------
    def _publish_status(self) -> None:
        link = self.link
        if link is None or not link.connected:
            return
        runner = self.app.runner
        running = runner is not None and runner.engine.running
        now = time.monotonic()
        if now - self._last_sent_s < (1.0 / STATUS_HZ if running else IDLE_STATUS_EVERY_S):
            return
        self._last_sent_s = now
        try:
            status = self.status()
        except Exception:
            log.exception("gym: the rack's status could not be built")
            return
        link.status(status)

    def status(self) -> RackStatus:
        """What this rack's screens show now, as the coach's tile draws it."""
        from gymtui.gym.payloads import RackStatus

        app = self.app
        runner = app.runner
        self.status_seq += 1
        fields: dict[str, object] = {"athlete": app.athletes.name or None, "cuff": self._cuff_level()}
        planned = app.sets.planned
        if runner is not None and runner.engine.running:
            view = runner.engine.view()
            phase = view.phase
            resting = phase is not None and phase.kind is PhaseKind.REST
            lead_in = phase is None or view.stage is Stage.LEAD_IN
            fields.update(
                screen="rating" if app.rating_screen is not None else "rest" if resting else "set",
                exercise=runner.context.exercise,
                load_kg=runner.context.load_kg,
                # The count-in before a phase counts down to the phase, not within it.
                phase=f"Get ready: {phase.name}" if phase is not None and lead_in else phase.name if phase else "Get ready",
                phase_kind="lead_in" if lead_in else str(phase.kind) if phase is not None else None,
                countdown_s=view.remaining_s,
                channels=self._channels(runner),
            )
            if planned is not None and planned.exercise == runner.context.exercise:
                fields.update(set_n=planned.set_number, set_of=planned.of_sets)
        else:
            fields["screen"] = "rating" if app.rating_screen is not None else "home"
            home = app.home
            next_set = home.next_set if home is not None else None
            if next_set is not None:
                fields.update(exercise=next_set.exercise, set_n=next_set.set_number, set_of=next_set.of_sets,
                              load_kg=next_set.load_kg)
        return RackStatus(rack=self.rack or "", sent_at=time.time(), seq=self.status_seq, **fields)  # type: ignore[arg-type]

    def _channels(self, runner: SetRunner) -> tuple[ChannelLevel, ...]:
        from gymtui.gym.payloads import ChannelLevel
        from gymtui.model import MuscleRole

        frame = self.app.sensor.last_frame
        if frame is None:
            return ()
        levels = []
        for i, channel in enumerate(runner.context.channels):
            pct = frame.pct_mvc[i] if i < len(frame.pct_mvc) else None
            envelope = frame.envelope_uv[i] if i < len(frame.envelope_uv) else None
            levels.append(ChannelLevel(channel.muscle, pct_mvc=None if pct is None else round(float(pct), 1),
                                       envelope_uv=None if envelope is None else round(float(envelope), 1),
                                       target=channel.role is MuscleRole.TARGET))
        return tuple(levels)

    def _cuff_level(self) -> CuffLevel | None:
        from gymtui.gym.payloads import CuffLevel

        rig = self.app.cuff.rig
        if rig is None:
            return None
        view = rig.view()
        alarm = (view.message or "cuff alarm") if view.level >= AlarmLevel.ALARM else None
        return CuffLevel(state="alarm" if alarm else str(view.state), pressure_mmhg=view.pressure_mmhg,
                         target_mmhg=view.target_mmhg, alarm=alarm)

    # -- events from the set flow -----------------------------------------------------------
    def _event(self, kind: EventKind, text: str | None = None, fields: dict[str, Scalar] | None = None) -> None:
        link = self.link
        if link is None:
            return
        exercise = self._set_fields.get("exercise")
        try:
            link.event(kind, athlete=self.app.athletes.name or None, set_uuid=self._set_uuid,
                       exercise=exercise if isinstance(exercise, str) else None, text=text,
                       fields={k: v for k, v in (fields or {}).items() if v is not None})
        except Exception:
            log.exception("gym: event %s not queued", kind)

    def set_started(self, runner: SetRunner) -> None:
        """After the runner, the cuff and LSL have started the set: ``set_started`` once its UUID is known."""
        if self.link is None:
            return
        ctx = runner.context
        self._set_fields = {"exercise": ctx.exercise, "load_kg": ctx.load_kg, "protocol": runner.protocol.name}
        self._set_uuid, self._completed = None, False
        future = runner.set_id
        if future is None:
            self._event("set_started", fields=self._set_fields)
            return

        async def with_uuid() -> None:
            try:
                set_id = await asyncio.wrap_future(future)
                self._set_uuid = await self.app.in_store(self.app.store.set_uuid, set_id)
            except Exception:
                log.warning("gym: the set's UUID is not known", exc_info=True)
            self._event("set_started", fields=self._set_fields)

        self.app.run_worker(with_uuid(), group="gym", exit_on_error=False)

    def events(self, events: list[Event]) -> None:
        """The engine's events, after the cuff and LSL have had them: cues and the set's end."""
        if self.link is None or not events:
            return
        for event in events:
            if isinstance(event, Cue):
                self._event("cue", event.text, {"cue": str(event.kind)})
            elif isinstance(event, SetCompleted):
                self._completed = True
            elif isinstance(event, SetFinished | SetAborted):
                status = "completed" if isinstance(event, SetFinished) or self._completed else "aborted"
                exercise = self._set_fields.get("exercise")
                self._event("set_finished", f"{exercise}: {status}", {**self._set_fields, "status": status})

    def rated(self, rating: int) -> None:
        self._event("rating", f"activation {rating}/10", {**self._set_fields, "rating": rating})

    # -- records ----------------------------------------------------------------------------
    def set_left(self, runner: SetRunner) -> None:
        """The set has left the screen, every write of it queued: its record, read after them on the store's thread."""
        future = runner.set_id
        if self.link is None or future is None:
            return

        async def send() -> None:
            try:
                set_id = await asyncio.wrap_future(future)
            except Exception:  # noqa: BLE001 - a set the store never took has no record
                return
            self._send_record(set_id)

        self.app.run_worker(send(), group="gym", exit_on_error=False)

    def summary(self, notice: SetSummaryReady) -> None:
        """The worker's summary (reps) landed after the record went: the set again, complete."""
        if notice.set_id in self._recorded:
            self._send_record(notice.set_id)

    def rerated(self, set_id: int) -> None:
        """A set rated later (home ``r``): the set again, with its rating."""
        self._send_record(set_id)

    def _send_record(self, set_id: int) -> None:
        """Read the set on the store's thread, after its own writes (the queue keeps their order), and queue it.

        A database that is away refuses the read at once: the set waits in
        :attr:`_unread` and goes with the next record this rack sends.
        """
        link, rack = self.link, self.rack
        if link is None or rack is None:
            return
        from gymtui.gym.records import set_record

        self._recorded.add(set_id)
        if len(self._recorded) > SETS_REMEMBERED:
            self._recorded.discard(min(self._recorded))
        app = self.app
        wanted, self._unread = sorted({*self._unread, set_id}), set()

        def read_and_send() -> None:
            for one in wanted:
                link.record(set_record(app.store, one, rack))

        def done(future: concurrent.futures.Future[None]) -> None:
            exception = future.exception()
            if exception is not None:
                self._unread.update(wanted)
                log.warning("gym: sets %s not read for the hub yet: %s", wanted, exception)

        app.store_exec.call(read_and_send).add_done_callback(done)

    # -- the cuff -------------------------------------------------------------------------
    def cuff_record(self, record: CuffEvent) -> None:
        """A cuff record, on the cuff's thread after its command was queued and logged: hand it on, nothing more."""
        loop = self._loop
        if self.link is None or loop is None:
            return
        if record.kind in (CuffEventKind.ALARM, CuffEventKind.INFLATE, CuffEventKind.DEFLATE):
            hand_to_app_loop(loop, self._cuff_event, record)

    def _cuff_event(self, record: CuffEvent) -> None:
        if record.kind is CuffEventKind.ALARM:
            self._event("cuff_alarm", safe_text(record.reason) or "cuff alarm", self._cuff_fields(record))
        else:
            self._event("cuff", str(record.kind), self._cuff_fields(record))

    @staticmethod
    def _cuff_fields(record: CuffEvent) -> dict[str, Scalar]:
        return {"pressure_mmhg": record.pressure_mmhg, "target_mmhg": record.target_mmhg}
