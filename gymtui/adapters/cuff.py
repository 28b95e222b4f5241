"""The open BFR cuff profile: its bytes, and a simulated cuff that speaks it.

The wire format is specified in ``devices/CUFF-PROTOCOL.md`` and named in
``devices/cuff-open.toml``. The codec here is pure functions over ``bytes``
(no bleak), so the BLE adapter, the emulated peripheral and the simulated
cuff share it and tests can feed it bad bytes.

:class:`SimulatedCuff` implements :class:`gymtui.adapters.base.Cuff` over
:class:`gymtui.sim.cuff.CuffPhysics`: every command and every pressure
notification goes through the same encode/decode as a real cuff would, the
adapter feeds the cuff's watchdog with KEEPALIVE writes, and a simulated
link loss makes the cuff deflate itself as the profile demands.
"""

from __future__ import annotations

import asyncio
import binascii
import struct
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gymtui.adapters.base import AdapterError, HealthSink, PressureSink
from gymtui.adapters.tasks import cancel_and_wait
from gymtui.bfr import CuffFlag
from gymtui.model import CuffCommand, CuffCommandKind, LinkHealth, LinkState, PressureReading
from gymtui.sim.cuff import CuffParams, CuffPhysics

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


# -- the profile file -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CuffProfile:
    name: str
    decoder: str
    service_uuid: str
    pressure_uuid: str
    command_uuid: str
    status_uuid: str
    info_uuid: str
    max_mmhg: float
    relief_margin_mmhg: float
    rate_hz: float
    keepalive_s: float
    watchdog_s: float
    link_loss_deflates: bool
    deflate_s: float
    """Valve time: from the ceiling to below 10 mmHg with the valve open (the profile's promise)."""
    name_patterns: tuple[str, ...] = ()

    def physics_params(self) -> CuffParams:
        """Simulated cuff physics bound by this profile's ceiling, relief margin and watchdog,
        so the simulated and emulated cuffs obey the same limits a real one advertises."""
        return CuffParams(
            max_mmhg=self.max_mmhg,
            relief_margin_mmhg=self.relief_margin_mmhg,
            watchdog_s=self.watchdog_s,
        )


def devices_dir() -> Path:
    """``devices/``: inside the installed package first, then the source tree."""
    packaged = resources.files("gymtui") / "devices"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "devices"


