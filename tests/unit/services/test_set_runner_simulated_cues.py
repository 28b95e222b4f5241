"""A simulated lat pulldown run through the real set runner and signal worker: the cues shown are the cues stored.

The ``pulldown-compensation`` scenario (an MVC, reps as the athlete usually
does them with the biceps pulling, then reps focused on the lats) is fed
block by block into a real :class:`SignalWorker`, while a real
:class:`SetRunner` walks the same timeline on a fake clock and writes to a
real SQLite file. The runner looks the lat pulldown's form rules up in the
library; every cue the frames showed must be a ``cues`` row, in order, and
the set's summary and reps must keep the biofeedback columns.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from gymtui.model import (
    ActivationFrame,
    ChannelInfo,
    FormCue,
    PhaseKind,
    SampleBlock,
    SourceInfo,
)
from gymtui.services.set_runner import SetContext, SetRunner
from gymtui.session.protocol import PhaseSpec, SetProtocol
from gymtui.signal.messages import WorkerCallbacks
from gymtui.signal.worker import SignalWorker
from gymtui.sim.scenarios import run_scenario
from gymtui.store import Store, StoreExecutor

RATE_HZ = 1000.0
STEP_S = 0.1
PULLDOWN = SetProtocol(
    "Pulldown: habitual, then focused",
    "Lat pulldown",
    (
        PhaseSpec(PhaseKind.REST, "Settle", 5.0),
        PhaseSpec(PhaseKind.REPS, "Reps as usual", 15.0),
        PhaseSpec(PhaseKind.REST, "Breathe", 8.0),
        PhaseSpec(PhaseKind.REPS, "Reps on the lats", 15.0),
    ),
    lead_in_s=0,
)
HABITUAL_S = (8.0, 23.0)
FOCUSED_S = (31.0, 46.0)
"""Seconds into the set (the 3 s MVC first) of the scenario's two runs of reps."""


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_for(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def reps_of(store: Store, set_id: int) -> list[tuple[int, str | None, float | None]]:
    return store.conn.execute("SELECT perfect, reason, rise_ms FROM reps WHERE set_id = ? ORDER BY idx", (set_id,)).fetchall()


def test_a_simulated_compensating_pulldown_stores_every_cue_it_showed(tmp_path: Path) -> None:
    run = run_scenario("pulldown-compensation", rate_hz=RATE_HZ, seed=3)
    channels = tuple(ChannelInfo(m.name.capitalize(), m.role) for m in run.scenario.muscles)
    source = SourceInfo("simulated", channels, RATE_HZ)
    frames: list[ActivationFrame] = []
    store = Store(tmp_path / "gym.db")
    executor = StoreExecutor(store)
    # A frame after every block (the app's 30/s would skip most of a fast-fed set): each cue is seen in a frame.
    worker = SignalWorker(source, WorkerCallbacks(on_frame=frames.append), frame_interval_s=0.001)
    clock = FakeClock()
    runner = SetRunner(
        PULLDOWN,
        SetContext(athlete_id=store.ensure_athlete("A"), exercise="Lat pulldown", channels=channels,
                   source_name="simulated", count_reps=True),
        clock=clock,
        store=executor,
        signal=worker,
        calibrate=True,  # the scenario's first 3 s are the MVC
    )
    worker.start()
    try:
        runner.start()
        step = int(STEP_S * RATE_HZ)
        samples = run.uv.astype(np.float32)
        for seq, start in enumerate(range(0, samples.shape[0], step)):
            runner.tick()  # phase boundaries reach the worker between the blocks they separate
            worker.submit(SampleBlock(samples[start : start + step], start / RATE_HZ, RATE_HZ, seq))
            wait_for(lambda seen=seq + 1: bool(frames) and frames[-1].blocks_seen >= seen)  # paced: one block per frame
            clock.now += STEP_S
        clock.now += 1.0
        runner.tick()  # the last phase's time is up
        set_id = runner.set_id.result(timeout=30)
        wait_for(lambda: store.get_set(set_id)["status"] == "completed" and store.get_set(set_id)["cue_count"] is not None)
        executor.drain()
    finally:
        worker.stop()
        executor.shutdown()
    shown: list[FormCue] = []
    for frame in frames:
        cue = frame.feedback.cue if frame.feedback is not None else None
        if cue is not None and cue not in shown:
            shown.append(cue)
    rows = store.cues_of(set_id)
    assert shown, "the habitual reps showed no cue"
    # What the frames showed is what was stored, in the order it fired.
    assert [(r["t_s"], r["kind"], r["channel"], r["muscle"], r["rep"], r["text"]) for r in rows] == [
        (c.t_s, str(c.kind), c.channel, c.muscle, c.rep, c.text) for c in shown
    ]
    fired = max(f.feedback.cues_fired for f in frames if f.feedback is not None)
    assert store.get_set(set_id)["cue_count"] == len(rows) == fired
    # Compensation during the habitual reps, from the lat pulldown's library rules; none once the lats do the work.
    assert all(HABITUAL_S[0] <= r["t_s"] <= HABITUAL_S[1] + 1.0 for r in rows), [r["t_s"] for r in rows]
    assert {r["kind"] for r in rows} == {"compensation"}
    assert not [r for r in rows if FOCUSED_S[0] <= r["t_s"]]
    assert {r["text"] for r in rows} <= {
        "Hands as hooks, elbows to the pockets", "Chest up, pull the elbows down, not back",
        "Pull with the lats: elbows down to the pockets",
    }
    reps = reps_of(store, set_id)
    assert reps and all(reason is not None for _, reason, _ in reps)
    assert {reason for perfect, reason, _ in reps if not perfect} and all(r == "" for p, r, _ in reps if p)
