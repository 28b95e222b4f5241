"""One supervised Bluetooth LE link through bleak, the same for every device gymtui drives.

A lifter between sets cannot nurse a radio, so every device link behaves
alike, and :class:`SupervisedLink` owns that behaviour once:

* ``connect()`` scans for the one address it was given, connects through
  ``bleak-retry-connector``'s ``establish_connection`` and checks the device,
  all under one overall timeout; any failure becomes an
  :class:`~gymtui.device_api.AdapterError` with a one-line reason and the
  link state FAILED;
* an unsolicited disconnect turns the link RECONNECTING (the device's
  ``lost_message``) and one task reconnects with backoff while the set goes
  on; a link that dies half-open is closed, never left behind;
* keep-alive writes, when a device needs them, run from this event loop and
  survive reconnects;
* ``disconnect()`` stops those tasks first, so nothing reconnects or writes
  behind it, then sends the device's farewell and closes the link, each
  under a timeout;
* every state change reaches the app's health callback.

A device adapter subclasses it and fills in what differs: ``_identify``
(is this the device we expect?), ``_begin`` (subscribe, start it talking),
``_farewell`` (its last writes) and, where it matters, ``_resume`` (what a
reconnect must redo), ``_heard`` (what the advertisement tells) and
``_scanner_error``. The class attributes hold the device's own words for the
athlete.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import ClassVar

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak_retry_connector import establish_connection

from gymtui.device_api import AdapterError, HealthSink
from gymtui.model import LinkHealth, LinkState
from gymtui.tasks import cancel_and_wait

_log = logging.getLogger(__name__)

RECONNECT_SLACK_S = 10.0
"""A reconnect attempt may take the scan and the start-up plus this much for the connector's own retries."""


