"""Home: where the athlete is in the plan, what is next, and anything left unfinished.

Exercise names come from the athlete's own files and the sensor name from
the air: every line here takes no markup and goes through
:func:`~gymtui.text.safe_text`. Problems with the athlete's config files
(the coach reads them) are listed here too, one short line each, so a typo
in ``gym.toml`` is not only visible to ``gymtui plan``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, OptionList, Static
from textual.widgets._footer import FooterKey
from textual.widgets.option_list import Option

from gymtui.session.templates import PlannedSet
from gymtui.text import safe_text
from gymtui.ui.home_info import HomeInfo
from gymtui.ui.problems import Problems
from gymtui.ui.render_cache import release_render_caches
from gymtui.ui.widgets.footer import Footer
from gymtui.ui.widgets.plan_panel import PlanPanel, plan_view

PROBLEMS_SHOWN = 5
"""Config problems listed on the home screen; the rest are counted, and `gymtui plan` prints them all."""

FOOTER_POLL_S = 0.01
FOOTER_WAITS = 300
"""Looks, one every FOOTER_POLL_S, the home screen takes for its footer's Quit key before it says it is shown anyway."""


def problem_lines(problems: tuple[str, ...] | list[str]) -> str:
    """The config problems as short text lines (the first few, then how many more)."""
    lines = [f"⚠ {safe_text(p)}" for p in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"⚠ … and {len(problems) - PROBLEMS_SHOWN} more: run `gymtui plan` to see them all")
    return "\n".join(lines)


