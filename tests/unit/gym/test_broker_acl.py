"""The gym's broker as ``gymtui gym init`` writes it, tried with each user's credentials against a real Mosquitto."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from mqtt_broker import Broker

from gymtui.gym.connection import connect, make_client, reason_line
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.topics import athlete_state_topic, rack_topic

pytestmark = pytest.mark.timeout(60)


@dataclass
class Acks:
    connected: threading.Event = field(default_factory=threading.Event)
    connack: object = None
    done: threading.Event = field(default_factory=threading.Event)
    reasons: dict[int, int] = field(default_factory=dict)


def publish_and_collect(settings: BrokerSettings, client_id: str, messages: list[tuple[str, bytes, bool]]) -> list[int]:
    """Publish each ``(topic, payload, retain)`` at QoS 1; the PUBACK reason code of each, in order."""
    acks = Acks()
    client = make_client(settings, client_id)

    def on_connect(_c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        acks.connack = reason
        acks.connected.set()

    def on_publish(_c: object, _u: object, mid: int, reason: object, _p: object) -> None:
        acks.reasons[mid] = int(getattr(reason, "value", -1))
        if len(acks.reasons) == len(messages):
            acks.done.set()

    client.on_connect = on_connect
    client.on_publish = on_publish
    connect(client, settings, persistent=False)
    try:
        assert acks.connected.wait(15), "no CONNACK within 15 s"
        assert not getattr(acks.connack, "is_failure", True), reason_line(acks.connack, connack=True)
        mids = [client.publish(topic, payload, qos=1, retain=retain).mid for topic, payload, retain in messages]
        assert acks.done.wait(15), f"PUBACKs within 15 s: got {acks.reasons}"
        return [acks.reasons[mid] for mid in mids]
    finally:
        client.disconnect()
        client.loop_stop()


NOT_AUTHORIZED = 0x87


def test_a_rack_may_publish_only_under_its_own_topic_and_never_athlete_state(gym_broker: Broker) -> None:
    codes = publish_and_collect(
        gym_broker.settings("rack-1"),
        "rack-1",
        [
            (rack_topic("rack-1", "events"), b"{}", False),
            (rack_topic("rack-2", "events"), b"{}", False),
            (rack_topic("rack-2", "records"), b"{}", False),
            (athlete_state_topic("Sam Lee"), b"{}", True),
        ],
    )
    assert codes[0] < 0x80, f"its own topic is refused: {codes[0]:#x}"
    assert codes[1:] == [NOT_AUTHORIZED] * 3, [f"{c:#x}" for c in codes]


def test_the_coach_may_only_read_and_the_hub_alone_writes_athlete_state(gym_broker: Broker) -> None:
    coach = publish_and_collect(
        gym_broker.settings("coach"), "coach-probe",
        [(rack_topic("rack-1", "events"), b"{}", False), (athlete_state_topic("Sam Lee"), b"{}", True)],
    )
    assert coach == [NOT_AUTHORIZED, NOT_AUTHORIZED]
    hub = publish_and_collect(
        gym_broker.settings("hub"), "hub-probe",
        [(athlete_state_topic("Sam Lee"), b"{}", True), (rack_topic("rack-1", "records"), b"{}", False)],
    )
    assert hub[0] < 0x80 and hub[1] == NOT_AUTHORIZED, [f"{c:#x}" for c in hub]


def test_a_wrong_password_is_refused_at_connect(gym_broker: Broker) -> None:
    settings = BrokerSettings.build(
        gym_broker.url, "rack-1", ca_file=gym_broker.folder.ca_cert, environ={"GYMTUI_GYM_PASSWORD": "not-it"}
    )
    acks = Acks()
    client = make_client(settings, "rack-1-wrong")
    client.on_connect = lambda _c, _u, _f, reason, _p: (setattr(acks, "connack", reason), acks.connected.set())
    connect(client, settings, persistent=False)
    try:
        assert acks.connected.wait(15)
        assert reason_line(acks.connack, connack=True) == "the broker refused the username or password"
    finally:
        client.disconnect()
        client.loop_stop()
