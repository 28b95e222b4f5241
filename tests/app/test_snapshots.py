"""What the lifter sees, pinned: every screen at 80×24, 100×32 and 120×40, in both colour themes.

Each screen is reached once by the keys an athlete presses, in the real app
on a real database (empty, but for the history's four logged weeks) with the date fixed and the set clock frozen
(:mod:`frozen_app`), so a countdown shows its first second and every run
draws the same picture. The terminal is then resized and the theme switched
in place, and each picture compared with the accepted one: starting the app
is the cost (a few seconds each), so eight starts draw all 48 pictures.
A change to a screen fails here until its new picture is looked at and
accepted (``pytest --snapshot-update``); the pictures are under
``__snapshots__/`` beside this file, one SVG each, named
``test_screen[<screen>][<size>-<theme>].svg``.

The pictures are exact renders, so the test extra pins Textual, Rich and
pytest-textual-snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from frozen_app import (
    MONDAY,
    at_home,
    at_the_rating,
    footer_settled,
    frozen_app,
    in_cuff_setup,
    in_the_checkin,
    in_the_history,
    in_the_rest,
    in_the_set,
)
from program_log import four_weeks_logged
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from textual.pilot import Pilot

from gymtui.store import Store
from gymtui.themes import theme_names

SIZES = ((80, 24), (100, 32), (120, 40))
"""A laptop's default terminal, a gym-floor tablet, a Pi on a monitor; the app starts at the first."""

Reach = Callable[[Pilot[int]], Awaitable[None]]
SCREENS: dict[str, tuple[Reach, bool, bool]] = {
    "home": (at_home, False, False),
    "set": (in_the_set, False, False),
    "set-with-cuff": (in_the_set, True, False),
    "rating": (at_the_rating, False, False),
    "rest": (in_the_rest, False, False),
    "checkin": (in_the_checkin, False, False),
    "history": (in_the_history, False, True),
    "cuff-setup": (in_cuff_setup, True, False),
}
"""Each screen: how the athlete gets there from the home screen, whether a cuff is on, and whether
four weeks are logged first (a history of nothing shows nothing worth pinning)."""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("screen", list(SCREENS))
async def test_screen(snapshot: SnapshotAssertion, tmp_path: Path, screen: str) -> None:
    reach, cuff, logged = SCREENS[screen]
    pictures = snapshot.use_extension(SVGImageExtension)
    if logged:
        store = Store(tmp_path / "gym.db")
        four_weeks_logged(store, store.ensure_athlete("Athlete"), MONDAY - dt.timedelta(weeks=4))
        store.close()
    app = frozen_app(tmp_path / "gym.db", cuff=cuff)
    differ: list[str] = []
    async with app.run_test(size=SIZES[0]) as pilot:
        await reach(pilot)
        for width, height in SIZES:
            if (width, height) != app.size:
                await pilot.resize_terminal(width, height)
            for theme in theme_names():
                app.theme = theme
                await pilot.wait_for_scheduled_animations()
                await footer_settled(pilot)
                name = f"{width}x{height}-{theme}"
                drawn = app.export_screenshot(title="gymtui")
                matched = pictures(name=name) == drawn  # syrupy records (or, updating, writes) on ==
                if not matched:
                    (tmp_path / f"{name}.svg").write_text(drawn, encoding="utf-8")
                    differ.append(name)
    assert not differ, f"{screen}: pictures changed at {', '.join(differ)}: drawn now in {tmp_path} (look, then --snapshot-update)"
