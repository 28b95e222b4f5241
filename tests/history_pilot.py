"""Driving the history screen through Pilot: open it from the home, pick an exercise from its list."""

from __future__ import annotations

from app_day import home_ready
from textual.pilot import Pilot
from textual.widgets import OptionList
from waiting import pilot_wait_until

from gymtui.app import GymApp
from gymtui.ui.screens.history import HistoryScreen


async def open_history(pilot: Pilot[int], app: GymApp) -> HistoryScreen:
    """``h`` on the home screen, once it is ready; the history screen in front."""
    await home_ready(pilot, app, "the home screen")
    await pilot.press("h")
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), 30, "the history screen")
    screen = app.screen
    assert isinstance(screen, HistoryScreen)
    return screen


async def pick(pilot: Pilot[int], screen: HistoryScreen, name: str) -> None:
    """Down the exercise list (focused on opening) to ``name``, and wait until the right side shows it."""
    listing = screen.query_one("#exercise-list", OptionList)
    index = next(i for i, e in enumerate(screen.data.exercises) if e.exercise == name)
    for _ in range(len(screen.data.exercises)):
        if listing.highlighted == index:
            break
        await pilot.press("down" if (listing.highlighted or 0) < index else "up")
    title = screen.query_one("#exercise-title")
    await pilot_wait_until(pilot, lambda: str(title.render()) == name, 10, f"{name} shown", detail=lambda: str(title.render()))
