"""Pipeline benchmarks: the signal classes called directly (no worker thread), against their floor and NeuroKit2.

These are *pipeline* figures: the processing code alone, fed frame by frame
on the calling thread. What the app's worker thread adds (its queue, its
frame cadence) is measured by :mod:`gymtui.bench.live`.

All figures on synthetic surface EMG (band-limited noise with bursts) at
2 kHz, delivered the way a BLE sensor does: 10 ms notifications, drained and
processed once per 33 ms frame. Every figure here is CPU time
(``time.process_time``), so other processes on a shared machine do not
inflate it.

Keys added to the report:

- ``pipeline_rtf_8ch_2khz``, ``pipeline_rtf_16ch_2khz``: seconds of signal
  per CPU second through :class:`EmgPipeline` (band-pass + notches + RMS
  envelope + %MVC), per frame.
- ``floor_rtf_16ch_2khz`` and ``floor_ratio_16ch``: the same filters and
  envelope applied once to the whole recording, vectorised, and the
  streaming cost divided by it.
- ``neurokit_speedup``: NeuroKit2 ``emg_clean`` + ``emg_amplitude`` re-run on
  the last 1 s of each channel every frame, cost ÷ the pipeline's per-frame
  cost (None when ``neurokit2`` is not installed: ``pip install gymtui[bench]``).
- ``cue_overhead_pct``: what the live form cues (:class:`CueMonitor`) add
  to the live chain's per-frame cost at 16 ch @ 2 kHz, in percent: the
  chain in a set with everything on against the same chain with the cue
  monitor doing nothing (live reps on in both). The chains process the
  same 2 s slices in one run, in an order that rotates from slice to
  slice; the figure is the median over the slices of (with ÷ without − 1).
  ``coaching_overhead_pct`` is the same against the chain with no coaching
  at all (no cues, no live reps), and ``cue_frame_us_16ch_2khz`` the
  chain's CPU time per frame with everything on.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

RATE_HZ = 2000.0
NOTIFY_N = 20  # 10 ms at 2 kHz
FRAME_N = 66  # 33 ms at 2 kHz


def synthetic_emg(n_channels: int, seconds: float, rate_hz: float = RATE_HZ, seed: int = 0) -> np.ndarray:
    """Float32 µV ``(n, n_channels)``: 20–250 Hz noise, bursts every 2 s, a little 50 Hz hum."""
    from scipy import signal as sps

    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    sos = sps.butter(2, [20.0, 250.0], btype="bandpass", fs=rate_hz, output="sos")
    carrier = sps.sosfilt(sos, rng.standard_normal((n, n_channels)), axis=0)
    t = np.arange(n) / rate_hz
    envelope = 5.0 + 200.0 * ((t % 2.0) < 1.0)[:, None] * rng.uniform(0.3, 1.0, n_channels)
    hum = 4.0 * np.sin(2 * np.pi * 50.0 * t)[:, None]
    return (carrier * envelope + hum + 2048.0).astype(np.float32)


def _notifications(signal: np.ndarray) -> list[np.ndarray]:
    return [signal[i : i + NOTIFY_N] for i in range(0, signal.shape[0] - NOTIFY_N + 1, NOTIFY_N)]


def _stream_cpu_s(process, notes: list[np.ndarray], repeat: int, t0_s: float = 0.0) -> float:
    """CPU seconds to push ``notes`` through ``process`` ``repeat`` times, one call per 33 ms frame
    (the stream's clock starting at ``t0_s``)."""
    pending: list[np.ndarray] = []
    pending_n = 0
    t = t0_s
    start = time.process_time()
    for _ in range(repeat):
        for note in notes:
            pending.append(note)
            pending_n += note.shape[0]
            if pending_n >= FRAME_N:
                frame = np.concatenate(pending) if len(pending) > 1 else pending[0]
                t += frame.shape[0] / RATE_HZ
                process(frame, t)
                pending.clear()
                pending_n = 0
    return time.process_time() - start


def _pipeline_rtf(n_channels: int, seconds: float) -> tuple[float, float]:
    """(real-time factor, CPU seconds per frame) of :class:`EmgPipeline` + %MVC."""
    from gymtui.model import Calibration
    from gymtui.signal.pipeline import EmgPipeline

    signal = synthetic_emg(n_channels, min(seconds, 20.0))
    repeat = max(1, round(seconds / 20.0))
    pipeline = EmgPipeline(RATE_HZ, n_channels)
    pipeline.set_calibration(Calibration((300.0,) * n_channels, 0.1))

    def process(frame: np.ndarray, t: float) -> None:
        out = pipeline.process(frame, t)
        pipeline.pct_mvc(out.envelope_uv[-1])

    notes = _notifications(signal)
    _stream_cpu_s(process, notes[:200], 1)  # warm up
    cpu_s = _stream_cpu_s(process, notes, repeat)
    signal_s = repeat * len(notes) * NOTIFY_N / RATE_HZ
    frames = signal_s / (FRAME_N / RATE_HZ)
    return signal_s / cpu_s, cpu_s / frames


def _live_chain(n_channels: int):
    from gymtui.model import Calibration, MuscleRole
    from gymtui.signal.live import LiveSignal

    roles = [MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST] + [MuscleRole.OTHER] * (n_channels - 3)
    live = LiveSignal(RATE_HZ, roles)
    live.set_calibration(Calibration((300.0,) * n_channels, 0.1))
    return live


CUE_SLICE_FRAMES = 60
"""Frames per timed slice of the cue overhead: 2 s of signal, long enough for process_time to resolve."""


def _cue_rules():
    from gymtui.model import Compensator, FormRules

    return FormRules(compensators=(Compensator("ch2", "hands as hooks"),), correction="lead with the target")


def _coaching_chains(n_channels: int) -> dict[str, Any]:
    """Three copies of the live chain in a set, as ``process`` callables, differing only in the coaching.

    ``cues``: everything on (form cues and live reps), as the worker runs it.
    ``no_cues``: the same with the cue monitor's ``update`` replaced by one
    that does nothing, so the difference is the cue logic alone.
    ``bare``: no coaching at all (no cue monitor, no live rep judge): the
    live chain as it was before biofeedback.
    """
    chains: dict[str, Any] = {}
    for name in ("cues", "no_cues", "bare"):
        live = _live_chain(n_channels)
        live.begin_set(form=_cue_rules(), coach=name != "bare")
        live.begin_phase("reps", 0.0)
        if name == "no_cues":
            live.cues.update = lambda *args, **kwargs: []
        chains[name] = live.process
    return chains


def _cue_overhead(n_channels: int, slices: int) -> tuple[float, float, float]:
    """(cue overhead %, whole coaching overhead %, CPU µs per frame with cues), medians over ``slices``.

    Each slice (2 s of signal) runs through the three chains in turn, the
    order rotating from slice to slice; the ratios are taken per slice, so
    a busy neighbour slows both sides of each ratio alike.
    """
    signal = synthetic_emg(n_channels, 20.0)
    notes = _notifications(signal)
    per_slice = CUE_SLICE_FRAMES * FRAME_N // NOTIFY_N
    chains = _coaching_chains(n_channels)
    names = list(chains)
    for process in chains.values():
        _stream_cpu_s(process, notes[:200], 1)  # warm up
    cue_ratios, coaching_ratios, with_cpu = [], [], []
    for k in range(slices):
        start = (k * per_slice) % max(1, len(notes) - per_slice)
        part = notes[start : start + per_slice]
        t0_s = 1.0 + k * per_slice * NOTIFY_N / RATE_HZ  # each chain's clock runs on from slice to slice
        order = names[k % 3 :] + names[: k % 3]
        cpu = {name: _stream_cpu_s(chains[name], part, 1, t0_s) for name in order}
        if cpu["no_cues"] > 0 and cpu["bare"] > 0:
            cue_ratios.append(cpu["cues"] / cpu["no_cues"] - 1.0)
            coaching_ratios.append(cpu["cues"] / cpu["bare"] - 1.0)
            with_cpu.append(cpu["cues"] / CUE_SLICE_FRAMES)
    return (
        float(np.median(cue_ratios)) * 100.0,
        float(np.median(coaching_ratios)) * 100.0,
        float(np.median(with_cpu)) * 1e6,
    )


def _floor_rtf(n_channels: int, seconds: float) -> float:
    """The same band-pass + notches + RMS envelope + %MVC over the whole signal in one vectorised pass."""
    from scipy import signal as sps

    from gymtui.signal.filters import design_emg_sos

    signal = synthetic_emg(n_channels, seconds)
    sos, _ = design_emg_sos(RATE_HZ)
    w = int(0.1 * RATE_HZ)
    inv_mvc = np.full(n_channels, 100.0 / 300.0)

    channel_major = np.ascontiguousarray(signal.T, dtype=np.float64)
    zi = sps.sosfilt_zi(sos)[:, None, :] * channel_major[None, :, :1]

    def run() -> None:
        # The fastest layout for scipy: channel-major, filtered along the last axis.
        filtered, _ = sps.sosfilt(sos, channel_major, axis=-1, zi=zi)
        csum = np.cumsum(np.square(filtered), axis=-1)
        window = np.empty_like(csum)
        window[:, :w] = csum[:, :w]
        window[:, w:] = csum[:, w:] - csum[:, :-w]
        envelope = np.sqrt(np.maximum(window, 0.0) / w)
        envelope *= inv_mvc[:, None]

    run()
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return seconds / best


def _neurokit_frame_cpu_s(n_channels: int, frames: int) -> float | None:
    """CPU seconds per 33 ms frame of NeuroKit2 clean + amplitude over the last 1 s of every channel."""
    try:
        import neurokit2 as nk
    except ImportError:
        return None
    signal = synthetic_emg(n_channels, 1.0 + frames * FRAME_N / RATE_HZ).astype(np.float64)
    window_n = int(RATE_HZ)

    def frame(end: int) -> None:
        for ch in range(n_channels):
            cleaned = nk.emg_clean(signal[end - window_n : end, ch], sampling_rate=int(RATE_HZ))
            nk.emg_amplitude(cleaned)

    frame(window_n)
    start = time.process_time()
    for k in range(frames):
        frame(window_n + k * FRAME_N)
    return (time.process_time() - start) / frames


def run(report: dict[str, Any], quick: bool) -> None:
    seconds = 20.0 if quick else 120.0
    rtf8, _ = _pipeline_rtf(8, seconds)
    rtf16, frame_cpu_s = _pipeline_rtf(16, seconds)
    floor16 = _floor_rtf(16, 20.0 if quick else 60.0)
    report["pipeline_rtf_8ch_2khz"] = round(rtf8, 1)
    report["pipeline_rtf_16ch_2khz"] = round(rtf16, 1)
    report["pipeline_frame_us_16ch_2khz"] = round(frame_cpu_s * 1e6, 1)
    report["floor_rtf_16ch_2khz"] = round(floor16, 1)
    report["floor_ratio_16ch"] = round(floor16 / rtf16, 2)
    overhead_pct, coaching_pct, cue_frame_us = _cue_overhead(16, 20 if quick else 100)
    report["cue_overhead_pct"] = round(overhead_pct, 2)
    report["coaching_overhead_pct"] = round(coaching_pct, 2)
    report["cue_frame_us_16ch_2khz"] = round(cue_frame_us, 1)
    nk_frame_s = _neurokit_frame_cpu_s(16, 5 if quick else 20)
    report["neurokit_frame_ms_16ch"] = None if nk_frame_s is None else round(nk_frame_s * 1e3, 2)
    report["neurokit_speedup"] = None if nk_frame_s is None else round(nk_frame_s / frame_cpu_s, 1)
    report["signal_bench_notes"] = (
        "pipeline figures [process CPU]: the signal classes called directly, one call per 33 ms frame, "
        "no worker thread or queue (the worker's latency is the live bench's)"
    )
