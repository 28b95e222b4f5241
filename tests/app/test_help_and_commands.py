"""``?`` shows the keys of the screen in front, one line each; ctrl+p finds the same actions by name.

The real app on a real SQLite file. The expected lines are written out here
(what a lifter should read), so a key that vanishes from a screen, loses its
description or stops showing in help fails a test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets._footer import FooterKey
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.session.clock import ScaledClock
from gymtui.store import Store
from gymtui.ui.screens.checkin import CheckinScreen
from gymtui.ui.screens.help import HelpScreen
from gymtui.ui.screens.history import HistoryScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen

MONDAY = dt.date(2026, 11, 23)

HOME_KEYS = [
    ("⏎", "Start set"), ("s", "Same as last time"), ("f", "Phase 4 finisher"), ("c", "Check-in"), ("h", "History"),
    ("b", "Cuff setup"), ("x", "Skip set"), ("e", "End session"), ("l", "Today's sets"), ("a", "Athletes"),
    ("m", "Fresh MVC"), ("B", "Quick BFR set"), ("r", "Rate unfinished"), ("d", "Discard unfinished"), ("q", "Quit"),
]
SET_KEYS = [("space", "Next"), ("esc", "Abort set"), ("p", "Pause"), ("+", "+15 s"), ("-", "−15 s"), ("q", "Quit")]
RATING_KEYS = [
    ("1 2 3 4 5 6 7 8 9 0", "Rate 1–10"), ("↑ ↓", "Load: + −"), ("→ ←", "Reps: + −"), ("] [", "In reserve: + −"),
    ("⏎", "Keep, no rating"), ("esc", "Skip"),
]
APP_KEYS = [("?", "Help"), ("^p", "Command palette")]


def help_lines(app: GymApp) -> list[str]:
    """The help as shown: one rendered line per key."""
    assert isinstance(app.screen, HelpScreen)
    return [str(line.render()) for line in app.screen.query(".help-line")]


def has_line(lines: list[str], keys: str, description: str) -> bool:
    return any(line.split() [: len(keys.split())] == keys.split() and description in line for line in lines)


def missing(lines: list[str], expected: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, d) for k, d in expected if not has_line(lines, k, d)]


def open_app(tmp_path: Path, **config: object) -> tuple[GymApp, Store]:
    store = Store(tmp_path / "gym.db")
    return GymApp(store, AppConfig(athlete="Athlete", today=MONDAY, **config)), store  # type: ignore[arg-type]


async def at_home(app: GymApp, pilot) -> None:
    await pilot_wait_until(
        pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None, 30, "the home screen"
    )


async def test_question_mark_on_home_lists_each_home_key_and_closes_with_question_mark_or_escape(tmp_path: Path) -> None:
    app, store = open_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_home(app, pilot)
        # The footer lays its keys out after the home's first read: wait for it, never assume it.
        await pilot_wait_until(
            pilot, lambda: any(k.key_display == "?" and k.description == "Help" for k in app.screen.query(FooterKey)),
            10, "the footer's '? Help' key")
        await pilot.press("question_mark")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 10, "the help")
        lines = help_lines(app)
        assert missing(lines, HOME_KEYS + APP_KEYS) == [], "\n".join(lines)
        assert len(lines) == len(set(lines))  # each key once
        # Nothing was interrupted: r and d say they do nothing now, Enter is ready.
        assert has_line(lines, "r", "Rate unfinished  (not now)") and not has_line(lines, "⏎", "(not now)")
        await pilot.press("question_mark")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "home after ? again")
        await pilot.press("question_mark")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 10, "the help again")
        await pilot.press("escape")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "home after Esc")
        await app.shutdown()
    store.close()


async def test_question_mark_during_a_set_lists_the_set_keys_and_escape_closes_help_not_the_set(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    # The set clock stands still: the set is still running however long the help takes on a busy machine.
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY), clock=ScaledClock(base=lambda: 1000.0))
    async with app.run_test(size=(100, 32)) as pilot:
        await at_home(app, pilot)
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 30, "the set screen")
        await pilot_wait_until(pilot, lambda: any(k.key_display == "?" for k in app.screen.query(FooterKey)), 10,
                               "the set screen's footer showing '? Help'")
        await pilot.press("question_mark")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 10, "the help over the set")
        lines = help_lines(app)
        assert missing(lines, SET_KEYS + APP_KEYS) == [], "\n".join(lines)
        assert has_line(lines, "^d", "Drop sensor link")
        await pilot.press("escape")  # closes help; the set goes on (Esc on the set itself would abort it)
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 10, "the set again")
        assert app.runner.status == "in_progress"
        await app.shutdown()
    store.close()


async def test_question_mark_on_the_rating_screen_lists_the_rating_keys(tmp_path: Path) -> None:
    dead = Store(tmp_path / "gym.db")
    dead.start_set(dead.ensure_athlete("Athlete"), "Glute bridge, 3 s hold", "drill")
    dead.close()
    app, store = open_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot_wait_until(
            pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None and bool(app.screen.info.interrupted),
            30, "the home screen with the interrupted set",
        )
        await pilot.press("r")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 10, "the rating screen")
        await pilot_wait_until(
            pilot, lambda: any(k.key_display == "?" and k.description == "Help" for k in app.screen.query(FooterKey)),
            10, "the rating screen's footer showing '? Help'",
        )
        await pilot.press("question_mark")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 10, "the help over the rating")
        lines = help_lines(app)
        assert missing(lines, RATING_KEYS + APP_KEYS) == [], "\n".join(lines)
        # A drill's rating has no load or reps to change: those keys say so.
        assert has_line(lines, "↑ ↓", "Load: + −  (not now)") and not has_line(lines, "1", "(not now)")
        await pilot.press("escape")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 10, "the rating screen again")
        await pilot.press("8")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "home after rating")
        await app.shutdown()
    store.close()


async def test_question_mark_works_over_the_check_in_form_and_is_not_typed_into_it(tmp_path: Path) -> None:
    app, store = open_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_home(app, pilot)
        await pilot.press("c")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, CheckinScreen), 10, "the check-in")
        form = app.screen
        await pilot.press("7", "question_mark")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 10, "the help over the check-in")
        lines = help_lines(app)
        assert missing(lines, [("esc", "Skip check-in"), ("g", "Train as planned"), ("⏎", "Next question"), ("?", "Help")]) == []
        await pilot.press("question_mark")
        await pilot_wait_until(pilot, lambda: app.screen is form, 10, "the check-in again")
        assert form.query_one("#sleep").value == "7"
        await app.shutdown()
    store.close()


async def test_the_palette_finds_history_by_name_and_running_it_opens_history(tmp_path: Path) -> None:
    app, store = open_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await at_home(app, pilot)
        await pilot.press("ctrl+p")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), 10, "the command palette")
        await pilot.press(*"History")
        palette = app.screen
        await pilot_wait_until(
            pilot, lambda: palette._list_visible and palette.query_one("CommandList").option_count > 0, 10, "a match"
        )
        first = palette.query_one("CommandList").get_option_at_index(0)
        assert "History" in str(first.prompt)
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), 20, "the history screen")
        await app.shutdown()
    store.close()


async def test_the_palette_offers_only_what_works_now(tmp_path: Path) -> None:
    """No interrupted set: "Rate unfinished" is not offered; the home's ready actions are, by their names."""
    app, store = open_app(tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await at_home(app, pilot)
        await pilot.press("ctrl+p")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), 10, "the command palette")
        palette = app.screen
        await pilot_wait_until(pilot, lambda: palette.query_one("CommandList").option_count > 0, 10, "the offered actions")
        await pilot.pause()
        listed = palette.query_one("CommandList")
        names = [str(listed.get_option_at_index(i).prompt).split("\n")[0] for i in range(listed.option_count)]
        for name in ("Start set", "Check-in", "History", "Athletes", "Quit", "Help"):
            assert any(n.startswith(name) for n in names), names
        assert not any(n.startswith("Rate unfinished") for n in names), names
        await pilot.press("escape")
        await app.shutdown()
    store.close()
