"""The live chain as the app runs it: the real :class:`SignalWorker`, fed in real time.

Keys added to the report (clock in brackets):

- ``latency_p50_ms``, ``latency_p99_ms`` [wall]: a producer thread submits
  10 ms :class:`SampleBlock`s of 16 ch @ 2 kHz to the app's own
  ``SignalWorker`` (its thread, its queue, its 30 Hz frame cadence) at the
  pace a BLE sensor delivers them; each frame handed to ``on_frame`` is
  matched with the block that brought its newest sample, and the latency is
  from that block's ``submit`` to the frame callback: how fresh the newest
  sample on screen is. ``latency_frames`` frames counted (those that brought
  a new block).
- ``live_chain_rtf_16ch_2khz`` [process CPU]: seconds of signal per CPU second
  through :class:`LiveSignal` (the worker's chain: pipeline + quality flags,
  onset detector, set metrics), one call per 33 ms frame.
- ``worker_lost_samples`` [count]: samples the worker counted as lost over the
  latency run (0: nothing submitted was lost).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from gymtui.bench.signal import (
    NOTIFY_N,
    RATE_HZ,
    _live_chain,
    _notifications,
    _stream_cpu_s,
    synthetic_emg,
)


def worker_latency_ms(n_channels: int, seconds: float) -> tuple[float, float, int, int]:
    """(p50, p99, frames, lost samples) of block submit → frame callback through the real worker."""
    from gymtui.model import (
        Calibration,
        ChannelInfo,
        MuscleRole,
        PhaseKind,
        SampleBlock,
        SourceInfo,
    )
    from gymtui.signal.messages import (
        ApplyCalibration,
        BeginPhase,
        BeginSet,
        SetResults,
        WorkerCallbacks,
    )
    from gymtui.signal.worker import SignalWorker

    signal = synthetic_emg(n_channels, seconds)
    notes = _notifications(signal)
    roles = [MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST] + [MuscleRole.OTHER] * (n_channels - 3)
    info = SourceInfo("bench", tuple(ChannelInfo(f"ch{i}", role) for i, role in enumerate(roles)), RATE_HZ)
    submitted_at: dict[int, float] = {}  # block index → perf_counter at submit
    latencies: list[float] = []
    last_t = [-1.0]
    lost = [0]
    block_s = NOTIFY_N / RATE_HZ

    def on_frame(frame: Any) -> None:
        now = time.perf_counter()
        lost[0] = frame.lost_samples
        if frame.t_s <= last_t[0]:
            return  # no new block since the last frame
        last_t[0] = frame.t_s
        index = round(frame.t_s / block_s) - 1  # the block whose end is the frame's newest sample
        at = submitted_at.get(index)
        if at is not None:
            latencies.append(now - at)

    worker = SignalWorker(info, WorkerCallbacks(on_frame=on_frame))
    worker.start()
    try:
        results = SetResults(lambda c: None, lambda meta, stats: None, lambda meta, s, r: None, lambda chunk: None)
        worker.command(ApplyCalibration(Calibration((300.0,) * n_channels, 0.1)))
        worker.command(BeginSet("bench", results=results))  # recording raw chunks, as in a set
        worker.command(BeginPhase(0, PhaseKind.ISOMETRIC))
        next_at = time.perf_counter()
        for k, note in enumerate(notes):
            next_at += block_s
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            block = SampleBlock(np.ascontiguousarray(note), k * block_s, RATE_HZ, k)
            submitted_at[k] = time.perf_counter()
            worker.submit(block)
        time.sleep(0.1)
    finally:
        worker.stop()
    ms = np.asarray(latencies[10:]) * 1000.0  # skip the start-up frames
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), int(ms.size), lost[0]


def live_chain_rtf(n_channels: int, seconds: float) -> float:
    signal = synthetic_emg(n_channels, min(seconds, 20.0))
    repeat = max(1, round(seconds / 20.0))
    live = _live_chain(n_channels)
    live.begin_set()
    live.begin_phase("isometric", 0.0)
    notes = _notifications(signal)
    _stream_cpu_s(live.process, notes[:200], 1)
    cpu_s = _stream_cpu_s(live.process, notes, repeat)
    return repeat * len(notes) * NOTIFY_N / RATE_HZ / cpu_s


def run(report: dict[str, Any], quick: bool) -> None:
    report["live_chain_rtf_16ch_2khz"] = round(live_chain_rtf(16, 20.0 if quick else 120.0), 1)
    p50, p99, frames, lost = worker_latency_ms(16, 5.0 if quick else 20.0)
    report["latency_p50_ms"] = round(p50, 3)
    report["latency_p99_ms"] = round(p99, 3)
    report["latency_frames"] = frames
    report["worker_lost_samples"] = lost
    report["live_bench_notes"] = (
        "latency [wall]: 10 ms blocks of 16 ch @ 2 kHz submitted in real time to the app's SignalWorker, "
        "submit of the block carrying a frame's newest sample -> on_frame; live chain [process CPU]: LiveSignal per 33 ms frame"
    )
