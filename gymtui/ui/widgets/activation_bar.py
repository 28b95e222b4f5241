"""One live activation bar: a muscle, its %MVC, and the target line."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

LABEL_CELLS = 18
VALUE_CELLS = 9


class ActivationBar(Widget):
    """Renders ``pct`` (or, uncalibrated, a relative level) against ``target``.

    Values arrive ~30 times a second; the widget only draws. The bar spans
    0 to ``full_scale`` %MVC; the target shows as a bright tick across it,
    and a value over full scale fills the bar in the "over" colour.
    """

    COMPONENT_CLASSES = {
        "activation-bar--fill",
        "activation-bar--over",
        "activation-bar--empty",
        "activation-bar--target",
        "activation-bar--label",
        "activation-bar--flag",
    }

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

    def fill_fraction(self) -> float:
        if self.pct is None:
            return max(0.0, min(1.0, self.level))
        return max(0.0, min(1.0, self.pct / self.full_scale))

    def value_text(self) -> str:
        if self.pct is None:
            return "  --"
        return f"{self.pct:4.0f}%"

    def render(self) -> Text:
        width = self.content_size.width
        height = max(1, self.content_size.height)
        label_style = self.get_component_rich_style("activation-bar--label")
        fill_style = self.get_component_rich_style(
            "activation-bar--over" if (self.pct or 0) > self.full_scale else "activation-bar--fill"
        )
        empty_style = self.get_component_rich_style("activation-bar--empty")
        target_style = self.get_component_rich_style("activation-bar--target")
        flag_style = self.get_component_rich_style("activation-bar--flag")

        label = self.muscle[: LABEL_CELLS - 1].ljust(LABEL_CELLS)
        value = self.value_text().rjust(VALUE_CELLS - 1) + " "
        bar_cells = max(1, width - LABEL_CELLS - VALUE_CELLS)
        filled = round(self.fill_fraction() * bar_cells)
        target_cell = None
        if self.target is not None and self.pct is not None:
            target_cell = min(bar_cells - 1, round(self.target / self.full_scale * bar_cells))

        lines = Text(no_wrap=True, overflow="crop")
        for row in range(height):
            if row:
                lines.append("\n")
            if row == 0:
                lines.append(label, label_style)
            elif row == 1 and self.flags:
                lines.append(("⚠ " + ",".join(self.flags))[: LABEL_CELLS - 1].ljust(LABEL_CELLS), flag_style)
            elif row == 1 and self.role:
                lines.append(self.role[: LABEL_CELLS - 1].ljust(LABEL_CELLS), label_style)
            else:
                lines.append(" " * LABEL_CELLS)
            for cell in range(bar_cells):
                if cell == target_cell:
                    lines.append("┃", target_style)
                elif cell < filled:
                    lines.append("█", fill_style)
                else:
                    lines.append("░", empty_style)
            lines.append(value if row == (height - 1) // 2 else " " * VALUE_CELLS, label_style)
        return lines
