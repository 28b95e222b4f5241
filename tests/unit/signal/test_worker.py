"""The signal worker thread on known signals."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from gymtui.model import (
    ActivationFrame,
    Calibration,
    ChannelInfo,
    MuscleRole,
    PhaseKind,
    SampleBlock,
    SourceInfo,
)
from gymtui.signal.worker import (
    ApplyCalibration,
    BeginMvc,
    BeginPhase,
    BeginSet,
    EndMvc,
    EndPhase,
    EndSet,
    SetResults,
    SignalWorker,
    WorkerCallbacks,
)

RATE_HZ = 1000.0


def burst_signal(seconds: float, burst: tuple[float, float], burst_rms_uv: float, noise_rms_uv: float, seed: int = 0) -> np.ndarray:
    """White noise with a band-limited burst: (n, 1) float32 µV."""
    from scipy import signal as sps

    rng = np.random.default_rng(seed)
    n = int(seconds * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    sos = sps.butter(4, [30, 200], btype="bandpass", fs=RATE_HZ, output="sos")
    emg = sps.sosfilt(sos, rng.standard_normal(n))
    emg *= burst_rms_uv / emg.std()
    on = (t >= burst[0]) & (t < burst[1])
    x = noise_rms_uv * rng.standard_normal(n) + np.where(on, emg, 0.0)
    return x.astype(np.float32)[:, None]


def info(n_channels: int = 1) -> SourceInfo:
    roles = [MuscleRole.TARGET] + [MuscleRole.SYNERGIST] * (n_channels - 1)
    return SourceInfo("test", tuple(ChannelInfo(f"m{i}", r) for i, r in enumerate(roles)), RATE_HZ)


def feed(worker: SignalWorker, samples: np.ndarray, block_n: int = 10, t0_s: float = 0.0, seq0: int = 0) -> int:
    seq = seq0
    for start in range(0, samples.shape[0], block_n):
        worker.submit(SampleBlock(samples[start:start + block_n], t0_s + start / RATE_HZ, RATE_HZ, seq))
        seq += 1
    return seq


class Collector:
    def __init__(self) -> None:
        self.frames: list[ActivationFrame] = []
        self.events: list[tuple[str, object]] = []
        self.done = threading.Event()

    def callbacks(self) -> WorkerCallbacks:
        return WorkerCallbacks(
            on_frame=self.frames.append,
            on_mvc=lambda c: self.events.append(("mvc", c)),
            on_phase=lambda meta, stats: self.events.append(("phase", (meta, stats))),
            on_set=lambda meta, summary, reps: (self.events.append(("set", (meta, summary))), self.done.set()),
            on_raw=lambda chunk: self.events.append(("raw", chunk)),
            on_error=lambda text: self.events.append(("error", text)),
        )

    def set_results(self) -> SetResults:
        callbacks = self.callbacks()
        return SetResults(callbacks.on_mvc, callbacks.on_phase, callbacks.on_set, callbacks.on_raw)


def wait_for(predicate, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.005)


def test_envelope_rises_within_the_rms_delay_and_falls_after_a_2s_burst() -> None:
    """Feed the whole recording, then read the envelope the pipeline computed sample by sample."""
    from gymtui.signal.pipeline import EmgPipeline

    x = burst_signal(6.0, (2.0, 4.0), burst_rms_uv=200.0, noise_rms_uv=5.0)
    pipe = EmgPipeline(RATE_HZ, 1)
    env = np.concatenate([pipe.process(x[i:i + 10]).envelope_uv for i in range(0, len(x), 10)])[:, 0]
    t = np.arange(len(env)) / RATE_HZ
    half = 0.5 * np.median(env[(t > 2.5) & (t < 3.5)])
    rise_s = t[np.argmax((t >= 2.0) & (env > half))]
    fall_s = t[np.argmax((t >= 4.0) & (env < half))]
    delay_s = pipe.group_delay_s  # ≈ 50 ms for a 100 ms window
    assert 2.0 < rise_s < 2.0 + 2 * delay_s + 0.02
    assert 4.0 < fall_s < 4.0 + 2 * delay_s + 0.02
    assert env[(t > 0.5) & (t < 1.9)].max() < 0.1 * half * 2  # quiet before the burst
    assert env[(t > 4.3)].max() < 0.1 * half * 2  # and after it


def test_pct_mvc_is_envelope_over_the_stored_reference() -> None:
    collector = Collector()
    worker = SignalWorker(info(), collector.callbacks())
    worker.start()
    try:
        x = burst_signal(3.0, (0.0, 3.0), burst_rms_uv=100.0, noise_rms_uv=0.0, seed=3)
        worker.command(ApplyCalibration(Calibration((200.0,), 0.1, "test", ("m0",))))
        feed(worker, x)
        wait_for(lambda: collector.frames and collector.frames[-1].blocks_seen == 300)
        frame = collector.frames[-1]
        assert frame.pct_mvc[0] == pytest.approx(100.0 * frame.envelope_uv[0] / 200.0)
        assert frame.pct_mvc[0] == pytest.approx(50.0, rel=0.25)  # 100 µV RMS of a 200 µV reference
    finally:
        worker.stop()


def test_mvc_capture_stores_the_peak_envelope_and_calibrates() -> None:
    collector = Collector()
    worker = SignalWorker(info(), collector.callbacks())
    worker.start()
    try:
        worker.command(BeginMvc())
        feed(worker, burst_signal(3.0, (0.5, 2.5), burst_rms_uv=300.0, noise_rms_uv=2.0))
        worker.command(EndMvc("test"))
        wait_for(lambda: any(kind == "mvc" for kind, _ in collector.events))
        calibration = next(c for kind, c in collector.events if kind == "mvc")
        # The reference is the peak of a 100 ms RMS: a little above the burst's true 300 µV RMS.
        assert 300.0 <= calibration.mvc_uv[0] <= 1.4 * 300.0
        assert worker.pipeline.calibrated
    finally:
        worker.stop()


def test_phase_and_set_statistics_split_exactly_at_the_commands() -> None:
    collector = Collector()
    worker = SignalWorker(info(), collector.callbacks())
    worker.start()
    try:
        worker.command(ApplyCalibration(Calibration((100.0,), 0.1, "test", ("m0",))))
        worker.command(BeginSet("set-token", 40.0))
        worker.command(BeginPhase(0, PhaseKind.ISOMETRIC, 40.0))
        seq = feed(worker, burst_signal(2.0, (0, 2.0), 10.0, 0.5, seed=1))  # quiet phase ≈ 10 %MVC
        worker.command(EndPhase("quiet"))
        worker.command(BeginPhase(1, PhaseKind.ISOMETRIC, 40.0))
        feed(worker, burst_signal(2.0, (0, 2.0), 60.0, 0.5, seed=2), t0_s=2.0, seq0=seq)  # hard ≈ 60 %MVC
        worker.command(EndPhase("hard"))
        worker.command(EndSet("completed"))
        assert collector.done.wait(5.0)
        phases = [payload for kind, payload in collector.events if kind == "phase"]
        (quiet_meta, quiet), (hard_meta, hard) = phases
        assert (quiet_meta, hard_meta) == ("quiet", "hard")
        assert quiet.mean_pct_mvc < 15 and hard.mean_pct_mvc > 45
        assert quiet.time_above_target_s == pytest.approx(0.0, abs=0.05)
        assert hard.time_above_target_s > 1.5
        assert quiet.samples == hard.samples == 2000
        raw = [payload for kind, payload in collector.events if kind == "raw"]
        assert sum(chunk.samples_uv.shape[0] for chunk in raw) == 4000
        assert all(chunk.token == "set-token" for chunk in raw)
        _, (status, summary) = next(e for e in collector.events if e[0] == "set")
        assert status == "completed" and summary["peak_pct_mvc"] >= hard.peak_pct_mvc
    finally:
        worker.stop()


def test_frames_come_about_30_per_second_however_the_blocks_arrive() -> None:
    collector = Collector()
    worker = SignalWorker(info(4), collector.callbacks())
    worker.start()
    try:
        x = np.zeros((20_000, 4), dtype=np.float32)
        started = time.monotonic()
        feed(worker, x, block_n=10)  # 2000 notifications at once
        wait_for(lambda: collector.frames and collector.frames[-1].blocks_seen == 2000, 30)
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
    # About 30 frames a second, not one per block (2000).
    assert len(collector.frames) <= 30 * elapsed + 5


def test_a_bad_block_is_reported_and_the_set_still_ends() -> None:
    collector = Collector()
    worker = SignalWorker(info(1), collector.callbacks())
    worker.start()
    try:
        worker.command(BeginSet("t"))
        worker.submit(SampleBlock(np.zeros((10, 3), dtype=np.float32), 0.0, RATE_HZ, 0))  # wrong channel count
        worker.command(EndSet("completed"))
        assert collector.done.wait(5.0)
        assert any(kind == "error" for kind, _ in collector.events)
    finally:
        worker.stop()


def test_sequence_jumps_are_counted_as_gaps() -> None:
    collector = Collector()
    worker = SignalWorker(info(1), collector.callbacks())
    worker.start()
    try:
        for seq in (0, 1, 2, 5, 6):
            worker.submit(SampleBlock(np.zeros((10, 1), dtype=np.float32), seq * 0.01, RATE_HZ, seq,
                                      lost_samples=30 if seq == 5 else 0))
        wait_for(lambda: collector.frames and collector.frames[-1].blocks_seen == 5)
    finally:
        worker.stop()
    assert worker.seq_gaps == 1
    assert collector.frames[-1].lost_samples == 30


def test_each_sets_results_go_to_the_results_it_began_with() -> None:
    """Two sets queued back to back: the first set's raw signal, phase and summary reach its own
    results, never the next set's, though the second set began before the worker got to them."""
    first, second, default = Collector(), Collector(), Collector()
    worker = SignalWorker(info(1), default.callbacks())
    worker.command(BeginSet("first", results=first.set_results()))
    worker.command(BeginPhase(0, PhaseKind.ISOMETRIC))
    seq = feed(worker, burst_signal(1.0, (0, 1.0), 10.0, 0.5, seed=4))
    worker.command(EndPhase("first phase"))
    worker.command(EndSet("completed"))
    worker.command(BeginSet("second", results=second.set_results()))
    feed(worker, burst_signal(1.0, (0, 1.0), 10.0, 0.5, seed=5), t0_s=1.0, seq0=seq)
    worker.command(EndSet("aborted"))
    worker.start()  # everything above is already queued: the worker sees the commands in order
    try:
        assert first.done.wait(5.0) and second.done.wait(5.0)
    finally:
        worker.stop()
    assert [kind for kind, _ in first.events if kind != "raw"] == ["phase", "set"]
    assert first.events[-1][1][0] == "completed"
    assert {chunk.token for kind, chunk in first.events if kind == "raw"} == {"first"}
    assert sum(chunk.samples_uv.shape[0] for kind, chunk in first.events if kind == "raw") == 1000
    assert [kind for kind, _ in second.events if kind != "raw"] == ["set"]
    assert second.events[-1][1][0] == "aborted"
    assert {chunk.token for kind, chunk in second.events if kind == "raw"} == {"second"}
    assert [kind for kind, _ in default.events if kind != "error"] == []


