"""The signal worker: one thread that owns all numeric state.

Adapters put :class:`SampleBlock`s on its queue from the event loop (cheap,
never blocking). The thread drains the queue, runs the pipeline once per
batch (≈ one frame of samples, not once per 10 ms notification: per-call
overhead dominates below that), and about 30 times a second hands the newest
:class:`ActivationFrame` to ``on_frame`` — the app wraps that in a message
that may replace an unread one, so a slow screen shows the newest frame
rather than a backlog.

Control commands (start/stop an MVC capture, phase and set boundaries,
recording) travel on the same queue, so they apply between the blocks that
came before and after them. A phase boundary also carries its instant on
the set's clock (the engine's due time, not the moment a screen tick noticed
it): the phase's samples and metrics are cut there. One whose instant the
samples have not reached yet (the sensor's own latency) waits for them, in
order with the commands behind it, for at most :data:`HOLD_FOR_SAMPLES_S`. Their results (an MVC reference,
a phase's statistics, a set's summary, raw signal to store) go to the
:class:`SetResults` that came with the set's ``BeginSet`` (or the worker's
own callbacks) and must never be coalesced: the receiver writes each one to
the store. Nothing outside reassigns the worker's callbacks: they are given
once, at construction, and per set with its command.

No Textual here: the app passes plain callables. Callbacks run on this
thread and must be quick and thread-safe (``App.post_message``,
``StoreExecutor.submit``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gymtui.model import (
    ActivationFrame,
    Biofeedback,
    Calibration,
    NativeCounts,
    SampleBlock,
    SourceInfo,
)
from gymtui.repeats import RepeatGate
from gymtui.signal.live import LiveSignal
from gymtui.signal.messages import (
    ApplyCalibration,
    BeginMvc,
    BeginPhase,
    BeginSet,
    Command,
    EndMvc,
    EndPhase,
    EndSet,
    PhaseStats,
    RawChunk,
    SetResults,
    WorkerCallbacks,
)
from gymtui.signal.pipeline import EmgPipeline, PipelineConfig

__all__ = [
    "ApplyCalibration",
    "BeginMvc",
    "BeginPhase",
    "BeginSet",
    "EndMvc",
    "EndPhase",
    "EndSet",
    "PhaseStats",
    "RawChunk",
    "SetResults",
    "SignalWorker",
    "WorkerCallbacks",
]

log = logging.getLogger(__name__)

FRAME_INTERVAL_S = 1 / 30
FRAME_WAITS_FOR_BLOCK_S = 0.02
"""A frame that falls due between two blocks waits this long for the next one and goes out as soon as it
is in: a bar then shows a sample processed a moment ago, not one a block old. A sensor that sends blocks
every 10 ms (the demo, a Myo) shifts a frame by 5 ms on average and never more than this; the cadence
stays 30 a second (the next frame is due one interval after this one was)."""
RAW_CHUNK_S = 1.0

HOLD_FOR_SAMPLES_S = 0.5
"""Wall seconds a phase boundary waits for the samples up to its instant. A source that stops
(a dropped link) must not hold the set's results: past it the boundary is where the stream is."""

SAME_CLOCK_S = 5.0
"""A boundary instant further than this from the stream's time is on another clock (a source that
stamps its own): it is ignored and the boundary is where the stream is, as without an instant."""


@dataclass
class _Recording:
    """Raw signal of the set being recorded, cut into ~1 s chunks for the store."""

    token: Any
    results: SetResults
    chunks: list[np.ndarray] = field(default_factory=list)
    natives: list[NativeCounts | None] = field(default_factory=list)
    chunk_t0_s: float | None = None
    chunk_lost: int = 0
    chunk_n: int = 0
    seq: int = 0
    phase_samples: int = 0


def _joined(natives: list[NativeCounts | None]) -> NativeCounts | None:
    """One chunk's native counts: the blocks' counts end to end, if all have them with one scale and range."""
    present = [n for n in natives if n is not None]
    if not present or len(present) != len(natives):
        return None
    first = present[0]
    for other in present[1:]:
        if other.count_range != first.count_range or not np.array_equal(other.scale_uv, first.scale_uv):
            return None
    if len(present) == 1:
        return first
    return NativeCounts(np.concatenate([n.counts for n in present]), first.scale_uv, first.count_range)


