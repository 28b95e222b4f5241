"""One live activation bar: a muscle, its %MVC (or µV before an MVC), the target line and zone."""

from __future__ import annotations

from itertools import pairwise
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
LOOK_REACTIVES = ("pct", "uv", "target", "zone", "marked", "flags", "full_scale")
"""The values a bar draws from; none repaints by itself (see :meth:`ActivationBar._repaint_if_changed`)."""

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

    pct: reactive[float | None] = reactive(None, layout=False, repaint=False)
    uv: reactive[float | None] = reactive(None, layout=False, repaint=False)
    """The envelope in µV, drawn on :data:`UV_FULL_SCALE` while ``pct`` is None (no MVC yet)."""
    target: reactive[float | None] = reactive(None, layout=False, repaint=False)
    zone: reactive[tuple[float, float] | None] = reactive(None, layout=False, repaint=False)
    """The target band (low, high) in %MVC, drawn under the bar's cells; None: no band."""
    marked: reactive[bool] = reactive(False, layout=False, repaint=False)
    flags: reactive[tuple[str, ...]] = reactive((), layout=False, repaint=False)
    full_scale: reactive[float] = reactive(100.0, layout=False, repaint=False)

    def __init__(self, muscle: str, role: str = "", *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.muscle = muscle
        self.role = role
        self._styles: dict[str, Style] = {}
        self._shown_look: tuple[object, ...] | None = None
        """What the last repaint asked for draws (:meth:`_look`): a value that draws the same cells repaints nothing."""
        self._row_cache: tuple[tuple[object, ...], list[Segment]] | None = None
        """The bar's segments for one look (every row of the bar draws the same run of cells)."""

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

    # -- repainting only what changed --------------------------------------------------
    # The values arrive ~30 times a second and most of them draw the same cells
    # as the last (a %MVC that moved by a tenth): the reactives do not repaint
    # by themselves; each change compares what would be drawn with what was.
    def on_mount(self) -> None:
        for name in LOOK_REACTIVES:  # a value set on its own (not through show) is compared as well
            self.watch(self, name, self._repaint_if_changed, init=False)

    def show(
        self,
        pct: float | None,
        uv: float | None,
        *,
        flags: tuple[str, ...] | None = None,
        marked: bool = False,
        zone: tuple[float, float] | None = None,
    ) -> None:
        """One frame's values at once (the set screen's path, 30 times a second): one comparison, one repaint at most."""
        self.set_reactive(ActivationBar.pct, pct)
        self.set_reactive(ActivationBar.uv, uv)
        if flags is not None:
            self.set_reactive(ActivationBar.flags, flags)
        self.set_reactive(ActivationBar.marked, marked)
        self.set_reactive(ActivationBar.zone, zone)
        self._repaint_if_changed()

    def _repaint_if_changed(self) -> None:
        look = self._look()
        if look != self._shown_look:
            self._shown_look = look  # the repaint asked for now draws the values as they are then
            self.refresh()

    @staticmethod
    def _bar_cells(width: int) -> int:
        return max(1, width - LABEL_CELLS - VALUE_CELLS)

    def _bar_look(self, bar_cells: int) -> tuple[int, int | None, int, int, str]:
        """(filled cells, target cell, zone start, zone end, fill part): all a row of cells depends on."""
        filled = round(self.fill_fraction() * bar_cells)
        calibrated = self.pct is not None
        target_cell = self._cell(self.target / self.full_scale, bar_cells) if self.target is not None and calibrated else None
        zone = self.zone if calibrated else None
        if zone is not None:
            zone_start = self._cell(zone[0] / self.full_scale, bar_cells)
            zone_end = self._cell(zone[1] / self.full_scale, bar_cells) + 1
        else:
            zone_start = zone_end = 0
        if self.marked:
            fill_part = "marked"
        else:
            fill_part = "over" if (self.pct or 0.0) > self.full_scale else "fill"
        return filled, target_cell, zone_start, zone_end, fill_part

    def _look(self) -> tuple[object, ...]:
        size = self.size
        return (size, self._bar_look(self._bar_cells(size.width)), self.value_text(), self.marked, self.flags)

    def _bar_segments(self, bar_cells: int) -> list[Segment]:
        """The row's cells as runs: cut where the fill, the target tick or the zone begins or ends."""
        look = (bar_cells, *self._bar_look(bar_cells))
        cached = self._row_cache
        if cached is not None and cached[0] == look:
            return cached[1]
        _, filled, target_cell, zone_start, zone_end, fill_part = look
        cuts = {0, bar_cells, filled, zone_start, zone_end}
        if target_cell is not None:
            cuts.update((target_cell, target_cell + 1))
        edges = sorted(c for c in cuts if 0 <= c <= bar_cells)
        runs: list[tuple[str, str, bool, int]] = []  # (glyph, part, in zone, cells)
        for start, stop in pairwise(edges):
            if start == stop:
                continue
            if start == target_cell:
                glyph, part = "┃", "target"
            elif start < filled:
                glyph, part = "█", fill_part
            else:
                glyph, part = "░", "empty"
            in_zone = zone_start <= start < zone_end
            if runs and runs[-1][:3] == (glyph, part, in_zone):
                runs[-1] = (glyph, part, in_zone, runs[-1][3] + stop - start)
            else:
                runs.append((glyph, part, in_zone, stop - start))
        segments = [
            Segment(glyph * cells, self._zoned(part) if in_zone else self._style(part))
            for glyph, part, in_zone, cells in runs
        ]
        self._row_cache = (look, segments)
        return segments

    def render_line(self, y: int) -> Strip:
        size = self.size
        width, height = size.width, max(1, size.height)
        segments = [self._label(y), *self._bar_segments(self._bar_cells(width))]
        value = self.value_text().rjust(VALUE_CELLS - 1) + " " if y == (height - 1) // 2 else " " * VALUE_CELLS
        segments.append(Segment(value, self._style("label")))
        return Strip(segments).crop(0, width)
