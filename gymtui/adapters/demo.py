"""The demo EMG sensor and demo cuff: the adapter boundary with no radio.

The sensor renders blocks from a :class:`~gymtui.sim.physiology.Physiology`
(by default the motor-unit simulator) driven by a
:class:`~gymtui.sim.athlete.SimulatedAthlete`, at the device's
rate scaled by ``speed`` (``--speed 4`` delivers four seconds of signal per
wall second, stamped on the demo clock). It delivers 10 ms notifications'
worth of samples at a time, like a BLE sensor would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from gymtui.device_api import BlockSink, HealthSink
from gymtui.model import ChannelInfo, LinkHealth, LinkState, SampleBlock, SourceInfo
from gymtui.sim import demo_physiology
from gymtui.sim.athlete import AthleteProfile, SimulatedAthlete
from gymtui.sim.physiology import Physiology
from gymtui.tasks import cancel_and_wait

DELIVERY_INTERVAL_S = 0.03
"""Wall seconds between deliveries: about 30 a second at any ``speed`` (a BLE link
batches notifications per connection interval too), so a faster demo renders
larger, cheaper batches rather than more of them."""

MAX_BATCHES_PER_WAKE = 2
"""Delivery intervals rendered at most in one wake: the render runs on the event
loop, so this bounds how long the loop (the screen, the cuff) waits for it."""

MAX_BEHIND_S = 0.5
"""Wall seconds the sensor may fall behind its clock, when the CPU cannot render
``speed`` seconds of signal per second (a busy machine, a high ``--speed``).
Beyond it the backlog is dropped, as a BLE link drops notifications, and the
next block carries the gap in ``lost_samples``: late signal never piles up
in memory, and the set's clock never waits for it."""


class DemoEmgSource:
    """A simulated multichannel EMG sensor implementing :class:`~gymtui.device_api.EmgSource`."""

    def __init__(
        self,
        channels: tuple[ChannelInfo, ...],
        *,
        rate_hz: float = 1000.0,
        block_s: float = 0.010,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        physiology: Physiology | None = None,
        athlete: SimulatedAthlete | None = None,
        seed: int = 0,
        mains_hz: float = 50.0,
        profile: AthleteProfile | None = None,
    ) -> None:
        """``profile``: how the simulated athlete moves (None: the default athlete; a compensator shows the cues)."""
        self._info = SourceInfo("Demo EMG (simulated)", channels, rate_hz)
        if physiology is None or athlete is None:
            physiology, athlete = demo_physiology(channels, rate_hz, seed, mains_hz=mains_hz, profile=profile)
        self.athlete = athlete
        self.physiology = physiology
        self._block_n = max(1, round(block_s * rate_hz))
        self._speed = speed
        self._clock = clock
        self._health = LinkHealth(LinkState.DISCONNECTED)
        self._task: asyncio.Task[None] | None = None
        self._seq = 0

    @property
    def info(self) -> SourceInfo:
        return self._info

    @property
    def health(self) -> LinkHealth:
        return self._health

    async def connect(self, timeout_s: float = 10.0) -> None:
        self._health = LinkHealth(LinkState.CONNECTED, battery_pct=100, message="simulated")

    async def start(self, on_block: BlockSink, on_health: HealthSink | None = None) -> None:
        if on_health:
            on_health(self._health)
        self._task = asyncio.create_task(self._run(on_block), name="demo-emg")

    def render_block(self, n: int) -> np.ndarray:
        """The next ``n`` samples, float32 µV ``(n, n_channels)``."""
        return self.physiology.render(self.athlete.drive(n))

    async def _run(self, on_block: BlockSink) -> None:
        rate_hz = self._info.rate_hz
        start_s = self._clock()
        samples_done = 0
        n = self._block_n
        interval_s = max(n / rate_hz / self._speed, DELIVERY_INTERVAL_S)  # wall
        per_wake = max(1, round(MAX_BATCHES_PER_WAKE * interval_s * self._speed * rate_hz / n))  # blocks
        max_behind = max(per_wake, round(MAX_BEHIND_S * self._speed * rate_hz / n))  # blocks
        while True:
            # Render what is due on the (possibly sped-up) clock in one call (the
            # simulator's cost is per call), then hand it over in device-sized blocks.
            due_blocks = (int((self._clock() - start_s) * rate_hz) - samples_done) // n
            lost = 0
            if due_blocks > max_behind:
                lost = (due_blocks - per_wake) * n
                samples_done += lost
                due_blocks = per_wake
            due_blocks = min(due_blocks, per_wake)
            if due_blocks > 0:
                rendered = self.render_block(due_blocks * n)
                for k in range(due_blocks):
                    block = rendered[k * n:(k + 1) * n]
                    on_block(SampleBlock(block, start_s + samples_done / rate_hz, rate_hz, self._seq,
                                         lost_samples=lost if k == 0 else 0))
                    self._seq += 1
                    samples_done += n
            await asyncio.sleep(interval_s)

    async def disconnect(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        self._health = LinkHealth(LinkState.DISCONNECTED)
