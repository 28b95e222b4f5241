"""The form cue banner: the correction the athlete can still make in this rep, large under the countdown.

It keeps its row(s) whether or not a cue is showing, so a cue coming and
going never moves the countdown or the bars. The text is the exercise
library's (the athlete's own files): it is made safe here and drawn as
text, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gymtui.text import safe_text

CUE_MAX_CHARS = 120
"""A correction is a short sentence; anything longer is cut (the banner is one line wide)."""


class FormCueBanner(Widget):
    """``text`` is the cue showing now ("" when clear); the ``-on`` class colours the band while it shows."""

    text: reactive[str] = reactive("", layout=False)

    def validate_text(self, text: str) -> str:
        return safe_text(text, max_chars=CUE_MAX_CHARS)

    def watch_text(self, text: str) -> None:
        self.set_class(bool(text), "-on")

    def render(self) -> Text:
        # Centred by the sheet (content-align), cut with an ellipsis on a narrow terminal.
        return Text(self.text, no_wrap=True, overflow="ellipsis")
