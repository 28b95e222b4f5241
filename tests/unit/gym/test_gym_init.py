"""``gymtui gym init``: the folder it writes is what a real Mosquitto starts from, and each rack's files get it in."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import pytest
from mqtt_broker import Broker, free_loopback_port, require_mosquitto

from gymtui.cli import main
from gymtui.gym.broker_setup import BrokerDir, read_broker_dir

pytestmark = pytest.mark.timeout(120)


def gym_init(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str]:
    status = main(["gym", "init", str(folder), *args])
    out, err = capsys.readouterr()
    return status, out + err


def loopback_args(port: int) -> list[str]:
    """A broker for the tests: loopback only, and kept as this user when the tests run as root."""
    args = ["--bind", "127.0.0.1", "--port", str(port)]
    return [*args, "--run-as", getpass.getuser()] if os.geteuid() == 0 else args


def broker_from(folder: Path) -> Broker:
    existing = read_broker_dir(folder)
    return Broker(
        BrokerDir(folder, existing.port, existing.bind_address, True, existing.racks, existing.passwords),
        require_mosquitto(),
    )


def doctor_says_all_well(capsys: pytest.CaptureFixture[str], broker: Broker, rack: str, password_file: Path, ca: Path) -> list[str]:
    status = main([
        "gym", "doctor", "--gym", f"mqtts://localhost:{broker.port}", "--rack", rack,
        "--gym-password-file", str(password_file), "--gym-ca", str(ca), "--timeout", "20",
    ])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0, "\n".join(lines)
    return lines


def test_gym_init_writes_a_folder_mosquitto_starts_from_and_every_rack_connects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "gym-broker"
    status, said = gym_init(capsys, folder, "--rack", "rack-1", "--rack", "rack-2", "--host", "gym.local",
                            *loopback_args(free_loopback_port()))
    assert status == 0, said
    assert f"sudo mosquitto -c {folder}/mosquitto.conf" in said
    for rack in ("rack-1", "rack-2"):
        assert f"{rack}  {folder}/credentials/{rack}  {folder}/ca.crt   then on it: chmod 600 ~/.config/gymtui/{rack}" in said
    assert "gymtui --gym mqtts://gym.local:" in said
    assert (folder / "credentials" / "rack-1").stat().st_mode & 0o077 == 0
    broker = broker_from(folder)
    broker.start()
    try:
        for rack in ("rack-1", "rack-2"):
            doctor_says_all_well(capsys, broker, rack, folder / "credentials" / rack, folder / "ca.crt")
    finally:
        broker.stop()


def test_gym_init_on_its_folder_again_adds_a_rack_and_the_others_keep_their_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "gym-broker"
    assert gym_init(capsys, folder, "--rack", "rack-1", "--host", "gym.local", *loopback_args(free_loopback_port()))[0] == 0
    # What rack-1 was given the first time, as it sits on the rack.
    on_rack = tmp_path / "rack-1"
    on_rack.mkdir()
    (on_rack / "password").write_bytes((folder / "credentials" / "rack-1").read_bytes())
    (on_rack / "password").chmod(0o600)
    (on_rack / "ca.crt").write_bytes((folder / "ca.crt").read_bytes())

    status, said = gym_init(capsys, folder, "--rack", "rack-3")
    assert status == 0, said
    assert "added rack-3" in said and "nothing to copy again to them" in said
    assert "rack-1  " not in said, "the plan names only the new rack"
    assert read_broker_dir(folder).racks == ("rack-1", "rack-3")
    broker = broker_from(folder)
    broker.start()
    try:
        doctor_says_all_well(capsys, broker, "rack-1", on_rack / "password", on_rack / "ca.crt")
        doctor_says_all_well(capsys, broker, "rack-3", folder / "credentials" / "rack-3", folder / "ca.crt")
    finally:
        broker.stop()


def test_gym_init_force_starts_over_with_a_new_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "gym-broker"
    assert gym_init(capsys, folder, "--rack", "rack-1", "--host", "gym.local")[0] == 0
    old_ca, old_password = (folder / "ca.crt").read_bytes(), (folder / "credentials" / "rack-1").read_bytes()
    status, said = gym_init(capsys, folder, "--rack", "rack-1", "--host", "gym.local", "--force")
    assert status == 0
    assert "every rack, the coach and the hub need their files again" in said
    assert (folder / "ca.crt").read_bytes() != old_ca
    assert (folder / "credentials" / "rack-1").read_bytes() != old_password


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--rack", "rack-1"], "give each rack (--rack NAME, repeated) and the broker's name"),
        (["--rack", "rack-1", "--host", "gym local"], "--host 'gym local' is not a host name or IP address"),
        (["--rack", "rack-1", "--host", "gym.local", "--bind", "everywhere"], "--bind 'everywhere' is not an IP address"),
        (["--rack", "hub", "--host", "gym.local"], "a rack cannot be called 'hub'"),
    ],
)
def test_gym_init_refuses_what_cannot_work_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str) -> None:
    status, said = gym_init(capsys, tmp_path / "gym-broker", *args)
    assert status == 2
    assert says in said and len(said.splitlines()) == 1, said


def test_gym_init_leaves_a_folder_of_other_files_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    status, said = gym_init(capsys, mine, "--rack", "rack-1", "--host", "gym.local")
    assert status == 2 and "has other files in it" in said
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
