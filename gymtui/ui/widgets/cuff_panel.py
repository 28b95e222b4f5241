"""The cuff panel on the set screen: pressure, % LOP, target band, occlusion timers, alarms.

It renders a :class:`gymtui.bfr.events.CuffView` snapshot and nothing else: no
safety logic lives here. The app sets :attr:`CuffPanel.view` from
``supervisor.view()`` a few times a second. Colours come from theme
variables and layout from the ``DEFAULT_CSS`` beside each widget; the state
shows as a class on the panel (``-holding``, ``-inflating``, ``-deflated``,
``-notice``, ``-alarm``, ``-release``) so the styles decide how loud each
one is. When a new alarm arrives the panel posts
:class:`CuffPanel.Alarm` once, for the app's cue sink to ring the bell.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Static

from gymtui.bfr.events import (
    NOT_A_BFR_SET,
    AlarmLevel,
    CuffState,
    CuffView,
    format_mmss,
)
from gymtui.text import safe_text

STATE_CLASSES = {
    CuffState.HOLDING: "-holding",
    CuffState.INFLATING: "-inflating",
    CuffState.DEFLATING: "-deflated",
    CuffState.DEFLATED: "-deflated",
    CuffState.LINK_LOST: "-release",
    CuffState.NOT_CONNECTED: "-deflated",
}
LEVEL_CLASSES = {
    AlarmLevel.NOTICE: "-notice",
    AlarmLevel.ALARM: "-alarm",
    AlarmLevel.RELEASE_BY_HAND: "-release",
}
ALL_CLASSES = set(STATE_CLASSES.values()) | set(LEVEL_CLASSES.values())


class CuffBand(Widget):
    """A horizontal pressure scale: the measured pressure as a bar, the target band under it."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"cuff-band--pressure", "cuff-band--track", "cuff-band--band", "cuff-band--target"}
    DEFAULT_CSS = """
    CuffBand { height: 2; }
    CuffBand > .cuff-band--pressure { color: $primary; }
    CuffBand > .cuff-band--track { color: $panel-lighten-2; }
    CuffBand > .cuff-band--band { color: $success; }
    CuffBand > .cuff-band--target { color: $success; text-style: bold; }
    """

    view: reactive[CuffView | None] = reactive(None)

    def render(self) -> Text:
        width = max(10, self.size.width)
        view = self.view
        text = Text(no_wrap=True, overflow="crop")
        if view is None:
            return text
        pressure = (view.pressure_mmhg or 0.0) if view.link_ok else 0.0  # never a stale bar
        band = view.band_mmhg
        scale = max(view.ceiling_mmhg, band[1] if band else 0.0, pressure, 50.0) * 1.1

        def col(mmhg: float) -> int:
            return min(width - 1, max(0, round(mmhg / scale * (width - 1))))

        filled = col(pressure) if pressure > 0.5 else -1
        text.append("█" * (filled + 1), self.get_component_rich_style("cuff-band--pressure"))
        text.append("░" * (width - filled - 1), self.get_component_rich_style("cuff-band--track"))
        text.append("\n")
        if band is not None and view.target_mmhg is not None:
            lo, hi, target = col(band[0]), col(band[1]), col(view.target_mmhg)
            row = [" "] * width
            for i in range(lo, hi + 1):
                row[i] = "▔"
            row[target] = "▲"
            band_style = self.get_component_rich_style("cuff-band--band")
            target_style = self.get_component_rich_style("cuff-band--target")
            for i, ch in enumerate(row):
                text.append(ch, target_style if i == target else band_style)
        return text


