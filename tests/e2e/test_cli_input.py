"""Hostile and mistaken command-line input: one clear line on stderr, exit 2, never a traceback.

Every case runs the real CLI in a subprocess (``python -m gymtui``), as a user
would. The unbounded inputs to ``analyze`` are also measured: each runs under
a fresh wrapper process that times it with ``time.monotonic()`` and reads its
peak RSS from ``RUSAGE_CHILDREN`` (the wrapper has no other child, so the
figure is that one process's, not a maximum over earlier ones). The child also
runs under an address-space limit, so a regression fails the test with a
``MemoryError`` instead of taking the machine's memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import repo_paths

from gymtui.bfr.rules import BfrSettingsError, validate_settings
from gymtui.store import Store

DATA = repo_paths.TESTS_DIR / "data"
REFUSE_WITHIN_S = 2.0
"""CPU seconds (user + system) the refusal may cost, start-up included: not wall time, which a busy machine stretches."""
REFUSE_UNDER_MB = 100.0
CHILD_ADDRESS_SPACE = 1024**3
"""A safety net for the machine, ten times what a refusal needs: a regression dies of MemoryError at 1 GiB."""

MEASURE = r"""
import json, resource, subprocess, sys, time
argv, limit = json.loads(sys.argv[1]), int(sys.argv[2])

def cap():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

start = time.monotonic()
result = subprocess.run(argv, capture_output=True, text=True, timeout=120, preexec_fn=cap)
elapsed = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the only child waited for
print(json.dumps({"code": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
                  "elapsed_s": elapsed, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}))
"""


def gymtui(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        input=stdin, capture_output=True, text=True, env=dict(os.environ), timeout=120, check=False,
    )


def measured_gymtui(*args: str) -> dict:
    """Run ``gymtui ARGS`` under a fresh wrapper; its exit code, output, wall time and peak RSS."""
    wrapper = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps([sys.executable, "-m", "gymtui", *args]), str(CHILD_ADDRESS_SPACE)],
        capture_output=True, text=True, env=dict(os.environ), timeout=180, check=False,
    )
    assert wrapper.returncode == 0, wrapper.stderr
    return json.loads(wrapper.stdout)


def assert_refused(code: int, stdout: str, stderr: str, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr holding every fragment; returns that line."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert code == 2, (code, stderr)
    assert len(lines) == 1, stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert stdout == ""
    return lines[0]


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    return assert_refused(result.returncode, result.stdout, result.stderr, *fragments)


# -- analyze: inputs that must never be loaded ---------------------------------------------


def _sparse_2gib(tmp_path: Path) -> str:
    path = tmp_path / "sparse.txt"
    path.write_bytes(b"")
    os.truncate(path, 2 * 1024**3)  # 2 GiB of holes: costs no disk, would cost 2 GiB to read
    return str(path)


def _one_20mb_line(tmp_path: Path) -> str:
    path = tmp_path / "one_line.csv"
    with open(path, "w") as fh:
        fh.write("# Sampling Rate (Hz):= 1000\n")
        fh.write("1," * (10 * 1024 * 1024) + "\n")  # 20 MiB without a line break
    return str(path)


@pytest.mark.parametrize(
    "make, fragments",
    [
        (lambda tmp: "/dev/zero", ("/dev/zero: a character device, not a recording file",)),
        (_sparse_2gib, ("2048 MB; recordings up to 256 MB are read",)),
        (_one_20mb_line, ("one_line.csv:2: a line longer than 64 kB",)),
    ],
    ids=["dev-zero", "sparse-2GiB", "20MB-line"],
)
def test_analyze_refuses_unbounded_input_quickly_without_loading_it(tmp_path: Path, make, fragments) -> None:
    target = make(tmp_path)
    run = measured_gymtui("analyze", target)
    assert_refused(run["code"], run["stdout"], run["stderr"], "gymtui analyze:", *fragments)
    assert run["cpu_s"] < REFUSE_WITHIN_S, run
    assert run["peak_mb"] < REFUSE_UNDER_MB, run


def test_analyze_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # nobody ever writes: a blocking open would hang here
    run = measured_gymtui("analyze", str(fifo))
    assert_refused(run["code"], run["stdout"], run["stderr"], "pipe: a FIFO (named pipe), not a recording file")
    assert run["cpu_s"] < REFUSE_WITHIN_S, run


def test_analyze_refuses_a_directory(tmp_path: Path) -> None:
    refused(gymtui("analyze", str(tmp_path)), "is a directory, not a recording")


def test_analyze_refuses_nul_bytes_where_they_are_even_deep_in_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "half.txt"
    rows = "".join(f"{i % 7}\n" for i in range(200_000))  # ~400 kB of good rows first: past the first chunk
    path.write_bytes(b"# Sampling Rate (Hz):= 1000\n" + rows.encode() + b"1\x00\x002\n3\n")
    refused(gymtui("analyze", str(path)), "half.txt:200002: NUL bytes: a binary file, not a text recording")


def test_analyze_refuses_a_long_line_after_good_rows_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    path.write_text("# Sampling Rate (Hz):= 1000\n" + "1\n" * 3000 + "2," * 40_000 + "\n")  # 80 kB line
    refused(gymtui("analyze", str(path)), "late.txt:3002: a line longer than 64 kB")


def test_analyze_still_reads_a_recording_whose_rows_span_many_chunks(tmp_path: Path) -> None:
    """The chunked reader joins lines cut at a chunk boundary: every sample arrives, in order."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((150_000, 2)) * 5  # ~2.5 MB as text: three 1 MiB chunks
    x[60_000:90_000] *= 40
    path = tmp_path / "long.csv"
    with open(path, "w", newline="") as fh:
        fh.write("# Sampling Rate (Hz):= 2000\r\n# Labels:= A B\r\n")
        fh.writelines(f"{a:.4f},{b:.4f}\r\n" for a, b in x)
    from gymtui.signal.recording import load_text

    rec = load_text(path)
    assert rec.samples.shape == (150_000, 2) and rec.names == ("A", "B") and rec.rate_hz == 2000
    np.testing.assert_allclose(rec.samples, np.round(x, 4), atol=1e-9)
    result = gymtui("analyze", str(path), "--json")
    assert result.returncode == 0, result.stderr
    onsets = json.loads(result.stdout)["channels"][0]["onsets_s"]
    assert onsets and 29.9 <= onsets[0] <= 30.2  # the burst at sample 60 000 of 2 kHz


