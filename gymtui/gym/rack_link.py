"""A rack's link to the gym's broker: presence, live status, durable events and set records, athletes' state.

One paho client per rack (client ID and username: the rack's name; a
persistent session; the will says ``lost``). Nothing here blocks the app's
event loop:

* :meth:`RackLink.status` is a QoS 0 publish, sent only while connected (a
  status is stale 200 ms later; queueing it would replay the past);
* :meth:`RackLink.event` and :meth:`RackLink.record` put the message on a
  queue and return. One sender thread (``gym-outbox``) writes it into the
  :class:`~gymtui.store.outbox.Outbox` (committed) and then hands it to paho
  at QoS 1. The row is removed when the broker's PUBACK accepts it. paho
  queues QoS 1 messages while the broker is away and sends again the ones in
  flight when it reconnects, so each row goes to paho once per run; the rows
  an earlier run left (a killed process, a power cut) go at :meth:`start`.
  A PUBACK that refuses (0x87: the ACL) leaves the row in the outbox, is not
  sent again this run, and the health line says why.

An event's ``seq`` is its outbox row id, so it counts up on the rack across
restarts and a log can order and dedupe by it: the sender reserves the row
and writes the payload naming it in one transaction
(:meth:`~gymtui.store.outbox.Outbox.add_built`), and the outbox keeps a mark of
the highest id acknowledged so an emptied table never starts again at 1.
(Rather than a counter of its own: one more thing to persist, and to get
out of step with the rows.) An event that cannot be written to the outbox
(a locked file, a full disk) still goes out live once, with ``seq`` 0, and
the health line says the outbox failed.

All SQLite work and every PUBACK's bookkeeping happen on the sender thread:
paho's thread only puts the acknowledgement on the same queue. So a mid is
always registered before its PUBACK is looked at (no race between
``publish`` returning and the acknowledgement), and paho's network thread
never waits on the disk while it should be answering the broker's pings.

Athletes' state: the link subscribes to every athlete's retained state and
keeps the newest of each in memory, so opening an athlete answers at once
(:meth:`RackLink.athlete_state`, :meth:`RackLink.wait_athlete_state`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gymtui.gym.connection import connect, make_client, reason_line
from gymtui.gym.payloads import (
    AthleteState,
    EventKind,
    PayloadError,
    RackEvent,
    RackPresence,
    RackStatus,
    Scalar,
    SetRecord,
    decode,
    encode,
)
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.state_fetch import RETAINED_GRACE_S
from gymtui.gym.topics import (
    ATHLETE_STATES,
    athlete_key,
    athlete_key_of,
    check_rack_name,
    rack_topic,
)
from gymtui.store.outbox import Outbox, OutboxError

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

SENDER_POLL_S = 1.0
"""How often the idle sender thread looks up from its queue (only to notice a link closed under it)."""
HANDOVER_BATCH = 500
"""Rows read from the outbox at a time when an earlier run's are handed to paho."""


@dataclasses.dataclass(frozen=True, slots=True)
class LinkHealth:
    """The link as the home screen shows it, at one moment."""

    connected: bool
    since: float | None
    """Wall time of the last change of ``connected`` (None: it never connected this run)."""
    waiting: int
    """Outbox rows the broker has not acknowledged yet (refused ones included: they are still owed)."""
    problem: str | None
    """One line a gym owner can act on (refused credentials, an ACL refusal, an outbox that cannot be written)."""
    broker: str
    """``host:port``."""
    rack: str = ""
    refused: int = 0
    """Messages the broker refused this run (kept in the outbox, not sent again until the next run)."""

    def line(self) -> str:
        """One short line: ``Gym: rack-3 → 10.0.0.5:8883 · connected``, ``Gym: broker away since 10:42 · …``."""
        waiting = f" · {self.waiting} waiting on this rack" if self.waiting else ""
        if self.problem:
            return f"Gym: {self.problem}{waiting}"
        if self.connected:
            return f"Gym: {self.rack} → {self.broker} · connected{waiting}"
        if self.since is None:
            return f"Gym: {self.rack} → {self.broker} · connecting…{waiting}"
        return f"Gym: broker away since {dt.datetime.fromtimestamp(self.since).strftime('%H:%M')}{waiting}"


# -- what the sender thread is asked to do ---------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class _Event:
    kind: EventKind
    at: float
    athlete: str | None
    set_uuid: str | None
    exercise: str | None
    text: str | None
    fields: dict[str, Scalar]


@dataclasses.dataclass(frozen=True, slots=True)
class _Record:
    record: SetRecord


