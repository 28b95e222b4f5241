"""Pre-session check-in: sleep, resting heart rate, coordination, mood.

Four short answers (type a number, Enter to the next), then the advice the
caller's ``assess`` gives (go, light, rest: see
:func:`gymtui.session.guardrails.assess_checkin`) with the reasons, and
the athlete's choice: train as planned (``g``), a light session (``l``) or a
rest day (``r``). Dismisses with a :class:`CheckinResult`, or None on Esc
(check-in skipped). The screen holds no rule: ``assess`` is injected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from gymtui.session.guardrails import Advice, CheckIn, CheckInAdvice


@dataclass(frozen=True, slots=True)
class CheckinResult:
    checkin: CheckIn
    advice: CheckInAdvice
    choice: Advice  # what the athlete decided to do


_QUESTIONS = (
    ("sleep", "Hours slept last night", "e.g. 7.5", r"[0-9.]*"),
    ("rhr", "Resting heart rate this morning (bpm, blank if unknown)", "e.g. 58", r"[0-9]*"),
    ("coordination", "Coordination today: 1 clumsy … 5 sharp", "1–5", r"[1-5]?"),
    ("mood", "Mood: 1 irritable … 5 great", "1–5", r"[1-5]?"),
)


class CheckinScreen(ModalScreen[CheckinResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Skip check-in"),
        Binding("g", "choose('go')", "Train as planned", show=False),
        Binding("l", "choose('light')", "Light session", show=False),
        Binding("r", "choose('rest')", "Rest day", show=False),
    ]

    def __init__(self, assess: Callable[[CheckIn], CheckInAdvice], baseline_rhr_bpm: float | None = None) -> None:
        super().__init__()
        self.assess = assess
        self.baseline_rhr_bpm = baseline_rhr_bpm
        self.result: CheckinResult | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Label("Check-in before training", classes="title")
            with Vertical(id="questions"):
                for key, question, placeholder, restrict in _QUESTIONS:
                    text = question
                    if key == "rhr" and self.baseline_rhr_bpm is not None:
                        text += f" · baseline {self.baseline_rhr_bpm:.0f}"
                    yield Label(text, classes="question")
                    yield Input(placeholder=placeholder, restrict=restrict, id=key)
            yield Static("", id="checkin-error", classes="error")
            yield Label("", id="answers")
            with Vertical(id="advice"):
                yield Label("", id="advice-headline")
                yield Static("", id="advice-reasons")
                yield Static("", id="advice-tips")
                with Horizontal(classes="buttons"):
                    yield Button("Train as planned (g)", id="go", variant="success")
                    yield Button("Light session (l)", id="light", variant="warning")
                    yield Button("Rest day (r)", id="rest", variant="error")

    def on_mount(self) -> None:
        self.query_one("#advice").display = False
        self.query_one("#sleep", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = [q[0] for q in _QUESTIONS]
        index = order.index(event.input.id or "")
        if index + 1 < len(order):
            self.query_one(f"#{order[index + 1]}", Input).focus()
        else:
            self.evaluate()

    def _read(self) -> CheckIn:
        def value(key: str) -> str:
            return self.query_one(f"#{key}", Input).value.strip()

        try:
            sleep = float(value("sleep"))
        except ValueError:
            raise ValueError("How many hours did you sleep?") from None
        rhr = float(value("rhr")) if value("rhr") else None
        return CheckIn(sleep, rhr, int(value("coordination") or 3), int(value("mood") or 3))

    def evaluate(self) -> None:
        error = self.query_one("#checkin-error", Static)
        try:
            checkin = self._read()
        except ValueError as exc:
            error.update(str(exc))
            return
        error.update("")
        advice = self.assess(checkin)
        self.result = CheckinResult(checkin, advice, advice.advice)
        # The answers shrink to one line so the advice and its buttons fit an 80×24 terminal.
        self.query_one("#questions").display = False
        rhr = "—" if checkin.resting_hr_bpm is None else f"{checkin.resting_hr_bpm:.0f} bpm"
        self.query_one("#answers", Label).update(
            f"Slept {checkin.sleep_h:g} h · resting HR {rhr} · coordination {checkin.coordination}/5 · mood {checkin.mood}/5"
        )
        box = self.query_one("#advice")
        box.display = True
        for level in Advice:
            box.set_class(level is advice.advice, f"-{level.value}")
        self.query_one("#advice-headline", Label).update(advice.headline)
        self.query_one("#advice-reasons", Static).update("\n".join(f"• {r}" for r in advice.reasons))
        self.query_one("#advice-tips", Static).update("\n".join(f"  {t}" for t in advice.tips))
        self.query_one(f"#{advice.advice.value}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "go")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters go into the inputs until there is advice.
        return not (action == "choose" and self.result is None)

    def action_choose(self, choice: str) -> None:
        if self.result is None:
            return
        from dataclasses import replace

        self.dismiss(replace(self.result, choice=Advice(choice)))

    def action_skip(self) -> None:
        self.dismiss(None)
