"""What the rating screen says about the EMG summary when none will come.

A set a dead process left unfinished gets no summary from the signal worker
(that worker died with it), and a set run as a timer only never had a sensor:
the screen must say so, not "waiting for the signal worker…". The sets are
real rows in a real SQLite file, left ``in_progress`` as a killed app leaves
them; the app marks them interrupted at start and ``r`` rates one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen

MONDAY = dt.date(2026, 11, 23)


def left_in_progress(db: Path, pipeline: dict[str, object]) -> int:
    """A set started and never finished (the process was killed), with or without a sensor's pipeline."""
    store = Store(db)
    athlete = store.ensure_athlete("Athlete")
    set_id = store.start_set(athlete, "Glute bridge, 3 s hold", "drill", pipeline=pipeline)
    store.close()
    return set_id


async def rate_the_interrupted_set(db: Path) -> tuple[str, list[str]]:
    """Start the app on ``db``, press ``r``, read the EMG line, rate 7; return the line and the toasts."""
    store = Store(db)
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot_wait_until(
            pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None and bool(app.screen.info.interrupted),
            30, "the home screen offering the interrupted set",
        )
        await pilot.press("r")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 10, "the rating screen")
        line = str(app.screen.query_one("#rating-summary").render())
        await pilot.press("7")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "home again")
        await pilot_wait_until(
            pilot, lambda: any("rated 7/10" in str(n.message) for n in app._notifications), 10, "the rating saved",
        )
        toasts = [str(n.message) for n in app._notifications]
        await app.shutdown()
    store.close()
    return line, toasts


def stored(db: Path, set_id: int) -> tuple[str, int | None]:
    with sqlite3.connect(db) as conn:
        status, rating = conn.execute("SELECT status, activation_rating FROM sets WHERE id = ?", (set_id,)).fetchone()
    return status, rating


async def test_an_interrupted_timer_only_set_says_there_was_no_sensor(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    set_id = left_in_progress(db, pipeline={})  # the app stores no pipeline when no sensor is connected
    line, _ = await rate_the_interrupted_set(db)
    assert line == "No sensor on this set: no EMG summary"
    assert "waiting" not in line.lower()
    assert stored(db, set_id) == ("interrupted", 7)


async def test_an_interrupted_set_with_a_sensor_says_its_summary_was_lost_not_that_it_is_coming(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    set_id = left_in_progress(db, pipeline={"band_hz": [20, 450], "rate_hz": 1000})
    line, _ = await rate_the_interrupted_set(db)
    assert line == "No EMG summary: the set stopped before it was summarised (its recorded signal is kept)"
    assert stored(db, set_id) == ("interrupted", 7)


async def test_a_live_set_without_a_sensor_says_there_is_no_emg_summary_even_after_the_set_is_summarised(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=False, speed=8.0, athlete="Athlete", today=MONDAY))
    app.clock.speed = 8.0
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 30, "the home screen")
        await pilot.press("f")  # the phase 4 finisher, run as a timer: no sensor is connected
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, "the rating screen")
        screen = app.screen
        # The runner's summary (reps, no EMG) arrives after the screen opens; the line must not change to "Peak –".
        await pilot_wait_until(pilot, lambda: bool(app.sets.summaries), 30, "the set's summary")
        await pilot.pause()
        assert str(screen.query_one("#rating-summary").render()) == "No sensor on this set: no EMG summary"
        await pilot.press("5")
        await app.shutdown()
    [row] = store.db["sets"].rows
    assert (row["status"], row["activation_rating"], row["peak_pct_mvc"]) == ("completed", 5, None)
    store.close()
