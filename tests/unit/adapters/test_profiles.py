"""Profiles as data: the shipped ones load; a broken one names file, line and key; the rest still load."""

from __future__ import annotations

import shutil
from pathlib import Path

import repo_paths

from gymtui.adapters.profiles import devices_dir, load_profile, load_profiles

SHIPPED = {"myo", "ganglion", "myoware-wireless", "myoware-wireless-uart", "generic-int16"}


def test_shipped_profiles_load_with_their_facts():
    profiles = load_profiles()
    assert profiles.errors == ()
    assert SHIPPED <= set(profiles.profiles)
    myo = profiles["myo"]
    assert myo.rate_hz == 200 and myo.n_channels == 8 and myo.unit == "a.u."
    assert [w.data for w in myo.startup] == [bytes.fromhex("090101"), bytes.fromhex("0103030000")]
    assert myo.shutdown[-1].data == bytes.fromhex("090100")
    ganglion = profiles["ganglion"]
    assert ganglion.scale_uv == (0.0018699,) * 4 and ganglion.startup[0].data == b"b"
    assert ganglion.firmware.firmware_for("3.0.2") == 3 and ganglion.firmware.firmware_for("2.1.0") == 2
    assert profiles["myoware-wireless-uart"].scale_uv == (0.079, 4.029)


def test_scan_matching_by_advertised_service_or_name():
    profiles = load_profiles()
    assert profiles.match(None, ["D5060001-A904-DEB9-4748-2C7F4A124842"]).id == "myo"
    assert profiles.match("Ganglion-1a2b", []).id == "ganglion"
    assert profiles.match("Simblee", []).id == "ganglion"
    assert profiles.match("MyoWareSensor3", []).id == "myoware-wireless"
    assert profiles.match("Fitbit", ["180d"]) is None


def _copy_shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "devices"
    shutil.copytree(devices_dir(), folder)
    return folder


def test_a_misspelt_key_names_file_line_key_and_suggests_and_the_others_still_load(tmp_path):
    folder = _copy_shipped(tmp_path)
    path = folder / "myo.toml"
    path.write_text(path.read_text().replace("rate_hz = 200", "rate_hx = 200"))
    profiles = load_profiles([folder])
    assert set(profiles.profiles) == SHIPPED - {"myo"}
    (error,) = profiles.errors
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith("rate_hx"))
    assert str(error) == f"{path}:{line}: key 'stream.rate_hx': unknown key (did you mean 'rate_hz'?)"


def test_a_bad_value_in_an_array_of_tables_points_at_its_line(tmp_path):
    folder = _copy_shipped(tmp_path)
    path = folder / "myo.toml"
    path.write_text(path.read_text().replace('hex = "01 03 03 00 00"', 'hex = "01 03 zz"'))
    (error,) = load_profiles([folder]).errors
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "01 03 zz" in t)
    assert error.line == line and error.key == "startup[1].hex"


def test_invalid_toml_and_unknown_decoder_are_reported_per_file(tmp_path):
    folder = _copy_shipped(tmp_path)
    (folder / "ganglion.toml").write_text((folder / "ganglion.toml").read_text() + "\n[broken\n")
    text = (folder / "generic-int16.toml").read_text()
    (folder / "generic-int16.toml").write_text(text.replace('decoder = "int16le"', 'decoder = "int16be"'))
    profiles = load_profiles([folder])
    assert set(profiles.profiles) == SHIPPED - {"ganglion", "generic-int16"}
    messages = sorted(str(e) for e in profiles.errors)
    assert "not valid TOML" in messages[0] and "ganglion.toml:" in messages[0]
    assert "key 'stream.decoder': unknown decoder 'int16be' (did you mean 'int16le'?)" in messages[1]


def test_channel_count_must_suit_the_decoder(tmp_path):
    path = tmp_path / "myo.toml"
    path.write_text((devices_dir() / "myo.toml").read_text().replace('"pod 7", "pod 8"', '"pod 7"'))
    try:
        load_profile(path)
    except Exception as exc:  # noqa: BLE001
        assert "needs exactly 8 channels" in str(exc) and "stream.options.channels" in str(exc)
    else:
        raise AssertionError("a 7-channel Myo profile must not load")


def test_profiles_decoders_and_the_decode_command_need_no_bluetooth_stack():
    """``gymtui decode`` and profile checks work on a machine without bleak or bumble."""
    import subprocess
    import sys

    code = (
        "import sys, gymtui.adapters.profiles, gymtui.adapters.decoders, gymtui.adapters.pairing, "
        "gymtui.emulation.encoders, gymtui.commands.decode;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('bleak', 'bumble', 'textual'));"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                            cwd=repo_paths.REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
