"""The check-in as an athlete fills it in the real app: Tab and Enter move on, blanks stay blank.

Enter on a question goes to the next one (only Enter on the last, or the
button, asks for advice); a question left blank is stored as NULL, never as
an answer the athlete did not give; the whole form fits 80×24. What is
checked is what the real SQLite file holds afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from textual import events
from textual.widgets import Button, Input
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.checkin import CheckinScreen
from gymtui.ui.screens.home import HomeScreen

MONDAY = dt.date(2026, 11, 23)


def checkins(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM checkins ORDER BY id")]
    finally:
        conn.close()


def focused_id(app: GymApp) -> str | None:
    return app.focused.id if app.focused is not None else None


async def open_checkin(app: GymApp, pilot: Any) -> CheckinScreen:
    await pilot_wait_until(
        pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None, 30, "the home screen"
    )
    await pilot.press("c")
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, CheckinScreen), 10, "the check-in")
    screen = app.screen
    assert isinstance(screen, CheckinScreen)
    return screen


def on_screen(screen: CheckinScreen, selector: str, size: tuple[int, int]) -> bool:
    region = screen.query_one(selector).region
    return region.height > 0 and region.y >= 0 and region.bottom <= size[1] and region.right <= size[0]


async def test_tab_and_enter_fill_every_answer_and_each_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_checkin(app, pilot)
        for selector in ("#sleep", "#rhr", "#coordination", "#mood", "#submit"):
            assert on_screen(screen, selector, (80, 24)), f"{selector} is cut off at 80×24"
        assert focused_id(app) == "sleep"
        await pilot.press("7", ".", "5", "enter")
        await pilot.pause()
        # Enter after the first answer moves on: no advice yet, nothing stored.
        assert focused_id(app) == "rhr" and not screen.query_one("#advice").display
        await pilot.press("5", "8", "tab")
        await pilot.pause()
        assert focused_id(app) == "coordination"
        await pilot.press("4", "enter")
        await pilot.pause()
        assert focused_id(app) == "mood"
        await pilot.press("2", "tab")  # Tab from the last answer reaches the button …
        await pilot.pause()
        assert focused_id(app) == "submit"
        await pilot.press("enter")  # … and Enter on it asks for advice
        await pilot_wait_until(pilot, lambda: screen.query_one("#advice").display, 5, "the advice")
        assert screen.query_one("#sleep", Input).value == "7.5"
        assert str(screen.query_one("#answers").render()) == (
            "Slept 7.5 h · resting HR 58 bpm · coordination 4/5 · mood 2/5"
        )
        assert on_screen(screen, "#light", (80, 24)) and on_screen(screen, "#go", (80, 24))
        await pilot.press("g")  # advised a light day (low mood), the athlete trains as planned
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "home again")
        await pilot_wait_until(
            pilot, lambda: any("Check-in saved" in str(n.message) for n in app._notifications), 10, "the check-in saved"
        )
        await app.shutdown()
    store.close()
    (row,) = checkins(db)
    athlete_id = sqlite3.connect(db).execute("SELECT id FROM athletes WHERE name = 'Athlete'").fetchone()[0]
    assert row["athlete_id"] == athlete_id and row["session_id"] is None and row["taken_at"]
    assert {k: row[k] for k in ("sleep_h", "resting_hr_bpm", "baseline_rhr_bpm", "coordination", "mood")} == {
        "sleep_h": 7.5, "resting_hr_bpm": 58.0, "baseline_rhr_bpm": 58.0, "coordination": 4, "mood": 2,
    }
    assert (row["advice"], json.loads(row["reasons"]), row["choice"]) == ("light", ["irritable or low mood"], "go")


async def test_answers_left_blank_are_stored_as_not_given(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_checkin(app, pilot)
        await pilot.press("8", "enter", "enter", "enter")  # sleep only: heart rate, coordination, mood left blank
        await pilot.pause()
        assert focused_id(app) == "mood" and not screen.query_one("#advice").display
        await pilot.press("enter")  # Enter on the last question asks for advice
        await pilot_wait_until(pilot, lambda: screen.query_one("#advice").display, 5, "the advice")
        assert str(screen.query_one("#answers").render()) == (
            "Slept 8 h · resting HR not given · coordination not given · mood not given"
        )
        await pilot.press("g")
        await pilot_wait_until(
            pilot, lambda: any("Check-in saved" in str(n.message) for n in app._notifications), 10, "the check-in saved"
        )
        await app.shutdown()
    store.close()
    (row,) = checkins(db)
    assert {k: row[k] for k in ("sleep_h", "resting_hr_bpm", "baseline_rhr_bpm", "coordination", "mood")} == {
        "sleep_h": 8.0, "resting_hr_bpm": None, "baseline_rhr_bpm": None, "coordination": None, "mood": None,
    }
    assert (row["advice"], json.loads(row["reasons"]), row["choice"]) == ("go", [], "go")


async def test_the_button_is_on_screen_and_asks_for_advice_at_100x32(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_checkin(app, pilot)
        assert on_screen(screen, "#submit", (100, 32))
        assert "advice" in str(screen.query_one("#submit", Button).label).lower()
        await pilot.press("6")
        await pilot.click("#submit")
        await pilot_wait_until(pilot, lambda: screen.query_one("#advice").display, 5, "the advice")
        assert "slept 6 h" in str(screen.query_one("#advice-reasons").render())
        await app.shutdown()
    store.close()


def type_ahead(app: GymApp, keys: str) -> None:
    """Keys as a terminal delivers a fast typist's burst: all queued at once, none waiting for the screen.

    (``pilot.press`` waits for the app to go idle after each key, which hides
    a field that moves on only after the keys behind it were dispatched.)
    """
    for character in keys:
        key = {"\r": "enter", "\t": "tab", ".": "full_stop"}.get(character, character)
        app.post_message(events.Key(key, character))


async def test_answers_typed_ahead_in_one_burst_land_in_their_own_fields(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_checkin(app, pilot)
        type_ahead(app, "6.5\r63\t2\r4")
        await pilot_wait_until(pilot, lambda: screen.query_one("#mood", Input).value == "4", 5, "the last answer typed")
        assert [screen.query_one(f"#{k}", Input).value for k in ("sleep", "rhr", "coordination", "mood")] == [
            "6.5", "63", "2", "4",
        ]
        assert not screen.query_one("#advice").display  # nothing asked for advice before the last Enter
        type_ahead(app, "\r")
        await pilot_wait_until(pilot, lambda: screen.query_one("#advice").display, 5, "the advice")
        type_ahead(app, "l")
        await pilot_wait_until(
            pilot, lambda: any("Check-in saved" in str(n.message) for n in app._notifications), 10, "the check-in saved"
        )
        await app.shutdown()
    store.close()
    (row,) = checkins(db)
    assert {k: row[k] for k in ("sleep_h", "resting_hr_bpm", "coordination", "mood", "advice", "choice")} == {
        "sleep_h": 6.5, "resting_hr_bpm": 63.0, "coordination": 2, "mood": 4, "advice": "rest", "choice": "light",
    }
