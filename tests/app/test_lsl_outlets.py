"""A demo set with ``--lsl``, received by a real pylsl inlet as LabRecorder would receive it.

The real app (demo sensor, signal worker, set runner, store) publishes its
three streams; the test resolves them by their unique names on loopback
(tests/conftest.py's LSL config) and pulls on threads of its own while the set
runs. Then it checks what it received against what the database holds:

- raw EMG: the stored signal of the set appears, sample for sample, in the
  stream, at the LSL times its sensor timing maps to, and the stream holds as
  many samples over the set as the store (within one block);
- the envelope stream: every frame the screen showed is there, at its time,
  with its values (NaN %MVC where the frame had none);
- the markers, in order: set start, the stored phases in order, the stored
  reps, the rating, set end; each phase start within 20 ms of its stored
  ``started_at``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import sqlite3
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from keys import press
from textual.pilot import Pilot
from waiting import Deadline, pilot_wait_until

import gymtui
from gymtui.app import AppConfig, GymApp
from gymtui.interop.lsl_outlet import (
    PAIRS_KEPT,
    ClockMap,
    ClockSync,
    envelope_labels,
    parse_marker,
)
from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl
from gymtui.model import ActivationFrame
from gymtui.sim.athlete import LAT_PULLDOWN_COMPENSATOR
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen

SPEED = 4.0
"""The demo clock's factor: 4 s of EMG per wall second, which two busy cores render without drops."""

PHASE_TOLERANCE_S = 0.020


def lsl() -> ModuleType:
    try:
        return load_pylsl()
    except LslUnavailable as exc:
        pytest.skip(str(exc))


@dataclass
class Pulled:
    """What one inlet received: values and LSL timestamps, in arrival order."""

    values: list[Any] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


class Receiver:
    """An inlet on a thread of its own, pulling until told to stop (each pull has a timeout)."""

    def __init__(self, pylsl: ModuleType, name: str) -> None:
        found = pylsl.resolve_byprop("name", name, 1, 15.0)
        assert found, f"no LSL stream named {name!r} within 15 s"
        self.inlet = pylsl.StreamInlet(found[0], max_buflen=360)
        self.inlet.open_stream(10.0)
        self.info = self.inlet.info(10.0)
        self.pulled = Pulled()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"inlet-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            values, times = self.inlet.pull_chunk(timeout=0.2)
            if times:
                self.pulled.values.extend(values)
                self.pulled.times.extend(times)

    def stop(self) -> Pulled:
        self._stop.set()
        self._thread.join(5.0)
        assert not self._thread.is_alive(), "the inlet's thread did not stop"
        self.inlet.close_stream()
        return self.pulled


def channel_labels(info: Any) -> list[str]:
    labels = []
    ch = info.desc().child("channels").child("channel")
    while not ch.empty():
        labels.append(ch.child_value("label"))
        ch = ch.next_sibling()
    return labels


def wall_minus_lsl(pylsl: ModuleType) -> float:
    """Unix time minus LSL's clock, the median of a few readings taken together."""
    return statistics.median(time.time() - pylsl.local_clock() for _ in range(9))


def db_rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


