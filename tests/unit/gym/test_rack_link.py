"""A rack's gym link against a real Mosquitto: presence, live status, events and records that survive an outage."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gym_records import lift
from mqtt_broker import Broker
from waiting import wait_until

from gymtui.gym.connection import connect, make_client
from gymtui.gym.payloads import (
    AthleteState,
    LoadState,
    RackEvent,
    RackPresence,
    RackStatus,
    SetRecord,
    decode,
    encode,
)
from gymtui.gym.rack_link import LinkHealth, RackLink
from gymtui.gym.records import set_record
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.state_fetch import RETAINED_GRACE_S
from gymtui.gym.topics import athlete_key, athlete_state_topic, rack_topic
from gymtui.store import Store
from gymtui.store.outbox import Outbox

pytestmark = pytest.mark.timeout(120)

CONNECT_S = 30.0
"""Generous: two busy cores, TLS handshakes, and paho's reconnect backoff of up to 8 s after a broker restart."""
MONDAY = dt.date(2025, 3, 3)


@dataclass
class Heard:
    topic: str
    payload: bytes
    retain: bool


@dataclass
class Listener:
    """A coach or the hub as a plain paho client, keeping every message it hears."""

    broker: Broker
    user: str
    topics: list[str]
    client_id: str
    persistent: bool = False
    heard: list[Heard] = field(default_factory=list)
    subscribed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        settings = self.broker.settings(self.user)
        self.client = make_client(settings, self.client_id)
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in self.topics])
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message
        connect(self.client, settings, persistent=self.persistent)
        assert self.subscribed.wait(CONNECT_S), f"{self.user} subscribed within {CONNECT_S} s"

    def _on_message(self, _c: object, _u: object, message: object) -> None:
        with self.lock:
            self.heard.append(Heard(message.topic, bytes(message.payload), bool(message.retain)))  # type: ignore[attr-defined]

    def on(self, topic: str) -> list[bytes]:
        with self.lock:
            return [h.payload for h in self.heard if h.topic == topic]

    def presences(self, rack: str) -> list[str]:
        return [decode(p, RackPresence).state for p in self.on(rack_topic(rack, "presence"))]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    made: list[Listener] = []
    yield made
    for listener in made:
        listener.close()


@pytest.fixture
def links() -> Iterator[list[RackLink]]:
    made: list[RackLink] = []
    yield made
    for link in made:
        link.close(timeout_s=2.0)


def listen(listeners: list[Listener], broker: Broker, user: str, *topics: str, persistent: bool = False) -> Listener:
    listener = Listener(broker, user, list(topics), client_id=f"{user}-listener-{len(listeners)}", persistent=persistent)
    listeners.append(listener)
    return listener


def open_link(links: list[RackLink], settings: BrokerSettings, rack: str, outbox: Outbox | None = None,
              healths: list[LinkHealth] | None = None, *, version: str | None = "9.9") -> RackLink:
    link = RackLink(settings, rack, outbox or Outbox.open(None), on_health=None if healths is None else healths.append,
                    version=version)
    links.append(link)
    link.start()
    return link


def wait_connected(link: RackLink) -> None:
    wait_until(lambda: link.connected, CONNECT_S, f"{link.rack} connected", detail=link.health)


def wait_empty(link: RackLink, outbox: Outbox) -> None:
    wait_until(lambda: outbox.count() == 0 and link.health().waiting == 0, CONNECT_S, "the outbox emptied",
               detail=link.health)


def test_a_rack_says_online_when_it_connects_and_offline_when_it_closes(gym_broker: Broker, listeners: list[Listener],
                                                                       links: list[RackLink]) -> None:
    coach = listen(listeners, gym_broker, "coach", rack_topic("rack-1", "presence"))
    healths: list[LinkHealth] = []
    link = open_link(links, gym_broker.settings("rack-1", keepalive_s=4), "rack-1", healths=healths)

    wait_until(lambda: coach.presences("rack-1") == ["online"], CONNECT_S, "presence online", detail=coach.presences)
    online = decode(coach.on(rack_topic("rack-1", "presence"))[0], RackPresence)
    assert (online.rack, online.keepalive_s, online.version) == ("rack-1", 4, "9.9")
    assert online.at is not None and abs(online.at - time.time()) < 60
    wait_connected(link)
    assert link.health().line() == f"Gym: rack-1 → 127.0.0.1:{gym_broker.port} · connected"
    assert healths[-1].connected and healths[-1].since is not None

    started = time.monotonic()
    link.close(timeout_s=5.0)
    assert time.monotonic() - started < 5.5
    wait_until(lambda: coach.presences("rack-1")[-1:] == ["offline"], 10, "presence offline", detail=coach.presences)
    assert not link.connected

    later = listen(listeners, gym_broker, "coach", rack_topic("rack-1", "presence"))  # a coach that opens afterwards
    wait_until(lambda: later.presences("rack-1") == ["offline"], 10, "the retained offline", detail=later.presences)


