"""EMG sensors over Bluetooth LE, through bleak: scan, connect, stream, lose the link, come back.

:class:`BleEmgSource` implements :class:`~gymtui.device_api.EmgSource` for
any profiled sensor (``devices/*.toml``). The connection is supervised
(:class:`~gymtui.adapters.link.SupervisedLink`, shared with the cuff):

* only a device in the user's paired list is ever connected;
* connecting goes through ``bleak-retry-connector``'s ``establish_connection``
  with an explicit overall timeout;
* an unsolicited disconnect turns the link RECONNECTING ("sensor lost —
  reconnecting") and a task reconnects with backoff while the set goes on;
  the samples missed meanwhile are recorded as ``lost_samples`` on the first
  block after the gap, and ``seq`` keeps counting blocks;
* on the way out the device gets its own shut-down writes (e.g. the Myo's
  normal-sleep), then the link is closed;
* :meth:`BleEmgSource.vibrate` writes the profile's ``[vibrate]`` command (a
  form cue's buzz) within :data:`VIBRATE_TIMEOUT_S`; it never raises, and a
  failing buzz is logged once per link, not once per cue.

``scanner_backend`` / ``client_backend`` are passed straight to bleak's
``backend=``; they are None on real hardware and the bumble backend in
emulation (:mod:`gymtui.emulation`), so this code cannot tell the two apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

from gymtui.adapters.decoders import Decoder
from gymtui.adapters.link import SupervisedLink, short_reason
from gymtui.adapters.pairing import PairedDevice, PairedDevices
from gymtui.adapters.profiles import GattWrite, Profile, ProfileSet
from gymtui.bfr.profile import CUFF_PROFILE_ID
from gymtui.device_api import AdapterError, BlockSink, HealthSink
from gymtui.model import ChannelInfo, LinkHealth, NativeCounts, SampleBlock, SourceInfo

_log = logging.getLogger(__name__)

BATTERY_UUIDS = ("0000180f-0000-1000-8000-00805f9b34fb", "00002a19-0000-1000-8000-00805f9b34fb")
LOST_MESSAGE = "sensor lost — reconnecting"
VIBRATE_TIMEOUT_S = 1.0
"""A buzz later than this is no longer about the rep it was for: give up on it."""


# -- scanning ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One device heard in a scan, with the profile it matches (if any)."""

    address: str
    name: str | None
    rssi_dbm: int | None
    profile: Profile | None
    battery_pct: int | None = None
    paired: bool = False
    service_uuids: tuple[str, ...] = ()
    """What it advertised (a cuff is known by its service, not by an EMG profile)."""


def battery_from_advertisement(adv: AdvertisementData) -> int | None:
    """Battery percent if the device advertises it as Battery service data, else None."""
    for uuid in BATTERY_UUIDS:
        data = adv.service_data.get(uuid)
        if data and 0 <= data[0] <= 100:
            return int(data[0])
    return None


class NoAdapterError(AdapterError):
    """There is no usable Bluetooth adapter (or no BlueZ) on this machine."""


async def scan(
    profiles: ProfileSet,
    *,
    timeout_s: float = 5.0,
    paired: PairedDevices | None = None,
    on_found: Callable[[ScanResult], None] | None = None,
    backend: type[BaseBleakScanner] | None = None,
    only_matching: bool = False,
) -> list[ScanResult]:
    """Listen for ``timeout_s`` and report every device heard, first sighting through ``on_found``.

    Raises :class:`NoAdapterError` with a one-line reason when bleak cannot scan at all.
    """
    results: dict[str, ScanResult] = {}

    def detected(device: BLEDevice, adv: AdvertisementData) -> None:
        name = adv.local_name or device.name
        profile = profiles.match(name, adv.service_uuids)
        if only_matching and profile is None:
            return
        key = device.address.upper()
        result = ScanResult(
            address=key,
            name=name,
            rssi_dbm=adv.rssi,
            profile=profile,
            battery_pct=battery_from_advertisement(adv),
            paired=paired is not None and key in paired,
            service_uuids=tuple(adv.service_uuids),
        )
        first = key not in results
        results[key] = result
        if first and on_found is not None:
            on_found(result)

    try:
        scanner = BleakScanner(detected, backend=backend)
        await scanner.start()
    except Exception as exc:  # noqa: BLE001 - every platform fails differently without an adapter
        raise NoAdapterError(_no_adapter_reason(exc)) from None
    try:
        await asyncio.sleep(timeout_s)
    finally:
        try:
            await scanner.stop()
        except Exception as exc:  # noqa: BLE001
            _log.debug("scanner stop: %s", exc)
    return sorted(results.values(), key=lambda r: (r.profile is None, -(r.rssi_dbm or -999)))


def _no_adapter_reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)) or "org.freedesktop.DBus" in text or "dbus" in text.lower():
        return "no Bluetooth adapter: BlueZ (bluetoothd) is not running on this machine"
    if "adapter" in text.lower() or "not available" in text.lower() or "powered" in text.lower():
        return f"no Bluetooth adapter: {text}"
    return f"Bluetooth is not usable here: {text}"


