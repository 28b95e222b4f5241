"""The open BFR cuff profile's bytes: pure encode/decode functions over ``bytes``.

The wire format is specified in ``devices/CUFF-PROTOCOL.md`` and named in
``devices/cuff-open.toml``. No bleak here, so the BLE adapter, the emulated
peripheral and the simulated cuff share it and tests can feed it bad bytes.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

from gymtui.bfr.flags import CuffFlag
from gymtui.model import CuffCommand, CuffCommandKind

PROTOCOL_VERSION = 1
SCALE_MMHG = 0.1
MAX_WIRE_MMHG = 0xFFFF * SCALE_MMHG


class Opcode:
    SET_TARGET = 0x01
    HOLD = 0x02
    DEFLATE = 0x03
    KEEPALIVE = 0x04


class Result:
    """Last-command result byte in the status characteristic."""

    OK = 0
    BAD_CRC = 1
    ABOVE_MAX = 2
    UNKNOWN_OPCODE = 3
    BAD_LENGTH = 4


COMMAND_LEN = 6
PRESSURE_LEN = 8
STATUS_LEN = 8
INFO_LEN = 8

_COMMAND = struct.Struct("<BBH")  # opcode, token, value (0.1 mmHg); then crc16 LE
_PRESSURE = struct.Struct("<HHHH")  # seq, pressure, set point (0.1 mmHg), flags
_STATUS = struct.Struct("<HBBBBH")  # flags, battery %, last token, last result, fw version, reserved
_INFO = struct.Struct("<BBHHBB")  # version, reserved, max (0.1 mmHg), watchdog ms, rate Hz, link-loss deflate


class CuffProtocolError(ValueError):
    """Bytes that do not follow the open cuff profile; the message says what is wrong."""


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), as most MCU SDKs ship it."""
    return binascii.crc_hqx(data, 0xFFFF)


def _counts(mmhg: float) -> int:
    if not 0 <= mmhg <= MAX_WIRE_MMHG:
        raise CuffProtocolError(f"{mmhg} mmHg does not fit the wire's 0–{MAX_WIRE_MMHG:.1f} mmHg")
    return round(mmhg / SCALE_MMHG)


# -- commands (central → cuff) ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class WireCommand:
    opcode: int
    token: int
    target_mmhg: float


def encode_command(command: CuffCommand, token: int) -> bytes:
    """A supervisor command as the 6 bytes written to the command characteristic."""
    opcode = {
        CuffCommandKind.TARGET: Opcode.SET_TARGET,
        CuffCommandKind.HOLD: Opcode.HOLD,
        CuffCommandKind.DEFLATE: Opcode.DEFLATE,
    }[command.kind]
    value = _counts(command.target_mmhg) if opcode == Opcode.SET_TARGET else 0
    return _with_crc(_COMMAND.pack(opcode, token & 0xFF, value))


def encode_keepalive(token: int) -> bytes:
    return _with_crc(_COMMAND.pack(Opcode.KEEPALIVE, token & 0xFF, 0))


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


def decode_command(data: bytes) -> WireCommand:
    """What a cuff's firmware does with a write. DEFLATE is honoured even if malformed."""
    data = bytes(data)
    if data[:1] == bytes([Opcode.DEFLATE]):
        return WireCommand(Opcode.DEFLATE, data[1] if len(data) > 1 else 0, 0.0)
    if len(data) != COMMAND_LEN:
        raise CuffProtocolError(f"a command is {COMMAND_LEN} bytes, got {len(data)}")
    opcode, token, value = _COMMAND.unpack_from(data)
    (crc,) = struct.unpack_from("<H", data, 4)
    if crc != crc16(data[:4]):
        raise CuffProtocolError(f"command CRC mismatch (got {crc:04x}, want {crc16(data[:4]):04x})")
    if opcode not in (Opcode.SET_TARGET, Opcode.HOLD, Opcode.KEEPALIVE):
        raise CuffProtocolError(f"unknown opcode 0x{opcode:02x}")
    return WireCommand(opcode, token, round(value * SCALE_MMHG, 1))


# -- notifications (cuff → central) ------------------------------------------------
@dataclass(frozen=True, slots=True)
class PressureFrame:
    seq: int
    pressure_mmhg: float
    set_point_mmhg: float
    flags: CuffFlag


def encode_pressure(seq: int, pressure_mmhg: float, set_point_mmhg: float, flags: int) -> bytes:
    return _PRESSURE.pack(seq & 0xFFFF, _counts(pressure_mmhg), _counts(set_point_mmhg), int(flags) & 0xFFFF)


def decode_pressure(data: bytes) -> PressureFrame:
    if len(data) != PRESSURE_LEN:
        raise CuffProtocolError(f"a pressure notification is {PRESSURE_LEN} bytes, got {len(data)}")
    seq, p, sp, flags = _PRESSURE.unpack(bytes(data))
    return PressureFrame(seq, round(p * SCALE_MMHG, 1), round(sp * SCALE_MMHG, 1), CuffFlag(flags))


@dataclass(frozen=True, slots=True)
class CuffStatus:
    flags: CuffFlag
    battery_pct: int
    last_token: int
    last_result: int
    firmware: int


def encode_status(status: CuffStatus) -> bytes:
    return _STATUS.pack(
        int(status.flags) & 0xFFFF, status.battery_pct, status.last_token & 0xFF, status.last_result, status.firmware, 0
    )


def decode_status(data: bytes) -> CuffStatus:
    if len(data) != STATUS_LEN:
        raise CuffProtocolError(f"a status value is {STATUS_LEN} bytes, got {len(data)}")
    flags, battery, token, result, fw, _ = _STATUS.unpack(bytes(data))
    return CuffStatus(CuffFlag(flags), battery, token, result, fw)


@dataclass(frozen=True, slots=True)
class CuffInfo:
    version: int
    max_mmhg: float
    watchdog_s: float
    rate_hz: int
    link_loss_deflates: bool


def encode_info(info: CuffInfo) -> bytes:
    return _INFO.pack(
        info.version, 0, _counts(info.max_mmhg), round(info.watchdog_s * 1000), info.rate_hz, int(info.link_loss_deflates)
    )


def decode_info(data: bytes) -> CuffInfo:
    if len(data) != INFO_LEN:
        raise CuffProtocolError(f"an info value is {INFO_LEN} bytes, got {len(data)}")
    version, _, max_counts, watchdog_ms, rate, lld = _INFO.unpack(bytes(data))
    if version != PROTOCOL_VERSION:
        raise CuffProtocolError(f"cuff speaks profile version {version}; gymtui speaks {PROTOCOL_VERSION}")
    return CuffInfo(version, max_counts * SCALE_MMHG, watchdog_ms / 1000.0, rate, bool(lld))
