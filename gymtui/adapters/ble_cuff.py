"""A BFR cuff over Bluetooth LE, speaking the open cuff profile through bleak.

:class:`BleCuff` implements :class:`~gymtui.device_api.Cuff`. The link is
supervised by :class:`~gymtui.adapters.link.SupervisedLink` (shared with the
EMG sensors), set up the way a cuff needs it:

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

from bleak import BleakClient
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from gymtui.adapters.link import SupervisedLink, short_reason
from gymtui.bfr.codec import (
    PROTOCOL_VERSION,
    CuffProtocolError,
    Result,
    decode_info,
    decode_pressure,
    decode_status,
    encode_command,
    encode_keepalive,
)
from gymtui.bfr.profile import CuffProfile, load_cuff_profile
from gymtui.device_api import AdapterError, HealthSink, PressureSink
from gymtui.model import CuffCommand, CuffCommandKind, LinkHealth, PressureReading

_log = logging.getLogger(__name__)

WRITE_TIMEOUT_S = 1.0
START_TIMEOUT_S = 5.0
SHUTDOWN_TIMEOUT_S = 3.0
LOST_MESSAGE = "cuff link lost — reconnecting"


class BleCuff(SupervisedLink):
    """A cuff built to ``devices/CUFF-PROTOCOL.md``, reached through bleak.

    The link is supervised by :class:`~gymtui.adapters.link.SupervisedLink`;
    this class adds the cuff's checks, its known-state start, keep-alives,
    commands and notifications.
    """

    lost_message = LOST_MESSAGE
    not_found_hint = "is the cuff switched on and in range?"
    timeout_hint = "is the cuff on and in range?"
    start_failure = "could not start"
    task_prefix = "cuff"

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
        super().__init__(
            self.address,
            name or f"{self.profile.name} {self.address}",
            scanner_backend=scanner_backend,
            client_backend=client_backend,
            scan_timeout_s=scan_timeout_s,
            reconnect_delays_s=reconnect_delays_s,
            max_connect_attempts=max_connect_attempts,
            start_timeout_s=START_TIMEOUT_S,
            shutdown_timeout_s=SHUTDOWN_TIMEOUT_S,
        )
        self._clock = clock
        self._on_pressure: PressureSink | None = None
        self._token = 0
        self._device_max_mmhg: float | None = None
        self._last_seq: int | None = None
        self.malformed = 0
        self.gaps = 0
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

    async def start(self, on_pressure: PressureSink, on_health: HealthSink | None = None) -> None:
        self._on_pressure = on_pressure
        await self._start_link(on_health)

    async def send(self, command: CuffCommand) -> None:
        client = self._client
        if client is None or not client.is_connected:
            raise AdapterError(f"{self._label}: not connected, {command.kind} not delivered")
        token = self._next_token()
        try:
            data = encode_command(command, token)
        except CuffProtocolError as exc:
            raise AdapterError(f"{self._label}: {exc}") from None
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await client.write_gatt_char(self.profile.command_uuid, data, response=True)
                if command.kind is CuffCommandKind.TARGET:
                    status = decode_status(bytes(await client.read_gatt_char(self.profile.status_uuid)))
                    if status.last_token == token and status.last_result != Result.OK:
                        raise AdapterError(
                            f"{self._label} rejected target {command.target_mmhg:.0f} mmHg (result {status.last_result})"
                        )
        except AdapterError:
            raise
        except Exception as exc:  # noqa: BLE001 - timeouts, a dropped link, GATT errors
            raise AdapterError(f"{self._label}: {command.kind} not confirmed: {short_reason(exc)}") from None

    # -- the cuff's part of the link ---------------------------------------------------------
    def _next_token(self) -> int:
        """A fresh one-byte command token, so a status result can be matched to its command."""
        self._token = (self._token + 1) & 0xFF
        return self._token

    async def _deflate(self, client: BleakClient) -> None:
        data = encode_command(CuffCommand(CuffCommandKind.DEFLATE), self._next_token())
        await client.write_gatt_char(self.profile.command_uuid, data, response=True)

    async def _identify(self, client: BleakClient) -> None:
        p = self.profile
        for uuid in (p.pressure_uuid, p.command_uuid, p.status_uuid, p.info_uuid):
            if client.services.get_characteristic(uuid) is None:
                raise AdapterError(f"{self._label} does not speak the open cuff profile: no characteristic {uuid}")
        try:
            info = decode_info(bytes(await client.read_gatt_char(p.info_uuid)))
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
        await self._deflate(client)
        self._keep_alive(self.profile.keepalive_s / self._speed, self._send_keepalive)

    async def _send_keepalive(self, client: BleakClient) -> None:
        async with asyncio.timeout(WRITE_TIMEOUT_S):
            await client.write_gatt_char(self.profile.command_uuid, encode_keepalive(self._next_token()), response=True)

    async def _farewell(self, client: BleakClient) -> None:
        """Deflate first, whatever else fails (the cuff deflates on link loss anyway), then unsubscribe."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await self._deflate(client)
        for uuid in (self.profile.pressure_uuid, self.profile.status_uuid):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.stop_notify(uuid), WRITE_TIMEOUT_S)

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