class SignalWorker:
    """Owns the live signal chain for one source and runs it on its own thread."""

    def __init__(
        self,
        info: SourceInfo,
        callbacks: WorkerCallbacks,
        config: PipelineConfig | None = None,
        *,
        frame_interval_s: float = FRAME_INTERVAL_S,
        wall_clock: Callable[[], float] = time.monotonic,
        rails: tuple[float, float] | None = None,
    ) -> None:
        self.info = info
        self.callbacks = callbacks
        self._default_results = callbacks.set_results()
        self.live = LiveSignal(
            info.rate_hz,
            [c.role for c in info.channels],
            config,
            names=[c.muscle for c in info.channels],
            rails=rails,
        )
        self.frame_interval_s = frame_interval_s
        self._wall = wall_clock
        self._queue: queue.Queue[SampleBlock | Command] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_envelope: tuple[float, ...] = (0.0,) * info.n_channels
        self._last_pct: tuple[float | None, ...] = (None,) * info.n_channels
        self._last_quality: tuple[tuple[str, ...], ...] = ((),) * info.n_channels
        self._last_t_s = 0.0
        self._last_feedback: Biofeedback | None = None
        self._blocks_seen = 0
        self._lost_samples = 0
        self._expected_seq: int | None = None
        self._recording: _Recording | None = None
        self._held: deque[tuple[Command, float]] = deque()
        """Commands waiting for the samples up to a boundary's instant (and those behind them), with their wall deadline."""
        self.frames_posted = 0
        self.seq_gaps = 0
        self._failures = RepeatGate(clock=wall_clock)

    @property
    def pipeline(self) -> EmgPipeline:
        return self.live.pipeline

    # -- caller side (any thread) -------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gymtui-signal", daemon=False)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def submit(self, block: SampleBlock) -> None:
        """Hand over a block; never blocks (the queue is unbounded)."""
        self._queue.put_nowait(block)

    def command(self, command: Command) -> None:
        self._queue.put_nowait(command)

    @property
    def band_note(self) -> str:
        return self.live.pipeline.band.note

    # -- worker thread -------------------------------------------------------------
    def _run(self) -> None:
        next_frame_at = self._wall()
        while not self._stop.is_set():
            # Before a frame is due, wait for it; once due, wait (a little) for the next block, so the
            # frame goes out the moment that block is in rather than showing samples a block old.
            now = self._wall()
            wake_at = next_frame_at if now < next_frame_at else next_frame_at + FRAME_WAITS_FOR_BLOCK_S
            timeout = wake_at - now
            try:
                item = self._queue.get(timeout=timeout if timeout > 0 else 0.001)
            except queue.Empty:
                item = None
            batch: list[SampleBlock | Command] = [] if item is None else [item]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._handle_batch(batch)
            self._release_held()
            now = self._wall()
            fresh = any(isinstance(item, SampleBlock) for item in batch)
            if now >= next_frame_at and (fresh or now >= next_frame_at + FRAME_WAITS_FOR_BLOCK_S):
                self._post_frame()
                # Keep the cadence (no drift from processing time); resync after a stall.
                next_frame_at += self.frame_interval_s
                if next_frame_at < now - self.frame_interval_s:
                    next_frame_at = now + self.frame_interval_s
        self._release_held(force=True)
        self._flush_raw()

    def _handle_batch(self, batch: list[SampleBlock | Command]) -> None:
        """Blocks between two commands are processed in one pipeline call.

        A failure on some blocks is reported and those blocks are dropped;
        it never stops the commands (phase ends, set ends) that follow.
        """
        pending: list[SampleBlock] = []
        for item in batch:
            if isinstance(item, SampleBlock):
                pending.append(item)
                if self._held:  # a boundary waits for these samples: apply it as soon as they are in
                    self._guarded(self._process_blocks, pending)
                    pending = []
                    self._release_held()
                continue
            self._guarded(self._process_blocks, pending)
            pending = []
            self._release_held()
            if self._held or self._waits_for_samples(item):
                self._held.append((item, self._wall() + HOLD_FOR_SAMPLES_S))
            else:
                self._guarded(self._apply, item)
        self._guarded(self._process_blocks, pending)
        self._release_held()

    def _waits_for_samples(self, command: Command) -> bool:
        """A boundary whose instant lies ahead of the samples seen (on the same clock).

        Before the first sample the stream has no time to compare with: the boundary applies at once, as one without an instant.
        """
        at_s = command.at_s if isinstance(command, BeginPhase | EndPhase) else None
        if at_s is None or self._blocks_seen == 0:
            return False
        return self._last_t_s < at_s <= self._last_t_s + SAME_CLOCK_S

    def _release_held(self, *, force: bool = False) -> None:
        """Apply the held commands, in order, whose samples have come (or whose wait is over)."""
        while self._held:
            command, deadline = self._held[0]
            if not force and self._waits_for_samples(command) and self._wall() < deadline:
                return
            self._held.popleft()
            self._guarded(self._apply, command)

    def _boundary_s(self, at_s: float | None) -> float:
        """Where a boundary cuts the stream: its instant when the samples have reached it, else where they are."""
        t_s = self._last_t_s
        if at_s is None or self._blocks_seen == 0 or abs(at_s - t_s) > SAME_CLOCK_S:
            return t_s
        return min(at_s, t_s)

    def _samples_since(self, t_s: float) -> int:
        """Samples already processed after ``t_s`` (a boundary behind the stream)."""
        return max(0, round((self._last_t_s - t_s) * self.info.rate_hz))

    def _guarded(self, fn: Callable[[Any], None], arg: Any) -> None:
        try:
            fn(arg)
        except Exception as exc:  # the worker must outlive a bad block
            # A fault that hits every batch is said once in full, then counted (see gymtui.repeats).
            verdict = self._failures.seen(f"{type(exc).__name__}: {exc}")
            if verdict.first:
                log.exception("signal worker failed")
                self.callbacks.on_error(f"signal processing error: {exc}")
            elif verdict.summary:
                log.error("signal worker failed %d more times: %s: %s", verdict.summary, type(exc).__name__, exc)

    def _process_blocks(self, blocks: list[SampleBlock]) -> None:
        if not blocks:
            return
        lost = 0
        for block in blocks:
            if self._expected_seq is not None and block.seq != self._expected_seq:
                self.seq_gaps += 1
            lost += block.lost_samples
            self._expected_seq = block.seq + 1
        self._lost_samples += lost
        samples = blocks[0].samples_uv if len(blocks) == 1 else np.concatenate([b.samples_uv for b in blocks])
        self._blocks_seen += len(blocks)
        t_end_s = blocks[-1].t0_s + blocks[-1].duration_s
        rec = self._recording
        if rec is not None:
            # Raw signal first: a block the pipeline chokes on is still the athlete's data.
            self._record_raw(rec, blocks, samples, lost)
            rec.phase_samples += samples.shape[0]
        self._last_t_s = t_end_s
        result = self.live.process(samples, t_end_s)
        self._last_envelope, self._last_pct, self._last_quality = result.envelope_uv, result.pct_mvc, result.quality
        self._last_feedback = result.feedback
        if rec is not None:
            for cue in result.new_cues:  # each one stored: never coalesced like the frames
                rec.results.on_cue(rec.token, cue)

    def _record_raw(self, rec: _Recording, blocks: list[SampleBlock], samples: np.ndarray, lost: int) -> None:
        if lost and (rec.chunks or len(blocks) > 1):
            # A gap starts a stored chunk of its own, so the store keeps it where it was
            # (a chunk's lost_samples are just before its t0_s), not up to a second early.
            for block in blocks:
                if block.lost_samples and rec.chunks:
                    self._flush_raw()
                self._record_raw(rec, [block], block.samples_uv, block.lost_samples)
            return
        if rec.chunk_t0_s is None:
            rec.chunk_t0_s = blocks[0].t0_s
        rec.chunks.append(samples.astype(np.float32, copy=False))
        rec.natives.extend(block.native for block in blocks)
        rec.chunk_n += samples.shape[0]
        rec.chunk_lost += lost
        if rec.chunk_n >= RAW_CHUNK_S * self.info.rate_hz:
            self._flush_raw()

    def _flush_raw(self) -> None:
        rec = self._recording
        if rec is None or not rec.chunks:
            return
        data = np.concatenate(rec.chunks) if len(rec.chunks) > 1 else rec.chunks[0]
        chunk = RawChunk(
            rec.token, rec.seq, rec.chunk_t0_s or 0.0, self.info.rate_hz, data, rec.chunk_lost, _joined(rec.natives)
        )
        rec.seq += 1
        rec.chunks, rec.natives, rec.chunk_t0_s, rec.chunk_n, rec.chunk_lost = [], [], None, 0, 0
        rec.results.on_raw(chunk)

    def _apply(self, command: Command) -> None:
        live, t_s = self.live, self._last_t_s
        if isinstance(command, BeginMvc):
            live.pipeline.begin_mvc_capture()
        elif isinstance(command, EndMvc):
            peak = live.pipeline.end_mvc_capture()
            calibration = Calibration(
                tuple(float(v) for v in peak),
                live.pipeline.config.rms_window_s,
                command.source,
                tuple(live.names),
            )
            if np.all(peak > 0):
                live.set_calibration(calibration)
                rec = self._recording
                (rec.results if rec is not None else self._default_results).on_mvc(calibration)
            else:
                self.callbacks.on_error("MVC calibration saw no signal on some channels; check the electrodes")
        elif isinstance(command, ApplyCalibration):
            live.set_calibration(command.calibration)
        elif isinstance(command, BeginSet):
            if command.roles and len(command.roles) == self.info.n_channels:
                live.roles = list(command.roles)
            if command.names and len(command.names) == self.info.n_channels:
                live.names = list(command.names)
            if command.target_pct_mvc is not None:
                live.metrics_config = replace(live.metrics_config, target_line_pct=command.target_pct_mvc)
            live.begin_set(form=command.form)
            self._recording = _Recording(command.token, command.results or self._default_results)
            self._last_feedback = live.feedback()
        elif isinstance(command, BeginPhase):
            if self._recording is not None:
                t_s = self._boundary_s(command.at_s)
                self._recording.phase_samples = self._samples_since(t_s)
                live.begin_phase(command.kind, t_s, command.zone_pct)
                self._last_feedback = live.feedback()
        elif isinstance(command, EndPhase):
            rec = self._recording
            if rec is not None:
                self._flush_raw()
                t_s = self._boundary_s(command.at_s)
                metrics = live.end_phase(t_s) or {}
                stats = PhaseStats(
                    metrics.get("peak_pct_mvc"),
                    metrics.get("mean_pct_mvc"),
                    metrics.get("time_above_target_s"),
                    max(0, rec.phase_samples - self._samples_since(t_s)),
                    metrics,
                )
                rec.results.on_phase(command.meta, stats)
        elif isinstance(command, EndSet):
            rec = self._recording
            if rec is not None:
                self._flush_raw()
                summary, reps = live.finish_set(t_s)
                for cue in live.take_new_cues():  # fired in the set's last samples
                    rec.results.on_cue(rec.token, cue)
                self._recording = None
                self._last_feedback = None
                rec.results.on_set(command.meta, summary, reps)

    def _post_frame(self) -> None:
        frame = ActivationFrame(
            t_s=self._last_t_s,
            envelope_uv=self._last_envelope,
            pct_mvc=self._last_pct,
            quality=self._last_quality,
            blocks_seen=self._blocks_seen,
            lost_samples=self._lost_samples,
            feedback=self._last_feedback,
        )
        self.frames_posted += 1
        self.callbacks.on_frame(frame)
