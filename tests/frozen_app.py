"""The real app on a fixed day with a set clock that moves only by hand, and the ways to each screen.

For pictures that must come out the same on every run (snapshots) and for
layout checks at a given terminal size: a new athlete's first Monday on a
real (empty) database, timer only (no sensor) unless a test asks for the demo
sensor, the date fixed and the set clock frozen, so a countdown shows its
first second. Each ``at_*``/``in_*`` coroutine takes a Pilot from the home
screen to one screen by the keys an athlete presses, with a deadline on every wait.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.bfr.profile import load_cuff_profile
from gymtui.bfr.rules import validate_settings
from gymtui.device_api import Cuff
from gymtui.model import PhaseKind
from gymtui.session.clock import ScaledClock
from gymtui.session.engine import Stage
from gymtui.sim.cuff import CuffParams
from gymtui.sim.simulated_cuff import SimulatedCuff
from gymtui.store import Store
from gymtui.themes import DEFAULT_THEME
from gymtui.ui.screens.checkin import CheckinScreen
from gymtui.ui.screens.cuff_setup import CuffSetupScreen
from gymtui.ui.screens.history import HistoryScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.footer import Footer

MONDAY = dt.date(2026, 11, 23)


class HandClock:
    """Wall seconds that move only when the test moves them: every run draws the same countdown."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


class FrozenApp(GymApp):
    """The real app with its hand clock at hand, and the simulated cuff when one is set up."""

    hand_clock: HandClock

    async def _make_cuff(self) -> Cuff:
        """The simulated cuff without its sensor noise: readings arrive in wall time, and with noise the
        pressure shown (0 or 1 mmHg at rest) would depend on how many had arrived by the picture."""
        profile = load_cuff_profile()
        params = dataclasses.replace(CuffParams.for_profile(profile), noise_mmhg=0.0)
        return SimulatedCuff(profile=profile, speed=self.config.speed, clock=self.clock, params=params)


def frozen_app(db: Path, *, cuff: bool = False, demo: bool = False, theme: str = DEFAULT_THEME) -> FrozenApp:
    """A new athlete's first Monday, timer only unless ``demo`` (the demo sensor's live bars), clock by hand."""
    hand = HandClock()
    config = AppConfig(
        athlete="Athlete", today=MONDAY, cuff=validate_settings("arm", 180, 50) if cuff else None,
        lop_given=cuff, demo=demo, theme=theme,
    )
    app = FrozenApp(Store(db), config, clock=ScaledClock(base=hand))
    app.hand_clock = hand
    return app


async def at_home(pilot: Pilot[int]) -> None:
    app = pilot.app
    await pilot_wait_until(
        pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None, 30,
        "the home screen with its plan",
    )
    if app.config.cuff is not None:  # type: ignore[attr-defined]
        await pilot_wait_until(pilot, lambda: app.cuff_rig is not None, 30, "the cuff")  # type: ignore[attr-defined]


async def in_the_set(pilot: Pilot[int]) -> None:
    await at_home(pilot)
    await pilot.press("enter")
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, SetScreen), 15, "the set screen")
    await pilot.pause(0.2)


async def at_the_rating(pilot: Pilot[int]) -> None:
    """The first planned set run to its end by moving the clock to each stage's due end, up to its rating.

    Each move is exactly what the stage has left, then the engine is awaited
    past it: the rest starts at its due start whatever the machine's load, so
    its countdown shows the same second on every run (stepping a second at a
    time until the rating screen appeared overshot by a few on a busy machine).
    """
    await in_the_set(pilot)
    app = pilot.app
    hand: HandClock = app.hand_clock  # type: ignore[attr-defined]
    for _ in range(100):
        engine = app.runner.engine  # type: ignore[attr-defined]
        view = engine.view()
        if view.stage is Stage.PHASE and view.phase is not None and view.phase.kind is PhaseKind.REST:
            break
        assert view.remaining_s is not None, f"{view.phase} waits for the athlete: not a timed set"
        where = (view.stage, view.index)
        hand.now_s += view.remaining_s + 1e-6
        await pilot_wait_until(pilot, lambda engine=engine, where=where: (engine.view().stage, engine.view().index) != where,
                               15, "the engine past the stage's due end", detail=engine.view)
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, RatingScreen), 15, "the rating screen")
    await pilot.pause(0.2)


def _in_rest(app: GymApp) -> bool:
    screen = app.screen
    if not isinstance(screen, SetScreen):
        return False
    engine = screen.controls.engine()
    view = engine.view() if engine is not None else None
    return view is not None and view.phase is not None and view.phase.kind is PhaseKind.REST


async def in_the_rest(pilot: Pilot[int]) -> None:
    """Rated 7, back on the set screen counting the rest (its "saved" notice cleared, so every run draws the same)."""
    await at_the_rating(pilot)
    await pilot.press("7")
    await pilot_wait_until(pilot, lambda: _in_rest(pilot.app), 15, "the rest after the first set")
    pilot.app.clear_notifications()
    await pilot.pause(0.2)


async def in_cuff_setup(pilot: Pilot[int]) -> None:
    await at_home(pilot)
    await pilot.press("b")
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, CuffSetupScreen), 15, "the cuff setup")
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is drawn or not by the instant of the capture
    await pilot.pause(0.2)


async def in_the_checkin(pilot: Pilot[int]) -> None:
    await at_home(pilot)
    await pilot.press("c")
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, CheckinScreen), 15, "the check-in")
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause(0.2)


async def in_the_history(pilot: Pilot[int]) -> None:
    await at_home(pilot)
    await pilot.press("h")
    await pilot_wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen), 15, "the history")
    await pilot.pause(0.3)


async def footer_settled(pilot: Pilot[int]) -> None:
    """Every footer on the screen in front shows the keys its bindings call for, fitted to the width,
    and no phase flash is colouring the screen."""
    await pilot_wait_until(pilot, lambda: all(f.up_to_date for f in pilot.app.screen.query(Footer)), 10,
                           "the footer's keys")
    await pilot_wait_until(pilot, lambda: not getattr(pilot.app, "flashes_on", 0), 10, "a phase's flash to end")
    await pilot.pause(0.1)  # the keys are fitted to the width after the refresh that drew them
