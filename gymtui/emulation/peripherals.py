"""bumble GATT servers that behave like the profiled sensors.

Each emulated sensor has the real device's services and characteristics (the
UUIDs come from its profile), advertises like it, reacts to the same
start-up writes (a Myo streams only after set-mode; a Ganglion only after
``b``, and resets when a link opens), and notifies in the real wire format at
the real rate — ``speed`` times faster in wall time for demos and tests. The
signal comes from the simulator (or any object with
``render_block(n) -> float32 (n, channels) µV``).

Tests use :attr:`EmulatedSensor.writes` (what the central wrote, in order),
:attr:`EmulatedMyo.vibrations` (the vibrate commands it obeyed),
:attr:`EmulatedSensor.send_times` (for latency) and
:meth:`EmulatedSensor.drop_link` (the radio link fails, peripheral side).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from typing import Protocol

import numpy as np
from bumble import hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from gymtui.adapters.profiles import Profile
from gymtui.emulation.bumble_backend import BumbleWorld
from gymtui.emulation.encoders import (
    GanglionEncoder,
    encode_ascii,
    encode_int_le,
    encode_myo,
)
from gymtui.model import MuscleRole
from gymtui.sim import demo_physiology
from gymtui.sim.athlete import AthleteProfile, SimulatedAthlete
from gymtui.sim.surface import MIN_RATE_HZ as MIN_SIM_RATE_HZ

_log = logging.getLogger(__name__)

BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFORMATION = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_NAME = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_NUMBER = "00002a24-0000-1000-8000-00805f9b34fb"
SOFTWARE_REVISION = "00002a28-0000-1000-8000-00805f9b34fb"

P = Characteristic.Properties
READABLE = Characteristic.Permissions.READABLE
WRITEABLE = Characteristic.Permissions.WRITEABLE


class SignalSource(Protocol):
    def render_block(self, n: int) -> np.ndarray:
        """The next ``n`` samples, float32 ``(n, channels)`` in µV."""
        ...


DEFAULT_ROLES = (MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST)


class SimulatedSignal:
    """The motor-unit simulator behind an emulated sensor, driven by a :class:`SimulatedAthlete`.

    ``athlete.set_intent(PhaseKind...)`` makes the emulated muscles follow the
    set. The simulator's cost is per call, and a notification carries only a
    sample or two, so the signal is rendered ahead in ~20 ms batches and served
    from a buffer (intent changes apply within those 20 ms, far below human
    reaction time). Devices slower than the simulator's 200 Hz floor (the
    MyoWare's 100 Hz) get a whole multiple of their rate, averaged down.
    """

    RENDER_AHEAD_S = 0.02

    def __init__(
        self,
        n_channels: int,
        rate_hz: float,
        *,
        roles: tuple[MuscleRole, ...] | None = None,
        seed: int = 0,
        profile: AthleteProfile | None = None,
    ) -> None:
        """``profile``: how the simulated athlete moves (None: the default; a compensator draws form cues)."""
        if roles is None:
            roles = tuple(DEFAULT_ROLES[i] if i < len(DEFAULT_ROLES) else MuscleRole.OTHER for i in range(n_channels))
        if len(roles) != n_channels:
            raise ValueError(f"{len(roles)} roles for {n_channels} channels")
        self._factor = max(1, math.ceil(MIN_SIM_RATE_HZ / rate_hz))
        self.physiology, self.athlete = demo_physiology(roles, rate_hz * self._factor, seed, profile=profile)
        self._batch_n = max(1, round(self.RENDER_AHEAD_S * rate_hz))
        self._buffer = np.zeros((0, n_channels), dtype=np.float32)

    def render_block(self, n: int) -> np.ndarray:
        if self._buffer.shape[0] < n:
            m = max(n - self._buffer.shape[0], self._batch_n)
            k = self._factor
            fine = self.physiology.render(self.athlete.drive(m * k))
            coarse = fine.reshape(m, k, -1).mean(axis=1) if k > 1 else fine
            self._buffer = np.concatenate([self._buffer, coarse.astype(np.float32, copy=False)])
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


def _char(uuid: str, properties: P, value: bytes | CharacteristicValue = b"", permissions=READABLE) -> Characteristic:
    return Characteristic(uuid, properties, permissions, value)


class EmulatedSensor:
    """Base class: advertising, connections, the streaming clock and the write log."""

    samples_per_notification = 2
    default_name = "EMG"
    has_battery = False
    signal_channels: int | None = None  # channels the simulator renders (default: the profile's)

    def __init__(
        self,
        world: BumbleWorld,
        profile: Profile,
        *,
        signal: SignalSource | None = None,
        speed: float = 1.0,
        name: str | None = None,
        address: str | None = None,
        battery_pct: int = 87,
        seed: int = 0,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.world = world
        self.profile = profile
        self.speed = float(speed)
        self.name = name or self.default_name
        self.battery_pct = battery_pct
        self.signal: SignalSource = signal or SimulatedSignal(self.signal_channels or profile.n_channels, profile.rate_hz, seed=seed)
        self.device = world.new_device(self.name, address)
        self.writes: list[tuple[str, bytes]] = []
        self.send_times: deque[float] = deque(maxlen=200_000)
        self.notifications_sent = 0
        self.samples_sent = 0
        self.connections_accepted = 0
        self._stream_task: asyncio.Task[None] | None = None
        self._started = False

    # -- set-up ---------------------------------------------------------------

    @property
    def address(self) -> str:
        return self.device.public_address.to_string(with_type_qualifier=False)

    @property
    def athlete(self) -> SimulatedAthlete | None:
        return getattr(self.signal, "athlete", None)

    def services(self) -> list[Service]:
        raise NotImplementedError

    def advertised_uuids(self) -> list[str]:
        return list(self.profile.service_uuids)

    def _battery_service(self) -> Service:
        return Service(BATTERY_SERVICE, [_char(BATTERY_LEVEL, P.READ | P.NOTIFY, CharacteristicValue(read=lambda c: bytes([self.battery_pct])))])

    def _advertising(self) -> tuple[bytes, bytes]:
        sixteen = [UUID(u[4:8]) for u in self.advertised_uuids() if u.endswith("-0000-1000-8000-00805f9b34fb")]
        long = [UUID(u) for u in self.advertised_uuids() if not u.endswith("-0000-1000-8000-00805f9b34fb")]
        fields: list[tuple[int, bytes]] = [(AdvertisingData.FLAGS, bytes([0x06]))]
        if sixteen:
            fields.append((AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, b"".join(u.to_bytes() for u in sixteen)))
        if long:
            fields.append((AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, b"".join(u.to_bytes() for u in long)))
        fields.append((AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()))
        if self.has_battery:
            fields.append((AdvertisingData.SERVICE_DATA_16_BIT_UUID, UUID("180F").to_bytes() + bytes([self.battery_pct])))
        # A real device puts what does not fit in 31 bytes into its scan response; bumble's
        # emulated controller answers scan requests with the advertising data itself, so
        # everything goes into one (longer) advertisement here.
        response = [(AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode())]
        return bytes(AdvertisingData(fields)), bytes(AdvertisingData(response))

    async def start(self) -> None:
        """Power on, serve GATT and advertise (again after every disconnect)."""
        if self._started:
            return
        self.device.add_services(self.services())
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        await self.device.power_on()
        adv, rsp = self._advertising()
        await self.device.start_advertising(
            auto_restart=True,
            advertising_data=adv,
            scan_response_data=rsp,
            advertising_interval_min=20,
            advertising_interval_max=20,
        )
        self._started = True

    async def go_away(self) -> None:
        """Out of range: drop the link and stop advertising (until :meth:`come_back`)."""
        if await self.drop_link():
            # bumble re-arms advertising on disconnect (auto-restart); let it, then stop it.
            async with asyncio.timeout(2.0):
                while not self.device.is_advertising:
                    await asyncio.sleep(0.001)
        await self.device.stop_advertising()

    async def come_back(self) -> None:
        adv, rsp = self._advertising()
        await self.device.start_advertising(
            auto_restart=True, advertising_data=adv, scan_response_data=rsp,
            advertising_interval_min=20, advertising_interval_max=20,
        )

    async def close(self) -> None:
        self.stop_stream()
        await self.drop_link(hci.HCI_REMOTE_DEVICE_TERMINATED_CONNECTION_DUE_TO_POWER_OFF_ERROR)
        with contextlib.suppress(Exception):  # shutting down
            await self.device.stop_advertising()

    # -- connections ----------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        self.connections_accepted += 1
        connection.on(connection.EVENT_DISCONNECTION, lambda reason: self._on_disconnection(connection, reason))
        self.on_link_opened(connection)

    def _on_disconnection(self, connection: Connection, reason: int) -> None:
        self.stop_stream()
        self.on_link_closed()

    def on_link_opened(self, connection: Connection) -> None:
        """Device-specific reaction to a new link (e.g. the Ganglion resets)."""

    def on_link_closed(self) -> None:
        """Device-specific reaction to losing the link (e.g. the Myo turns EMG off)."""

    @property
    def connected(self) -> bool:
        return bool(self.device.connections)

    async def drop_link(self, reason: int = hci.HCI_CONNECTION_TIMEOUT_ERROR) -> bool:
        """Drop every link from the peripheral side (default reason: supervision timeout, as a
        radio loss looks). Returns whether there was a link to drop."""
        connections = list(self.device.connections.values())
        for connection in connections:
            try:
                await asyncio.wait_for(connection.disconnect(reason), 2.0)
            except Exception as exc:  # noqa: BLE001 - already gone
                _log.debug("drop_link: %s", exc)
        return bool(connections)

    def _log_write(self, uuid: str):
        def on_write(connection: Connection, value: bytes) -> None:
            data = bytes(value)
            self.writes.append((uuid, data))
            self.on_write(uuid, data)

        return on_write

    def on_write(self, uuid: str, data: bytes) -> None:
        """Device-specific command handling."""

    # -- streaming ------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return self._stream_task is not None and not self._stream_task.done()

    def start_stream(self) -> None:
        if not self.streaming:
            self._stream_task = asyncio.get_running_loop().create_task(self._stream(), name=f"emulated-{self.name}")

    def stop_stream(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None

    def encode(self, samples_uv: np.ndarray) -> list[tuple[Characteristic, bytes]]:
        """One notification's worth of samples (float µV) → (characteristic, payload) pairs."""
        raise NotImplementedError

    async def _stream(self) -> None:
        loop = asyncio.get_running_loop()
        rate = self.profile.rate_hz * self.speed  # samples per wall second
        chunk = self.samples_per_notification
        start = loop.time()
        done = 0
        while True:
            due = int((loop.time() - start) * rate)
            n = (due - done) // chunk * chunk
            if n > 0:
                block = self.signal.render_block(n)
                for i in range(0, n, chunk):
                    for characteristic, payload in self.encode(block[i : i + chunk]):
                        self.send_times.append(time.perf_counter())
                        self.notifications_sent += 1
                        await self.device.notify_subscribers(characteristic, payload)
                done += n
                self.samples_sent += n
            await asyncio.sleep(max(0.0, start + (done + chunk) / rate - loop.time()))