def test_analyze_prints_labels_from_the_file_as_plain_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "labels.txt"
    # OSC 2 (window title) without its ';', since ';' separates labels; CSI 2J clears the screen.
    header = "# Sampling Rate (Hz):= 1000\n# Labels:= RF\x1b]2:owned\x07,BF\x1b[2J\n"
    path.write_text(header + "".join(f"{a:.3f},{b:.3f}\n" for a, b in rng.standard_normal((2000, 2))))
    result = gymtui("analyze", str(path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\nRF\ufffd]2:owned\ufffd: envelope peak" in result.stdout
    assert "\nBF\ufffd[2J: envelope peak" in result.stdout


@pytest.mark.parametrize(
    "rate, fragment",
    [("nan", "not a number: 'nan'"), ("inf", "not a number: 'inf'"), ("1e6", "must be above 0 and at most 100000 Hz"),
     ("0", "must be above 0"), ("1_000", "not a number: '1_000'")],
)
def test_analyze_rate_must_be_a_finite_positive_number(tmp_path: Path, rate: str, fragment: str) -> None:
    refused(gymtui("analyze", str(tmp_path / "any.txt"), "--rate", rate), "argument --rate", fragment)


# -- analyze set:ID ---------------------------------------------------------------------------


@pytest.fixture
def db_with_one_set(tmp_path: Path) -> tuple[Path, int]:
    db = tmp_path / "g.db"
    store = Store(db)
    set_id = store.start_set(store.ensure_athlete(), "curl", "finisher", channels=[{"muscle": "biceps"}])
    store.append_signal(set_id, 0, 0.0, 1000.0, np.zeros((1000, 1), dtype=np.float32))
    store.close()
    return db, set_id


@pytest.mark.parametrize(
    "name, fragments",
    [
        ("set:12345678901234567890", ("set:12345678901234567890: no such set; set IDs run from 1 to 9223372036854775807",)),
        ("set:9223372036854775808", ("no such set; set IDs run from 1",)),
        ("set:0", ("set:0: no such set",)),
        ("set:-1", ("set:-1: a set is named set:ID with a numeric ID",)),
        ("set:abc", ("set:abc: a set is named set:ID with a numeric ID",)),
        ("set:1_0", ("numeric ID",)),
        ("set: 1", ("numeric ID",)),
        ("set:", ("numeric ID",)),
        ("set:4242", ("set 4242 has no stored signal",)),
    ],
)
def test_analyze_set_ids_that_name_no_set(db_with_one_set: tuple[Path, int], name: str, fragments: tuple[str, ...]) -> None:
    db, _ = db_with_one_set
    refused(gymtui("analyze", name, "--db", str(db)), "gymtui analyze:", *fragments)


def test_analyze_set_in_a_database_that_is_not_gymtuis(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    result = gymtui("analyze", "set:1", "--db", str(db))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- cuff simulate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["--seed", "-1"], ("argument --seed", "must be between 0 and 4294967295", "'-1'")),
        (["--seed", "4294967296"], ("argument --seed", "must be between 0 and 4294967295")),
        (["--seed", "1.5"], ("argument --seed", "not a whole number: '1.5'")),
        (["--seed", "9" * 5000], ("argument --seed", "must be between 0 and 4294967295", "…")),
        (["--rest-s", "1e9"], ("argument --rest-s", "must be between 0 and 300 s", "rests between BFR sets")),
        (["--rest-s", "-5"], ("argument --rest-s", "must be between 0 and 300 s")),
        (["--rest-s", "nan"], ("argument --rest-s", "not a number: 'nan'")),
        (["--rest-s", "inf"], ("argument --rest-s", "not a number: 'inf'")),
        (["--rest-s", "1e999"], ("argument --rest-s", "must be between 0 and 300 s")),
        (["--rest-s", "6_0"], ("argument --rest-s", "not a number: '6_0'")),
        (["--sets", "0"], ("argument --sets", "must be between 1 and 20")),
        (["--sets", "1_0"], ("argument --sets", "not a whole number")),
        (["--lop", ""], ("LOP is empty: give it in mmHg",)),
        (["--lop", "1_80"], ("LOP must be a number in mmHg", "'1_80'")),
        (["--lop", "nan"], ("LOP must be a number",)),
        (["--lop", "1e2"], ("LOP must be a number",)),
        (["--lop", "400"], ("outside 80–300 mmHg",)),
        (["--bfr-pct", ""], ("target % is empty",)),
        (["--bfr-pct", "5_0"], ("target % must be a number", "'5_0'")),
    ],
)
def test_cuff_simulate_refuses_values_outside_their_range(argv: list[str], fragments: tuple[str, ...]) -> None:
    line = refused(gymtui("cuff", "simulate", *argv), *fragments)
    assert len(line) < 300  # a 5000-digit seed is not echoed back whole