async def run_set_with_inlets(pilot: Pilot[int], pylsl: ModuleType, name: str) -> tuple[dict[str, Pulled], dict[str, Any], list[ActivationFrame], ClockMap]:
    """Open the three inlets before the set, run the set to its rating and its end, stop pulling."""
    import asyncio

    app = pilot.app
    assert isinstance(app, GymApp)
    await pilot_wait_until(
        pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor.ready.is_set() and app.lsl.emg is not None,
        60, "the home screen with the demo sensor open and its LSL streams published",
    )
    names = {"raw": f"{name} EMG", "envelope": f"{name} EMG envelope", "markers": f"{name} markers"}
    receivers = {key: await asyncio.to_thread(Receiver, pylsl, stream) for key, stream in names.items()}
    infos = {key: r.info for key, r in receivers.items()}
    frames: list[ActivationFrame] = []
    try:
        await press(pilot, "enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 30, "the set screen")
        deadline = Deadline(240, "the set to end with its rating screen")
        while not isinstance(app.screen, RatingScreen):
            deadline.check(lambda: app.screen)
            frame = app.sensor.last_frame
            if frame is not None and (not frames or frames[-1] is not frame):
                frames.append(frame)
            await pilot.pause(0.05)
        await pilot_wait_until(pilot, lambda: app.sets.summaries, 30, "the set's summary")
        await press(pilot, "7")

        markers = receivers["markers"].pulled

        def set_ended() -> bool:
            return any(text[0].startswith("set_end") for text in markers.values)

        deadline = Deadline(240, "the set_end marker (the rest after the set over)")
        while not set_ended():
            deadline.check(lambda: receivers["markers"].pulled.values[-3:])
            runner = app.runner
            if runner is not None and runner.engine.can_advance and isinstance(app.screen, SetScreen):
                await press(pilot, "space")  # a skippable rest: skip it
            await pilot.pause(0.1)
        sync = ClockSync(pylsl.local_clock, app.clock, SPEED)
        clock = [sync() for _ in range(PAIRS_KEPT)][-1]  # the tightest of many readings of the clock pair
        # Each stream has its own connection: the signal may still be on its way when the marker is in.
        end_at = next(t for v, t in zip(markers.values, markers.times, strict=True) if v[0].startswith("set_end"))
        for key in ("raw", "envelope"):
            stream = receivers[key].pulled
            await pilot_wait_until(pilot, lambda s=stream: s.times and s.times[-1] >= end_at, 60,
                                   f"the {key} stream up to the set_end marker")
    finally:
        pulled = {key: await asyncio.to_thread(r.stop) for key, r in receivers.items()}
    return pulled, infos, frames, clock


async def test_a_demo_set_with_lsl_reaches_an_inlet_as_stored(tmp_path: Path) -> None:
    pylsl = lsl()
    name = f"gymtui-test-{tmp_path.name}-{uuid.uuid4().hex[:8]}"
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", lsl=True, lsl_name=name))
    async with app.run_test(size=(100, 32)) as pilot:
        pulled, infos, frames, clock = await run_set_with_inlets(pilot, pylsl, name)
        await app.shutdown()
    offset = wall_minus_lsl(pylsl)

    (set_row,) = db_rows(db, "SELECT * FROM sets")
    set_id = set_row["id"]
    muscles = [c["muscle"] for c in json.loads(set_row["channels"])]

    # -- raw: the stored signal, sample for sample, at its sensor timing -------------------------
    raw_info = infos["raw"]
    assert raw_info.type() == "EMG" and raw_info.channel_format() == pylsl.cf_float32
    assert raw_info.nominal_srate() == pytest.approx(1000.0 * SPEED)
    assert channel_labels(raw_info) == muscles
    assert raw_info.desc().child("channels").child("channel").child_value("unit") == "microvolts"
    assert raw_info.desc().child("acquisition").child_value("model") == "Demo EMG (simulated)"
    assert raw_info.desc().child("gymtui").child_value("version") == gymtui.__version__
    with contextlib.closing(Store(db)) as store:
        blocks = list(store.raw_blocks(set_id))
        stored, rate_hz = store.signal_of(set_id)
    assert blocks and stored.shape[0] > 1000
    values = np.asarray(pulled["raw"].values, dtype=np.float32)
    times = np.asarray(pulled["raw"].times)
    steps = np.diff(times)
    assert np.all(steps > 0), f"raw samples out of time order: {steps[steps <= 0][:5]} at {np.flatnonzero(steps <= 0)[:5]}"
    # The set's first stored sample in the stream: found by its values, at the time its block says.
    starts = np.flatnonzero(np.all(values == stored[0], axis=1))
    assert len(starts) == 1, f"the set's first stored sample appears {len(starts)} times in the stream"
    i0 = int(starts[0])
    assert times[i0] == pytest.approx(clock(blocks[0].t0_s), abs=1e-4)
    ends = [int(i) for i in np.flatnonzero(np.all(values == stored[-1], axis=1)) if i >= i0]
    assert ends, "the set's last stored sample is in the stream"
    in_set = ends[0] - i0 + 1
    assert abs(in_set - stored.shape[0]) <= 10, (in_set, stored.shape[0])  # one demo block is 10 samples
    assert np.array_equal(values[i0:i0 + stored.shape[0]], stored), "the stream's samples are the stored ones"
    # Sample times step by one period, or by whole periods where the sensor lost samples: gaps stay gaps.
    steps = np.diff(times[i0:ends[0] + 1]) * rate_hz * SPEED
    assert np.allclose(steps, np.round(steps), atol=0.1) and steps.min() > 0.9, steps[np.abs(steps - np.round(steps)) > 0.1]
    gaps = int(np.sum(np.round(steps) - 1))
    lost = [b.lost_samples for b in blocks]
    assert sum(lost) - lost[0] <= gaps <= sum(lost), (gaps, lost)

    # -- the envelope stream: every frame the screen showed, at its time -------------------------
    env_info = infos["envelope"]
    assert env_info.type() == "EMG-Envelope" and channel_labels(env_info) == list(envelope_labels(muscles))
    env = np.asarray(pulled["envelope"].values, dtype=np.float64)
    env_times = np.asarray(pulled["envelope"].times)
    n = len(muscles)
    matched = 0
    for frame in frames:
        k = int(np.argmin(np.abs(env_times - clock(frame.t_s))))
        assert env_times[k] == pytest.approx(clock(frame.t_s), abs=1e-4), "a frame the screen showed is in the stream"
        assert env[k, :n] == pytest.approx(np.asarray(frame.envelope_uv, dtype=np.float32), rel=1e-6)
        for got, want in zip(env[k, n:], frame.pct_mvc, strict=True):
            assert (np.isnan(got) and want is None) or got == pytest.approx(np.float32(want), rel=1e-6)
        matched += 1
    assert matched > 20
    assert any(p is None for f in frames for p in f.pct_mvc), "the set began without an MVC (NaN %MVC)"

    # -- the markers, in order, at the stored times --------------------------------------------
    markers = [(t, *parse_marker(v[0])) for v, t in zip(pulled["markers"].values, pulled["markers"].times, strict=True)]
    kinds = [kind for _, kind, _ in markers if kind in ("set_start", "phase_start", "rep", "rating", "set_end")]
    phases = db_rows(db, "SELECT idx, kind, name, started_at FROM phases WHERE set_id = ? ORDER BY idx", set_id)
    reps = db_rows(db, "SELECT idx, perfect, start_s FROM reps WHERE set_id = ? ORDER BY idx", set_id)
    assert kinds == ["set_start"] + ["phase_start"] * len(phases) + ["rep"] * len(reps) + ["rating", "set_end"], kinds
    start = next(fields for _, kind, fields in markers if kind == "set_start")
    assert start["exercise"] == set_row["exercise"] and start["muscles"] == ",".join(muscles)
    if set_row["load_kg"] is not None:
        assert float(start["load_kg"]) == pytest.approx(set_row["load_kg"])
    phase_marks = [(t, fields) for t, kind, fields in markers if kind == "phase_start"]
    assert [(int(f["index"]), f["kind"], f["name"]) for _, f in phase_marks] == [(p["idx"], p["kind"], p["name"]) for p in phases]
    for (t, fields), phase in zip(phase_marks, phases, strict=True):
        stored_lsl = dt.datetime.fromisoformat(phase["started_at"]).timestamp() - offset
        assert abs(t - stored_lsl) <= PHASE_TOLERANCE_S, (fields, t - stored_lsl)
    assert reps, "the demo athlete did reps"
    rep_marks = [(t, fields) for t, kind, fields in markers if kind == "rep"]
    assert [(int(f["number"]), f["perfect"] == "true") for _, f in rep_marks] == [(r["idx"], bool(r["perfect"])) for r in reps]
    for (t, _), rep in zip(rep_marks, reps, strict=True):
        # A rep's times count from the set's first sample: its marker sits at that sample's time plus start_s.
        assert t == pytest.approx(clock(blocks[0].t0_s + rep["start_s"]), abs=1e-3)
    rating = next(fields for _, kind, fields in markers if kind == "rating")
    assert int(rating["value"]) == set_row["activation_rating"] == 7
    end = next(fields for _, kind, fields in markers if kind == "set_end")
    assert end["status"] == set_row["status"] == "completed" and int(end["set"]) == set_id
    flow = [(t, kind) for t, kind, _ in markers if kind not in ("rep", "cue")]
    assert all(t1 <= t2 for (t1, _), (t2, _) in itertools.pairwise(flow)), "the set flow's markers in time order"


async def test_lsl_true_in_gym_toml_publishes_without_the_flag(tmp_path: Path, private_home: Path) -> None:
    """gym.toml's ``lsl = true`` is ``--lsl`` at every start: the marker stream is there before any set."""
    import asyncio

    pylsl = lsl()
    config = private_home / "config" / "gymtui"
    config.mkdir(parents=True, exist_ok=True)
    (config / "gym.toml").write_text("[gym]\nlsl = true\n")
    name = f"gymtui-test-{tmp_path.name}-{uuid.uuid4().hex[:8]}"
    app = GymApp(Store(tmp_path / "gym.db"), AppConfig(athlete="Demo athlete", lsl_name=name))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 30, "the home screen")
        assert app.coach is not None and app.coach.gym.lsl is True and app.config.lsl is False
        found = await asyncio.to_thread(pylsl.resolve_byprop, "name", f"{name} markers", 1, 15.0)
        assert [info.type() for info in found] == ["Markers"]
        await app.shutdown()


