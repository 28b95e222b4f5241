"""The signal worker: one thread that owns all numeric state.

Adapters put :class:`SampleBlock`s on its queue from the event loop (cheap,
never blocking). The thread drains the queue, runs the pipeline once per
batch (≈ one frame of samples, not once per 10 ms notification: per-call
overhead dominates below that), and about 30 times a second hands the newest
:class:`ActivationFrame` to ``on_frame`` — the app wraps that in a message
that may replace an unread one, so a slow screen shows the newest frame
rather than a backlog.

Control commands (start/stop an MVC capture, phase and set boundaries,
recording) travel on the same queue, so they apply exactly between the
blocks that came before and after them. Their results (an MVC reference,
a phase's statistics, a set's summary, raw signal to store) go to callbacks
that must never be coalesced: the caller writes each one to the store.

No Textual here: the app passes plain callables. Callbacks run on this
thread and must be quick and thread-safe (``App.post_message``,
``StoreExecutor.submit``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gymtui.model import ActivationFrame, Calibration, MuscleRole, SampleBlock, SourceInfo
from gymtui.signal.pipeline import EmgPipeline, PipelineConfig

log = logging.getLogger(__name__)

FRAME_INTERVAL_S = 1 / 30
RAW_CHUNK_S = 1.0


# -- commands (caller → worker) ----------------------------------------------
@dataclass(frozen=True, slots=True)
class BeginMvc:
    pass


@dataclass(frozen=True, slots=True)
class EndMvc:
    source: str


@dataclass(frozen=True, slots=True)
class ApplyCalibration:
    calibration: Calibration | None


@dataclass(frozen=True, slots=True)
class BeginSet:
    token: Any  # the caller's handle for the set (e.g. a future of its row id)
    target_pct_mvc: float | None = None
    roles: tuple[MuscleRole, ...] | None = None  # this set's channel roles, when they differ per exercise


@dataclass(frozen=True, slots=True)
class BeginPhase:
    index: int
    target_pct_mvc: float | None = None


@dataclass(frozen=True, slots=True)
class EndPhase:
    meta: Any  # echoed back with the statistics


@dataclass(frozen=True, slots=True)
class EndSet:
    meta: Any


Command = BeginMvc | EndMvc | ApplyCalibration | BeginSet | BeginPhase | EndPhase | EndSet


# -- results (worker → caller) -------------------------------------------------
@dataclass(frozen=True, slots=True)
class PhaseStats:
    """The target muscle's activation over one phase (None where uncalibrated or no signal)."""

    peak_pct_mvc: float | None
    mean_pct_mvc: float | None
    time_above_target_s: float | None
    samples: int


@dataclass(frozen=True, slots=True)
class RawChunk:
    token: Any
    seq: int
    t0_s: float
    rate_hz: float
    samples_uv: np.ndarray  # float32 (n, channels)
    lost_samples: int


@dataclass
class WorkerCallbacks:
    on_frame: Callable[[ActivationFrame], None]
    on_mvc: Callable[[Calibration], None] = lambda c: None
    on_phase: Callable[[Any, PhaseStats], None] = lambda meta, stats: None
    on_set: Callable[[Any, dict[str, Any]], None] = lambda meta, summary: None
    on_raw: Callable[[RawChunk], None] = lambda chunk: None
    on_error: Callable[[str], None] = lambda message: None


@dataclass
class _Accumulator:
    """Running statistics of the target's %MVC over a phase or a set."""

    peak: float = float("-inf")
    total: float = 0.0
    count: int = 0
    above: int = 0

    def add(self, pct: np.ndarray, target_pct: float | None) -> None:
        if pct.size == 0:
            return
        finite = pct[np.isfinite(pct)]
        if finite.size == 0:
            return
        self.peak = max(self.peak, float(finite.max()))
        self.total += float(finite.sum())
        self.count += int(finite.size)
        if target_pct is not None:
            self.above += int(np.count_nonzero(finite >= target_pct))

    def stats(self, rate_hz: float, target_pct: float | None, samples: int) -> PhaseStats:
        if self.count == 0:
            return PhaseStats(None, None, None, samples)
        return PhaseStats(
            self.peak,
            self.total / self.count,
            self.above / rate_hz if target_pct is not None else None,
            samples,
        )


@dataclass
class _Recording:
    token: Any
    target_pct_mvc: float | None
    chunks: list[np.ndarray] = field(default_factory=list)
    chunk_t0_s: float | None = None
    chunk_lost: int = 0
    chunk_n: int = 0
    seq: int = 0
    set_acc: _Accumulator = field(default_factory=_Accumulator)
    phase_acc: _Accumulator = field(default_factory=_Accumulator)
    phase_target: float | None = None
    phase_samples: int = 0
    phase_times_above: dict[int, float] = field(default_factory=dict)


