"""The guide's disclaimer, shown once: the caller remembers that it was read.

Push it when :func:`gymtui.session.guardrails.disclaimer_pending` is True
and call :func:`~gymtui.session.guardrails.acknowledge_disclaimer` when it
dismisses with True.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from gymtui.resources import resource_dir


class DisclaimerScreen(ModalScreen[bool]):
    CSS_PATH = resource_dir("themes") / "programs.tcss"
    BINDINGS = [Binding("enter", "accept", "I understand", priority=True)]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Before you train", classes="title")
            yield Static(self.text, id="disclaimer-text")
            with Horizontal(classes="buttons"):
                yield Button("I understand", id="accept", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_accept()

    def action_accept(self) -> None:
        self.dismiss(True)
