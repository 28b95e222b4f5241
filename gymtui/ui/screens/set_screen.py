"""The set screen: the countdown, the phase and its cue, one bar per muscle, the live coaching.

Each frame's :class:`~gymtui.model.Biofeedback` (whole state, never a
delta) draws the form cue banner under the countdown, marks the offending
bar, puts the target zone on the target's bar and fills the rep marks; a
cue that fired since the last frame rings the bell (gym.toml ``cue_bell``).
The feedback mode hides parts by CSS class: "cues" hides the bars,
"retention" hides bars, banner and rep marks until the set's work is over.

Everything on it that came from outside (the exercise and muscle names of
the athlete's own files, the cue, the sensor's advertised name) is shown as
text: the labels take no markup and :func:`~gymtui.text.safe_text` replaces
control characters and caps the length.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

from gymtui.model import (
    ActivationFrame,
    Biofeedback,
    ChannelInfo,
    FormCue,
    FormCueKind,
    LinkHealth,
    LinkState,
    PhaseKind,
)
from gymtui.session.engine import Cue, EngineView, SetEngine, Stage
from gymtui.session.protocol import SetProtocol
from gymtui.text import safe_text
from gymtui.ui.screens.rating import SetFeedback
from gymtui.ui.widgets.activation_bar import UV_FULL_SCALE, ActivationBar
from gymtui.ui.widgets.countdown import BigCountdown
from gymtui.ui.widgets.cuff_panel import CuffPanel
from gymtui.ui.widgets.footer import Footer
from gymtui.ui.widgets.form_cue import FormCueBanner
from gymtui.ui.widgets.one_line import OneLine
from gymtui.ui.widgets.rep_marks import RepMarks

if TYPE_CHECKING:
    from gymtui.bfr.events import CuffView


LOST_MIN_SHOW_S = 2.0
"""The shortest time the "sensor lost" warning stays on screen."""

STATUS_MAX_CHARS = 300
"""The status line: a capped (200-character) device name plus the rate and filter that follow it."""


COMPACT_CUFF_BELOW_ROWS = 40
"""Below this many rows the cuff panel drops its large numerals and its border: the countdown keeps its size."""

FeedbackMode = Literal["live", "cues", "retention"]
FEEDBACK_MODES: tuple[FeedbackMode, ...] = ("live", "cues", "retention")
UV_SCALE_LINE = f"µV, no MVC yet: scale 0–{UV_FULL_SCALE:.0f} µV"
"""Said once above the bars while they show µV (before an MVC), so nobody reads them as %MVC."""
RETENTION_LINE = "Eyes off the screen: retention set. Your bars and reps show when the set ends."


class SetControls(Protocol):
    """What the set screen's keys drive: the app's set flow (:class:`gymtui.ui.controllers.set_flow.SetFlow`)."""

    def engine(self) -> SetEngine | None:
        """The running set's engine (None before it starts): which keys apply now."""
        ...

    def advance(self) -> None: ...

    def abort(self) -> None: ...

    def toggle_pause(self) -> None: ...

    def adjust_rest(self, delta_s: float) -> None: ...

    async def drop_link(self) -> None: ...

    def drop_cuff_link(self) -> None: ...


def countdown_text(view: EngineView) -> str:
    """Whole seconds left, rounded up, so "1" shows until the boundary itself."""
    if view.remaining_s is None:
        return "--" if view.stage is not Stage.PHASE else "GO"
    return str(max(0, math.ceil(view.remaining_s - 1e-9)))


