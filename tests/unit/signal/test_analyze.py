"""``gymtui analyze``: recordings and stored sets through the live pipeline, bad files as one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gymtui.cli import main
from gymtui.store import Store


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_has_the_fixed_shape(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "analyze", str(shared_data / "uci_leg_extension_quads_hams_1khz.txt"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["rate_hz"] == 1000.0
    assert [c["name"] for c in report["channels"]] == ["RF_mV", "BF_mV", "VM_mV", "ST_mV"]
    keys = {"name", "onsets_s", "offsets_s", "peak_envelope_uv", "mean_envelope_uv", "bursts", "flags"}
    for channel in report["channels"]:
        assert set(channel) == keys
        assert len(channel["onsets_s"]) == len(channel["offsets_s"]) == len(channel["bursts"])
        for burst in channel["bursts"]:
            assert set(burst) == {"start_s", "end_s", "mf_start_hz", "mf_end_hz", "mf_slope_hz_per_s"}
    rf = report["channels"][0]
    assert len(rf["onsets_s"]) == 4
    assert 20 < rf["peak_envelope_uv"] < 500  # mV columns are converted to µV


def test_text_report_names_band_delay_and_bursts(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "analyze", str(shared_data / "myo_fist_clean_200hz.txt"))
    assert code == 0
    assert "clamped below Nyquist" in out and "median frequency n/a" in out
    assert "envelope delay" in out and "ch8:" in out


def test_header_free_csv_with_crlf_needs_and_takes_a_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5000, 2)) * 5
    x[2200:3000] *= 30  # one contraction on both channels
    path = tmp_path / "two.csv"
    path.write_bytes(("# exported\r\n" + "".join(f"{a:.3f},\t{b:.3f}\r\n" for a, b in x)).encode())
    code, _, err = _run(capsys, "analyze", str(path))
    assert code == 2 and "--rate" in err and len(err.strip().splitlines()) == 1
    envelope_csv = tmp_path / "env.csv"
    code, out, err = _run(capsys, "analyze", str(path), "--rate", "1000", "--json", "--envelope-out", str(envelope_csv))
    assert code == 0, err
    report = json.loads(out)
    for channel in report["channels"]:
        assert channel["onsets_s"] and 2.1 <= channel["onsets_s"][0] <= 2.3
        assert 2.95 <= channel["offsets_s"][0] <= 3.2  # a causal window lets go a little late
    lines = envelope_csv.read_text().splitlines()
    assert lines[0] == "t_s,ch1_envelope_uv,ch2_envelope_uv" and len(lines) == 5001


@pytest.mark.parametrize(
    "content,needle",
    [
        ("# Sampling Rate (Hz):= 1000.00\n1 2\n3\n", "columns"),
        ("# Sampling Rate (Hz):= 1000.00\n1\nabc\n", "not a number"),
        ("# nothing here\n", "no numeric samples"),
        ("# Sampling Rate (Hz):= 1000.00\n" + "1\n" * 100, "half a second"),
    ],
)
def test_malformed_files_give_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content)
    code, out, err = _run(capsys, "analyze", str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_missing_and_binary_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "analyze", str(tmp_path / "nope.txt"))
    assert code == 2 and "no such file" in err
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01\x02" * 100)
    code, _, err = _run(capsys, "analyze", str(blob))
    assert code == 2 and "binary" in err


def test_a_stored_set_is_analysed_by_id(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gymtui.signal.recording import load_text

    rec = load_text(shared_data / "biosppy_emg_1_1khz.txt")
    db = tmp_path / "g.db"
    store = Store(db)
    athlete = store.ensure_athlete()
    set_id = store.start_set(athlete, "curl", "finisher", channels=[{"muscle": "biceps", "role": "target"}])
    samples = rec.samples.astype(np.float32)
    for seq, start in enumerate(range(0, samples.shape[0], 1000)):
        store.append_signal(set_id, seq, start / 1000.0, 1000.0, samples[start : start + 1000])
    store.close()
    code, out, err = _run(capsys, "analyze", f"set:{set_id}", "--db", str(db), "--json")
    assert code == 0, err
    channel = json.loads(out)["channels"][0]
    assert channel["name"] == "biceps"
    assert any(15.2 <= t <= 15.8 for t in channel["onsets_s"])
    code, _, err = _run(capsys, "analyze", "set:999", "--db", str(db))
    assert code == 2 and "no stored signal" in err
    code, _, err = _run(capsys, "analyze", "set:x", "--db", str(db))
    assert code == 2 and "numeric" in err


def test_every_public_recording_gives_sensible_output(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ["biosppy_emg_1khz.txt", "physionet_emgdb_healthy_4khz.txt"]:
        code, out, err = _run(capsys, "analyze", str(shared_data / name), "--json")
        assert code == 0, err
        channel = json.loads(out)["channels"][0]
        assert channel["onsets_s"], name
    # The weak recording: activity only around 37–58 s, and its sustained part gets a fatigue slope.
    code, out, _ = _run(capsys, "analyze", str(shared_data / "biosppy_emg_1khz.txt"), "--json")
    channel = json.loads(out)["channels"][0]
    assert all(36 <= t <= 58 for t in channel["onsets_s"] if t < 90)
    assert "low-snr" in channel["flags"]
    long = [b for b in channel["bursts"] if b["end_s"] - b["start_s"] >= 2.5]
    assert long and long[0]["mf_slope_hz_per_s"] is not None and 50 < long[0]["mf_start_hz"] < 200


def test_units_come_from_the_header_or_stay_as_they_are(shared_data: Path) -> None:
    from gymtui.signal.recording import load_text

    assert load_text(shared_data / "physionet_emgdb_healthy_4khz.txt").in_microvolts  # "microvolts" in its header
    uci = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt")
    assert uci.unit_scale == 1000.0  # RF_mV ... columns
    counts = load_text(shared_data / "biosppy_emg_1_1khz.txt")
    assert counts.unit_scale is None and 1500 < counts.samples.mean() < 2500  # ADC counts, untouched


def test_text_report_gives_each_slope_its_confidence_interval(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "analyze", str(shared_data / "biosppy_emg_1khz.txt"))
    slope_lines = [line for line in out.splitlines() if "slope" in line]
    assert code == 0 and slope_lines and all("95% CI" in line for line in slope_lines)
