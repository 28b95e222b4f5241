"""Drive a training day in the real app (Pilot): one planned set at a time, as the athlete does at the rack.

Enter on the home screen, Space once a run of reps has gone on long enough
(the athlete racks the bar), a digit for the rating, Space to skip the rest,
then back home and the home screen read again. Every wait has a deadline.
And ``gymtui plan``'s list of the day, read from the real command.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from keys import press
from waiting import pilot_wait_until

from gymtui.app import GymApp
from gymtui.model import PhaseKind
from gymtui.session.engine import Stage
from gymtui.session.templates import WorkflowPhase
from gymtui.ui.screens.confirm import ConfirmScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.working_weight import WorkingWeightScreen

REPS_S = 6.0
"""Simulated seconds of reps before the athlete racks the bar (Space)."""
SET_WALL_S = 120.0
"""Wall seconds one set may take, lead-ins to rating, on a loaded machine (alone: about 3 s)."""


WORKING_WEIGHT = "40"
"""What the athlete types when a loaded exercise with nothing logged asks for a working weight (kg)."""


async def answer_working_weight(pilot: Any, weight: str) -> None:
    """Type a working weight into the question, as the athlete does: clear the field, digits, Enter."""
    for _ in range(6):
        await press(pilot, "backspace")
    await press(pilot, *weight, "enter")


def where(app: GymApp) -> str:
    engine = app.runner.engine if app.runner else None
    phase = f"{engine.stage.name} {engine.current_phase.kind}" if engine and engine.running else "no set running"
    return f"screen {type(app.screen).__name__}, {phase}"


def autoregulation_pending(app: GymApp) -> bool:
    """The 80 % rule is still being checked after a rating: its offer may yet come up over the home screen."""
    return any(w.group == "autoregulation" and not w.is_finished for w in app.workers)


def at_home(app: GymApp) -> bool:
    """The home screen is on top with what it read, the 80 % rule has had its say, and its offer is declined (n)."""
    if isinstance(app.screen, ConfirmScreen):
        app.screen.action_answer(False)
        return False
    return (not autoregulation_pending(app) and isinstance(app.screen, HomeScreen)
            and app.screen.info is not None and app.set_screen is None)


async def home_ready(pilot: Any, app: GymApp, what: str) -> None:
    await pilot_wait_until(pilot, lambda: at_home(app), 60, what, detail=lambda: where(app))


async def reread_home(pilot: Any, app: GymApp, what: str) -> None:
    """The home screen reads the plan again (as it does on resume) and shows what it read."""
    await home_ready(pilot, app, what)
    before = app.screen.info
    assert isinstance(app.screen, HomeScreen)
    app.screen.refresh_info()
    await pilot_wait_until(pilot, lambda: at_home(app) and app.screen.info is not before, 30, what,
                           detail=lambda: where(app))


async def run_next_set(pilot: Any, app: GymApp, n: int, rating: int) -> None:
    """Enter, the set, Space when racked, the rating digit, Space through the rest, home again."""
    await home_ready(pilot, app, f"the home screen offering set {n}")
    await press(pilot, "enter")
    await finish_set(pilot, app, n, rating)


async def finish_set(pilot: Any, app: GymApp, n: int, rating: int) -> None:
    """The set Enter started: Space when racked, the rating digit, Space through the rest, home again."""

    def asked_or_rated_or_racked() -> bool:
        if isinstance(app.screen, RatingScreen | WorkingWeightScreen):
            return True
        engine = app.runner.engine if app.runner else None
        if (engine is not None and engine.stage is Stage.PHASE and engine.current_phase.kind is PhaseKind.REPS
                and engine.view().elapsed_s >= REPS_S):
            app.sets.advance()  # what Space does
        return False

    await pilot_wait_until(pilot, asked_or_rated_or_racked, SET_WALL_S, f"the rating screen after set {n}",
                           detail=lambda: where(app))
    if isinstance(app.screen, WorkingWeightScreen):  # the first time a loaded exercise comes up
        await answer_working_weight(pilot, WORKING_WEIGHT)
        await pilot_wait_until(pilot, lambda: not isinstance(app.screen, WorkingWeightScreen), 30,
                               f"the working-weight question of set {n} answered", detail=lambda: where(app))
        await pilot_wait_until(pilot, asked_or_rated_or_racked,
                               SET_WALL_S, f"the rating screen after set {n}", detail=lambda: where(app))
        assert isinstance(app.screen, RatingScreen), f"asked twice for a working weight in set {n}"
    await press(pilot, str(rating % 10))
    await pilot_wait_until(pilot, lambda: app.runner.engine.stage is Stage.PHASE or not app.runner.engine.running,
                           30, f"the rest after rating set {n}", detail=lambda: where(app))
    app.sets.advance()  # Space skips the rest
    await home_ready(pilot, app, f"the home screen after set {n}")
    await reread_home(pilot, app, f"the home screen to re-read the plan after set {n}")


def plan_list(db: Path, day: dt.date, athlete: str) -> list[tuple[str, int]]:
    """``gymtui plan``'s sets for the day, in order, as (exercise, set number)."""
    out = subprocess.run(
        [sys.executable, "-m", "gymtui", "plan", "--db", str(db), "--date", day.isoformat(), "--athlete", athlete],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(), check=True,
    ).stdout
    listed = []
    for line in out.splitlines():
        fields = line.split(maxsplit=1)
        if len(fields) == 2 and " · set " in fields[1] and fields[0] in {w.value for w in WorkflowPhase}:
            parts = fields[1].split(" · ")
            number = next(p for p in parts if p.startswith("set "))
            listed.append((parts[0], int(number.split()[1])))
    return listed
