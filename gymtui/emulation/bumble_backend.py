"""A bleak backend over bumble's central side, on an in-process radio (``LocalLink``).

bleak's :class:`~bleak.BleakScanner` and :class:`~bleak.BleakClient` take a
``backend=`` class; :class:`BumbleWorld` hands out scanner and client
classes bound to its own link, so the production code (``gymtui.adapters.ble``)
runs unchanged against emulated peripherals: same scan results, GATT
discovery, reads, writes, notifications and unsolicited disconnects as over a
real adapter, with no radio and no BlueZ.

One world = one ``LocalLink`` + one central controller (the "host adapter")
+ any number of peripheral controllers (see :mod:`gymtui.emulation.peripherals`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid as uuid_mod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bumble import core, hci
from bumble.controller import Controller
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

_log = logging.getLogger(__name__)
# bumble warns on stderr about routine emulation events (a notification racing an
# unsubscribe); inside a full-screen app that would scribble over the screen.
logging.getLogger("bumble").setLevel(logging.ERROR)

CENTRAL_ADDRESS = "C0:00:00:00:00:01"
GATT_OP_TIMEOUT_S = 10.0


def bleak_uuid(value: core.UUID) -> str:
    """bumble UUID → bleak's lower-case 128-bit string."""
    return str(uuid_mod.UUID(bytes=bytes(reversed(value.to_bytes(force_128=True)))))


def _address_text(address: hci.Address) -> str:
    return address.to_string(with_type_qualifier=False)


@dataclass(frozen=True, slots=True)
class BumbleDeviceDetails:
    """``BLEDevice.details`` for an emulated device: its address on the local link."""

    address: hci.Address


class BumbleWorld:
    """An in-process radio neighbourhood: one link, one central, many peripherals."""

    def __init__(self) -> None:
        self.link = LocalLink()
        self._central: Device | None = None
        self._scan_users = 0
        self._scan_lock = asyncio.Lock()
        self.connect_lock = asyncio.Lock()  # a controller makes one LE connection at a time
        self._addresses = itertools.count(1)
        self.scanner_backend: type[BaseBleakScanner] = type(
            "BumbleScannerBackend", (BumbleScannerBackend,), {"world": self}
        )
        self.client_backend: type[BaseBleakClient] = type("BumbleClientBackend", (BumbleClientBackend,), {"world": self})

    def new_device(self, name: str, address: str | None = None) -> Device:
        """A powered-off bumble device with its own controller on this world's link."""
        if address is None:
            n = next(self._addresses)
            address = f"E0:5A:{(n >> 24) & 0xFF:02X}:{(n >> 16) & 0xFF:02X}:{(n >> 8) & 0xFF:02X}:{n & 0xFF:02X}"
        controller = Controller(f"ctrl-{name}", link=self.link, public_address=address)
        return Device(name=name, address=hci.Address(address), host=Host(controller, AsyncPipeSink(controller)))

    async def central(self) -> Device:
        """The host's own adapter, powered on at first use."""
        if self._central is None:
            device = self.new_device("gymtui-host", CENTRAL_ADDRESS)
            await device.power_on()
            self._central = device
        return self._central

    async def acquire_scan(self) -> Device:
        async with self._scan_lock:
            central = await self.central()
            if self._scan_users == 0:
                await central.start_scanning(filter_duplicates=False)
            self._scan_users += 1
            return central

    async def release_scan(self) -> None:
        async with self._scan_lock:
            self._scan_users = max(0, self._scan_users - 1)
            if self._scan_users == 0 and self._central is not None and self._central.is_scanning:
                await self._central.stop_scanning()

    async def close(self) -> None:
        if self._central is not None:
            for connection in list(self._central.connections.values()):
                with contextlib.suppress(Exception):  # closing down: nothing useful to do
                    await asyncio.wait_for(connection.disconnect(), 2.0)
            self._central = None


def advertisement_data(adv: Advertisement) -> AdvertisementData:
    """bumble's advertisement → bleak's :class:`AdvertisementData`."""
    data = adv.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(AdvertisingData.SHORTENED_LOCAL_NAME)
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    uuids: list[str] = []
    for kind in (
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    ):
        for uuid_entry in data.get_all(kind):
            for u in uuid_entry if isinstance(uuid_entry, list) else [uuid_entry]:
                text = bleak_uuid(u)
                if text not in uuids:  # bumble merges advertisement + scan response: once each
                    uuids.append(text)
    service_data: dict[str, bytes] = {}
    for service_entry in data.get_all(AdvertisingData.SERVICE_DATA_16_BIT_UUID) + data.get_all(
        AdvertisingData.SERVICE_DATA_128_BIT_UUID
    ):
        u, payload = service_entry
        service_data[bleak_uuid(u)] = bytes(payload)
    manufacturer: dict[int, bytes] = {}
    for maker_entry in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA):
        company, payload = maker_entry
        manufacturer[int(company)] = bytes(payload)
    tx = data.get(AdvertisingData.TX_POWER_LEVEL)
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=tx if isinstance(tx, int) else None,
        rssi=int(adv.rssi),
        platform_data=(adv,),
    )


