"""What the lifter sees, pinned: the home, set, rating and cuff-setup screens at 80×24 and 120×40.

Each screen is rendered by the real app on a real (empty) database, with the
date fixed and the set clock frozen, so a countdown shows its first second
and every run draws the same picture. A change to a screen fails here until
its new picture is looked at and accepted (``pytest --snapshot-update``); the
pictures are under ``__snapshots__/`` beside this file, one SVG each.

The pictures are exact renders, so the test extra pins Textual and Rich.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.bfr.rules import validate_settings
from gymtui.device_api import Cuff
from gymtui.session.clock import ScaledClock
from gymtui.sim.simulated_cuff import SimulatedCuff
from gymtui.store import Store
from gymtui.ui.screens.cuff_setup import CuffSetupScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen

MONDAY = dt.date(2026, 11, 23)
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


class SnapCompare(Protocol):
    def __call__(
        self,
        app: GymApp,
        press: tuple[str, ...] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[int]], Awaitable[None]] | None = None,
    ) -> bool: ...


class HandClock:
    """Wall seconds that move only when the test moves them: every run draws the same countdown."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


class SimulatedCuffApp(GymApp):
    """The real app with the simulated cuff and no EMG sensor (``--demo`` would add the demo sensor's live bars)."""

    async def _make_cuff(self) -> Cuff:
        return SimulatedCuff(speed=self.config.speed, clock=self.clock)


def frozen_app(db: Path, *, cuff: bool = False) -> GymApp:
    """A new athlete's first Monday, timer only (no sensor), with a set clock that moves by hand."""
    hand = HandClock()
    config = AppConfig(athlete="Athlete", today=MONDAY, cuff=validate_settings("arm", 180, 50) if cuff else None,
                       lop_given=cuff)
    app = (SimulatedCuffApp if cuff else GymApp)(Store(db), config, clock=ScaledClock(base=hand))
    app.hand_clock = hand  # type: ignore[attr-defined]
    return app


async def at_home(pilot: Pilot[int]) -> None:
    app = pilot.app
    await pilot_wait_until(
        pilot,
        lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None,
        30,
        "the home screen with its plan",
    )


async def in_the_set(pilot: Pilot[int]) -> None:
    await at_home(pilot)
    await pilot.press("enter")
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, SetScreen), 15, "the set screen")
    await pilot.pause(0.2)


async def at_the_rating(pilot: Pilot[int]) -> None:
    """The first planned set run to its end by moving the clock a second at a time, up to its rating."""
    await in_the_set(pilot)
    hand: HandClock = pilot.app.hand_clock  # type: ignore[attr-defined]
    for _ in range(600):
        if isinstance(pilot.app.screen, RatingScreen):
            break
        hand.now_s += 1.0
        await pilot.pause(0.02)
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, RatingScreen), 15, "the rating screen")
    await pilot.pause(0.2)


async def in_cuff_setup(pilot: Pilot[int]) -> None:
    await at_home(pilot)
    await pilot_wait_until(pilot, lambda: pilot.app.cuff_rig is not None, 30, "the cuff")  # type: ignore[attr-defined]
    await pilot.press("b")
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, CuffSetupScreen), 15, "the cuff setup")
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is drawn or not by the instant of the capture
    await pilot.pause(0.2)


@SIZES
def test_home_on_a_new_athletes_first_day(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(tmp_path / "gym.db"), terminal_size=size, run_before=at_home)


@SIZES
def test_set_screen_counts_in_the_first_hold(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(tmp_path / "gym.db"), terminal_size=size, run_before=in_the_set)


@SIZES
def test_rating_after_the_first_set(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(tmp_path / "gym.db"), terminal_size=size, run_before=at_the_rating)


@SIZES
def test_cuff_setup(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(frozen_app(tmp_path / "gym.db", cuff=True), terminal_size=size, run_before=in_cuff_setup)
