"""A simulated cuff that speaks the open cuff profile, for the demo and the tests.

:class:`SimulatedCuff` implements :class:`gymtui.device_api.Cuff` over
:class:`gymtui.sim.cuff.CuffPhysics` and its firmware: every command and
every pressure notification goes through the same encode/decode as a real
cuff would, the adapter feeds the cuff's watchdog with KEEPALIVE writes, and
a simulated link loss makes the cuff deflate itself as the profile demands.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from gymtui.bfr.codec import Result, decode_pressure, encode_command, encode_keepalive
from gymtui.bfr.profile import CuffProfile, load_cuff_profile
from gymtui.device_api import AdapterError, HealthSink, PressureSink
from gymtui.model import (
    CuffCommand,
    CuffCommandKind,
    LinkHealth,
    LinkState,
    PressureReading,
)
from gymtui.sim.cuff import CuffFirmware, CuffParams, CuffPhysics
from gymtui.tasks import cancel_and_wait


class SimulatedCuff:
    """A simulated cuff implementing :class:`~gymtui.device_api.Cuff`.

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
        self.physics = CuffPhysics(params or CuffParams.for_profile(self.profile), seed=seed)
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
