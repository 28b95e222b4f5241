"""Simulated BFR cuff physics and firmware, following the open cuff profile.

A pure, deterministic model (numpy ``Generator`` for noise; the caller
advances time with :meth:`CuffPhysics.step`), so tests and the demo share
it. What it models, in the units the profile speaks:

- **Pump**: flow falls linearly with back-pressure, from
  ``pump_rate_mmhg_s`` at 0 mmHg to nothing at ``pump_limit_mmhg`` (a real
  diaphragm pump's stall pressure).
- **Valve**: an open valve empties the bladder exponentially (``valve_tau_s``).
- **Leak**: a slow leak proportional to pressure (``leak_per_s``), which the
  firmware compensates with short pump bursts; a fault can make it large.
- **Sensor**: Gaussian noise, quantised to the profile's 0.1 mmHg; a
  stuck-sensor fault freezes the reported value while the bladder moves on.
- **Firmware**: bang-bang regulation to the set point with hysteresis, a
  hard ceiling (``max_mmhg``: commands above it are rejected; pressure above
  it by ``relief_margin_mmhg`` opens the valve), and the profile's
  **link-loss rule**: on disconnect, or when no valid command arrived for
  ``watchdog_s``, it deflates itself and sets ``WATCHDOG_DEFLATED``.
- A "runaway pump" fault (the pump stuck on and the valve stuck shut,
  ignoring commands) to test that the supervisor falls back on telling the
  athlete to release the cuff; only the mechanical relief still vents.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from gymtui.bfr.codec import (
    CuffProtocolError,
    CuffStatus,
    Opcode,
    Result,
    decode_command,
    encode_pressure,
    encode_status,
)
from gymtui.bfr.flags import CuffFlag
from gymtui.bfr.profile import CuffProfile


class Mode(enum.StrEnum):
    DEFLATE = "deflate"  # valve open
    REGULATE = "regulate"  # closed loop on the set point
    HOLD = "hold"  # pump off, valve closed


@dataclass(frozen=True, slots=True)
class CuffParams:
    max_mmhg: float = 300.0
    pump_rate_mmhg_s: float = 45.0
    pump_limit_mmhg: float = 340.0
    valve_tau_s: float = 0.45
    leak_per_s: float = 0.004  # slow leak: 0.4 %/s of the pressure
    noise_mmhg: float = 0.35
    hysteresis_mmhg: float = 2.0
    relief_margin_mmhg: float = 10.0
    watchdog_s: float = 3.0
    step_s: float = 0.005  # integration step

    @classmethod
    def for_profile(cls, profile: CuffProfile) -> CuffParams:
        """Physics bound by the profile's ceiling, relief margin and watchdog,
        so the simulated and emulated cuffs obey the same limits a real one advertises."""
        return cls(
            max_mmhg=profile.max_mmhg,
            relief_margin_mmhg=profile.relief_margin_mmhg,
            watchdog_s=profile.watchdog_s,
        )


class CuffPhysics:
    """The bladder, pump, valve, sensor and firmware of one cuff."""

    def __init__(self, params: CuffParams | None = None, *, seed: int = 0) -> None:
        self.params = params or CuffParams()
        self._rng = np.random.default_rng(seed)
        self.t_s = 0.0
        self.true_mmhg = 0.0
        self.mode = Mode.DEFLATE
        self.set_point_mmhg = 0.0
        self.pump_on = False
        self.flags = CuffFlag(0)
        self.connected = True
        self._last_command_s = 0.0
        # injected faults
        self.stuck_at_mmhg: float | None = None
        self.leak_extra_per_s = 0.0
        self.pump_runaway = False
        self.pump_dead = False

    # -- commands (what the firmware does with a valid write) -------------------
    def command_target(self, target_mmhg: float) -> bool:
        """SET_TARGET. Returns False (and flags it) if above the cuff's ceiling."""
        self._fed()
        if not 0 < target_mmhg <= self.params.max_mmhg:
            self.flags |= CuffFlag.COMMAND_REJECTED
            return False
        self.flags &= ~(CuffFlag.COMMAND_REJECTED | CuffFlag.WATCHDOG_DEFLATED)
        self.set_point_mmhg = target_mmhg
        self.mode = Mode.REGULATE
        return True

    def command_hold(self) -> None:
        self._fed()
        self.mode = Mode.HOLD

    def command_deflate(self) -> None:
        self._fed()
        self.mode = Mode.DEFLATE
        self.set_point_mmhg = 0.0

    def keepalive(self) -> None:
        self._fed()

    def _fed(self) -> None:
        self._last_command_s = self.t_s

    def link_lost(self) -> None:
        """The central disappeared: the link-loss rule deflates at once."""
        self.connected = False
        self._watchdog_deflate()

    def link_restored(self) -> None:
        self.connected = True
        self._last_command_s = self.t_s

    def _watchdog_deflate(self) -> None:
        if self.mode is not Mode.DEFLATE:
            self.flags |= CuffFlag.WATCHDOG_DEFLATED
        self.mode = Mode.DEFLATE
        self.set_point_mmhg = 0.0

    # -- time -----------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance the physics by ``dt_s`` seconds (any size; integrated in small steps)."""
        if dt_s <= 0:
            return
        n = max(1, math.ceil(dt_s / self.params.step_s))
        h = dt_s / n
        for _ in range(n):
            self._substep(h)

    def _substep(self, h: float) -> None:
        p = self.params
        self.t_s += h
        if self.mode is not Mode.DEFLATE and self.t_s - self._last_command_s > p.watchdog_s:
            self._watchdog_deflate()
        # firmware decides pump and valve
        valve_open = self.mode is Mode.DEFLATE
        if self.mode is Mode.REGULATE:
            if self.true_mmhg < self.set_point_mmhg - p.hysteresis_mmhg:
                self.pump_on = True
            elif self.true_mmhg >= self.set_point_mmhg:
                self.pump_on = False
        else:
            self.pump_on = False
        relief = self.true_mmhg > p.max_mmhg + p.relief_margin_mmhg
        if relief:
            # The hard relief: firmware opens the valve, and a mechanical relief valve
            # vents even when the firmware has lost control of the pump.
            valve_open = True
            self.pump_on = False
            self.flags |= CuffFlag.OVER_PRESSURE
        pumping = (self.pump_on or self.pump_runaway) and not self.pump_dead
        dp = 0.0
        if pumping:
            dp += p.pump_rate_mmhg_s * max(0.0, 1.0 - self.true_mmhg / p.pump_limit_mmhg)
        if (valve_open and not self.pump_runaway) or relief:
            dp -= self.true_mmhg / p.valve_tau_s
        dp -= self.true_mmhg * (p.leak_per_s + self.leak_extra_per_s)
        self.true_mmhg = max(0.0, self.true_mmhg + dp * h)

    # -- what the cuff reports ------------------------------------------------------
    def read(self) -> tuple[float, CuffFlag]:
        """A sensor reading (mmHg, quantised to 0.1) and the status flags."""
        if self.stuck_at_mmhg is not None:
            value = self.stuck_at_mmhg
        else:
            value = max(0.0, self.true_mmhg + float(self._rng.normal(0.0, self.params.noise_mmhg)))
        flags = self.flags
        if self.pump_on or self.pump_runaway:
            flags |= CuffFlag.PUMP_ON
        if self.mode is Mode.DEFLATE:
            flags |= CuffFlag.VALVE_OPEN
        if self.mode is Mode.REGULATE:
            flags |= CuffFlag.REGULATING
        return round(value, 1), flags


