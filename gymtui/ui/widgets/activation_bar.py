"""One live activation bar: a muscle, its %MVC, and the target line."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

LABEL_CELLS = 18
VALUE_CELLS = 9


class ActivationBar(Widget):
    """Draws ``pct`` (or, uncalibrated, a relative level) against ``target``.

    Values arrive ~30 times a second, so the bar uses Textual's line API:
    each row is a handful of segments (label, filled run, target tick, empty
    run, value) with styles looked up once per theme, not a cell-by-cell
    Text. The bar spans 0 to ``full_scale`` %MVC; a value over full scale
    fills it in the "over" colour.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "activation-bar--fill",
        "activation-bar--over",
        "activation-bar--empty",
        "activation-bar--target",
        "activation-bar--label",
        "activation-bar--flag",
    }
    DEFAULT_CSS = """
    ActivationBar {
        height: 1;
        margin-bottom: 0;
    }
    ActivationBar > .activation-bar--fill { color: $bar-fill; }
    ActivationBar > .activation-bar--over { color: $bar-over; }
    ActivationBar > .activation-bar--empty { color: $bar-empty; }
    ActivationBar > .activation-bar--target { color: $bar-target; text-style: bold; }
    ActivationBar > .activation-bar--label { color: $foreground; text-style: bold; }
    ActivationBar > .activation-bar--flag { color: $quality-bad; text-style: bold; }
    """

    pct: reactive[float | None] = reactive(None, layout=False)
    level: reactive[float] = reactive(0.0, layout=False)
    """0–1 fill when uncalibrated (pct is None)."""
    target: reactive[float | None] = reactive(None, layout=False)
    flags: reactive[tuple[str, ...]] = reactive((), layout=False)
    full_scale: reactive[float] = reactive(100.0, layout=False)

    def __init__(self, muscle: str, role: str = "", *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.muscle = muscle
        self.role = role
        self._styles: dict[str, Style] = {}

    # -- values ------------------------------------------------------------------
    def fill_fraction(self) -> float:
        if self.pct is None:
            return max(0.0, min(1.0, self.level))
        return max(0.0, min(1.0, self.pct / self.full_scale))

    def value_text(self) -> str:
        if self.pct is None:
            return "  --"
        return f"{self.pct:4.0f}%"

    # -- drawing -----------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._styles.clear()  # the theme or CSS changed: look the colours up again
        super().notify_style_update()

    def _style(self, part: str) -> Style:
        style = self._styles.get(part)
        if style is None:
            style = self._styles[part] = self.get_component_rich_style(f"activation-bar--{part}")
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        height = max(1, self.size.height)
        bar_cells = max(1, width - LABEL_CELLS - VALUE_CELLS)
        filled = round(self.fill_fraction() * bar_cells)
        target_cell = None
        if self.target is not None and self.pct is not None:
            target_cell = min(bar_cells - 1, round(self.target / self.full_scale * bar_cells))

        if y == 0:
            label = Segment(self.muscle[: LABEL_CELLS - 1].ljust(LABEL_CELLS), self._style("label"))
        elif y == 1 and self.flags:
            label = Segment(("⚠ " + ",".join(self.flags))[: LABEL_CELLS - 1].ljust(LABEL_CELLS), self._style("flag"))
        elif y == 1 and self.role:
            label = Segment(self.role[: LABEL_CELLS - 1].ljust(LABEL_CELLS), self._style("label"))
        else:
            label = Segment(" " * LABEL_CELLS)
        fill_style = self._style("over" if (self.pct or 0.0) > self.full_scale else "fill")
        segments = [label]
        if target_cell is None:
            segments += [Segment("█" * filled, fill_style), Segment("░" * (bar_cells - filled), self._style("empty"))]
        else:
            before = min(filled, target_cell)
            segments.append(Segment("█" * before, fill_style))
            if filled < target_cell:
                segments.append(Segment("░" * (target_cell - filled), self._style("empty")))
            segments.append(Segment("┃", self._style("target")))
            after_filled = max(0, filled - target_cell - 1)
            segments.append(Segment("█" * after_filled, fill_style))
            segments.append(Segment("░" * (bar_cells - target_cell - 1 - after_filled), self._style("empty")))
        value = self.value_text().rjust(VALUE_CELLS - 1) + " " if y == (height - 1) // 2 else " " * VALUE_CELLS
        segments.append(Segment(value, self._style("label")))
        return Strip(segments).crop(0, width)