class EmulatedMyo(EmulatedSensor):
    """Thalmic Labs Myo: streams raw EMG on four rotating characteristics after ``01 03 03 ..``.

    Without the never-sleep command it sleeps (drops the link) after
    ``sleep_after_s`` device-seconds, as the real armband does. A vibrate
    command (``03 01 <t>``: 01 short, 02 medium, 03 long) is recorded in
    :attr:`vibrations` as its length byte, with the time it arrived.
    """

    default_name = "Myo"
    has_battery = True
    uv_per_count = 4.0  # the emulator's choice: Myo units are not µV
    sleep_after_s = 30.0
    _next_char = 0
    _never_sleep = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.vibrations: list[tuple[float, int]] = []
        """``(time.perf_counter(), length)`` per vibrate command, in order."""

    def services(self) -> list[Service]:
        p = self.profile
        command = next(w.characteristic for w in p.startup)
        control = p.service_uuids[0]
        base = "a904-deb9-4748-2c7f4a124842"
        self._emg = [_char(u, P.NOTIFY) for u in p.characteristics]
        return [
            Service(
                control,
                [
                    _char(f"d5060101-{base}", P.READ, bytes.fromhex("d23b8594328e") + bytes(14)),
                    _char(f"d5060201-{base}", P.READ, bytes.fromhex("01000500b2070200")),
                    _char(command, P.WRITE, CharacteristicValue(write=self._log_write(command)), READABLE | WRITEABLE),
                ],
            ),
            Service(p.service, self._emg),
            self._battery_service(),
            Service(DEVICE_INFORMATION, [_char(MANUFACTURER_NAME, P.READ, b"Thalmic Labs")]),
        ]

    def on_link_opened(self, connection: Connection) -> None:
        self._next_char = 0
        self._never_sleep = False
        loop = asyncio.get_running_loop()
        self._sleep_timer = loop.call_later(self.sleep_after_s / self.speed, self._maybe_sleep)

    def on_link_closed(self) -> None:
        timer = getattr(self, "_sleep_timer", None)
        if timer is not None:
            timer.cancel()

    def _maybe_sleep(self) -> None:
        if not self._never_sleep and self.connected:
            _log.info("emulated Myo: no never-sleep command, going to sleep")
            asyncio.get_running_loop().create_task(self.drop_link(hci.HCI_REMOTE_DEVICE_TERMINATED_CONNECTION_DUE_TO_POWER_OFF_ERROR))

    def on_write(self, uuid: str, data: bytes) -> None:
        if len(data) < 2 or len(data) != 2 + data[1]:
            return
        command, payload = data[0], data[2:]
        if command == 0x09 and payload:
            self._never_sleep = payload[0] == 1
        elif command == 0x03 and len(payload) == 1 and payload[0] <= 0x03:
            self.vibrations.append((time.perf_counter(), payload[0]))
        elif command == 0x01 and len(payload) == 3:
            if payload[0] in (0x02, 0x03):
                self.start_stream()
            else:
                self.stop_stream()

    def encode(self, samples_uv: np.ndarray) -> list[tuple[Characteristic, bytes]]:
        counts = np.round(samples_uv / self.uv_per_count)
        characteristic = self._emg[self._next_char]
        self._next_char = (self._next_char + 1) % len(self._emg)
        return [(characteristic, encode_myo(counts))]


