"""Where a rack's broker settings come from: the command line, gym.toml's [gym] table, the flag winning over the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gymtui.cli import build_parser, rack_gym_settings


@pytest.fixture
def config_dir(private_home: Path) -> Path:
    folder = private_home / "config" / "gymtui"
    folder.mkdir(parents=True)
    (folder / "rack-3").write_text("s3cret\n")
    (folder / "rack-3").chmod(0o600)
    (folder / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    return folder


def settings_for(*argv: str) -> object:
    return rack_gym_settings(build_parser().parse_args(list(argv)))


def write_toml(folder: Path, body: str) -> Path:
    path = folder / "gym.toml"
    path.write_text("[gym]\nbar_kg = 20\n" + body)
    return path


def test_a_rack_starts_on_the_gym_from_gym_toml_alone(config_dir: Path) -> None:
    write_toml(config_dir, 'broker = "mqtts://gym.local:8883"\nrack = "rack-3"\n'
                           'broker_password_file = "rack-3"\nbroker_ca = "ca.crt"\n')
    link = settings_for("--demo")
    assert link is not None
    settings, rack = link
    assert rack == "rack-3" and settings.username == "rack-3"
    assert str(settings.url) == "mqtts://gym.local:8883"
    assert settings.password == "s3cret"
    assert settings.ca_file == config_dir / "ca.crt", "a relative path is beside gym.toml"


def test_each_flag_wins_over_its_key_in_gym_toml(config_dir: Path, tmp_path: Path) -> None:
    write_toml(config_dir, 'broker = "mqtts://gym.local:8883"\nrack = "rack-3"\nbroker_password_file = "rack-3"\n')
    other = tmp_path / "rack-4-password"
    other.write_text("four\n")
    other.chmod(0o600)
    link = settings_for("--rack", "rack-4", "--gym-password-file", str(other))
    assert link is not None
    settings, rack = link
    assert (rack, settings.username, settings.password) == ("rack-4", "rack-4", "four")
    assert str(settings.url) == "mqtts://gym.local:8883", "the broker still comes from the file"


def test_a_rack_alone_has_no_broker_and_needs_no_gym_toml(config_dir: Path) -> None:
    assert settings_for("--demo") is None
    write_toml(config_dir, "")
    assert settings_for("--demo") is None


def test_plain_mqtt_off_loopback_in_gym_toml_is_refused_and_says_where(config_dir: Path) -> None:
    path = write_toml(config_dir, 'broker = "mqtt://gym.local"\nrack = "rack-3"\nbroker_password_file = "rack-3"\n')
    with pytest.raises(ValueError, match=r"mqtt:// to gym\.local would send health data in clear") as caught:
        settings_for()
    assert str(caught.value).endswith(f"(settings from {path})")


def test_a_broker_key_gym_toml_got_wrong_stops_the_link_unless_the_flag_replaces_it(config_dir: Path) -> None:
    path = write_toml(config_dir, 'broker = "mqtts://gym.local:8883"\nrack = 3\nbroker_password_file = "rack-3"\n')
    with pytest.raises(ValueError) as caught:
        settings_for()
    assert str(caught.value) == f"{path}:4: gym.rack must be text, got 3; the gym link cannot use it"
    link = settings_for("--rack", "rack-3")
    assert link is not None and link[1] == "rack-3"


def test_a_bad_rack_name_in_gym_toml_is_one_line_naming_the_file(config_dir: Path) -> None:
    path = write_toml(config_dir, 'broker = "mqtts://gym.local:8883"\nrack = "rack 3/#"\n')
    with pytest.raises(ValueError, match=r"rack name 'rack 3/#' is not allowed") as caught:
        settings_for()
    assert str(caught.value).endswith(f"(from {path})")
