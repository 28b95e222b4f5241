"""``gymtui hub``'s start: broker settings as the coach resolves them, one line and exit 2 when they cannot work, one hub per log."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gym_records import lift, record_of
from hub_process import HubProcess, publish_as_rack
from mqtt_broker import Broker
from waiting import wait_until

from gymtui.cli import main
from gymtui.store import Store

pytestmark = pytest.mark.timeout(240)

MONDAY = dt.date(2025, 3, 3)


def hub_refuses(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``gymtui hub`` with ``argv``; it must exit 2 with one line on stderr and nothing on stdout."""
    assert main(["hub", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("gymtui hub: "), err
    return err.strip()


def test_plain_mqtt_to_another_machine_is_refused_before_the_log_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "gym.db"
    said = hub_refuses(capsys, "--gym", "mqtt://gym-server.local:1883", "--db", str(db))
    assert said == ("gymtui hub: mqtt:// to gym-server.local would send health data in clear: use mqtts:// "
                    "(plain mqtt is for a broker on loopback only)")
    assert not db.exists()


def test_a_missing_password_file_or_a_ca_that_is_no_certificate_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, missing = str(tmp_path / "gym.db"), tmp_path / "hub-password"
    said = hub_refuses(capsys, "--gym", "mqtts://127.0.0.1:8883", "--db", db, "--gym-password-file", str(missing))
    assert said.startswith(f"gymtui hub: {missing}: cannot read the password file")

    not_a_ca = tmp_path / "ca.crt"
    not_a_ca.write_text("this is not a certificate\n")
    said = hub_refuses(capsys, "--gym", "mqtts://127.0.0.1:8883", "--db", db, "--gym-ca", str(not_a_ca))
    assert said.startswith(f"gymtui hub: {not_a_ca}: not a PEM CA certificate (")
    assert said.endswith("); copy ca.crt from the broker folder")

    said = hub_refuses(capsys, "--gym", "mqtts://127.0.0.1:8883", "--db", db, "--gym-ca", str(tmp_path / "gone.crt"))
    assert said == f"gymtui hub: {tmp_path / 'gone.crt'}: no CA certificate there (broker_ca / --gym-ca)"


def test_the_hub_takes_its_broker_from_gym_toml_and_says_which_file_is_wrong(
    capsys: pytest.CaptureFixture[str], private_home: Path, tmp_path: Path
) -> None:
    config = private_home / "config" / "gymtui"
    config.mkdir(parents=True)
    (config / "gym.toml").write_text('[gym]\nbroker = "mqtt://gym-server.local:1883"\n')
    said = hub_refuses(capsys, "--db", str(tmp_path / "gym.db"))
    assert said.startswith("gymtui hub: mqtt:// to gym-server.local would send health data in clear")
    assert said.endswith(f"(settings from {config / 'gym.toml'})")

    (config / "gym.toml").write_text("[gym]\nbar_kg = 20\n")
    said = hub_refuses(capsys, "--db", str(tmp_path / "gym.db"))
    assert said == "gymtui hub: give the broker: --gym mqtts://HOST:8883 (or broker = ... in gym.toml's [gym])"


def test_a_second_hub_on_the_same_log_refuses_and_the_first_goes_on(gym_broker: Broker, tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    (tmp_path / "same-log.db").symlink_to(db)
    rack = Store(tmp_path / "rack-1.db")
    record = record_of(rack, lift(rack, "Sam Lee", "Back squat", MONDAY)[0], "rack-1")

    with HubProcess(gym_broker, db, tmp_path / "hub.log") as first:
        second = subprocess.run(
            [sys.executable, "-m", "gymtui", "hub", "--db", str(tmp_path / "same-log.db"), *gym_broker.cli_args("hub")],
            check=False, capture_output=True, text=True, timeout=60, env=os.environ.copy(),
        )
        assert second.returncode == 2, second
        assert second.stdout == "" and second.stderr.count("\n") == 1, second
        assert second.stderr.startswith(f"gymtui hub: another gymtui (pid {first.proc.pid}) is already using "), second.stderr
        publish_as_rack(gym_broker, "rack-1", [record])
        wait_until(lambda: "hub: new set " + record.uuid[:8] in first.output(), 60, "the first hub stored the set",
                   detail=first.output)
    assert first.proc.returncode == 0, first.output()

