"""A form cue buzzes the Myo: the real app, the emulated armband over the real bleak API.

The sensor controller gets frames whose ``feedback.cues_fired`` grows (as
the signal worker sends them when a cue fires) and asks the BLE source to
vibrate; the emulated Myo records the vibrate command it receives. A frame
that repeats the count buzzes nothing more, and a retention set (nothing
reaches the athlete until it ends) buzzes not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from app_day import home_ready, where
from keys import press
from program_log import log_session
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import Biofeedback, FormCue, FormCueKind
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.rating import RatingScreen

pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")

COMMAND = "d5060401-a904-deb9-4748-2c7f4a124842"
SHORT_BUZZ = bytes.fromhex("030101")
CUE = FormCue(1.5, FormCueKind.COMPENSATION, 1, "Biceps", 0.38, "Hands as hooks, elbows to the pockets", rep=1)
PLAN_START = dt.date(2026, 11, 2)


def cue_frame(app: GymApp, cues_fired: int):
    """The newest real frame, carrying the coaching state of a set in which ``cues_fired`` cues fired."""
    frame = app.sensor.last_frame
    assert frame is not None
    return dataclasses.replace(frame, feedback=Biofeedback(cue=CUE, marked=(1,), cues_fired=cues_fired))


def buzzes_at_the_armband(app: GymApp) -> list[bytes]:
    sensor = app.sensor.emulation.sensor
    return [data for uuid, data in sensor.writes if uuid == COMMAND and data[:1] == b"\x03"]


async def test_each_new_cue_sends_one_short_vibrate_to_the_emulated_myo(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=True, speed=2.0, athlete="Demo athlete", emulate="myo"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: app.signal is not None and app.sensor.last_frame is not None, 60,
                               "the emulated Myo streaming")
        await home_ready(pilot, app, "the home screen")
        await press(pilot, "f")  # a quick set: no plan, live feedback
        await pilot_wait_until(pilot, lambda: app.runner is not None and app.runner.engine.running
                               and app.runner.engine.stage is Stage.PHASE, 60, "the set running", detail=lambda: where(app))
        assert app.sets.feedback == "live"
        myo = app.sensor.emulation.sensor
        assert buzzes_at_the_armband(app) == []
        app.sensor.frame_arrived(cue_frame(app, 1))  # the cue fires
        app.sensor.frame_arrived(cue_frame(app, 1))  # the same cue, still showing: no second buzz
        await pilot_wait_until(pilot, lambda: len(myo.vibrations) >= 1, 10, "the buzz at the armband")
        # The armband has it before the write's response is back; a cue while a buzz is on its way is not
        # buzzed again (by design), so the next frame comes once the first write is done.
        await pilot_wait_until(pilot, lambda: app.sensor._buzz is None or app.sensor._buzz.done(), 10,
                               "the first buzz's write answered")
        app.sensor.frame_arrived(cue_frame(app, 3))  # two more fired while frames were dropped: one buzz
        await pilot_wait_until(pilot, lambda: len(myo.vibrations) >= 2, 10, "the second buzz at the armband")
        await pilot.pause(0.2)
        assert [length for _, length in myo.vibrations] == [1, 1]  # short, twice
        assert buzzes_at_the_armband(app) == [SHORT_BUZZ, SHORT_BUZZ]
        assert app.sensor.buzzes == 2
        await press(pilot, "escape")
        await app.shutdown()


async def test_a_retention_set_never_buzzes(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    store = Store(db)
    athlete = store.ensure_athlete("Rhea")
    store.start_plan(athlete, "guide", PLAN_START.isoformat(), 1)
    for n, offset in enumerate(7 * w + d for w in range(3) for d in (0, 2, 4)):
        log_session(store, athlete, PLAN_START + dt.timedelta(days=offset),
                    [{"exercise": "Glute bridge, 3 s hold", "reps": 6, "activation_rating": 7}], focus=("lower", "upper")[n % 2])
    app = GymApp(store, AppConfig(demo=True, speed=4.0, athlete="Rhea", emulate="myo", today=PLAN_START + dt.timedelta(weeks=3)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: app.signal is not None and app.sensor.last_frame is not None, 60,
                               "the emulated Myo streaming")
        await home_ready(pilot, app, "the home screen")
        await press(pilot, "enter")  # week 4, the first set of the day: its exercise's retention set
        await pilot_wait_until(pilot, lambda: app.runner is not None and app.runner.engine.running
                               and app.runner.engine.stage is Stage.PHASE, 60, "the set running", detail=lambda: where(app))
        assert app.sets.feedback == "retention"
        app.sensor.frame_arrived(cue_frame(app, 1))
        app.sensor.frame_arrived(cue_frame(app, 2))
        assert app.sensor.buzzes == 0
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 120, "the end of the retention set",
                               detail=lambda: where(app))
        assert app.sensor.emulation.sensor.vibrations == [] and buzzes_at_the_armband(app) == []
        await press(pilot, "escape")
        await app.shutdown()
    store.close()



async def test_a_real_compensation_cue_from_the_live_chain_buzzes_the_emulated_myo(tmp_path: Path) -> None:
    """The whole way: the emulated Myo's signal of a compensating athlete, the worker's cue monitor, the
    frame, the sensor controller, the vibrate write over bleak, the armband. One short buzz per cue shown
    (cues that fired between two shown frames share one buzz), and the cues are the stored rows."""
    from gymtui.sim.athlete import DEMO_ATHLETES

    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=True, speed=2.0, athlete="Demo athlete", emulate="myo",
                                  demo_athlete=DEMO_ATHLETES["compensating"]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot_wait_until(pilot, lambda: app.signal is not None and app.sensor.last_frame is not None, 60,
                               "the emulated Myo streaming")
        await home_ready(pilot, app, "the home screen")
        await press(pilot, "enter")  # the first set of the day: an MVC, then the glute bridge holds
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 180, "the set's rating screen",
                               detail=lambda: where(app))
        myo = app.sensor.emulation.sensor
        await pilot_wait_until(pilot, lambda: len(myo.vibrations) == app.sensor.buzzes, 10, "the last buzz at the armband")
        cues = store.conn.execute("SELECT kind, muscle FROM cues ORDER BY t_s").fetchall()
        written = buzzes_at_the_armband(app)
        await press(pilot, "escape")
        await app.shutdown()
    assert cues, "the compensating athlete got no cue"  # compensation or, braced, co-contraction: either buzzes
    assert 1 <= len(myo.vibrations) <= len(cues)
    assert all(length == 1 for _, length in myo.vibrations)
    assert written == [SHORT_BUZZ] * len(myo.vibrations)
