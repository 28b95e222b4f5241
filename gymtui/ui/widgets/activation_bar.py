"""One live activation bar: a muscle, its %MVC (or µV before an MVC), the target line and zone."""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

LABEL_CELLS = 18
VALUE_CELLS = 9
UV_FULL_SCALE = 500.0
"""Before an MVC the bars span 0 to this many µV, the same for every channel and every frame.

A fixed, stated scale: rest noise (a few µV) stays a sliver, and a
contraction reads the same whichever channel is loudest. Auto-ranging to the
frame's loudest channel made rest noise fill 80–100 % of a bar."""
MARK_GLYPH = "◀ "
"""Prefixed to a marked bar's muscle: the channel the cue is about."""


class ActivationBar(Widget):
    """Draws ``pct`` %MVC against ``target`` and ``zone``; before an MVC, ``uv`` on a fixed µV scale.

    Values arrive ~30 times a second, so the bar uses Textual's line API:
    each row is a handful of segments (label, filled run, target tick, empty
    run, value) with styles looked up once per theme, not a cell-by-cell
    Text. The bar spans 0 to ``full_scale`` %MVC; a value over full scale
    fills it in the "over" colour. ``marked`` (the channel a form cue is
    about) draws the fill and the label in the "marked" colour with
    :data:`MARK_GLYPH`; ``zone`` (a phase's target band, %MVC) puts the
    "zone" background under the band's cells.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "activation-bar--fill",
        "activation-bar--over",
        "activation-bar--empty",
        "activation-bar--target",
        "activation-bar--label",
        "activation-bar--flag",
        "activation-bar--marked",
        "activation-bar--zone",
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
    ActivationBar > .activation-bar--marked { color: $error; text-style: bold; }
    ActivationBar > .activation-bar--zone { background: $secondary 45%; }
    """

    pct: reactive[float | None] = reactive(None, layout=False)
    uv: reactive[float | None] = reactive(None, layout=False)
    """The envelope in µV, drawn on :data:`UV_FULL_SCALE` while ``pct`` is None (no MVC yet)."""
    target: reactive[float | None] = reactive(None, layout=False)
    zone: reactive[tuple[float, float] | None] = reactive(None, layout=False)
    """The target band (low, high) in %MVC, drawn under the bar's cells; None: no band."""
    marked: reactive[bool] = reactive(False, layout=False)
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
            return max(0.0, min(1.0, (self.uv or 0.0) / UV_FULL_SCALE))
        return max(0.0, min(1.0, self.pct / self.full_scale))

    def value_text(self) -> str:
        if self.pct is not None:
            return f"{self.pct:4.0f}%"
        if self.uv is not None:
            return f"{self.uv:4.0f} µV"
        return "  --"

    # -- drawing -----------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._styles.clear()  # the theme or CSS changed: look the colours up again
        super().notify_style_update()

    def _style(self, part: str) -> Style:
        style = self._styles.get(part)
        if style is None:
            style = self._styles[part] = self.get_component_rich_style(f"activation-bar--{part}")
        return style

    def _zoned(self, part: str) -> Style:
        """A part's style over the zone's background."""
        key = f"{part}+zone"
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self._style(part) + Style(bgcolor=self._style("zone").bgcolor)
        return style

    def _cell(self, fraction: float, bar_cells: int) -> int:
        return min(bar_cells - 1, max(0, round(fraction * bar_cells)))

    def _label(self, y: int) -> Segment:
        if y == 0:
            if self.marked:
                text = (MARK_GLYPH + self.muscle)[: LABEL_CELLS - 1]
                return Segment(text.ljust(LABEL_CELLS), self._style("marked"))
            return Segment(self.muscle[: LABEL_CELLS - 1].ljust(LABEL_CELLS), self._style("label"))
        if y == 1 and self.flags:
            return Segment(("⚠ " + ",".join(self.flags))[: LABEL_CELLS - 1].ljust(LABEL_CELLS), self._style("flag"))
        if y == 1 and self.role:
            return Segment(self.role[: LABEL_CELLS - 1].ljust(LABEL_CELLS), self._style("label"))
        return Segment(" " * LABEL_CELLS)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        height = max(1, self.size.height)
        bar_cells = max(1, width - LABEL_CELLS - VALUE_CELLS)
        filled = round(self.fill_fraction() * bar_cells)
        calibrated = self.pct is not None
        target_cell = self._cell(self.target / self.full_scale, bar_cells) if self.target is not None and calibrated else None
        zone = self.zone if calibrated else None
        zone_cells = (
            range(self._cell(zone[0] / self.full_scale, bar_cells), self._cell(zone[1] / self.full_scale, bar_cells) + 1)
            if zone is not None
            else range(0)
        )
        if self.marked:
            fill_part = "marked"
        else:
            fill_part = "over" if (self.pct or 0.0) > self.full_scale else "fill"

        # One (glyph, part, in zone) per cell, then runs of equal cells become segments.
        def cell(i: int) -> tuple[str, str, bool]:
            if i == target_cell:
                return "┃", "target", i in zone_cells
            if i < filled:
                return "█", fill_part, i in zone_cells
            return "░", "empty", i in zone_cells

        segments = [self._label(y)]
        for (glyph, part, in_zone), run in groupby(map(cell, range(bar_cells))):
            style = self._zoned(part) if in_zone else self._style(part)
            segments.append(Segment(glyph * sum(1 for _ in run), style))
        value = self.value_text().rjust(VALUE_CELLS - 1) + " " if y == (height - 1) // 2 else " " * VALUE_CELLS
        segments.append(Segment(value, self._style("label")))
        return Strip(segments).crop(0, width)
