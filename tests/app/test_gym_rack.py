"""A rack on the gym's broker: what the real app publishes while an athlete trains, heard as the coach hears it.

The real app in demo mode (``--gym`` to a real Mosquitto on 127.0.0.1, TLS,
the rack's own credentials), a listener logged in as the coach. The tests
read the sequence: the rack comes online, its status follows the set at no
more than 5 Hz, its events say what happened in order, and the whole set
arrives as a record named by the UUID the rack stored.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path

import pytest
from gym_listener import Listener
from mqtt_broker import Broker
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.bench.memory import run_quick_sets
from gymtui.bfr.rules import validate_settings
from gymtui.gym.payloads import RackEvent, RackStatus, SetRecord
from gymtui.gym.rack_link import RackLink
from gymtui.session.engine import Stage
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen

pytestmark = pytest.mark.timeout(240)

RACK = "rack-1"


def home_gym_line(app: GymApp) -> str:
    screen = app.screen
    if not isinstance(screen, HomeScreen):
        return ""
    return str(screen.query_one("#home-gym").render())


def stored_sets(db: Path) -> list[tuple[str, str, int | None, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT uuid, exercise, activation_rating, status FROM sets ORDER BY id").fetchall()


async def test_a_set_goes_out_as_status_then_events_in_order_then_its_record(gym_broker: Broker, tmp_path: Path) -> None:
    listener = Listener(gym_broker.settings("coach"))
    db = tmp_path / "rack.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=5.0, athlete="Sam Lee", gym=gym_broker.settings(RACK), rack=RACK))
    try:
        async with app.run_test(size=(120, 45)) as pilot:
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None
                                   and "connected" in home_gym_line(app), 60,
                                   "the home screen saying the gym link is connected", detail=lambda: home_gym_line(app))
            assert f"Gym: {RACK}" in home_gym_line(app)
            await run_quick_sets(app, pilot, 1, rating=8)
            await pilot_wait_until(pilot, lambda: any(r.set.get("activation_rating") == 8 for r in listener.of("records")),
                                   30, "the set's record with its rating", detail=lambda: listener.heard[-3:])
            await app.shutdown()
        await pilot_wait_until_offline(listener)
    finally:
        listener.close()

    (uuid, exercise, rating, status), = stored_sets(db)
    assert (rating, status) == (8, "completed")

    presence = [p.state for p in listener.of("presence", RACK)]
    assert presence[0] == "online" and presence[-1] == "offline"

    statuses: list[RackStatus] = listener.of("status", RACK)
    in_set = [s for s in statuses if s.screen in ("set", "rest", "rating")]
    assert in_set, [s.screen for s in statuses]
    assert {s.athlete for s in statuses} == {"Sam Lee"}
    assert {s.exercise for s in in_set} == {exercise}
    assert [s.seq for s in statuses] == sorted(s.seq for s in statuses)
    gaps_s = [b.sent_at - a.sent_at for a, b in itertools.pairwise(in_set)]
    assert min(gaps_s) >= 0.18, f"status faster than 5 Hz: {min(gaps_s):.3f} s apart"
    hold = [s.countdown_s for s in in_set if s.phase == "Peak hold" and s.phase_kind == "isometric" and s.countdown_s is not None]
    lead_ins = [s.phase for s in in_set if s.phase_kind == "lead_in"]
    assert lead_ins and all(p is not None and p.startswith("Get ready: ") for p in lead_ins), f"count-ins: {lead_ins}"
    assert len(hold) >= 2 and hold == sorted(hold, reverse=True) and hold[0] > hold[-1], f"the hold's countdown: {[(s.seq, s.screen, s.phase, s.countdown_s and round(s.countdown_s,1)) for s in in_set]}"

    events: list[RackEvent] = listener.events(RACK)
    kinds = [e.kind for e in events if e.kind != "cue"]
    assert kinds == ["set_started", "set_finished", "rating"], kinds  # the finisher's work ends it; the athlete rates after
    assert all(e.set_uuid == uuid for e in events if e.kind != "cue")
    assert all(e.athlete == "Sam Lee" and e.exercise == exercise for e in events)
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    finished, rated = (e for e in events if e.kind in ("set_finished", "rating"))
    assert finished.fields["status"] == "completed" and finished.text == f"{exercise}: completed"
    assert rated.fields["rating"] == 8 and rated.text == "activation 8/10"

    records: list[SetRecord] = listener.of("records", RACK)
    assert {r.uuid for r in records} == {uuid}
    last = records[-1]
    assert (last.athlete, last.rack, last.set["exercise"], last.set["status"]) == ("Sam Lee", RACK, exercise, "completed")
    assert last.phases and [p["idx"] for p in last.phases] == sorted(p["idx"] for p in last.phases)


async def pilot_wait_until_offline(listener: Listener) -> None:
    from waiting import wait_until_async

    await wait_until_async(lambda: any(p.state == "offline" for p in listener.of("presence", RACK)), 15,
                           "the rack saying offline as it closed")


@pytest.mark.timeout(300)  # a BFR set in real time: the cuff's fault timers are wall seconds
async def test_a_cuff_alarm_goes_out_as_an_event_and_in_the_status_and_nothing_runs_on_the_cuffs_thread(
    gym_broker: Broker, tmp_path: Path
) -> None:
    listener = Listener(gym_broker.settings("coach"))
    config = AppConfig(demo=True, athlete="Sam Lee", cuff=validate_settings("arm", 180, 50), lop_given=True,
                       gym=gym_broker.settings(RACK), rack=RACK)
    app = GymApp(Store(tmp_path / "rack.db"), config)
    queued_from: list[tuple[str, str]] = []
    original_event = RackLink.event

    def event(self: RackLink, kind: str, **fields: object) -> None:
        queued_from.append((kind, threading.current_thread().name))
        original_event(self, kind, **fields)  # type: ignore[arg-type]

    def in_reps() -> bool:
        engine = app.runner.engine if app.runner else None
        return bool(engine and engine.stage is Stage.PHASE and engine.current_phase and engine.current_phase.kind == "reps")

    RackLink.event = event  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 45)) as pilot:
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None
                                   and app.gym.link is not None and app.gym.link.connected, 60,
                                   "the home screen, the cuff connected and the gym link up")
            await pilot.press("B")  # the quick BFR set
            await pilot_wait_until(pilot, in_reps, 60, "the first bout of reps")
            await pilot_wait_until(pilot, lambda: app.cuff_rig is not None and app.cuff_rig.view().state == "holding", 20,
                                   "the cuff holding its target")
            await pilot.press("ctrl+k")  # the demo cuff's link drops: the supervisor alarms and deflates
            await pilot_wait_until(pilot, lambda: any(e.kind == "cuff_alarm" for e in listener.events(RACK)), 15,
                                   "the cuff alarm on the broker", detail=lambda: listener.events(RACK)[-3:])
            await pilot_wait_until(pilot, lambda: any(s.cuff is not None and s.cuff.alarm for s in listener.of("status", RACK)),
                                   10, "the alarm in the rack's status")
            app_thread = threading.current_thread().name
            shown = app.cuff_rig.view().message
            await app.shutdown()
    finally:
        RackLink.event = original_event  # type: ignore[method-assign]
        listener.close()
    alarm = next(e for e in listener.events(RACK) if e.kind == "cuff_alarm")
    assert alarm.text is not None and alarm.text.lower().startswith("cuff link lost"), alarm
    alarm_status = next(s for s in listener.of("status", RACK) if s.cuff is not None and s.cuff.alarm)
    assert alarm_status.cuff is not None and alarm_status.cuff.state == "alarm"
    assert alarm_status.cuff.alarm == shown
    cuff_kinds = [k for k, _ in queued_from if k in ("cuff", "cuff_alarm")]
    assert "cuff_alarm" in cuff_kinds and "cuff" in cuff_kinds
    assert {t for k, t in queued_from} == {app_thread}, queued_from
