"""History: per exercise, whether it is progress; sessions; one set.

Takes a :class:`~gymtui.session.history.HistoryData` (plain data) and two
loaders the caller provides, for the sets of a session and for one set's
detail, so that the screen itself never touches the store. Esc goes back.

* **Exercises** tab: pick an exercise on the left; the right (it scrolls)
  says in one sentence whether this is progress, the perfect-rep goal,
  retention against feedback (once a retention set exists), then the
  week-by-week plot (rating, rise time of explosive-intent reps, EMG score,
  top load and e1RM, each on its own scale, weeks labelled by date) and a
  table of the same weeks.
* **Sessions** tab: the session list; Enter on a session lists its sets
  (each with the cues it showed); Enter on a set opens its detail (its cues,
  phases and target envelope). Switching
  tab (``e``/``s``) puts the keys on that tab's list at once.

Exercise, muscle and phase names come from the log, which took them from the
athlete's files: they are shown through :func:`plain` (no markup, control
characters replaced), never as a markup string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Label,
    OptionList,
    Sparkline,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from gymtui.session.history import ExerciseHistory, HistoryData, SetDetail
from gymtui.session.progress import day_label, plural
from gymtui.text import safe_text
from gymtui.ui.widgets.footer import Footer
from gymtui.ui.widgets.prose import Prose
from gymtui.ui.widgets.week_plot import PlotPoint, WeekPlot

SessionSets = Callable[[int], tuple[tuple[int, str], ...]]
DetailLoader = Callable[[int], SetDetail]


def plain(value: object) -> Text:
    """An outside string for a table cell or an option: ``Text`` is never parsed as markup."""
    return Text(safe_text(value))


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "—" if value is None else fmt.format(value)


def plot_points(history: ExerciseHistory) -> tuple[PlotPoint, ...]:
    """One column per week, labelled with its Monday's date ("5 Jan")."""
    return tuple(
        PlotPoint(day_label(w.week_of), w.mean_rating, w.emg_score, w.top_load_kg, w.e1rm_kg, w.rise_ms)
        for w in history.weeks
    )


def exercises_cell(exercises: str) -> str:
    """The first exercise of a session and how many more: a cell that fits 80 columns without a cut name."""
    names = [n for n in exercises.split(",") if n]
    if len(names) <= 1:
        return names[0] if names else "—"
    return f"{names[0]} + {len(names) - 1} more"


