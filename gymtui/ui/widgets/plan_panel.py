"""The home screen's plan panel: where the athlete is and what comes next.

It takes a :class:`PlanView` of plain strings (built by
:func:`plan_view` from a :class:`~gymtui.session.plan.PlanStatus` and the
planned sets) so it renders without knowing any training rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.session.guardrails import Guard
    from gymtui.session.plan import PlanStatus
    from gymtui.session.templates import PlannedSet


@dataclass(frozen=True, slots=True)
class PlanView:
    line: str
    next_line: str = ""
    week_note: str = ""
    next_sets: tuple[str, ...] = ()
    guards: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """(level, message) of fired guardrails: info, warn or stop."""


def plan_view(status: PlanStatus, planned: Sequence[PlannedSet] = (), guards: Sequence[Guard] = (), show: int = 3) -> PlanView:
    """Plain strings for the panel: the plan line, the next few sets, fired guards."""
    return PlanView(
        status.line,
        status.next_line,
        status.week_note,
        tuple(p.headline() for p in planned[:show]),
        tuple((g.level.value, g.message) for g in guards if g.fired),
    )


class PlanPanel(Vertical):
    """Plan line in large type, the week's note, next sets, and any guardrail that fired."""

    DEFAULT_CSS = """
    PlanPanel {
        height: auto;
        padding: 1 2;
        border: round $primary;
    }
    PlanPanel #plan-line {
        text-style: bold;
        color: $text;
        width: 100%;
    }
    PlanPanel #plan-note { color: $text-muted; width: 100%; }
    PlanPanel #plan-sets { margin: 1 0 0 0; height: auto; }
    PlanPanel #plan-guards { color: $warning; height: auto; margin: 1 0 0 0; }
    PlanPanel #plan-guards.-stop { color: $error; text-style: bold; }
    PlanPanel #plan-next { color: $accent; margin: 1 0 0 0; width: 100%; }
    """

    def __init__(self, view: PlanView | None = None, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._view = view or PlanView("No plan yet")

    def compose(self) -> ComposeResult:
        # markup=False: exercise names come from the athlete's own file and may hold brackets.
        yield Label("", id="plan-line", markup=False)
        yield Label("", id="plan-note", markup=False)
        yield Static("", id="plan-sets", markup=False)
        yield Static("", id="plan-guards", markup=False)
        yield Label("", id="plan-next", markup=False)

    def on_mount(self) -> None:
        self.show(self._view)

    def show(self, view: PlanView) -> None:
        self._view = view
        # Each line quotes exercise names: control characters replaced, one capped line each.
        self.query_one("#plan-line", Label).update(safe_text(view.line))
        self.query_one("#plan-note", Label).update(safe_text(view.week_note))
        self.query_one("#plan-next", Label).update(safe_text(view.next_line))
        self.query_one("#plan-sets", Static).update("\n".join(f"▸ {safe_text(s)}" for s in view.next_sets))
        guards = self.query_one("#plan-guards", Static)
        guards.update("\n".join(f"{'⚠' if lvl != 'info' else 'ℹ'} {safe_text(msg)}" for lvl, msg in view.guards))
        guards.set_class(any(lvl == "stop" for lvl, _ in view.guards), "-stop")
        guards.display = bool(view.guards)