def short_reason(exc: BaseException) -> str:
    """The first line of an exception, at most 200 characters: bleak's errors can run to pages."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class SupervisedLink(abc.ABC):
    """The link supervision a bleak device adapter inherits; see the module docstring."""

    lost_message: ClassVar[str] = "link lost — reconnecting"
    not_found_hint: ClassVar[str] = "is it switched on and in range?"
    timeout_hint: ClassVar[str] = "is it on and in range?"
    start_failure: ClassVar[str] = "could not start"
    task_prefix: ClassVar[str] = "ble"

    def __init__(
        self,
        address: str,
        label: str,
        *,
        connecting_to: str | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        scan_timeout_s: float = 10.0,
        reconnect_delays_s: Sequence[float] = (0.2, 0.5, 1.0, 2.0, 4.0),
        max_connect_attempts: int = 3,
        start_timeout_s: float = 10.0,
        shutdown_timeout_s: float = 3.0,
    ) -> None:
        """``label`` names the device in every message; ``connecting_to`` (default: the label)
        is what the "connecting to …" state shows."""
        self._address = address.upper()
        self._label = label
        self._connecting_to = connecting_to or label
        self._scanner_backend = scanner_backend
        self._client_backend = client_backend
        self._scan_timeout_s = scan_timeout_s
        self._delays = tuple(reconnect_delays_s) or (1.0,)
        self._max_attempts = max_connect_attempts
        self._start_timeout_s = start_timeout_s
        self._shutdown_timeout_s = shutdown_timeout_s
        self._client: BleakClient | None = None
        self._health = LinkHealth(LinkState.DISCONNECTED)
        self._on_health: HealthSink | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self.reconnects = 0

    @property
    def health(self) -> LinkHealth:
        return self._health

    async def connect(self, timeout_s: float = 10.0) -> None:
        """Find the device, connect and check it; AdapterError with a one-line reason on failure."""
        self._closing = False
        self._set_state(LinkState.CONNECTING, f"connecting to {self._connecting_to}")
        try:
            async with asyncio.timeout(timeout_s):
                await self._open_link(timeout_s)
        except AdapterError as exc:
            self._set_state(LinkState.FAILED, str(exc))
            raise
        except TimeoutError:
            message = f"{self._label}: no connection within {timeout_s:.0f} s — {self.timeout_hint}"
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message) from None
        except Exception as exc:  # noqa: BLE001 - bleak and the retry connector raise many kinds
            message = f"{self._label}: could not connect: {short_reason(exc)}"
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message) from None
        self._set_state(LinkState.CONNECTED, "connected")

    async def disconnect(self) -> None:
        """Stop reconnecting and the keep-alives, send the device's farewell, close the link."""
        self._closing = True
        for task in (self._reconnect_task, self._keepalive_task):
            with contextlib.suppress(Exception):  # a crashed helper task must not stop the way out
                await cancel_and_wait(task)
        self._reconnect_task = self._keepalive_task = None
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                async with asyncio.timeout(self._shutdown_timeout_s):
                    await self._farewell(client)
            except Exception as exc:  # noqa: BLE001 - the device may already be gone
                _log.info("%s: shut-down writes incomplete: %s", self._label, short_reason(exc))
            try:
                await asyncio.wait_for(client.disconnect(), self._shutdown_timeout_s)
            except Exception as exc:  # noqa: BLE001
                _log.debug("%s: disconnect: %s", self._label, exc)
        self._set_state(LinkState.DISCONNECTED, "disconnected")

    # -- what a device adapter fills in ------------------------------------------------

    @abc.abstractmethod
    async def _identify(self, client: BleakClient) -> None:
        """Check the device just connected is the one expected; AdapterError if not."""

    @abc.abstractmethod
    async def _begin(self, client: BleakClient) -> None:
        """Subscribe and start the device talking (on start, and again after a reconnect)."""

    async def _farewell(self, client: BleakClient) -> None:
        """The device's last writes before the link closes (bounded by the shut-down timeout)."""

    async def _resume(self, client: BleakClient) -> None:
        """Bring a reconnected link back to streaming; by default, begin again."""
        await self._begin(client)

    def _heard(self, adv: AdvertisementData) -> None:
        """The advertisement of the device about to be connected, for what it tells (RSSI...)."""

    def _scanner_error(self, exc: Exception) -> Exception:
        """What to raise when bleak cannot scan at all; by default bleak's own error."""
        return exc

    # -- for device adapters -------------------------------------------------------------

    async def _start_link(self, on_health: HealthSink | None) -> None:
        """Begin the connected device under the start-up timeout; the adapter's start() calls this."""
        client = self._client
        if client is None:
            raise AdapterError(f"{self._label}: start() before connect()")
        self._on_health = on_health
        try:
            async with asyncio.timeout(self._start_timeout_s):
                await self._begin(client)
        except Exception as exc:  # noqa: BLE001
            message = f"{self._label}: {self.start_failure}: {short_reason(exc)}"
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message) from None
        self._emit_health()

    def _keep_alive(self, interval_s: float, write: Callable[[BleakClient], Awaitable[None]]) -> None:
        """Call ``write`` every ``interval_s`` while connected, unless it already runs.

        The writes come from this event loop on purpose: an app that hangs stops
        them, and a device with a watchdog (a cuff) then lets go by itself.
        """
        if self._keepalive_task is None or self._keepalive_task.done():
            self._keepalive_task = asyncio.get_running_loop().create_task(
                self._keepalive(interval_s, write), name=f"{self.task_prefix}-keepalive"
            )

    def _set_state(self, state: LinkState, message: str) -> None:
        self._health = replace(self._health, state=state, message=message)
        self._emit_health()

    def _emit_health(self) -> None:
        if self._on_health is not None:
            self._on_health(self.health)

    # -- the link itself -------------------------------------------------------------------

    async def _find(self) -> tuple[BLEDevice, AdvertisementData]:
        loop = asyncio.get_running_loop()
        found: asyncio.Future[tuple[BLEDevice, AdvertisementData]] = loop.create_future()

        def detected(device: BLEDevice, adv: AdvertisementData) -> None:
            if device.address.upper() == self._address and not found.done():
                found.set_result((device, adv))

        try:
            scanner = BleakScanner(detected, backend=self._scanner_backend)
            await scanner.start()
        except Exception as exc:  # noqa: BLE001 - every platform fails differently without an adapter
            raise self._scanner_error(exc) from None
        try:
            return await asyncio.wait_for(found, self._scan_timeout_s)
        except TimeoutError:
            raise AdapterError(f"{self._label} not found — {self.not_found_hint}") from None
        finally:
            await scanner.stop()

    async def _open_link(self, timeout_s: float) -> BleakClient:
        device, adv = await self._find()
        self._heard(adv)
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
        except BaseException:  # including cancellation: never leave a half-open link behind
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise
        self._client = client
        return client

    def _on_link_lost(self, client: BleakClient) -> None:
        if self._closing or (self._client is not None and client is not self._client):
            return  # our own disconnect, or an old link closing late
        self._client = None
        self._set_state(LinkState.RECONNECTING, self.lost_message)
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(
                self._reconnect(), name=f"{self.task_prefix}-reconnect"
            )

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closing:
            await asyncio.sleep(self._delays[min(attempt, len(self._delays) - 1)])
            attempt += 1
            try:
                async with asyncio.timeout(self._scan_timeout_s + self._start_timeout_s + RECONNECT_SLACK_S):
                    client = await self._open_link(self._scan_timeout_s)
                    await self._resume(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep trying while the set goes on
                _log.info("%s: reconnect attempt %d failed: %s", self._label, attempt, short_reason(exc))
                stale, self._client = self._client, None
                if stale is not None:
                    with contextlib.suppress(Exception):
                        await stale.disconnect()
                self._set_state(LinkState.RECONNECTING, f"{self.lost_message} (attempt {attempt})")
                continue
            self.reconnects += 1
            self._set_state(LinkState.CONNECTED, "reconnected")
            return

    async def _keepalive(self, interval_s: float, write: Callable[[BleakClient], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(interval_s)
            client = self._client
            if client is None or not client.is_connected:
                continue
            try:
                await write(client)
            except Exception as exc:  # noqa: BLE001 - a lost link is handled by the disconnect callback
                _log.debug("%s: keep-alive: %s", self._label, exc)