def test_cuff_simulate_takes_the_edges_of_its_ranges() -> None:
    result = gymtui("cuff", "simulate", "--sets", "1", "--rest-s", "0", "--seed", "4294967295", "--lop", " 180.5 ")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["t", "(s)", "kind", "mmHg", "target", "reason"]
    assert "occluded" in lines[-1] and "alarm" in lines[-1]
    assert any("90.2" in line for line in lines)  # 50 % of the 180.5 mmHg given


# -- simulate, scan, the app's own options --------------------------------------------------


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["simulate", "--scenario", "ramp", "--out", "x.csv", "--seconds", "nan"], ("argument --seconds", "not a number")),
        (["simulate", "--scenario", "ramp", "--out", "x.csv", "--seconds", "1e9"], ("must be above 0 and at most 3600 s",)),
        (["simulate", "--scenario", "ramp", "--out", "x.csv", "--rate", "inf"], ("argument --rate", "not a number")),
        (["simulate", "--scenario", "ramp", "--out", "x.csv", "--rate", "1e99"], ("between 200 and 4000 Hz",)),
        (["simulate", "--scenario", "ramp", "--out", "x.csv", "--seed", "-1"], ("argument --seed", "between 0 and 4294967295")),
        (["simulate", "--scenario", "nope", "--out", "x.csv"], ("invalid choice: 'nope'", "ramp")),
        (["scan", "--timeout", "nan"], ("argument --timeout", "not a number")),
        (["scan", "--timeout", "0"], ("argument --timeout", "must be above 0 and at most 120 s")),
        (["scan", "--firmware", "-1"], ("argument --firmware", "between 0 and 99")),
        (["decode", "myo", "--firmware", "1e3"], ("argument --firmware", "not a whole number")),
        (["--speed", "nan"], ("argument --speed", "not a number: 'nan'")),
        (["--speed", "inf"], ("argument --speed", "not a number: 'inf'")),
        (["--speed", "1e999"], ("argument --speed", "must be above 0 and at most 1000")),
        (["--speed", "0"], ("argument --speed", "must be above 0")),
        (["--speed", "1_0"], ("argument --speed", "not a number")),
        (["--demo", "--cuff", "arm", "--lop", ""], ("gymtui: LOP is empty: give it in mmHg",)),
        (["--demo", "--cuff", "arm", "--lop", "1_80"], ("gymtui: LOP must be a number in mmHg", "'1_80'")),
        (["--demo", "--cuff", "arm", "--lop", "180", "--bfr-pct", "5_0"], ("target % must be a number",)),
        (["--demo", "--lop", ""], ("need --cuff arm|leg",)),
    ],
)
def test_numeric_options_refuse_nan_inf_and_out_of_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], fragments: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    refused(gymtui(*argv), *fragments)
    assert not (tmp_path / "x.csv").exists()


