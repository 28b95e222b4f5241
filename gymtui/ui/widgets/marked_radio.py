"""A radio button whose choice shows by its shape, not only its colour.

Textual's radio button draws "●" for every option and tells the chosen one by
colour; on a monochrome terminal, a colour-blind athlete or a washed-out gym
screen both options look chosen. This one draws "◉" for the chosen option and
"○" for the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import RadioButton

if TYPE_CHECKING:
    from textual.content import Content

CHOSEN = "◉"
NOT_CHOSEN = "○"


class MarkedRadioButton(RadioButton):
    """A :class:`RadioButton` drawn "◉" when chosen and "○" when not."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = CHOSEN if self.value else NOT_CHOSEN
        return super()._button