class SetScreen(Screen[None]):
    """Rendered from the app's runner each tick; keys go straight to the set flow.

    Not through the message queue: Esc deflates the cuff, and nothing may
    stand between the key and the cuff (a queued message waits its turn
    behind the ticks and redraws).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "advance", "Next"),
        Binding("escape", "abort", "Abort set"),
        Binding("p", "pause", "Pause"),
        Binding("plus,equals_sign", "adjust_rest(15)", "+15 s", key_display="+"),
        Binding("minus", "adjust_rest(-15)", "−15 s", key_display="-"),
        Binding("ctrl+d", "drop_link", "Drop sensor link"),
        # Demo only, and not in the footer: the lifter's keys come first there (README: Blood-flow restriction cuffs).
        Binding("ctrl+k", "drop_cuff_link", "Drop cuff link", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self,
        protocol: SetProtocol,
        channels: tuple[ChannelInfo, ...],
        subtitle: str = "",
        *,
        controls: SetControls,
        emulated: bool = False,
        cuff: bool = False,
        demo_cuff: bool = False,
        feedback: str = "live",
        intent: bool = False,
    ) -> None:
        """``feedback``: "live" (bars, cues, rep marks), "cues" (no bars) or "retention" (nothing until
        the set's work is over); ``intent``: a heavy set lifted with intent, whose reps show their rise time."""
        super().__init__()
        if feedback not in FEEDBACK_MODES:
            raise ValueError(f"feedback must be one of {', '.join(FEEDBACK_MODES)}, got {feedback!r}")
        self.feedback_mode = feedback
        self.intent = intent
        self.explosive = any(p.kind is PhaseKind.EXPLOSIVE for p in protocol.phases)
        self.feedback: Biofeedback | None = None
        """The newest frame's coaching state (None before the first frame that carried one)."""
        self._cues_fired = 0
        self._last_cue: FormCue | None = None
        self._cue_kinds: set[FormCueKind] = set()
        self._had_zone = False
        self.protocol = protocol
        self.channels = channels
        self.subtitle = subtitle
        self.controls = controls
        self.emulated = emulated
        self.has_cuff = cuff
        self.demo_cuff = demo_cuff
        """The cuff is the demo's simulated one: ``ctrl+k`` drops its link, to show the alarm."""
        self._shown_state: tuple[object, ...] = ()
        self._shown_label = ""
        self._lost_since: float | None = None
        self._deferred: tuple[str, LinkHealth] | None = None
        self._status = ""
        self._rate_line = ""
        self._bars: list[ActivationBar] = []
        """The bars as composed, kept: each frame sets them without searching the DOM (30 times a second)."""
        self._target_bars: list[bool] = []

    def compose(self) -> ComposeResult:
        yield OneLine(safe_text(self.subtitle or self.protocol.exercise), id="set-title")
        yield Static("", id="phase-name", markup=False)
        yield BigCountdown(id="countdown")
        yield Static("", id="cue", markup=False)
        yield FormCueBanner(id="form-cue")
        yield Static(RETENTION_LINE, id="retention-note", markup=False)
        self._bars = [
            ActivationBar(safe_text(channel.muscle), safe_text(channel.role), id=f"bar-{i}")
            for i, channel in enumerate(self.channels)
        ]
        self._target_bars = [_is_target(bar) for bar in self._bars]
        with Vertical(id="bars"):
            yield from self._bars
        # One row under the bars: the rep marks, and before an MVC (when no rep can be judged) the µV scale.
        with Horizontal(id="under-bars"):
            yield RepMarks(id="rep-marks")
            yield Static(UV_SCALE_LINE, id="bar-scale", markup=False)
        if self.has_cuff:
            yield CuffPanel(id="cuff-panel")
        yield OneLine("", id="set-status")
        yield Static("", id="set-store", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#set-store").display = False
        self.add_class(f"-feedback-{self.feedback_mode}")
        self.set_class(self.feedback_mode == "retention", "-retention-dark")

    # -- rendering ------------------------------------------------------------
    def show_view(self, view: EngineView, phase_count: int) -> None:
        try:
            countdown = self.query_one(BigCountdown)
        except NoMatches:
            return  # composing, or being torn down while a timer still fires

        countdown.value = countdown_text(view)
        stage_class = "-work"
        phase = view.phase
        if view.stage is Stage.LEAD_IN:
            stage_class = "-lead-in"
            label = f"GET READY · {phase.name.upper()}" if phase else "GET READY"
        elif phase is not None and phase.kind is PhaseKind.REST:
            stage_class = "-rest"
            label = "REST"
        elif phase is not None:
            label = f"{phase.name.upper()}  ·  {view.index + 1}/{phase_count}"
        else:
            label = ""
        if view.paused:
            label = f"PAUSED · {label}  (p to resume)"
        for cls in ("-work", "-lead-in", "-rest"):
            countdown.set_class(cls == stage_class, cls)
        if label != self._shown_label:
            self._shown_label = label
            self.query_one("#phase-name", Static).update(safe_text(label))
        if (view.stage, view.index, view.paused, view.completed) != self._shown_state:
            self._shown_state = (view.stage, view.index, view.paused, view.completed)
            self.refresh_bindings()
        target = phase.target_pct_mvc if phase is not None and view.stage is Stage.PHASE else None
        for bar, is_target in zip(self._bars, self._target_bars, strict=True):
            bar.target = target if is_target else None
        # A retention set stays dark until its work is over; then the athlete may look.
        self.set_class(self.feedback_mode == "retention" and not view.completed, "-retention-dark")
        in_explosive = phase is not None and phase.kind is PhaseKind.EXPLOSIVE and view.stage is Stage.PHASE
        with contextlib.suppress(NoMatches):  # the screen may still be composing the widgets below the countdown
            self.query_one(RepMarks).show_rise = self.intent or in_explosive

    def show_cue(self, cue: Cue) -> None:
        with contextlib.suppress(NoMatches):  # a cue may land as the screen leaves
            self.query_one("#cue", Static).update(safe_text(cue.text))

    def show_frame(self, frame: ActivationFrame) -> None:
        """One frame: the bars (µV on a fixed scale until an MVC exists), then the coaching state."""
        feedback = frame.feedback
        marked = feedback.marked if feedback is not None else ()
        zone = feedback.zone_pct if feedback is not None else None
        uncalibrated = False
        if not self.is_mounted:
            return  # composing, or leaving
        pct, uv, quality = frame.pct_mvc, frame.envelope_uv, frame.quality
        for i, (bar, is_target) in enumerate(zip(self._bars, self._target_bars, strict=True)):
            if i < len(pct):
                uncalibrated = uncalibrated or pct[i] is None
                bar.show(pct[i], uv[i] if i < len(uv) else None, flags=quality[i] if i < len(quality) else None,
                         marked=i in marked, zone=zone if is_target else None)
            else:
                bar.show(bar.pct, bar.uv, flags=quality[i] if i < len(quality) else None,
                         marked=i in marked, zone=zone if is_target else None)
        self.set_class(uncalibrated, "-no-mvc")  # the sheet shows the µV scale's line
        if feedback is not None:
            self.show_feedback(feedback)

    def show_feedback(self, feedback: Biofeedback) -> None:
        """The banner, the rep marks and the bell from one frame's whole coaching state."""
        try:
            banner = self.query_one(FormCueBanner)
            marks = self.query_one(RepMarks)
        except NoMatches:
            return  # composing, or leaving
        self.feedback = feedback
        cue = feedback.cue
        banner.text = cue.text if cue is not None else ""
        if cue is not None:
            self._last_cue = cue
            self._cue_kinds.add(cue.kind)
        self._had_zone = self._had_zone or feedback.zone_pct is not None
        marks.reps = feedback.reps
        marks.zone_s = feedback.zone_s if self._had_zone else None
        # Frames may be dropped: one ring for however many fired since the last frame shown.
        # A retention set stays silent as well as dark.
        if feedback.cues_fired > self._cues_fired and self.feedback_mode != "retention" and _cue_bell_on(self.app):
            self.app.bell()
        self._cues_fired = max(self._cues_fired, feedback.cues_fired)

    def feedback_summary(self) -> SetFeedback | None:
        """What the set showed of its coaching, for the rating screen (None: no frame carried any)."""
        feedback = self.feedback
        if feedback is None:
            return None
        return SetFeedback(
            cues_fired=feedback.cues_fired,
            last_cue=self._last_cue,
            kinds=frozenset(self._cue_kinds),
            reps=feedback.reps,
            zone_s=feedback.zone_s,
            had_zone=self._had_zone,
            explosive=self.explosive or self.intent,
        )

    def on_resize(self) -> None:
        """A terminal made smaller or larger: the cuff panel follows at once, not at its next view."""
        with contextlib.suppress(NoMatches):
            self.query_one(CuffPanel).set_compact(self.size.height < COMPACT_CUFF_BELOW_ROWS)

    def show_cuff(self, view: CuffView) -> None:
        try:
            panel = self.query_one(CuffPanel)
        except NoMatches:
            return  # composing, or leaving: the panel's next refresh shows the cuff
        panel.set_compact(self.size.height < COMPACT_CUFF_BELOW_ROWS)
        panel.view = view

    def show_status(self, text: str) -> None:
        """One line naming the sensor: its advertised name is outside text, so the whole line is made safe."""
        self._status = text
        self._show_status_line()

    def show_screen_rate(self, line: str) -> None:
        """The screen's own rate when it is too slow to read as live ("" at 10 fps and above), before the sensor's line."""
        if line != self._rate_line:
            self._rate_line = line
            self._show_status_line()

    def _show_status_line(self) -> None:
        text = " · ".join(part for part in (self._rate_line, self._status) if part)
        with contextlib.suppress(NoMatches):
            self.query_one("#set-status", OneLine).update(safe_text(text, max_chars=STATUS_MAX_CHARS))

    def show_store(self, text: str) -> None:
        """The database's state while it does not take writes ("" hides the line)."""
        try:
            line = self.query_one("#set-store", Static)
        except NoMatches:
            return  # composing, or being torn down
        line.update(f"⚠ {text}" if text else "")
        line.display = bool(text)

    def show_link(self, device: str, health: LinkHealth) -> None:
        device = safe_text(device)
        lost = health.state in (LinkState.RECONNECTING, LinkState.FAILED, LinkState.DISCONNECTED)
        now = time.monotonic()
        if lost:
            self._lost_since = now if self._lost_since is None else self._lost_since
            self._deferred = None
        elif self._lost_since is not None:
            # A reconnect can take a tenth of a second: keep the warning up long
            # enough to be read from across the room, then say it is back.
            remaining_s = LOST_MIN_SHOW_S - (now - self._lost_since)
            if remaining_s > 0:
                if self._deferred is None:
                    self.set_timer(remaining_s, self._show_deferred_link)
                self._deferred = (device, health)
                return
            self._lost_since = None
        self.set_class(lost, "-sensor-lost")
        if health.state is LinkState.RECONNECTING:
            self.show_status(f"⚠ SENSOR LOST — RECONNECTING ({device}) · the set goes on")
        elif lost:
            self.show_status(f"⚠ sensor {health.state}: {safe_text(health.message or device)}")
        else:
            gaps = f" · {health.gaps} gap(s) marked in the signal" if health.gaps else ""
            self.show_status(f"{device}: connected{gaps}")

    def _show_deferred_link(self) -> None:
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            self._lost_since = None
            self.show_link(*deferred)

    # -- keys -------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        engine = self.controls.engine()
        if action == "advance":
            return engine is not None and engine.can_advance
        if action == "abort":
            return engine is not None and engine.in_work
        if action == "pause":
            return engine is not None and engine.running
        if action == "adjust_rest":
            view = engine.view() if engine is not None else None
            return view is not None and view.phase is not None and view.phase.kind is PhaseKind.REST
        if action == "drop_link":
            return self.emulated
        if action == "drop_cuff_link":
            return self.demo_cuff
        return True

    def action_advance(self) -> None:
        self.controls.advance()

    def action_abort(self) -> None:
        self.controls.abort()

    def action_pause(self) -> None:
        self.controls.toggle_pause()

    def action_adjust_rest(self, delta_s: float) -> None:
        self.controls.adjust_rest(delta_s)

    async def action_drop_link(self) -> None:
        await self.controls.drop_link()

    def action_drop_cuff_link(self) -> None:
        self.controls.drop_cuff_link()


def _is_target(bar: ActivationBar) -> bool:
    return bar.role == "target"


def _cue_bell_on(app: object) -> bool:
    """gym.toml's ``cue_bell`` (on unless the gym turned it off; on when no athlete's config is loaded)."""
    coach = getattr(app, "coach", None)
    return coach is None or coach.gym.cue_bell
