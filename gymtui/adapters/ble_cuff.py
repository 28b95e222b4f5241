"""A BFR cuff over Bluetooth LE, speaking the open cuff profile through bleak.

:class:`BleCuff` implements :class:`~gymtui.adapters.base.Cuff`. The link is
supervised the way a cuff needs it:

* connect through ``bleak-retry-connector`` with an explicit timeout; read
  the info characteristic and refuse a cuff of another profile version or
  one that does not deflate itself on link loss;
* put the cuff in a known state first: subscribe to status and pressure,
  write ``DEFLATE``, then start ``KEEPALIVE`` writes every ``keepalive_s``
  from this event loop (a hung app stops them and the cuff's watchdog
  deflates it);
* every command is a write *with response* under a 1 s timeout; a
  ``SET_TARGET`` the cuff rejects (status result) raises
  :class:`AdapterError`, so the supervisor's log says so;
* an unsolicited disconnect turns the link RECONNECTING (the supervisor then
  raises its release-by-hand alarm; the cuff deflates itself by the
  profile's link-loss rule) and a task reconnects with backoff; on
  reconnect the first write is ``DEFLATE``;
* bad notification bytes are counted and dropped, never raised.

``scanner_backend`` / ``client_backend`` go straight to bleak's ``backend=``
(None on real hardware; the bumble backend in emulation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak_retry_connector import establish_connection

from gymtui.adapters.base import AdapterError, HealthSink, PressureSink
from gymtui.adapters.cuff import (
    PROTOCOL_VERSION,
    CuffProfile,
    CuffProtocolError,
    Result,
    decode_info,
    decode_pressure,
    decode_status,
    encode_command,
    encode_keepalive,
    load_cuff_profile,
)
from gymtui.model import CuffCommand, CuffCommandKind, LinkHealth, LinkState, PressureReading

_log = logging.getLogger(__name__)

WRITE_TIMEOUT_S = 1.0
LOST_MESSAGE = "cuff link lost — reconnecting"


class BleCuff:
    """A cuff built to ``devices/CUFF-PROTOCOL.md``, reached through bleak."""

    def __init__(
        self,
        address: str,
        profile: CuffProfile | None = None,
        *,
        name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        scan_timeout_s: float = 10.0,
        reconnect_delays_s: Sequence[float] = (0.2, 0.5, 1.0, 2.0, 4.0),
        max_connect_attempts: int = 3,
        speed: float = 1.0,
    ) -> None:
        """``speed`` is for emulation only: an emulated cuff whose clock runs ``speed``× faster
        needs its keep-alives ``speed``× more often."""
        self.address = address.upper()
        self._speed = speed
        self.profile = profile or load_cuff_profile()
        self._label = name or f"{self.profile.name} {self.address}"
        self._clock = clock
        self._scanner_backend = scanner_backend
        self._client_backend = client_backend
        self._scan_timeout_s = scan_timeout_s
        self._delays = tuple(reconnect_delays_s) or (1.0,)
        self._max_attempts = max_connect_attempts
        self._client: BleakClient | None = None
        self._health = LinkHealth(LinkState.DISCONNECTED)
        self._on_pressure: PressureSink | None = None
        self._on_health: HealthSink | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        self._token = 0
        self._device_max_mmhg: float | None = None
        self._last_seq: int | None = None
        self.malformed = 0
        self.gaps = 0
        self.reconnects = 0
        self.status_flags = 0

    # -- the Cuff protocol ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self._label

    @property
    def max_mmhg(self) -> float:
        """The lower of the profile's ceiling and the one the cuff itself reports."""
        if self._device_max_mmhg is None:
            return self.profile.max_mmhg
        return min(self.profile.max_mmhg, self._device_max_mmhg)

    @property
    def link_loss_deflates(self) -> bool:
        return True  # connect() refuses a cuff that does not

    @property
    def health(self) -> LinkHealth:
        return replace(self._health, gaps=self.gaps, dropped_packets=self.malformed)

    async def connect(self, timeout_s: float = 10.0) -> None:
        self._closing = False
        self._set_state(LinkState.CONNECTING, f"connecting to {self._label}")
        try:
            async with asyncio.timeout(timeout_s):
                await self._open_link(timeout_s)
        except AdapterError as exc:
            self._set_state(LinkState.FAILED, str(exc))
            raise
        except TimeoutError:
            message = f"{self._label}: no connection within {timeout_s:.0f} s — is the cuff on and in range?"
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message) from None
        except Exception as exc:  # noqa: BLE001 - bleak raises many kinds
            message = f"{self._label}: could not connect: {_short(exc)}"
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message) from None
        self._set_state(LinkState.CONNECTED, "connected")

    async def start(self, on_pressure: PressureSink, on_health: HealthSink | None = None) -> None:
        if self._client is None:
            raise AdapterError(f"{self._label}: start() before connect()")
        self._on_pressure = on_pressure
        self._on_health = on_health
        try:
            async with asyncio.timeout(5.0):
                await self._begin(self._client)
        except Exception as exc:  # noqa: BLE001
            message = f"{self._label}: could not start: {_short(exc)}"
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message) from None
        self._emit_health()

    async def send(self, command: CuffCommand) -> None:
        client = self._client
        if client is None or not client.is_connected:
            raise AdapterError(f"{self._label}: not connected, {command.kind} not delivered")
        self._token = (self._token + 1) & 0xFF
        token = self._token
        try:
            data = encode_command(command, token)
        except CuffProtocolError as exc:
            raise AdapterError(f"{self._label}: {exc}") from None
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await client.write_gatt_char(self.profile.command_uuid, data, response=True)
                if command.kind is CuffCommandKind.TARGET:
                    status = decode_status(await client.read_gatt_char(self.profile.status_uuid))
                    if status.last_token == token and status.last_result != Result.OK:
                        raise AdapterError(
                            f"{self._label} rejected target {command.target_mmhg:.0f} mmHg (result {status.last_result})"
                        )
        except AdapterError:
            raise
        except Exception as exc:  # noqa: BLE001 - timeouts, a dropped link, GATT errors
            raise AdapterError(f"{self._label}: {command.kind} not confirmed: {_short(exc)}") from None

    async def disconnect(self) -> None:
        """Deflate, stop the keep-alives and close the link (the cuff deflates on link loss anyway)."""
        self._closing = True
        for task in (self._reconnect_task, self._keepalive_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._reconnect_task = self._keepalive_task = None
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            self._token = (self._token + 1) & 0xFF
            with contextlib.suppress(Exception):
                async with asyncio.timeout(WRITE_TIMEOUT_S):
                    await client.write_gatt_char(
                        self.profile.command_uuid,
                        encode_command(CuffCommand(CuffCommandKind.DEFLATE), self._token),
                        response=True,
                    )
            for uuid in (self.profile.pressure_uuid, self.profile.status_uuid):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.stop_notify(uuid), WRITE_TIMEOUT_S)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), 3.0)
        self._set_state(LinkState.DISCONNECTED, "disconnected")

    # -- link ------------------------------------------------------------------------------
    async def _find(self) -> BLEDevice:
        loop = asyncio.get_running_loop()
        found: asyncio.Future[BLEDevice] = loop.create_future()

        def detected(device: BLEDevice, adv: AdvertisementData) -> None:
            if device.address.upper() == self.address and not found.done():
                found.set_result(device)

        scanner = BleakScanner(detected, backend=self._scanner_backend)
        await scanner.start()
        try:
            return await asyncio.wait_for(found, self._scan_timeout_s)
        except TimeoutError:
            raise AdapterError(f"{self._label} not found — is the cuff switched on and in range?") from None
        finally:
            await scanner.stop()

    async def _open_link(self, timeout_s: float) -> None:
        device = await self._find()
        client = await establish_connection(
            BleakClient,
            device,
            self._label,
            disconnected_callback=self._on_link_lost,
            max_attempts=self._max_attempts,
            backend=self._client_backend,
            timeout=timeout_s,
        )
        try:
            await self._identify(client)
        except Exception:
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise
        self._client = client

    async def _identify(self, client: BleakClient) -> None:
        p = self.profile
        for uuid in (p.pressure_uuid, p.command_uuid, p.status_uuid, p.info_uuid):
            if client.services.get_characteristic(uuid) is None:
                raise AdapterError(f"{self._label} does not speak the open cuff profile: no characteristic {uuid}")
        try:
            info = decode_info(await client.read_gatt_char(p.info_uuid))
        except CuffProtocolError as exc:
            raise AdapterError(f"{self._label}: {exc}") from None
        if info.version != PROTOCOL_VERSION:
            raise AdapterError(f"{self._label} speaks cuff profile {info.version}, not {PROTOCOL_VERSION}")
        if not info.link_loss_deflates:
            raise AdapterError(f"{self._label} does not deflate on link loss: gymtui will not drive it")
        self._device_max_mmhg = info.max_mmhg

    async def _begin(self, client: BleakClient) -> None:
        """Subscribe, put the cuff in a known (deflated) state, start the keep-alives."""
        self._last_seq = None
        await client.start_notify(self.profile.status_uuid, self._on_status)
        await client.start_notify(self.profile.pressure_uuid, self._on_pressure_bytes)
        self._token = (self._token + 1) & 0xFF
        await client.write_gatt_char(
            self.profile.command_uuid, encode_command(CuffCommand(CuffCommandKind.DEFLATE), self._token), response=True
        )
        if self._keepalive_task is None or self._keepalive_task.done():
            self._keepalive_task = asyncio.get_running_loop().create_task(self._keepalive(), name="cuff-keepalive")

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.profile.keepalive_s / self._speed)
            client = self._client
            if client is None or not client.is_connected:
                continue
            self._token = (self._token + 1) & 0xFF
            try:
                async with asyncio.timeout(WRITE_TIMEOUT_S):
                    await client.write_gatt_char(self.profile.command_uuid, encode_keepalive(self._token), response=True)
            except Exception as exc:  # noqa: BLE001 - a lost link is handled by the disconnect callback
                _log.debug("cuff keep-alive: %s", exc)

    def _on_link_lost(self, client: BleakClient) -> None:
        if self._closing or (self._client is not None and client is not self._client):
            return
        self._client = None
        self._set_state(LinkState.RECONNECTING, LOST_MESSAGE)
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect(), name="cuff-reconnect")

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closing:
            await asyncio.sleep(self._delays[min(attempt, len(self._delays) - 1)])
            attempt += 1
            try:
                async with asyncio.timeout(self._scan_timeout_s + 15.0):
                    await self._open_link(self._scan_timeout_s)
                    assert self._client is not None
                    await self._begin(self._client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep trying; the supervisor has already alarmed
                _log.info("%s: reconnect attempt %d failed: %s", self._label, attempt, _short(exc))
                client, self._client = self._client, None
                if client is not None:
                    with contextlib.suppress(Exception):
                        await client.disconnect()
                self._set_state(LinkState.RECONNECTING, f"{LOST_MESSAGE} (attempt {attempt})")
                continue
            self.reconnects += 1
            self._set_state(LinkState.CONNECTED, "reconnected")
            return

    # -- notifications -------------------------------------------------------------------------
    def _on_pressure_bytes(self, characteristic: Any, data: bytearray) -> None:
        try:
            frame = decode_pressure(bytes(data))
        except CuffProtocolError as exc:
            self.malformed += 1
            _log.debug("%s: dropped a pressure notification: %s", self._label, exc)
            return
        if self._last_seq is not None and frame.seq != (self._last_seq + 1) & 0xFFFF:
            self.gaps += 1
        self._last_seq = frame.seq
        self.status_flags = int(frame.flags)
        if self._on_pressure is not None:
            self._on_pressure(PressureReading(self._clock(), frame.pressure_mmhg, int(frame.flags)))

    def _on_status(self, characteristic: Any, data: bytearray) -> None:
        try:
            status = decode_status(bytes(data))
        except CuffProtocolError:
            self.malformed += 1
            return
        self.status_flags = int(status.flags)
        if status.battery_pct <= 100 and status.battery_pct != self._health.battery_pct:
            self._health = replace(self._health, battery_pct=status.battery_pct)
            self._emit_health()

    # -- health ----------------------------------------------------------------------------------
    def _set_state(self, state: LinkState, message: str) -> None:
        self._health = replace(self._health, state=state, message=message)
        self._emit_health()

    def _emit_health(self) -> None:
        if self._on_health is not None:
            self._on_health(self.health)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