@dataclasses.dataclass(frozen=True, slots=True)
class _Ack:
    mid: int
    reason: Any


@dataclasses.dataclass(frozen=True, slots=True)
class _Close:
    deadline: float
    """``time.monotonic()`` by which the sender has said goodbye and stopped."""


_Job = _Event | _Record | _Ack | _Close
_UNSET: Any = object()


class RackLink:
    """One rack's connection to the gym: call :meth:`start` once, :meth:`close` at the end.

    The outbox is the caller's: the link writes and reads it but does not
    close it.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        rack: str,
        outbox: Outbox,
        *,
        on_health: Callable[[LinkHealth], None] | None = None,
        version: str | None = None,
    ) -> None:
        self.settings = settings
        self.rack = check_rack_name(rack)
        self.outbox = outbox
        self.version = version
        self._on_health = on_health
        self._client: mqtt.Client | None = None
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connected = False
        self._since: float | None = None
        self._waiting = 0
        self._refused = 0
        self._refusal: str | None = None
        self._connect_problem: str | None = None
        self._outbox_problem: str | None = None
        self._last_health: LinkHealth | None = None
        self._notifying = threading.Lock()
        self._closed = False
        # Sender thread only: the outbox row of each mid in flight, and the goodbye's mid.
        self._rows: dict[int, int] = {}
        self._goodbye_mid: int | None = None
        # Athletes' state, by key; guarded by the condition.
        self._states: dict[str, AthleteState] = {}
        self._states_changed = threading.Condition()
        self._subscribed_at: float | None = None

    # -- the app's side -----------------------------------------------------------------
    def start(self) -> None:
        """Begin connecting in the background and hand over what an earlier run left; returns at once."""
        if self._client is not None:
            return
        presence = rack_topic(self.rack, "presence")
        client = make_client(self.settings, self.rack, will=(presence, encode(RackPresence(rack=self.rack, state="lost"))))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self._client = client
        # A daemon so a sender stuck on a locked file cannot keep the app from exiting; close() stops it in order.
        self._sender = threading.Thread(target=self._send_loop, name="gym-outbox", daemon=True)
        self._sender.start()
        connect(client, self.settings, persistent=True)

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connected

    def status(self, status: RackStatus) -> bool:
        """Publish the screen's status at QoS 0 if connected; False when it was dropped (no broker now)."""
        client = self._client
        if client is None or not self.connected or not client.is_connected():
            return False
        info = client.publish(rack_topic(self.rack, "status"), encode(status), qos=0)
        return info.rc == 0

    def event(
        self,
        kind: EventKind,
        *,
        athlete: str | None = None,
        set_uuid: str | None = None,
        exercise: str | None = None,
        text: str | None = None,
        fields: dict[str, Scalar] | None = None,
    ) -> None:
        """Send an event at least once (through the outbox); returns at once, the time taken now."""
        if self._closed:
            log.warning("gym: a %s event after the link closed was not sent", kind)
            return
        self._jobs.put(_Event(kind, time.time(), athlete, set_uuid, exercise, text, dict(fields or {})))

    def record(self, record: SetRecord) -> None:
        """Send a set record at least once (through the outbox); returns at once."""
        if self._closed:
            log.warning("gym: the record of set %s after the link closed was not sent", record.uuid[:36])
            return
        self._jobs.put(_Record(record))

    def health(self) -> LinkHealth:
        with self._lock:
            return self._health_locked()

    def athlete_state(self, name: str) -> AthleteState | None:
        """The hub's newest state for ``name`` that this link has heard, or None."""
        with self._states_changed:
            return self._states.get(athlete_key(name))

    def wait_athlete_state(self, name: str, timeout_s: float) -> AthleteState | None:
        """The state for ``name``, waiting for it at most ``timeout_s`` (blocking: call it off the app's loop).

        Returns as soon as it is here; None at the deadline, or once the
        subscription has stood :data:`~gymtui.gym.state_fetch.RETAINED_GRACE_S`
        without it (a retained state comes straight after the SUBACK, so the
        hub has none).
        """
        key = athlete_key(name)
        deadline = time.monotonic() + timeout_s
        with self._states_changed:
            while True:
                state = self._states.get(key)
                if state is not None:
                    return state
                now = time.monotonic()
                until = deadline
                if self._subscribed_at is not None:
                    until = min(until, self._subscribed_at + RETAINED_GRACE_S)
                if now >= until:
                    return None
                self._states_changed.wait(until - now)

    async def athlete_state_within(self, name: str, timeout_s: float) -> AthleteState | None:
        """:meth:`wait_athlete_state` on a worker thread, for the app's loop."""
        return await asyncio.to_thread(self.wait_athlete_state, name, timeout_s)

    def close(self, timeout_s: float = 2.0) -> None:
        """Say ``offline`` (retained), disconnect and stop paho's thread; never longer than ``timeout_s``.

        Events and records queued before this call are written to the outbox
        first (so nothing the app handed over is lost); what the broker has
        not acknowledged by then stays there for the next run.
        """
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + timeout_s
        client, sender = self._client, self._sender
        if client is None or sender is None:
            return
        self._jobs.put(_Close(deadline))
        sender.join(max(0.0, deadline - time.monotonic()))
        if sender.is_alive():  # the outbox is stuck (a lock): say goodbye without it, unacknowledged
            log.warning("gym: the outbox did not finish within %.1f s; closing without it", timeout_s)
            self._publish_presence(client, "offline")
        # Disconnecting waits for paho's thread, which may still be dialling an unreachable host: not on our time.
        closer = threading.Thread(target=_disconnect, args=(client,), name="gym-close", daemon=True)
        closer.start()
        closer.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._connected = False
        with self._states_changed:
            self._states_changed.notify_all()

    # -- paho's thread: note and hand on --------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            line = reason_line(reason, connack=True)
            log.warning("gym: the broker refused %s: %s", self.rack, line)
            self._change(connect_problem=line)
            return
        self._publish_presence(client, "online")
        client.subscribe(ATHLETE_STATES, qos=1)
        log.info("gym: %s connected to %s", self.rack, self.settings.url)
        self._change(connected=True, connect_problem=None)

    def _on_disconnect(self, _c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        if not self._closed:
            log.info("gym: %s lost the broker (%s); reconnecting", self.rack, reason_line(reason))
        self._change(connected=False)

    def _on_publish(self, _c: object, _u: object, mid: int, reason: object, _p: object) -> None:
        self._jobs.put(_Ack(mid, reason))

    def _on_subscribe(self, _c: object, _u: object, _mid: int, _reasons: object, _p: object) -> None:
        with self._states_changed:
            if self._subscribed_at is None:
                self._subscribed_at = time.monotonic()
            self._states_changed.notify_all()

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        key = athlete_key_of(message.topic)
        if key is None:
            log.warning("gym: a message on %r skipped: not an athlete's state", message.topic[:80])
            return
        payload = bytes(message.payload)
        if not payload:  # the hub cleared it
            with self._states_changed:
                self._states.pop(key, None)
            return
        try:
            state = decode(payload, AthleteState)
        except PayloadError as exc:
            log.warning("gym: athlete state on %s skipped: %s", message.topic, exc)
            return
        if state.key != key or state.key != athlete_key(state.athlete):
            log.warning("gym: athlete state on %s skipped: its key does not match its athlete", message.topic)
            return
        with self._states_changed:
            self._states[key] = state
            self._states_changed.notify_all()

    # -- the sender thread -------------------------------------------------------------------
    def _send_loop(self) -> None:
        self._hand_over_earlier_rows()
        closing: _Close | None = None
        while True:
            timeout = SENDER_POLL_S if closing is None else closing.deadline - time.monotonic()
            if closing is not None and (timeout <= 0 or self._goodbye_mid is None):
                return
            try:
                job = self._jobs.get(timeout=max(0.0, timeout))
            except queue.Empty:
                continue
            try:
                if isinstance(job, _Close):
                    closing = job
                    self._say_goodbye()
                elif isinstance(job, _Ack):
                    self._acknowledged(job.mid, job.reason)
                else:
                    self._send(job)
            except Exception:  # the link must outlive anything one message does
                log.exception("gym: the outbox sender met an unforeseen error")

    def _hand_over_earlier_rows(self) -> None:
        """The rows an earlier run left: to paho once, oldest first."""
        try:
            self._change(waiting=self.outbox.count(), outbox_problem=None)
            after = 0
            while True:
                items = self.outbox.pending(HANDOVER_BATCH, after=after)
                if not items:
                    break
                for item in items:
                    self._publish_row(item.id, item.topic, item.payload)
                after = items[-1].id
        except OutboxError as exc:
            self._outbox_failed(exc)
        if self._rows:
            log.info("gym: %d message(s) from an earlier run handed to paho", len(self._rows))

    def _send(self, job: _Event | _Record) -> None:
        if isinstance(job, _Record):
            topic, kind = rack_topic(self.rack, "records"), "record"
            payload = encode(job.record)

            def build(row_id: int) -> bytes:  # a record names itself by its UUID, not the row
                return payload
        else:
            topic, kind = rack_topic(self.rack, "events"), f"event:{job.kind}"

            def build(row_id: int) -> bytes:
                return encode(RackEvent(
                    rack=self.rack, kind=job.kind, at=job.at, seq=row_id, athlete=job.athlete,
                    set_uuid=job.set_uuid, exercise=job.exercise, text=job.text, fields=job.fields,
                ))
        try:
            row_id, payload = self.outbox.add_built(topic, kind, build)
        except OutboxError as exc:
            # Not durable now, but the coach and the hub may still hear it live: send it once, untracked.
            self._outbox_failed(exc)
            client = self._client
            if client is not None:
                client.publish(topic, build(0), qos=1)
            return
        with self._lock:
            self._waiting += 1
            self._outbox_problem = None
        self._changed()
        self._publish_row(row_id, topic, payload)

    def _publish_row(self, row_id: int, topic: str, payload: bytes) -> None:
        client = self._client
        if client is None:
            return
        info = client.publish(topic, payload, qos=1)
        if info.rc not in (0, 4):  # 4: not connected now; paho keeps it and sends it on connecting
            log.warning("gym: outbox row %d not handed to paho (rc %s); it waits for the next run", row_id, info.rc)
            return
        self._rows[info.mid] = row_id

    def _acknowledged(self, mid: int, reason: object) -> None:
        if mid == self._goodbye_mid:
            self._goodbye_mid = None
            return
        row_id = self._rows.pop(mid, None)
        if row_id is None:
            return  # the presence said on connecting
        value = int(getattr(reason, "value", 0))
        if value >= 0x80:
            line = reason_line(reason)
            log.warning("gym: the broker refused outbox row %d (%s); kept for the next run", row_id, line)
            with self._lock:
                self._refused += 1
                self._refusal = line
            self._changed()
            return
        try:
            self.outbox.remove(row_id)
        except OutboxError as exc:
            self._outbox_failed(exc)
            return
        with self._lock:
            self._waiting = max(0, self._waiting - 1)
        self._changed()

    def _say_goodbye(self) -> None:
        client = self._client
        if client is not None and self.connected:
            self._goodbye_mid = self._publish_presence(client, "offline")

    def _outbox_failed(self, exc: OutboxError) -> None:
        log.warning("gym: %s", exc)
        self._change(outbox_problem=str(exc))

    # -- shared ------------------------------------------------------------------------------
    def _publish_presence(self, client: mqtt.Client, state: str) -> int | None:
        presence = RackPresence(
            rack=self.rack, state=state,  # type: ignore[arg-type]
            at=time.time(), keepalive_s=self.settings.keepalive_s, version=self.version,
        )
        info = client.publish(rack_topic(self.rack, "presence"), encode(presence), qos=1, retain=True)
        return int(info.mid) if info.rc == 0 else None

    def _change(
        self,
        *,
        connected: bool | None = None,
        waiting: int | None = None,
        connect_problem: Any = _UNSET,
        outbox_problem: Any = _UNSET,
    ) -> None:
        with self._lock:
            if connected is not None and connected != self._connected:
                self._connected = connected
                self._since = time.time()
            if waiting is not None:
                self._waiting = waiting
            if connect_problem is not _UNSET:
                self._connect_problem = connect_problem
            if outbox_problem is not _UNSET:
                self._outbox_problem = outbox_problem
        self._changed()

    def _changed(self) -> None:
        """Tell ``on_health`` if the health is not what it last heard.

        One notifier at a time (paho's thread and the sender may both
        change it), so the last call always carries the newest health.
        """
        with self._notifying:
            with self._lock:
                health = self._health_locked()
                if health == self._last_health:
                    return
                self._last_health = health
            if self._on_health is not None:
                try:
                    self._on_health(health)
                except Exception:
                    log.exception("gym: the health callback failed")

    def _health_locked(self) -> LinkHealth:
        problem = self._outbox_problem or self._connect_problem
        if problem is None and self._refusal is not None:
            problem = f"{self._refused} refused — {self._refusal}"
        host = f"[{self.settings.url.host}]" if ":" in self.settings.url.host else self.settings.url.host
        return LinkHealth(
            connected=self._connected,
            since=self._since,
            waiting=self._waiting,
            problem=problem,
            broker=f"{host}:{self.settings.url.port}",
            rack=self.rack,
            refused=self._refused,
        )


def _disconnect(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()
