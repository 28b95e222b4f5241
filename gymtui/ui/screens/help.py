"""``?``: the keys of the screen in front, one line each, read from its bindings.

Built by :func:`gymtui.ui.key_lines.key_lines` from the screen's and the
app's ``BINDINGS`` (never a hand-written list that could drift). A key that
does nothing right now (no interrupted set to rate) is shown dimmed with
"(not now)". Esc or ``?`` closes it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from gymtui.ui.key_lines import KeyLine, key_lines, screen_name

HELP_BINDING = Binding("question_mark", "app.help", "Help", key_display="?")
"""``?`` for a modal screen's own footer (the app's ``?`` works everywhere but shows only under full screens)."""

KEY_COLUMN = 12
"""Width of the keys column: "1 2 3 4 5 6 7 8 9 0" folds, the rest fit."""


class HelpScreen(ModalScreen[None]):
    """The keys of ``screen``; dismisses with None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close help")]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.title_text = f"Keys: {screen_name(screen)}"
        self.lines: list[KeyLine] = key_lines(screen)

    @staticmethod
    def line_text(line: KeyLine) -> str:
        return f"{line.keys:>{KEY_COLUMN}}  {line.description}" + ("" if line.available else "  (not now)")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(self.title_text, id="help-title", markup=False)
            with VerticalScroll(id="help-keys"):
                for line in self.lines:
                    yield Static(self.line_text(line), classes="help-line" + ("" if line.available else " -unavailable"), markup=False)
            yield Static("Esc or ? closes · ctrl+p finds an action by name", id="help-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-keys").focus()  # ↑/↓ and the wheel scroll a long list

    def action_close(self) -> None:
        self.dismiss(None)
