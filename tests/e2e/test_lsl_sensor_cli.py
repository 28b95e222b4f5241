"""``gymtui --sensor``: a spec that names no LSL stream is one line on stderr and exit 2, before anything opens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from db_peek import rows


def gymtui(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", "--db", str(db), *args],
        capture_output=True, text=True, timeout=60, env=dict(os.environ), check=False,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--sensor", "myo"), "argument --sensor: unknown sensor 'myo': give lsl:NAME, lsl:name=NAME or lsl:type=EMG"),
        (("--sensor", "lsl:"), "argument --sensor: lsl: needs a stream"),
        (("--sensor", "lsl:rate=1000"), "argument --sensor: lsl:rate=...: match on one of name, type, source_id"),
        (("--sensor", "lsl:obci_eeg1", "--demo"), "--sensor replaces the demo sensor: give --sensor or --demo, not both"),
    ],
)
def test_a_bad_sensor_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    db = tmp_path / "gym.db"
    done = gymtui(*args, db=db)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and said in lines[0], done.stderr
    assert done.stdout == "" and not db.exists()  # refused before the database is touched


def test_the_help_names_the_sensor_flag(tmp_path: Path) -> None:
    done = gymtui("--help", db=tmp_path / "gym.db")
    assert done.returncode == 0 and "--sensor SPEC" in done.stdout and "lsl:type=EMG" in done.stdout


def test_the_real_cli_runs_a_set_on_an_lsl_stream_without_demo(tmp_path: Path, shared_data: Path) -> None:
    """``gymtui --sensor lsl:NAME`` in a terminal, no --demo: the quick set records the stream as sent."""
    from lsl_player import LABELS, Player, align
    from terminal import PtyApp

    from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl
    from gymtui.signal.recording import load_text
    from gymtui.store import Store

    try:
        load_pylsl()
    except LslUnavailable as exc:  # pragma: no cover - the test extra installs pylsl with liblsl
        pytest.skip(str(exc))
    recording = load_text(shared_data / "uci_leg_extension_quads_hams_1khz.txt").samples.astype(np.float32)
    player = Player(f"gymtui-e2e-{tmp_path.name}-{uuid.uuid4().hex[:8]}", recording, 1000.0)
    player.start()
    db = tmp_path / "gym.db"
    try:
        with PtyApp(["--db", str(db), "--sensor", f"lsl:{player.name}"], env=dict(os.environ)) as app:
            app.wait_for(lambda: b"finisher" in app.output, 90, "the home screen")
            app.write(b"f")  # the quick finisher set
            app.wait_for(lambda: len(rows(db, "SELECT id FROM signal_blocks")) >= 3, 60, "three stored blocks")
            app.write(b"\x1b")  # Esc: the set ends, aborted, with what it recorded
            app.wait_for(lambda: rows(db, "SELECT status FROM sets") == [("aborted",)], 30, "the set aborted")
            app.write(b"q")
            assert app.wait_exit(30) == 0
    finally:
        player.stop()
    store = Store(db)
    try:
        [row] = list(store.db["sets"].rows)
        blocks = list(store.raw_blocks(row["id"]))
    finally:
        store.close()
    assert [c["muscle"] for c in json.loads(row["channels"])] == list(LABELS)
    assert all(b.rate_hz == 1000.0 and b.lost_samples == 0 for b in blocks)
    stored = np.concatenate([b.samples_uv for b in blocks])
    start = align(player, stored)
    np.testing.assert_array_equal(stored, player.stream(start, start + len(stored)))


