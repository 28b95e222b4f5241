"""A rack asking for an athlete's state never waits past its deadline: no broker, no state, it trains on."""

from __future__ import annotations

from pathlib import Path

import pytest
from mqtt_broker import Broker
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.gym.state_fetch import fetch_athlete_state
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen

pytestmark = pytest.mark.timeout(120)


def test_an_athlete_the_hub_never_heard_of_has_no_state(gym_broker: Broker) -> None:
    assert fetch_athlete_state(gym_broker.settings("rack-2"), "Nobody Yet", timeout_s=10) is None


async def test_a_rack_whose_broker_is_away_opens_the_athlete_on_its_own_log(gym_broker: Broker, tmp_path: Path) -> None:
    settings = gym_broker.settings("rack-2")
    gym_broker.stop()
    app = GymApp(Store(tmp_path / "rack.db"), AppConfig(athlete="Sam Lee", gym=settings, rack="rack-2"))
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None, 60,
                               "the home screen with no broker")
        assert app.screen.info.plan.status.line.startswith("Week 1 of 4")
        await app.shutdown()
