"""The adapter boundary: what the app asks of any EMG source or cuff.

Everything above this line (signal worker, session engine, BFR supervisor,
screens) talks to these protocols only, so the demo devices, BLE devices and
emulated BLE devices are interchangeable. Adapters run on the app's asyncio
loop; they hand data on through plain callbacks that must be cheap and must
not block (the app's sinks put blocks on a ``queue.Queue``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from gymtui.model import (
    CuffCommand,
    LinkHealth,
    PressureReading,
    SampleBlock,
    SourceInfo,
)

BlockSink = Callable[[SampleBlock], None]
"""Receives each decoded block, on the event loop; must not block."""

PressureSink = Callable[[PressureReading], None]
"""Receives each cuff pressure reading, on the event loop; must not block."""

HealthSink = Callable[[LinkHealth], None]
"""Receives link-state changes (connected, lost, reconnecting...)."""


class AdapterError(Exception):
    """A device could not be reached or spoke nonsense; the message is for the athlete."""


@runtime_checkable
class EmgSource(Protocol):
    """A surface-EMG sensor.

    Life cycle: ``connect()`` once (raises :class:`AdapterError` with a clear
    message on failure), then ``start(on_block)`` begins delivering blocks until
    ``disconnect()``. A source that loses its link reports it through
    ``on_health`` and keeps trying to reconnect by itself; the set goes on.
    """

    @property
    def info(self) -> SourceInfo: ...

    @property
    def health(self) -> LinkHealth: ...

    async def connect(self, timeout_s: float = 10.0) -> None: ...

    async def start(self, on_block: BlockSink, on_health: HealthSink | None = None) -> None: ...

    async def disconnect(self) -> None: ...


@runtime_checkable
class Cuff(Protocol):
    """A blood-flow-restriction cuff.

    Only :mod:`gymtui.bfr` may call :meth:`send`. A cuff reports pressure
    through ``on_pressure`` after ``start``; ``disconnect`` always tries to
    deflate first.
    """

    @property
    def name(self) -> str: ...

    @property
    def max_mmhg(self) -> float:
        """The device's own hard ceiling (from its profile)."""
        ...

    @property
    def health(self) -> LinkHealth: ...

    async def connect(self, timeout_s: float = 10.0) -> None: ...

    async def start(self, on_pressure: PressureSink, on_health: HealthSink | None = None) -> None: ...

    async def send(self, command: CuffCommand) -> None: ...

    async def disconnect(self) -> None: ...
