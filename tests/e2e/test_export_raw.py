"""``gymtui export --raw``: a stored set written as EDF+, BDF+ and CSV by the real CLI, read back by other readers.

A real SQLite file holds one set written through the Store API as the app
writes it: channels (two muscles, µV), the wall-clock offset of the signal
clock, three raw blocks with 40 samples lost before the third (its time
jumps by them), three phases, two reps (one perfect, one not), a rating
and two cues. The CLI runs in a subprocess; pyedflib (a second,
independent EDF reader) and numpy read the files back.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyedflib
import pytest
import repo_paths

from gymtui.store import SetStatus, Store

REPO_ROOT = repo_paths.REPO_ROOT
RATE = 1000.0
STARTED_AT = "2026-03-02T10:00:00.000+01:00"
START_S = dt.datetime.fromisoformat(STARTED_AT).timestamp()
SIGNAL_T0 = 5000.25  # the signal clock when the first sample came in (host monotonic clock)
CLOCK_OFFSET = START_S + 0.120 - SIGNAL_T0  # first sample 120 ms after the set's start
LOST = 40
BLOCK_N = (1000, 1000, 500)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=cwd or REPO_ROOT,
        env=dict(os.environ), stdin=subprocess.DEVNULL,
    )  # fmt: skip


def blocks_of(n_channels: int = 2, seed: int = 1) -> list[tuple[float, int, np.ndarray]]:
    """(t0 on the signal clock, lost before it, samples): the third block comes 40 samples late."""
    rng = np.random.default_rng(seed)
    out, t0 = [], SIGNAL_T0
    for i, n in enumerate(BLOCK_N):
        lost = LOST if i == 2 else 0
        t0 += lost / RATE
        out.append((t0, lost, (rng.normal(0, 150, (n, n_channels)) + 20).astype(np.float32)))
        t0 += n / RATE
    return out


def make_set(db: Path, *, clock_offset: float | None = CLOCK_OFFSET, ranges: tuple[dict[str, list[float]], ...] = ({}, {})) -> int:
    store = Store(db)
    try:
        athlete = store.ensure_athlete("Sam")
        extra = {"clock_offset_s": clock_offset} if clock_offset is not None else {}
        set_id = store.start_set(
            athlete, "Biceps curl", "Hypertrophy", load_kg=12.5, started_at=STARTED_AT, extra=extra,
            channels=[{"muscle": "biceps brachii", "role": "target", "unit": "µV", **ranges[0]},
                      {"muscle": "triceps, long head", "role": "antagonist", "unit": "µV", **ranges[1]}],
        )  # fmt: skip
        for seq, (t0, lost, samples) in enumerate(blocks_of()):
            store.append_signal(set_id, seq, t0, RATE, samples, lost=lost)
        for idx, (kind, name, at, length) in enumerate(
            [("prep", "Get ready", "10:00:00.000", 0.5), ("work", "Curl", "10:00:00.500", 1.5), ("rest", "Rest", "10:00:02.000", 0.5)]
        ):
            store.record_phase(
                set_id, idx, kind, name, planned_s=length, started_at=f"2026-03-02T{at}+01:00", duration_s=length, ended_by="timer",
            )  # fmt: skip
        store.record_reps(set_id, [
            {"idx": 1, "start_s": 0.6, "end_s": 1.1, "perfect": 1, "reason": ""},
            {"idx": 2, "start_s": 1.3, "end_s": 1.9, "perfect": 0, "reason": "antagonist on"},
        ])  # fmt: skip
        store.record_cue(set_id, {"t_s": 1.4, "kind": "antagonist", "channel": 1, "muscle": "triceps", "value": 31.0, "rep": 2,
                                  "text": "relax the back of the arm"})  # fmt: skip
        store.record_cue(set_id, {"t_s": 1.8, "kind": "tempo", "text": "slower\x1b[2J down"})
        store.finish_set(set_id, SetStatus.COMPLETED, ended_at="2026-03-02T10:00:02.600+01:00")
        store.rate_set(set_id, 7, rated_at="2026-03-02T10:00:02.550+01:00")
        return set_id
    finally:
        store.close()


def expected_timeline() -> tuple[np.ndarray, float]:
    """The samples as one continuous timeline (the gap a flat line at the last value) and the first sample's wall time."""
    parts = []
    for i, (_, lost, samples) in enumerate(blocks_of()):
        if lost:
            parts.append(np.repeat(parts[-1][-1:], lost, axis=0))
        parts.append(samples.astype(np.float64))
        del i
    return np.concatenate(parts), SIGNAL_T0 + CLOCK_OFFSET


# Onsets from the first sample (which is 120 ms after the set's start), to the millisecond.
EXPECTED_ANNOTATIONS = [
    (-0.12, "set start: Biceps curl, 12.5 kg"),
    (-0.12, "phase 1 prep: Get ready (planned 0.5 s)"),
    (0.38, "phase 2 work: Curl (planned 1.5 s)"),
    (0.6, "rep 1: perfect"),
    (1.3, "rep 2: not perfect (antagonist on)"),
    (1.4, "cue: relax the back of the arm [triceps]"),
    (1.8, "cue: slower\ufffd[2J down"),
    (1.88, "phase 3 rest: Rest (planned 0.5 s)"),
    (2.0, "gap 40 samples"),
    (2.43, "rating 7/10"),
    (2.48, "set end: completed, Biceps curl, 12.5 kg"),
]


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, int]:
    db = tmp_path / "gym.db"
    return db, make_set(db)