RACK_SCRIPT = """
import sys, threading
from pathlib import Path
from gymtui.store.outbox import Outbox
from gymtui.gym.rack_link import RackLink
from gymtui.gym.settings import BrokerSettings
settings = BrokerSettings.build(sys.argv[1], sys.argv[2], password_file=Path(sys.argv[3]), ca_file=Path(sys.argv[4]),
                                keepalive_s=2)
RackLink(settings, sys.argv[2], Outbox.open(None)).start()
threading.Event().wait()
"""


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
def test_a_rack_that_vanishes_is_declared_lost_by_the_broker(gym_broker: Broker, listeners: list[Listener],
                                                             how: signal.Signals) -> None:
    coach = listen(listeners, gym_broker, "coach", rack_topic("rack-4", "presence"))
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-c", RACK_SCRIPT, gym_broker.url, "rack-4", str(gym_broker.password_file("rack-4")),
         str(gym_broker.folder.ca_cert)],
        cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: coach.presences("rack-4") == ["online"] or proc.poll() is not None, 60, "rack-4 online",
                   detail=coach.presences)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, how)  # killed: the kernel closes its socket; frozen: silent, only the keep-alive tells
        wait_until(lambda: coach.presences("rack-4")[-1:] == ["lost"], 30, "the broker's will: lost",
                   detail=coach.presences)
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
    lost = decode(coach.on(rack_topic("rack-4", "presence"))[-1], RackPresence)
    assert (lost.rack, lost.at) == ("rack-4", None)


def test_status_goes_out_live_and_is_dropped_while_the_broker_is_away(gym_broker: Broker, listeners: list[Listener],
                                                                       links: list[RackLink]) -> None:
    settings = gym_broker.settings("rack-2")
    gym_broker.stop()
    link = open_link(links, settings, "rack-2")
    away = RackStatus(rack="rack-2", sent_at=time.time(), seq=0, screen="set", athlete="Sam Lee")
    assert link.status(away) is False
    assert link.health().line() == f"Gym: rack-2 → 127.0.0.1:{gym_broker.port} · connecting…"

    gym_broker.start()
    coach = listen(listeners, gym_broker, "coach", rack_topic("rack-2", "status"))
    wait_connected(link)
    live = RackStatus(rack="rack-2", sent_at=time.time(), seq=1, screen="set", athlete="Sam Lee", load_kg=80.0)
    assert link.status(live) is True
    wait_until(lambda: coach.on(rack_topic("rack-2", "status")), CONNECT_S, "the live status")
    assert [decode(p, RackStatus).seq for p in coach.on(rack_topic("rack-2", "status"))] == [1]
    assert decode(coach.on(rack_topic("rack-2", "status"))[0], RackStatus) == live


def test_an_event_and_a_record_made_while_the_broker_is_away_arrive_once_when_it_is_back(
    gym_broker: Broker, listeners: list[Listener], links: list[RackLink], tmp_path: Path
) -> None:
    store = Store(tmp_path / "rack.db")
    set_id, session_id = lift(store, "Sam Lee", "Back squat", MONDAY, load_kg=90.0, reps=4, rating=8)
    record = set_record(store, set_id, "rack-3")
    next_id, _ = lift(store, "Sam Lee", "Back squat", MONDAY, session_id=session_id, minute=5)
    next_record = set_record(store, next_id, "rack-3")
    hub = listen(listeners, gym_broker, "hub", rack_topic("rack-3", "records"), persistent=True)
    coach = listen(listeners, gym_broker, "coach", rack_topic("rack-3", "events"), persistent=True)
    outbox = Outbox.open(tmp_path / "rack.db")
    healths: list[LinkHealth] = []
    link = open_link(links, gym_broker.settings("rack-3"), "rack-3", outbox, healths)
    wait_connected(link)

    gym_broker.stop()
    wait_until(lambda: not link.connected, CONNECT_S, "the link noticed the broker left")
    link.event("set_finished", athlete="Sam Lee", set_uuid=record.uuid, exercise="Back squat", text="4 × 90 kg",
               fields={"reps": 4, "load_kg": 90.0})
    link.record(record)
    wait_until(lambda: link.health().waiting == 2, 10, "both kept in the outbox", detail=link.health)
    assert outbox.count() == 2
    assert link.health().line().startswith("Gym: broker away since ")
    assert link.health().line().endswith(" · 2 waiting on this rack")

    gym_broker.start()
    wait_empty(link, outbox)
    # QoS 1 keeps order per subscriber: once these later ones are heard, any repeat of the earlier would have been.
    link.event("cue", athlete="Sam Lee", text="after the outage")
    link.record(next_record)
    wait_until(lambda: len(coach.on(rack_topic("rack-3", "events"))) >= 2, CONNECT_S, "the events at the coach")
    wait_until(lambda: len(hub.on(rack_topic("rack-3", "records"))) >= 2, CONNECT_S, "the records at the hub")

    events = [decode(p, RackEvent) for p in coach.on(rack_topic("rack-3", "events"))]
    assert [(e.kind, e.text) for e in events] == [("set_finished", "4 × 90 kg"), ("cue", "after the outage")]
    assert events[0].fields == {"reps": 4, "load_kg": 90.0}
    assert events[0].seq < events[1].seq  # row ids: they count up on this rack across restarts
    assert [decode(p, SetRecord) for p in hub.on(rack_topic("rack-3", "records"))] == [record, next_record]
    wait_empty(link, outbox)
    assert healths[-1].waiting == 0 and healths[-1].connected
    assert any(h.waiting == 2 and not h.connected for h in healths)


