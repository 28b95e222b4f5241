"""A phase's samples are cut at the engine's due instant, not where the stream was when a tick noticed it.

On a starved machine the screen's tick that notices a boundary can come a
few hundred milliseconds late; the engine stamps the boundary with its due
instant and the worker cuts the samples there. A boundary the samples have
not reached yet (the sensor's own latency) waits for them; one whose
samples never come (a dropped link) is applied where the stream stopped.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from gymtui.model import ChannelInfo, MuscleRole, PhaseKind, SampleBlock, SourceInfo
from gymtui.signal.messages import PhaseStats
from gymtui.signal.worker import (
    HOLD_FOR_SAMPLES_S,
    BeginPhase,
    BeginSet,
    EndPhase,
    EndSet,
    SetResults,
    SignalWorker,
    WorkerCallbacks,
)

RATE_HZ = 1000.0
T0_S = 100.0
LEAD_IN_FROM_S = T0_S - 3.0
BLOCK_N = 10


class Set:
    """A worker with one set's results gathered; blocks are fed on the set's clock, the lead-in's up to ``T0_S``."""

    def __init__(self) -> None:
        self.phases: list[tuple[Any, PhaseStats]] = []
        self.done = threading.Event()
        self.results = SetResults(
            lambda c: None, lambda meta, stats: self.phases.append((meta, stats)), lambda m, s, r: self.done.set(), lambda c: None
        )
        info = SourceInfo("test", (ChannelInfo("m", MuscleRole.TARGET),), RATE_HZ)
        self.worker = SignalWorker(info, WorkerCallbacks(on_frame=lambda f: None))
        self.sent = 0
        self.seq = 0
        self.worker.command(BeginSet("set", results=self.results))
        self.feed_until(T0_S)  # the lead-in's samples: the stream runs before the first phase starts

    def feed_until(self, t_s: float) -> None:
        rng = np.random.default_rng(self.seq)
        while LEAD_IN_FROM_S + self.sent / RATE_HZ < t_s - 1e-9:
            block = rng.standard_normal((BLOCK_N, 1)).astype(np.float32) * 50
            self.worker.submit(SampleBlock(block, LEAD_IN_FROM_S + self.sent / RATE_HZ, RATE_HZ, self.seq))
            self.sent += BLOCK_N
            self.seq += 1

    def run(self) -> list[tuple[Any, PhaseStats]]:
        self.worker.command(EndSet("completed"))
        self.worker.start()
        try:
            assert self.done.wait(10 + HOLD_FOR_SAMPLES_S), "the set's results"
        finally:
            self.worker.stop()
        return self.phases


def spans(phases: list[tuple[Any, PhaseStats]]) -> list[tuple[Any, float, float, int]]:
    return [(meta, stats.metrics["start_s"], stats.metrics["end_s"], stats.samples) for meta, stats in phases]


def test_a_hold_noticed_late_ends_at_its_due_instant_with_its_own_samples() -> None:
    s = Set()
    s.worker.command(BeginPhase(0, PhaseKind.ISOMETRIC, at_s=T0_S))
    s.feed_until(T0_S + 15.2)  # the tick that noticed the 15 s hold's end came 200 ms late
    s.worker.command(EndPhase("hold", at_s=T0_S + 15.0))
    s.worker.command(BeginPhase(1, PhaseKind.REST, at_s=T0_S + 15.0))
    s.feed_until(T0_S + 17.0)
    s.worker.command(EndPhase("rest", at_s=T0_S + 17.0))
    assert spans(s.run()) == [("hold", T0_S, T0_S + 15.0, 15000), ("rest", T0_S + 15.0, T0_S + 17.0, 2000)]


def test_a_boundary_ahead_of_the_samples_waits_for_them() -> None:
    s = Set()
    s.worker.command(BeginPhase(0, PhaseKind.ISOMETRIC, at_s=T0_S))
    s.feed_until(T0_S + 3.0)
    s.worker.command(EndPhase("hold", at_s=T0_S + 3.05))  # the sensor's last 50 ms are still on the way
    s.feed_until(T0_S + 3.5)
    assert spans(s.run()) == [("hold", T0_S, T0_S + 3.05, 3050)]


def test_a_boundary_whose_samples_never_come_ends_where_the_stream_stopped() -> None:
    s = Set()
    s.worker.command(BeginPhase(0, PhaseKind.ISOMETRIC, at_s=T0_S))
    s.feed_until(T0_S + 2.0)
    s.worker.command(EndPhase("hold", at_s=T0_S + 2.5))  # the link dropped at 2.0 s
    assert spans(s.run()) == [("hold", T0_S, T0_S + 2.0, 2000)]


def test_a_boundary_on_another_clock_is_taken_where_the_stream_is() -> None:
    s = Set()
    s.worker.command(BeginPhase(0, PhaseKind.ISOMETRIC, at_s=0.0))  # a source stamping its own clock
    s.feed_until(T0_S + 1.0)
    s.worker.command(EndPhase("hold", at_s=2.0))
    s.feed_until(T0_S + 1.5)
    assert spans(s.run()) == [("hold", T0_S, T0_S + 1.0, 1000)]