class BumbleScannerBackend(BaseBleakScanner):
    """bleak scanner backend: advertisements heard by the world's central."""

    world: BumbleWorld  # bound by BumbleWorld.scanner_backend

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._central: Device | None = None

    def _on_advertisement(self, adv: Advertisement) -> None:
        if not adv.is_connectable and not adv.is_scan_response:
            return
        data = advertisement_data(adv)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        key = _address_text(adv.address)
        previous = self.seen_devices.get(key)
        name = data.local_name or (previous[0].name if previous else None)
        device = self.create_or_update_device(key, key, name, BumbleDeviceDetails(adv.address), data)
        self.call_detection_callbacks(device, data)

    async def start(self) -> None:
        self.seen_devices = {}
        self._central = await self.world.acquire_scan()
        self._central.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)

    async def stop(self) -> None:
        if self._central is not None:
            self._central.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
            self._central = None
            await self.world.release_scan()


def _properties(flags: int) -> list[Any]:
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if flags & bit]


class BumbleClientBackend(BaseBleakClient):
    """bleak client backend: a GATT client on the world's central."""

    world: BumbleWorld  # bound by BumbleWorld.client_backend

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        details = address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice) else None
        self._peer_address = (
            details.address if isinstance(details, BumbleDeviceDetails) else hci.Address(str(self.address))
        )
        self._device_name = address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._leaving = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        return self._device_name or str(self.address)

    @property
    def mtu_size(self) -> int:
        return int(self._connection.att_mtu) if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        timeout = float(kwargs.get("timeout", self._timeout))
        central = await self.world.central()
        try:
            async with self.world.connect_lock:
                connection = await asyncio.wait_for(central.connect(self._peer_address, timeout=timeout), timeout)
        except (TimeoutError, core.TimeoutError) as exc:
            raise TimeoutError(f"{self.address}: no connection within {timeout:.1f} s") from exc
        except core.BaseBumbleError as exc:
            raise BleakDeviceNotFoundError(str(self.address), f"{self.address}: {exc}") from exc
        self._leaving = False
        self._connection = connection
        connection.on(Connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            async with asyncio.timeout(timeout):
                peer = Peer(connection)
                await peer.request_mtu(247)
                await peer.discover_services()
                for service in peer.services:
                    await service.discover_characteristics()
                    for characteristic in service.characteristics:
                        await characteristic.discover_descriptors()
        except Exception as exc:
            await self.disconnect()
            raise BleakError(f"{self.address}: GATT discovery failed: {exc or type(exc).__name__}") from exc
        self._peer = peer
        self.services = self._collection(peer)

    def _collection(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in peer.services:
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in service.characteristics:
                bleak_char = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    _properties(int(characteristic.properties)),
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_char)
                for descriptor in characteristic.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(descriptor, descriptor.handle, bleak_uuid(descriptor.type), bleak_char)
                    )
        return collection

    def _on_disconnection(self, reason: int) -> None:
        solicited = self._leaving
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        if not solicited and self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._leaving = True
        try:
            await asyncio.wait_for(connection.disconnect(), GATT_OP_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - the link may already be gone
            _log.debug("disconnect from %s: %s", self.address, exc)
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        _log.debug("emulated devices need no bonding; pair() ignored")

    async def unpair(self) -> None:
        _log.debug("emulated devices need no bonding; unpair() ignored")

    def _require(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def _op(self, awaitable: Any) -> Any:
        try:
            async with asyncio.timeout(GATT_OP_TIMEOUT_S):
                return await awaitable
        except TimeoutError as exc:
            raise BleakError(f"{self.address}: GATT operation timed out") from exc
        except (core.BaseBumbleError, core.ProtocolError) as exc:
            raise BleakError(f"{self.address}: {exc}") from exc

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any) -> bytearray:
        self._require()
        return bytearray(await self._op(characteristic.obj.read_value()))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any) -> bytearray:
        peer = self._require()
        return bytearray(await self._op(peer.read_value(descriptor.handle)))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool) -> None:
        self._require()
        await self._op(characteristic.obj.write_value(bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        peer = self._require()
        await self._op(peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any) -> None:
        self._require()

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        await self._op(characteristic.obj.subscribe(on_value, prefer_notify=True))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._require()
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await self._op(characteristic.obj.unsubscribe(subscriber))