# -- the source -----------------------------------------------------------------


class BleEmgSource(SupervisedLink):
    """A paired BLE EMG sensor as an :class:`~gymtui.device_api.EmgSource`.

    ``clock`` stamps the samples (the app passes its demo clock); the first
    sample of the stream is stamped when it arrives and later ones follow the
    sample count, so a block's ``t0_s`` is steady however the radio bunches
    notifications. After a lost link, the time the link was down becomes
    ``lost_samples`` on the first block that follows. The link itself is
    supervised by :class:`~gymtui.adapters.link.SupervisedLink`.
    """

    lost_message = LOST_MESSAGE
    not_found_hint = "is it switched on and in range?"
    timeout_hint = "is it on, charged and in range?"
    start_failure = "could not start streaming"
    task_prefix = "ble"

    def __init__(
        self,
        device: PairedDevice,
        profile: Profile,
        *,
        paired: PairedDevices,
        channels: Sequence[ChannelInfo] | None = None,
        clock: Callable[[], float] = time.monotonic,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        scan_timeout_s: float = 10.0,
        reconnect_delays_s: Sequence[float] = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0),
        max_connect_attempts: int = 3,
        shutdown_timeout_s: float = 3.0,
        start_timeout_s: float = 10.0,
    ) -> None:
        if device.address.upper() not in paired:
            raise AdapterError(f"{device.name or device.address} is not paired: pair it first with `gymtui scan --pair`")
        if device.profile != profile.id:
            raise AdapterError(f"{device.address} is paired as {device.profile!r}, not {profile.id!r}")
        if channels is not None and len(channels) != profile.n_channels:
            raise AdapterError(f"{profile.name} has {profile.n_channels} channels; {len(channels)} muscles were given")
        super().__init__(
            device.address,
            device.name or f"{profile.name} {device.address}",
            connecting_to=device.name or device.address,
            scanner_backend=scanner_backend,
            client_backend=client_backend,
            scan_timeout_s=scan_timeout_s,
            reconnect_delays_s=reconnect_delays_s,
            max_connect_attempts=max_connect_attempts,
            start_timeout_s=start_timeout_s,
            shutdown_timeout_s=shutdown_timeout_s,
        )
        self.device = device
        self.profile = profile
        self._paired = paired
        self._channels = tuple(channels) if channels is not None else tuple(
            ChannelInfo(label, unit=profile.unit) for label in profile.channels
        )
        self._clock = clock
        self._scale = np.asarray(profile.scale_uv, dtype=np.float32)

        self._decoder: Decoder | None = None
        self.firmware: int | None = device.firmware
        self._on_block: BlockSink | None = None
        self._reconnect_gaps = 0

        # Stream timeline: sample index 0 is at _origin_s on the injected clock.
        self._origin_s: float | None = None
        self._next_index = 0
        self._seq = 0
        self._resync = False
        self._vibrate_failed = False
        """A buzz failed on this link: said once in the log, then quietly (reset when the link comes back)."""

    # -- EmgSource ----------------------------------------------------------------

    @property
    def info(self) -> SourceInfo:
        label = self.device.name or self.profile.name
        return SourceInfo(f"{label} ({self.profile.name})", self._channels, self.profile.rate_hz, self.profile.unit)

    @property
    def health(self) -> LinkHealth:
        stats = self._decoder.stats if self._decoder else None
        return replace(
            self._health,
            gaps=(stats.gaps if stats else 0) + self._reconnect_gaps,
            dropped_packets=stats.malformed if stats else 0,
        )

    @property
    def decoder(self) -> Decoder | None:
        return self._decoder

    async def start(self, on_block: BlockSink, on_health: HealthSink | None = None) -> None:
        """Subscribe, send the start-up writes and begin delivering blocks."""
        self._on_block = on_block
        await self._start_link(on_health)

    @property
    def can_vibrate(self) -> bool:
        """Whether the profile says how to make this sensor buzz."""
        return self.profile.vibrate is not None

    async def vibrate(self, timeout_s: float = VIBRATE_TIMEOUT_S) -> bool:
        """One short buzz (the profile's ``[vibrate]`` write); True if the device took it.

        Never raises: a lost link, a refused write or a slow radio is logged
        (once per link) and the set goes on. Notifications keep flowing while
        the write waits, since both run on the event loop.
        """
        write, client = self.profile.vibrate, self._client
        if write is None or client is None or not client.is_connected:
            return False
        try:
            async with asyncio.timeout(timeout_s):
                await client.write_gatt_char(write.characteristic, write.data, response=write.response)
        except Exception as exc:  # noqa: BLE001 - a buzz is never worth an error
            if not self._vibrate_failed:
                self._vibrate_failed = True
                _log.warning("%s: vibrate failed (%s); cues go on without it", self._label, short_reason(exc))
            return False
        return True

    # -- the device's part of the link ----------------------------------------------

    def _scanner_error(self, exc: Exception) -> Exception:
        return NoAdapterError(_no_adapter_reason(exc))

    def _heard(self, adv: AdvertisementData) -> None:
        self._health = replace(self._health, rssi_dbm=adv.rssi, battery_pct=battery_from_advertisement(adv))

    async def _identify(self, client: BleakClient) -> None:
        """Check the GATT layout, read the battery and pick the firmware's wire format."""
        missing = [u for u in self.profile.characteristics if client.services.get_characteristic(u) is None]
        if missing:
            raise AdapterError(f"{self._label} does not look like a {self.profile.name}: no characteristic {missing[0]}")
        battery_uuid = self.profile.battery_characteristic
        if battery_uuid and client.services.get_characteristic(battery_uuid) is not None:
            try:
                level = await client.read_gatt_char(battery_uuid)
                if level:
                    self._health = replace(self._health, battery_pct=int(level[0]))
            except Exception as exc:  # noqa: BLE001 - battery is nice to have
                _log.debug("battery read: %s", exc)
        detect = self.profile.firmware
        if self.firmware is None and detect is not None:
            firmware = detect.default
            if client.services.get_characteristic(detect.characteristic) is not None:
                try:
                    revision = (await client.read_gatt_char(detect.characteristic)).decode("utf-8", "replace")
                    firmware = detect.firmware_for(revision)
                except Exception as exc:  # noqa: BLE001 - fall back to the profile default
                    _log.info("%s: firmware revision unreadable (%s); assuming %s", self._label, exc, firmware)
            self.firmware = firmware
        if self._decoder is None:
            self._decoder = self.profile.new_decoder(self.firmware)

    async def _write(self, client: BleakClient, write: GattWrite) -> None:
        await client.write_gatt_char(write.characteristic, write.data, response=write.response)
        if write.delay_after_s:
            await asyncio.sleep(write.delay_after_s)

    async def _begin(self, client: BleakClient) -> None:
        # Subscribe first: a Ganglion streams the moment it gets 'b'.
        for uuid in self.profile.characteristics:
            await client.start_notify(uuid, self._on_notification)
        for write in self.profile.startup:
            await self._write(client, write)
        keep = self.profile.keepalive
        if keep is not None:
            keep_write = keep.write
            self._keep_alive(keep.interval_s, lambda c: self._write(c, keep_write))

    async def _resume(self, client: BleakClient) -> None:
        self._resync = True  # the next block measures the time the link was down
        self._vibrate_failed = False
        if self._decoder is not None:
            self._decoder.reset()
        await self._begin(client)

    async def _farewell(self, client: BleakClient) -> None:
        """Unsubscribe, then the device's own shut-down writes (e.g. the Myo's normal-sleep)."""
        for uuid in self.profile.characteristics:
            try:
                await client.stop_notify(uuid)
            except Exception as exc:  # noqa: BLE001 - leaving anyway
                _log.debug("stop_notify %s: %s", uuid, exc)
        for write in self.profile.shutdown:
            await self._write(client, write)

    # -- data ----------------------------------------------------------------------

    def _on_notification(self, characteristic: Any, data: bytearray) -> None:
        decoder = self._decoder
        if decoder is None:
            return
        packet = decoder.feed(data, getattr(characteristic, "uuid", None))
        if packet is None:
            return
        rate = self.profile.rate_hz
        n = packet.n_samples
        arrived_first_s = self._clock() - n / rate  # when the first of these samples was taken
        lost = packet.lost_before
        if self._origin_s is None:
            self._origin_s = arrived_first_s
        elif self._resync:
            # Back after a lost link: the time it was down is samples we never got.
            behind = round((arrived_first_s - (self._origin_s + self._next_index / rate)) * rate)
            if behind > 0:
                lost += behind
                self._reconnect_gaps += 1
        self._resync = False
        self._next_index += lost
        native = NativeCounts(packet.counts, self._scale, decoder.count_range())
        block = SampleBlock(native.to_uv(), self._origin_s + self._next_index / rate, rate, self._seq, lost, native)
        self._seq += 1
        self._next_index += n
        if self._on_block is not None:
            self._on_block(block)
        if lost:
            self._emit_health()  # the gap count changed


def paired_sources(
    paired: PairedDevices,
    profiles: ProfileSet,
    *,
    clock: Callable[[], float] = time.monotonic,
    **kwargs: Any,
) -> tuple[list[BleEmgSource], list[str]]:
    """A source for every paired EMG sensor whose profile loaded, plus one message per one skipped.

    For the app: ``sources, problems = paired_sources(PairedDevices.load(), load_profiles(profile_dirs()), clock=clock)``.
    """
    sources: list[BleEmgSource] = []
    problems: list[str] = [paired.problem] if paired.problem else []
    for device in paired:
        if device.profile == CUFF_PROFILE_ID:
            continue  # a paired cuff: the cuff controller connects it, under the BFR supervisor
        profile = profiles.get(device.profile)
        if profile is None:
            problems.append(f"{device.name or device.address}: profile {device.profile!r} is missing or broken")
            continue
        sources.append(BleEmgSource(device, profile, paired=paired, clock=clock, **kwargs))
    return sources, problems
