"""One set at the rack: the engine's events turned into storage, signal commands and cues.

The runner is the glue the app would otherwise grow in its screens. It owns
the :class:`SetEngine` for the set, tells the signal worker where phases
begin and end, tells a simulated athlete what to do (demo mode), and makes
the set durable: the row when the set starts, each phase the moment it ends
(its EMG statistics join that row when the worker has computed them), the
status when the last work phase ends, raw signal in one-second chunks.

Writes go through the :class:`StoreExecutor` (one thread, FIFO), so a phase
write submitted after the set row is created always finds its id, and none
of them blocks the caller. Each write is a :class:`~gymtui.store.recovery.Write`
(a Store method and its data, with the time it happened), one transaction
each: when the database refuses one (locked, full, read-only...) the
executor keeps it and the ones behind it in memory, in order, retries them,
and, if the app quits first, saves them to the recovery file. A write run
twice is never stored twice, because a refused write left nothing behind.

Results computed by the worker thread (a phase's %MVC, the set summary)
come back through the :class:`SetResults` the runner hands the worker with
the set's ``BeginSet`` (so they reach this runner, never the next set's),
on the worker's thread; the runner only submits store
writes from there and forwards the news to ``notify`` (which the app makes
thread-safe with ``post_message``).

The worker coaches the set live with the exercise's :class:`FormRules`
(its library entry: which muscles take over, the corrections) and each
phase's target zone; every cue it shows comes back through
``SetResults.on_cue`` and is stored as a ``cues`` row of this set, through
the same executor (a cue is data, so a write kept through an outage
survives in the recovery file like the others).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gymtui.model import Calibration, ChannelInfo, FormCue, FormRules, PhaseKind
from gymtui.session.engine import (
    Clock,
    Cue,
    EndedBy,
    Event,
    PhaseEnded,
    PhaseStarted,
    SetAborted,
    SetCompleted,
    SetEngine,
)
from gymtui.session.exercises import ExerciseLibrary, load_library
from gymtui.session.lifted import Lifted
from gymtui.session.protocol import SetProtocol
from gymtui.signal.messages import (
    BeginMvc,
    BeginPhase,
    BeginSet,
    EndMvc,
    EndPhase,
    EndSet,
    PhaseStats,
    RawChunk,
    SetResults,
)
from gymtui.store import (
    LiftedSource,
    SetStatus,
    StoreExecutor,
    StoreUnavailable,
    cue_fields,
    now_iso,
)
from gymtui.store.recovery import Write

if TYPE_CHECKING:
    from gymtui.signal.worker import SignalWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SetSummaryReady:
    """The set's EMG summary is stored; ``summary`` is what the rating screen shows."""

    set_id: int
    status: str
    summary: dict[str, Any]
    reps: tuple[dict[str, Any], ...] = ()
    """The reps the worker judged, as stored (``idx``, ``start_s``/``end_s`` from the set's first sample, ``perfect``, ``reason``)."""


@dataclass(frozen=True, slots=True)
class CalibrationStored:
    calibration_id: int
    calibration: Calibration


@dataclass(frozen=True, slots=True)
class StoreFailed:
    message: str


Notice = SetSummaryReady | CalibrationStored | StoreFailed


@dataclass
class _PhaseMeta:
    index: int
    kind: str
    name: str
    planned_s: float | None
    started_at: str
    duration_s: float
    ended_by: str
    ended_at: str


@dataclass
class SetContext:
    """Who and what the set is for."""

    athlete_id: int
    exercise: str
    session_id: int | None = None
    load_kg: float | None = None
    channels: tuple[ChannelInfo, ...] = ()
    source_name: str = ""
    calibration_id: int | None = None
    pipeline: dict[str, Any] = field(default_factory=dict)
    row_fields: dict[str, Any] = field(default_factory=dict)
    """Extra columns of the set row (a planned set's plan fields), written with it."""
    channel_rows: list[dict[str, str]] | None = None
    """The set row's ``channels`` (default: muscle, role and unit of ``channels``)."""
    reps: int | None = None
    """Planned reps, stored with the set when it completes."""
    count_reps: bool = False
    """Store the sensor's rep count when it segmented reps (a set of reps, not a drill of holds)."""
    form: FormRules | None = None
    """The exercise's live cue rules (None: its library entry's, found by ``exercise``)."""


