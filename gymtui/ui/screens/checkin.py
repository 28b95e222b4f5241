"""Pre-session check-in: sleep, resting heart rate, coordination, mood.

Four short answers, one row each, as a person fills a form: type a number,
Enter (or Tab) to the next; Enter on the last answer, or the "See advice"
button, asks for the advice the caller's ``assess`` gives (go, light, rest:
see :func:`gymtui.session.guardrails.assess_checkin`) with the reasons, and
the athlete's choice: train as planned (``g``), a light session (``l``) or a
rest day (``r``). Sleep is needed for advice; any other answer left blank is
kept as not given (None), never filled in with a middle value. Dismisses
with a :class:`CheckinResult`, or None on Esc (check-in skipped). The screen
holds no rule: ``assess`` is injected. The whole form fits 80×24.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
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


@dataclass(frozen=True, slots=True)
class _Question:
    key: str
    text: str
    placeholder: str
    chars: str
    """The characters the answer is made of (a regex class): any other key is not taken as text."""
    restrict: str


_QUESTIONS = (
    _Question("sleep", "Hours slept last night", "7.5", "[0-9.]", r"[0-9.]*"),
    _Question("rhr", "Resting heart rate, bpm (blank: unknown)", "58", "[0-9]", r"[0-9]*"),
    _Question("coordination", "Coordination: 1 clumsy … 5 sharp", "1–5", "[1-5]", r"[1-5]?"),
    _Question("mood", "Mood: 1 irritable … 5 great", "1–5", "[1-5]", r"[1-5]?"),
)


class AnswerInput(Input):
    """A one-line number field that claims only the keys its answer is made of.

    Textual's ``Input`` claims every printable key, so ``?`` (help) and the
    letters would be swallowed by a field that can never hold them.
    """

    def __init__(self, chars: str, *, placeholder: str, restrict: str, id: str) -> None:
        super().__init__(placeholder=placeholder, restrict=restrict, id=id, compact=True)
        self._chars = re.compile(chars)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and self._chars.fullmatch(character) is not None


def _given(value: float | None, fmt: str) -> str:
    return "not given" if value is None else fmt.format(value)


class CheckinScreen(ModalScreen[CheckinResult | None]):
    # Enter and Tab move on as the key is dispatched (priority), not when the field's
    # own Submitted message is handled: keys typed ahead in one burst must land in
    # the field they were typed for, not in the one the focus has not yet left.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next_answer(True)", "Next question (on the last: see advice)", priority=True, show=False),
        Binding("tab", "next_answer(False)", "Next field", priority=True, show=False),
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
                for q in _QUESTIONS:
                    text = q.text
                    if q.key == "rhr" and self.baseline_rhr_bpm is not None:
                        text += f" · baseline {self.baseline_rhr_bpm:.0f}"
                    with Horizontal(classes="question-row"):
                        yield Label(text, classes="question")
                        yield AnswerInput(q.chars, placeholder=q.placeholder, restrict=q.restrict, id=q.key)
                yield Static("Enter: next question · blank: not given · ?: keys · Esc: skip", classes="hint")
                with Horizontal(classes="buttons"):
                    yield Button("See advice", id="submit", variant="primary")
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

    def action_next_answer(self, advise_at_end: bool) -> None:
        """The next question; after the last, the advice (Enter) or the "See advice" button (Tab)."""
        order = [q.key for q in _QUESTIONS]
        field = self.focused
        index = order.index(field.id) if field is not None and field.id in order else len(order) - 1
        if index + 1 < len(order):
            self.set_focus(self.query_one(f"#{order[index + 1]}", Input))
        elif advise_at_end:
            self.evaluate()
        else:
            self.set_focus(self.query_one("#submit", Button))

    def _read(self) -> CheckIn:
        def value(key: str) -> str:
            return self.query_one(f"#{key}", Input).value.strip()

        def number(key: str) -> int | None:
            return int(value(key)) if value(key) else None

        try:
            sleep = float(value("sleep"))
        except ValueError:
            raise ValueError("How many hours did you sleep? (the advice needs it)") from None
        rhr = float(value("rhr")) if value("rhr") else None
        return CheckIn(sleep, rhr, number("coordination"), number("mood"))

    def evaluate(self) -> None:
        error = self.query_one("#checkin-error", Static)
        try:
            checkin = self._read()
        except ValueError as exc:
            error.update(str(exc))
            self.set_focus(self.query_one("#sleep", Input))
            return
        error.update("")
        advice = self.assess(checkin)
        self.result = CheckinResult(checkin, advice, advice.advice)
        # The answers shrink to one line so the advice and its buttons fit an 80×24 terminal.
        self.query_one("#questions").display = False
        self.query_one("#answers", Label).update(
            f"Slept {checkin.sleep_h:g} h · resting HR {_given(checkin.resting_hr_bpm, '{:.0f} bpm')}"
            f" · coordination {_given(checkin.coordination, '{}/5')} · mood {_given(checkin.mood, '{}/5')}"
        )
        box = self.query_one("#advice")
        box.display = True
        for level in Advice:
            box.set_class(level is advice.advice, f"-{level.value}")
        self.query_one("#advice-headline", Label).update(advice.headline)
        self.query_one("#advice-reasons", Static).update("\n".join(f"• {r}" for r in advice.reasons))
        self.query_one("#advice-tips", Static).update("\n".join(f"  {t}" for t in advice.tips))
        self.set_focus(self.query_one(f"#{advice.advice.value}", Button))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.evaluate()
        else:
            self.action_choose(event.button.id or "go")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_answer":  # on a button, Enter presses it and Tab moves as anywhere else
            return isinstance(self.focused, AnswerInput)
        # No choice before there is advice to choose against.
        return not (action == "choose" and self.result is None)

    def action_choose(self, choice: str) -> None:
        if self.result is None:
            return
        self.dismiss(replace(self.result, choice=Advice(choice)))

    def action_skip(self) -> None:
        self.dismiss(None)
