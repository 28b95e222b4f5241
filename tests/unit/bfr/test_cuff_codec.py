"""The open cuff profile's bytes: round trips, the spec's worked examples, and bad input."""

from __future__ import annotations

import pytest
import repo_paths

from gymtui.bfr.codec import (
    CuffInfo,
    CuffProtocolError,
    CuffStatus,
    Opcode,
    Result,
    crc16,
    decode_command,
    decode_info,
    decode_pressure,
    decode_status,
    encode_command,
    encode_info,
    encode_keepalive,
    encode_pressure,
    encode_status,
)
from gymtui.bfr.flags import CuffFlag
from gymtui.bfr.profile import load_cuff_profile
from gymtui.device_api import AdapterError
from gymtui.model import CuffCommand, CuffCommandKind
from gymtui.sim.cuff import CuffFirmware, CuffPhysics, Mode

REPO = repo_paths.REPO_ROOT


def test_crc_is_ccitt_false():
    assert crc16(b"123456789") == 0x29B1  # the standard check value


def test_set_target_bytes_match_the_spec_example():
    data = encode_command(CuffCommand(CuffCommandKind.TARGET, 90.0), token=7)
    assert data.hex(" ") == "01 07 84 03 " + data[4:].hex(" ")
    assert data[4:] == crc16(data[:4]).to_bytes(2, "little")
    decoded = decode_command(data)
    assert (decoded.opcode, decoded.token, decoded.target_mmhg) == (Opcode.SET_TARGET, 7, 90.0)


def test_spec_document_examples_are_the_codec_output():
    spec = (REPO / "devices" / "CUFF-PROTOCOL.md").read_text(encoding="utf-8")
    examples = {
        encode_command(CuffCommand(CuffCommandKind.TARGET, 90.0), token=7).hex(" "),
        encode_command(CuffCommand(CuffCommandKind.DEFLATE), token=8).hex(" "),
        encode_keepalive(9).hex(" "),
        encode_pressure(258, 89.7, 90.0, CuffFlag.REGULATING | CuffFlag.PUMP_ON).hex(" "),
    }
    for example in examples:
        assert example in spec, f"CUFF-PROTOCOL.md should show {example}"


def test_pressure_notification_round_trip():
    frame = decode_pressure(encode_pressure(65535, 123.4, 120.0, CuffFlag.PUMP_ON | CuffFlag.LEAK))
    assert frame.seq == 65535 and frame.pressure_mmhg == 123.4 and frame.set_point_mmhg == 120.0
    assert frame.flags == CuffFlag.PUMP_ON | CuffFlag.LEAK


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x01\x07\x84\x03\x00\x00", "CRC"),
        (b"\x01\x07\x84", "6 bytes"),
        (b"\x09\x07\x00\x00" + crc16(b"\x09\x07\x00\x00").to_bytes(2, "little"), "opcode"),
    ],
)
def test_bad_command_bytes_are_refused_with_a_reason(data, fragment):
    with pytest.raises(CuffProtocolError, match=fragment):
        decode_command(data)


def test_deflate_is_honoured_even_when_malformed():
    """Safety over strictness: a corrupted deflate still deflates."""
    assert decode_command(b"\x03").opcode == Opcode.DEFLATE
    assert decode_command(b"\x03\x01\xff\xff\x00\x00").opcode == Opcode.DEFLATE


def test_wrong_length_notifications_are_refused():
    with pytest.raises(CuffProtocolError, match="8 bytes"):
        decode_pressure(b"\x00" * 7)
    with pytest.raises(CuffProtocolError):
        decode_status(b"\x00" * 3)


def test_status_and_info_round_trip():
    status = CuffStatus(CuffFlag.WATCHDOG_DEFLATED | CuffFlag.LOW_BATTERY, 37, 9, Result.ABOVE_MAX, 1)
    assert decode_status(encode_status(status)) == status
    info = CuffInfo(1, 300.0, 3.0, 20, True)
    assert decode_info(encode_info(info)) == info
    with pytest.raises(CuffProtocolError, match="version 2"):
        decode_info(bytes([2]) + encode_info(info)[1:])


def test_firmware_obeys_the_bytes_and_reports_results():
    physics = CuffPhysics()
    fw = CuffFirmware(physics)
    assert fw.write(encode_command(CuffCommand(CuffCommandKind.TARGET, 120.0), 1)) == Result.OK
    assert physics.mode is Mode.REGULATE and physics.set_point_mmhg == 120.0
    assert fw.write(encode_command(CuffCommand(CuffCommandKind.TARGET, 301.0), 2)) == Result.ABOVE_MAX
    assert fw.write(b"\x01\x02\x03\x04\x05\x06") == Result.BAD_CRC
    assert physics.set_point_mmhg == 120.0  # bad writes change nothing
    assert decode_status(fw.status()).last_result == Result.BAD_CRC
    assert fw.write(b"\x03") == Result.OK
    assert physics.mode is Mode.DEFLATE


def test_open_profile_loads_with_its_limits():
    profile = load_cuff_profile()
    assert profile.max_mmhg == 300.0
    assert profile.watchdog_s == 3.0 and profile.keepalive_s == 1.0
    assert profile.link_loss_deflates
    assert profile.service_uuid.startswith("b4f00001")


def test_a_broken_profile_names_file_and_key(tmp_path):
    bad = tmp_path / "cuff.toml"
    text = (REPO / "devices" / "cuff-open.toml").read_text().replace("max_mmhg = 300.0", "max_mmhg = 900.0")
    bad.write_text(text)
    with pytest.raises(AdapterError, match=r"cuff.toml: \[pressure\] max_mmhg"):
        load_cuff_profile(bad)
    bad.write_text("name = 'x'\nkind = 'cuff'\n")
    with pytest.raises(AdapterError, match="missing"):
        load_cuff_profile(bad)