class CuffPanel(Widget):
    """Renders the supervisor's :class:`CuffView`. Set :attr:`view`; nothing else.

    Add the class ``-compact`` (e.g. on a small terminal) to drop the large
    numerals, the pressure scale and the border: the pressure then leads the
    readout line, and the panel takes three rows (four with a message).
    """

    DEFAULT_CSS = """
    CuffPanel {
        height: auto;
        min-height: 9;
        border: round $panel-lighten-2;
        padding: 0 1;
        background: $surface;
    }
    CuffPanel.-compact {
        min-height: 0;
        border: none;
        border-left: thick $panel-lighten-2;
    }
    CuffPanel.-compact #cuff-pressure, CuffPanel.-compact #cuff-band {
        display: none;
    }
    CuffPanel #cuff-title {
        text-style: bold;
        color: $text-muted;
    }
    CuffPanel #cuff-pressure {
        width: auto;
        color: $text;
    }
    CuffPanel #cuff-readout {
        color: $text;
    }
    CuffPanel #cuff-timers {
        color: $text-muted;
    }
    CuffPanel #cuff-message {
        text-style: bold;
    }
    CuffPanel.-holding {
        border: round $success;
    }
    CuffPanel.-holding #cuff-pressure {
        color: $success;
    }
    CuffPanel.-inflating {
        border: round $primary;
    }
    CuffPanel.-deflated #cuff-pressure {
        color: $text-muted;
    }
    CuffPanel.-notice {
        border: round $warning;
    }
    CuffPanel.-notice #cuff-message {
        color: $warning;
    }
    CuffPanel.-alarm {
        border: heavy $error;
        background: $error 20%;
    }
    CuffPanel.-alarm #cuff-message {
        color: $error;
    }
    CuffPanel.-release {
        border: heavy $error;
        background: $error;
    }
    /* Compact: the state shows on the left edge alone (no full border), so the countdown keeps its rows. */
    CuffPanel.-compact.-holding { border: none; border-left: thick $success; }
    CuffPanel.-compact.-inflating { border: none; border-left: thick $primary; }
    CuffPanel.-compact.-notice { border: none; border-left: thick $warning; }
    CuffPanel.-compact.-alarm { border: none; border-left: thick $error; }
    CuffPanel.-compact.-release { border: none; border-left: thick $error; }
    CuffPanel.-release #cuff-message,
    CuffPanel.-release #cuff-title,
    CuffPanel.-release #cuff-pressure,
    CuffPanel.-release #cuff-readout,
    CuffPanel.-release #cuff-timers {
        color: $text;
        text-style: bold;
    }
    """

    class Alarm(Message):
        """A new alarm or limit to announce (bell, flash) once."""

        def __init__(self, view: CuffView) -> None:
            super().__init__()
            self.view = view

    view: reactive[CuffView | None] = reactive(None)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._alarm_seq = 0

    def compose(self) -> ComposeResult:
        yield Static("CUFF", id="cuff-title")
        yield Digits("--", id="cuff-pressure")
        yield Static("", id="cuff-readout")
        yield CuffBand(id="cuff-band")
        yield Static("", id="cuff-timers")
        yield Static("", id="cuff-message", markup=False)  # may quote a device or its error

    def watch_view(self, view: CuffView | None) -> None:
        if not self.is_mounted:
            return
        self._render_view(view)

    def on_mount(self) -> None:
        self._render_view(self.view)

    def set_compact(self, compact: bool) -> None:
        """Small screens: no large numerals, pressure first on the readout line."""
        self.set_class(compact, "-compact")
        if self.is_mounted:
            self._render_view(self.view)

    def _show_state_classes(self, wanted: tuple[str, ...]) -> None:
        """The state and alarm classes in one batch, and only when they change.

        A class change makes Textual match the stylesheet against the panel's
        whole subtree again; the view arrives several times a second and its
        state rarely changes, so removing and re-adding them each time cost
        two restyles per view for nothing.
        """
        self.update_classes({name: name in wanted for name in ALL_CLASSES})

    def _render_view(self, view: CuffView | None) -> None:
        if not self.query("#cuff-title"):
            return  # a view can arrive before the panel has composed; on_mount draws it
        title = self.query_one("#cuff-title", Static)
        digits = self.query_one("#cuff-pressure", Digits)
        readout = self.query_one("#cuff-readout", Static)
        timers = self.query_one("#cuff-timers", Static)
        message = self.query_one("#cuff-message", Static)
        self.query_one(CuffBand).view = view
        if view is None:
            self._show_state_classes(())
            title.update("CUFF: not set up")
            digits.update("--")
            readout.update("")
            timers.update("")
            message.update("")
            return
        lop = f"LOP {view.lop_mmhg:.0f}" if view.lop_mmhg else "no LOP"
        title.update(f"CUFF · {view.limb.upper()} · {lop} · {view.state.upper()}")
        pressure = view.pressure_mmhg
        digits.update("--" if pressure is None or not view.link_ok else f"{pressure:.0f}")
        compact = self.has_class("-compact")
        pct = "" if view.pct_lop is None or not view.link_ok else f"{view.pct_lop:.0f} % LOP"
        if view.target_mmhg is not None and view.band_mmhg is not None:
            lo, hi = view.band_mmhg
            target = f"target {view.target_mmhg:.0f} ({lo:.0f}–{hi:.0f})"
            if not compact:
                target += f" · {view.target_pct:g} %"
        elif not view.bfr_set:
            target = NOT_A_BFR_SET
        else:
            target = "cuff down" if view.commanded_mmhg == 0 else ""
        shown = "--" if pressure is None or not view.link_ok else f"{pressure:.0f}"
        lead = f"{shown} mmHg" if compact else "mmHg"
        readout.update(f"{lead}  {pct}   {target}".rstrip(), layout=False)
        occluded = f"on {format_mmss(view.continuous_s)}   " if view.continuous_s > 0 else ""
        exercise, session = ("ex", "sess") if compact else ("exercise", "session")
        timers.update(
            f"{occluded}{exercise} {format_mmss(view.exercise_s)}/{format_mmss(view.exercise_cap_s)}"
            f"   {session} {format_mmss(view.session_s)}/{format_mmss(view.session_cap_s)}",
            layout=False,
        )
        message.update(safe_text(view.message))
        message.display = bool(view.message) or not compact
        self._show_state_classes((STATE_CLASSES[view.state], LEVEL_CLASSES.get(view.level, "")))
        if view.alarm_seq > self._alarm_seq:
            self._alarm_seq = view.alarm_seq
            self.post_message(self.Alarm(view))