def test_simulate_still_takes_its_whole_range() -> None:
    result = gymtui("simulate", "--scenario", "ramp", "--seconds", "0.01", "--rate", "4000", "--seed", "4294967295", "--out", "-")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1 + 40  # the header and 0.01 s at 4 kHz


# -- the LOP and target % as typed (the same parser serves the app's setup screen) ----------------


@pytest.mark.parametrize("text", ["", "   ", "1_80", "nan", "inf", "1e2", "0x10", "180.", ".5", "+180", "-180", "١٨٠", "18 0"])
def test_lop_text_must_be_plain_decimal_digits(text: str) -> None:
    with pytest.raises(BfrSettingsError) as info:
        validate_settings("arm", text, 50)
    message = str(info.value)
    assert "\n" not in message and message.startswith("LOP ")


@pytest.mark.parametrize("text, lop", [("180", 180.0), (" 180 ", 180.0), ("180.5", 180.5), ("0200", 200.0)])
def test_lop_text_in_plain_digits_is_taken(text: str, lop: float) -> None:
    assert validate_settings("leg", text, "70").lop_mmhg == lop


def test_numbers_from_code_are_still_taken_and_nan_is_not() -> None:
    assert validate_settings("arm", 180, 50.0).lop_mmhg == 180
    assert validate_settings("arm", np.float64(180.0), np.int64(50)).target_pct == 50
    with pytest.raises(BfrSettingsError, match="finite"):
        validate_settings("arm", float("nan"), 50)
    with pytest.raises(BfrSettingsError, match="must be a number"):
        validate_settings("arm", True, 50)


# -- decode --------------------------------------------------------------------------------


def test_decode_of_random_bytes_says_nothing_decoded_and_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(np.random.default_rng(3).integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes())
    result = gymtui("decode", "myo", str(junk))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stdout == ""  # not even the CSV header: there is no CSV
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 20 + 3  # the first 20 bad lines, "the rest are only counted", the totals, the verdict
    assert "more than 20 bad lines; the rest are only counted" in result.stderr
    verdict = lines[-1]
    assert verdict.startswith(f"gymtui decode: nothing decoded from {junk}: none of its ")
    assert "is a myo notification" in verdict and "not hex" in verdict


def test_decode_of_hex_that_is_never_a_notification_exits_2_with_the_malformed_count(tmp_path: Path) -> None:
    capture = tmp_path / "short.hex"
    capture.write_text("0102\n030405\n# a comment\n\n0a0b\n")
    result = gymtui("decode", "myo", str(capture))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        f"gymtui decode: nothing decoded from {capture}: none of its 3 lines is a myo notification (0 not hex, 3 malformed)"
    )


def test_decode_with_some_bad_lines_decodes_the_rest_and_counts_them(tmp_path: Path) -> None:
    good = (DATA / "myo_capture.hex").read_text()
    capture = tmp_path / "mixed.hex"
    capture.write_text("zz\n" + good + "0102\n" + "ab" * 100_000 + "\n")  # not hex; good; malformed; 200 kB line
    result = gymtui("decode", "myo", str(capture), "--counts")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].startswith("sample,t_s,") and len(rows) == 1 + 2 * 12  # the same samples as the clean capture
    assert "line 1: not hex, skipped" in result.stderr
    assert "longer than 4096 characters, not a notification, skipped" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "gymtui decode: 3 of 16 lines could not be used (2 not hex, 1 malformed); the rest decoded"
    )


def test_decode_refuses_a_device_instead_of_reading_it() -> None:
    refused(gymtui("decode", "myo", "/dev/zero"), "cannot read /dev/zero: not a regular file")


def test_decode_from_stdin_with_undecodable_bytes_exits_2_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gymtui", "decode", "myo", "-"],
        input=b"\xff\xfe\x00garbage\n\x80\x81\n", capture_output=True, env=dict(os.environ), timeout=120, check=False,
    )
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert "nothing decoded from standard input: none of its 2 lines" in err