def test_rows_an_earlier_run_left_in_the_file_are_sent_at_start(gym_broker: Broker, listeners: list[Listener],
                                                                 links: list[RackLink], tmp_path: Path) -> None:
    store = Store(tmp_path / "rack.db")
    set_id, _ = lift(store, "Ana Ruiz", "Bench press", MONDAY)
    record = set_record(store, set_id, "rack-5")
    earlier = Outbox.open(tmp_path / "rack.db")  # the run that was killed before the broker acknowledged these
    event = RackEvent(rack="rack-5", kind="rating", at=time.time(), seq=1, athlete="Ana Ruiz", fields={"rating": 7})
    earlier.add(rack_topic("rack-5", "events"), encode(event), "event:rating")
    earlier.add(rack_topic("rack-5", "records"), encode(record), "record")
    earlier.close()
    hub = listen(listeners, gym_broker, "hub", rack_topic("rack-5", "records"))
    coach = listen(listeners, gym_broker, "coach", rack_topic("rack-5", "events"))

    outbox = Outbox.open(tmp_path / "rack.db")
    link = open_link(links, gym_broker.settings("rack-5"), "rack-5", outbox)

    wait_empty(link, outbox)
    wait_until(lambda: hub.on(rack_topic("rack-5", "records")) and coach.on(rack_topic("rack-5", "events")), CONNECT_S,
               "the earlier run's messages")
    assert [decode(p, SetRecord) for p in hub.on(rack_topic("rack-5", "records"))] == [record]
    assert [decode(p, RackEvent) for p in coach.on(rack_topic("rack-5", "events"))] == [event]


def test_a_message_the_broker_refuses_stays_in_the_outbox_and_the_health_says_why(
    gym_broker: Broker, links: list[RackLink], tmp_path: Path
) -> None:
    Store(tmp_path / "rack.db").close()
    outbox = Outbox.open(tmp_path / "rack.db")
    # Logged in as rack-1 but naming itself rack-6: the ACL lets rack-1 write only under its own topic.
    link = open_link(links, gym_broker.settings("rack-1"), "rack-6", outbox)
    wait_connected(link)
    link.event("cue", text="not mine to say")

    wait_until(lambda: link.health().refused == 1, CONNECT_S, "the refusal", detail=link.health)
    health = link.health()
    assert health.problem == "1 refused — the broker's ACL does not allow this"
    assert health.line() == "Gym: 1 refused — the broker's ACL does not allow this · 1 waiting on this rack"
    assert health.waiting == 1
    assert [item.topic for item in outbox.pending()] == [rack_topic("rack-6", "events")]


