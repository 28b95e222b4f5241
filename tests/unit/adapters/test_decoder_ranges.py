"""Each decoder says the counts its format can carry: what sizes a device's stored blocks, never the values seen."""

from __future__ import annotations

import pytest

from gymtui.adapters.decoders import make_decoder
from gymtui.adapters.profiles import devices_dir, load_profile, load_profiles


def test_each_shipped_profile_s_decoder_gives_its_device_s_range() -> None:
    profiles = load_profiles()
    ranges = {pid: profiles[pid].new_decoder().count_range() for pid in ("myo", "ganglion", "generic-int16", "myoware-wireless", "myoware-wireless-uart")}
    assert ranges == {
        "myo": (-128, 127),
        "ganglion": (-(2**23), 2**23 - 1),
        "generic-int16": (-(2**15), 2**15 - 1),
        "myoware-wireless": (0, 4095),
        "myoware-wireless-uart": (-4095, 4095),
    }
    assert make_decoder("int24le", 2).count_range() == (-(2**23), 2**23 - 1)
    assert make_decoder("ascii-decimal", 1).count_range() == (-(2**31), 2**31 - 1), "no range given: all of int32"


def test_ascii_values_beyond_the_range_still_decode() -> None:
    decoder = make_decoder("ascii-decimal", 1, {"count_range": [0, 4095]})
    packet = decoder.feed(b"70000.00")
    assert packet is not None and packet.counts.tolist() == [[70000]]


@pytest.mark.parametrize("value", ["[4095, 0]", "[0]", '["0", "4095"]', "[0, 4294967296]", "[true, 4095]"])
def test_a_bad_count_range_names_the_key(tmp_path, value: str) -> None:
    path = tmp_path / "myoware-wireless.toml"
    text = (devices_dir() / "myoware-wireless.toml").read_text()
    path.write_text(text.replace("count_range = [0, 4095]", f"count_range = {value}"))
    with pytest.raises(Exception, match=r"stream\.options\.count_range.*must be \[min, max\], two integers within the int32 range"):
        load_profile(path)