@pytest.mark.timeout(300)  # a BFR set in real time (the cuff's fault timers are wall seconds)
async def test_cuff_records_become_markers_pushed_off_the_cuffs_thread(tmp_path: Path) -> None:
    """Every cuff record the log stored is a ``cuff`` marker, in order, at its time, pushed from the app's thread."""
    import asyncio

    from gymtui.bfr.rules import validate_settings
    from gymtui.interop.lsl_outlet import MarkerOutlet
    from gymtui.session.engine import Stage

    pylsl = lsl()
    name = f"gymtui-test-{tmp_path.name}-{uuid.uuid4().hex[:8]}"
    db = tmp_path / "gym.db"
    config = AppConfig(demo=True, athlete="Demo athlete", cuff=validate_settings("arm", 180, 50), lop_given=True,
                       lsl=True, lsl_name=name)
    app = GymApp(Store(db), config)
    pushed_from: list[tuple[str, str]] = []
    original_push = MarkerOutlet.push

    def push(self: MarkerOutlet, text: str, timestamp: float) -> None:
        pushed_from.append((text.split("|")[0], threading.current_thread().name))
        original_push(self, text, timestamp)

    def in_reps() -> bool:
        engine = app.runner.engine if app.runner else None
        return bool(engine and engine.stage is Stage.PHASE and engine.current_phase and engine.current_phase.kind == "reps")

    MarkerOutlet.push = push  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 45)) as pilot:
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None
                                   and app.lsl.on, 30, "the home screen with the cuff connected and LSL on")
            receiver = await asyncio.to_thread(Receiver, pylsl, f"{name} markers")
            try:
                await press(pilot, "B")  # the quick BFR set
                await pilot_wait_until(pilot, in_reps, 60, "the first bout of reps")
                await pilot_wait_until(pilot, lambda: app.cuff_rig is not None and app.cuff_rig.view().state == "holding",
                                       15, "the cuff holding its target")
                await press(pilot, "escape")
                await pilot_wait_until(
                    pilot, lambda: any(v[0].startswith("cuff|kind=deflate") for v in receiver.pulled.values), 15,
                    "the deflate marker",
                )
                app_thread = threading.current_thread().name
                await app.shutdown()
            finally:
                pulled = await asyncio.to_thread(receiver.stop)
    finally:
        MarkerOutlet.push = original_push  # type: ignore[method-assign]
    offset = wall_minus_lsl(pylsl)
    stored = db_rows(db, "SELECT at, kind, target_mmhg, reason FROM cuff_events ORDER BY id")
    marks = [(t, parse_marker(v[0])[1]) for v, t in zip(pulled.values, pulled.times, strict=True) if v[0].startswith("cuff|")]
    # The records of the cuff's connection came before the inlet did; from the first it heard on, all of them.
    first = next(i for i, row in enumerate(stored) if (row["kind"], row["reason"]) == (marks[0][1]["kind"], marks[0][1]["reason"]))
    stored = stored[first:]
    assert [(m["kind"], m["reason"]) for _, m in marks] == [(row["kind"], row["reason"]) for row in stored]
    assert {"inflate", "hold", "deflate"} <= {row["kind"] for row in stored}
    for (t, m), row in zip(marks, stored, strict=True):
        if row["target_mmhg"] is not None:
            assert float(m["target_mmhg"]) == pytest.approx(row["target_mmhg"], abs=1e-3)
        stored_lsl = dt.datetime.fromisoformat(row["at"]).timestamp() - offset
        assert abs(t - stored_lsl) <= 0.050, (m, t - stored_lsl)
    assert {thread for kind, thread in pushed_from if kind == "cuff"} == {app_thread}, pushed_from
    ends = [parse_marker(v[0])[1]["status"] for v in pulled.values if v[0].startswith("set_end|")]
    assert ends == [row["status"] for row in db_rows(db, "SELECT status FROM sets")] == ["aborted"]


