"""Why a set is skipped: one optional line, typed or not (Esc or an empty Enter: no reason).

The reason is stored with the skipped set, so a coach reading the log sees
"rack busy" or "knee" rather than a gap. It is the athlete's text: shown
and stored as text, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from gymtui.text import safe_text
from gymtui.ui.screens.help import HELP_BINDING
from gymtui.ui.widgets.footer import Footer

REASON_MAX_CHARS = 120
"""A reason is a few words; longer text is cut (it is stored and shown on one line)."""


class SkipReasonScreen(ModalScreen[str | None]):
    """Returns the reason (stripped, possibly empty) or None for Esc: either way the set is skipped."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "no_reason", "No reason"), HELP_BINDING]

    def __init__(self, exercise: str) -> None:
        super().__init__()
        self.exercise = exercise

    def compose(self) -> ComposeResult:
        with Vertical(id="skip-box"):
            yield Static(f"Skip {safe_text(self.exercise)}: why? (optional)", id="skip-question", markup=False)
            yield Input(placeholder="rack busy, knee, no time… Enter to skip, Esc: no reason", id="skip-reason",
                        max_length=REASON_MAX_CHARS)
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(safe_text(event.value.strip(), max_chars=REASON_MAX_CHARS))

    def action_no_reason(self) -> None:
        self.dismiss(None)
