"""Synthetic racks for the coach tests: real paho clients, logged in as rack-N, publishing real payloads.

:class:`SyntheticRack` runs in the test's process (a status, an event, when
the test says). :class:`RackProcess` runs ``python tests/gym_racks.py`` as a
separate process publishing status at a steady rate, so a test can SIGKILL
it (the kernel closes its socket; the broker sends its will) or SIGSTOP it
(its socket stays open and silent; only the coach's stale timer sees it).
Both announce themselves the way a rack does: presence ``online``
retained, with ``lost`` as the will.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

from gymtui.gym.connection import connect, make_client
from gymtui.gym.payloads import (
    ChannelLevel,
    CuffLevel,
    RackEvent,
    RackPresence,
    RackStatus,
    encode,
)
from gymtui.gym.settings import BrokerSettings
from gymtui.gym.topics import rack_topic

CONNECT_S = 15.0


def sample_status(rack: str, seq: int, **fields: Any) -> RackStatus:
    """A rack mid-set: athlete, exercise, set 2 of 4, a work phase counting down, two muscles, a cuff holding."""
    values: dict[str, Any] = {
        "screen": "set", "athlete": "Sam Lee", "exercise": "Back squat", "set_n": 2, "set_of": 4,
        "phase": "Work", "phase_kind": "concentric", "countdown_s": 42.0, "load_kg": 80.0,
        "channels": (ChannelLevel("quads", pct_mvc=72.0, target=True), ChannelLevel("glutes", pct_mvc=38.0)),
        "cuff": CuffLevel(state="holding", pressure_mmhg=182.0, target_mmhg=180.0),
    }
    values.update(fields)
    return RackStatus(rack=rack, sent_at=time.time(), seq=seq, **values)


class SyntheticRack:
    """One rack's broker link, in this process."""

    def __init__(self, settings: BrokerSettings, *, announce_keepalive_s: int | None = None) -> None:
        self.rack = settings.username
        self.settings = settings
        self.seq = 0
        self.event_seq = 0
        self._connected = threading.Event()
        self._acked: set[int] = set()
        self._lock = threading.Lock()
        self.client = make_client(
            settings, self.rack, will=(rack_topic(self.rack, "presence"), encode(RackPresence(rack=self.rack, state="lost")))
        )
        self.client.on_connect = lambda *_: self._connected.set()
        self.client.on_publish = self._on_publish
        self.announce_keepalive_s = announce_keepalive_s or settings.keepalive_s

    def _on_publish(self, _c: object, _u: object, mid: int, _reason: object, _p: object) -> None:
        with self._lock:
            self._acked.add(mid)

    def start(self) -> SyntheticRack:
        connect(self.client, self.settings, persistent=False)
        assert self._connected.wait(CONNECT_S), f"{self.rack}: no CONNACK within {CONNECT_S} s"
        presence = RackPresence(rack=self.rack, state="online", at=time.time(), keepalive_s=self.announce_keepalive_s)
        self._publish_acked(rack_topic(self.rack, "presence"), encode(presence), retain=True)
        return self

    def status(self, **fields: Any) -> RackStatus:
        self.seq += 1
        status = sample_status(self.rack, self.seq, **fields)
        self.client.publish(rack_topic(self.rack, "status"), encode(status), qos=0)
        return status

    def event(self, kind: str, text: str | None = None, **fields: Any) -> RackEvent:
        self.event_seq += 1
        event = RackEvent(rack=self.rack, kind=kind, at=time.time(), seq=self.event_seq, text=text, **fields)  # type: ignore[arg-type]
        self._publish_acked(rack_topic(self.rack, "events"), encode(event))
        return event

    def _publish_acked(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        deadline = time.monotonic() + CONNECT_S
        while True:
            with self._lock:
                if info.mid in self._acked:
                    return
            assert time.monotonic() < deadline, f"{self.rack}: no PUBACK for {topic} within {CONNECT_S} s"
            time.sleep(0.01)

    def stop(self) -> None:
        """Say goodbye like a rack that closes (offline), then disconnect."""
        try:
            if self.client.is_connected():
                goodbye = RackPresence(rack=self.rack, state="offline", at=time.time())
                self.client.publish(rack_topic(self.rack, "presence"), encode(goodbye), qos=1, retain=True).wait_for_publish(5)
        except (RuntimeError, ValueError):
            pass
        self.client.disconnect()
        self.client.loop_stop()


class RackProcess:
    """A synthetic rack in its own process, publishing status at ``hz`` until killed."""

    def __init__(self, broker_args: list[str], rack: str, *, hz: float = 5.0, keepalive_s: int = 5,
                 announce_keepalive_s: int | None = None, athlete: str = "Sam Lee") -> None:
        args = [sys.executable, str(Path(__file__).resolve()), "--rack", rack, "--hz", str(hz),
                "--keepalive", str(keepalive_s), "--athlete", athlete, *broker_args]
        if announce_keepalive_s is not None:
            args += ["--announce-keepalive", str(announce_keepalive_s)]
        self.rack = rack
        self.proc = subprocess.Popen(args, cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def signal(self, signum: int) -> None:
        os.kill(self.proc.pid, signum)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            self.proc.kill()
        self.proc.wait(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rack", required=True)
    parser.add_argument("--hz", type=float, default=5.0)
    parser.add_argument("--keepalive", type=int, default=5)
    parser.add_argument("--announce-keepalive", type=int)
    parser.add_argument("--athlete", default="Sam Lee")
    parser.add_argument("--gym", required=True)
    parser.add_argument("--gym-password-file", type=Path, required=True)
    parser.add_argument("--gym-ca", type=Path)
    args = parser.parse_args(argv)
    settings = BrokerSettings.build(args.gym, args.rack, password_file=args.gym_password_file, ca_file=args.gym_ca,
                                    keepalive_s=args.keepalive)
    rack = SyntheticRack(settings, announce_keepalive_s=args.announce_keepalive).start()
    period = 1.0 / args.hz
    countdown = 60.0
    while True:
        countdown = countdown - period if countdown > period else 60.0
        rack.status(athlete=args.athlete, countdown_s=countdown)
        time.sleep(period)


if __name__ == "__main__":
    raise SystemExit(main())
