"""Today's undone sets as a list: take another one first when the rack is busy.

The order of the day stays as the session fixed it; the chosen set only
runs next, and the rest follow in order after it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from gymtui.session.sequence import DaySequence
from gymtui.text import safe_text
from gymtui.ui.screens.help import HELP_BINDING
from gymtui.ui.widgets.footer import Footer


class DayListScreen(ModalScreen[int | None]):
    """Returns the chosen set's row id, or None (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Back"), HELP_BINDING]

    def __init__(self, sequence: DaySequence) -> None:
        super().__init__()
        self.sequence = sequence

    def compose(self) -> ComposeResult:
        with Vertical(id="day-list-box"):
            yield Static(f"Today's sets still to do ({self.sequence.progress_line()}) — Enter takes one next",
                         id="day-list-title", markup=False)
            options = OptionList(id="day-list")
            nxt = self.sequence.next_entry
            for entry in self.sequence.runnable:
                assert entry.planned is not None
                mark = "▶ " if nxt is not None and entry.row_id == nxt.row_id else "  "
                # Text: exercise names come from the athlete's files, never read as markup.
                options.add_option(Option(Text(mark + safe_text(entry.planned.headline())), id=str(entry.row_id)))
            yield options
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if options.option_count:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0) or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
