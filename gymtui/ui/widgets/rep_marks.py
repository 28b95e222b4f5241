"""Live rep marks: a ✓ or ✗ per rep judged so far, the perfect count, why the last ✗, and more.

One line under the bars, whole state from each frame's
:class:`~gymtui.model.Biofeedback`: "✓✓✗✓  Perfect 3 of 4 · ✗ below 40 % MVC
· rise 180 ms · in zone 4.2 s". The rise time shows only where it means
something (explosive phases, heavy sets with intent); the time in zone only
once the set has had a zone.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from gymtui.model import RepVerdict
from gymtui.text import safe_text

PERFECT = "✓"
MISSED = "✗"
REASON_MAX_CHARS = 40
MARKS_SHOWN = 20
"""The newest reps marked on the line; older ones fold into "…" (the count still says how many)."""


def perfect_count(reps: tuple[RepVerdict, ...]) -> int:
    return sum(1 for rep in reps if rep.perfect)


def last_miss(reps: tuple[RepVerdict, ...]) -> RepVerdict | None:
    """The newest rep that was not perfect (its reason is what to fix next)."""
    return next((rep for rep in reversed(reps) if not rep.perfect), None)


class RepMarks(Widget):
    """Set from the set screen each frame; draws nothing until there is something to say."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"rep-marks--perfect", "rep-marks--missed", "rep-marks--text"}
    DEFAULT_CSS = """
    RepMarks {
        height: 1;
    }
    RepMarks > .rep-marks--perfect { color: $success; text-style: bold; }
    RepMarks > .rep-marks--missed { color: $error; text-style: bold; }
    RepMarks > .rep-marks--text { color: $foreground; }
    """

    reps: reactive[tuple[RepVerdict, ...]] = reactive((), layout=False)
    zone_s: reactive[float | None] = reactive(None, layout=False)
    """Seconds in the target zone so far; None: the set has had no zone yet."""
    show_rise: reactive[bool] = reactive(False, layout=False)
    """Show the last rep's rise time (explosive phases, heavy sets with intent)."""

    def summary(self) -> str:
        """The words of the line (after the marks), for the screen and its tests."""
        reps = self.reps
        parts = []
        if reps:
            parts.append(f"Perfect {perfect_count(reps)} of {len(reps)}")
            miss = last_miss(reps)
            if miss is not None and miss.reason:
                parts.append(f"{MISSED} {safe_text(miss.reason, max_chars=REASON_MAX_CHARS)}")
            rise = reps[-1].rise_ms
            if self.show_rise and rise is not None:
                parts.append(f"rise {rise:.0f} ms")
        if self.zone_s is not None:
            parts.append(f"in zone {self.zone_s:.1f} s")
        return " · ".join(parts)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        perfect = self.get_component_rich_style("rep-marks--perfect")
        missed = self.get_component_rich_style("rep-marks--missed")
        if len(self.reps) > MARKS_SHOWN:
            text.append("…", self.get_component_rich_style("rep-marks--text"))
        for rep in self.reps[-MARKS_SHOWN:]:
            text.append(PERFECT if rep.perfect else MISSED, perfect if rep.perfect else missed)
        words = self.summary()
        if words:
            text.append(("  " if self.reps else "") + words, self.get_component_rich_style("rep-marks--text"))
        return text
