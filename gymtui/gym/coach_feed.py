"""The coach's one subscription: every rack's presence, status and events, decoded on paho's thread and handed on.

The coach only reads (its broker user may publish nothing), needs no
persistent session (what matters is now; presence is retained) and no will.
Several coach views may run at once (a terminal and a served tablet view),
so each connects under its own client ID.

Callbacks run on paho's network thread. :class:`CoachFeed` decodes there
(a status is a few hundred bytes of JSON) and passes each message to
``deliver``, which must only hand it on (``App.post_message``): nothing
here touches the view. A message that is not what its topic promises is
counted and logged once per rack, never shown as data.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gymtui.gym.connection import connect, make_client, reason_line
from gymtui.gym.payloads import (
    PayloadError,
    RackEvent,
    RackPresence,
    RackStatus,
    decode,
)
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.topics import rack_filter, rack_of
from gymtui.text import safe_text

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

RackMessage = RackStatus | RackPresence | RackEvent
KINDS = ("status", "presence", "events")
"""What the coach subscribes to (records are the hub's business: whole sets, not for a glance)."""


def decode_rack_message(kind: str, data: bytes) -> RackMessage:
    """The payload of a rack topic of ``kind``; :class:`PayloadError` (one line) if it is not one."""
    if kind == "status":
        return decode(data, RackStatus)
    if kind == "presence":
        return decode(data, RackPresence)
    return decode(data, RackEvent)


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """The link to the broker as the coach's status line says it."""

    connected: bool
    line: str


class CoachFeed:
    """A read-only subscription to every rack; ``deliver`` gets each decoded message on paho's thread."""

    def __init__(
        self,
        settings: BrokerSettings,
        deliver: Callable[[RackMessage], None],
        health: Callable[[FeedHealth], None],
        *,
        client_id: str | None = None,
    ) -> None:
        self.settings = settings
        self._deliver = deliver
        self._health = health
        self.client_id = client_id or f"coach-{os.getpid()}-{secrets.token_hex(3)}"
        self.bad_messages = 0
        self._bad_racks: set[str] = set()
        self._client: mqtt.Client | None = None

    def start(self) -> None:
        """Connect in the background (never blocks on the network); health says how it goes."""
        client = make_client(self.settings, self.client_id)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        self._health(FeedHealth(False, f"connecting to {self.settings.url} as {safe_text(self.settings.username)}…"))
        connect(client, self.settings, persistent=False)

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        client.disconnect()
        client.loop_stop()

    # -- paho's thread -------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object) -> None:
        if getattr(reason, "is_failure", False):
            self._health(FeedHealth(False, f"broker {self.settings.url}: {reason_line(reason, connack=True)}"))
            return
        client.subscribe([(rack_filter(kind), 1) for kind in KINDS])
        self._health(FeedHealth(True, f"connected to {self.settings.url} as {safe_text(self.settings.username)}"))

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object) -> None:
        self._health(FeedHealth(False, f"broker {self.settings.url} unreachable ({reason_line(reason)}); retrying"))

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        where = rack_of(message.topic)
        if where is None or where[1] not in KINDS:
            return
        rack, kind = where
        try:
            decoded = decode_rack_message(kind, bytes(message.payload))
        except PayloadError as exc:
            self._bad(rack, str(exc))
            return
        if decoded.rack != rack:
            self._bad(rack, f"a {kind} message naming rack {decoded.rack[:40]!r}")
            return
        self._deliver(decoded)

    def _bad(self, rack: str, why: str) -> None:
        self.bad_messages += 1
        if rack not in self._bad_racks:
            self._bad_racks.add(rack)
            log.warning("coach: ignored a message from %s: %s", rack, safe_text(why))
