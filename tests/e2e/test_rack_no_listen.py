"""A rack only ever dials out: the real app on the gym opens no listening socket, and talks to nothing but the broker.

paho-mqtt wakes its own network loop through a socket pair, which it makes
through a listening TCP socket on 127.0.0.1; gymtui gives it a Unix socket
pair instead (:func:`gymtui.gym.connection.load_paho`), so the rack's only
internet socket is the one to the broker.
"""

from __future__ import annotations

import socket
from pathlib import Path

import psutil
import pytest
from app_process import AppProcess
from mqtt_broker import Broker
from waiting import wait_until

pytestmark = pytest.mark.timeout(180)

def sockets_of(pid: int) -> list[psutil._common.pconn]:
    """Every internet socket of the app and any process it started."""
    process = psutil.Process(pid)
    found = list(process.net_connections(kind="inet"))
    for child in process.children(recursive=True):
        found += child.net_connections(kind="inet")
    return found


def test_a_rack_on_the_gym_has_no_listening_socket(gym_broker: Broker, tmp_path: Path) -> None:
    args = ["--demo", "--speed", "10", "--db", str(tmp_path / "rack.db"), *gym_broker.cli_args("rack-1"), "--rack", "rack-1"]
    with AppProcess(args) as app:
        app.wait_for(lambda: app.saw(b"Demo EMG"), 120, "the demo sensor on the home screen")
        wait_until(lambda: "as rack-1 " in gym_broker.log_text(), timeout_s=60, what="rack-1 connected to the broker")
        app.drain()
        sockets = sockets_of(app.proc.pid)
    listening = [s for s in sockets if s.status == psutil.CONN_LISTEN]
    assert listening == [], f"the rack listens: {listening}"
    unconnected_udp = [s for s in sockets if s.type == socket.SOCK_DGRAM and not s.raddr]
    assert unconnected_udp == [], f"the rack has UDP sockets anyone could send to: {unconnected_udp}"
    assert all(s.raddr.ip == "127.0.0.1" for s in sockets if s.raddr), f"a packet left loopback: {sockets}"
    assert [(s.raddr.port, s.status) for s in sockets] == [(gym_broker.port, psutil.CONN_ESTABLISHED)], (
        f"the rack's sockets: {sockets}")