def load_cuff_profile(path: Path | str | None = None) -> CuffProfile:
    """Read a cuff profile (default: the open profile); errors name the file and key."""
    path = Path(path) if path is not None else devices_dir() / "cuff-open.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdapterError(f"cannot read cuff profile {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AdapterError(f"cuff profile {path} is not valid TOML: {exc}") from None

    def get(section: str | None, key: str, kind: type) -> object:
        table = doc if section is None else doc.get(section, {})
        where = f"[{section}] {key}" if section else key
        if key not in table:
            raise AdapterError(f"cuff profile {path}: missing {where}")
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise AdapterError(f"cuff profile {path}: {where} must be {kind.__name__}")
        return value

    if get(None, "kind", str) != "cuff":
        raise AdapterError(f"cuff profile {path}: kind must be 'cuff'")
    max_mmhg = get("pressure", "max_mmhg", float)
    if not 0 < max_mmhg <= 400:  # type: ignore[operator]
        raise AdapterError(f"cuff profile {path}: [pressure] max_mmhg must be 1–400 mmHg")
    if get("pressure", "unit", str) != "mmHg":
        raise AdapterError(f"cuff profile {path}: [pressure] unit must be mmHg")
    return CuffProfile(
        name=str(get(None, "name", str)),
        decoder=str(get(None, "decoder", str)),
        service_uuid=str(get("gatt", "service", str)).lower(),
        pressure_uuid=str(get("gatt", "pressure", str)).lower(),
        command_uuid=str(get("gatt", "command", str)).lower(),
        status_uuid=str(get("gatt", "status", str)).lower(),
        info_uuid=str(get("gatt", "info", str)).lower(),
        max_mmhg=float(max_mmhg),  # type: ignore[arg-type]
        relief_margin_mmhg=float(get("pressure", "relief_margin_mmhg", float)),  # type: ignore[arg-type]
        rate_hz=float(get("pressure", "rate_hz", float)),  # type: ignore[arg-type]
        keepalive_s=float(get("watchdog", "keepalive_s", float)),  # type: ignore[arg-type]
        watchdog_s=float(get("watchdog", "timeout_s", float)),  # type: ignore[arg-type]
        link_loss_deflates=get("watchdog", "link_loss", str) == "deflate",
        deflate_s=float(get("valve", "deflate_s", float)),  # type: ignore[arg-type]
        name_patterns=tuple(str(p) for p in doc.get("match", {}).get("name_patterns", [])),
    )


# -- the simulated cuff -------------------------------------------------------------------
class CuffFirmware:
    """What a cuff's microcontroller does with the profile's bytes, over :class:`CuffPhysics`.

    Shared by :class:`SimulatedCuff` and an emulated BLE peripheral: ``write``
    takes the command characteristic's bytes, ``notification`` produces the
    pressure characteristic's.
    """

    def __init__(self, physics: CuffPhysics) -> None:
        self.physics = physics
        self.seq = 0
        self.last_token = 0
        self.last_result = Result.OK
        self.battery_pct = 100

    def write(self, data: bytes) -> int:
        try:
            cmd = decode_command(data)
        except CuffProtocolError as exc:
            self.last_result = Result.BAD_CRC if "CRC" in str(exc) else (
                Result.UNKNOWN_OPCODE if "opcode" in str(exc) else Result.BAD_LENGTH
            )
            return self.last_result
        self.last_token = cmd.token
        if cmd.opcode == Opcode.DEFLATE:
            self.physics.command_deflate()
        elif cmd.opcode == Opcode.HOLD:
            self.physics.command_hold()
        elif cmd.opcode == Opcode.KEEPALIVE:
            self.physics.keepalive()
        elif not self.physics.command_target(cmd.target_mmhg):
            self.last_result = Result.ABOVE_MAX
            return self.last_result
        self.last_result = Result.OK
        return Result.OK

    def notification(self) -> bytes:
        pressure, flags = self.physics.read()
        self.seq = (self.seq + 1) & 0xFFFF
        return encode_pressure(self.seq, pressure, self.physics.set_point_mmhg, flags)

    def status(self) -> bytes:
        _, flags = self.physics.read()
        return encode_status(CuffStatus(flags, self.battery_pct, self.last_token, self.last_result, 1))


class SimulatedCuff:
    """A simulated cuff implementing :class:`~gymtui.adapters.base.Cuff`.

    Runs on the asyncio loop: every ``1 / rate_hz`` seconds of the injected
    clock it advances the physics and delivers a pressure reading; wall
    sleeps are divided by ``speed`` (the injected clock is expected to run
    ``speed`` times faster, as the demo clock does). Test hooks
    (``simulate_link_loss``, ``inject_*``) play the faults the supervisor must
    catch.
    """

    def __init__(
        self,
        *,
        profile: CuffProfile | None = None,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        params: CuffParams | None = None,
        seed: int = 0,
    ) -> None:
        self.profile = profile or load_cuff_profile()
        self.physics = CuffPhysics(params or self.profile.physics_params(), seed=seed)
        self.firmware = CuffFirmware(self.physics)
        self._speed = speed
        self._clock = clock
        self._health = LinkHealth(LinkState.DISCONNECTED)
        self._on_pressure: PressureSink | None = None
        self._on_health: HealthSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_s: float | None = None
        self._token = 0
        self.sent: list[CuffCommand] = []  # every command that reached the cuff, in order

    # -- the Cuff protocol --------------------------------------------------------
    @property
    def name(self) -> str:
        return "Simulated cuff (open profile)"

    @property
    def max_mmhg(self) -> float:
        return self.profile.max_mmhg

    @property
    def link_loss_deflates(self) -> bool:
        return self.profile.link_loss_deflates

    @property
    def health(self) -> LinkHealth:
        return self._health

    async def connect(self, timeout_s: float = 10.0) -> None:
        self.physics.link_restored()
        self._last_s = self._clock()
        self._set_health(LinkHealth(LinkState.CONNECTED, battery_pct=100, message="simulated"))

    async def start(self, on_pressure: PressureSink, on_health: HealthSink | None = None) -> None:
        self._on_pressure = on_pressure
        self._on_health = on_health
        if on_health:
            on_health(self._health)
        self._task = asyncio.create_task(self._run(), name="simulated-cuff")

    async def send(self, command: CuffCommand) -> None:
        self.send_now(command)

    async def disconnect(self) -> None:
        if self._health.state is LinkState.CONNECTED:
            self.send_now(CuffCommand(CuffCommandKind.DEFLATE, 0.0, "disconnect"))
        await cancel_and_wait(self._task)
        self._task = None
        self.physics.link_lost()
        self._set_health(LinkHealth(LinkState.DISCONNECTED))

    # -- synchronous paths (the last-resort deflate needs one) ---------------------
    def send_now(self, command: CuffCommand) -> None:
        """Write a command at once, synchronously. Raises AdapterError if the link is down."""
        if self._health.state is not LinkState.CONNECTED:
            raise AdapterError("cuff not connected: command not delivered")
        self._catch_up()
        self._token = (self._token + 1) & 0xFF
        result = self.firmware.write(encode_command(command, self._token))
        if result != Result.OK:
            raise AdapterError(f"cuff rejected {command.kind} {command.target_mmhg:.0f} mmHg (result {result})")
        self.sent.append(command)

    def deflate_now(self, reason: str = "last resort") -> None:
        """Safety's synchronous deflate: never raises."""
        try:
            self.send_now(CuffCommand(CuffCommandKind.DEFLATE, 0.0, reason))
        except AdapterError:
            pass

    # -- simulation hooks -------------------------------------------------------------
    def simulate_link_loss(self) -> None:
        """The radio link drops: the cuff deflates itself (the profile's rule) and readings stop."""
        self._catch_up()
        self.physics.link_lost()
        self._set_health(LinkHealth(LinkState.RECONNECTING, message="cuff link lost"))

    def restore_link(self) -> None:
        self._catch_up()
        self.physics.link_restored()
        self._set_health(LinkHealth(LinkState.CONNECTED, battery_pct=100, message="simulated"))

    def inject_stuck_sensor(self, at_mmhg: float | None = None) -> None:
        self._catch_up()
        self.physics.stuck_at_mmhg = round(self.physics.true_mmhg if at_mmhg is None else at_mmhg, 1)

    def inject_leak(self, per_s: float) -> None:
        self.physics.leak_extra_per_s = per_s

    def inject_pump_runaway(self) -> None:
        self.physics.pump_runaway = True

    # -- internals -------------------------------------------------------------------------
    def _set_health(self, health: LinkHealth) -> None:
        self._health = health
        if self._on_health:
            self._on_health(health)

    def _catch_up(self) -> None:
        """Advance the physics to the clock's now."""
        now = self._clock()
        if self._last_s is not None:
            self.physics.step(now - self._last_s)
        self._last_s = now

    async def _run(self) -> None:
        period_s = 1.0 / self.profile.rate_hz
        keepalive_s = self.profile.keepalive_s
        last_keepalive = self._clock()
        while True:
            self._catch_up()
            now = self._last_s or 0.0
            if self._health.state is LinkState.CONNECTED:
                if now - last_keepalive >= keepalive_s:
                    self._token = (self._token + 1) & 0xFF
                    self.firmware.write(encode_keepalive(self._token))
                    last_keepalive = now
                frame = decode_pressure(self.firmware.notification())
                if self._on_pressure:
                    self._on_pressure(PressureReading(now, frame.pressure_mmhg, int(frame.flags)))
            await asyncio.sleep(period_s / self._speed)
