"""A sentence that wraps at word ends and never splits a number from its unit or month.

Textual's own wrapping breaks at any space, so at 80 columns "went up 15 kg"
can end a line on "15" and start the next with "kg", and "by 30 Nov" on "30".
Read from two metres that is a different number. :func:`wrap_keeping_units`
wraps with the unit or month bound to its number; :class:`Prose` is a widget
that wraps its text that way to its own width and grows to the lines it needs.
The text is shown as plain text (never markup).
"""

from __future__ import annotations

import re
import textwrap

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

_BOUND = "\u00a0"  # textwrap splits only at ASCII whitespace: this space holds its neighbours together
_UNITS = re.compile(
    r"(?<=\d) (?=(?:kg|lb|%MVC|weeks?|points?|reps?|sets?|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b)"
)


def wrap_keeping_units(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns (a longer single word stays whole), a number kept with its unit."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        bound = _UNITS.sub(_BOUND, paragraph)
        wrapped = textwrap.wrap(bound, width=max(1, width), break_long_words=False, break_on_hyphens=False) or [""]
        lines.extend(line.replace(_BOUND, " ") for line in wrapped)
    return lines


class Prose(Widget):
    """Plain text wrapped by :func:`wrap_keeping_units`; set :attr:`text` to change it."""

    DEFAULT_CSS = """
    Prose { height: auto; width: 1fr; }
    """

    text: reactive[str] = reactive("", layout=True)

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(Prose.text, text)

    def update(self, text: str) -> None:
        self.text = text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(wrap_keeping_units(self.text, width))

    def render(self) -> Text:
        return Text("\n".join(wrap_keeping_units(self.text, self.content_size.width)), no_wrap=True, overflow="ellipsis")
