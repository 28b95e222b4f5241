"""``--replay FILE``: a recording as the live sensor, in the real app, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from keys import press
from lab_recordings import burst_signal, write_openbci_gui
from waiting import describe, pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.interop.readers import read_recording
from gymtui.model import LinkState
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.activation_bar import ActivationBar

SPEED = 4.0
"""The recording plays 4 s per wall second: a set in seconds, and the 100 s file outlasts it."""

RECORDING = "biosppy_emg_1khz.txt"
"""100 s of one EMG channel at 1 kHz (12-bit counts): long enough to hold a whole set."""


async def wait_until(pilot, predicate, timeout_s: float = 60.0, what: str = "") -> None:
    await pilot_wait_until(pilot, predicate, timeout_s, what or describe(predicate), poll_s=0.05)


def open_app(tmp_path: Path, replay: Path, speed: float = SPEED) -> tuple[GymApp, Store]:
    store = Store(tmp_path / "gym.db")
    return GymApp(store, AppConfig(replay=replay, speed=speed, athlete="Replay athlete")), store


def find_in(file_samples: np.ndarray, stored: np.ndarray) -> int | None:
    """Where ``stored`` sits in the file, sample for sample (None if it is not a run of the file's samples)."""
    m = stored.shape[0]
    for k in np.flatnonzero(np.all(file_samples == stored[0], axis=1)):
        if k + m <= file_samples.shape[0] and np.array_equal(file_samples[k:k + m], stored):
            return int(k)
    return None


async def test_a_demo_set_on_a_replayed_recording_stores_the_files_samples(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / RECORDING
    app, store = open_app(tmp_path, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor.source is not None)
        assert app.sensor.source.info.name == f"Replay {RECORDING}"
        assert [c.muscle for c in app.sensor.source.info.channels] == ["EMG"]  # the file's label
        await press(pilot, "enter")
        bars_moved: set[int] = set()
        bar_names: list[str] = []

        def watch() -> bool:
            if isinstance(app.screen, SetScreen):
                bar = app.screen.query_one("#bar-0", ActivationBar)
                bar_names[:] = [b.muscle for b in app.screen.query(ActivationBar)]
                if bar.pct is not None:
                    bars_moved.add(round(bar.pct))
            return isinstance(app.screen, RatingScreen)

        await wait_until(pilot, watch)
        assert len(bars_moved) >= 3, "the bar should follow the recording"
        assert bar_names == ["EMG"], "the bar is named after the file's label"
        app.sets.adjust_rest(120)
        await press(pilot, "7")
        await wait_until(pilot, lambda: isinstance(app.screen, SetScreen))
        await press(pilot, "space")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await app.shutdown()

    rows = list(store.db["sets"].rows)
    assert len(rows) == 1 and rows[0]["status"] == "completed" and rows[0]["activation_rating"] == 7
    stored, rate = store.signal_of(rows[0]["id"])
    assert rate == 1000.0 and stored.shape[1] == 1 and stored.shape[0] > 5000
    assert sum(b.lost_samples for b in store.raw_blocks(rows[0]["id"])) == 0
    file_samples = read_recording(path).samples.astype(np.float32)
    at = find_in(file_samples, stored)
    assert at is not None, "the stored raw signal is one unbroken run of the file's samples"
    store.close()


async def test_the_app_says_when_the_recording_ended_and_stays_up(tmp_path: Path) -> None:
    path = tmp_path / "OpenBCI-RAW-short.txt"
    write_openbci_gui(path, burst_signal(200.0, 2.0, 4))
    app, store = open_app(tmp_path, path, speed=8.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor.source is not None)
        assert [c.muscle for c in app.sensor.source.info.channels] == [f"EXG Channel {i}" for i in range(4)]
        ended = "The recording OpenBCI-RAW-short.txt ended (2.0 s played): sets run as a timer only"
        await wait_until(pilot, lambda: ended in app.problems.latest(), timeout_s=30)
        # The link's news is a message the app handles after the line it said: wait for it, too.
        await wait_until(pilot, lambda: app.sensor.link_health is not None
                         and app.sensor.link_health.state is LinkState.DISCONNECTED, timeout_s=10)
        assert app.sensor.link_health.message == "recording ended"
        assert app.is_running
        await app.shutdown()
    store.close()


async def test_a_recording_that_does_not_read_leaves_a_timer_and_one_line(tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(b"\x00\x01\x02" * 100)
    app, store = open_app(tmp_path, path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor.ready.is_set())
        assert app.sensor.source is None
        lines = [line for line in app.problems.latest() if "did not open" in line]
        assert lines == [(f"The recording did not open ({path}:1: NUL bytes: a binary file, not a text recording): "
                         "sets run as a timer only")]
        assert app.sensor.status() == "no sensor: timer and rating only"
        await app.shutdown()
    store.close()