@functools.cache
def _default_library() -> ExerciseLibrary:
    """The exercise library as the coach loads it, read once per process (≈30 ms) at the first set."""
    return load_library()


def form_rules_for(exercise: str, library: ExerciseLibrary | None = None) -> FormRules | None:
    """The live cue rules of ``exercise`` (key, display name or alias); None when the library does not know it.

    None lets the worker use its defaults: a set of an exercise the library
    does not know (a protocol file's own name) is still coached on share.
    """
    lib = library if library is not None else _default_library()
    try:
        return lib.get(exercise).form
    except KeyError:
        found = lib.match(exercise)
        return found.form if found is not None else None


class SetRunner:
    """Runs one set; see the module docstring."""

    def __init__(
        self,
        protocol: SetProtocol,
        context: SetContext,
        *,
        clock: Clock,
        store: StoreExecutor,
        signal: SignalWorker | None = None,
        calibrate: bool = False,
        cue_sink: Callable[[Cue], None] = lambda cue: None,
        on_intent: Callable[[PhaseKind], None] | None = None,
        notify: Callable[[Notice], None] = lambda notice: None,
        stamp: Callable[[], str] = now_iso,
        library: ExerciseLibrary | None = None,
        on_form_cue: Callable[[FormCue], None] = lambda cue: None,
    ) -> None:
        """``stamp`` gives the set's timestamps (default: now): the app passes its calendar's, so an injected date reaches every row.

        ``library`` is where the exercise's :class:`FormRules` come from when
        the context does not carry them (default: the built-ins and the
        user's file, loaded once). ``on_form_cue`` hears of each form cue after
        its row was handed to the store, on the signal worker's thread (the
        LSL markers): it must only hand it on.
        """
        self.protocol = protocol.with_calibration() if calibrate else protocol
        self._stamp = stamp
        self.context = context
        self.engine = SetEngine(self.protocol, clock)
        self._clock = clock
        self._store = store
        self._signal = signal
        self._cue_sink = cue_sink
        self._on_intent = on_intent
        self._notify = notify
        self._library = library
        self._on_form_cue = on_form_cue
        self._phase_started_at: dict[int, str] = {}
        self.phase_started_clock_s: dict[int, float] = {}
        """Each phase's start on the app's clock: the engine's due instant, as its row's ``started_at`` is
        stored and the worker cuts its samples (a tick may notice it later): its LSL marker's moment."""
        self.set_id: concurrent.futures.Future[int] | None = None
        self.status = SetStatus.IN_PROGRESS

    # -- commands ------------------------------------------------------------
    def start(self) -> list[Event]:
        ctx = self.context
        channels = ctx.channel_rows
        if channels is None:
            channels = [{"muscle": c.muscle, "role": str(c.role), "unit": c.unit} for c in ctx.channels]
        started_at = self._stamp()
        # Wall time minus the signal clock, read together: a raw block's t0_s plus it is its wall time.
        clock_offset_s = dt.datetime.fromisoformat(started_at).timestamp() - self._clock()
        self.set_id = self._write(
            "start_set",
            ctx.athlete_id,
            ctx.exercise,
            self.protocol.name,
            session_id=ctx.session_id,
            load_kg=ctx.load_kg,
            channels=channels,
            pipeline=ctx.pipeline,
            calibration_id=ctx.calibration_id,
            started_at=started_at,
            extra={**ctx.row_fields, "clock_offset_s": clock_offset_s},
        )
        if self._signal is not None:
            targets = [p.target_pct_mvc for p in self.protocol.phases if p.target_pct_mvc is not None]
            roles = tuple(c.role for c in ctx.channels) or None
            names = tuple(c.muscle for c in ctx.channels) or None
            results = SetResults(
                self._mvc_arrived, self._phase_stats_arrived, self._set_summary_arrived, self._raw_arrived, self._cue_arrived
            )
            form = ctx.form if ctx.form is not None else form_rules_for(ctx.exercise, self._library)
            self._signal.command(
                BeginSet(self.set_id, max(targets) if targets else None, roles, names, results, form=form)
            )
        return self._handle(self.engine.start())

    def tick(self) -> list[Event]:
        return self._handle(self.engine.tick())

    def advance(self) -> list[Event]:
        return self._handle(self.engine.advance())

    def abort(self) -> list[Event]:
        return self._handle(self.engine.abort())

    def pause(self) -> None:
        self.engine.pause()
        if self._on_intent:
            self._on_intent(PhaseKind.REST)

    def resume(self) -> list[Event]:
        phase = self.engine.current_phase
        if self._on_intent and phase is not None and self.engine.stage.value == "phase":
            self._on_intent(phase.kind)
        return self._handle(self.engine.resume())

    def rate(self, rating: int) -> concurrent.futures.Future[None]:
        """Store the athlete's 1–10 rating in this set's row (whenever it comes)."""
        return self._write("rate_set", self._require_set_id(), rating, rated_at=self._stamp())

    def record_lifted(self, lifted: Lifted) -> concurrent.futures.Future[None]:
        """Store what was lifted (load, reps, RIR and their sources) in this set's row.

        Typed reps win over the sensor's count even if its summary is written
        later (``Store.finish_set`` keeps them).
        """
        return self._write(
            "record_lifted",
            self._require_set_id(),
            load_kg=lifted.load_kg,
            load_source=lifted.load_source,
            reps=lifted.reps,
            reps_source=lifted.reps_source,
            rir=lifted.rir,
            rir_source=lifted.rir_source,
        )

    # -- engine events --------------------------------------------------------------
    def _handle(self, events: list[Event]) -> list[Event]:
        for event in events:
            if isinstance(event, Cue):
                self._cue_sink(event)
            elif isinstance(event, PhaseStarted):
                self._phase_started(event)
            elif isinstance(event, PhaseEnded):
                self._phase_ended(event)
            elif isinstance(event, SetCompleted):
                self._set_ended(SetStatus.COMPLETED)
            elif isinstance(event, SetAborted) and self.status == SetStatus.IN_PROGRESS:
                # Stopping during the rest after a completed set leaves it completed.
                self._set_ended(SetStatus.ABORTED)
        return events

    def _stamp_at(self, at_s: float) -> str:
        """The calendar's stamp of an engine instant: a boundary noticed a tick late is stored when it was due.

        The engine's clock may run ``speed`` times faster than the calendar (the demo's ``--speed``).
        """
        stamp = self._stamp()
        late_s = (self._clock() - at_s) / getattr(self._clock, "speed", 1.0)
        if late_s <= 0:
            return stamp
        return (dt.datetime.fromisoformat(stamp) - dt.timedelta(seconds=late_s)).isoformat(timespec="milliseconds")

    def _phase_started(self, event: PhaseStarted) -> None:
        self._phase_started_at[event.index] = self._stamp_at(event.at_s)
        self.phase_started_clock_s[event.index] = event.at_s
        if self._on_intent:
            self._on_intent(event.phase.kind)
        if self._signal is not None:
            if event.phase.kind is PhaseKind.CALIBRATION:
                self._signal.command(BeginMvc())
            phase = event.phase
            self._signal.command(
                BeginPhase(event.index, phase.kind, phase.target_pct_mvc, zone_pct=phase.zone_pct, at_s=event.at_s)
            )

    def _phase_ended(self, event: PhaseEnded) -> None:
        if self._on_intent:
            self._on_intent(PhaseKind.REST)
        ended_at = self._stamp_at(event.at_s)
        meta = _PhaseMeta(
            event.index,
            str(event.phase.kind),
            event.phase.name,
            event.phase.duration_s,
            self._phase_started_at.get(event.index, ended_at),
            event.duration_s,
            str(event.ended_by),
            ended_at,
        )
        # Written now, not when the worker's statistics arrive: a phase that has
        # ended must not live only in the worker's queue if the process dies.
        self._write_phase(meta)
        if self.status != SetStatus.IN_PROGRESS or self._signal is None:
            # No EMG to add: the rest after a finished set, or a set without a sensor.
            return
        if event.phase.kind is PhaseKind.CALIBRATION and event.ended_by is EndedBy.TIME:
            self._signal.command(EndMvc(self.context.source_name))
        self._signal.command(EndPhase(meta, at_s=event.at_s))

    def _set_ended(self, status: SetStatus) -> None:
        self.status = status
        if self._signal is None:
            self._finish(status, {})
        else:
            self._signal.command(EndSet(status))

    # -- worker results (worker thread) ----------------------------------------------
    def _phase_stats_arrived(self, meta: Any, stats: PhaseStats) -> None:
        """The worker's statistics for a phase whose row was written at its end (FIFO: it is there)."""
        if not isinstance(meta, _PhaseMeta):
            return
        metrics = {**stats.metrics, "time_above_target_s": stats.time_above_target_s, "samples": stats.samples}
        self._write(
            "update_phase_stats",
            self._require_set_id(),
            meta.index,
            peak_pct_mvc=stats.peak_pct_mvc,
            mean_pct_mvc=stats.mean_pct_mvc,
            metrics=metrics,
        )

    def _cue_arrived(self, token: Any, cue: FormCue) -> None:
        """A cue the worker showed: a ``cues`` row of this set (its row id is the set's future, FIFO: it is there)."""
        self._write("record_cue", self._require_set_id(), cue_fields(cue))
        self._on_form_cue(cue)

    def _set_summary_arrived(self, status: Any, summary: dict[str, Any], reps: list[dict[str, Any]]) -> None:
        self._finish(str(status), summary, reps)

    def _raw_arrived(self, chunk: RawChunk) -> None:
        self._write(
            "append_signal",
            chunk.token,
            chunk.seq,
            chunk.t0_s,
            chunk.rate_hz,
            chunk.samples_uv,
            chunk.lost_samples,
            chunk.native,
        )

    def _mvc_arrived(self, calibration: Calibration) -> None:
        set_id = self._require_set_id()
        calibration_id = self._write("save_mvc", self.context.athlete_id, calibration)
        linked = self._write("set_calibration_for_set", set_id, calibration_id)

        def stored(future: concurrent.futures.Future[Any]) -> None:
            if future.exception() is None:
                self._notify(CalibrationStored(calibration_id.result(), calibration))

        linked.add_done_callback(stored)

    # -- writes ------------------------------------------------------------------------
    def _write(self, method: str, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """One store write as data (arguments may be futures of earlier writes), failures logged."""
        future = self._store.write(Write(method, args, kwargs))
        future.add_done_callback(self._report_failure)
        return future

    def _write_phase(self, meta: _PhaseMeta) -> None:
        """The phase's row as its end knows it; EMG statistics, if any, follow as an update."""
        self._write(
            "record_phase",
            self._require_set_id(),
            meta.index,
            meta.kind,
            meta.name,
            planned_s=meta.planned_s,
            started_at=meta.started_at,
            ended_at=meta.ended_at,
            duration_s=meta.duration_s,
            ended_by=meta.ended_by,
            metrics={"time_above_target_s": None, "samples": 0},
        )

    def _finish(self, status: str, summary: dict[str, Any], reps: list[dict[str, Any]] | None = None) -> None:
        set_id = self._require_set_id()
        if status == SetStatus.COMPLETED and "reps" not in summary:
            # The reps the sensor segmented are what was done; without them, the plan's.
            if reps and self.context.count_reps:
                summary = {**summary, "reps": len(reps), "reps_source": LiftedSource.EMG}
            elif self.context.reps is not None:
                summary = {**summary, "reps": self.context.reps, "reps_source": LiftedSource.PLANNED}
        finished = self._write("finish_set", set_id, status, summary, ended_at=self._stamp())
        if reps:
            finished = self._write("record_reps", set_id, reps)

        def stored(future: concurrent.futures.Future[Any]) -> None:
            if future.exception() is None:
                self._notify(SetSummaryReady(set_id.result(), status, summary, tuple(reps or ())))

        finished.add_done_callback(stored)

    def _require_set_id(self) -> concurrent.futures.Future[int]:
        if self.set_id is None:
            raise RuntimeError("the set has not started")
        return self.set_id

    def _report_failure(self, future: concurrent.futures.Future[Any]) -> None:
        """Log a write that did not reach the database.

        The athlete hears about it from the executor, once per outage (not
        once per write): a refused write is kept and retried, then saved to
        the recovery file at quit (:class:`StoreUnavailable` here); a write
        refused for good is reported there too.
        """
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            return
        if isinstance(exc, StoreUnavailable):
            log.info("store write not in the database: %s", exc)
        else:
            log.error("store write failed: %s", exc)
