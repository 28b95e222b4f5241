"""After the set: one key for the activation rating, 1–9 or 0 for 10; and what was lifted.

After a working set the screen also shows the load and the reps, pre-filled
(the planned load; the reps the sensor counted, else the planned reps), and
reps in reserve. ↑/↓ step the load by the gym's smallest plate pair, ←/→ the
reps by one, ``[``/``]`` the reps in reserve through 0–5. A digit rates and
keeps the rest as shown; Enter keeps it without a rating; Esc skips both.
Activation drills show the rating alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Static

from gymtui.model import FormCue, FormCueKind, RepVerdict
from gymtui.session.lifted import Lifted, LiftedDraft
from gymtui.text import safe_text
from gymtui.ui.screens.help import HELP_BINDING
from gymtui.ui.widgets.footer import Footer

RATING_GROUP = Binding.Group("Rate 1–10", compact=True)
LOAD_GROUP = Binding.Group("Load", compact=True)
REPS_GROUP = Binding.Group("Reps", compact=True)
RIR_GROUP = Binding.Group("In reserve", compact=True)

SOURCE_WORDS = {"entered": "as you entered", "emg": "counted by the sensor", "planned": "as planned"}


def _fmt(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


class EmgSummary(StrEnum):
    """Whether a set's EMG summary is still to come: the line says so only when it is."""

    COMING = "coming"  # a live set with a sensor: the signal worker posts it
    NO_SENSOR = "no-sensor"  # a set run as a timer only: there is no signal to summarise
    LOST = "lost"  # an interrupted set: the worker that would summarise it died with the process


_NO_SUMMARY = {
    EmgSummary.COMING: "EMG summary: waiting for the signal worker…",
    EmgSummary.NO_SENSOR: "No sensor on this set: no EMG summary",
    EmgSummary.LOST: "No EMG summary: the set stopped before it was summarised (its recorded signal is kept)",
}

_EMG_KEYS = ("peak_pct_mvc", "mean_pct_mvc", "target_share", "perfect_reps", "mf_slope_hz_per_s", "time_above_target_s")


def summary_lines(summary: dict[str, Any] | None, emg: EmgSummary = EmgSummary.COMING, *, perfect: bool = True) -> str:
    """The set's EMG summary as the athlete reads it, or why there is none.

    ``perfect=False``: the live coaching's line says the perfect reps (of how many), so this one does not.
    """
    if not summary or (emg is not EmgSummary.COMING and all(summary.get(k) is None for k in _EMG_KEYS)):
        # A timer-only set's summary holds reps, no EMG: say there is none rather than "Peak –".
        return _NO_SUMMARY[emg]
    parts = [
        f"Peak {_fmt(summary.get('peak_pct_mvc'), '% MVC')}",
        f"Mean {_fmt(summary.get('mean_pct_mvc'), '% MVC')}",
    ]
    if summary.get("target_share") is not None:
        parts.append(f"Target share {_fmt(100 * summary['target_share'], '%')}")
    if perfect and summary.get("perfect_reps") is not None:
        parts.append(f"Perfect reps {summary['perfect_reps']}")
    if summary.get("mf_slope_hz_per_s") is not None:
        parts.append(f"Fatigue {_fmt(summary['mf_slope_hz_per_s'], ' Hz/s', 2)}")
    if summary.get("time_above_target_s") is not None:
        parts.append(f"Above target {_fmt(summary['time_above_target_s'], ' s', 1)}")
    return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class SetFeedback:
    """What the set screen showed of the live biofeedback, as the set ended (its last frame's state).

    ``cues_fired`` is the signal's own count; ``last_cue`` the newest cue the
    screen showed (frames may be dropped, the count may not). ``had_zone``:
    some phase carried a target zone, so its time (even 0 s) means something.
    """

    cues_fired: int = 0
    last_cue: FormCue | None = None
    kinds: frozenset[FormCueKind] = frozenset()
    reps: tuple[RepVerdict, ...] = ()
    zone_s: float = 0.0
    had_zone: bool = False
    explosive: bool = False


_KIND_WORDS = {FormCueKind.COMPENSATION: "compensation", FormCueKind.CO_CONTRACTION: "co-contraction"}


