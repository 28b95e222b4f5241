"""One rack on the coach's board: who trains, what, which set, the phase and its countdown, the muscles, the cuff.

Fifty of these update five times a second, so a tile is one widget drawn
with Textual's line API: when its :class:`RackState` changes it builds its
rows once (a few segments each, styles looked up once per theme) and
``render_line`` hands them out. No child widgets, no layout on update:
``state`` is a reactive with ``layout=False``.

Everything in a state came from the broker, so every string goes through
:func:`safe_text` and into a ``Segment`` (never read as markup). A rack that
is lost or offline is drawn in the muted colour with when it went.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from gymtui.gym.board import RackState
from gymtui.gym.payloads import ChannelLevel, RackStatus
from gymtui.text import safe_text
from gymtui.ui.widgets.bigfont import GLYPH_ROWS, render_lines, text_width

MAX_CHANNELS = 4
"""Bars per tile: the target muscle first, then the loudest; more would not read from across the room."""
MUSCLE_CELLS = 10
VALUE_CELLS = 6
UV_FULL_SCALE = 500.0
"""Before an MVC a bar spans 0 to this many µV (the rack's own bars use the same scale)."""
ROW_CACHE_SIZE = 512
"""Rows kept per tile: a countdown's digits, bar levels, the steady lines (cleared when full)."""
ROWS = 4 + GLYPH_ROWS + MAX_CHANNELS + 2
"""Title, athlete, exercise, phase, countdown, bars, cuff, alarm."""


def countdown_text(seconds: float | None) -> str:
    """``42`` under a minute, ``1:30`` above; empty without a countdown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    whole = int(seconds + 0.999)  # 0.2 s left still shows 1, as the rack's own countdown does
    return f"{whole // 60}:{whole % 60:02d}" if whole >= 60 else str(whole)


def clock_text(at: float | None) -> str:
    return "" if at is None else time.strftime("%H:%M:%S", time.localtime(at))


def ordered_channels(channels: tuple[ChannelLevel, ...]) -> list[ChannelLevel]:
    """The target muscle first, then the most active: at most :data:`MAX_CHANNELS`."""
    def loudness(c: ChannelLevel) -> float:
        return c.pct_mvc if c.pct_mvc is not None else (c.envelope_uv or 0.0) / UV_FULL_SCALE * 100
    return sorted(channels, key=lambda c: (not c.target, -loudness(c)))[:MAX_CHANNELS]


class RackTile(Widget):
    """Draws one :class:`RackState`; ``on_drawn`` (a latency probe) hears each status the moment it is drawn."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rack-tile--title",
        "rack-tile--text",
        "rack-tile--muted",
        "rack-tile--countdown",
        "rack-tile--fill",
        "rack-tile--over",
        "rack-tile--empty",
        "rack-tile--alarm",
    }
    DEFAULT_CSS = """
    RackTile { height: auto; }
    RackTile > .rack-tile--title { text-style: bold; color: $primary; }
    RackTile > .rack-tile--text { color: $foreground; }
    RackTile > .rack-tile--muted { color: $foreground-muted; }
    RackTile > .rack-tile--countdown { color: $countdown-color; }
    RackTile > .rack-tile--fill { color: $bar-fill; }
    RackTile > .rack-tile--over { color: $bar-over; }
    RackTile > .rack-tile--empty { color: $bar-empty; }
    RackTile > .rack-tile--alarm { color: $error; text-style: bold reverse; }
    """

    state: reactive[RackState | None] = reactive(None, layout=False, repaint=False)
    """What the tile shows; a change repaints only the rows that differ (see :meth:`watch_state`)."""

    def __init__(self, rack: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rack = rack
        self.on_drawn: Callable[[RackStatus], None] | None = None
        self._styles: dict[str, Style] = {}
        self._rows: list[Strip] = []
        self._rows_width = -1
        self._row_cache: dict[tuple[int, tuple[tuple[str, str], ...]], Strip] = {}
        self._undrawn: RackStatus | None = None
        """A status built into rows but not yet handed to the screen (for :attr:`on_drawn`)."""

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return ROWS

    def watch_state(self, state: RackState | None) -> None:
        """Rebuild the rows and repaint those that changed: at 5 Hz a countdown, two bars and the cuff, not 15 rows."""
        away = state is not None and state.presence in ("lost", "offline")
        self.set_class(away, "-away")
        self.set_class(state is not None and state.alarm is not None, "-alarm")
        self._undrawn = state.status if state is not None else None
        width = self.size.width
        if width <= 0 or width != self._rows_width:
            self._rows_width = -1
            self.refresh()
            return
        old, self._rows = self._rows, self._build(state, width)
        changed = [Region(0, y, width, 1) for y, row in enumerate(self._rows) if y >= len(old) or row != old[y]]
        if changed:
            self.refresh(*changed)
        elif self._undrawn is not None and self.on_drawn is not None:
            self.on_drawn(self._undrawn)  # nothing to repaint: what is on screen shows it already
            self._undrawn = None

    # -- drawing -----------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._styles.clear()
        self._row_cache.clear()
        self._rows_width = -1
        super().notify_style_update()

    def _style(self, part: str) -> Style:
        style = self._styles.get(part)
        if style is None:
            style = self._styles[part] = self.get_component_rich_style(f"rack-tile--{part}")
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._rows_width:
            self._rows = self._build(self.state, width)
            self._rows_width = width
        if self._undrawn is not None and self.on_drawn is not None:
            self.on_drawn(self._undrawn)
        self._undrawn = None
        return self._rows[y] if 0 <= y < len(self._rows) else Strip.blank(width)

    def _line(self, width: int, *parts: tuple[str, str]) -> Strip:
        """One row from (text, part) pairs; rows seen before come from a small cache (most rows repeat)."""
        key = (width, parts)
        strip = self._row_cache.get(key)
        if strip is None:
            if len(self._row_cache) >= ROW_CACHE_SIZE:
                self._row_cache.clear()
            segments = [Segment(text, self._style(part)) for text, part in parts if text]
            strip = self._row_cache[key] = Strip(segments).adjust_cell_length(width)
        return strip

    def _build(self, state: RackState | None, width: int) -> list[Strip]:
        rows: list[Strip] = []
        name = safe_text(self.rack, max_chars=32)
        away = state is None or state.presence in ("lost", "offline", "unknown")
        text = "muted" if away else "text"
        if state is None or state.presence == "unknown":
            presence = "waiting"
        elif state.presence in ("lost", "offline"):
            presence = f"{state.presence} since {clock_text(state.since)}"
        else:
            presence = "online"
        gap = max(1, width - len(name) - len(presence))
        rows.append(self._line(width, (name, "muted" if away else "title"), (" " * gap, "text"), (presence, text)))
        status = state.status if state is not None else None
        if status is None:
            rows.append(self._line(width, ("nothing heard yet", "muted")))
            return rows + [Strip.blank(width)] * (ROWS - len(rows))
        rows.append(self._line(width, (safe_text(status.athlete or "no athlete", max_chars=60), text)))
        rows.append(self._line(width, (self._what(status), text)))
        rows.append(self._line(width, (self._phase(status), text)))
        rows.extend(self._countdown(status, width, "muted" if away else "countdown"))
        for channel in ordered_channels(status.channels):
            rows.append(self._bar(channel, width, away))
        while len(rows) < ROWS - 2:
            rows.append(Strip.blank(width))
        rows.append(self._line(width, (self._cuff(status), text)))
        alarm = state.alarm if state is not None else None
        rows.append(self._line(width, (f"⚠ {safe_text(alarm, max_chars=80)}", "alarm")) if alarm else Strip.blank(width))
        return rows[:ROWS]

    @staticmethod
    def _what(status: RackStatus) -> str:
        """The exercise and its load: the line a coach reads first, so it never shares with the set count."""
        parts = [safe_text(status.exercise, max_chars=60)] if status.exercise else []
        if status.load_kg is not None:
            parts.append(f"{status.load_kg:g} kg")
        return " · ".join(parts) or "—"

    @staticmethod
    def _phase(status: RackStatus) -> str:
        """Which set, then the phase and its kind: "set 2 of 4 · Peak hold · isometric"."""
        parts = []
        if status.set_n is not None:
            parts.append(f"set {status.set_n} of {status.set_of}" if status.set_of else f"set {status.set_n}")
        if status.phase is None:
            parts.append(safe_text(status.screen, max_chars=20))
        else:
            phase = safe_text(status.phase, max_chars=30)
            kind = safe_text(status.phase_kind, max_chars=20) if status.phase_kind not in (None, "lead_in") else ""
            parts.append(f"{phase} · {kind}" if kind and kind.lower() not in phase.lower() else phase)
        return " · ".join(parts)

    def _countdown(self, status: RackStatus, width: int, part: str) -> list[Strip]:
        text = countdown_text(status.countdown_s)
        if not text:
            return [Strip.blank(width)] * GLYPH_ROWS
        if text_width(text, 1) > width:
            return [self._line(width, (text.center(width), part))] + [Strip.blank(width)] * (GLYPH_ROWS - 1)
        return [self._line(width, (line.center(width), part)) for line in render_lines(text, 1)]

    def _bar(self, channel: ChannelLevel, width: int, away: bool) -> Strip:
        muscle = safe_text(channel.muscle, max_chars=MUSCLE_CELLS - 1).ljust(MUSCLE_CELLS)
        cells = max(1, width - MUSCLE_CELLS - VALUE_CELLS)
        if channel.pct_mvc is not None:
            fraction, value = channel.pct_mvc / 100.0, f"{channel.pct_mvc:4.0f}%"
        elif channel.envelope_uv is not None:
            fraction, value = channel.envelope_uv / UV_FULL_SCALE, f"{channel.envelope_uv:3.0f}µV"
        else:
            fraction, value = 0.0, "  --"
        filled = round(max(0.0, min(1.0, fraction)) * cells)
        fill = "muted" if away else ("over" if fraction > 1.0 else "fill")
        return self._line(
            width, (muscle, "muted" if away else "text"), ("█" * filled, fill), ("░" * (cells - filled), "empty"),
            (value.rjust(VALUE_CELLS), "muted" if away else "text"),
        )

    @staticmethod
    def _cuff(status: RackStatus) -> str:
        cuff = status.cuff
        if cuff is None:
            return "no cuff"
        words = f"cuff {safe_text(cuff.state, max_chars=20)}"
        if cuff.pressure_mmhg is not None:
            words += f" {cuff.pressure_mmhg:.0f}"
            words += f"/{cuff.target_mmhg:.0f} mmHg" if cuff.target_mmhg is not None else " mmHg"
        return words