def _latest(values: list[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)


def summary_line(history: ExerciseHistory) -> str:
    """Weeks and sets logged, and the latest top load and e1RM: ``4 weeks · 4 sets · top 100 kg · e1RM 120 kg``."""
    weeks = history.weeks
    top = _latest([w.top_load_kg for w in weeks])
    e1rm = _latest([w.e1rm_kg for w in weeks])
    parts = [plural(len(weeks), "week"), plural(sum(w.sets for w in weeks), "set")]
    parts.append("no load logged" if top is None else f"top {top:g} kg")
    if e1rm is not None:
        parts.append(f"e1RM {e1rm:.0f} kg")
    return " · ".join(parts)


class SessionTable(DataTable[str | Text]):
    """The session list; its Enter is named in the Footer (the stock table hides it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open session")]


class SetList(OptionList):
    """A session's sets; Enter (named in the Footer) opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "Open set")]


class SetDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    def __init__(self, detail: SetDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        d = self.detail
        load = f"{d.load_kg:g} kg" if d.load_kg is not None else "no load"
        yield Label(
            f"{safe_text(d.exercise)} · {load} × {d.reps or '—'} · {safe_text(d.started_at[:16].replace('T', ' '))} · {safe_text(d.status)}",
            id="set-title",
            markup=False,
        )
        yield Label(
            f"rating {d.activation_rating or '—'}/10 · peak {_num(d.peak_pct_mvc, '{:.0f}')} %MVC · "
            f"target share {_num(d.target_share, '{:.2f}')} · perfect reps {d.perfect_reps if d.perfect_reps is not None else '—'}",
            id="set-summary",
        )
        if d.cues:
            seen = "" if d.feedback == "live" else f" · feedback: {safe_text(d.feedback)}"
            yield Label(f"Cues: {safe_text(d.cues)}{seen}", id="set-cues", markup=False)
            if d.cue_rows:
                cue_table: DataTable[str | Text] = DataTable(id="cue-table", cursor_type="row", zebra_stripes=True)
                cue_table.add_columns("s", "rep", "kind", "muscle", "cue")
                for c in d.cue_rows:
                    cue_table.add_row(
                        f"{c.t_s:.1f}", "—" if c.rep is None else str(c.rep), plain(c.kind), plain(c.muscle), plain(c.text)
                    )
                yield cue_table
        yield Label(
            safe_text(d.signal_problem)
            if d.signal_problem
            else f"Envelope: {safe_text(d.target_muscle or 'target')}" if d.envelope_uv else "No raw signal stored for this set",
            id="envelope-label",
            markup=False,
        )
        yield Sparkline(list(d.envelope_uv), id="envelope")
        table: DataTable[str | Text] = DataTable(id="phase-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("#", "phase", "kind", "planned s", "took s", "ended by", "peak %MVC")
        for p in d.phases:
            table.add_row(
                str(p.idx + 1), plain(p.name), plain(p.kind), _num(p.planned_s), _num(p.duration_s),
                plain(p.ended_by), _num(p.peak_pct_mvc, "{:.0f}"),
            )
        yield table
        yield Footer()

    def action_back(self) -> None:
        self.dismiss(None)


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("e", "tab('exercises')", "Exercises"),
        Binding("s", "tab('sessions')", "Sessions"),
    ]

    def __init__(self, data: HistoryData, session_sets: SessionSets | None = None, set_detail: DetailLoader | None = None) -> None:
        super().__init__()
        self.data = data
        self.session_sets = session_sets
        self.set_detail = set_detail

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="exercises"):
            with TabPane("Exercises", id="exercises"), Horizontal():
                yield OptionList(*[Option(plain(e.exercise), id=str(i)) for i, e in enumerate(self.data.exercises)], id="exercise-list")
                with VerticalScroll(id="exercise-detail"):
                    yield Label("", id="exercise-title", markup=False)
                    yield Prose(id="exercise-sentence")
                    yield Prose(id="exercise-goal")
                    yield Prose(id="exercise-summary")
                    yield Prose(id="exercise-retention")
                    yield WeekPlot(id="week-plot")
                    table: DataTable[str | Text] = DataTable(id="week-table", cursor_type="row", zebra_stripes=True)
                    yield table
                    yield Prose(id="mvc-note")
            with TabPane("Sessions", id="sessions"), Vertical():
                yield SessionTable(id="session-table", cursor_type="row", zebra_stripes=True)
                yield SetList(id="session-sets")
        yield Footer()

    def on_mount(self) -> None:
        weeks = self.query_one("#week-table", DataTable)
        weeks.add_columns("week of", "sets", "rating", "rise ms", "EMG %MVC", "top kg", "e1RM kg", "perfect")
        sessions = self.query_one("#session-table", DataTable)
        sessions.add_columns("day", "session", "sets", "done", "rating", "exercises")
        for s in self.data.sessions:
            sessions.add_row(
                plain(s.day), plain(s.label), str(s.sets), str(s.completed), _num(s.mean_rating),
                plain(exercises_cell(s.exercises)), key=str(s.id),
            )
        listing = self.query_one("#exercise-list", OptionList)
        if self.data.exercises:
            self.show_exercise(0)
            listing.highlighted = 0
        else:
            self.query_one("#exercise-title", Label).update("No completed sets yet")
        listing.focus()

    def show_exercise(self, index: int) -> None:
        history = self.data.exercises[index]
        self.query_one("#exercise-title", Label).update(safe_text(history.exercise))
        self.query_one("#exercise-sentence", Prose).update(history.sentence)
        self.query_one("#exercise-goal", Prose).update(safe_text(history.goal) or "Perfect reps: none judged yet.")
        self.query_one("#exercise-summary", Prose).update(summary_line(history))
        retention = self.query_one("#exercise-retention", Prose)
        retention.update(history.retention)
        retention.display = bool(history.retention)
        self.query_one("#mvc-note", Prose).update(history.mvc_note)
        self.query_one(WeekPlot).points = plot_points(history)
        table = self.query_one("#week-table", DataTable)
        table.clear()
        for w in reversed(history.weeks):
            best = "—" if w.best_perfect_reps is None else str(w.best_perfect_reps)
            table.add_row(
                day_label(w.week_of), str(w.sets), _num(w.mean_rating), _num(w.rise_ms, "{:.0f}"), _num(w.emg_score, "{:.0f}"),
                _num(w.top_load_kg, "{:g}"), _num(w.e1rm_kg, "{:.0f}"), best,
            )

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "exercise-list" and event.option.id is not None:
            self.show_exercise(int(event.option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "session-sets" and self.set_detail is not None and event.option.id:
            self.app.push_screen(SetDetailScreen(self.set_detail(int(event.option.id))))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "session-table" or self.session_sets is None:
            return
        sets = self.session_sets(int(str(event.row_key.value)))
        listing = self.query_one("#session-sets", OptionList)
        listing.clear_options()
        listing.add_options([Option(plain(text), id=str(set_id)) for set_id, text in sets])
        if sets:
            listing.highlighted = 0
            listing.focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The keys go to the shown tab's list: no hidden Tab press before Enter works."""
        pane = event.pane.id if event.pane is not None else None
        target = "#session-table" if pane == "sessions" else "#exercise-list"
        self.query_one(target).focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_back(self) -> None:
        self.dismiss(None)
