"""A profile's ``[vibrate]`` table: how a sensor buzzes when a form cue fires, checked like every other write."""

from __future__ import annotations

from pathlib import Path

import pytest

from gymtui.adapters.profiles import (
    ProfileError,
    devices_dir,
    load_profile,
    load_profiles,
)

MYO_COMMAND = "d5060401-a904-deb9-4748-2c7f4a124842"


def test_the_myo_buzzes_with_a_short_vibrate_command_and_other_sensors_cannot() -> None:
    profiles = load_profiles()
    vibrate = profiles["myo"].vibrate
    assert vibrate is not None
    assert (vibrate.characteristic, vibrate.data, vibrate.response) == (MYO_COMMAND, bytes.fromhex("030101"), True)
    assert [p for p, profile in sorted(profiles.profiles.items()) if profile.vibrate is not None] == ["myo"]


def _myo_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (devices_dir() / "myo.toml").read_text()
    assert old in text
    path = tmp_path / "myo.toml"
    path.write_text(text.replace(old, new))
    return path


def _line_of(path: Path, line: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t == line)


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ('hex = "03 01 01"', 'hex = "03 01 zz"', "vibrate.hex", "not hex bytes"),
        ('hex = "03 01 01"', 'hex = ""', "vibrate.hex", "at least one byte"),
        ('note = "vibrate: short"', 'note = "vibrate: short"\ndelay_after_s = 1.0', "vibrate.delay_after_s", "never waits"),
        ('note = "vibrate: short"', 'note = "vibrate: short"\nlength = 1', "vibrate.length", "unknown key"),
    ],
)
def test_a_bad_vibrate_write_names_file_line_and_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    path = _myo_with(tmp_path, old, new)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    error = caught.value
    assert error.key == key and problem in error.problem
    assert error.line == _line_of(path, new.splitlines()[-1])


def test_a_bad_vibrate_characteristic_is_not_a_uuid(tmp_path: Path) -> None:
    text = (devices_dir() / "myo.toml").read_text()
    start = text.index("[vibrate]")
    path = tmp_path / "myo.toml"
    path.write_text(text[:start] + text[start:].replace(f'characteristic = "{MYO_COMMAND}"', 'characteristic = "0401"', 1))
    profile = load_profile(path)  # a 16-bit short form is a valid UUID: it is put into the base UUID
    assert profile.vibrate is not None and profile.vibrate.characteristic == "00000401-0000-1000-8000-00805f9b34fb"
    path.write_text(text[:start] + text[start:].replace(f'characteristic = "{MYO_COMMAND}"', 'characteristic = "myo"', 1))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.key == "vibrate.characteristic" and "not a UUID" in caught.value.problem