class SignalWorker:
    """Owns the pipeline for one source and runs it on its own thread."""

    def __init__(
        self,
        info: SourceInfo,
        callbacks: WorkerCallbacks,
        config: PipelineConfig | None = None,
        *,
        frame_interval_s: float = FRAME_INTERVAL_S,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.info = info
        self.callbacks = callbacks
        self.pipeline = EmgPipeline(info.rate_hz, info.n_channels, config)
        self.frame_interval_s = frame_interval_s
        self._wall = wall_clock
        self._queue: queue.Queue[SampleBlock | Command] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._target_index = next(
            (i for i, c in enumerate(info.channels) if c.role is MuscleRole.TARGET), 0
        )
        self._last_envelope = np.zeros(info.n_channels)
        self._last_t_s = 0.0
        self._blocks_seen = 0
        self._lost_samples = 0
        self._expected_seq: int | None = None
        self._recording: _Recording | None = None
        self.frames_posted = 0
        self.seq_gaps = 0

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
        return self.pipeline.band.note

    # -- worker thread -------------------------------------------------------------
    def _run(self) -> None:
        next_frame_at = self._wall()
        while not self._stop.is_set():
            timeout = max(0.0, next_frame_at - self._wall())
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
            now = self._wall()
            if now >= next_frame_at:
                self._post_frame()
                next_frame_at = max(next_frame_at + self.frame_interval_s, now)
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
                continue
            self._guarded(self._process_blocks, pending)
            pending = []
            self._guarded(self._apply, item)
        self._guarded(self._process_blocks, pending)

    def _guarded(self, fn: Callable[[Any], None], arg: Any) -> None:
        try:
            fn(arg)
        except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad block
            log.exception("signal worker failed")
            self.callbacks.on_error(f"signal processing error: {exc}")

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
        out = self.pipeline.process(samples, t_end_s)
        if out.envelope_uv.shape[0]:
            self._last_envelope = out.envelope_uv[-1]
        self._last_t_s = t_end_s
        rec = self._recording
        if rec is not None:
            self._record_raw(rec, blocks, samples, lost)
            pct = self.pipeline.pct_mvc(out.envelope_uv)
            rec.phase_samples += samples.shape[0]
            if pct is not None:
                target_pct = pct[:, self._target_index]
                rec.phase_acc.add(target_pct, rec.phase_target)
                rec.set_acc.add(target_pct, rec.target_pct_mvc)

    def _record_raw(self, rec: _Recording, blocks: list[SampleBlock], samples: np.ndarray, lost: int) -> None:
        if rec.chunk_t0_s is None:
            rec.chunk_t0_s = blocks[0].t0_s
        rec.chunks.append(samples.astype(np.float32, copy=False))
        rec.chunk_n += samples.shape[0]
        rec.chunk_lost += lost
        if rec.chunk_n >= RAW_CHUNK_S * self.info.rate_hz:
            self._flush_raw()

    def _flush_raw(self) -> None:
        rec = self._recording
        if rec is None or not rec.chunks:
            return
        data = np.concatenate(rec.chunks) if len(rec.chunks) > 1 else rec.chunks[0]
        chunk = RawChunk(rec.token, rec.seq, rec.chunk_t0_s or 0.0, self.info.rate_hz, data, rec.chunk_lost)
        rec.seq += 1
        rec.chunks, rec.chunk_t0_s, rec.chunk_n, rec.chunk_lost = [], None, 0, 0
        self.callbacks.on_raw(chunk)

    def _apply(self, command: Command) -> None:
        if isinstance(command, BeginMvc):
            self.pipeline.begin_mvc_capture()
        elif isinstance(command, EndMvc):
            peak = self.pipeline.end_mvc_capture()
            calibration = Calibration(
                tuple(float(v) for v in peak),
                self.pipeline.config.rms_window_s,
                command.source,
                tuple(c.muscle for c in self.info.channels),
            )
            if np.all(peak > 0):
                self.pipeline.set_calibration(calibration)
                self.callbacks.on_mvc(calibration)
            else:
                self.callbacks.on_error("MVC calibration saw no signal on some channels; check the electrodes")
        elif isinstance(command, ApplyCalibration):
            self.pipeline.set_calibration(command.calibration)
        elif isinstance(command, BeginSet):
            if command.roles:
                self._target_index = next(
                    (i for i, role in enumerate(command.roles) if role is MuscleRole.TARGET), 0
                )
            self._recording = _Recording(command.token, command.target_pct_mvc)
        elif isinstance(command, BeginPhase):
            rec = self._recording
            if rec is not None:
                rec.phase_acc = _Accumulator()
                rec.phase_target = command.target_pct_mvc
                rec.phase_samples = 0
        elif isinstance(command, EndPhase):
            rec = self._recording
            if rec is not None:
                self._flush_raw()
                stats = rec.phase_acc.stats(self.info.rate_hz, rec.phase_target, rec.phase_samples)
                self.callbacks.on_phase(command.meta, stats)
                rec.phase_acc = _Accumulator()
        elif isinstance(command, EndSet):
            rec = self._recording
            if rec is not None:
                self._flush_raw()
                s = rec.set_acc
                summary = {
                    "peak_pct_mvc": s.peak if s.count else None,
                    "mean_pct_mvc": s.total / s.count if s.count else None,
                }
                self._recording = None
                self.callbacks.on_set(command.meta, summary)

    def _post_frame(self) -> None:
        envelope = self._last_envelope
        pct = self.pipeline.pct_mvc(envelope)
        frame = ActivationFrame(
            t_s=self._last_t_s,
            envelope_uv=tuple(float(v) for v in envelope),
            pct_mvc=_as_optional_floats(pct, envelope.shape[0]),
            quality=(),
            blocks_seen=self._blocks_seen,
            lost_samples=self._lost_samples,
        )
        self.frames_posted += 1
        self.callbacks.on_frame(frame)


def _as_optional_floats(values: np.ndarray | None, n: int) -> tuple[float | None, ...]:
    if values is None:
        return (None,) * n
    return tuple(float(v) if np.isfinite(v) else None for v in values)
