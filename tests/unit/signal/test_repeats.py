"""A failure that repeats on every batch is said once in full, then counted, in the log and on screen."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from test_worker import Collector, info
from waiting import wait_until

from gymtui.model import SampleBlock
from gymtui.repeats import RepeatGate
from gymtui.signal.worker import SignalWorker


class SteppedClock:
    def __init__(self) -> None:
        self.t_s = 1000.0

    def __call__(self) -> float:
        return self.t_s


def test_the_first_of_each_failure_is_reported_then_repeats_are_counted_once_a_minute() -> None:
    clock = SteppedClock()
    gate = RepeatGate(every_s=60.0, clock=clock)
    assert gate.seen("ValueError: bad shape").first
    assert [gate.seen("ValueError: bad shape").report for _ in range(29)] == [False] * 29
    assert gate.seen("KeyError: 'eccentric'").first  # another failure is news of its own
    clock.t_s += 60.0
    verdict = gate.seen("ValueError: bad shape")
    assert (verdict.first, verdict.summary) == (False, 30)  # 29 held back plus this one
    assert not gate.seen("ValueError: bad shape").report
    clock.t_s += 61.0
    assert gate.seen("ValueError: bad shape").summary == 2  # the one held back, and this one


def test_a_failure_whose_message_keeps_changing_holds_a_bounded_memory() -> None:
    gate = RepeatGate(clock=SteppedClock(), max_keys=8)
    for i in range(1000):
        assert gate.seen(f"ValueError: sample {i}").first
    assert len(gate._last_report_s) == 8


def test_a_worker_failing_on_every_batch_logs_one_traceback_and_tells_the_screen_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    offset_s = [0.0]
    collector = Collector()
    worker = SignalWorker(info(1), collector.callbacks(), wall_clock=lambda: time.monotonic() + offset_s[0])
    worker.start()
    try:
        with caplog.at_level(logging.ERROR, logger="gymtui.signal.worker"):
            bad = np.zeros((10, 2), dtype=np.float32)  # one channel too many: the filters raise
            for seq in range(40):
                worker.submit(SampleBlock(bad, seq / 100, 1000.0, seq))
                wait_until(lambda: worker._queue.empty(), 5, "the worker to take the block")
            wait_until(lambda: len(worker._failures._unreported) == 1 and sum(worker._failures._unreported.values()) >= 39,
                       5, "the worker to meet all forty bad blocks")
            offset_s[0] += 61.0  # a minute later, it still fails
            worker.submit(SampleBlock(bad, 1.0, 1000.0, 40))
            wait_until(lambda: any("more times" in r.getMessage() for r in caplog.records), 5, "the summary line")
    finally:
        worker.stop()
    failures = [r for r in caplog.records if r.name == "gymtui.signal.worker"]
    assert failures[0].getMessage() == "signal worker failed"
    assert failures[0].exc_info is not None  # the first one in full
    assert len(failures) == 2, [r.getMessage() for r in failures]
    assert failures[1].getMessage().startswith("signal worker failed 40 more times: ValueError")
    assert failures[1].exc_info is None
    errors = [text for kind, text in collector.events if kind == "error"]
    assert len(errors) == 1 and errors[0].startswith("signal processing error:")
