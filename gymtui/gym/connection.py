"""One configured MQTT client: MQTT 5, TLS where the URL says, credentials, a persistent session, a will.

paho-mqtt runs its network loop on its own thread (``loop_start``): the
rack's app, the coach and the hub never wait on a socket. Callbacks arrive
on that thread; each owner hands them on (``call_soon_threadsafe``,
``call_from_thread``, a queue). Nothing here listens on a socket: a rack only
ever dials out.

MQTT 5 rather than 3.1.1 because a broker that refuses a publish under the
ACL says so in the PUBACK (reason 0x87) instead of dropping it silently: a
rack's outbox keeps a refused message and says why, and ``gym doctor`` can
tell a wrong ACL from a slow network.
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import TYPE_CHECKING

from gymtui.gym.settings import BrokerSettings

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

PAHO_LOG = logging.getLogger("gymtui.gym.mqtt")
"""paho's own messages ("failed to receive on socket") go to gymtui's log file, never to stderr: that is the app's screen."""

SESSION_EXPIRY_S = 7 * 24 * 3600
"""How long the broker keeps a persistent session (subscriptions, QoS 1 in flight) of a client that went away."""

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 8
"""paho's reconnect backoff: quick after a blip, no more than 8 s apart during an outage."""


class GymUnavailable(RuntimeError):
    """The ``gym`` extra is not installed; the message says how to get it."""


def load_paho() -> None:
    """Import paho-mqtt or raise :class:`GymUnavailable` with the one line a user needs."""
    try:
        import paho.mqtt.client
    except ImportError:
        raise GymUnavailable("the gym link needs the 'gym' extra: pip install 'gymtui[gym]'") from None
    if hasattr(socket, "AF_UNIX") and getattr(paho.mqtt.client, "_socketpair_compat", None) is not _unix_socketpair:
        paho.mqtt.client._socketpair_compat = _unix_socketpair  # type: ignore[attr-defined]


def _unix_socketpair() -> tuple[socket.socket, socket.socket]:
    """The pair paho wakes its network loop with, made without ever listening.

    paho 2 makes it on every platform as two TCP ends on 127.0.0.1 through a
    listening socket it accepts one connection on: for that moment a rack
    would listen, and another local program connecting first would be
    accepted in its place. A Unix socket pair is the same two non-blocking
    stream ends, with no port and no listener (paho only sends and receives
    a byte on it).
    """
    first, second = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    first.setblocking(False)
    second.setblocking(False)
    return first, second


def make_client(
    settings: BrokerSettings,
    client_id: str,
    *,
    will: tuple[str, bytes] | None = None,
) -> mqtt.Client:
    """A paho client set up for ``settings``, not yet connected (call :func:`connect`).

    ``will``: a retained QoS 1 message the broker publishes if the client
    vanishes without saying goodbye.
    """
    load_paho()
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        reconnect_on_failure=True,
    )
    client.enable_logger(PAHO_LOG)
    if settings.url.tls:
        context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        client.tls_set_context(context)
    client.username_pw_set(settings.username, settings.password)
    if will is not None:
        topic, payload = will
        client.will_set(topic, payload, qos=1, retain=True)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    return client


def connect(client: mqtt.Client, settings: BrokerSettings, *, persistent: bool) -> None:
    """Start connecting in the background (``connect_async`` + ``loop_start``): never blocks on the network.

    ``persistent``: the broker keeps the session (subscriptions and
    unacknowledged QoS 1 messages) for :data:`SESSION_EXPIRY_S` across
    disconnects; the client ID must then be stable (a rack's name, "hub").
    """
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    properties = Properties(PacketTypes.CONNECT)
    if persistent:
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
    client.connect_async(
        settings.url.host,
        settings.url.port,
        keepalive=settings.keepalive_s,
        clean_start=not persistent,
        properties=properties,
    )
    client.loop_start()


def reason_line(reason_code: object, *, connack: bool = False) -> str:
    """A CONNACK (``connack=True``) or PUBACK reason as the words a gym owner can act on.

    Mosquitto answers a wrong password with 0x87 "not authorized" at
    CONNACK: there it means the credentials, not the ACL.
    """
    name = str(getattr(reason_code, "getName", lambda: reason_code)())
    value = int(getattr(reason_code, "value", -1))
    if connack and value in (0x86, 0x87):
        return "the broker refused the username or password"
    hints = {
        0x86: "the broker refused the username or password",
        0x87: "the broker's ACL does not allow this",
        0x85: "the broker refused this client ID",
        0x88: "the broker is unavailable",
        0x8A: "the broker banned this client",
        0x97: "the broker's quota is exceeded",
    }
    return hints.get(value, name)