@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_edf_and_bdf_export_read_back_by_pyedflib(stored: tuple[Path, int], tmp_path: Path, fmt: str) -> None:
    db, set_id = stored
    out = tmp_path / f"curl.{fmt}"
    done = run_cli("export", "--db", str(db), "--raw", "--format", fmt, "--set", str(set_id), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"gymtui: wrote {out} (set {set_id}, Biceps curl: 2500 samples × 2 channels at 1000 Hz, 1 gaps")

    reader = pyedflib.EdfReader(str(out))
    try:
        assert reader.getSignalLabels() == ["biceps brachii", "triceps, long he"]  # ASCII, cut at 16 characters
        assert [reader.getPhysicalDimension(i) for i in range(2)] == ["uV", "uV"]
        assert [reader.getSampleFrequency(i) for i in range(2)] == [1000.0, 1000.0]
        # pyedflib's getStartdatetime() divides the sub-second (in 100 ns units) by 100, not 10: read the fields.
        start = dt.datetime(reader.startdate_year, reader.startdate_month, reader.startdate_day,
                            reader.starttime_hour, reader.starttime_minute, reader.starttime_second)  # fmt: skip
        start += dt.timedelta(microseconds=reader.starttime_subsecond / 10)
        want, first_wall = expected_timeline()
        assert start == dt.datetime.fromtimestamp(first_wall, dt.timezone(dt.timedelta(hours=1))).replace(tzinfo=None)
        assert start == dt.datetime(2026, 3, 2, 10, 0, 0, 120000)
        bits = 16 if fmt == "edf" else 24
        for ch in range(2):
            got = reader.readSignal(ch)
            pmin, pmax = reader.getPhysicalMinimum(ch), reader.getPhysicalMaximum(ch)
            assert pmin <= want[:, ch].min() and pmax >= want[:, ch].max()  # nothing clipped
            resolution = (pmax - pmin) / (2**bits - 1)
            assert len(got) == 3000  # 2540 samples on the timeline, padded to 3 records of 1 s
            np.testing.assert_allclose(got[: len(want)], want[:, ch], rtol=0, atol=resolution)
            np.testing.assert_allclose(got[len(want) :], want[-1, ch], rtol=0, atol=resolution)  # padding holds the last value
        onsets, durations, texts = reader.readAnnotations()
    finally:
        reader.close()
    got_annotations = [(round(float(o), 3), str(t)) for o, t in zip(onsets, texts, strict=True)]
    assert sorted(a for a in got_annotations if a[1] != "padding 460 samples") == sorted(EXPECTED_ANNOTATIONS)
    assert (2.54, "padding 460 samples") in got_annotations
    by_text = dict(zip(texts, durations, strict=True))
    assert by_text["gap 40 samples"] == pytest.approx(0.040)
    assert by_text["phase 2 work: Curl (planned 1.5 s)"] == pytest.approx(1.5)
    assert by_text["rep 2: not perfect (antagonist on)"] == pytest.approx(0.6)

    header = out.read_bytes()[:256]
    assert header[0:8] == (b"0       " if fmt == "edf" else b"\xffBIOSEMI")
    assert header[88:168].decode("ascii").startswith(f"Startdate 02-MAR-2026 set-{set_id} X gymtui")
    assert header[168:176] == b"02.03.26" and header[176:184] == b"10.00.00"
    assert int(header[184:192]) == 256 * (1 + 3)  # two signals and the annotations
    assert header[192:236].decode("ascii").strip() == ("EDF+C" if fmt == "edf" else "BDF+C")
    assert int(header[236:244]) == 3  # data records
    assert float(header[244:252]) == 1.0  # seconds per record
    assert int(header[252:256]) == 3


def test_csv_export_has_absolute_times_and_the_values(stored: tuple[Path, int], tmp_path: Path) -> None:
    db, set_id = stored
    out = tmp_path / "curl.csv"
    done = run_cli("export", "--db", str(db), "--raw", "--format", "csv", "--set", str(set_id), "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:6] == [
        "# gymtui raw signal export",
        "# rate_hz: 1000.0",
        "# unit: µV",
        "# start: 2026-03-02T10:00:00.120000+01:00",
        f"# set: {set_id}; exercise: Biceps curl",
        "unix_time_s,biceps brachii,triceps long head",
    ]
    table = np.loadtxt(out, delimiter=",", comments=("#", "unix_time_s"))
    blocks = blocks_of()
    assert table.shape == (sum(BLOCK_N), 3)
    want_t = np.concatenate([t0 + CLOCK_OFFSET + np.arange(len(s)) / RATE for t0, _, s in blocks])
    np.testing.assert_allclose(table[:, 0], want_t, rtol=0, atol=1.5e-6)
    np.testing.assert_allclose(table[:, 1:], np.concatenate([s for _, _, s in blocks]), rtol=0, atol=0.0005 + 1e-4)
    steps = np.diff(table[:, 0])
    assert np.isclose(steps.max(), 0.041, atol=2e-6)  # the gap: 40 rows missing
    assert np.allclose(np.delete(steps, steps.argmax()), 0.001, atol=2e-6)


