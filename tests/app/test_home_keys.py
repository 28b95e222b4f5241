"""The home screen's keys in the real app: each reaches the app (as a message) and does what it says.

Enter, ``f``, ``r``, ``d`` and ``h`` are driven by the set, kill and week tests;
these are the keys no other test presses: ``c`` (check-in), ``b`` (cuff
setup) and ``s`` (same as last time, posted as the key would).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.bfr.rules import Limb, validate_settings
from gymtui.store import Store
from gymtui.ui.screens.checkin import CheckinScreen
from gymtui.ui.screens.cuff_setup import CuffSetupScreen
from gymtui.ui.screens.home import HomeScreen

MONDAY = dt.date(2026, 11, 23)


def toasts(app: GymApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_c_opens_the_check_in_and_escape_comes_back_home(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None,
                               30, "the home screen with its plan")
        await pilot.press("c")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, CheckinScreen), 10, "the check-in screen")
        await pilot.press("escape")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "the home screen again")
        await app.shutdown()
    store.close()


async def test_same_as_last_time_with_no_earlier_session_says_there_is_nothing_to_copy(tmp_path: Path) -> None:
    """What ``s`` posts. Week 1 opens on an activation drill, for which the key itself is greyed out
    (it copies working sets), so the screen posts its message here as the key would."""
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(athlete="Athlete", today=MONDAY))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(
            pilot,
            lambda: isinstance(app.screen, HomeScreen) and app.screen.info is not None
            and app.screen.info.next_set is not None,
            30,
            "the home screen offering the first planned set",
        )
        planned = app.screen.info.next_set
        assert planned is not None
        app.screen.post_message(HomeScreen.SameAsLastTime())
        expected = f"No earlier {planned.exercise} set {planned.set_number} to copy"
        await pilot_wait_until(pilot, lambda: expected in toasts(app), 10, expected, detail=lambda: toasts(app))
        assert app.sets.next_override is None, "nothing to copy: the next set stays as planned"
        await app.shutdown()
    store.close()


async def test_b_opens_the_cuff_setup_on_the_cuffs_settings_and_saving_changes_the_cuff(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=True, athlete="Athlete", cuff=validate_settings("arm", 180, 50), lop_given=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None,
                               30, "the home screen and the cuff")
        await pilot.press("b")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, CuffSetupScreen), 10, "the cuff setup screen")
        setup = app.screen
        assert isinstance(setup, CuffSetupScreen)
        setup.dismiss(validate_settings("leg", 200, 60))  # what Save does with these fields
        await pilot_wait_until(pilot, lambda: "Cuff: leg, 60 % of LOP" in toasts(app), 10, "the cuff's new settings",
                               detail=lambda: toasts(app))
        rig = app.cuff_rig
        assert rig is not None
        assert (rig.supervisor.settings.limb, rig.supervisor.settings.lop_mmhg) == (Limb.LEG, 200.0)
        await app.shutdown()  # makes the LOP write durable
    stored = store.latest_lop(app.athlete_id, "leg")
    store.close()
    assert stored is not None and stored["lop_mmhg"] == 200.0, "the new limb's LOP is stored"
