"""A terminal plot of an exercise week by week: one band of bars per measure, each on its own scale.

Rating (0–10), the rise time of explosive-intent reps (ms, beside the
rating: faster is a shorter bar), EMG score (%MVC), top load and e1RM (kg) have different units,
so each gets its own rows with its name and scale written at the left, and
a bar per week drawn with eighth-block characters (two rows: 16 levels).
Under the bands, each week's column is labelled with its Monday's date
("5 Jan"), and a line says every band is on its own scale. The rise band
shows only for an exercise with explosive-intent reps (an isolation drill
never has any, and a "none logged" line there would only be noise). Told apart by
place and name, never by colour alone. The pure :func:`render_week_plot` is
what tests read; :class:`WeekPlot` only sizes it to the widget and colours it
from the theme (component classes, so a light theme restyles it from tcss).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"
LABEL_W = 10  # "EMG %MVC" / "0–100 kg" and a space
COLUMN_W = 7  # "12 Jan" and a space
BAR_W = 4
SCALE_NOTE = "Bars from 0; rating, EMG and kg each on their own scale."
RISE_SCALE_NOTE = "Bars from 0; rating, rise, EMG, kg: each its own scale."
"""The note when the rise band shows (it fits the 60 columns the history's right side has at 80)."""


@dataclass(frozen=True, slots=True)
class PlotPoint:
    label: str
    rating: float | None  # 0–10
    emg_score: float | None  # % MVC
    top_load_kg: float | None = None
    e1rm_kg: float | None = None
    rise_ms: float | None = None  # mean rise time of the week's explosive-intent reps


@dataclass(frozen=True, slots=True)
class _Band:
    name: str
    scale: str
    top: float
    value: Callable[[PlotPoint], float | None]
    style_key: str


def _bands(points: Sequence[PlotPoint]) -> list[_Band]:
    def top(values: list[float | None], floor: float) -> float:
        return max([floor] + [v for v in values if v is not None])

    emg_top = top([p.emg_score for p in points], 100.0)
    rise_top = top([p.rise_ms for p in points], 100.0)
    kg_top = top([p.top_load_kg for p in points] + [p.e1rm_kg for p in points], 0.0)
    kg_scale = f"0–{kg_top:.0f} kg"
    return [
        _Band("rating", "0–10", 10.0, lambda p: p.rating, "rating"),
        _Band("rise ms", f"0–{rise_top:.0f}", rise_top, lambda p: p.rise_ms, "rise"),
        _Band("EMG %MVC", f"0–{emg_top:.0f}", emg_top, lambda p: p.emg_score, "emg"),
        _Band("top load", kg_scale, kg_top, lambda p: p.top_load_kg, "load"),
        _Band("e1RM", kg_scale, kg_top, lambda p: p.e1rm_kg, "load"),
    ]


def _cell(value: float | None, top: float, row_from_bottom: int, rows: int) -> str:
    if value is None or top <= 0:
        return " "
    eighths = round(max(0.0, min(1.0, value / top)) * rows * 8)
    return BLOCKS[max(0, min(8, eighths - row_from_bottom * 8))]


def render_week_plot(
    points: Sequence[PlotPoint],
    rows_per_band: int = 2,
    *,
    styles: dict[str, Style | str] | None = None,
) -> Text:
    """Bands of bars (rating, rise time, EMG, top load, e1RM), then the date of each week, then the scale note."""
    style = styles or {}
    axis = style.get("axis", "")
    text = Text(no_wrap=True, overflow="ellipsis")
    if not points:
        text.append("No sets yet: rating, EMG score and loads appear here week by week.", style=axis)
        return text
    note = SCALE_NOTE
    for band in _bands(points):
        values = [band.value(p) for p in points]
        if band.style_key == "rise":
            if all(v is None for v in values):
                continue
            note = RISE_SCALE_NOTE
        if all(v is None for v in values):
            text.append(band.name.ljust(LABEL_W), style=axis)
            text.append("none logged\n", style=axis)
            continue
        for row in range(rows_per_band - 1, -1, -1):
            left = band.name if row == rows_per_band - 1 else (band.scale if row == rows_per_band - 2 else "")
            text.append(left[: LABEL_W - 1].ljust(LABEL_W), style=axis)
            for v in values:
                text.append(_cell(v, band.top, row, rows_per_band) * BAR_W, style=style.get(band.style_key, ""))
                text.append(" " * (COLUMN_W - BAR_W))
            text.append("\n")
    text.append(" " * LABEL_W)
    for p in points:
        text.append(p.label[: COLUMN_W - 1].ljust(COLUMN_W), style=axis)
    text.append("\n")
    text.append(note, style=axis)
    return text


class WeekPlot(Widget):
    """The plot as a widget; set :attr:`points` (a tuple) to redraw. Shows the weeks that fit, newest last."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "week-plot--rating", "week-plot--rise", "week-plot--emg", "week-plot--load", "week-plot--axis",
    }
    DEFAULT_CSS = """
    WeekPlot { height: 12; }
    WeekPlot > .week-plot--rating { color: $success; }
    WeekPlot > .week-plot--rise { color: $warning; }
    WeekPlot > .week-plot--emg { color: $accent; }
    WeekPlot > .week-plot--load { color: $primary; }
    WeekPlot > .week-plot--axis { color: $text-muted; }
    """

    points: reactive[tuple[PlotPoint, ...]] = reactive((), layout=False)

    def watch_points(self, points: tuple[PlotPoint, ...]) -> None:
        """Two more rows while the rise band shows (``-rise``: the sheet gives the height)."""
        self.set_class(any(p.rise_ms is not None for p in points), "-rise")

    def render(self) -> Text:
        fit = max(1, (self.size.width - LABEL_W) // COLUMN_W)
        return render_week_plot(
            self.points[-fit:],
            styles={key: self.get_component_rich_style(f"week-plot--{key}") for key in ("rating", "rise", "emg", "load", "axis")},
        )
