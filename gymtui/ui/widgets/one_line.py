"""One line of text that never breaks a word: what does not fit ends in "…" at a word boundary.

A title or status line has one row. Cropping it cuts a word in half
("Squeeze the glutes, not the hamstr"), which reads as a different word
from across the room; wrapping it takes rows from the countdown. This line
drops whole words from the end and says so with an ellipsis.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

ELLIPSIS = "…"


def clip_words(text: str, width: int) -> str:
    """``text`` if it fits ``width`` cells, else as many whole words as fit followed by "…".

    A first word longer than the line is the one case cut inside a word (there is
    nothing else to show). Cell widths are counted with Rich, so wide glyphs count twice.
    """
    if width <= 0:
        return ""
    if Text(text).cell_len <= width:
        return text
    room = width - 1  # the ellipsis takes one cell
    words = text.split(" ")
    kept = ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if Text(candidate).cell_len > room:
            break
        kept = candidate
    kept = kept.rstrip(" ·,:;—-")
    if not kept:
        cut = Text(text)
        cut.truncate(room)
        kept = cut.plain
    return kept + ELLIPSIS


class OneLine(Widget):
    """A one-row label: ``text`` as given (never read as markup), clipped at a word with "…"."""

    DEFAULT_CSS = """
    OneLine {
        height: 1;
        width: 1fr;
    }
    """

    text: reactive[str] = reactive("", layout=False)
    """The whole line; what is drawn is :func:`clip_words` of it to the widget's width."""

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(OneLine.text, text)

    def update(self, text: str) -> None:
        """Static's verb, so a line can change from a Static to this without its callers changing."""
        self.text = text

    def render(self) -> Text:
        centred = self.styles.content_align_horizontal == "center"
        return Text(
            clip_words(self.text, self.content_size.width), no_wrap=True, overflow="crop",
            justify="center" if centred else "left",
        )
