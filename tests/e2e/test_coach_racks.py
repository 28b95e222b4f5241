"""Eight real racks (the app in demo mode at x10, each its own process and database) and the coach view.

Every tile updates; a rack killed with SIGKILL is lost on the coach's
screen within the keep-alive; a cuff alarm on another (the demo cuff's link
dropped with ``ctrl+k`` mid-set) fills the coach's screen within a second.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_process import AppProcess
from mqtt_broker import Broker
from screen_text import screen_text
from waiting import pilot_wait_until

from gymtui.gym.board import LOST_AFTER_KEEPALIVES
from gymtui.gym.settings import DEFAULT_KEEPALIVE_S
from gymtui.ui.coach.app import CoachApp
from gymtui.ui.screens.coach_alarm import CoachAlarmScreen

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.solo,  # eight apps and a broker: the machine's cores, alone
]

RACKS = [f"rack-{n}" for n in range(1, 9)]
CUFF_RACK = "rack-8"
"""The rack with a BFR cuff on the athlete's arm (the demo's simulated cuff): its alarm reaches the coach."""
CUFF_ARGS = ["--cuff", "arm", "--lop", "180", "--bfr-pct", "50"]


def tile_text(app: CoachApp, rack: str) -> str:
    tile = app.board_screen.tiles.get(rack)
    return "" if tile is None else "\n".join(tile.render_line(y).text for y in range(tile.size.height))


async def test_eight_demo_racks_fill_the_board_and_a_killed_one_goes_lost(gym_broker: Broker, tmp_path: Path) -> None:
    racks = {
        name: AppProcess(["--demo", "--speed", "10", *gym_broker.cli_args(name), "--rack", name,
                          "--db", str(tmp_path / f"{name}.db"), "--athlete", f"Athlete {name[5:]}",
                          *(CUFF_ARGS if name == CUFF_RACK else [])], rows=45, cols=120)
        for name in RACKS
    }
    app = CoachApp(gym_broker.settings("coach"))
    try:
        async with app.run_test(size=(200, 70)) as pilot:
            await pilot_wait_until(pilot, lambda: app.link.connected, 30, "the coach connected")
            for name, rack in racks.items():
                rack.wait_for(lambda r=rack: r.saw(b"Start set"), 120, f"{name}'s home screen")
                rack.press(b"B" if name == CUFF_RACK else b"\r")  # the cuff's rack: a quick BFR set
            first_seen: dict[str, int] = {}

            def every_tile_updated() -> bool:
                for rack in racks.values():
                    rack.drain()
                for name in RACKS:
                    state = app.board.get(name)
                    if state is None or state.status is None:
                        continue
                    first_seen.setdefault(name, state.status.seq)
                return all(
                    (s := app.board.get(n)) is not None and s.status is not None and s.status.seq > first_seen[n] + 2
                    and f"Athlete {n[5:]}" in tile_text(app, n)
                    for n in RACKS if n in first_seen
                ) and len(first_seen) == len(RACKS)

            await pilot_wait_until(pilot, every_tile_updated, 120, "every rack's tile updating",
                                   detail=lambda: screen_text(app))
            assert all(app.board.get(n).presence == "online" for n in RACKS)  # type: ignore[union-attr]

            victim = racks["rack-3"]
            killed_before, _ = victim.kill()
            await pilot_wait_until(pilot, lambda: "lost since" in tile_text(app, "rack-3"), 60, "rack-3 lost",
                                   detail=lambda: tile_text(app, "rack-3"))
            took_s = time.monotonic() - killed_before
            assert took_s <= LOST_AFTER_KEEPALIVES * DEFAULT_KEEPALIVE_S + 2.0, f"lost after {took_s:.1f} s"
            others = [n for n in RACKS if n != "rack-3"]
            assert all(app.board.get(n).presence == "online" for n in others)  # type: ignore[union-attr]

            def cuff_state() -> str | None:
                racks[CUFF_RACK].drain()
                state = app.board.get(CUFF_RACK)
                cuff = state.status.cuff if state is not None and state.status is not None else None
                return None if cuff is None else cuff.state

            await pilot_wait_until(pilot, lambda: cuff_state() == "holding", 120, f"{CUFF_RACK}'s cuff up on the coach's tile",
                                   detail=lambda: (cuff_state(), racks[CUFF_RACK].tail()))
            assert app.board.alarms == ()
            racks[CUFF_RACK].press(b"\x0b")  # ctrl+k: the demo cuff's link drops mid-set
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, CoachAlarmScreen) and app.screen.shown_at is not None,
                                   30, "the coach's alarm screen drawn", detail=lambda: racks[CUFF_RACK].tail())
            alarm = app.board.alarms[0]
            assert alarm.rack == CUFF_RACK and "cuff link lost" in alarm.reason.lower(), alarm
            assert app.alarm_screen is not None and app.alarm_screen.shown_at is not None
            shown_after_s = app.alarm_screen.shown_at - alarm.at
            assert shown_after_s <= 1.0, f"the alarm took {shown_after_s:.2f} s from the rack to the coach's screen"
            assert CUFF_RACK in screen_text(app)
    finally:
        for rack in racks.values():
            rack.close()
