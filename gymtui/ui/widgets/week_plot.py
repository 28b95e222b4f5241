"""A terminal plot of activation rating and EMG score, week by week.

Two bars per week, side by side, drawn with eighth-block characters so an
8-row plot has 64 levels: the felt rating (0–10) and the EMG score (mean
peak %MVC of the target). The pure :func:`render_week_plot` is what tests
read; :class:`WeekPlot` only sizes it to the widget and colours it from the
theme (component classes, so a light theme restyles it from tcss).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"
COLUMN_W = 4  # rating bar, EMG bar, two spaces


@dataclass(frozen=True, slots=True)
class PlotPoint:
    label: str
    rating: float | None  # 0–10
    emg_score: float | None  # % MVC


def _cell(value: float | None, top: float, row_from_bottom: int, height: int) -> str:
    if value is None or top <= 0:
        return " "
    eighths = round(max(0.0, min(1.0, value / top)) * height * 8)
    return BLOCKS[max(0, min(8, eighths - row_from_bottom * 8))]


def render_week_plot(
    points: Sequence[PlotPoint],
    height: int = 8,
    *,
    rating_style: Style | str = "",
    emg_style: Style | str = "",
    axis_style: Style | str = "",
) -> Text:
    """Rows of bars, then week labels, then a legend with both scales."""
    text = Text(no_wrap=True, overflow="crop")
    if not points:
        text.append("No rated sets yet: ratings and EMG scores appear here week by week.", style=axis_style)
        return text
    emg_top = max([100.0] + [p.emg_score for p in points if p.emg_score is not None])
    for row in range(height - 1, -1, -1):
        scale = "10 " if row == height - 1 else (" 0 " if row == 0 else "   ")
        text.append(scale, style=axis_style)
        for p in points:
            text.append(_cell(p.rating, 10.0, row, height), style=rating_style)
            text.append(_cell(p.emg_score, emg_top, row, height), style=emg_style)
            text.append(" " * (COLUMN_W - 2))
        text.append("\n")
    text.append("   ")
    for p in points:
        text.append(p.label[: COLUMN_W - 1].ljust(COLUMN_W), style=axis_style)
    text.append("\n   ")
    text.append("█", style=rating_style)
    text.append(" rating 0–10   ", style=axis_style)
    text.append("█", style=emg_style)
    text.append(f" EMG score 0–{emg_top:.0f} %MVC", style=axis_style)
    return text


class WeekPlot(Widget):
    """The plot as a widget; set :attr:`points` (a tuple) to redraw."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"week-plot--rating", "week-plot--emg", "week-plot--axis"}
    DEFAULT_CSS = """
    WeekPlot { height: 11; }
    WeekPlot > .week-plot--rating { color: $success; }
    WeekPlot > .week-plot--emg { color: $accent; }
    WeekPlot > .week-plot--axis { color: $text-muted; }
    """

    points: reactive[tuple[PlotPoint, ...]] = reactive((), layout=False)

    def render(self) -> Text:
        fit = max(1, (self.size.width - 3) // COLUMN_W)
        return render_week_plot(
            self.points[-fit:],
            height=max(2, self.size.height - 2),
            rating_style=self.get_component_rich_style("week-plot--rating"),
            emg_style=self.get_component_rich_style("week-plot--emg"),
            axis_style=self.get_component_rich_style("week-plot--axis"),
        )
