"""``gymtui decode``: the captures in tests/data print the right samples."""

from __future__ import annotations

import subprocess
import sys

import repo_paths

from gymtui.cli import main

DATA = repo_paths.TESTS_DIR / "data"


def _rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


def test_decode_myo_capture_prints_each_sample_with_channels_last(capsys):
    assert main(["decode", "myo", str(DATA / "myo_capture.hex"), "--counts"]) == 0
    out, err = capsys.readouterr()
    rows = _rows(out)
    assert rows[0] == ["sample", "t_s", *[f"pod {i}" for i in range(1, 9)]]
    assert rows[1] == ["0", "0.000000", "0", "1", "2", "3", "4", "5", "6", "7"]
    assert rows[2] == ["1", "0.005000", "-1", "-2", "-3", "-4", "-128", "127", "16", "-16"]
    assert len(rows) == 1 + 2 * 12  # the battery line is not part of the EMG stream
    assert "0 malformed" in err


def test_decode_ganglion_fw2_capture_starts_at_the_raw_packet_and_applies_official_deltas(capsys):
    assert main(["decode", "ganglion", "--firmware", "2", "--counts", str(DATA / "ganglion_fw2_capture.hex")]) == 0
    rows = _rows(capsys.readouterr().out)
    values = [[int(v) for v in row[2:]] for row in rows[1:]]
    assert values[0] == [1000, 2000, -3000, 0]  # raw packet ID 0
    # ID 101 = official positive vector: A = raw - [0,2,10,4]; B = A - [262148,507910,393222,8]
    assert values[1] == [1000, 1998, -3010, -4]
    assert values[2] == [-261148, -505912, -396232, -12]
    # ID 102 = official negative vector
    assert values[3] == [-261145, -505907, -396225, -1]
    assert values[4] == [994, -307478, -134088, 4094]
    assert len(values) == 1 + 2 * 7


def test_decode_ganglion_in_microvolts_uses_the_profile_scale(capsys):
    assert main(["decode", "ganglion", str(DATA / "ganglion_fw2_capture.hex"), "--firmware", "2"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert [float(v) for v in rows[1][2:]] == [1.8699, 3.7398, -5.6097, 0.0]


def test_decode_ganglion_fw3_skips_the_half_valid_first_packet(capsys):
    assert main(["decode", "ganglion", "--counts", str(DATA / "ganglion_fw3_capture.hex")]) == 0
    out, err = capsys.readouterr()
    values = [[int(v) for v in row[2:]] for row in _rows(out)[1:]]
    assert values[0] == [-3 * 32, -5 * 32, -7 * 32, -11 * 32]
    assert values[1] == [-262139 * 32, -198429 * 32, -262137 * 32, -4095 * 32]
    assert values[2:] == [[(100 * i + c) * 64 for c in range(4)] for i in range(8)]
    assert "1 skipped" in err


def test_decode_reads_stdin_and_reports_bad_lines_without_stopping():
    capture = "d5060105-a904-deb9-4748-2c7f4a124842,0001020304050607fffefdfc807f10f0\nzz not hex\n0102\n0001020304050607fffefdfc807f10f0\n"
    result = subprocess.run(
        [sys.executable, "-m", "gymtui", "decode", "myo", "-", "--counts"],
        check=False, input=capture, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert len(_rows(result.stdout)) == 1 + 4
    assert "line 2: not hex" in result.stderr
    assert "line 3: Myo EMG notification must be 16 bytes, got 2" in result.stderr


def test_decode_unknown_profile_is_one_line_and_exit_2(capsys):
    assert main(["decode", "nosuch", str(DATA / "myo_capture.hex")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no profile 'nosuch'" in err and "myo" in err