def test_a_set_stored_before_the_clock_offset_is_placed_by_its_start_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    set_id = make_set(db, clock_offset=None)
    out = tmp_path / "old.csv"
    done = run_cli("export", "--db", str(db), "--raw", "--format", "csv", "--set", str(set_id), "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "# start: 2026-03-02T10:00:00.000000+01:00\n" in text
    assert "# note: signal placed on the wall clock by the set's start (started_at)" in text
    first = np.loadtxt(out, delimiter=",", comments=("#", "unix_time_s"))[0]
    assert first[0] == pytest.approx(START_S, abs=1e-6)


def test_a_session_goes_to_a_folder_one_file_per_set(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    first = make_set(db)
    second = make_set(db)
    store = Store(db)
    try:
        store.start_set(store.ensure_athlete("Sam"), "Plank", "Hold", started_at="2026-03-02T11:00:00.000+01:00")  # no sensor
    finally:
        store.close()
    folder = tmp_path / "lab"
    done = run_cli("export", "--db", str(db), "--raw", "--format", "bdf", "--athlete", "Sam", "--since", "2026-03-02", "--out", str(folder))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"set-{first}_20260302-100000_biceps-curl.bdf", f"set-{second}_20260302-100000_biceps-curl.bdf"]
    assert "1 chosen sets have no raw signal and are left out: 3" in done.stderr
    assert [line.split(" (")[0] for line in done.stdout.splitlines()] == [f"gymtui: wrote {folder / n}" for n in names]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--raw", "--format", "edf", "--set", "99"], "gymtui: there is no set 99\n"),
        (["--raw", "--format", "edf", "--session", "42"], "gymtui: there is no session 42\n"),
        (["--raw", "--format", "edf", "--set", "2"], "gymtui: set 2 has no raw signal (it ran without a sensor)\n"),
        (["--format", "edf"], "gymtui: --format edf writes the raw signal: add --raw\n"),
        (["--raw", "--format", "json"], "gymtui: --raw writes edf, bdf or csv, not json\n"),
        (["--set", "1"], "gymtui: --set chooses sets for the raw export: add --raw (the per-set table has every set)\n"),
        (["--raw", "--format", "edf", "--set", "1", "--out", "/proc/gymtui-no/x.edf"], "gymtui: cannot write /proc/gymtui-no/x.edf: No such file or directory\n"),
    ],
)
def test_bad_raw_exports_are_one_line_and_status_2(stored: tuple[Path, int], tmp_path: Path, args: list[str], message: str) -> None:
    db, set_id = stored
    assert set_id == 1
    store = Store(db)
    try:
        store.start_set(store.ensure_athlete("Sam"), "Plank", "Hold")  # set 2: no sensor
    finally:
        store.close()
    done = run_cli("export", "--db", str(db), *args, cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (2, message, "")
    assert list(tmp_path.glob("*.edf")) == []


def test_a_hostile_exercise_name_reaches_the_terminal_as_text(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    try:
        set_id = store.start_set(store.ensure_athlete("Sam"), "Curl\x1b]0;pwned\x07", "Hold", channels=[{"muscle": "b\x1b[31m"}])
        store.append_signal(set_id, 0, 1.0, 500.0, np.ones((10, 1), np.float32))
    finally:
        store.close()
    done = run_cli("export", "--db", str(db), "--raw", "--format", "csv", "--set", str(set_id), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "Curl\ufffd]0;pwned\ufffd: 10 samples" in done.stdout
    written = next(tmp_path.glob("set-*.csv")).read_text(encoding="utf-8")
    assert "\x1b" not in written and "# set: 1; exercise: Curl\ufffd]0;pwned\ufffd\n" in written


def test_a_range_the_channels_state_is_the_physical_range(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    set_id = make_set(db, ranges=({"range": [-2000.0, 2000.0]}, {"range": [-4000.0, 4000.0]}))
    out = tmp_path / "ranged.edf"
    done = run_cli("export", "--db", str(db), "--raw", "--format", "edf", "--set", str(set_id), "--out", str(out))
    assert done.returncode == 0, done.stderr
    reader = pyedflib.EdfReader(str(out))
    try:
        assert [(reader.getPhysicalMinimum(i), reader.getPhysicalMaximum(i)) for i in range(2)] == [(-2000, 2000), (-4000, 4000)]
        assert [(reader.getDigitalMinimum(i), reader.getDigitalMaximum(i)) for i in range(2)] == [(-32768, 32767)] * 2
        got = reader.readSignal(0)
    finally:
        reader.close()
    want, _ = expected_timeline()
    np.testing.assert_allclose(got[: len(want)], want[:, 0], rtol=0, atol=4000 / 65535)
