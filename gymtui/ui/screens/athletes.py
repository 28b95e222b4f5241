"""Athletes: pick who trains now, add one, or rename one (home ``a``).

A coach with three lifters on one rack switches between sets. The screen
only chooses; the app does the store work and says in one line if a name is
taken or empty. Names are typed by people and shown as text, never markup.

Keys: Enter trains the highlighted athlete; ``n`` a new athlete (type the
name, Enter); ``r`` renames the highlighted one; Esc goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from gymtui.text import safe_text
from gymtui.ui.screens.help import HELP_BINDING
from gymtui.ui.widgets.footer import Footer

NAME_MAX_CHARS = 40
"""As :data:`gymtui.store.athletes.ATHLETE_NAME_MAX_CHARS`: the input stops where the store would refuse."""


@dataclass(frozen=True)
class AthleteChoice:
    """What the athlete asked for: train as ``athlete_id``, add ``name``, or rename ``athlete_id`` to ``name``."""

    action: Literal["switch", "create", "rename"]
    athlete_id: int | None = None
    name: str = ""


class AthletesScreen(ModalScreen[AthleteChoice | None]):
    """The athletes of this database, the current one marked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New athlete"),
        Binding("r", "rename", "Rename"),
        Binding("escape", "back", "Back"),
        HELP_BINDING,
    ]

    def __init__(self, athletes: list[tuple[int, str]], current: int | None) -> None:
        super().__init__()
        self.athletes = athletes
        self.current = current
        self._typing: Literal["create", "rename"] | None = None
        self._renaming: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="athletes-box"):
            yield Static("Who trains now?", id="athletes-title")
            yield OptionList(
                *(
                    Option(Text(("▶ " if aid == self.current else "  ") + safe_text(name)), id=str(aid))
                    for aid, name in self.athletes
                ),
                id="athletes-list",
            )
            yield Static("", id="athletes-prompt", markup=False)
            yield Input(placeholder="name", max_length=NAME_MAX_CHARS, id="athletes-name")
            yield Static("Enter: train as this athlete · n: new athlete · r: rename · Esc: back", id="athletes-help")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#athletes-name", Input).display = False
        options = self.query_one("#athletes-list", OptionList)
        ids = [aid for aid, _ in self.athletes]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While a name is typed, its letters go into the name, not to n and r.
        return not (action in ("new", "rename") and self._typing is not None)

    def _highlighted(self) -> int | None:
        options = self.query_one("#athletes-list", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        return int(options.get_option_at_index(options.highlighted).id or 0)

    def _ask_name(self, typing: Literal["create", "rename"], prompt: str, value: str = "") -> None:
        self._typing = typing
        self.query_one("#athletes-prompt", Static).update(prompt)
        name = self.query_one("#athletes-name", Input)
        name.value = value
        name.display = True
        name.focus()
        self.refresh_bindings()

    def action_new(self) -> None:
        self._ask_name("create", "New athlete's name (Enter to add and train, Esc to cancel):")

    def action_rename(self) -> None:
        athlete = self._highlighted()
        if athlete is None:
            return
        self._renaming = athlete
        old = dict(self.athletes).get(athlete, "")
        self._ask_name("rename", f"Rename {safe_text(old)} to (Enter to save, Esc to cancel):", old)

    def action_back(self) -> None:
        if self._typing is not None:  # Esc while typing: back to the list
            self._typing = None
            self.query_one("#athletes-name", Input).display = False
            self.query_one("#athletes-prompt", Static).update("")
            self.query_one("#athletes-list", OptionList).focus()
            self.refresh_bindings()
            return
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(AthleteChoice("switch", int(event.option.id or 0)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not name:
            self.query_one("#athletes-prompt", Static).update("A name, please (Esc to cancel):")
            return
        if self._typing == "create":
            self.dismiss(AthleteChoice("create", None, name))
        elif self._typing == "rename" and self._renaming is not None:
            self.dismiss(AthleteChoice("rename", self._renaming, name))
