"""The outlets' values: marker text, the clock map, and blocks stamped from the sensor's timing.

The pushes go through real liblsl outlets to a real inlet on loopback
(tests/conftest.py's config), resolved by a unique name.
"""

from __future__ import annotations

import math
import time
import uuid
from types import ModuleType

import numpy as np
import pytest

from gymtui.interop.lsl_outlet import (
    ClockMap,
    ClockSync,
    EmgOutlets,
    MarkerOutlet,
    SensorStreams,
    marker,
    parse_marker,
)
from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl


def lsl() -> ModuleType:
    try:
        return load_pylsl()
    except LslUnavailable as exc:
        pytest.skip(str(exc))


def test_a_marker_is_one_line_of_fields_that_split_back() -> None:
    text = marker("set_start", set=3, exercise="Back squat | pause\nrep\x1b[31m", load_kg=102.5, rir=None,
                  perfect=True, muscles=("Vastus lateralis", "Glute, max"), pct=math.nan)
    assert "\n" not in text and "\x1b" not in text
    kind, fields = parse_marker(text)
    assert kind == "set_start"
    assert fields == {
        "set": "3",
        "exercise": "Back squat / pause rep [31m",
        "load_kg": "102.5",
        "perfect": "true",
        "muscles": "Vastus lateralis,Glute; max",
        "pct": "nan",
    }


def test_the_clock_map_turns_demo_seconds_into_wall_seconds() -> None:
    clock = ClockMap(local_now=1000.0, app_now=500.0, speed=4.0)
    assert clock(500.0) == 1000.0
    assert clock(496.0) == pytest.approx(999.0)  # 4 s of a 4x demo took 1 s of wall time
    times = clock.times(496.0, 3, 1000.0)
    assert times == pytest.approx([999.0, 999.00025, 999.0005])


def test_each_block_maps_with_the_tightest_recent_bracket_of_the_clocks() -> None:
    # LSL's clock read before and after the app's: the 2nd reading was not interrupted, the 3rd was.
    readings = iter([10.0, 10.5, 20.0, 20.001, 30.0, 30.2])
    apps = iter([5.0, 15.0, 25.0])
    sync = ClockSync(lambda: next(readings), lambda: next(apps), speed=2.0)
    first, second, third = sync(), sync(), sync()
    assert (first.local_now, first.app_now) == (10.25, 5.0)
    assert (second.local_now, second.app_now) == (pytest.approx(20.0005), 15.0)
    assert (third.local_now, third.app_now) == (second.local_now, second.app_now)
    assert third(25.0) == pytest.approx(25.0005), "10 s of a 2x clock later: 5 s of LSL time later"


def pull_until(inlet: object, n: int, timeout_s: float = 10.0) -> tuple[list[list[float]], list[float]]:
    values: list[list[float]] = []
    times: list[float] = []
    deadline = time.monotonic() + timeout_s
    while len(times) < n:
        assert time.monotonic() < deadline, f"{len(times)} of {n} samples within {timeout_s} s"
        chunk, stamps = inlet.pull_chunk(timeout=0.2)  # type: ignore[attr-defined]
        values += chunk
        times += stamps
    return values, times


def test_blocks_keep_the_sensor_timing_and_their_gaps() -> None:
    pylsl = lsl()
    name = f"gymtui-unit-{uuid.uuid4().hex}"
    outlets = EmgOutlets(pylsl, SensorStreams(name, "Myo armband", ("Biceps", "Triceps"), 200.0))
    (info,) = pylsl.resolve_byprop("name", f"{name} EMG", 1, 10.0)
    assert info.nominal_srate() == 200.0 and info.channel_count() == 2 and info.source_id().endswith("2ch-200hz")
    inlet = pylsl.StreamInlet(info)
    inlet.open_stream(10.0)
    clock = ClockMap(local_now=pylsl.local_clock(), app_now=50.0)
    first = np.arange(20, dtype=np.float32).reshape(10, 2)
    second = first + 100
    outlets.push_block(first, 49.0, 200.0, clock)
    outlets.push_block(second, 49.1, 200.0, clock)  # 10 samples lost between them (a 50 ms gap)
    values, times = pull_until(inlet, 20)
    assert np.array_equal(np.asarray(values, dtype=np.float32), np.concatenate([first, second]))
    assert times[0] == pytest.approx(clock(49.0), abs=1e-9)
    steps = np.diff(times)
    assert steps[:9] == pytest.approx([0.005] * 9) and steps[10:] == pytest.approx([0.005] * 9)
    assert steps[9] == pytest.approx(0.055), "the gap stays a gap"


def test_markers_carry_their_own_times() -> None:
    pylsl = lsl()
    name = f"gymtui-unit-{uuid.uuid4().hex}"
    outlet = MarkerOutlet(pylsl, name)
    (info,) = pylsl.resolve_byprop("name", f"{name} markers", 1, 10.0)
    assert info.type() == "Markers" and info.nominal_srate() == pylsl.IRREGULAR_RATE
    inlet = pylsl.StreamInlet(info)
    inlet.open_stream(10.0)
    at = pylsl.local_clock() - 2.0
    outlet.push("rating|value=8", at)
    values, times = pull_until(inlet, 1)
    assert values == [["rating|value=8"]] and times[0] == pytest.approx(at, abs=1e-9)
