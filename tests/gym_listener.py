"""What the broker carried, heard as the coach hears it: a real paho client logged in as ``coach``, every message kept.

The rack tests read the sequence a rack published (presence, status,
events, records) from here, decoded by the same payload structs the coach
view and the hub use, with the time each arrived.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from waiting import wait_until

from gymtui.gym.connection import connect, make_client
from gymtui.gym.payloads import RackEvent, RackPresence, RackStatus, SetRecord, decode
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.topics import ALL_RACKS, rack_of

KINDS: dict[str, type[Any]] = {"presence": RackPresence, "status": RackStatus, "events": RackEvent, "records": SetRecord}


@dataclass(frozen=True)
class Heard:
    rack: str
    kind: str
    message: Any
    at: float
    """Wall time it arrived here."""


class Listener:
    """Subscribed to every rack's topics until closed; ``heard`` in arrival order."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.heard: list[Heard] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = make_client(settings, f"coach-test-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda c, *_: c.subscribe(ALL_RACKS, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        connect(self.client, settings, persistent=False)
        wait_until(self._subscribed.is_set, 15, "the listener subscribed")

    def _on_message(self, _c: object, _u: object, message: Any) -> None:
        where = rack_of(message.topic)
        if where is None:
            return
        rack, kind = where
        decoded = decode(bytes(message.payload), KINDS[kind])
        with self._lock:
            self.heard.append(Heard(rack, kind, decoded, time.time()))

    def of(self, kind: str, rack: str | None = None) -> list[Any]:
        with self._lock:
            return [h.message for h in self.heard if h.kind == kind and (rack is None or h.rack == rack)]

    def events(self, rack: str | None = None) -> list[RackEvent]:
        return self.of("events", rack)

    def arrivals(self, kind: str) -> list[Heard]:
        with self._lock:
            return [h for h in self.heard if h.kind == kind]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
