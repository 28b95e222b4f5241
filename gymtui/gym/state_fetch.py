"""One athlete's retained state, asked for once, with a deadline: what a rack reads when it opens an athlete.

A rack that runs the gym link (``app.gym``) keeps every athlete's state as
it arrives and answers from memory; this is the same answer for a process
without one, on a short connection of its own: subscribe to the athlete's
state topic, take the retained message the broker sends straight after
the SUBACK, leave. It never waits longer than ``timeout_s`` (a broker that
is away is the same as no state: the rack trains on its own log), and
after the SUBACK only :data:`RETAINED_GRACE_S` more, since a retained
message, when there is one, follows it at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING

from gymtui.gym.connection import connect, make_client
from gymtui.gym.payloads import AthleteState, PayloadError, decode
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.topics import athlete_key, athlete_state_topic

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

RETAINED_GRACE_S = 1.0
"""How long after the SUBACK a retained state may still arrive before the answer is "none"."""


def fetch_athlete_state(settings: BrokerSettings, name: str, *, timeout_s: float = 3.0, client_id: str | None = None) -> AthleteState | None:
    """The hub's retained state for ``name``, or None (none kept, unreadable, or no broker within ``timeout_s``)."""
    topic = athlete_state_topic(name)
    key = athlete_key(name)
    got: list[AthleteState] = []
    heard = threading.Event()
    subscribed = threading.Event()
    client = make_client(settings, client_id or f"{settings.username}-state-{uuid.uuid4().hex[:8]}")

    def on_connect(c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        if not getattr(reason, "is_failure", False):
            c.subscribe(topic, qos=1)

    def on_subscribe(_c: object, _u: object, _mid: int, _reasons: object, _p: object) -> None:
        subscribed.set()

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        try:
            state = decode(bytes(message.payload), AthleteState)
        except PayloadError as exc:
            log.warning("gym: athlete state on %s skipped: %s", message.topic, exc)
            return
        if state.key == key:
            got.append(state)
            heard.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    deadline = time.monotonic() + timeout_s
    try:
        connect(client, settings, persistent=False)
        subscribed.wait(max(0.0, deadline - time.monotonic()))
        if subscribed.is_set():
            heard.wait(max(0.0, min(RETAINED_GRACE_S, deadline - time.monotonic())))
    finally:
        # Closing waits for paho's thread, which may still be dialling an unreachable host: not on our time.
        threading.Thread(target=_close, args=(client,), name="gym-state-close", daemon=True).start()
    return got[-1] if got else None


def _close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()
