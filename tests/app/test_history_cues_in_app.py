"""A coached set in the real app, then its history: the cues the frames carried are the rows stored and the words shown.

The demo athlete does week 1's first drill (the glute bridge hold) in the
real app; once its MVC is taken, the simulated athlete starts letting the
hamstrings take over (the simulator's compensation habit: the radio side,
not our code). Every cue a frame carried to the app must be a ``cues`` row
of that set, the stored count is the frames' whole-set count, and the
history's session drill-down says it in words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from app_day import finish_set, home_ready
from keys import press
from textual.message import Message
from textual.widgets import DataTable, OptionList, TabbedContent
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import WORK_PHASE_KINDS, FormCue, PhaseKind
from gymtui.session.history import cue_summary
from gymtui.store import Store
from gymtui.ui.messages import FrameArrived
from gymtui.ui.screens.history import HistoryScreen

MONDAY = dt.date(2026, 11, 23)
SPEED = 4.0
"""The simulator renders 4 s of EMG per wall second beside busy cores; faster, it drops samples (and the MVC)."""


@pytest.mark.timeout(300)
async def test_the_cues_a_set_showed_are_stored_and_said_in_its_history(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    app = GymApp(Store(db), AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", today=MONDAY))
    shown: list[FormCue] = []
    fired = 0

    def hook(message: Message) -> None:
        nonlocal fired
        if isinstance(message, FrameArrived) and message.frame.feedback is not None:
            feedback = message.frame.feedback
            fired = max(fired, feedback.cues_fired)
            if feedback.cue is not None and feedback.cue not in shown:
                shown.append(feedback.cue)

    def compensate_after_the_mvc() -> None:
        """The simulated athlete takes up the habit once the MVC is taken (before, %MVC would hide it)."""
        athlete = app.sensor.athlete
        assert athlete is not None
        told = athlete.set_intent
        after_mvc = False

        def set_intent(kind: PhaseKind) -> None:
            nonlocal after_mvc
            after_mvc = after_mvc or kind is PhaseKind.CALIBRATION
            if after_mvc and kind in WORK_PHASE_KINDS and kind is not PhaseKind.CALIBRATION:
                athlete.profile = dataclasses.replace(athlete.profile, compensation=0.9)
            told(kind)

        athlete.set_intent = set_intent  # type: ignore[method-assign]

    async with app.run_test(size=(120, 45), message_hook=hook) as pilot:
        await home_ready(pilot, app, "the home screen")
        await pilot_wait_until(pilot, lambda: app.signal is not None, 60, "the demo sensor")
        first = app.home.plan.planned[0]
        assert first.exercise == "Glute bridge, 3 s hold"
        compensate_after_the_mvc()
        await press(pilot, "enter")
        await finish_set(pilot, app, 1, 7)
        store = app.store
        set_id = int(store.conn.execute("SELECT max(id) FROM sets").fetchone()[0])
        await pilot_wait_until(pilot, lambda: store.get_set(set_id)["cue_count"] is not None, 30, "the set's summary stored")
        rows = store.cues_of(set_id)

        await pilot.press("h")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), 30, "the history screen")
        screen = app.screen
        await pilot.press("s")
        await pilot_wait_until(pilot, lambda: screen.query_one(TabbedContent).active == "sessions", 10, "the sessions tab")
        await pilot_wait_until(pilot, lambda: app.focused is screen.query_one("#session-table", DataTable), 10, "the list")
        await pilot.press("enter")
        listing = screen.query_one("#session-sets", OptionList)
        await pilot_wait_until(pilot, lambda: listing.option_count == 1, 10, "the session's set listed")
        line = str(listing.get_option_at_index(0).prompt)
        await app.shutdown()

    assert shown, "the compensating athlete got no cue"
    stored = [(r["t_s"], r["kind"], r["channel"], r["muscle"], r["rep"], r["text"]) for r in rows]
    # Every cue a frame carried is stored (frames may be replaced by newer ones, so the rows may hold more)...
    assert [(c.t_s, str(c.kind), c.channel, c.muscle, c.rep, c.text) for c in shown] == [s for s in stored if s[0] in {c.t_s for c in shown}]
    # ...and the rows are exactly as many as the frames' whole-set count, which the set row keeps.
    assert len(rows) == fired == store.get_set(set_id)["cue_count"]
    # The hamstrings took over: the library's correction for the glute bridge, on their channel. (A
    # quadriceps braced against the bridge may be cued too, once the compensation cue has cleared.)
    assert "compensation" in {r["kind"] for r in rows}
    named = {(r["channel"], r["muscle"], r["text"]) for r in rows if r["kind"] == "compensation" and r["channel"] != 0}
    assert named == {(1, "Biceps femoris", "Feet closer, drive through the heels")}
    assert line.startswith("Glute bridge, 3 s hold · ") and line.endswith(" · " + cue_summary(rows, len(rows)))
    assert "compensation cue" in line
