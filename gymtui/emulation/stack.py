"""The whole BLE stack on emulated hardware, for ``gymtui --demo --emulate DEVICE`` and tests.

bumble peripheral → bumble ``LocalLink`` → bleak (bumble backend) →
:class:`~gymtui.adapters.ble.BleEmgSource` → ``SampleBlock``s. How the app
uses it (on its asyncio loop)::

    from gymtui.emulation.stack import open_emulated_source

    source, handle = await open_emulated_source("myo", speed=args.speed, seed=0, clock=demo_clock)
    await source.connect()
    await source.start(on_block, on_health)
    handle.athlete.set_intent(PhaseKind.ISOMETRIC)   # the emulated muscles follow the set
    await handle.drop_link()                          # e.g. bound to ctrl+d: force a link loss
    ...
    await source.disconnect()
    await handle.close()

``speed`` runs the device ``speed`` times faster in wall time (a 200 Hz Myo
sends 200·speed samples per wall second); ``clock`` is the demo clock that
stamps the samples (it should run ``speed`` times faster than wall time too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gymtui.adapters.ble import BleEmgSource
from gymtui.adapters.pairing import PairedDevice, PairedDevices
from gymtui.adapters.profiles import ProfileSet, load_profiles
from gymtui.emulation.bumble_backend import BumbleWorld
from gymtui.emulation.peripherals import (
    DEFAULT_ROLES,
    EMULATORS,
    EmulatedGanglion,
    EmulatedSensor,
    SignalSource,
    SimulatedSignal,
)
from gymtui.model import ChannelInfo, MuscleRole
from gymtui.sim.athlete import AthleteProfile, SimulatedAthlete

ALIASES = {"myoware": "myoware-wireless", "myoware-uart": "myoware-wireless-uart", "generic": "generic-int16"}
EMULATED_DEVICES = tuple(EMULATORS) + tuple(ALIASES)


@dataclass(slots=True)
class EmulatedPeripheralHandle:
    """The emulated side: the sensor, its simulated athlete, and a way to break the link."""

    world: BumbleWorld
    sensor: EmulatedSensor

    @property
    def athlete(self) -> SimulatedAthlete | None:
        """Call ``set_intent(PhaseKind...)`` on it as phases change (None for a custom signal)."""
        return self.sensor.athlete

    async def drop_link(self) -> bool:
        """The peripheral drops the link (as a radio loss); the source shows RECONNECTING and recovers.
        Returns False if there was no link to drop."""
        return await self.sensor.drop_link()

    async def go_away(self) -> None:
        """The sensor leaves range: the link drops and it stops advertising until :meth:`come_back`."""
        await self.sensor.go_away()

    async def come_back(self) -> None:
        await self.sensor.come_back()

    async def close(self) -> None:
        await self.sensor.close()
        await self.world.close()


def resolve_device(device: str) -> str:
    return ALIASES.get(device, device)


async def start_emulated_sensor(
    device: str,
    *,
    world: BumbleWorld | None = None,
    profiles: ProfileSet | None = None,
    speed: float = 1.0,
    seed: int = 0,
    signal: SignalSource | None = None,
    firmware: int | None = None,
    roles: Sequence | None = None,
    athlete: AthleteProfile | None = None,
) -> EmulatedPeripheralHandle:
    """Power on an emulated sensor (advertising) in ``world`` (a new one by default); ``athlete``: how
    its simulated athlete moves (None: the default one)."""
    profile_id = resolve_device(device)
    if profile_id not in EMULATORS:
        raise ValueError(f"no emulator for {device!r}; choose one of {', '.join(EMULATED_DEVICES)}")
    profiles = profiles or load_profiles()
    profile = profiles.get(profile_id)
    if profile is None:
        raise ValueError(f"the {profile_id} profile did not load: {', '.join(map(str, profiles.errors))}")
    world = world or BumbleWorld()
    cls = EMULATORS[profile_id]
    n_signal = cls.signal_channels or profile.n_channels
    if signal is None:
        signal = SimulatedSignal(n_signal, profile.rate_hz, roles=tuple(roles) if roles else None, seed=seed, profile=athlete)
    if cls is EmulatedGanglion and firmware is not None:
        sensor: EmulatedSensor = EmulatedGanglion(world, profile, signal=signal, speed=speed, seed=seed, firmware=firmware)
    else:
        sensor = cls(world, profile, signal=signal, speed=speed, seed=seed)
    await sensor.start()
    return EmulatedPeripheralHandle(world, sensor)


async def open_emulated_source(
    device: str,
    *,
    speed: float = 1.0,
    seed: int = 0,
    clock: Callable[[], float] = time.monotonic,
    channels: Sequence[ChannelInfo] | None = None,
    firmware: int | None = None,
    signal: SignalSource | None = None,
    athlete: AthleteProfile | None = None,
) -> tuple[BleEmgSource, EmulatedPeripheralHandle]:
    """An emulated sensor, paired (in memory only) and wrapped in the production :class:`BleEmgSource`.

    ``device``: ``myo``, ``ganglion``, ``myoware`` (or any profile id with an
    emulator). ``channels`` labels the device's channels with muscles and
    roles; the simulated athlete (``athlete``: how it moves) drives them by role. The source is not yet
    connected: call ``await source.connect()`` then ``await source.start(...)``.
    """
    profiles = load_profiles()
    profile_id = resolve_device(device)
    profile = profiles.get(profile_id)
    if channels is None and profile is not None:
        # Label the channels with the roles the simulated athlete drives them by.
        channels = tuple(
            ChannelInfo(label, DEFAULT_ROLES[i] if i < len(DEFAULT_ROLES) else MuscleRole.OTHER, profile.unit)
            for i, label in enumerate(profile.channels)
        )
    simulated_per_channel = EMULATORS.get(profile_id, EmulatedSensor).signal_channels is None
    roles = tuple(c.role for c in channels) if channels is not None and simulated_per_channel else None
    handle = await start_emulated_sensor(
        device, profiles=profiles, speed=speed, seed=seed, signal=signal, firmware=firmware, roles=roles, athlete=athlete
    )
    sensor = handle.sensor
    paired = PairedDevices(None)
    entry = paired.add(PairedDevice(sensor.address, sensor.profile.id, f"{sensor.name} (emulated)"))
    source = BleEmgSource(
        entry,
        sensor.profile,
        paired=paired,
        channels=channels,
        clock=clock,
        scanner_backend=handle.world.scanner_backend,
        client_backend=handle.world.client_backend,
        scan_timeout_s=1.0,  # emulated sensors advertise every 20 ms
        reconnect_delays_s=(0.05, 0.2, 0.5, 1.0, 2.0),
    )
    return source, handle
