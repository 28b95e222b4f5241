"""The big countdown: seconds left in the phase, as large as the space allows."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gymtui.ui.widgets import bigfont

READABLE_SCALE = 2
"""The smallest glyph scale the set screen gives the countdown: 10 rows of blocks, read from two metres."""
READABLE_ROWS = bigfont.GLYPH_ROWS * READABLE_SCALE
"""Rows the countdown keeps (the set screen's sheet says ``min-height: 10``); other parts give way."""


class BigCountdown(Widget):
    """Whole seconds in a scaled block font; falls back to plain text when tiny.

    ``value`` is what to show (``"15"``, ``"3"``, ``"--"``); CSS classes
    ``-lead-in``, ``-rest`` and ``-work`` pick its colour from the theme.
    """

    value: reactive[str] = reactive("--", layout=False)

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        scale = bigfont.fit_scale(self.value, width, height)
        if scale == 0:
            return Text(self.value, justify="center")
        lines = bigfont.render_lines(self.value, scale)
        # Centre vertically by padding with empty lines.
        pad = max(0, (height - len(lines)) // 2)
        return Text("\n".join([""] * pad + lines), justify="center", no_wrap=True, overflow="crop")

    @property
    def scale(self) -> int:
        """The current glyph scale (for tests and the layout)."""
        return bigfont.fit_scale(self.value, self.content_size.width, self.content_size.height)
