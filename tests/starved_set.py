"""One timed set run by the real engine, runner, signal worker and store on a starved CPU.

Run as a script inside a CPU quota (see :mod:`cpu_quota`): it imports
everything first, then joins the cgroup whose ``cgroup.procs`` it is given,
so only the set itself runs starved. It drives the set as the app does: a
sensor task delivering 10 ms blocks stamped by their sample count from the
sensor's first sample (as the BLE adapter stamps them), a 30/s tick that
calls ``SetRunner.tick`` on the same event loop, and, with ``--hog``, a
thread that keeps the interpreter busy the whole time (a screen that paints
slowly). Prints one JSON object: every engine event with its due instant
and the moment a tick noticed it, the worker's phase cuts and sample counts,
the stored phase rows and how many samples were submitted and stored.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from gymtui.model import ChannelInfo, MuscleRole, PhaseKind, SampleBlock, SourceInfo
from gymtui.services.set_runner import Notice, SetContext, SetRunner, SetSummaryReady
from gymtui.session.clock import ScaledClock
from gymtui.session.engine import (
    Cue,
    Event,
    SetFinished,
)
from gymtui.session.exercises import ExerciseLibrary
from gymtui.session.protocol import PhaseSpec, SetProtocol
from gymtui.signal.worker import SignalWorker, WorkerCallbacks
from gymtui.store import Store, StoreExecutor

TICK_S = 1 / 30
"""The set screen's tick (``gymtui.ui.controllers.set_flow.TICK_S``)."""
BLOCK_S = 0.010
HOLD_S = 15.0
LEAD_IN_S = 3
REST_S = 2.0
PROTOCOL = SetProtocol(
    "Starved hold",
    "Isometric hold",
    (PhaseSpec(PhaseKind.ISOMETRIC, "Hold", HOLD_S), PhaseSpec(PhaseKind.REST, "Rest", REST_S)),
    lead_in_s=LEAD_IN_S,
)


def describe(event: Event) -> str:
    if isinstance(event, Cue):
        return f"cue:{event.kind}:{event.text}"
    return type(event).__name__


def hog(stop: threading.Event) -> None:
    """Pure-Python work without pause: the interpreter and the quota are never idle."""
    while not stop.is_set():
        total = 0
        for i in range(20_000):
            total += i * i


async def run(db: Path, channels: int, rate_hz: float, with_hog: bool) -> dict[str, Any]:
    clock = ScaledClock(1.0)
    info = SourceInfo(
        "starved", tuple(ChannelInfo(f"m{i}", MuscleRole.TARGET if i == 0 else MuscleRole.OTHER) for i in range(channels)), rate_hz
    )
    store = Store(db)
    executor = StoreExecutor(store)
    worker = SignalWorker(info, WorkerCallbacks(on_frame=lambda frame: None))
    summary = threading.Event()
    set_ids: list[int] = []

    def notify(notice: Notice) -> None:
        if isinstance(notice, SetSummaryReady):
            set_ids.append(notice.set_id)
            summary.set()

    runner = SetRunner(
        PROTOCOL,
        SetContext(athlete_id=store.ensure_athlete("A"), exercise=PROTOCOL.exercise, channels=info.channels),
        clock=clock,
        store=executor,
        signal=worker,
        notify=notify,
        library=ExerciseLibrary({}),
    )
    noise = (np.random.default_rng(1).standard_normal((int(rate_hz), channels)) * 30).astype(np.float32)
    block_n = round(BLOCK_S * rate_hz)
    sent = {"samples": 0, "blocks": 0}
    stop = threading.Event()
    worker.start()
    origin_s = clock()

    async def sensor() -> None:
        """Every block the clock says is due, stamped by sample count (a radio buffers while the CPU is away)."""
        while not stop.is_set():
            while origin_s + (sent["samples"] + block_n) / rate_hz <= clock():
                k = sent["samples"] % (noise.shape[0] - block_n)
                worker.submit(SampleBlock(noise[k : k + block_n], origin_s + sent["samples"] / rate_hz, rate_hz, sent["blocks"]))
                sent["samples"] += block_n
                sent["blocks"] += 1
            await asyncio.sleep(BLOCK_S)

    hog_thread = threading.Thread(target=hog, args=(stop,), daemon=True) if with_hog else None
    seen: list[dict[str, Any]] = []
    ticks: list[float] = []

    def record(events: list[Event], noticed_s: float) -> bool:
        for event in events:
            seen.append({"event": describe(event), "at_s": event.at_s, "noticed_s": noticed_s})
        return any(isinstance(e, SetFinished) for e in events)

    sensor_task = asyncio.create_task(sensor())
    await asyncio.sleep(0.5)  # the sensor's first samples are in
    if hog_thread is not None:
        hog_thread.start()
    record(runner.start(), clock())
    next_tick = time.monotonic()
    finished = False
    while not finished:
        next_tick += TICK_S
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
        now = clock()
        ticks.append(now)
        finished = record(runner.tick(), now)
        if next_tick < time.monotonic() - TICK_S:
            next_tick = time.monotonic()  # as Textual's interval does after a stall: no burst of catch-up ticks
    await asyncio.to_thread(summary.wait, 60)
    stop.set()
    sensor_task.cancel()
    worker.stop(10.0)
    await asyncio.to_thread(executor.drain)
    executor.shutdown()
    set_id = set_ids[0]
    row = store.get_set(set_id)
    offset_s = float(row["clock_offset_s"])
    phases = []
    for p in store.phases_of(set_id):
        metrics = json.loads(p["metrics"] or "{}")
        phases.append(
            {
                "kind": p["kind"],
                "duration_s": p["duration_s"],
                "samples": metrics.get("samples"),
                "cut_start_s": metrics.get("start_s"),
                "cut_end_s": metrics.get("end_s"),
                "started_at_s": dt.datetime.fromisoformat(p["started_at"]).timestamp() - offset_s,
                "ended_at_s": dt.datetime.fromisoformat(p["ended_at"]).timestamp() - offset_s if p["ended_at"] else None,
            }
        )
    blocks = list(store.raw_blocks(set_id))
    stored = sum(b.samples_uv.shape[0] for b in blocks)
    span = round((blocks[-1].t0_s + blocks[-1].samples_uv.shape[0] / rate_hz - blocks[0].t0_s) * rate_hz) if blocks else 0
    gaps = np.diff(ticks) if len(ticks) > 1 else np.zeros(1)
    return {
        "events": seen,
        "phases": phases,
        "rate_hz": rate_hz,
        "channels": channels,
        "samples_sent": sent["samples"],
        "samples_stored": stored,
        "samples_spanned": span,
        "lost_stored": sum(b.lost_samples for b in blocks),
        "worker_frames": worker.frames_posted,
        "lost_samples": worker._lost_samples,
        "seq_gaps": worker.seq_gaps,
        "tick_gap_ms_p50": float(np.median(gaps) * 1000),
        "tick_gap_ms_max": float(gaps.max() * 1000),
        "cpu_s": time.process_time(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--cgroup-procs", type=Path, help="join this cgroup (its cgroup.procs) once imported")
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--rate-hz", type=float, default=2000.0)
    parser.add_argument("--hog", action="store_true")
    args = parser.parse_args()
    if args.cgroup_procs is not None:
        args.cgroup_procs.write_text(str(os.getpid()))
    result = asyncio.run(run(args.db, args.channels, args.rate_hz, args.hog))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
