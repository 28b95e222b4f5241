"""A real demo set (the Phase 4 finisher, run through Pilot) exported with ``gymtui export --raw`` and read back.

The set runner writes the wall-clock offset of the signal clock, the worker
the raw blocks, the set flow the phases, reps and cues, the rating screen
the rating: the export must hold all of it. The demo runs faster than real
time (its phase stamps then follow the calendar, its signal the scaled
clock), so this test checks what does not depend on the speed; the exact
onsets are checked on a set written at real time in
``tests/e2e/test_export_raw.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyedflib
import repo_paths
from keys import press
from waiting import describe, pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen

SIGNAL_SPEED = 4.0


def export(db: Path, set_id: int, fmt: str, out: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, once the app has shut down."""
    return subprocess.run(
        [sys.executable, "-m", "gymtui", "export", "--db", str(db), "--raw", "--format", fmt, "--set", str(set_id), "--out", str(out)],
        check=False, capture_output=True, text=True, timeout=120, cwd=repo_paths.REPO_ROOT, env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


async def test_a_demo_finisher_exports_as_edf_and_csv_with_everything_it_stored(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(demo=True, speed=SIGNAL_SPEED, athlete="Demo athlete"))
    async with app.run_test(size=(120, 40)) as pilot:
        async def until(predicate: Callable[[], bool], timeout_s: float = 60.0) -> None:
            await pilot_wait_until(pilot, predicate, timeout_s, describe(predicate), poll_s=0.05)

        await until(lambda: isinstance(app.screen, HomeScreen))
        await press(pilot, "f")
        await until(lambda: isinstance(app.screen, RatingScreen))
        await press(pilot, "9")
        await until(lambda: not isinstance(app.screen, RatingScreen))
        await app.shutdown()
    [row] = store.db["sets"].rows
    set_id = row["id"]
    blocks = list(store.raw_blocks(set_id))
    phases, reps, cues = store.phases_of(set_id), list(store.db["reps"].rows), store.cues_of(set_id)
    store.close()
    assert row["clock_offset_s"] is not None and row["activation_rating"] == 9 and blocks

    for fmt in ("edf", "csv"):
        done = export(db, set_id, fmt, tmp_path / f"set.{fmt}")
        assert done.returncode == 0, done.stderr

    muscles = [c["muscle"] for c in json.loads(row["channels"])]
    first_wall = blocks[0].t0_s + row["clock_offset_s"]
    reader = pyedflib.EdfReader(str(tmp_path / "set.edf"))
    try:
        assert reader.getSignalLabels() == [m[:16] for m in muscles]
        start = dt.datetime(reader.startdate_year, reader.startdate_month, reader.startdate_day,
                            reader.starttime_hour, reader.starttime_minute, reader.starttime_second)  # fmt: skip
        start += dt.timedelta(microseconds=reader.starttime_subsecond / 10)
        zone = dt.datetime.fromisoformat(row["started_at"]).tzinfo
        assert start == dt.datetime.fromtimestamp(round(first_wall, 6), zone).replace(tzinfo=None)
        stored = np.concatenate([b.samples_uv for b in blocks])
        got = reader.readSignal(0)
        resolution = (reader.getPhysicalMaximum(0) - reader.getPhysicalMinimum(0)) / 65535
        _, _, texts = reader.readAnnotations()
    finally:
        reader.close()
    gaps = [t for t in texts if t.startswith("gap ")]
    if not gaps:  # the demo kept up: the file is the stored samples, in order
        np.testing.assert_allclose(got[: len(stored)], stored[:, 0], rtol=0, atol=resolution)
    assert [t for t in texts if t.startswith("phase ")] == [
        f"phase {p['idx'] + 1} {p['kind']}: {p['name']} (planned {p['planned_s']:g} s)" for p in phases
    ]
    rep_texts = [t for t in texts if t.startswith("rep ")]
    assert [t.split(":")[0] for t in rep_texts] == [f"rep {r['idx']}" for r in sorted(reps, key=lambda r: r["start_s"])]
    assert [t.endswith(": perfect") for t in rep_texts] == [bool(r["perfect"]) for r in sorted(reps, key=lambda r: r["start_s"])]
    assert len([t for t in texts if t.startswith("cue: ")]) == len(cues)
    assert "rating 9/10" in texts and any(t.startswith("set start: Lying leg curl") for t in texts)

    table = np.loadtxt(tmp_path / "set.csv", delimiter=",", comments=("#", "unix_time_s"))
    assert table.shape == (len(stored), 1 + len(muscles))
    want_t = np.concatenate([b.t0_s + row["clock_offset_s"] + np.arange(b.n_samples) / b.rate_hz for b in blocks])
    np.testing.assert_allclose(table[:, 0], want_t, rtol=0, atol=1.5e-6)
    np.testing.assert_allclose(table[:, 1:], stored, rtol=0, atol=0.0006)
