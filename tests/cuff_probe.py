"""A simulated cuff that notes when each command reached it, for timing every way out.

The radio is the one boundary nobody here can reach, so the cuff is simulated;
everything from the supervisor to the cuff's ``send_now`` is the real app. The
probe notes, for each command, the wall instant (``time.monotonic``, which is
system-wide on Linux, so a test can compare it with the instant it sent a
signal to another process) and the cuff's own clock; for each reading, the
cuff's clock and the pressure.

:data:`PROBE_MAIN` runs the real ``gymtui`` command line with this probe in
place of the simulated cuff, writing one line per note to ``$GYMTUI_CUFF_PROBE``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gymtui.device_api import AdapterError
from gymtui.model import CuffCommand, CuffCommandKind, PressureReading
from gymtui.sim.simulated_cuff import SimulatedCuff

COMMAND_BUDGET_S = 0.100
"""The promise: a deflate is on the wire within 100 ms of the way out that asked for it."""

RESIDUAL_MMHG = 10.0


@dataclass(frozen=True, slots=True)
class Noted:
    wall_s: float
    clock_s: float
    kind: str  # a command kind, or "reading"
    value: float  # target or pressure, mmHg
    delivered: bool = True
    reason: str = ""
    valve_s: float = float("nan")
    """For a delivered deflate: how long the bladder, as it was then, takes to fall below 10 mmHg."""


class ProbedCuff(SimulatedCuff):
    """:class:`SimulatedCuff` that notes every command (tried or delivered) and reading."""

    def __init__(self, *args: object, on_note: Callable[[Noted], None] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.notes: list[Noted] = []
        self._on_note = on_note

    def _note(self, note: Noted) -> None:
        self.notes.append(note)
        if self._on_note is not None:
            self._on_note(note)

    def send_now(self, command: CuffCommand) -> None:
        wall, clock = time.monotonic(), self._clock()
        try:
            super().send_now(command)
        except AdapterError:
            self._note(Noted(wall, clock, str(command.kind), command.target_mmhg, False, command.reason))
            raise
        valve_s = self.time_to_residual_s() if command.kind is CuffCommandKind.DEFLATE else float("nan")
        self._note(Noted(wall, clock, str(command.kind), command.target_mmhg, True, command.reason, valve_s))

    async def start(self, on_pressure: Callable[[PressureReading], None], on_health: object = None) -> None:
        def noted(reading: PressureReading) -> None:
            self._note(Noted(time.monotonic(), reading.t_s, "reading", reading.pressure_mmhg))
            on_pressure(reading)

        await super().start(noted, on_health)  # type: ignore[arg-type]

    def time_to_residual_s(self, step_s: float = 0.005, limit_s: float = 10.0) -> float:
        """Cuff seconds until the bladder reads below 10 mmHg from its state now (its valve as it is).

        Runs a copy of the cuff's own physics forward, so the figure does not depend on
        when a busy event loop happens to deliver the next reading.
        """
        physics = copy.deepcopy(self.physics)
        elapsed = 0.0
        while physics.true_mmhg >= RESIDUAL_MMHG and elapsed < limit_s:
            physics.step(step_s)
            elapsed += step_s
        return elapsed

    def true_pressure_mmhg(self) -> float:
        """The bladder's pressure now (for a lost link, when no readings come)."""
        self._catch_up()
        return float(self.physics.true_mmhg)


def first_deflate_after(notes: list[Noted], wall_s: float) -> Noted:
    for note in notes:
        if note.kind == str(CuffCommandKind.DEFLATE) and note.wall_s >= wall_s:
            return note
    raise AssertionError(f"no deflate reached the cuff after the trigger; commands: {commands(notes)}")


def first_reading_below(notes: list[Noted], clock_s: float, mmhg: float = RESIDUAL_MMHG) -> Noted:
    """The first reading below ``mmhg`` at or after cuff time ``clock_s`` (that it went down, not when)."""
    for note in notes:
        if note.kind == "reading" and note.clock_s >= clock_s and note.value < mmhg:
            return note
    last = [n for n in notes if n.kind == "reading"][-3:]
    raise AssertionError(f"the cuff never read below {mmhg} mmHg after the deflate; last readings {last}")


def commands(notes: list[Noted]) -> list[tuple[str, float, str]]:
    return [(n.kind, n.value, n.reason) for n in notes if n.kind != "reading"]


def parse_probe_file(path: Path) -> list[Noted]:
    notes = []
    for line in path.read_text().splitlines():
        wall, clock, kind, value, delivered, valve, reason = line.split("\t")
        notes.append(Noted(float(wall), float(clock), kind, float(value), delivered == "1", reason, float(valve)))
    return notes


PROBE_MAIN = r'''
import os, sys
import gymtui.sim.simulated_cuff as cuff_module
sys.path.insert(0, os.environ["GYMTUI_TESTS_DIR"])
from cuff_probe import ProbedCuff

out = open(os.environ["GYMTUI_CUFF_PROBE"], "a", buffering=1)

def write(note):
    out.write(f"{note.wall_s!r}\t{note.clock_s!r}\t{note.kind}\t{note.value!r}\t{int(note.delivered)}\t{note.valve_s!r}\t{note.reason}\n")

class FileProbedCuff(ProbedCuff):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, on_note=write, **kwargs)

cuff_module.SimulatedCuff = FileProbedCuff
from gymtui.cli import main
sys.exit(main(sys.argv[1:]))
'''