def test_an_outbox_that_cannot_be_written_is_the_health_line_and_the_event_still_goes_out_live(
    gym_broker: Broker, listeners: list[Listener], links: list[RackLink], tmp_path: Path
) -> None:
    Store(tmp_path / "rack.db").close()
    outbox = Outbox.open(tmp_path / "rack.db", busy_timeout_ms=100)
    coach = listen(listeners, gym_broker, "coach", rack_topic("rack-6", "events"))
    link = open_link(links, gym_broker.settings("rack-6"), "rack-6", outbox)
    wait_connected(link)
    other = sqlite3.connect(tmp_path / "rack.db")  # a backup, a sqlite3 shell: holding the write lock
    other.execute("BEGIN EXCLUSIVE")
    try:
        link.event("cuff_alarm", text="pressure lost")
        wait_until(lambda: link.health().problem is not None, CONNECT_S, "the outbox problem", detail=link.health)
    finally:
        other.rollback()
        other.close()
    assert "locked by another program" in (link.health().problem or "")
    assert link.health().line().startswith("Gym: gym outbox: ")
    wait_until(lambda: coach.on(rack_topic("rack-6", "events")), CONNECT_S, "the live event")
    assert decode(coach.on(rack_topic("rack-6", "events"))[0], RackEvent).seq == 0

    link.event("cue", text="and the file is free again")
    wait_until(lambda: len(coach.on(rack_topic("rack-6", "events"))) == 2, CONNECT_S, "the next event")
    wait_until(lambda: link.health().problem is None, CONNECT_S, "the problem gone", detail=link.health)
    wait_empty(link, outbox)
    assert decode(coach.on(rack_topic("rack-6", "events"))[1], RackEvent).seq > 0


def test_a_wrong_password_is_the_health_line(gym_broker: Broker, links: list[RackLink]) -> None:
    good = gym_broker.settings("rack-2")
    wrong = BrokerSettings(url=good.url, username="rack-2", password="not-the-password", ca_file=good.ca_file)
    link = open_link(links, wrong, "rack-2")
    wait_until(lambda: link.health().problem is not None, CONNECT_S, "the refusal at connect", detail=link.health)
    assert link.health().line() == "Gym: the broker refused the username or password"
    assert not link.connected


def hub_publishes_state(broker: Broker, state: AthleteState | bytes, topic: str) -> None:
    """The hub's retained state, as the hub writes it (QoS 1, retained), acknowledged before this returns."""
    settings = broker.settings("hub")
    client = make_client(settings, "hub-state-writer")
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    connect(client, settings, persistent=False)
    try:
        assert connected.wait(CONNECT_S)
        info = client.publish(topic, state if isinstance(state, bytes) else encode(state), qos=1, retain=True)
        info.wait_for_publish(CONNECT_S)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_hubs_state_for_an_athlete_is_there_when_the_rack_opens_them(gym_broker: Broker,
                                                                        links: list[RackLink]) -> None:
    sam = AthleteState(athlete="Sam Lee", key=athlete_key("Sam Lee"), as_of="2025-03-03T09:00:00.000+00:00",
                       plan={"program": "guide", "plan_week": 2}, loads=(LoadState("Back squat", 40.0, "2025-03-03"),))
    hub_publishes_state(gym_broker, sam, athlete_state_topic("Sam Lee"))
    hub_publishes_state(gym_broker, b"not json", athlete_state_topic("Broken Payload"))
    forged = AthleteState(athlete="Someone Else", key=athlete_key("Ana Ruiz"), as_of=None)
    hub_publishes_state(gym_broker, forged, athlete_state_topic("Ana Ruiz"))
    link = open_link(links, gym_broker.settings("rack-7"), "rack-7")

    assert link.wait_athlete_state("sam  LEE", CONNECT_S) == sam  # the name as another rack typed it
    assert link.athlete_state("Sam Lee") == sam
    assert link.wait_athlete_state("Broken Payload", CONNECT_S) is None
    assert link.wait_athlete_state("Ana Ruiz", CONNECT_S) is None
    assert asyncio.run(link.athlete_state_within("Sam Lee", 5)) == sam


def test_an_athlete_the_hub_never_heard_of_is_none_soon_after_subscribing(gym_broker: Broker,
                                                                         links: list[RackLink]) -> None:
    link = open_link(links, gym_broker.settings("rack-8"), "rack-8")
    wait_connected(link)
    started = time.monotonic()
    assert link.wait_athlete_state("Nobody Yet", CONNECT_S) is None
    assert time.monotonic() - started < CONNECT_S - 1  # the grace after the SUBACK ended it, not the deadline
    assert asyncio.run(link.athlete_state_within("Nobody Yet", CONNECT_S)) is None


def test_with_no_broker_an_athlete_state_waits_no_longer_than_asked_and_close_does_not_hang(
    gym_broker: Broker, tmp_path: Path
) -> None:
    settings = gym_broker.settings("rack-1")
    gym_broker.stop()
    link = RackLink(settings, "rack-1", Outbox.open(None))
    link.start()
    started = time.monotonic()
    assert link.wait_athlete_state("Sam Lee", 0.5) is None
    assert 0.5 <= time.monotonic() - started < 0.5 + RETAINED_GRACE_S + 2
    link.event("cue", text="kept")
    wait_until(lambda: link.health().waiting == 1, 10, "the event kept", detail=link.health)
    started = time.monotonic()
    link.close(timeout_s=1.0)
    assert time.monotonic() - started < 1.5
