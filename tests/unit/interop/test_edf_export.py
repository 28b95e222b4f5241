"""The EDF+/BDF+ and CSV writers on their own: record durations for awkward rates, the gap timeline, big and tiny sets.

Every file is read back by pyedflib (a reader that shares no code with edfio).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from gymtui.interop.edf_export import edf_labels, record_duration, write_edf
from gymtui.interop.raw_csv import write_csv
from gymtui.interop.raw_signal import (
    Gap,
    RawBlock,
    RawEvent,
    RawExportError,
    RawRecording,
    continuous,
    native_range,
    timeline,
)

WALL = 1_772_442_000.5  # 2026-03-02T09:00:00.5Z


def read_back(path: Path) -> tuple[list[np.ndarray], list[float], list[tuple[float, float]], pyedflib.EdfReader]:
    reader = pyedflib.EdfReader(str(path))
    n = reader.signals_in_file
    signals = [reader.readSignal(i) for i in range(n)]
    rates = [reader.getSampleFrequency(i) for i in range(n)]
    ranges = [(reader.getPhysicalMinimum(i), reader.getPhysicalMaximum(i)) for i in range(n)]
    return signals, rates, ranges, reader


@pytest.mark.parametrize(
    ("rate", "seconds", "per_record"),
    [(200.0, 1, 200), (1000.0, 1, 1000), (2000.0, 1, 2000), (1000 / 3, 3, 1000), (1925.925925925926, 27, 52000), (0.5, 2, 1)],
)
def test_record_duration_holds_a_whole_number_of_samples(rate: float, seconds: int, per_record: int) -> None:
    assert record_duration(rate) == (seconds, per_record)


@pytest.mark.parametrize(
    ("rate", "bytes_per_instant", "seconds", "per_record"),
    [(2000.0, 32, 0.5, 1000), (2000.0, 48, 0.5, 1000), (1000.0, 32, 1.0, 1000), (4000.0, 96, 0.125, 500), (1000 / 3, 96, 3.0, 1000)],
)
def test_records_stay_under_edfs_recommended_size(rate: float, bytes_per_instant: int, seconds: float, per_record: int) -> None:
    assert record_duration(rate, bytes_per_instant) == (seconds, per_record)


def test_a_rate_with_no_whole_record_is_refused_with_one_line() -> None:
    with pytest.raises(RawExportError, match=r"^a sample rate of 1000.0001 Hz has no whole number .* export it as CSV$"):
        record_duration(1000.0001)


def test_gaps_come_from_the_clock_or_the_count_never_both() -> None:
    ones = np.ones((10, 1), np.float32)
    by_clock = [RawBlock(0.0, 0, ones), RawBlock(0.015, 5, ones)]  # the clock jumps over the 5 lost
    assert timeline(by_clock, 1000.0) == ([0, 15], [Gap(10, 5)], 25)
    by_count = [RawBlock(0.0, 3, ones), RawBlock(0.010, 4, ones), RawBlock(0.024, 0, ones)]  # lost inside the 2nd chunk
    assert timeline(by_count, 1000.0) == ([0, 14, 24], [Gap(10, 4)], 34)
    stepped_back = [RawBlock(0.0, 0, ones), RawBlock(0.005, 0, ones)]  # host clock stepped back: just follow
    assert timeline(stepped_back, 1000.0) == ([0, 10], [], 20)


def test_a_gap_is_a_flat_line_at_the_last_value() -> None:
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    rec = RawRecording(100.0, ("a", "b"), "µV", (RawBlock(0.0, 0, a), RawBlock(0.05, 3, a + 10)))
    data, gaps = continuous(rec, 8)
    assert gaps == [Gap(2, 3)]
    assert data[:, 0].tolist() == [0, 2, 2, 2, 2, 10, 12, 12]


def test_labels_are_ascii_short_and_unique() -> None:
    assert edf_labels(("Bíceps brachii (caput longum)", "Bíceps brachii (caput longum)", "", "肱二头肌")) == [
        "Biceps brachii (",
        "Biceps brachii 2",
        "ch 3",
        "????",
    ]


@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_sixteen_channels_at_2_khz_round_trip(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(7)
    samples = rng.normal(0, 400, (5000, 16)).astype(np.float32)
    labels = tuple(f"muscle {i + 1}" for i in range(16))
    rec = RawRecording(2000.0, labels, "µV", (RawBlock(WALL, 0, samples),), events=(RawEvent(WALL + 1.25, 0.5, "phase 1 work: Hold"),))
    path = tmp_path / f"big.{fmt}"
    done = write_edf(rec, path, fmt)  # type: ignore[arg-type]
    assert done == {"record_s": 0.5, "records": 5, "samples": 5000, "gaps": 0, "padding": 0}  # 1 s would be 64 kB (EDF) / 96 kB
    assert path.read_bytes()[244:252] == b"0.5     "
    signals, rates, ranges, reader = read_back(path)
    try:
        assert reader.getSignalLabels() == list(labels)
        onsets, durations, texts = reader.readAnnotations()
    finally:
        reader.close()
    assert rates == [2000.0] * 16
    bits = 16 if fmt == "edf" else 24
    for ch in range(16):
        resolution = (ranges[ch][1] - ranges[ch][0]) / (2**bits - 1)
        np.testing.assert_allclose(signals[ch][:5000], samples[:, ch], rtol=0, atol=resolution)
    assert list(zip(onsets.round(6), durations.round(6), texts, strict=True)) == [(1.25, 0.5, "phase 1 work: Hold")]


def test_a_one_sample_set_is_a_whole_record(tmp_path: Path) -> None:
    rec = RawRecording(1000.0, ("biceps",), "mV", (RawBlock(WALL, 0, np.array([[0.25]], np.float32)),))
    path = tmp_path / "one.edf"
    assert write_edf(rec, path)["padding"] == 999
    signals, _, ranges, reader = read_back(path)
    try:
        assert reader.getPhysicalDimension(0) == "mV"
    finally:
        reader.close()
    assert ranges[0][0] < 0.25 < ranges[0][1]  # a flat signal still gets a range around it
    assert signals[0][0] == pytest.approx(0.25, abs=(ranges[0][1] - ranges[0][0]) / 65535)
    text = io.StringIO()
    assert write_csv(rec, text) == 1
    assert text.getvalue().splitlines()[-1] == "1772442000.500000,0.250"


def test_myo_at_200_hz_keeps_its_rate_and_the_sensor_range(tmp_path: Path) -> None:
    samples = np.array([[-128.0], [127.0], [3.0]] * 100, np.float32)
    rec = RawRecording(200.0, ("pod 1",), "a.u.", (RawBlock(WALL, 0, samples),), physical_range=((-128.0, 127.0),))
    path = tmp_path / "myo.bdf"
    assert write_edf(rec, path, "bdf")["record_s"] == 1
    signals, rates, ranges, reader = read_back(path)
    reader.close()
    assert rates == [200.0] and ranges == [(-128.0, 127.0)]
    np.testing.assert_allclose(signals[0][:300], samples[:, 0], atol=255 / (2**24 - 1))


def test_a_third_of_a_kilohertz_gets_three_second_records(tmp_path: Path) -> None:
    rate = 1000 / 3
    samples = np.linspace(-1, 1, 2000, dtype=np.float32)[:, None]
    rec = RawRecording(rate, ("x",), "µV", (RawBlock(WALL, 0, samples),), tz=dt.timezone(dt.timedelta(hours=-5)))
    path = tmp_path / "third.edf"
    assert write_edf(rec, path) == {"record_s": 3, "records": 2, "samples": 2000, "gaps": 0, "padding": 0}
    _, rates, _, reader = read_back(path)
    try:
        assert (reader.starttime_hour, reader.starttime_minute, reader.starttime_subsecond) == (4, 0, 5_000_000)
    finally:
        reader.close()
    assert rates[0] == pytest.approx(rate, rel=1e-12)
    assert path.read_bytes()[244:252] == b"3       "


def test_a_recording_without_samples_is_refused() -> None:
    with pytest.raises(RawExportError, match="^no raw signal to write$"):
        RawRecording(1000.0, ("a",), "µV", (RawBlock(WALL, 0, np.zeros((0, 1), np.float32)),))


def test_the_sensor_range_comes_from_its_own_small_integers_and_scale() -> None:
    one, halves = np.array([1.0]).tobytes(), np.array([0.5, 2.0]).tobytes()
    assert native_range("|i1", one, 1) == ((-128.0, 127.0),)  # Myo's int8
    assert native_range("<i2", halves, 2) == ((-16384.0, 16383.5), (-65536.0, 65534.0))
    assert native_range("<i2", np.array([-0.5]).tobytes(), 1) == ((-16383.5, 16384.0),)
    assert native_range("<f4", one, 1) is None  # float: the data say
    assert native_range("<i4", one, 1) is None  # 24-bit counts in int32: the top byte unused
    assert native_range("<i2", None, 1) is None
    assert native_range("<i2", halves, 3) is None
    assert native_range("not a dtype", one, 1) is None


@pytest.mark.parametrize(("fmt", "micro"), [("edf", 343_943), ("bdf", 999_999)])
def test_a_start_whose_record_times_add_up_with_float_noise_still_opens(tmp_path: Path, fmt: str, micro: int) -> None:
    # 1 + 0.343943 is 1.3439429999999999 in binary floats: written as such, edflib refuses the file.
    start = dt.datetime(2026, 3, 2, 9, 0, 0, micro, dt.UTC).timestamp()
    samples = np.zeros((3000, 1), np.float32)
    events = (RawEvent(start + 1.11, 0.5, "phase 2 work: Hold"),)
    path = tmp_path / f"noisy.{fmt}"
    write_edf(RawRecording(1000.0, ("a",), "µV", (RawBlock(start, 0, samples),), events=events), path, fmt)  # type: ignore[arg-type]
    _, _, _, reader = read_back(path)
    try:
        assert reader.starttime_subsecond == micro * 10
        onsets, durations, texts = reader.readAnnotations()
    finally:
        reader.close()
    assert list(zip(onsets.round(7), durations, texts, strict=True)) == [(1.11, 0.5, "phase 2 work: Hold")]
    width = 3 if fmt == "bdf" else 2
    header = int(path.read_bytes()[184:192])
    per_record = int(path.read_bytes()[256 + 2 * 216 + 8 : 256 + 2 * 216 + 16])
    record = path.read_bytes()[header + (1000 + per_record) * width : header + 2 * (1000 + per_record) * width]
    assert record[1000 * width :].startswith(f"+1.{micro:06d}\x14\x14\x00".encode())
