"""A phase is on disk when it ends, not when the signal worker gets round to its statistics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from gymtui.model import (
    Calibration,
    ChannelInfo,
    MuscleRole,
    PhaseKind,
    SampleBlock,
    SourceInfo,
)
from gymtui.services.set_runner import SetContext, SetRunner
from gymtui.session.protocol import PhaseSpec, SetProtocol
from gymtui.signal.messages import ApplyCalibration, WorkerCallbacks
from gymtui.signal.worker import SignalWorker
from gymtui.store import Store, StoreError, StoreExecutor

RATE_HZ = 1000.0
HOLD = SetProtocol(
    "Two holds",
    "Glute bridge",
    (
        PhaseSpec(PhaseKind.ACTIVATION, "First hold", 2.0, target_pct_mvc=40),
        PhaseSpec(PhaseKind.ISOMETRIC, "Second hold", 2.0, target_pct_mvc=40),
    ),
    lead_in_s=1,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_for(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def burst(seconds: float, rms_uv: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rms_uv * rng.standard_normal((int(seconds * RATE_HZ), 1))).astype(np.float32)


def feed(worker: SignalWorker, samples: np.ndarray, t0_s: float, seq0: int) -> int:
    seq = seq0
    for start in range(0, samples.shape[0], 20):
        worker.submit(SampleBlock(samples[start:start + 20], t0_s + start / RATE_HZ, RATE_HZ, seq))
        seq += 1
    return seq


def test_a_phase_row_is_committed_at_its_end_and_its_emg_joins_it_when_the_worker_delivers(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    executor = StoreExecutor(store)
    athlete = store.ensure_athlete("A")
    source = SourceInfo("test", (ChannelInfo("Gluteus maximus", MuscleRole.TARGET),), RATE_HZ)
    worker = SignalWorker(source, WorkerCallbacks(on_frame=lambda frame: None))  # not started yet: a worker that has fallen behind
    worker.command(ApplyCalibration(Calibration((100.0,), 0.1, "test", ("Gluteus maximus",))))
    clock = FakeClock()
    runner = SetRunner(
        HOLD,
        SetContext(athlete_id=athlete, exercise=HOLD.exercise, channels=source.channels),
        clock=clock,
        store=executor,
        signal=worker,
    )
    try:
        runner.start()
        clock.now += 1.0  # the lead-in
        runner.tick()
        seq = feed(worker, burst(2.0, 60.0, seed=1), 0.0, 0)
        clock.now += 2.0  # the first hold ends
        runner.tick()
        executor.drain()
        set_id = runner.set_id.result()
        [row] = store.phases_of(set_id)
        # Everything the runner knows at the phase's end is on disk before the worker has even run.
        assert (row["idx"], row["kind"], row["name"], row["planned_s"], row["duration_s"], row["ended_by"]) == (
            0, "activation", "First hold", 2.0, 2.0, "time",
        )
        assert row["started_at"] and row["ended_at"] >= row["started_at"]
        assert row["peak_pct_mvc"] is None and row["mean_pct_mvc"] is None

        clock.now += 1.0
        runner.tick()
        feed(worker, burst(2.0, 20.0, seed=2), 2.0, seq)
        clock.now += 2.0  # the second hold ends: the last work phase
        runner.tick()
        executor.drain()
        assert [p["name"] for p in store.phases_of(set_id)] == ["First hold", "Second hold"]

        worker.start()  # the worker catches up; each phase's statistics join its own row
        wait_for(lambda: all(p["mean_pct_mvc"] is not None for p in store.phases_of(set_id)))
        executor.drain()
        first, second = store.phases_of(set_id)
        assert first["mean_pct_mvc"] == pytest.approx(60, rel=0.2)
        assert second["mean_pct_mvc"] == pytest.approx(20, rel=0.2)
        assert first["peak_pct_mvc"] > first["mean_pct_mvc"] > second["peak_pct_mvc"] > second["mean_pct_mvc"]
        assert json.loads(first["metrics"])["samples"] == 2000
        # The rest of the row is what the phase's end wrote.
        assert (first["idx"], first["duration_s"], first["ended_at"]) == (0, 2.0, row["ended_at"])
        wait_for(lambda: store.get_set(set_id)["status"] == "completed")
    finally:
        worker.stop()
        executor.shutdown()
        store.close()


def test_update_phase_stats_fills_one_row_and_refuses_a_phase_that_was_never_written(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    set_id = store.start_set(store.ensure_athlete("A"), "Glute bridge", "p")
    store.record_phase(set_id, 0, "activation", "Hold", planned_s=3, started_at="2026-01-01T10:00:00+00:00",
                       ended_at="2026-01-01T10:00:03+00:00", duration_s=3, ended_by="time")
    store.record_phase(set_id, 1, "rest", "Rest", planned_s=60, started_at="2026-01-01T10:00:03+00:00",
                       duration_s=60, ended_by="athlete")
    store.update_phase_stats(set_id, 0, peak_pct_mvc=70.0, mean_pct_mvc=45.0, metrics={"samples": 3000})
    hold, rest = store.phases_of(set_id)
    assert (hold["peak_pct_mvc"], hold["mean_pct_mvc"], json.loads(hold["metrics"])) == (70.0, 45.0, {"samples": 3000})
    assert (hold["ended_at"], hold["duration_s"], hold["ended_by"]) == ("2026-01-01T10:00:03+00:00", 3, "time")
    assert (rest["peak_pct_mvc"], rest["mean_pct_mvc"]) == (None, None)
    with pytest.raises(StoreError, match="phase 5"):
        store.update_phase_stats(set_id, 5, peak_pct_mvc=1.0, mean_pct_mvc=1.0, metrics={})
    store.close()
