"""``gymtui analyze`` on other tools' recordings, run as a user runs it: the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import edfio
import numpy as np
import pytest
from lab_recordings import (
    BURST_FRACTION,
    TRIGNO_RATE_HZ,
    burst_signal,
    write_openbci_gui,
    write_trigno_discover,
)


def gymtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=180, check=False,
    )


def analysed(path: Path) -> tuple[dict, str]:
    """The JSON report and the text report of one recording."""
    as_json = gymtui("analyze", str(path), "--json")
    assert as_json.returncode == 0, as_json.stderr
    as_text = gymtui("analyze", str(path))
    assert as_text.returncode == 0, as_text.stderr
    return json.loads(as_json.stdout), as_text.stdout


def burst_onset_ok(channel: dict, seconds: float) -> bool:
    start = BURST_FRACTION[0] * seconds
    return bool(channel["onsets_s"]) and start - 0.1 <= channel["onsets_s"][0] <= start + 0.15


def test_analyze_an_openbci_gui_recording(tmp_path: Path) -> None:
    path = tmp_path / "OpenBCI-RAW-2025-11-30_10-53-20.txt"
    write_openbci_gui(path, burst_signal(200.0, 8.0, 4))
    report, text = analysed(path)
    assert report["rate_hz"] == 200.0
    assert [c["name"] for c in report["channels"]] == [f"EXG Channel {i}" for i in range(4)]
    assert burst_onset_ok(report["channels"][0], 8.0), report["channels"][0]
    assert all(not c["onsets_s"] for c in report["channels"][1:])
    assert text.startswith("rate 200 Hz, 8.0 s, 4 channel(s)\n")
    assert "\nEXG Channel 0: envelope peak" in text and "µV" in text
    assert "values are in the file's units" not in text


def test_analyze_a_trigno_csv_export(tmp_path: Path) -> None:
    path = tmp_path / "Trial_01.csv"
    write_trigno_discover(path, burst_signal(TRIGNO_RATE_HZ, 4.0, 2), ("Rectus Femoris", "Biceps Femoris"))
    report, text = analysed(path)
    assert report["rate_hz"] == pytest.approx(TRIGNO_RATE_HZ)
    assert [c["name"] for c in report["channels"]] == ["Rectus Femoris", "Biceps Femoris"]
    rf, bf = report["channels"]
    assert burst_onset_ok(rf, 4.0), rf
    assert 100 < rf["peak_envelope_uv"] < 400  # a 200 µV burst written in mV, read back in µV
    assert not bf["onsets_s"]
    assert text.startswith("rate 2148.15 Hz, 4.0 s, 2 channel(s)\n")
    assert "\nRectus Femoris: envelope peak" in text


def test_analyze_the_csv_gymtui_simulate_writes(tmp_path: Path) -> None:
    path = tmp_path / "ramp.csv"
    made = gymtui("simulate", "--scenario", "ramp", "--rate", "1000", "--out", str(path))
    assert made.returncode == 0, made.stderr
    report, text = analysed(path)
    assert report["rate_hz"] == 1000.0
    header = path.read_text().split("\n", 1)[0].split(",")
    muscles = [h[:-3].replace("_", " ") for h in header if h.endswith("_uv")]
    assert [c["name"] for c in report["channels"]] == muscles
    assert muscles[0] == "biceps brachii"
    biceps = report["channels"][0]
    # The ramp: a second or so of rest, then force rising to the maximum until the end.
    assert len(biceps["onsets_s"]) == 1 and 0.8 <= biceps["onsets_s"][0] <= 2.5, biceps
    assert biceps["offsets_s"][0] >= 10.5 and biceps["peak_envelope_uv"] > 100
    assert text.startswith("rate 1000 Hz, 11.0 s, 4 channel(s)\n")
    assert "\nbiceps brachii: envelope peak" in text


def test_analyze_an_edf_file(tmp_path: Path) -> None:
    x = burst_signal(1000.0, 4.0, 2)
    edfio.Edf([
        edfio.EdfSignal(x[:, 0] / 1000.0, 1000.0, label="EMG VL", physical_dimension="mV", physical_range=(-5.0, 5.0)),
        edfio.EdfSignal(x[:, 1] / 1000.0, 1000.0, label="EMG ST", physical_dimension="mV", physical_range=(-5.0, 5.0)),
    ]).write(tmp_path / "rec.edf")
    report, _ = analysed(tmp_path / "rec.edf")
    assert report["rate_hz"] == 1000.0 and [c["name"] for c in report["channels"]] == ["EMG VL", "EMG ST"]
    assert burst_onset_ok(report["channels"][0], 4.0)


def test_analyze_a_gymtui_raw_csv_export_says_where_its_clock_jumps(tmp_path: Path) -> None:
    path = tmp_path / "set_7.csv"
    x = np.round(burst_signal(1000.0, 4.0, 2), 3)
    t = 1764500000.0 + np.r_[np.arange(0, 3000), np.arange(3025, 4000 + 25)] / 1000.0  # 25 samples lost at 3000
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# gymtui raw signal export\n# rate_hz: 1000.0\n# unit: µV\n# start: 2025-11-30T10:53:20+01:00\n"
                 "# set: 7; exercise: Leg extension\nunix_time_s,Vastus lateralis,Semitendinosus\n")
        fh.writelines(f"{t[i]:.6f},{x[i, 0]:.3f},{x[i, 1]:.3f}\n" for i in range(4000))
    report, text = analysed(path)
    assert report["rate_hz"] == 1000.0 and [c["name"] for c in report["channels"]] == ["Vastus lateralis", "Semitendinosus"]
    assert burst_onset_ok(report["channels"][0], 4.0)
    assert text.rstrip().endswith("note: the file's clock jumps 1 time(s), 25 sample(s) lost; the analysis joins the signal across each gap")


def _binary(tmp: Path) -> Path:
    path = tmp / "capture.bin"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes() + b"\x00")
    return path


def _one_gb(tmp: Path) -> Path:
    path = tmp / "huge.txt"
    path.write_bytes(b"")
    os.truncate(path, 1024**3)
    return path


def _header_only(tmp: Path) -> Path:
    path = tmp / "OpenBCI-RAW-empty.txt"
    path.write_text("%OpenBCI Raw EXG Data\n%Number of channels = 4\n%Sample Rate = 200 Hz\n")
    return path


def _ragged(tmp: Path) -> Path:
    path = tmp / "ragged.csv"
    path.write_text("X[s],EMG 1 (mV)\n0.0,0.1\n0.0005,0.2\n0.0010\n")
    return path


def _nan(tmp: Path) -> Path:
    path = tmp / "nan.csv"
    path.write_text("t_s,a_uv\n" + "".join(f"{i / 1000:.3f},{'nan' if i == 700 else '1.0'}\n" for i in range(1000)))
    return path


def _broken_edf(tmp: Path) -> Path:
    path = tmp / "broken.edf"
    path.write_bytes(b"0       " + b"\xff" * 300)
    return path


@pytest.mark.parametrize(
    "make, fragment",
    [
        (_binary, "capture.bin:"),
        (_one_gb, "1024 MB; recordings up to 256 MB are read"),
        (_header_only, "an OpenBCI GUI header with no samples after it"),
        (_ragged, "ragged.csv:4: 1 columns where the header names 2"),
        (_nan, "sample 701 is not finite"),
        (_broken_edf, "broken.edf: not a readable EDF file"),
    ],
    ids=["binary", "1GB", "header-only", "ragged", "nan", "broken-edf"],
)
def test_analyze_refuses_a_hostile_file_in_one_line_with_exit_2(tmp_path: Path, make, fragment: str) -> None:
    result = gymtui("analyze", str(make(tmp_path)))
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gymtui analyze: ") and fragment in lines[0], lines
