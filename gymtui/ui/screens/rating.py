"""After the set: one key for the activation rating, 1–9 or 0 for 10."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from gymtui.text import safe_text

RATING_GROUP = Binding.Group("Rate 1–10", compact=True)


def _fmt(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def summary_lines(summary: dict[str, Any] | None) -> str:
    """The set's EMG summary as the athlete reads it."""
    if not summary:
        return "EMG summary: waiting for the signal worker…"
    parts = [
        f"Peak {_fmt(summary.get('peak_pct_mvc'), '% MVC')}",
        f"Mean {_fmt(summary.get('mean_pct_mvc'), '% MVC')}",
    ]
    if summary.get("target_share") is not None:
        parts.append(f"Target share {_fmt(100 * summary['target_share'], '%')}")
    if summary.get("perfect_reps") is not None:
        parts.append(f"Perfect reps {summary['perfect_reps']}")
    if summary.get("mf_slope_hz_per_s") is not None:
        parts.append(f"Fatigue {_fmt(summary['mf_slope_hz_per_s'], ' Hz/s', 2)}")
    if summary.get("time_above_target_s") is not None:
        parts.append(f"Above target {_fmt(summary['time_above_target_s'], ' s', 1)}")
    return " · ".join(parts)


class RatingScreen(ModalScreen[int | None]):
    """Dismisses with the rating (1–10) or None when skipped."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"rate({n})", str(n), group=RATING_GROUP) for n in range(1, 10)),
        Binding("0", "rate(10)", "10", group=RATING_GROUP),
        Binding("escape", "skip", "Skip"),
    ]

    summary: reactive[dict[str, Any] | None] = reactive(None, init=False)

    def __init__(self, exercise: str, last_rating: int | None, summary: dict[str, Any] | None = None, title: str = "Set complete") -> None:
        super().__init__()
        self.exercise = exercise
        self.last_rating = last_rating
        self._title = title
        self.set_reactive(RatingScreen.summary, summary)

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
            yield Static(summary_lines(self.summary), id="rating-summary")
        yield Footer()

    def watch_summary(self, summary: dict[str, Any] | None) -> None:
        # The summary may arrive before the screen has composed its children.
        for line in self.query("#rating-summary").results(Static):
            line.update(summary_lines(summary))

    def action_rate(self, rating: int) -> None:
        self.dismiss(rating)

    def action_skip(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("rate-"):
            self.dismiss(int(event.button.id.removeprefix("rate-")))
