"""The paired list decides which sensors may be connected."""

from __future__ import annotations

from gymtui.adapters.ble import paired_sources
from gymtui.adapters.pairing import PairedDevice, PairedDevices
from gymtui.adapters.profiles import load_profiles


def test_paired_devices_survive_a_restart_and_only_they_become_sources(tmp_path):
    path = tmp_path / "paired.toml"
    registry = PairedDevices.load(path)
    registry.add(PairedDevice("e0:5a:00:00:00:01", "myo", 'Anna\'s "left" Myo'))
    registry.add(PairedDevice("E0:5A:00:00:00:02", "ganglion", "Ganglion", firmware=2))
    registry.add(PairedDevice("E0:5A:00:00:00:03", "polar-h10", "chest strap"))
    again = PairedDevices.load(path)
    assert again.problem is None
    assert again.get("E0:5A:00:00:00:01").name == 'Anna\'s "left" Myo'
    assert "e0:5a:00:00:00:02" in again and again.get("E0:5A:00:00:00:02").firmware == 2
    sources, problems = paired_sources(again, load_profiles())
    assert [s.device.address for s in sources] == ["E0:5A:00:00:00:01", "E0:5A:00:00:00:02"]
    assert sources[1].firmware == 2  # the user's override beats detection
    assert problems == ["chest strap: profile 'polar-h10' is missing or broken"]


def test_a_paired_file_with_a_bad_entry_pairs_nothing_and_says_where(tmp_path):
    path = tmp_path / "paired.toml"
    path.write_text('[[device]]\naddress = "E0:5A:00:00:00:01"\nname = "Myo"\n')
    registry = PairedDevices.load(path)
    assert len(registry) == 0
    assert registry.problem == f"{path}: device 1: needs 'address' and 'profile' strings"