def test_a_compensation_cue_reaches_the_frames_and_the_set_results() -> None:
    """Biceps out-firing the lat: the cue goes to ``on_cue`` with the set's token, rides in every
    frame's feedback, and the set summary counts it; the stored reps are the ones the frames showed."""
    from gymtui.model import Compensator, FormCueKind, FormRules

    collector = Collector()
    cues: list[tuple[object, object]] = []
    base = collector.set_results()
    results = SetResults(base.on_mvc, base.on_phase, base.on_set, base.on_raw, on_cue=lambda token, cue: cues.append((token, cue)))
    source = SourceInfo(
        "test",
        (ChannelInfo("Latissimus dorsi", MuscleRole.TARGET), ChannelInfo("Biceps brachii", MuscleRole.SYNERGIST)),
        RATE_HZ,
    )
    worker = SignalWorker(source, collector.callbacks())
    form = FormRules(compensators=(Compensator("BICEPS BRACHII", "Hands as hooks, elbows to the pockets"),))
    worker.start()
    try:
        worker.command(ApplyCalibration(Calibration((100.0, 100.0), 0.1, "test", ("Latissimus dorsi", "Biceps brachii"))))
        worker.command(BeginSet("set-7", results=results, form=form))
        worker.command(BeginPhase(0, PhaseKind.REPS))
        lat = burst_signal(4.0, (1.0, 3.0), burst_rms_uv=40.0, noise_rms_uv=1.0, seed=1)
        biceps = burst_signal(4.0, (1.0, 3.0), burst_rms_uv=70.0, noise_rms_uv=1.0, seed=2)
        feed(worker, np.hstack([lat, biceps]))
        wait_for(lambda: collector.frames and collector.frames[-1].blocks_seen == 400)
        shown = collector.frames[-1].feedback
        worker.command(EndPhase("p"))
        worker.command(EndSet("s"))
        wait_for(collector.done.is_set)
    finally:
        worker.stop()
    assert [(token, cue.kind, cue.muscle, cue.text) for token, cue in cues] == [
        ("set-7", FormCueKind.COMPENSATION, "Biceps brachii", "Hands as hooks, elbows to the pockets")
    ]
    cue = cues[0][1]
    # The burst starts at 1.0 s; the envelope needs ~50 ms, then the 0.3 s dwell.
    assert 1.25 <= cue.t_s <= 1.6 and cue.rep == 1
    assert shown is not None and shown.cues_fired == 1 and shown.marked in ((), (1,))
    assert [f.feedback for f in collector.frames if f.feedback is not None and f.feedback.cue == cue]
    summary = next(s for kind, s in collector.events if kind == "set")[1]
    assert summary["cue_count"] == 1 and summary["time_in_zone_s"] is None
    assert [v.reason for v in shown.reps] == ["target not prime mover"]
