"""Faded feedback in the real app: what the athlete sees of the EMG in weeks 1, 3 and 4, and what is stored.

Weeks 1–2 show the bars; week 3 hides them (cues and rep marks stay); in
week 4 the first set of each exercise is a retention set: the screen stays
dark until the set ends, then the rating screen replays what the target did.
Each set's row stores the mode the athlete saw. The demo sensor (simulated
muscles through the real signal worker) drives every set.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from app_day import home_ready, where
from keys import press
from program_log import log_session
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import PhaseKind
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.widgets.set_replay import (
    GRID_SLACK_S,
    SAMPLE_INTERVAL_S,
    TITLE,
    SetReplay,
)

PLAN_START = dt.date(2026, 11, 2)  # a Monday: week 1
ATHLETE = "Rhea"
SPEED = 10.0
REPS_S = 6.0
"""Simulated seconds of reps before the athlete racks the bar (Space)."""
BLOCKS = set("▁▂▃▄▅▆▇█")


def seed_weeks_before(db: Path, week: int) -> None:
    """The plan from PLAN_START, trained Mon/Wed/Fri in every week before ``week`` (activation work)."""
    store = Store(db)
    athlete = store.ensure_athlete(ATHLETE)
    store.start_plan(athlete, "guide", PLAN_START.isoformat(), 1)
    offsets = [7 * w + d for w in range(week - 1) for d in (0, 2, 4)]
    for n, offset in enumerate(offsets):
        log_session(store, athlete, PLAN_START + dt.timedelta(days=offset),
                    [{"exercise": "Glute bridge, 3 s hold", "reps": 6, "activation_rating": 7}],
                    focus=("lower", "upper")[n % 2])
    store.close()


async def run_first_set(pilot, app: GymApp) -> dict[str, list[bool]]:
    """Enter on the home screen and the first set up to its rating screen; what the set screen showed, frame by frame."""
    await home_ready(pilot, app, "the home screen")
    await pilot_wait_until(pilot, lambda: app.signal is not None, 60, "the demo sensor")
    await press(pilot, "enter")
    seen: dict[str, list[bool]] = {"bars": [], "dark": [], "note": [], "pct": []}

    def rated_or_racked() -> bool:
        if isinstance(app.screen, RatingScreen):
            return True
        screen, engine = app.set_screen, app.runner.engine if app.runner else None
        if screen is not None and screen.is_mounted and engine is not None and engine.running and engine.stage is Stage.PHASE:
            seen["bars"].append(screen.query_one("#bars").display)
            seen["dark"].append(screen.has_class("-retention-dark"))
            seen["note"].append(screen.query_one("#retention-note").display)
            frame = app.sensor.last_frame
            seen["pct"].append(frame is not None and any(p is not None for p in frame.pct_mvc))
            if engine.current_phase.kind is PhaseKind.REPS and engine.view().elapsed_s >= REPS_S:
                app.sets.advance()  # Space: the bar is racked
        return False

    await pilot_wait_until(pilot, rated_or_racked, 120, "the rating screen of the first set", detail=lambda: where(app))
    return seen


def stored_sets(db: Path) -> list[dict]:
    store = Store(db)
    rows = [dict(r) for r in store.db.query("SELECT id, exercise, set_number, feedback, activation_rating, peak_pct_mvc FROM sets "
                                            "WHERE substr(started_at, 1, 4) = '2026' AND protocol != 'test' ORDER BY id")]
    store.close()
    return rows


@pytest.mark.timeout(300)
async def test_a_week_4_retention_set_is_dark_until_it_ends_then_replayed_and_stored_as_retention(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    seed_weeks_before(db, 4)
    monday = PLAN_START + dt.timedelta(weeks=3)
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete=ATHLETE, today=monday))
    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        assert app.home.plan.status.line.startswith("Week 4 of 4 · neural block")
        first = app.home.plan.next_set
        assert first is not None and first.set_number == 1
        seen = await run_first_set(pilot, app)
        # During the set: no bars, the calm line in their place, from its first phase to its last.
        assert seen["dark"] and all(seen["dark"][:-1]), seen["dark"]
        assert not any(seen["bars"][:-1]) and all(seen["note"][:-1])
        # After it: the replay of the target, on the rating screen.
        rating = app.screen
        assert isinstance(rating, RatingScreen)
        await pilot_wait_until(pilot, lambda: rating.query("#set-replay") and rating.query_one("#set-replay").content_size.width > 40,
                               10, "the replay on the rating screen")
        replay = rating.query_one("#set-replay", SetReplay)
        lines = replay.lines()
        assert lines[0] == TITLE
        # %MVC once the set's MVC phase calibrated the channels (µV only if no frame ever had it).
        assert ("% MVC" if any(seen["pct"]) else "µV") in lines[1], (lines[1], seen["pct"][-5:])
        strip = "".join(lines[2:5])
        assert BLOCKS & set(strip), lines  # the target's activation, drawn
        # The trace follows the set's work: six 3-s holds after the MVC, no denser than 10 points a second.
        points = replay.replay.points
        assert points[-1][0] - points[0][0] >= 0.8 * 6 * 3.0, points
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(points)]
        # On the 10 Hz grid; after frames the worker could not post in time the grid restarts
        # half a step on, so two points are never closer than that.
        assert min(gaps) >= SAMPLE_INTERVAL_S / 2 - GRID_SLACK_S, gaps
        assert max(v for _, v in points) > 20.0  # the holds show (the demo athlete squeezes at ~40 % MVC)
        await press(pilot, "7")
        await pilot_wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen), 30, "the rating taken")
        await app.shutdown()

    [row] = stored_sets(db)
    assert (row["exercise"], row["set_number"], row["feedback"], row["activation_rating"]) == (
        first.exercise, 1, "retention", 7)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("week", "mode", "bars"), [(1, "live", True), (3, "cues", False)])
async def test_week_1_shows_the_bars_and_week_3_hides_them_and_each_set_stores_its_mode(
    tmp_path: Path, week: int, mode: str, bars: bool
) -> None:
    db = tmp_path / "gym.db"
    seed_weeks_before(db, week)
    monday = PLAN_START + dt.timedelta(weeks=week - 1)
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete=ATHLETE, today=monday))
    async with app.run_test(size=(120, 45)) as pilot:
        await home_ready(pilot, app, "the home screen")
        assert app.home.plan.status.line.startswith(f"Week {week} of 4 · neural block")
        seen = await run_first_set(pilot, app)
        assert seen["bars"] and all(shown is bars for shown in seen["bars"]), seen["bars"]
        assert not any(seen["dark"]) and not any(seen["note"])
        assert isinstance(app.screen, RatingScreen) and not app.screen.query("#set-replay")
        await press(pilot, "8")
        await pilot_wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen), 30, "the rating taken")
        await app.shutdown()

    [row] = stored_sets(db)
    assert (row["feedback"], row["activation_rating"]) == (mode, 8)
