"""The hub: hears every rack's set records, keeps the gym's log, publishes each athlete's state.

One paho client (user ``hub``, client ID ``hub``, a persistent session) so
records sent while the hub was away wait at the broker. Records are
acknowledged by hand, after the log has them: a hub killed between hearing
and storing hears the record again (the log's upsert makes that harmless).
paho's thread only hands each message on through a queue; one worker
thread owns the store, so the log is written by one thread in order.

After each stored record the athlete's :class:`~gymtui.gym.payloads.AthleteState`
is published retained on ``gymtui/athletes/<key>/state``: a rack that opens
the athlete later gets it at once. Anything malformed (not a record, a
record whose rack is not its topic's rack, a field the log cannot take) is
one log line and skipped; the hub goes on. Every line it says carries what
came from a record or the broker through :func:`~gymtui.text.safe_text`: an
athlete's name or a topic never drives the terminal it is printed on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from gymtui.gym.athlete_state import build_state
from gymtui.gym.connection import connect, make_client, reason_line
from gymtui.gym.hub_log import HubLog, RecordError
from gymtui.gym.payloads import PayloadError, SetRecord, decode, encode
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.topics import athlete_state_topic, rack_filter, rack_of
from gymtui.store import Store
from gymtui.text import safe_text

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

HUB_CLIENT_ID = "hub"


@dataclasses.dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes
    mid: int
    qos: int


class Hub:
    """The hub's loop over one store and one broker; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        settings: BrokerSettings,
        store: Store,
        *,
        client_id: str = HUB_CLIENT_ID,
        today: Callable[[], dt.date] = dt.date.today,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.log = HubLog(store)
        self.store = store
        self.today = today
        self.say = say or log.info
        self._inbox: queue.Queue[Incoming | None] = queue.Queue()
        self._stopping = threading.Event()
        self._client: mqtt.Client | None = None
        self.stored = 0
        self.skipped = 0

    # -- paho's thread: hand on only ------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            self.say(f"hub: broker refused the connection: {safe_text(reason_line(reason, connack=True))}")
            return
        client.subscribe(rack_filter("records"), qos=1)
        self.say(f"hub: connected to {safe_text(str(self.settings.url))}")

    def _on_disconnect(self, _c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        if not self._stopping.is_set():
            self.say(f"hub: broker connection lost ({safe_text(reason_line(reason))}); reconnecting")

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(Incoming(message.topic, bytes(message.payload), int(message.mid), int(message.qos)))

    # -- the worker ----------------------------------------------------------------
    def run(self) -> None:
        """Connect and store records until :meth:`stop`; returns once the client is closed."""
        client = self._client = make_client(self.settings, HUB_CLIENT_ID)
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        connect(client, self.settings, persistent=True)
        try:
            while True:
                item = self._inbox.get()
                if item is None:
                    break
                if self.handle(item) and item.qos > 0:
                    client.ack(item.mid, item.qos)
        finally:
            client.disconnect()
            client.loop_stop()

    def stop(self) -> None:
        """From any thread: finish the record in hand and leave."""
        self._stopping.set()
        self._inbox.put(None)

    def handle(self, item: Incoming) -> bool:
        """Store one message's record and publish its athlete's state; whether to acknowledge it.

        A bad message is one line, skipped and acknowledged (hearing it again
        would not make it better). A log that cannot be written now (a full
        disk, a lock) is one line and the record is left unacknowledged: the
        broker sends it again when the hub reconnects.
        """
        try:
            self._handle(item)
        except sqlite3.Error as exc:
            self.say(f"hub: the log cannot be written now ({safe_text(exc)}); the record stays at the broker")
            return False
        except Exception as exc:  # a record nobody foresaw: one line, and the hub goes on
            log.exception("hub: record on %s", safe_text(item.topic))
            self._skip(f"a record on {item.topic[:80]!r}: {type(exc).__name__}: {exc}")
        return True

    def _handle(self, item: Incoming) -> None:
        where = rack_of(item.topic)
        if where is None or where[1] != "records":
            self._skip(f"a message on {item.topic[:80]!r}, not a rack's records")
            return
        rack = where[0]
        try:
            record = decode(item.payload, SetRecord)
        except PayloadError as exc:
            self._skip(f"from {rack}: {exc}")
            return
        if record.rack != rack:
            self._skip(f"a record on {rack}'s topic says it is from {record.rack[:40]!r}")
            return
        try:
            stored = self.log.store_record(record)
        except RecordError as exc:
            self._skip(str(exc))
            return
        self.stored += 1
        if stored.outcome != "same":
            self.say(
                f"hub: {stored.outcome} set {safe_text(record.uuid[:8])} of {safe_text(stored.athlete)} from {safe_text(rack)}"
            )
        self.publish_state(stored.athlete_id)

    def publish_state(self, athlete_id: int) -> None:
        state = build_state(self.store, athlete_id, self.today())
        if self._client is not None:
            self._client.publish(athlete_state_topic(state.athlete), encode(state), qos=1, retain=True)

    def _skip(self, why: str) -> None:
        self.skipped += 1
        self.say(f"hub: skipped {safe_text(why)}")
