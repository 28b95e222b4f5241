"""An emulated BLE cuff: a bumble GATT server built to the open cuff profile.

The same :class:`~gymtui.sim.cuff.CuffFirmware` and
:class:`~gymtui.sim.cuff.CuffPhysics` as the simulated cuff, but reached over
a real GATT exchange: the central scans for it, connects, reads the info
characteristic, subscribes, writes commands (with response) and receives
pressure notifications at the profile's rate (``speed`` times faster in wall
time). When the link drops the cuff deflates itself, as the profile demands.

It needs only a bumble :class:`~bumble.device.Device` on some link; the
bleak side comes from a bleak backend over bumble (the BLE issue's
``gymtui.emulation.bumble_backend.BumbleWorld``), so the production
:class:`~gymtui.adapters.ble_cuff.BleCuff` cannot tell it from a real cuff.
bumble is the optional ``emulate`` extra: import this module only when
emulating.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bumble import hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from gymtui.bfr.codec import PROTOCOL_VERSION, CuffInfo, encode_info
from gymtui.bfr.profile import CuffProfile, load_cuff_profile
from gymtui.sim.cuff import CuffFirmware, CuffParams, CuffPhysics

_log = logging.getLogger(__name__)

P = Characteristic.Properties
READABLE = Characteristic.Permissions.READABLE
WRITEABLE = Characteristic.Permissions.WRITEABLE


class EmulatedCuff:
    """A cuff you can connect to over (emulated) BLE. ``physics`` is there to inject faults."""

    def __init__(
        self,
        device: Device,
        profile: CuffProfile | None = None,
        *,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        params: CuffParams | None = None,
        seed: int = 0,
    ) -> None:
        self.device = device
        self.profile = profile or load_cuff_profile()
        self.speed = speed
        self._clock = clock
        self.physics = CuffPhysics(params or CuffParams.for_profile(self.profile), seed=seed)
        self.firmware = CuffFirmware(self.physics)
        self.writes: list[bytes] = []
        self.links_lost = 0
        self._last_s: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_status = b""
        self._pressure = Characteristic[bytes](self.profile.pressure_uuid, P.NOTIFY | P.READ, READABLE, CharacteristicValue(read=self._read_pressure))
        self._command = Characteristic[bytes](
            self.profile.command_uuid, P.WRITE, WRITEABLE, CharacteristicValue(write=self._on_write)
        )
        self._status = Characteristic[bytes](self.profile.status_uuid, P.READ | P.NOTIFY, READABLE, CharacteristicValue(read=self._read_status))
        info = CuffInfo(PROTOCOL_VERSION, self.profile.max_mmhg, self.profile.watchdog_s, round(self.profile.rate_hz), True)
        self._info = Characteristic(self.profile.info_uuid, P.READ, READABLE, encode_info(info))

    @property
    def address(self) -> str:
        return self.device.public_address.to_string(with_type_qualifier=False)

    @property
    def connected(self) -> bool:
        return bool(self.device.connections)

    async def start(self) -> None:
        """Power on, serve the cuff service and advertise (again after every disconnect)."""
        self.device.add_services([Service(self.profile.service_uuid, [self._pressure, self._command, self._status, self._info])])
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        await self.device.power_on()
        name = self.device.name.encode()
        adv = AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, UUID(self.profile.service_uuid).to_bytes()),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name),
            ]
        )
        rsp = AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, name)])
        await self.device.start_advertising(
            auto_restart=True,
            advertising_data=bytes(adv),
            scan_response_data=bytes(rsp),
            advertising_interval_min=20,
            advertising_interval_max=20,
        )
        self._last_s = self._clock()

    async def drop_link(self, reason: int = hci.HCI_CONNECTION_TIMEOUT_ERROR) -> None:
        """The radio link fails (peripheral side)."""
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.disconnect(reason), 2.0)

    async def close(self) -> None:
        self._stop_notifying()
        await self.drop_link(hci.HCI_REMOTE_DEVICE_TERMINATED_CONNECTION_DUE_TO_POWER_OFF_ERROR)
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()

    # -- firmware behaviour -------------------------------------------------------------
    def catch_up(self) -> None:
        now = self._clock()
        if self._last_s is not None:
            self.physics.step(now - self._last_s)
        self._last_s = now

    def _on_connection(self, connection: Connection) -> None:
        self.catch_up()
        self.physics.link_restored()
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._notify_loop(), name="emulated-cuff")

    def _on_disconnection(self, reason: int) -> None:
        self.catch_up()
        self.links_lost += 1
        self.physics.link_lost()  # the profile's link-loss rule: deflate now
        self._stop_notifying()

    def _stop_notifying(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _on_write(self, connection: Connection, value: bytes) -> None:
        self.catch_up()
        data = bytes(value)
        self.writes.append(data)
        self.firmware.write(data)

    def _read_pressure(self, connection: Connection) -> bytes:
        self.catch_up()
        return self.firmware.notification()

    def _read_status(self, connection: Connection) -> bytes:
        self.catch_up()
        return self.firmware.status()

    async def _notify_loop(self) -> None:
        period_s = 1.0 / self.profile.rate_hz
        while True:
            self.catch_up()
            try:
                await self.device.notify_subscribers(self._pressure, self.firmware.notification())
                status = self.firmware.status()
                if status != self._last_status:
                    self._last_status = status
                    await self.device.notify_subscribers(self._status, status)
            except Exception as exc:  # noqa: BLE001 - a notification racing a disconnect
                _log.debug("emulated cuff notify: %s", exc)
            await asyncio.sleep(period_s / self.speed)
