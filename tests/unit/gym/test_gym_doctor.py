"""``gymtui gym doctor`` run as a rack would, against a real Mosquitto on 127.0.0.1: one line per check, ✓ or ✗."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import pytest
from mqtt_broker import Broker, free_loopback_port, require_mosquitto

from gymtui.cli import main
from gymtui.gym.broker_setup import write_broker_dir

pytestmark = pytest.mark.timeout(120)


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """Run ``gymtui gym doctor ARGS``; its exit status and the lines it printed (stdout, then stderr)."""
    status = main(["gym", "doctor", "--timeout", "20", *args])
    out, err = capsys.readouterr()
    return status, out.splitlines() + err.splitlines()


def line(lines: list[str], name: str) -> str:
    found = [x for x in lines if x[2:].startswith(f"{name}:")]
    assert found, f"no {name!r} line in:\n" + "\n".join(lines)
    return found[0]


def test_a_rack_with_its_own_files_gets_a_tick_on_every_line(gym_broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = doctor(capsys, *gym_broker.cli_args("rack-1"), "--rack", "rack-1")
    checks = [x for x in lines if x[:2] in ("✓ ", "✗ ")]
    assert status == 0, "\n".join(lines)
    assert [x[2:].split(":")[0] for x in checks] == [
        "broker URL", "password", "CA certificate", "name", "reach", "TLS", "credentials",
        "ACL", "ACL", "ACL", "athlete state",
    ], "\n".join(lines)
    assert all(x.startswith("✓ ") for x in checks), "\n".join(lines)
    assert "the broker refuses rack-1 writing athlete state, as it must (0x87)" in line(lines, "ACL: athlete state")
    assert "All well" in lines[-1]


def test_the_doctor_reads_a_racks_settings_from_gym_toml(gym_broker: Broker, capsys: pytest.CaptureFixture[str], private_home: Path) -> None:
    config = private_home / "config" / "gymtui"
    config.mkdir(parents=True)
    password = config / "rack-2"
    password.write_bytes(gym_broker.password_file("rack-2").read_bytes())
    password.chmod(0o600)
    (config / "ca.crt").write_bytes(gym_broker.folder.ca_cert.read_bytes())
    (config / "gym.toml").write_text(
        f'[gym]\nbroker = "{gym_broker.url}"\nrack = "rack-2"\nbroker_password_file = "rack-2"\nbroker_ca = "ca.crt"\n'
    )
    status, lines = doctor(capsys)
    assert status == 0, "\n".join(lines)
    assert lines[0].startswith("Checking rack rack-2 as broker user rack-2")
    assert line(lines, "password") == f"✓ password: from {password}"


def test_a_wrong_password_is_a_cross_on_the_credentials_line(gym_broker: Broker, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password\n")
    wrong.chmod(0o600)
    status, lines = doctor(
        capsys, "--gym", gym_broker.url, "--rack", "rack-1", "--gym-password-file", str(wrong),
        "--gym-ca", str(gym_broker.folder.ca_cert),
    )
    assert status == 1
    assert line(lines, "TLS").startswith("✓ ")
    assert line(lines, "credentials").startswith("✗ credentials: the broker refused the username or password (user rack-1)")
    assert not any(x[2:].startswith("ACL") for x in lines), "no ACL checks without a login"


def test_a_ca_that_did_not_sign_the_broker_is_an_unknown_ca(gym_broker: Broker, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other_gym = write_broker_dir(tmp_path / "other-gym", ["rack-1"], port=free_loopback_port(), bind_address="127.0.0.1")
    status, lines = doctor(
        capsys, "--gym", gym_broker.url, "--rack", "rack-1",
        "--gym-password-file", str(gym_broker.password_file("rack-1")), "--gym-ca", str(other_gym.ca_cert),
    )
    assert status == 1
    assert line(lines, "reach").startswith("✓ ")
    assert line(lines, "TLS").startswith(f"✗ TLS: unknown CA: the broker's certificate is not signed by the CA in {other_gym.ca_cert}")
    assert not any(x[2:].startswith("credentials") for x in lines), "no password is sent to a broker the rack cannot trust"


def test_a_host_name_the_certificate_does_not_carry_is_a_name_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_broker_dir(
        tmp_path / "broker", ["rack-1"], hosts=("gym.example",), port=free_loopback_port(), bind_address="127.0.0.1",
        run_as_user=getpass.getuser() if os.geteuid() == 0 else None,
    )
    broker = Broker(folder, require_mosquitto())
    broker.start()
    try:
        status, lines = doctor(
            capsys, "--gym", f"mqtts://localhost:{folder.port}", "--rack", "rack-1",
            "--gym-password-file", str(folder.password_file("rack-1")), "--gym-ca", str(folder.ca_cert),
        )
    finally:
        broker.stop()
    assert status == 1
    assert line(lines, "TLS").startswith("✗ TLS: host name mismatch: the broker's certificate is not for 'localhost'")
    assert "gymtui gym init DIR --host NAME" in line(lines, "TLS")


def test_plain_mqtt_to_another_machine_is_refused_before_any_packet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """192.0.2.1 is TEST-NET-1: nothing answers there, so a connect attempt would hang until the timeout.

    An audit hook sees every name lookup and socket connect this process
    makes; the doctor must make none.
    """
    attempts: list[tuple[str, object]] = []
    watching = [True]

    def hook(event: str, event_args: tuple[object, ...]) -> None:
        if watching[0] and event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
            attempts.append((event, event_args[1:2]))

    sys.addaudithook(hook)
    password = tmp_path / "password"
    password.write_text("secret\n")
    password.chmod(0o600)
    try:
        status, lines = doctor(capsys, "--gym", "mqtt://192.0.2.1:1883", "--rack", "rack-1", "--gym-password-file", str(password))
    finally:
        watching[0] = False
    assert status == 1
    assert line(lines, "broker URL") == (
        "✗ broker URL: mqtt:// to 192.0.2.1 would send health data in clear: "
        "use mqtts:// (plain mqtt is for a broker on loopback only)"
    )
    assert attempts == [], f"the doctor touched the network: {attempts}"
    assert not any(x[2:].startswith(("name", "reach", "credentials")) for x in lines)


def test_an_acl_that_lets_a_rack_write_athlete_state_is_a_cross(gym_broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    acl = gym_broker.folder.acl
    acl.write_text(acl.read_text().replace(
        "user rack-1\ntopic write gymtui/racks/rack-1/#\n",
        "user rack-1\ntopic write gymtui/racks/rack-1/#\ntopic write gymtui/athletes/#\n",
    ))
    gym_broker.stop()
    gym_broker.start()
    status, lines = doctor(capsys, *gym_broker.cli_args("rack-1"), "--rack", "rack-1")
    assert status == 1
    assert line(lines, "ACL: own topic").startswith("✓ ")
    assert line(lines, "ACL: athlete state").startswith(
        "✗ ACL: athlete state: the broker ALLOWED rack-1 to write athlete state: the ACL is too open (only the hub may)"
    )
    assert line(lines, "ACL: other racks").startswith("✓ ")


def test_no_broker_anywhere_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = doctor(capsys)
    assert status == 2
    assert lines == [lines[0]] and lines[0].startswith("gymtui gym doctor: no broker to check: give --gym mqtts://HOST:8883 --rack NAME")


def reissue_expired_server_cert(folder: Path) -> None:
    """The broker's certificate again, same key and names, but its validity ended yesterday."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    ca_key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    old = x509.load_pem_x509_certificate((folder / "server.crt").read_bytes())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(ca_cert.subject)
        .public_key(old.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now - dt.timedelta(days=1))
    )
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    (folder / "server.crt").write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))  # type: ignore[arg-type]


def test_an_expired_broker_certificate_is_named_as_such_and_gym_init_renews_it(gym_broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    gym_broker.stop()
    reissue_expired_server_cert(gym_broker.folder.root)
    gym_broker.start()
    status, lines = doctor(capsys, *gym_broker.cli_args("rack-1"), "--rack", "rack-1")
    assert status == 1
    assert line(lines, "TLS").startswith("✗ TLS: the broker's certificate has expired: on the broker, gymtui gym init DIR renews it")
    gym_broker.stop()
    assert main(["gym", "init", str(gym_broker.folder.root)]) == 0
    assert "the broker's certificate (it ended or was to end" in capsys.readouterr().out
    gym_broker.start()
    status, lines = doctor(capsys, *gym_broker.cli_args("rack-1"), "--rack", "rack-1")
    assert status == 0, "\n".join(lines)