class CuffFirmware:
    """What a cuff's microcontroller does with the profile's bytes, over :class:`CuffPhysics`.

    Shared by :class:`gymtui.sim.simulated_cuff.SimulatedCuff` and the emulated BLE cuff
    (:mod:`gymtui.emulation.cuff`): ``write``
    takes the command characteristic's bytes, ``notification`` produces the
    pressure characteristic's.
    """

    def __init__(self, physics: CuffPhysics) -> None:
        self.physics = physics
        self.seq = 0
        self.last_token = 0
        self.last_result = Result.OK
        self.battery_pct = 100

    def write(self, data: bytes) -> int:
        try:
            cmd = decode_command(data)
        except CuffProtocolError as exc:
            self.last_result = Result.BAD_CRC if "CRC" in str(exc) else (
                Result.UNKNOWN_OPCODE if "opcode" in str(exc) else Result.BAD_LENGTH
            )
            return self.last_result
        self.last_token = cmd.token
        if cmd.opcode == Opcode.DEFLATE:
            self.physics.command_deflate()
        elif cmd.opcode == Opcode.HOLD:
            self.physics.command_hold()
        elif cmd.opcode == Opcode.KEEPALIVE:
            self.physics.keepalive()
        elif not self.physics.command_target(cmd.target_mmhg):
            self.last_result = Result.ABOVE_MAX
            return self.last_result
        self.last_result = Result.OK
        return Result.OK

    def notification(self) -> bytes:
        pressure, flags = self.physics.read()
        self.seq = (self.seq + 1) & 0xFFFF
        return encode_pressure(self.seq, pressure, self.physics.set_point_mmhg, flags)

    def status(self) -> bytes:
        _, flags = self.physics.read()
        return encode_status(CuffStatus(flags, self.battery_pct, self.last_token, self.last_result, 1))
