"""Other tools' recordings read by their headers: rate, names, unit and every sample as the file holds them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import edfio
import numpy as np
import pytest
from lab_recordings import (
    TRIGNO_RATE_HZ,
    burst_signal,
    write_openbci_gui,
    write_trigno_discover,
)

from gymtui.interop.readers import detect, read_recording
from gymtui.signal.recording import RecordingError, load_text


def test_openbci_gui_v5_recording_reads_its_exg_channels_in_microvolts(tmp_path: Path) -> None:
    path = tmp_path / "OpenBCI-RAW-2025-11-30_10-53-20.txt"
    written = write_openbci_gui(path, burst_signal(200.0, 4.0, 4))
    rec = read_recording(path)
    assert detect(path) == "openbci-gui"
    assert rec.rate_hz == 200.0 and rec.unit_scale == 1.0
    assert rec.names == ("EXG Channel 0", "EXG Channel 1", "EXG Channel 2", "EXG Channel 3")
    np.testing.assert_array_equal(rec.samples, written)


def test_a_byte_order_mark_before_the_header_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "OpenBCI-RAW-bom.txt"
    written = write_openbci_gui(path, burst_signal(200.0, 1.0, 4))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    rec = read_recording(path)
    assert rec.rate_hz == 200.0 and rec.names[0] == "EXG Channel 0"
    np.testing.assert_array_equal(rec.samples, written)


def test_openbci_gui_v4_recording_without_a_header_row_reads_columns_after_the_index(tmp_path: Path) -> None:
    path = tmp_path / "OpenBCI-RAW-v4.txt"
    x = np.round(burst_signal(250.0, 1.0, 8), 2)
    lines = ["%OpenBCI Raw EEG Data", "%Number of channels = 8", "%Sample Rate = 250.0 Hz", "%First Column = SampleIndex",
             "%Last Column = Timestamp", "%Other = Accelerometer data"]
    rows = [f"{i % 256}, " + ", ".join(f"{v:.2f}" for v in x[i]) + f", 0.0, 0.0, 0.0, 10:53:20.{i % 1000:03d}, {1764500000000 + 4 * i}"
            for i in range(x.shape[0])]
    path.write_text("\n".join(lines + rows) + "\n")
    rec = read_recording(path)
    assert rec.rate_hz == 250.0 and rec.names[0] == "EXG Channel 0" and rec.samples.shape == (250, 8)
    np.testing.assert_array_equal(rec.samples, x)


def test_trigno_discover_export_reads_emg_columns_in_microvolts_named_after_their_sensors(tmp_path: Path) -> None:
    path = tmp_path / "trial_01.csv"
    written = write_trigno_discover(path, burst_signal(TRIGNO_RATE_HZ, 3.0, 2), ("Rectus Femoris", "Biceps Femoris"))
    rec = read_recording(path)
    assert detect(path) == "trigno-csv"
    assert rec.rate_hz == pytest.approx(TRIGNO_RATE_HZ)
    assert rec.names == ("Rectus Femoris", "Biceps Femoris")
    assert rec.unit_scale == 1000.0
    np.testing.assert_allclose(rec.samples, written, atol=1e-6)


def test_emgworks_export_takes_its_rate_and_unit_from_the_label_lines(tmp_path: Path) -> None:
    """EMGworks: one ``Label: ... Sampling frequency: ... Unit: Volts`` line per channel, titles without units."""
    path = tmp_path / "emgworks.csv"
    x = burst_signal(1925.926, 2.0, 2)
    volts = np.round(x / 1e6, 9)
    t = np.arange(x.shape[0]) / 1925.926
    head = [
        "Label: R VASTUS LATERALIS: EMG 1 Sampling frequency: 1925.926 Number of points: 3852 start: 0 Unit: Volts Domain Unit: s",
        "Label: R SEMITENDINOSUS: EMG 2 Sampling frequency: 1925.926 Number of points: 3852 start: 0 Unit: Volts Domain Unit: s",
        "",
        "X[s],R VASTUS LATERALIS: EMG 1,X[s],R SEMITENDINOSUS: EMG 2",
    ]
    rows = [f"{t[i]:.6f},{volts[i, 0]:.9f},{t[i]:.6f},{volts[i, 1]:.9f}" for i in range(x.shape[0])]
    path.write_text("\n".join(head + rows) + "\n")
    rec = read_recording(path)
    assert rec.names == ("R VASTUS LATERALIS: EMG 1", "R SEMITENDINOSUS: EMG 2")
    assert rec.rate_hz == pytest.approx(1925.926) and rec.unit_scale == 1e6
    np.testing.assert_allclose(rec.samples, volts * 1e6, atol=1e-6)


def test_trigno_emg_sensors_at_two_rates_meet_on_the_faster_clock(tmp_path: Path) -> None:
    path = tmp_path / "two_rates.csv"
    fast = np.arange(2000) / 2000.0
    slow = np.arange(1000) / 1000.0
    rows = []
    for i in range(2000):
        s = [f"{slow[i]:.6f}", f"{np.sin(slow[i] * 7):.6f}"] if i < 1000 else ["", ""]
        rows.append(",".join([f"{fast[i]:.6f}", f"{np.sin(fast[i] * 7):.6f}", *s]))
    path.write_text("X[s],EMG 1 (mV),X[s],EMG 2 (mV)\n" + "\n".join(rows) + "\n")
    rec = read_recording(path)
    assert rec.rate_hz == 2000.0 and rec.samples.shape == (2000, 2)
    inside = fast <= slow[-1]
    np.testing.assert_allclose(rec.samples[inside, 1], rec.samples[inside, 0], atol=0.05)  # the same sine, interpolated


def test_edf_and_bdf_written_by_edfio_read_back_in_microvolts(tmp_path: Path) -> None:
    x = burst_signal(1000.0, 3.0, 2)
    for cls, sig, name in ((edfio.Edf, edfio.EdfSignal, "rec.edf"), (edfio.Bdf, edfio.BdfSignal, "rec.bdf")):
        signals = [
            sig(x[:, 0] / 1000.0, 1000.0, label="EMG RF", physical_dimension="mV", physical_range=(-5.0, 5.0)),
            sig(x[:, 1], 1000.0, label="EMG BF", physical_dimension="uV", physical_range=(-5000.0, 5000.0)),
            sig(np.linspace(0, 90, 300), 100.0, label="Knee angle", physical_dimension="deg", physical_range=(0.0, 90.0)),
        ]
        edf = cls(signals, starttime=dt.time(10, 53, 20))
        edf.write(tmp_path / name)
        rec = read_recording(tmp_path / name)
        assert detect(tmp_path / name) == name[-3:]
        assert rec.names == ("EMG RF", "EMG BF") and rec.rate_hz == 1000.0
        resolution = 10_000.0 / (2**16 if name.endswith("edf") else 2**24)  # µV per digital step
        np.testing.assert_allclose(rec.samples, x, atol=resolution)


def test_gymtui_simulate_csv_reads_only_the_uv_columns_and_its_gaps(tmp_path: Path) -> None:
    path = tmp_path / "sim.csv"
    t = np.r_[np.arange(0, 500), np.arange(520, 1000)] / 1000.0  # 20 samples lost at sample 500
    x = np.round(burst_signal(1000.0, 0.98, 2), 3)
    head = "t_s,biceps_brachii_uv,biceps_brachii_drive,biceps_brachii_force,biceps_brachii_active_units,triceps_brachii_uv,triceps_brachii_drive,triceps_brachii_force,triceps_brachii_active_units"
    rows = [f"{t[i]:.6f},{x[i, 0]:.3f},0.1,0.0,3,{x[i, 1]:.3f},0.1,0.0,2" for i in range(980)]
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    rec = read_recording(path)
    assert detect(path) == "gymtui-simulate"
    assert rec.names == ("biceps brachii", "triceps brachii") and rec.rate_hz == 1000.0
    assert rec.gaps == ((500, 20),)
    np.testing.assert_array_equal(rec.samples, x)


def test_gymtui_raw_csv_export_takes_rate_unit_and_gaps_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "set_12.csv"
    x = np.round(burst_signal(1000.0, 1.0, 2), 3)
    t = 1764500000.0 + np.r_[np.arange(0, 400), np.arange(430, 1030)] / 1000.0  # 30 lost before row 400
    head = ["# gymtui raw signal export", "# rate_hz: 1000.0", "# unit: µV", "# start: 2025-11-30T10:53:20.000000+00:00",
            "# set: 12; exercise: Lat pulldown", "unix_time_s,Latissimus dorsi,Biceps brachii"]
    rows = [f"{t[i]:.6f},{x[i, 0]:.3f},{x[i, 1]:.3f}" for i in range(1000)]
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")
    rec = read_recording(path)
    assert detect(path) == "gymtui-export"
    assert rec.names == ("Latissimus dorsi", "Biceps brachii") and rec.rate_hz == 1000.0 and rec.unit_scale == 1.0
    assert rec.gaps == ((400, 30),)
    np.testing.assert_array_equal(rec.samples, x)


def test_plain_text_reads_as_before_and_through_numpy(tmp_path: Path) -> None:
    """The row loop's reader and the new one agree on every plain layout it took, mixed separators included."""
    x = np.round(burst_signal(1000.0, 1.0, 3), 4)
    cases = {
        "comma.csv": "# Sampling Rate (Hz):= 1000\n# Labels:= A B C\n" + "".join(f"{a},{b},{c}\n" for a, b, c in x),
        "spaces.txt": "# 1000 Hz, columns: RF_mV BF_mV VM_mV\n" + "".join(f"{a}  {b}\t{c}\r\n" for a, b, c in x),
        "mixed.txt": "# 1000 Hz\n" + "".join(f"{a}, {b};{c} # note\n" for a, b, c in x),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        old, new = load_text(tmp_path / name), read_recording(tmp_path / name)
        assert detect(tmp_path / name) == "text"
        assert (new.rate_hz, new.names, new.unit_scale) == (old.rate_hz, old.names, old.unit_scale), name
        np.testing.assert_array_equal(new.samples, old.samples)


# -- hostile files: one clear line each ---------------------------------------------------------


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(RecordingError) as caught:
        read_recording(path)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_a_binary_file_is_refused_at_its_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(bytes(range(256)) * 64)
    _refused(path, "capture.bin:1: NUL bytes: a binary file")


def test_a_1gb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_bytes(b"")
    os.truncate(path, 1024**3)
    _refused(path, "1024 MB; recordings up to 256 MB are read")


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("%OpenBCI Raw EXG Data\n%Number of channels = 4\n%Sample Rate = 200 Hz\n", ("OpenBCI GUI header with no samples",)),
        ("%OpenBCI Raw EXG Data\n%Sample Rate = 200 Hz\nSample Index, EXG Channel 0, Timestamp\n", ("no numeric samples",)),
        ("t_s,a_uv,a_drive\n", ("no numeric samples",)),
        ("# gymtui raw signal export\n# rate_hz: 1000\n", ("no header row",)),
        ("Application,Trigno Discover\nX[s],EMG 1 (mV)\n", ("no numeric samples",)),
        ("# Sampling Rate (Hz):= 1000\n# Labels:= A\n", ("no numeric samples",)),
    ],
    ids=["openbci", "openbci-row", "simulate", "export", "trigno", "text"],
)
def test_a_header_with_no_samples_says_so(tmp_path: Path, text: str, fragments: tuple[str, ...]) -> None:
    path = tmp_path / "header_only.txt"
    path.write_text(text)
    _refused(path, *fragments)


