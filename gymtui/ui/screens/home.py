"""Home: where the athlete is in the plan, what is next, and anything left unfinished.

Exercise names come from the athlete's own files and the sensor name from
the air: every line here takes no markup and goes through
:func:`~gymtui.text.safe_text`. Problems with the athlete's config files
(the coach reads them) are listed here too, one short line each, so a typo
in ``gym.toml`` is not only visible to ``gymtui plan``.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from gymtui.text import safe_text
from gymtui.ui.render_cache import release_render_caches
from gymtui.ui.widgets.footer import Footer
from gymtui.ui.widgets.plan_panel import PlanPanel, plan_view

PROBLEMS_SHOWN = 5
"""Config problems listed on the home screen; the rest are counted, and `gymtui plan` prints them all."""


def problem_lines(problems: tuple[str, ...] | list[str]) -> str:
    """The config problems as short text lines (the first few, then how many more)."""
    lines = [f"⚠ {safe_text(p)}" for p in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"⚠ … and {len(problems) - PROBLEMS_SHOWN} more: run `gymtui plan` to see them all")
    return "\n".join(lines)


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("enter", "start", "Start set", priority=True),
        Binding("s", "same_as_last_time", "Same as last time"),
        Binding("f", "finisher", "Phase 4 finisher"),
        Binding("c", "checkin", "Check-in"),
        Binding("h", "history", "History"),
        Binding("b", "cuff_setup", "Cuff setup"),
        Binding("r", "rate_interrupted", "Rate unfinished"),
        Binding("d", "discard_interrupted", "Discard unfinished"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static("gymtui", id="home-title")
            yield Static("", id="home-athlete", markup=False)
            yield Static("", id="home-problems", markup=False)
            yield Static("", id="home-disclaimer", markup=False)
            yield Static("", id="home-config-problems", markup=False)
            yield PlanPanel(id="home-plan")
            yield Static("", id="home-next", markup=False)
            yield Static("", id="home-last", markup=False)
            with Horizontal(id="home-actions"):
                yield Button("▶  Start set (Enter)", id="start", variant="success")
                yield Button("Phase 4 finisher (f)", id="finisher")
            yield Static("", id="home-interrupted-title")
            yield OptionList(id="home-interrupted")
            yield Static("", id="home-recent", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#home-disclaimer").display = False
        self.query_one("#home-config-problems").display = False
        self.show_problems(self.app.problems.latest())
        self.refresh_info()

    def show_problems(self, lines: list[str]) -> None:
        """The newest problems (a sensor that did not open, the database away), one line each."""
        try:
            problems = self.query_one("#home-problems", Static)
        except NoMatches:
            return  # composing, or being torn down as the app leaves
        problems.update("\n".join(f"⚠ {line}" for line in lines))
        problems.display = bool(lines)

    def on_screen_resume(self) -> None:
        self.show_problems(self.app.problems.latest())
        release_render_caches()  # the screens of the set just left can go now
        self.refresh_info()

    @work(exclusive=True, group="home-info")
    async def refresh_info(self) -> None:
        info = await self.app.home_info()
        self.info = info
        speed = f" · demo ×{info.speed:g}" if info.speed != 1 else ""
        self.query_one("#home-athlete", Static).update(f"{safe_text(info.athlete)} · sensor: {safe_text(info.sensor)}{speed}")
        banner = self.query_one("#home-disclaimer", Static)
        banner.update(info.disclaimer or "")
        banner.display = bool(info.disclaimer)
        plan = info.plan
        problems = self.query_one("#home-config-problems", Static)
        problems.update(problem_lines(plan.problems) if plan is not None else "")
        problems.display = plan is not None and bool(plan.problems)
        if plan is not None:
            self.query_one(PlanPanel).show(plan_view(plan.status, plan.planned, plan.guards))
        nxt = info.next_set
        override = self.app.next_override
        if nxt is not None and override is not None and override.exercise == nxt.exercise:
            nxt = override
        self.show_next(nxt)
        exercise = safe_text(nxt.exercise if nxt else self.app.quick_protocol.exercise)
        last = (
            f"Last activation rating for {exercise}: {info.last_rating}/10"
            if info.last_rating
            else f"No rating yet for {exercise}"
        )
        self.query_one("#home-last", Static).update(last)
        self._show_interrupted(info)
        recent = [
            f"{s.started_at[11:16]} {safe_text(s.exercise)}: {safe_text(s.status)}"
            + (f", rated {s.activation_rating}" if s.activation_rating else "")
            for s in info.recent[:3]
        ]
        self.query_one("#home-recent", Static).update("Recent: " + " · ".join(recent) if recent else "")
        self.refresh_bindings()

    def show_next(self, nxt: object | None) -> None:
        if nxt is not None:
            text = f"Next set: {safe_text(nxt.headline())}"
            if nxt.note:
                text += f"  ({safe_text(nxt.note)})"
            if nxt.warning:
                text += f"\n⚠ {safe_text(nxt.warning, max_chars=None)}"
        else:
            text = "Nothing more planned today. f runs a Phase 4 finisher."
        self.query_one("#home-next", Static).update(text)

    def _show_interrupted(self, info: object) -> None:
        options = self.query_one("#home-interrupted", OptionList)
        options.clear_options()
        interrupted = getattr(info, "interrupted", [])
        for s in interrupted:
            when = s.started_at[:16].replace("T", " ")
            prompt = f"{safe_text(when)}  {safe_text(s.exercise)}  ({s.phases_done} phases saved)"
            options.add_option(Option(Text(prompt), id=str(s.id)))  # Text: never read as markup
        title = self.query_one("#home-interrupted-title", Static)
        title.update("Interrupted sets — r: rate it · d: discard it" if interrupted else "")
        options.display = bool(interrupted)
        if interrupted:
            options.highlighted = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        info = getattr(self, "info", None)
        if action in ("rate_interrupted", "discard_interrupted"):
            return info is not None and bool(info.interrupted)
        if action == "cuff_setup":
            return self.app.config.cuff is not None
        if action == "same_as_last_time":
            return info is not None and info.next_set is not None and info.next_set.counts_toward_volume
        return True

    def _selected_interrupted(self) -> tuple[int, str] | None:
        options = self.query_one("#home-interrupted", OptionList)
        info = getattr(self, "info", None)
        if info is None or options.highlighted is None or not options.option_count:
            return None
        set_id = int(options.get_option_at_index(options.highlighted).id)
        exercise = next((s.exercise for s in info.interrupted if s.id == set_id), "")
        return set_id, exercise

    async def action_start(self) -> None:
        await self.app.begin_set()

    async def action_finisher(self) -> None:
        await self.app.begin_set(quick=True)

    def action_same_as_last_time(self) -> None:
        self.app.same_as_last_time()

    def action_cuff_setup(self) -> None:
        self.app.open_cuff_setup()

    def action_checkin(self) -> None:
        self.app.open_checkin()

    async def action_history(self) -> None:
        await self.app.open_history()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            await self.app.begin_set()
        elif event.button.id == "finisher":
            await self.app.begin_set(quick=True)

    def action_rate_interrupted(self) -> None:
        selected = self._selected_interrupted()
        if selected is not None:
            self.app.rate_interrupted(*selected)

    def action_discard_interrupted(self) -> None:
        selected = self._selected_interrupted()
        if selected is not None:
            self.app.discard_interrupted(selected[0])