async def test_every_form_cue_stored_is_a_marker_at_its_signal_time(tmp_path: Path) -> None:
    """A compensating athlete's set: the cue markers are the ``cues`` table, row for row, in order.

    The frames carry only the newest cue, so a marker per cue must come from the
    worker's own list of the cues it fired: each stored row has its marker, with
    its kind, muscle and words, at the set's first sample plus the cue's ``t_s``.
    Here the worker posts a frame only every 1.5 s (a screen that falls behind):
    cues that come and go between two frames are markers all the same.
    """
    pylsl = lsl()
    name = f"gymtui-test-{tmp_path.name}-{uuid.uuid4().hex[:8]}"
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", lsl=True, lsl_name=name,
                                      demo_athlete=LAT_PULLDOWN_COMPENSATOR))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot_wait_until(pilot, lambda: app.sensor.signal is not None, 60, "the demo sensor's worker")
        app.sensor.signal.frame_interval_s = 1.5
        pulled, _infos, _frames, clock = await run_set_with_inlets(pilot, pylsl, name)
        await app.shutdown()

    (set_row,) = db_rows(db, "SELECT id FROM sets")
    stored = db_rows(db, "SELECT t_s, kind, muscle, text, rep FROM cues WHERE set_id = ? ORDER BY id", set_row["id"])
    assert len(stored) >= 3, f"the compensating athlete drew {len(stored)} form cues"
    with contextlib.closing(Store(db)) as store:
        first_block = next(store.raw_blocks(set_row["id"]))
    markers = [(t, *parse_marker(v[0])) for v, t in zip(pulled["markers"].values, pulled["markers"].times, strict=True)]
    form_kinds = {"compensation", "co_contraction"}
    cue_marks = [(t, fields) for t, kind, fields in markers if kind == "cue" and fields.get("kind") in form_kinds]
    assert [(f["kind"], f["muscle"], f["text"], int(f["rep"])) for _, f in cue_marks] == [
        (row["kind"], row["muscle"], row["text"].replace("|", "/"), row["rep"]) for row in stored]
    for (t, _), row in zip(cue_marks, stored, strict=True):
        assert t == pytest.approx(clock(first_block.t0_s + row["t_s"]), abs=1e-3)
