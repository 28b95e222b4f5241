"""``gymtui scan``: no adapter is one line and exit 2; emulated sensors are listed, paired and forgotten."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import repo_paths

from gymtui.adapters.pairing import PairedDevice, PairedDevices, default_path
from gymtui.cli import main

REPO = repo_paths.REPO_ROOT


def test_scan_without_a_bluetooth_adapter_prints_one_line_and_exits_2():
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/gymtui-test-socket", PYTHONPATH=str(REPO))
    if sys.platform != "linux":
        pytest.skip("the no-adapter path is forced through BlueZ's D-Bus address, Linux only")
    result = subprocess.run(
        [sys.executable, "-m", "gymtui", "scan", "--timeout", "0.5"], check=False, capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no Bluetooth adapter" in result.stderr
    assert "Traceback" not in result.stderr


def test_scan_emulated_sensors_shows_name_rssi_battery_and_profile(capsys):
    assert main(["scan", "--emulate", "myo,ganglion,myoware", "--timeout", "0.3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ADDRESS", "RSSI", "BATTERY", "NAME", "PROFILE"]
    rows = {line.split()[-1]: line.split() for line in lines[1:4]}
    assert rows["myo"][1:5] == ["-50", "dBm", "87%", "Myo"]
    assert rows["ganglion"][3:5] == ["—", "Ganglion-1a2b"]  # no battery in its advertisement
    assert rows["myoware-wireless"][4] == "MyoWareSensor1"
    assert lines[-1].startswith("3 device(s) heard, 3 matching a profile")


def test_pair_list_and_forget_round_trip_through_the_user_config(capsys):
    assert main(["scan", "--emulate", "ganglion", "--timeout", "0.3", "--pair", "e0:5a:00:00:00:01", "--firmware", "2"]) == 0
    assert "Paired E0:5A:00:00:00:01 (Ganglion-1a2b) as ganglion" in capsys.readouterr().out
    stored = PairedDevices.load()
    assert default_path().is_file() and stored.problem is None
    assert list(stored) == [PairedDevice("E0:5A:00:00:00:01", "ganglion", "Ganglion-1a2b", 2)]
    assert main(["scan", "--emulate", "ganglion", "--timeout", "0.3"]) == 0
    assert "[paired]" in capsys.readouterr().out
    assert main(["scan", "--list"]) == 0
    assert "E0:5A:00:00:00:01  ganglion" in capsys.readouterr().out
    assert main(["scan", "--forget", "E0:5A:00:00:00:01"]) == 0
    assert len(PairedDevices.load()) == 0


def test_pairing_a_device_not_in_range_fails_clearly(capsys):
    assert main(["scan", "--emulate", "myo", "--timeout", "0.2", "--pair", "E0:5A:00:00:00:42"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "gymtui scan: E0:5A:00:00:00:42 was not heard in 0.2 s; is it on and close by?"
    assert len(PairedDevices.load()) == 0


def test_a_damaged_paired_file_is_reported_with_its_line_and_nothing_is_paired(capsys):
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[[device]]\naddress = "E0:5A:00:00:00:01"\nprofile = myo\n')
    registry = PairedDevices.load()
    assert len(registry) == 0 and registry.problem.startswith(f"{path}:3: not valid TOML")
    assert main(["scan", "--list"]) == 0
    captured = capsys.readouterr()
    assert f"{path}:3: not valid TOML" in captured.err and "No sensors paired yet" in captured.out
