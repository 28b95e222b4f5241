"""The session engine: a pure state machine that walks a set's phases.

No Textual, no threads, no sleeping. The caller owns time: it injects a
clock (monotonic seconds; the demo's clock runs ``--speed`` times faster;
tests use a fake) and calls :meth:`SetEngine.tick` as often as it likes.
Each tick returns the events that fell due since the last one, stamped with
the instant they were *due*, not the instant the tick noticed, so a lagging
screen never stretches a phase.

The shape of a set::

    [lead-in 3-2-1] work phase [lead-in 3-2-1] work phase ... ⟶ completed ⟶ rest (3-2-1) ⟶ finished

Lead-ins are short "get ready" intervals before every work phase (a cue on
each second and a GO cue as the phase starts). Rest phases start at once and
count their own last three seconds. The set counts as completed when its last
work phase ends; the rest that follows belongs to it but does not change that.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from gymtui.model import PhaseKind
from gymtui.session.protocol import PhaseSpec, SetProtocol

Clock = Callable[[], float]


class EndedBy(enum.StrEnum):
    TIME = "time"
    ATHLETE = "athlete"  # Space on a phase that waits, or a skipped rest
    ABORT = "abort"


class CueKind(enum.StrEnum):
    COUNT = "count"  # 3, 2, 1 before a boundary
    GO = "go"  # a work phase starts now
    REST = "rest"
    DONE = "done"  # last work phase finished
    READY = "ready"  # rest over: the next set can start
    ABORT = "abort"
    ALARM = "alarm"  # not the engine's: a device alarm routed through the same cue sink


@dataclass(frozen=True, slots=True)
class Cue:
    """Something to tell the athlete now: text, a bell, a flash of the screen."""

    at_s: float
    kind: CueKind
    text: str
    bell: bool = True
    flash: bool = False


@dataclass(frozen=True, slots=True)
class LeadInStarted:
    at_s: float
    next_index: int
    next_phase: PhaseSpec


@dataclass(frozen=True, slots=True)
class PhaseStarted:
    at_s: float
    index: int
    phase: PhaseSpec


@dataclass(frozen=True, slots=True)
class PhaseEnded:
    at_s: float
    index: int
    phase: PhaseSpec
    started_at_s: float
    duration_s: float
    ended_by: EndedBy


@dataclass(frozen=True, slots=True)
class SetCompleted:
    at_s: float


@dataclass(frozen=True, slots=True)
class SetFinished:
    """The set and its rest are over."""

    at_s: float


@dataclass(frozen=True, slots=True)
class SetAborted:
    at_s: float
    index: int


Event = Cue | LeadInStarted | PhaseStarted | PhaseEnded | SetCompleted | SetFinished | SetAborted


class Stage(enum.StrEnum):
    IDLE = "idle"
    LEAD_IN = "lead_in"
    PHASE = "phase"
    FINISHED = "finished"
    ABORTED = "aborted"


@dataclass(frozen=True, slots=True)
class EngineView:
    """A snapshot for rendering: what is happening and how long is left."""

    stage: Stage
    index: int
    phase: PhaseSpec | None
    remaining_s: float | None
    elapsed_s: float
    paused: bool
    completed: bool


class SetEngine:
    """Walks one :class:`SetProtocol`; see the module docstring for the shape."""

    def __init__(self, protocol: SetProtocol, clock: Clock) -> None:
        self.protocol = protocol
        self._clock = clock
        self.stage = Stage.IDLE
        self.index = -1
        self._stage_start_s = 0.0
        self._stage_end_s: float | None = None
        self._counts_left: list[int] = []
        self._paused_at_s: float | None = None
        self.completed = False
        self._pending: list[Event] = []

    # -- commands ----------------------------------------------------------
    def start(self) -> list[Event]:
        if self.stage is not Stage.IDLE:
            raise RuntimeError("this set has already started")
        self._enter_next(0, self._clock())
        return self._flush()

    def tick(self) -> list[Event]:
        """Process every boundary that fell due up to now."""
        if self._paused_at_s is None:
            now = self._clock()
            while self.stage in (Stage.LEAD_IN, Stage.PHASE):
                if self._due_counts(now):
                    continue
                if self._stage_end_s is not None and now >= self._stage_end_s:
                    self._end_stage(self._stage_end_s, EndedBy.TIME)
                    continue
                break
        return self._flush()

    def advance(self) -> list[Event]:
        """Space: end a phase that waits for the athlete, or skip a skippable rest."""
        if not self.can_advance:
            return []
        self._end_stage(self._clock(), EndedBy.ATHLETE)
        return self._flush()

    def abort(self) -> list[Event]:
        """Esc: stop the set where it is. The running phase is recorded as aborted."""
        if self.stage not in (Stage.LEAD_IN, Stage.PHASE):
            return []
        now = self._clock()
        if self._paused_at_s is not None:
            self._shift_by(now - self._paused_at_s)
            self._paused_at_s = None
        if self.stage is Stage.PHASE:
            self._emit_phase_end(now, EndedBy.ABORT)
        self.stage = Stage.ABORTED
        self._pending.append(Cue(now, CueKind.ABORT, "Set aborted", bell=True, flash=False))
        self._pending.append(SetAborted(now, self.index))
        return self._flush()

    def pause(self) -> None:
        if self.stage in (Stage.LEAD_IN, Stage.PHASE) and self._paused_at_s is None:
            self._paused_at_s = self._clock()

    def resume(self) -> list[Event]:
        if self._paused_at_s is not None:
            self._shift_by(self._clock() - self._paused_at_s)
            self._paused_at_s = None
        return self.tick()

    # -- queries -------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.stage in (Stage.LEAD_IN, Stage.PHASE)

    @property
    def in_work(self) -> bool:
        """True until the last work phase has ended (the part 'q' asks about)."""
        return self.running and not self.completed

    @property
    def paused(self) -> bool:
        return self._paused_at_s is not None

    @property
    def current_phase(self) -> PhaseSpec | None:
        if 0 <= self.index < len(self.protocol.phases):
            return self.protocol.phases[self.index]
        return None

    @property
    def can_advance(self) -> bool:
        phase = self.current_phase
        return (
            self.stage is Stage.PHASE
            and self._paused_at_s is None
            and phase is not None
            and (phase.waits_for_athlete or phase.skippable)
        )

    def view(self) -> EngineView:
        now = self._paused_at_s if self._paused_at_s is not None else self._clock()
        remaining = None if self._stage_end_s is None else max(0.0, self._stage_end_s - now)
        return EngineView(
            self.stage,
            self.index,
            self.current_phase,
            remaining,
            max(0.0, now - self._stage_start_s) if self.running else 0.0,
            self.paused,
            self.completed,
        )

    # -- internals -------------------------------------------------------------
    def _flush(self) -> list[Event]:
        events, self._pending = self._pending, []
        return events

    def _shift_by(self, delta_s: float) -> None:
        self._stage_start_s += delta_s
        if self._stage_end_s is not None:
            self._stage_end_s += delta_s

    def _due_counts(self, now: float) -> bool:
        """Emit the next 3-2-1 count if its instant has come."""
        if not self._counts_left or self._stage_end_s is None:
            return False
        n = self._counts_left[0]
        at = self._stage_end_s - n
        if now < at:
            return False
        self._counts_left.pop(0)
        nxt = self._next_phase_name()
        text = f"{nxt} in {n}" if nxt else f"{n}"
        self._pending.append(Cue(at, CueKind.COUNT, text, bell=True))
        return True

    def _next_phase_name(self) -> str:
        if self.stage is Stage.LEAD_IN:
            return self.protocol.phases[self.index].name
        if self.index + 1 < len(self.protocol.phases):
            return self.protocol.phases[self.index + 1].name
        return "Next set"

    def _enter_next(self, index: int, at: float) -> None:
        """Move to phase ``index`` (through a lead-in if it is work), or finish."""
        phases = self.protocol.phases
        if index >= len(phases):
            self.stage = Stage.FINISHED
            self._stage_end_s = None
            self._pending.append(Cue(at, CueKind.READY, "Rest over: ready for the next set", bell=True, flash=True))
            self._pending.append(SetFinished(at))
            return
        self.index = index
        phase = phases[index]
        lead_in = self.protocol.lead_in_s
        if phase.is_work and lead_in > 0:
            self.stage = Stage.LEAD_IN
            self._stage_start_s = at
            self._stage_end_s = at + lead_in
            # The lead-in's own first second is announced by LeadInStarted's count.
            self._counts_left = list(range(lead_in, 0, -1))
            self._pending.append(LeadInStarted(at, index, phase))
        else:
            self._start_phase(at)

    def _start_phase(self, at: float) -> None:
        phase = self.protocol.phases[self.index]
        self.stage = Stage.PHASE
        self._stage_start_s = at
        self._stage_end_s = None if phase.duration_s is None else at + phase.duration_s
        self._pending.append(PhaseStarted(at, self.index, phase))
        if phase.kind is PhaseKind.REST:
            self._pending.append(Cue(at, CueKind.REST, phase.cue or "Rest", bell=True))
        else:
            self._pending.append(Cue(at, CueKind.GO, f"GO: {phase.cue or phase.name}", bell=True, flash=True))
        # Rest and long phases announce their own last three seconds.
        if phase.duration_s is not None and phase.duration_s > 3 and (
            phase.kind is PhaseKind.REST or self.index == len(self.protocol.phases) - 1
        ):
            self._counts_left = [3, 2, 1]
        else:
            self._counts_left = []

    def _emit_phase_end(self, at: float, ended_by: EndedBy) -> None:
        phase = self.protocol.phases[self.index]
        self._pending.append(
            PhaseEnded(at, self.index, phase, self._stage_start_s, at - self._stage_start_s, ended_by)
        )

    def _end_stage(self, at: float, ended_by: EndedBy) -> None:
        if self.stage is Stage.LEAD_IN:
            self._start_phase(at)
            return
        self._emit_phase_end(at, ended_by)
        if self.index == self.protocol.last_work_index:
            self.completed = True
            self._pending.append(SetCompleted(at))
            self._pending.append(Cue(at, CueKind.DONE, "Set complete: rate your activation 1–10", bell=True, flash=True))
        self._enter_next(self.index + 1, at)

    # -- rest adjustment (programs) -------------------------------------------
    REST_STEP_S = 15.0

    def adjust_rest(self, delta_s: float) -> bool:
        """±15 s on a running rest (keys + / -); False when no rest is running.

        The rest's end moves; its 3-2-1 counts are re-armed for the seconds
        still ahead, and a rest shortened into the past ends at the next tick.
        """
        phase = self.current_phase
        if self.stage is not Stage.PHASE or phase is None or phase.kind is not PhaseKind.REST or self._stage_end_s is None:
            return False
        now = self._paused_at_s if self._paused_at_s is not None else self._clock()
        self._stage_end_s = max(now, self._stage_end_s + delta_s)
        self._counts_left = [n for n in (3, 2, 1) if self._stage_end_s - n >= now]
        return True

