"""The supervisor in closed loop with a simulated cuff, on a fake clock, as fast as the CPU goes.

supervisor ⇄ open-profile bytes ⇄ cuff firmware ⇄ cuff physics. Nothing is
stubbed: commands go through the real codec into the real firmware and
physics, and readings come back through the real notification bytes. Time
advances in steps of ``reading_s``; the supervisor is ticked every
``TICK_INTERVAL_S`` as the app's runner does. Tests, ``gymtui cuff
simulate`` and ``gymtui bench`` drive it; the app uses
:class:`gymtui.sim.simulated_cuff.SimulatedCuff` and
:class:`gymtui.bfr.runner.CuffRunner` on the real event loop instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gymtui.bfr.codec import decode_pressure, encode_command
from gymtui.bfr.events import CuffEvent
from gymtui.bfr.rules import (
    TICK_INTERVAL_S,
    BfrLimits,
    BfrSettings,
    Limb,
    validate_settings,
)
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.model import (
    CuffCommand,
    CuffCommandKind,
    LinkHealth,
    LinkState,
    PressureReading,
)
from gymtui.sim.cuff import CuffFirmware, CuffParams, CuffPhysics


class FakeClock:
    """Seconds that pass only when told to."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class ClosedLoop:
    settings: BfrSettings = field(default_factory=lambda: validate_settings(Limb.ARM, 180, 50))
    params: CuffParams = field(default_factory=CuffParams)
    limits: BfrLimits = field(default_factory=BfrLimits)
    reading_s: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        self.clock = FakeClock()
        self.physics = CuffPhysics(self.params, seed=self.seed)
        self.firmware = CuffFirmware(self.physics)
        self.sup = BfrSupervisor(
            self.settings, profile_max_mmhg=self.params.max_mmhg, clock=self.clock, limits=self.limits
        )
        self.records: list[CuffEvent] = []
        self.link_up = True
        self.readings_on = True
        self._next_tick = self.clock.t
        self._token = 0
        self.apply(self.sup.link_changed(LinkHealth(LinkState.CONNECTED)))

    # app-side plumbing
    def apply(self, records: list[CuffEvent]) -> list[CuffEvent]:
        for record in records:
            self.records.append(record)
            if record.command is not None and self.link_up:
                self._token += 1
                self.firmware.write(encode_command(record.command, self._token))
        return records

    def keepalive(self) -> None:
        if self.link_up:
            self.physics.keepalive()

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass: physics, readings, keep-alives and ticks."""
        end = self.clock.t + seconds
        while self.clock.t < end - 1e-9:
            dt = min(self.reading_s, end - self.clock.t)
            self.clock.t += dt
            self.physics.step(dt)
            self.keepalive()
            if self.link_up and self.readings_on:
                frame = decode_pressure(self.firmware.notification())
                self.apply(self.sup.pressure(PressureReading(self.clock.t, frame.pressure_mmhg, int(frame.flags))))
            if self.clock.t >= self._next_tick:
                self.apply(self.sup.tick())
                self._next_tick = self.clock.t + TICK_INTERVAL_S

    def lose_link(self) -> list[CuffEvent]:
        self.link_up = False
        self.physics.link_lost()
        return self.apply(self.sup.link_changed(LinkHealth(LinkState.RECONNECTING)))

    def restore_link(self) -> list[CuffEvent]:
        self.link_up = True
        self.physics.link_restored()
        return self.apply(self.sup.link_changed(LinkHealth(LinkState.CONNECTED)))

    # queries
    def commands(self) -> list[CuffCommand]:
        return [r.command for r in self.records if r.command is not None]

    def last_command_kind(self) -> CuffCommandKind | None:
        cmds = self.commands()
        return cmds[-1].kind if cmds else None

    def commanded_up_s(self) -> float:
        """Time the cuff was commanded up, from the command records alone (an independent count)."""
        total, up_since = 0.0, None
        for r in self.records:
            if r.command is None:
                continue
            if r.command.kind is CuffCommandKind.TARGET and up_since is None:
                up_since = r.at_s
            elif r.command.kind is CuffCommandKind.DEFLATE and up_since is not None:
                total += r.at_s - up_since
                up_since = None
        if up_since is not None:
            total += self.clock.t - up_since
        return total

    def kinds(self) -> list[str]:
        return [str(r.kind) for r in self.records]