class HomeScreen(Screen[None]):
    """The plan and what is next; its keys go up to the app as messages."""

    class StartSet(Message):
        """Enter (the next planned set), ``f`` (the quick finisher) or ``B`` (the quick BFR set)."""

        def __init__(self, *, quick: bool = False, bfr: bool = False) -> None:
            super().__init__()
            self.quick = quick or bfr
            self.bfr = bfr

    class SameAsLastTime(Message):
        """``s``: the next set with last session's load and reps."""

    class SkipSet(Message):
        """``x``: skip the next set of today's session (a reason is asked, optional)."""

    class EndSession(Message):
        """``e``: end today's session early (asked first); the sets left are skipped."""

    class OpenDayList(Message):
        """``l``: today's undone sets, to take another one first."""

    class OpenCuffSetup(Message):
        """``b``: the cuff's limb, LOP and target."""

    class OpenCheckin(Message):
        """``c``: the readiness check-in."""

    class OpenHistory(Message):
        """``h``: the history screens."""

    class OpenAthletes(Message):
        """``a``: pick, add or rename the athlete who trains."""

    class FreshMvc(Message):
        """``m``: the next set starts with the MVC phase (electrodes moved or re-applied)."""

    class RateInterrupted(Message):
        """``r``: rate a set a dead process left unfinished."""

        def __init__(self, set_id: int, exercise: str) -> None:
            super().__init__()
            self.set_id = set_id
            self.exercise = exercise

    class DiscardInterrupted(Message):
        """``d``: mark a set a dead process left unfinished as discarded."""

        def __init__(self, set_id: int) -> None:
            super().__init__()
            self.set_id = set_id

    class Shown(Message):
        """The home screen's first read (the plan, the athlete) has reached the terminal.

        Posted once: the app opens the sensor and the cuff behind it, so their
        imports (scipy) and links never hold back the first screen.
        """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start", "Start set", priority=True),
        Binding("s", "same_as_last_time", "Same as last time"),
        Binding("f", "finisher", "Phase 4 finisher"),
        Binding("c", "checkin", "Check-in"),
        Binding("h", "history", "History"),
        Binding("b", "cuff_setup", "Cuff setup"),
        Binding("x", "skip_set", "Skip set"),
        Binding("e", "end_session", "End session"),
        Binding("l", "day_list", "Today's sets"),
        Binding("a", "athletes", "Athletes"),
        Binding("m", "fresh_mvc", "Fresh MVC"),
        Binding("B", "quick_bfr", "Quick BFR set"),
        Binding("r", "rate_interrupted", "Rate unfinished"),
        Binding("d", "discard_interrupted", "Discard unfinished"),
        Binding("q", "app.quit", "Quit"),
        # Whatever has focus (a button, the list of interrupted sets), the home scrolls by keys too.
        Binding("pagedown", "scroll_page('page_down')", "Scroll down", show=False),
        Binding("pageup", "scroll_page('page_up')", "Scroll up", show=False),
        Binding("down", "scroll_page('scroll_down')", "Scroll down", show=False),
        Binding("up", "scroll_page('scroll_up')", "Scroll up", show=False),
    ]

    def __init__(self, read_info: Callable[[], Awaitable[HomeInfo]], problems: Problems, *, cuff_on: bool) -> None:
        super().__init__()
        self._read_info = read_info
        self._problems = problems
        self._cuff_on = cuff_on
        self.info: HomeInfo | None = None
        self._shown = False

    def compose(self) -> ComposeResult:
        # The actions come right under the next set's line, so the first of them is on
        # screen at any size; everything else follows and the whole home scrolls.
        with VerticalScroll(id="home"):
            with Horizontal(id="home-head"):
                yield Static("gymtui", id="home-title")
                yield Static("", id="home-athlete", markup=False)
            yield Static("", id="home-problems", markup=False)
            yield Static("", id="home-gym", markup=False)
            yield Static("", id="home-next", markup=False)
            with Horizontal(id="home-actions"):
                yield Button("▶  Start set (Enter)", id="start", variant="success")
                yield Button("Phase 4 finisher (f)", id="finisher")
                if self._cuff_on:
                    yield Button("Quick BFR set (B)", id="quick-bfr")
            yield Static("", id="home-progress", markup=False)
            yield Static("", id="home-refused", markup=False)
            yield Static("", id="home-last", markup=False)
            yield Static("", id="home-interrupted-title")
            yield OptionList(id="home-interrupted")
            yield Static("", id="home-recent", markup=False)
            yield Static("", id="home-disclaimer", markup=False)
            yield Static("", id="home-config-problems", markup=False)
            yield PlanPanel(id="home-plan")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#home-disclaimer").display = False
        self.query_one("#home-gym").display = False
        for empty_until_read in ("#home-config-problems", "#home-interrupted-title", "#home-recent"):
            self.query_one(empty_until_read).display = False
        self.show_problems(self._problems.latest())
        self.refresh_info()

    def show_gym(self, line: str | None) -> None:
        """The gym link's one line (connected, broker away, records waiting); hidden for a rack alone."""
        try:
            gym = self.query_one("#home-gym", Static)
        except NoMatches:
            return
        gym.update(safe_text(line or ""))
        gym.display = bool(line)

    def show_problems(self, lines: list[str]) -> None:
        """The newest problems (a sensor that did not open, the database away), one line each."""
        try:
            problems = self.query_one("#home-problems", Static)
        except NoMatches:
            return  # composing, or being torn down as the app leaves
        problems.update("\n".join(f"⚠ {line}" for line in lines))
        problems.display = bool(lines)

    def on_screen_resume(self) -> None:
        self.show_problems(self._problems.latest())
        release_render_caches()  # the screens of the set just left can go now
        self.refresh_info()

    @work(exclusive=True, group="home-info")
    async def refresh_info(self) -> None:
        info = await self._read_info()
        self.info = info
        speed = f" · demo ×{info.speed:g}" if info.speed != 1 else ""
        mvc = " · fresh MVC next set" if info.fresh_mvc else ""
        self.query_one("#home-athlete", Static).update(
            f"· {safe_text(info.athlete)} (a: switch athlete) · sensor: {safe_text(info.sensor)}{speed}{mvc}"
        )
        banner = self.query_one("#home-disclaimer", Static)
        banner.update(info.disclaimer or "")
        banner.display = bool(info.disclaimer)
        plan = info.plan
        problems = self.query_one("#home-config-problems", Static)
        problems.update(problem_lines(plan.problems) if plan is not None else "")
        problems.display = plan is not None and bool(plan.problems)
        if plan is not None:
            self.query_one(PlanPanel).show(plan_view(plan.status, plan.planned, plan.guards))
        nxt = info.shown_next
        self.show_next(nxt)
        self._show_sequence(info)
        exercise = safe_text(nxt.exercise if nxt else info.quick_exercise)
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
        recent_line = self.query_one("#home-recent", Static)
        recent_line.update("Recent: " + " · ".join(recent) if recent else "")
        recent_line.display = bool(recent)
        self.refresh_bindings()
        if not self._shown:
            self._shown = True
            self.call_after_refresh(self._post_shown_once_painted)

    def _post_shown_once_painted(self, waited: int = 0) -> None:
        """:class:`Shown`, after the refresh that follows the footer's Quit key being laid out.

        The footer builds its keys in its own turn, after the screen's
        bindings settle, and mounts them in another: this looks every
        :data:`FOOTER_POLL_S` (a timer, so it never spins the loop), and after
        :data:`FOOTER_WAITS` looks it says Shown anyway.
        """
        quit_laid_out = any(key.has_class("-quit") and key.region.width > 0 for key in self.query(FooterKey))
        if waited < FOOTER_WAITS and not quit_laid_out:
            self.set_timer(FOOTER_POLL_S, lambda: self._post_shown_once_painted(waited + 1))
            return
        self.call_after_refresh(self.post_message, HomeScreen.Shown())

    def show_next(self, nxt: PlannedSet | None) -> None:
        if nxt is not None:
            text = f"Next set: {safe_text(nxt.headline())}"
            if nxt.note:
                text += f"  ({safe_text(nxt.note)})"
            if nxt.warning:
                text += f"\n⚠ {safe_text(nxt.warning, max_chars=None)}"
        else:
            text = "Nothing more planned today. f runs a Phase 4 finisher."
        self.query_one("#home-next", Static).update(text)

    def _show_sequence(self, info: HomeInfo) -> None:
        """Where today's session is ("set 4 of 11 · 18 min left"), and a refused 5th neural session."""
        plan = info.plan
        sequence = plan.sequence if plan is not None else None
        progress = self.query_one("#home-progress", Static)
        progress.update(
            sequence.progress_line() + " · x skip · e end session · l today's sets" if sequence is not None else ""
        )
        progress.display = sequence is not None
        refused = plan.refused if plan is not None else None
        line = self.query_one("#home-refused", Static)
        line.update(f"⛔ No new session today: {safe_text(refused.message)}" if refused is not None else "")
        line.display = refused is not None

    def _show_interrupted(self, info: HomeInfo) -> None:
        options = self.query_one("#home-interrupted", OptionList)
        options.clear_options()
        interrupted = info.interrupted
        for s in interrupted:
            when = s.started_at[:16].replace("T", " ")
            prompt = f"{safe_text(when)}  {safe_text(s.exercise)}  ({s.phases_done} phases saved)"
            options.add_option(Option(Text(prompt), id=str(s.id)))  # Text: never read as markup
        title = self.query_one("#home-interrupted-title", Static)
        title.update("Interrupted sets — r: rate it · d: discard it" if interrupted else "")
        title.display = bool(interrupted)
        options.display = bool(interrupted)
        if interrupted:
            options.highlighted = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        info = self.info
        if action in ("rate_interrupted", "discard_interrupted"):
            return info is not None and bool(info.interrupted)
        if action in ("cuff_setup", "quick_bfr"):
            return self._cuff_on
        if action == "skip_set":  # today's sets only: never opens a session to skip the next day's
            plan = info.plan if info is not None else None
            return (
                plan is not None and plan.next_set is not None and plan.refused is None
                and (plan.sequence is not None or plan.status.today == "train")
            )
        if action == "end_session":
            return info is not None and info.plan is not None and info.plan.sequence is not None
        if action == "day_list":
            return info is not None and info.plan is not None and info.plan.sequence is not None and bool(
                info.plan.sequence.runnable
            )
        if action == "same_as_last_time":
            return info is not None and info.next_set is not None and info.next_set.counts_toward_volume
        return True

    def _selected_interrupted(self) -> tuple[int, str] | None:
        options = self.query_one("#home-interrupted", OptionList)
        info = self.info
        if info is None or options.highlighted is None or not options.option_count:
            return None
        set_id = int(options.get_option_at_index(options.highlighted).id or 0)
        exercise = next((s.exercise for s in info.interrupted if s.id == set_id), "")
        return set_id, exercise

    def action_scroll_page(self, how: str) -> None:
        home = self.query_one("#home", VerticalScroll)
        {"page_down": home.scroll_page_down, "page_up": home.scroll_page_up,
         "scroll_down": home.scroll_down, "scroll_up": home.scroll_up}[how]()

    def action_start(self) -> None:
        self.post_message(self.StartSet())

    def action_finisher(self) -> None:
        self.post_message(self.StartSet(quick=True))

    def action_quick_bfr(self) -> None:
        self.post_message(self.StartSet(bfr=True))

    def action_same_as_last_time(self) -> None:
        self.post_message(self.SameAsLastTime())

    def action_skip_set(self) -> None:
        self.post_message(self.SkipSet())

    def action_end_session(self) -> None:
        self.post_message(self.EndSession())

    def action_day_list(self) -> None:
        self.post_message(self.OpenDayList())

    def action_cuff_setup(self) -> None:
        self.post_message(self.OpenCuffSetup())

    def action_checkin(self) -> None:
        self.post_message(self.OpenCheckin())

    def action_history(self) -> None:
        self.post_message(self.OpenHistory())

    def action_athletes(self) -> None:
        self.post_message(self.OpenAthletes())

    def action_fresh_mvc(self) -> None:
        self.post_message(self.FreshMvc())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.post_message(self.StartSet())
        elif event.button.id == "finisher":
            self.post_message(self.StartSet(quick=True))
        elif event.button.id == "quick-bfr":
            self.post_message(self.StartSet(bfr=True))

    def action_rate_interrupted(self) -> None:
        selected = self._selected_interrupted()
        if selected is not None:
            self.post_message(self.RateInterrupted(*selected))

    def action_discard_interrupted(self) -> None:
        selected = self._selected_interrupted()
        if selected is not None:
            self.post_message(self.DiscardInterrupted(selected[0]))
