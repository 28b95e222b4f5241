"""A gap in the raw signal is stored where it happened: it starts a stored chunk of its own.

A stored chunk's ``lost_samples`` are the samples missing just before its
``t0_s``. Chunks gather about a second of blocks, so a gap inside one would
be placed up to a second early (and the samples after it stamped too soon)
unless the gap starts a new chunk.
"""

from __future__ import annotations

import threading

import numpy as np

from gymtui.model import ChannelInfo, MuscleRole, SampleBlock, SourceInfo
from gymtui.signal.messages import RawChunk
from gymtui.signal.worker import (
    BeginSet,
    EndSet,
    SetResults,
    SignalWorker,
    WorkerCallbacks,
)

RATE_HZ = 1000.0


def test_a_gap_starts_its_own_stored_chunk_with_its_true_time() -> None:
    raw: list[RawChunk] = []
    done = threading.Event()
    results = SetResults(lambda c: None, lambda m, s: None, lambda m, s, r: done.set(), raw.append)
    worker = SignalWorker(SourceInfo("test", (ChannelInfo("m", MuscleRole.TARGET),), RATE_HZ),
                          WorkerCallbacks(on_frame=lambda f: None))
    values = np.arange(1000, dtype=np.float32)[:, None]
    # 30 blocks of 10 samples, then 70 samples never arrived, then 40 more blocks — queued
    # before the worker starts, so they reach it in one batch with the gap in the middle.
    worker.command(BeginSet("set", results=results))
    k = 0
    for seq in range(70):
        lost = 70 if seq == 30 else 0
        k += lost
        worker.submit(SampleBlock(values[k:k + 10], 5.0 + k / RATE_HZ, RATE_HZ, seq, lost))
        k += 10
    worker.command(EndSet("completed"))
    worker.start()
    try:
        assert done.wait(10), "the set's results"
    finally:
        worker.stop()
    assert [(c.t0_s, c.lost_samples, len(c.samples_uv)) for c in raw] == [(5.0, 0, 300), (5.37, 70, 400)]
    np.testing.assert_array_equal(np.concatenate([c.samples_uv for c in raw])[:, 0],
                                  np.r_[np.arange(300), np.arange(370, 770)].astype(np.float32))