def feedback_lines(feedback: SetFeedback | None, summary: dict[str, Any] | None = None) -> str:
    """The set's live coaching in a line or two: cues, perfect reps, time in zone, mean rise time.

    From the set screen's last frame; once the set's summary arrives its
    counts win (the worker closes the last rep and counts every cue after
    that frame): ``perfect_reps``, ``cue_count``, ``time_in_zone_s``, and the
    rep count when the sensor counted the reps.
    """
    if feedback is None:
        return ""
    summary = summary or {}
    lines = []
    n = summary.get("cue_count")
    n = feedback.cues_fired if not isinstance(n, int) else n
    if n == 0:
        lines.append("No form cues")
    else:
        kind = _KIND_WORDS[next(iter(feedback.kinds))] + " " if len(feedback.kinds) == 1 else "form "
        line = f"{n} {kind}cue{'s' if n != 1 else ''}"
        cue = feedback.last_cue
        if cue is not None and cue.rep is not None:
            line += f", last at rep {cue.rep}"
        lines.append(line)
    parts = []
    reps = feedback.reps
    perfect = summary.get("perfect_reps")
    perfect = sum(1 for r in reps if r.perfect) if not isinstance(perfect, int) else perfect
    total = summary.get("reps") if summary.get("reps_source") == "emg" else None
    total = max(len(reps), perfect) if not isinstance(total, int) else total
    if total:
        parts.append(f"Perfect reps {perfect} of {total}")
    zone_s = summary.get("time_in_zone_s", feedback.zone_s if feedback.had_zone else None)
    if isinstance(zone_s, (int, float)):
        parts.append(f"Time in zone {zone_s:.1f} s")
    rises = [r.rise_ms for r in reps if r.rise_ms is not None]
    if feedback.explosive and rises:
        parts.append(f"Mean rise {sum(rises) / len(rises):.0f} ms")
    if parts:
        lines.append(" · ".join(parts))
    return "\n".join(lines)


