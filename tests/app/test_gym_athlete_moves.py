"""An athlete trains at rack A, then opens at rack B (another database): B's home shows the same plan and loads.

The real app (Pilot) on both racks, the real ``gymtui hub`` process and a
real Mosquitto in between. Rack A trains with ``--gym`` as ``rack-1``: its
own link sends each set's record; rack B opens the athlete with ``--gym`` as
``rack-2``, takes the hub's retained state and shows its home screen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from app_day import home_ready, run_next_set
from hub_process import HubProcess
from mqtt_broker import Broker
from waiting import pilot_wait_until, wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.gym.settings import BrokerSettings
from gymtui.store import Store
from gymtui.ui.screens.day_list import DayListScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.skip_reason import SkipReasonScreen

MONDAY = dt.date(2026, 11, 23)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
NEXT_MONDAY = MONDAY + dt.timedelta(days=7)
SPEED = 30.0
SAM = "Sam Lee"
SIZE = (120, 45)


def rack_app(db: Path, day: dt.date, gym: BrokerSettings | None = None, rack: str | None = None) -> GymApp:
    """A rack's app: no sensor (timer only), the day injected, the gym's broker when given."""
    return GymApp(Store(db), AppConfig(speed=SPEED, athlete=SAM, today=day, gym=gym, rack=rack))


def home_lines(app: GymApp) -> tuple[str, str, str]:
    """The plan panel's line and its "next" line, and the next set's line, as drawn."""
    screen = app.screen
    assert isinstance(screen, HomeScreen)
    return (
        str(screen.query_one("#plan-line").render()),
        str(screen.query_one("#plan-next").render()),
        str(screen.query_one("#home-next").render()).split("\n")[0],
    )


async def take_the_squat_first(pilot: Any, app: GymApp) -> None:
    """Skip the first activation drill (opens the day), then ``l`` and the first back squat set."""
    await home_ready(pilot, app, "the home screen")
    await pilot.press("x")
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, SkipReasonScreen), 10, "the skip prompt")
    await pilot.press("escape")
    await home_ready(pilot, app, "home after the skip")
    await pilot_wait_until(pilot, lambda: app.screen.info.plan.sequence is not None, 30, "the day's session open")
    await pilot.press("l")
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, DayListScreen), 10, "today's list")
    for _ in range(40):
        if app.screen.query_one("#day-list").highlighted_option.prompt.plain.find("Back squat · set 1 ") >= 0:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await home_ready(pilot, app, "home with the squat next")
    await pilot_wait_until(pilot, lambda: app.screen.info.next_set.exercise == "Back squat", 30, "the squat offered next")


@pytest.mark.timeout(900)
async def test_an_athlete_who_trained_at_rack_a_finds_the_same_plan_and_loads_at_rack_b(
    gym_broker: Broker, tmp_path: Path
) -> None:
    rack_a_db, rack_b_db = tmp_path / "rack-a.db", tmp_path / "rack-b.db"
    with HubProcess(gym_broker, tmp_path / "hub.db", tmp_path / "hub.log") as hub:
        # Rack A trains on the gym: its own link sends each set's record as it leaves the screen.
        monday = rack_app(rack_a_db, MONDAY, gym_broker.settings("rack-1"), "rack-1")
        async with monday.run_test(size=SIZE) as pilot:
            await take_the_squat_first(pilot, monday)
            await run_next_set(pilot, monday, 1, 7)  # asks the working weight the first time: 40 kg
            await monday.shutdown()
        wednesday = rack_app(rack_a_db, WEDNESDAY, gym_broker.settings("rack-1"), "rack-1")
        async with wednesday.run_test(size=SIZE) as pilot:
            await run_next_set(pilot, wednesday, 1, 6)
            await wednesday.shutdown()

        rack_a = Store(rack_a_db, readonly=True)
        done = rack_a.conn.execute("SELECT uuid, exercise FROM sets WHERE status = 'completed' ORDER BY id").fetchall()
        rack_a.close()
        assert [r[1] for r in done] == ["Back squat", done[1][1]], "a squat Monday, a drill Wednesday"
        wait_until(lambda: all(f"set {uuid[:8]} " in hub.output() for uuid, _ in done), 60,
                   "the hub stored rack A's sets, sent by rack A", detail=hub.output)

        at_b = rack_app(rack_b_db, NEXT_MONDAY, gym_broker.settings("rack-2"), "rack-2")
        async with at_b.run_test(size=SIZE) as pilot:
            await home_ready(pilot, at_b, "rack B's home screen")
            b_plan = home_lines(at_b)[:2]
            await take_the_squat_first(pilot, at_b)
            b_squat = home_lines(at_b)[2]
            await at_b.shutdown()

    at_a = rack_app(rack_a_db, NEXT_MONDAY)  # the same day at rack A, for what it would have shown
    async with at_a.run_test(size=SIZE) as pilot:
        await home_ready(pilot, at_a, "rack A's home screen")
        a_plan = home_lines(at_a)[:2]
        await take_the_squat_first(pilot, at_a)
        a_squat = home_lines(at_a)[2]
        await at_a.shutdown()

    # A new athlete would be in week 1 with no load: B counts Monday's and Wednesday's sessions, and Monday's squat.
    assert b_plan == a_plan
    assert b_plan[0] == "Week 2 of 4 · neural block · today: lower body", b_plan
    assert b_squat == a_squat
    assert b_squat.startswith("Next set: Back squat · set 1 of 4 · 6 reps · 40 kg"), b_squat