def test_ragged_rows_are_named_by_their_line(tmp_path: Path) -> None:
    path = tmp_path / "ragged.txt"
    write_openbci_gui(path, burst_signal(200.0, 1.0, 4))
    lines = path.read_text().splitlines()
    lines[40] = "35.0, 1.0, 2.0"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "ragged.txt:41: 3 columns where the header names")
    sim = tmp_path / "sim.csv"
    sim.write_text("t_s,a_uv,b_uv\n0.000,1,2\n0.001,1\n")
    _refused(sim, "sim.csv:3: 2 columns where the header names 3")


def test_nan_and_inf_are_refused(tmp_path: Path) -> None:
    for value in ("nan", "inf", "-inf"):
        path = tmp_path / f"bad_{value}.csv"
        path.write_text("t_s,a_uv\n0.000,1.0\n0.001," + value + "\n0.002,1.0\n")
        _refused(path, "sample 2 is not finite")


def test_an_edf_with_a_broken_header_is_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.edf"
    edfio.Edf([edfio.EdfSignal(np.zeros(1000), 1000.0, label="EMG", physical_dimension="uV",
                               physical_range=(-100.0, 100.0))]).write(good)
    data = bytearray(good.read_bytes())
    data[236:244] = b"xx-yy   "  # the number of data records: not a number
    broken = tmp_path / "broken.edf"
    broken.write_bytes(bytes(data))
    _refused(broken, "broken.edf: not a readable EDF file")
    truncated = tmp_path / "truncated.bdf"
    truncated.write_bytes(b"\xffBIOSEMI" + b" " * 100)
    _refused(truncated, "truncated.bdf: not a readable BDF file")
