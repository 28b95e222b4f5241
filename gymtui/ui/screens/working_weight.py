"""The first time a loaded exercise comes up with nothing logged: what is your working weight?

Asked once per exercise (after one logged set the load comes from the log).
The athlete types the load in the gym's unit, or steps it with ↑/↓ by the
smallest plate pair; Enter starts the set with it, ctrl+r (or the button) finds it instead
(ramp-up sets of 5 until the bar slows), Esc starts it without a load (the
rating screen asks again after the set).
"""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from gymtui.session.lifted import MAX_LOAD_KG
from gymtui.session.loads import GymConfig
from gymtui.text import safe_text
from gymtui.ui.screens.help import HELP_BINDING
from gymtui.ui.widgets.footer import Footer

FIND_IT = "find it"
"""The answer when the athlete would rather find the weight with ramp-up sets."""


class WorkingWeightScreen(ModalScreen[float | str | None]):
    """Dismisses with the working weight in kg, :data:`FIND_IT`, or None (start without a load)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(1)", "Heavier", key_display="↑", priority=True),
        Binding("down", "step(-1)", "Lighter", key_display="↓", priority=True),
        # Not a letter: the focused field takes printable keys as typing, whatever the binding.
        Binding("ctrl+r", "find", "Find it: ramp-up sets of 5", priority=True),
        Binding("escape", "skip", "No load now"),
        HELP_BINDING,
    ]

    def __init__(self, exercise: str, reps: int | None, equipment: str, gym: GymConfig) -> None:
        super().__init__()
        self.exercise = exercise
        self.reps = reps
        self.gym = gym
        self.step = gym.to_unit(gym.step_kg(equipment))
        self.start = gym.to_unit(gym.bar_kg) if equipment == "barbell" else 0.0

    def compose(self) -> ComposeResult:
        for_reps = f" for {self.reps} reps" if self.reps else ""
        with Vertical(id="weight-box"):
            yield Static(f"{safe_text(self.exercise)}: nothing logged yet", id="weight-title", markup=False)
            yield Static(
                f"What is your working weight{for_reps}, in {self.gym.unit}? Type it, or ↑/↓ by {self.step:g} {self.gym.unit}; "
                "Enter starts the set. Or ctrl+r: find it with ramp-up sets of 5 until the bar slows. "
                "From then on the loads come from what you log.",
                id="weight-question",
                markup=False,
            )
            yield Input(f"{self.start:g}", id="weight-input", type="number", select_on_focus=True)
            yield Static("", id="weight-problem", markup=False)
            yield Button("Find it: ramp-up sets of 5 (ctrl+r)", id="weight-find")
        yield Footer()

    def _value(self) -> float | None:
        text = self.query_one("#weight-input", Input).value.strip()
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    def action_step(self, steps: int) -> None:
        field = self.query_one("#weight-input", Input)
        value = self._value()
        new = max(0.0, round((value if value is not None else self.start) + steps * self.step, 3))
        field.value = f"{new:g}"

    def action_find(self) -> None:
        self.dismiss(FIND_IT)

    def action_skip(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "weight-find":
            self.dismiss(FIND_IT)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = self._value()
        top = self.gym.to_unit(MAX_LOAD_KG)
        if value is None or not 0 < value <= top:
            self.query_one("#weight-problem", Static).update(
                f"A load is a number above 0 and up to {top:g} {self.gym.unit}: try again, or Esc for no load"
            )
            return
        self.dismiss(self.gym.to_kg(value))
