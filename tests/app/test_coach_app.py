"""The coach view against a real Mosquitto, fed by synthetic racks that log in as rack-N and publish real payloads."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from gym_racks import RackProcess, SyntheticRack
from mqtt_broker import Broker
from screen_text import screen_text
from textual.pilot import Pilot
from waiting import pilot_wait_until

from gymtui.gym.board import LOST_AFTER_KEEPALIVES
from gymtui.gym.payloads import ChannelLevel, CuffLevel
from gymtui.ui.coach.app import CoachApp
from gymtui.ui.screens.coach_alarm import CoachAlarmScreen
from gymtui.ui.widgets.bigfont import render_lines
from gymtui.ui.widgets.rack_tile import RackTile

pytestmark = pytest.mark.timeout(120)

SIZE = (150, 60)


@contextmanager
def racks(broker: Broker, *names: str, **kwargs: object) -> Iterator[dict[str, SyntheticRack]]:
    started: dict[str, SyntheticRack] = {}
    try:
        for name in names:
            started[name] = SyntheticRack(broker.settings(name), **kwargs).start()  # type: ignore[arg-type]
        yield started
    finally:
        for rack in started.values():
            rack.stop()


async def connected(pilot: Pilot[int], app: CoachApp) -> None:
    await pilot_wait_until(pilot, lambda: app.link.connected, 30, "the coach connected to the broker",
                           detail=lambda: app.link.line)


def tile_text(app: CoachApp, rack: str) -> str:
    tile = app.board_screen.tiles.get(rack)
    if tile is None:
        return ""
    return "\n".join(tile.render_line(y).text for y in range(tile.size.height))


async def test_every_tile_shows_what_its_rack_sent(gym_broker: Broker) -> None:
    app = CoachApp(gym_broker.settings("coach"))
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        with racks(gym_broker, "rack-1", "rack-2", "rack-8") as live:
            live["rack-1"].status()
            live["rack-2"].status(athlete="Ada Moss", exercise="Bench press", set_n=1, set_of=3, load_kg=55.5,
                                  phase="Rest", phase_kind="rest", countdown_s=95.0,
                                  channels=(ChannelLevel("pecs", envelope_uv=250.0, target=True),),
                                  cuff=None)
            live["rack-8"].status(screen="home", athlete="Kim", exercise=None, set_n=None, set_of=None, phase=None,
                                   countdown_s=None, channels=(), cuff=CuffLevel(state="off"))
            await pilot_wait_until(
                pilot,
                lambda: "Sam Lee" in tile_text(app, "rack-1") and "Ada Moss" in tile_text(app, "rack-2")
                and "Kim" in tile_text(app, "rack-8"),
                30, "three tiles drawn", detail=lambda: screen_text(app),
            )
            one, two, eight = (tile_text(app, r) for r in ("rack-1", "rack-2", "rack-8"))
            assert "rack-1" in one and "online" in one
            assert "Back squat · 80 kg" in one
            assert "set 2 of 4 · Work · concentric" in one
            assert "quads" in one and "72%" in one and "glutes" in one and "38%" in one
            assert "cuff holding 182/180 mmHg" in one
            assert all(row.strip() in one for row in render_lines("42", 1)), "the big countdown: 42"
            assert "Bench press · 55.5 kg" in two and "set 1 of 3" in two and "250µV" in two and "no cuff" in two
            assert "home" in eight and "cuff off" in eight
            order = [tile.rack for tile in app.board_screen.query(RackTile)]
            assert order == ["rack-1", "rack-2", "rack-8"], "racks in name order"

            live["rack-1"].status(set_n=3, countdown_s=7.0)
            await pilot_wait_until(pilot, lambda: "set 3 of 4" in tile_text(app, "rack-1"), 30, "the tile updated",
                                   detail=lambda: tile_text(app, "rack-1"))


async def test_a_hostile_athlete_name_shows_as_text(gym_broker: Broker) -> None:
    hostile = "\x1b]0;owned\x07[bold red]Eve[/] \x1b[2J\u202eevil"
    app = CoachApp(gym_broker.settings("coach"))
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        with racks(gym_broker, "rack-3") as live:
            live["rack-3"].status(athlete=hostile, exercise="[link=http://x]Squat[/link]")
            await pilot_wait_until(pilot, lambda: "Eve" in tile_text(app, "rack-3"), 30, "the tile drawn",
                                   detail=lambda: screen_text(app))
            shown = screen_text(app)
            assert "\ufffd]0;owned\ufffd[bold red]Eve[/] \ufffd[2J\ufffdevil" in shown
            assert "[link=http://x]Squat[/link]" in shown
            assert "\x1b" not in shown and "\u202e" not in shown


async def test_a_cuff_alarm_fills_the_screen_within_a_second_and_stays_until_acknowledged(gym_broker: Broker) -> None:
    app = CoachApp(gym_broker.settings("coach"))
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        with racks(gym_broker, "rack-4", "rack-6") as live:
            live["rack-4"].status()
            await pilot_wait_until(pilot, lambda: "rack-4" in app.board_screen.tiles, 30, "rack-4's tile")
            raised = live["rack-4"].event("cuff_alarm", text="pressure 320 mmHg over the 300 mmHg limit")
            await pilot_wait_until(pilot, lambda: isinstance(app.screen, CoachAlarmScreen) and app.screen.shown_at is not None,
                                   30, "the alarm screen painted")
            assert app.alarm_screen is not None
            assert app.alarm_screen.shown_at is not None
            shown_after_s = app.alarm_screen.shown_at - raised.at
            assert shown_after_s <= 1.0, f"the alarm took {shown_after_s:.2f} s to reach the screen"
            text = screen_text(app)
            assert "CUFF ALARM" in text and "rack-4" in text and "pressure 320 mmHg over the 300 mmHg limit" in text
            await pilot_wait_until(pilot, lambda: "a Acknowledge" in screen_text(app), 30, "the key in the footer",
                                   detail=lambda: screen_text(app)[-400:])

            live["rack-6"].status(cuff=CuffLevel(state="alarm", pressure_mmhg=0.0, alarm="cuff lost contact"))
            await pilot_wait_until(pilot, lambda: "1 more alarm waiting" in screen_text(app), 30, "the second alarm queued",
                                   detail=lambda: screen_text(app))

            flushes = app.flushes
            await pilot.press("escape", "q", "enter", "space")
            await pilot_wait_until(pilot, lambda: app.flushes >= flushes + 20, 30, "two seconds of board updates")
            assert isinstance(app.screen, CoachAlarmScreen) and "rack-4" in screen_text(app), "still up, unacknowledged"

            await pilot.press("a")
            await pilot_wait_until(pilot, lambda: "cuff lost contact" in screen_text(app), 30, "the next alarm",
                                   detail=lambda: screen_text(app))
            assert "rack-6" in screen_text(app) and "more alarm" not in screen_text(app)
            await pilot.press("a")
            await pilot_wait_until(pilot, lambda: not isinstance(app.screen, CoachAlarmScreen), 30, "the board again")
            await pilot_wait_until(pilot, lambda: "⚠" not in tile_text(app, "rack-4"), 30, "rack-4's tile without alarm")
            assert app.board.alarms == ()


async def test_a_killed_rack_goes_lost_within_the_keepalive(gym_broker: Broker) -> None:
    app = CoachApp(gym_broker.settings("coach"))
    keepalive_s = 3
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        proc = RackProcess(gym_broker.cli_args("rack-7"), "rack-7", keepalive_s=keepalive_s)
        try:
            await pilot_wait_until(pilot, lambda: "online" in tile_text(app, "rack-7"), 30, "rack-7 online",
                                   detail=lambda: screen_text(app))
            proc.signal(signal.SIGKILL)
            killed = time.monotonic()
            await pilot_wait_until(pilot, lambda: "lost since" in tile_text(app, "rack-7"), 30, "rack-7 lost",
                                   detail=lambda: tile_text(app, "rack-7"))
            took_s = time.monotonic() - killed
            assert took_s <= LOST_AFTER_KEEPALIVES * keepalive_s + 1.0, f"lost after {took_s:.1f} s"
            assert "rack-7" in app.board_screen.tiles["rack-7"].render_line(0).text
            assert app.board_screen.tiles["rack-7"].has_class("-away"), "greyed"
        finally:
            proc.close()


async def test_a_frozen_rack_goes_lost_even_before_the_broker_sends_its_will(gym_broker: Broker) -> None:
    app = CoachApp(gym_broker.settings("coach"))
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        # Its MQTT keep-alive is 60 s, so the broker keeps it "online" for 90 s; it told the coach 3 s.
        proc = RackProcess(gym_broker.cli_args("rack-8"), "rack-8", keepalive_s=60, announce_keepalive_s=3)
        try:
            await pilot_wait_until(pilot, lambda: "online" in tile_text(app, "rack-8"), 30, "rack-8 online")
            proc.signal(signal.SIGSTOP)
            frozen = time.monotonic()
            await pilot_wait_until(pilot, lambda: "lost since" in tile_text(app, "rack-8"), 30, "rack-8 lost",
                                   detail=lambda: tile_text(app, "rack-8"))
            assert time.monotonic() - frozen < 60, "the coach's own timer, not the broker's will"
        finally:
            proc.close()
