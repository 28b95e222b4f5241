"""A cuff alarm on a rack, filling the coach's screen until the coach acknowledges it.

A BFR alarm means a limb may be under pressure it should not be: the coach
must see which rack from across the room, and it must not go away by
itself or by a stray key. Only the acknowledge key (shown in the footer)
closes it; Escape does nothing. When more alarms are waiting the screen
says how many, and the next one follows as soon as this one is
acknowledged (the app shows them in the order they came).
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static

from gymtui.gym.board import Alarm
from gymtui.text import safe_text
from gymtui.ui.widgets.footer import Footer


def _more_line(waiting: int) -> str:
    if waiting <= 0:
        return ""
    return f"{waiting} more alarm{'s' if waiting != 1 else ''} waiting"


class CoachAlarmScreen(ModalScreen[Alarm]):
    """One rack's alarm, full screen; dismissed (with the alarm) only by the acknowledge key."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "acknowledge", "Acknowledge", priority=True),
        Binding("escape", "nothing", show=False, priority=True),
    ]

    waiting: reactive[int] = reactive(0)
    """How many more alarms wait behind this one."""

    def __init__(self, alarm: Alarm, waiting: int = 0) -> None:
        super().__init__()
        self.alarm = alarm
        self.shown_at: float | None = None
        """When it went on screen (Unix s): the coach tests hold it to the rack's moment of the alarm."""
        self.set_reactive(CoachAlarmScreen.waiting, waiting)

    def compose(self) -> ComposeResult:
        with Vertical(id="coach-alarm"):
            yield Static(Content("CUFF ALARM"), id="coach-alarm-title")
            yield Static(Content(safe_text(self.alarm.rack, max_chars=32)), id="coach-alarm-rack")
            yield Static(Content(safe_text(self.alarm.reason, max_chars=160)), id="coach-alarm-reason")
            yield Static(Content(f"at {time.strftime('%H:%M:%S', time.localtime(self.alarm.at))}"), id="coach-alarm-at")
            yield Static(Content(_more_line(self.waiting)), id="coach-alarm-more")
        yield Footer()

    def on_mount(self) -> None:
        self.app.bell()
        # Stamped once the screen has been painted, not when it was built: the moment the coach can see it.
        self.call_after_refresh(self._stamp_shown)

    def _stamp_shown(self) -> None:
        self.shown_at = time.time()

    def watch_waiting(self, waiting: int) -> None:
        if self.is_mounted:
            self.query_one("#coach-alarm-more", Static).update(Content(_more_line(waiting)))

    def action_acknowledge(self) -> None:
        self.dismiss(self.alarm)

    def action_nothing(self) -> None:
        """Escape must not hide an alarm."""
