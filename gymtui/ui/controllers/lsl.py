"""The LSL controller: gymtui's raw EMG, envelope and marker streams, for LabRecorder beside the rack.

Owned by :class:`gymtui.app.GymApp`; on with ``--lsl`` or ``lsl = true`` in
gym.toml's ``[gym]`` table. The outlets themselves are in
:mod:`gymtui.interop.lsl_outlet` (values in, pushes out); this wires them to
where the app's news arrives:

- raw blocks: a tee around the signal worker's ``submit`` (the event loop,
  where the source hands blocks on);
- frames: the worker's frame callback (its thread), before the UI may
  coalesce them, so the envelope stream has every frame;
- markers: the set flow's engine events, the set summary's reps, the
  rating, the worker's form cues, and the cuff's records.

The marker stream opens at start; the raw and envelope streams when the
sensor has opened, their channels named after the muscles of the set the
home screen offers next (the set names them; every set's ``set_start``
marker lists its own, for a session whose sets name other muscles). So
LabRecorder sees all three before the first set.

Times. Samples keep the sensor's timing (:class:`ClockMap`). A marker of
the set flow (set start and end, a phase, an engine cue) carries the app's
clock read just before the runner acted on it, mapped to LSL time: the
moment the screen and the bell tell the athlete, which is the moment stored
as the phase's ``started_at`` (up to a screen tick after the engine's
boundary). The rating is stamped when it is given. Reps and form cues are stamped
from the signal time the worker gave them; cuff records from the
supervisor's time.

The cuff comes first: its records reach this controller after their command
was queued and logged, on the cuff's thread, and are handed on to the app's
loop from there (one ``call_soon`` on the cuff's loop, so its sender goes
first): no outlet, lock or push ever runs on the cuff's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gymtui.interop.lsl_outlet import (
    ClockMap,
    ClockSync,
    EmgOutlets,
    MarkerOutlet,
    SensorStreams,
    marker,
)
from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl
from gymtui.model import ActivationFrame, ChannelInfo, FormCue, SampleBlock
from gymtui.session.engine import (
    Cue,
    Event,
    PhaseEnded,
    PhaseStarted,
    SetAborted,
    SetCompleted,
    SetFinished,
)
from gymtui.ui.controllers.cuff_taps import hand_to_app_loop

if TYPE_CHECKING:
    from types import ModuleType

    from gymtui.app import GymApp
    from gymtui.bfr.events import CuffEvent
    from gymtui.device_api import EmgSource
    from gymtui.services.set_runner import SetRunner, SetSummaryReady

log = logging.getLogger(__name__)

BlockSink = Callable[[SampleBlock], None]


class LslController:
    """The three outlets of one app run, opened when LSL is asked for and loads."""

    def __init__(self, app: GymApp) -> None:
        self.app = app
        self.prefix = app.config.lsl_name
        """Stream names start with it (``gymtui EMG``, ``gymtui EMG envelope``, ``gymtui markers``)."""
        self.on = False
        self.problem: str | None = None
        """Why LSL is off though it was asked for (the one line the athlete saw)."""
        self.markers: MarkerOutlet | None = None
        self.emg: EmgOutlets | None = None
        self._pylsl: ModuleType | None = None
        self._sync: ClockSync | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._speed = float(getattr(app.clock, "speed", 1.0))
        self._set: dict[str, Any] = {}
        """The running set's marker fields (exercise, load), and its id once the store has it."""
        self._set_id: concurrent.futures.Future[int] | None = None
        self._set_t0_s: float | None = None
        """The app-clock time of the set's first sample: reps and form cues count from it."""
        self._await_set_t0 = False
        self._completed = False
        """The running set's work is done (an abort in its rest leaves it completed)."""
        self._failed = False

    # -- opening and closing --------------------------------------------------------------
    def open(self, wanted: bool) -> None:
        """Open the marker outlet if LSL is wanted; where liblsl cannot load, say why in one line and go on."""
        if not wanted:
            return
        try:
            pylsl = load_pylsl()
            self.markers = MarkerOutlet(pylsl, self.prefix)
        except LslUnavailable as exc:
            self.problem = str(exc)
            self.app.report_problem(self.problem, severity="warning", timeout=12)
            return
        except Exception as exc:
            self.problem = f"LSL is off: the outlets did not open ({exc})"
            log.exception("LSL outlets did not open")
            self.app.report_problem(self.problem, severity="warning", timeout=12)
            return
        self._pylsl = pylsl
        self._sync = ClockSync(pylsl.local_clock, self.app.clock, self._speed)
        self._loop = asyncio.get_running_loop()
        self.on = True
        self.app.notify(f"LSL on: publishing '{self.prefix} markers'; EMG streams open with the first set", timeout=6)

    def close(self) -> None:
        """Stop publishing (outlets go with their last reference)."""
        self.on = False
        self.emg = None
        self.markers = None

    # -- time -------------------------------------------------------------------------
    def clock_map(self) -> ClockMap:
        """LSL's clock and the app's, read together now."""
        assert self._pylsl is not None
        assert self._sync is not None
        return self._sync()

    def _now(self) -> float:
        assert self._pylsl is not None
        return float(self._pylsl.local_clock())

    def now(self) -> float | None:
        """The app's clock now (None while LSL is off): the set flow reads it before the runner acts.

        Only the app's clock: nothing of LSL runs before the runner (and the cuff)
        have had the events; it is mapped to LSL time when the markers go out.
        """
        return self.app.clock() if self.on else None

    def _lsl_time(self, at: float | None) -> float:
        """``at`` on the app's clock as LSL time (None: now)."""
        return self._now() if at is None else self.clock_map()(at)

    # -- raw blocks and frames ---------------------------------------------------------
    def tee(self, submit: BlockSink) -> BlockSink:
        """``submit`` itself when LSL is off; else ``submit`` and then the raw stream."""
        if not self.on:
            return submit

        def on_block(block: SampleBlock) -> None:
            submit(block)
            self.block(block)

        return on_block

    def block(self, block: SampleBlock) -> None:
        if self._await_set_t0:
            # The first block after the set began is the first the worker counts the set from.
            self._set_t0_s, self._await_set_t0 = block.t0_s, False
        emg = self.emg
        if emg is None:
            return
        try:
            emg.push_block(block.samples_uv, block.t0_s, block.rate_hz, self.clock_map())
        except Exception:  # noqa: BLE001 - the stream is extra; the set goes on
            self._fail("raw block")

    def frame(self, frame: ActivationFrame) -> None:
        """A frame from the worker (its thread): the envelope stream, and a new form cue as a marker."""
        emg = self.emg
        if emg is None or not self.on:
            return
        try:
            clock = self.clock_map()
            emg.push_frame(frame.envelope_uv, frame.pct_mvc, frame.t_s, clock)
        except Exception:  # noqa: BLE001 - the stream is extra; the set goes on
            self._fail("frame")

    def form_cue(self, cue: FormCue) -> None:
        """Each form cue the worker fired (its thread), as it is stored: never coalesced like the frames.

        Two cues inside one frame interval are two markers; the frame only
        carries the newest, so the markers come from the set's results.
        """
        if not self.on:
            return
        try:
            clock = self.clock_map()
            t0 = self._set_t0_s
            at = clock(t0 + cue.t_s) if t0 is not None else self._now()
            self._mark(at, "cue", kind=str(cue.kind), muscle=cue.muscle, text=cue.text, rep=cue.rep)
        except Exception:  # noqa: BLE001 - the stream is extra; the set goes on
            self._fail("form cue")

    # -- the set flow ----------------------------------------------------------------
    def set_started(self, runner: SetRunner, channels: tuple[ChannelInfo, ...], at: float | None = None) -> None:
        """After the runner and the cuff have started the set (``at``: the app's clock just before): ``set_start``."""
        if not self.on:
            return
        ctx = runner.context
        self._set = {"exercise": ctx.exercise, "load_kg": ctx.load_kg}
        self._set_id = runner.set_id
        self._set_t0_s, self._await_set_t0, self._completed = None, True, False
        source = self.app.sensor.source
        labels = tuple(c.muscle for c in channels)
        if self.emg is None and source is not None and labels:
            self._open_emg(source.info.name, labels, source.info.rate_hz)  # the sensor opened before LSL did
        self._mark(self._lsl_time(at), "set_start", protocol=runner.protocol.name, muscles=labels or None)

    async def sensor_attached(self, source: EmgSource) -> None:
        """The sensor is open: its streams, named after the muscles of the set offered next."""
        if not self.on or self.emg is not None:
            return
        from gymtui.ui.controllers.set_flow import label_channels

        app = self.app
        home = app.home
        if home is None and app.coach is not None:
            try:
                home = await app.home_info()
            except Exception:
                log.warning("LSL: the plan could not be read; EMG channels keep the sensor's names", exc_info=True)
        planned = home.next_set if home is not None else None
        protocol = planned.protocol if planned is not None else app.quick_protocol
        channels = label_channels(source.info.channels, protocol)
        self._open_emg(source.info.name, tuple(c.muscle for c in channels), source.info.rate_hz)

    def _open_emg(self, source_name: str, labels: tuple[str, ...], rate_hz: float) -> None:
        assert self._pylsl is not None
        try:
            self.emg = EmgOutlets(self._pylsl, SensorStreams(self.prefix, source_name, labels, rate_hz, speed=self._speed))
        except Exception:  # noqa: BLE001 - the markers still go out
            self._fail("EMG outlets")

    def events(self, events: list[Event], at: float | None = None) -> None:
        """The engine's events, after the cuff has followed them; ``at``: the app's clock just before the runner handled them.

        Phase boundaries and the set's end are marked at their due instants (as the phase rows are stored and the
        worker cuts the signal), however late a tick noticed them; cues at the moment they were shown.
        """
        if not self.on or not events:
            return
        now = self._lsl_time(at)
        runner = self.app.runner
        stamped = runner.phase_started_clock_s if runner is not None else {}
        for event in events:
            if isinstance(event, PhaseStarted):
                phase = event.phase
                # Its due instant, as its started_at is stored (a late tick does not move it).
                started = self._lsl_time(stamped[event.index]) if event.index in stamped else now
                self._mark(started, "phase_start", index=event.index, kind=str(phase.kind), name=phase.name,
                           planned_s=phase.duration_s)
            elif isinstance(event, PhaseEnded):
                self._mark(self._lsl_time(event.at_s), "phase_end", index=event.index, kind=str(event.phase.kind),
                           duration_s=event.duration_s, ended_by=str(event.ended_by))
            elif isinstance(event, Cue):
                self._mark(now, "cue", kind=str(event.kind), text=event.text)
            elif isinstance(event, SetCompleted):
                self._completed = True
            elif isinstance(event, SetFinished):
                self._mark(self._lsl_time(event.at_s), "set_end", status="completed")
            elif isinstance(event, SetAborted):
                # Stopped in the rest after its work: the set stays completed (as it is stored).
                self._mark(now, "set_end", status="completed" if self._completed else "aborted")

    def summary(self, notice: SetSummaryReady) -> None:
        """The set's reps, judged by the worker: one marker each, at the rep's start in signal time."""
        if not self.on or self._set_t0_s is None or not notice.reps:
            return
        clock, t0 = self.clock_map(), self._set_t0_s
        for rep in notice.reps:
            start_s, end_s = float(rep["start_s"]), float(rep["end_s"])
            self._mark(clock(t0 + start_s), "rep", number=rep.get("idx"), perfect=bool(rep.get("perfect")),
                       reason=rep.get("reason") or None, duration_s=end_s - start_s,
                       peak_pct_mvc=rep.get("peak_pct_mvc"))

    def rated(self, rating: int) -> None:
        if self.on:
            self._mark(self._now(), "rating", value=rating)

    # -- the cuff ------------------------------------------------------------------------
    def cuff_record(self, record: CuffEvent) -> None:
        """A cuff record, on the cuff's thread after its command was queued and logged: hand it on, never push here."""
        loop = self._loop
        if self.on and loop is not None:
            hand_to_app_loop(loop, self._cuff_marker, record)

    def _cuff_marker(self, record: CuffEvent) -> None:
        if not self.on:
            return
        self._mark(self.clock_map()(record.at_s), "cuff", kind=str(record.kind), target_mmhg=record.target_mmhg,
                   pressure_mmhg=record.pressure_mmhg, reason=record.reason or None, set=self._known_set_id())

    # -- pushing ----------------------------------------------------------------------
    def _known_set_id(self) -> int | None:
        future = self._set_id
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()

    def _mark(self, timestamp: float, kind: str, /, **fields: object) -> None:
        outlet = self.markers
        if outlet is None:
            return
        if kind != "cuff":
            fields = {"set": self._known_set_id(), **self._set, **fields} if kind in ("set_start", "set_end") else {
                "set": self._known_set_id(), **fields}
        try:
            outlet.push(marker(kind, **fields), timestamp)
        except Exception:  # noqa: BLE001 - the stream is extra; the set goes on
            self._fail("marker")

    def _fail(self, what: str) -> None:
        if not self._failed:
            self._failed = True
            log.exception("LSL: pushing a %s failed (further failures are not logged)", what)
