"""The real ``gymtui hub`` as a process against the test broker, and a rack's QoS 1 publisher for it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Self

from mqtt_broker import Broker
from waiting import wait_until

from gymtui.gym.connection import connect, make_client, reason_line
from gymtui.gym.payloads import SetRecord, encode
from gymtui.gym.topics import rack_topic

START_S = 60.0


class HubProcess:
    """``python -m gymtui hub`` as the user ``hub``; its output in ``log_path``."""

    def __init__(self, broker: Broker, db: Path, log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gymtui", "hub", "--db", str(db), *broker.cli_args("hub")],
                stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy(),
            )
        wait_until(lambda: "hub: connected" in self.output() or self.proc.poll() is not None, START_S,
                   "gymtui hub connected", detail=self.output)
        assert self.proc.poll() is None, self.output()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return int(self.proc.returncode)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def publish_as_rack(broker: Broker, rack: str, payloads: list[bytes | SetRecord]) -> None:
    """Publish each payload on ``rack``'s records topic at QoS 1, and wait for every PUBACK (all accepted)."""
    settings = broker.settings(rack)
    client = make_client(settings, f"{rack}-test")
    connected, done = threading.Event(), threading.Event()
    reasons: dict[int, int] = {}

    def on_publish(_c: object, _u: object, mid: int, reason: object, _p: object) -> None:
        reasons[mid] = int(getattr(reason, "value", -1))
        if len(reasons) == len(payloads):
            done.set()

    client.on_connect = lambda *_a: connected.set()
    client.on_publish = on_publish
    connect(client, settings, persistent=False)
    try:
        assert connected.wait(30), f"{rack} connected within 30 s"
        topic = rack_topic(rack, "records")
        mids = [client.publish(topic, p if isinstance(p, bytes) else encode(p), qos=1).mid for p in payloads]
        assert done.wait(30), f"PUBACKs within 30 s: {reasons}"
        refused = {mid: reasons[mid] for mid in mids if reasons[mid] >= 0x80}
        assert not refused, {mid: reason_line(type("R", (), {"value": v})()) for mid, v in refused.items()}
    finally:
        client.disconnect()
        client.loop_stop()
