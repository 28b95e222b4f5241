"""A real Mosquitto on 127.0.0.1 for the gym tests, started from the folder ``gymtui gym init`` writes.

Nothing here leaves the machine: the broker listens on loopback only, on a
port the kernel picked, and every client dials 127.0.0.1. TLS by default,
with the gym's own CA and certificates, passwords and ACL exactly as a gym
owner gets them (:func:`gymtui.gym.broker_setup.write_broker_dir`).

``stop()`` and ``start()`` take the broker away and bring it back on the
same port with the same persistence, for the outage tests.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from waiting import wait_until

from gymtui.gym.broker_setup import BrokerDir, write_broker_dir
from gymtui.gym.settings import PASSWORD_ENV, BrokerSettings

BROKER_START_S = 15.0


def mosquitto_path() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).is_file()), None
    )


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Broker:
    """One Mosquitto process over one broker folder."""

    def __init__(self, folder: BrokerDir, executable: str) -> None:
        self.folder = folder
        self.executable = executable
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = folder.root / "mosquitto.log"

    @property
    def port(self) -> int:
        return self.folder.port

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.folder.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "the broker is running already"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [self.executable, "-c", str(self.folder.conf), "-v"], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        wait_until(lambda: _accepting(self.port) or self.process is None or self.process.poll() is not None,
                   timeout_s=BROKER_START_S, what="mosquitto listening")
        if self.process.poll() is not None:
            raise AssertionError(f"mosquitto did not start:\n{self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM and wait: Mosquitto saves its persistence and goes; the port is free again."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def password_file(self, user: str) -> Path:
        return self.folder.password_file(user)

    def settings(self, user: str, *, keepalive_s: int = 5) -> BrokerSettings:
        """How ``user`` (a rack, ``coach``, ``hub``) connects to this broker."""
        return BrokerSettings.build(
            self.url, user, password_file=self.password_file(user),
            ca_file=self.folder.ca_cert if self.folder.tls else None, keepalive_s=keepalive_s,
        )

    def cli_args(self, user: str) -> list[str]:
        """The command-line flags a gymtui process needs to reach this broker as ``user``."""
        args = ["--gym", self.url, "--gym-password-file", str(self.password_file(user))]
        if self.folder.tls:
            args += ["--gym-ca", str(self.folder.ca_cert)]
        return args

    def env(self, user: str) -> dict[str, str]:
        """An environment carrying ``user``'s password the other documented way."""
        return {**os.environ, PASSWORD_ENV: self.folder.passwords[user]}

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def require_mosquitto() -> str:
    """Mosquitto's path; skip (fail in CI) where it is not installed."""
    from conftest import running_in_ci

    path = mosquitto_path()
    if path is None:
        message = "mosquitto is not installed (apt-get install mosquitto); the gym tests need a real broker"
        if running_in_ci():
            pytest.fail(f"{message}; CI is set, so this fails instead of skipping", pytrace=False)
        pytest.skip(message)
    return path


def start_broker(root: Path, racks: Sequence[str], *, tls: bool = True) -> Broker:
    executable = require_mosquitto()
    folder = write_broker_dir(
        root, racks, hosts=("localhost", "127.0.0.1"), port=free_loopback_port(), bind_address="127.0.0.1",
        tls=tls, run_as_user=getpass.getuser() if os.geteuid() == 0 else None,
    )
    broker = Broker(folder, executable)
    broker.start()
    return broker


@pytest.fixture
def gym_broker(tmp_path: Path) -> Iterator[Broker]:
    """A TLS Mosquitto on 127.0.0.1 for racks ``rack-1`` … ``rack-8``, the coach and the hub."""
    broker = start_broker(tmp_path / "broker", [f"rack-{n}" for n in range(1, 9)])
    try:
        yield broker
    finally:
        broker.stop()