class RatingScreen(ModalScreen[int | None]):
    """Dismisses with the rating (1–10) or None; :attr:`lifted` holds what was lifted, if confirmed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"rate({n})", str(n), group=RATING_GROUP) for n in range(1, 10)),
        Binding("0", "rate(10)", "10", group=RATING_GROUP),
        Binding("up", "load(1)", "+", key_display="↑", group=LOAD_GROUP, priority=True),
        Binding("down", "load(-1)", "−", key_display="↓", group=LOAD_GROUP, priority=True),
        Binding("right", "reps(1)", "+", key_display="→", group=REPS_GROUP, priority=True),
        Binding("left", "reps(-1)", "−", key_display="←", group=REPS_GROUP, priority=True),
        Binding("right_square_bracket", "rir(1)", "+", key_display="]", group=RIR_GROUP, priority=True),
        Binding("left_square_bracket", "rir(-1)", "−", key_display="[", group=RIR_GROUP, priority=True),
        Binding("enter", "keep", "Keep, no rating", priority=True),
        Binding("escape", "skip", "Skip"),
        HELP_BINDING,
    ]

    summary: reactive[dict[str, Any] | None] = reactive(None, init=False)

    def __init__(
        self,
        exercise: str,
        last_rating: int | None,
        summary: dict[str, Any] | None = None,
        title: str = "Set complete",
        draft: LiftedDraft | None = None,
        emg: EmgSummary = EmgSummary.COMING,
        feedback: SetFeedback | None = None,
        replay: Widget | None = None,
    ) -> None:
        """``emg``: whether an EMG summary will come (a sensor on a live set) or why none will;
        ``feedback``: what the set screen showed of the live coaching (None: no signal, nothing to say);
        ``replay``: a retention set's replay, shown under the summary."""
        super().__init__()
        self.replay = replay
        self.emg = emg
        self.feedback = feedback
        self.exercise = exercise
        self.last_rating = last_rating
        self._title = title
        self.draft = draft
        """The load, reps and RIR as shown now (None: a drill, nothing to ask)."""
        self.lifted: Lifted | None = None
        """What was lifted, set when the athlete rates or keeps (Enter); None after Esc or for a drill."""
        self.set_reactive(RatingScreen.summary, summary)
        if draft is not None and summary:
            self._count_reps(summary)

    def compose(self) -> ComposeResult:
        with Vertical(id="rating-box"):
            yield Static(self._title, id="rating-title", markup=False)
            # The exercise name comes from the athlete's own file (or the log): text, never markup.
            yield Static(
                f"How well did you feel the target working in {safe_text(self.exercise)}?  Press 1–9, or 0 for 10.",
                id="rating-question",
                markup=False,
            )
            last = f"Last time: {self.last_rating}/10" if self.last_rating is not None else "Last time: no rating yet"
            yield Static(last, id="rating-last")
            with Grid(id="rating-buttons"):
                for n in range(1, 11):
                    yield Button(str(n), id=f"rate-{n}")
            if self.draft is not None:
                with Vertical(id="lifted-box"):
                    if self.draft.ask_load:
                        yield Static(self._load_line(), id="lifted-load", markup=False)
                    yield Static(self._reps_line(), id="lifted-reps", markup=False)
                    yield Static(self._rir_line(), id="lifted-rir", markup=False)
            yield Static(self._summary_text(self.summary), id="rating-summary", markup=False)
            if self.feedback is not None:
                yield Static(feedback_lines(self.feedback, self.summary), id="rating-feedback", markup=False)
            if self.replay is not None:
                yield self.replay
        yield Footer()

    def _summary_text(self, summary: dict[str, Any] | None) -> str:
        return summary_lines(summary, self.emg, perfect=self.feedback is None)

    # -- what was lifted ----------------------------------------------------------
    def _load_line(self) -> str:
        d = self.draft
        assert d is not None
        source = SOURCE_WORDS.get(d.load_source or "", "nothing logged yet: set it")
        return f"Load  {d.load_text()}  ({source})   ↑/↓ {d.step:g} {d.gym.unit}"

    def _reps_line(self) -> str:
        d = self.draft
        assert d is not None
        source = SOURCE_WORDS.get(d.reps_source or "", "set them")
        return f"Reps  {d.reps_text()}  ({source})   ←/→ 1"

    def _rir_line(self) -> str:
        d = self.draft
        assert d is not None
        return f"Reps in reserve  {d.rir_text()}   [ / ] 0–5, optional"

    def _show_draft(self) -> None:
        for selector, line in (("#lifted-load", self._load_line), ("#lifted-reps", self._reps_line), ("#lifted-rir", self._rir_line)):
            for widget in self.query(selector).results(Static):
                widget.update(line())

    def _count_reps(self, summary: dict[str, Any]) -> None:
        reps = summary.get("reps")
        if self.draft is not None and summary.get("reps_source") == "emg" and isinstance(reps, int):
            self.draft = self.draft.with_counted_reps(reps)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reps", "rir", "keep"):
            return self.draft is not None
        if action == "load":
            return self.draft is not None and self.draft.ask_load
        return True

    def action_load(self, steps: int) -> None:
        if self.draft is not None:
            self.draft = self.draft.load_by(steps)
            self._show_draft()

    def action_reps(self, steps: int) -> None:
        if self.draft is not None:
            self.draft = self.draft.reps_by(steps)
            self._show_draft()

    def action_rir(self, steps: int) -> None:
        if self.draft is not None:
            self.draft = self.draft.rir_by(steps)
            self._show_draft()

    def action_keep(self) -> None:
        """Enter: what was lifted as shown, no rating."""
        if self.draft is not None:
            self.lifted = self.draft.lifted()
            self.dismiss(None)

    # -- the rating -------------------------------------------------------------------
    def watch_summary(self, summary: dict[str, Any] | None) -> None:
        # The summary may arrive before the screen has composed its children.
        for line in self.query("#rating-summary").results(Static):
            line.update(self._summary_text(summary))
        for line in self.query("#rating-feedback").results(Static):
            line.update(feedback_lines(self.feedback, summary))
        if summary:
            self._count_reps(summary)
            self._show_draft()

    def action_rate(self, rating: int) -> None:
        self._rated(rating)

    def action_skip(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("rate-"):
            self._rated(int(event.button.id.removeprefix("rate-")))

    def _rated(self, rating: int) -> None:
        if self.draft is not None:
            self.lifted = self.draft.lifted()
        self.dismiss(rating)
