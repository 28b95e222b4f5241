"""The screen as plain text, row by row, the way a person reads it (toasts included).

For assertions on what is drawn (a label on screen, a glyph, an ellipsis) and
for the text captures in notes: the compositor's own strips, so what is
covered by a toast or a modal is what the terminal would show.
"""

from __future__ import annotations

from textual.app import App


def screen_rows(app: App[object]) -> list[str]:
    """Every row of the terminal as text, trailing blanks dropped."""
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


def screen_text(app: App[object]) -> str:
    """:func:`screen_rows` joined with newlines."""
    return "\n".join(screen_rows(app))