class EmulatedGanglion(EmulatedSensor):
    """OpenBCI Ganglion, firmware 2 or 3: resets when a link opens, streams after ``b``."""

    default_name = "Ganglion-1a2b"

    def __init__(self, *args, firmware: int = 3, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if firmware not in (2, 3):
            raise ValueError("Ganglion firmware must be 2 or 3")
        self.firmware = firmware
        self._encoder = GanglionEncoder(firmware, 19)

    def services(self) -> list[Service]:
        p = self.profile
        send = p.startup[0].characteristic
        leave = p.shutdown[-1].characteristic
        self._receive = _char(p.characteristics[0], P.NOTIFY)
        revision = b"3.0.2" if self.firmware == 3 else b"2.0.0"
        return [
            Service(
                p.service,
                [
                    self._receive,
                    _char(send, P.WRITE_WITHOUT_RESPONSE | P.WRITE, CharacteristicValue(write=self._log_write(send)), READABLE | WRITEABLE),
                    _char(leave, P.WRITE_WITHOUT_RESPONSE | P.WRITE, CharacteristicValue(write=self._log_write(leave)), READABLE | WRITEABLE),
                ],
            ),
            Service(
                DEVICE_INFORMATION,
                [
                    _char(MANUFACTURER_NAME, P.READ, b"openbci.com"),
                    _char(MODEL_NUMBER, P.READ, b"Ganglion"),
                    _char(SOFTWARE_REVISION, P.READ, revision),
                ],
            ),
        ]

    def on_link_opened(self, connection: Connection) -> None:
        self.stop_stream()  # the board resets when a connection opens

    def on_write(self, uuid: str, data: bytes) -> None:
        if uuid != self.profile.startup[0].characteristic:
            return
        for command in data.decode("ascii", "replace"):
            if command == "b":
                self._encoder = GanglionEncoder(self.firmware, 19)
                self.start_stream()
            elif command == "s":
                self.stop_stream()

    def encode(self, samples_uv: np.ndarray) -> list[tuple[Characteristic, bytes]]:
        counts = np.round(samples_uv / self.profile.scale_uv[0]).astype(np.int64)
        return [(self._receive, packet) for packet in self._encoder.encode(counts)]


class EmulatedMyoWare(EmulatedSensor):
    """MyoWare 2.0 Wireless Shield, library example (one ENV value as text) or BLE-UART (``ENV,RAW``).

    Free-running: it notifies whenever a central is connected. The simulator
    renders one muscle's raw EMG; the shield's envelope (rectified, smoothed)
    and raw outputs are derived from it in ADC counts.
    """

    default_name = "MyoWareSensor1"
    samples_per_notification = 1
    signal_channels = 1
    raw_uv_per_count = 4.029

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._uart = self.profile.n_channels == 2
        if self._uart and self.name == self.default_name:
            self.name = "MyoW1"
            self.device.name = self.name
        self._envelope_uv = 0.0
        self._alpha = 1.0 - np.exp(-1.0 / (0.05 * self.profile.rate_hz))

    def services(self) -> list[Service]:
        p = self.profile
        self._tx = _char(p.characteristics[0], P.READ | P.NOTIFY, b"0.00")
        characteristics = [self._tx]
        if self._uart:
            rx = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
            characteristics.append(_char(rx, P.WRITE_WITHOUT_RESPONSE | P.WRITE, CharacteristicValue(write=self._log_write(rx)), READABLE | WRITEABLE))
        return [Service(p.service, characteristics)]

    def on_link_opened(self, connection: Connection) -> None:
        self.start_stream()

    def encode(self, samples_uv: np.ndarray) -> list[tuple[Characteristic, bytes]]:
        raw_uv = float(samples_uv[0, 0])
        self._envelope_uv += self._alpha * (abs(raw_uv) - self._envelope_uv)
        env = min(4095.0, self._envelope_uv / self.profile.scale_uv[0])
        if not self._uart:
            return [(self._tx, encode_ascii([env]))]
        raw = max(-2048.0, min(2047.0, raw_uv / self.raw_uv_per_count))
        return [(self._tx, encode_ascii([env, raw], terminated=True))]


class EmulatedGenericInt16(EmulatedSensor):
    """A maker's sensor in the generic-int16 format: u8 counter + 5 samples per notification."""

    default_name = "EMG-0001"
    has_battery = True
    samples_per_notification = 5

    def services(self) -> list[Service]:
        self._data = _char(self.profile.characteristics[0], P.NOTIFY)
        self._counter = 0
        return [Service(self.profile.service, [self._data]), self._battery_service()]

    def on_link_opened(self, connection: Connection) -> None:
        self._counter = 0
        self.start_stream()

    def encode(self, samples_uv: np.ndarray) -> list[tuple[Characteristic, bytes]]:
        counts = np.round(samples_uv / np.asarray(self.profile.scale_uv))
        payload = encode_int_le(counts, width=2, counter=self._counter)
        self._counter = (self._counter + 1) % 256
        return [(self._data, payload)]


EMULATORS: dict[str, type[EmulatedSensor]] = {
    "myo": EmulatedMyo,
    "ganglion": EmulatedGanglion,
    "myoware-wireless": EmulatedMyoWare,
    "myoware-wireless-uart": EmulatedMyoWare,
    "generic-int16": EmulatedGenericInt16,
}
"""Profile id → the emulator class for it."""
