"""Programs UI: plan panel, check-in, disclaimer and history, in a tiny host app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from program_log import log_session
from textual.app import App, ComposeResult
from textual.widgets import (
    DataTable,
    Label,
    OptionList,
    Sparkline,
    Static,
    TabbedContent,
)

from gymtui.resources import resource_dir
from gymtui.services.history import load_history, load_set_detail, sets_of_session
from gymtui.services.plan import status_from_store, todays_sets
from gymtui.session import guardrails as g
from gymtui.session.exercises import load_library
from gymtui.store import Store
from gymtui.themes import load_themes
from gymtui.ui.screens.checkin import CheckinResult, CheckinScreen
from gymtui.ui.screens.history import HistoryScreen, SetDetailScreen
from gymtui.ui.widgets.plan_panel import PlanPanel, plan_view
from gymtui.ui.widgets.prose import Prose
from gymtui.ui.widgets.week_plot import PlotPoint, WeekPlot, render_week_plot

MONDAY = dt.date(2026, 1, 5)


class Host(App[None]):
    """Pushes one screen and keeps what it dismissed with; loads the app sheet and its colours."""

    CSS_PATH = resource_dir("themes") / "gymtui.tcss"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(load_themes()[0].variables)

    def __init__(self, screen=None, panel: PlanPanel | None = None) -> None:
        super().__init__()
        self._screen = screen
        self._panel = panel
        self.results: list[object] = []

    def compose(self) -> ComposeResult:
        if self._panel is not None:
            yield self._panel

    def on_mount(self) -> None:
        if self._screen is not None:
            self.push_screen(self._screen, self.results.append)


def panel_style_applied(app: App) -> bool:
    """The panel's own styles (its DEFAULT_CSS) applied: its plan line is bold."""
    return app.query_one("#plan-line").styles.text_style.bold


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "ui.db")
    yield store
    store.close()


def seed_weeks(store: Store, athlete: int) -> None:
    """Four weeks of squats, ratings climbing 5 → 8 and EMG scores 50 → 80."""
    for week in range(4):
        log_session(store, athlete, MONDAY + dt.timedelta(days=7 * week), [
            {"exercise": "Back squat", "load_kg": 100.0, "reps": 6, "activation_rating": 5 + week,
             "peak_pct_mvc": 50.0 + 10 * week, "perfect_reps": 3 + week},
        ])


def test_week_plot_draws_each_measure_on_its_own_scale_under_dated_weeks() -> None:
    points = [PlotPoint("5 Jan", 5, 50, 100, 120), PlotPoint("12 Jan", 10, 100, 100, 120), PlotPoint("19 Jan", None, None, None, None)]
    rows = render_week_plot(points).plain.splitlines()
    assert [row[:10].rstrip() for row in rows[:8]] == [
        "rating", "0–10", "EMG %MVC", "0–100", "top load", "0–120 kg", "e1RM", "0–120 kg",
    ]
    # Rating 5 of 10 fills the lower row of its band, 10 both rows; the week with nothing draws nothing.
    assert [rows[0][10:14], rows[1][10:14]] == ["    ", "████"]
    assert [rows[0][17:21], rows[1][17:21]] == ["████", "████"]
    assert all(row[24:28] == "    " for row in rows[:8])
    assert rows[8].split() == ["5", "Jan", "12", "Jan", "19", "Jan"]
    assert rows[9] == "Bars from 0; rating, EMG and kg each on their own scale."
    no_emg = render_week_plot([PlotPoint("5 Jan", 6, None, 40, 48)]).plain.splitlines()
    assert no_emg[2] == "EMG %MVC  none logged"
    assert "No sets yet" in render_week_plot([]).plain


async def test_plan_panel_shows_the_line_next_sets_and_guards(store: Store) -> None:
    athlete = store.ensure_athlete()
    status = status_from_store(store, athlete, MONDAY)
    planned = todays_sets(store, athlete, status, load_library(), today=MONDAY)
    guards = [g.Guard("resume_after_break", g.Level.INFO, "12 days since your last session")]
    app = Host(panel=PlanPanel(plan_view(status, planned, guards)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert panel_style_applied(app)
        panel = app.query_one(PlanPanel)
        assert str(panel.query_one("#plan-line", Label).render()) == "Week 1 of 4 · neural block · today: lower body"
        sets_text = str(panel.query_one("#plan-sets", Static).render())
        assert "▸ Glute bridge, 3 s hold · set 1 of 3" in sets_text
        assert "12 days since" in str(panel.query_one("#plan-guards", Static).render())
        panel.show(plan_view(status, planned[:1]))
        await pilot.pause()
        assert not panel.query_one("#plan-guards").display


async def test_checkin_flow_advises_and_dismisses_with_the_choice() -> None:
    screen = CheckinScreen(lambda c: g.assess_checkin(c, 55.0), baseline_rhr_bpm=55.0)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        assert screen.query_one("#mood").region.bottom <= 24  # every question fits a small terminal
        await pilot.press("6", ".", "5", "enter", "6", "3", "enter", "2", "enter", "4", "enter")
        await pilot.pause()
        assert screen.query_one("#advice").display
        assert "rest" in str(screen.query_one("#advice-headline", Label).render()).lower()
        assert "slept 6.5 h" in str(screen.query_one("#advice-reasons", Static).render())
        assert screen.query_one("#rest").region.bottom <= 24  # the choices are on screen too
        await pilot.press("l")  # the athlete chooses a light session over rest
        await pilot.pause()
    (result,) = app.results
    assert isinstance(result, CheckinResult)
    assert result.checkin == g.CheckIn(6.5, 63.0, 2, 4)
    assert result.advice.advice is g.Advice.REST and result.choice is g.Advice.LIGHT


async def test_checkin_asks_again_for_missing_sleep_and_esc_skips() -> None:
    screen = CheckinScreen(lambda c: g.assess_checkin(c, None))
    app = Host(screen)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter", "enter", "enter", "enter")
        await pilot.pause()
        assert "hours did you sleep" in str(screen.query_one("#checkin-error", Static).render())
        await pilot.press("g")  # no advice yet: choosing is not possible
        await pilot.pause()
        assert app.results == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_history_plots_ratings_over_weeks_and_drills_into_a_set(store: Store) -> None:
    athlete = store.ensure_athlete()
    seed_weeks(store, athlete)
    session = log_session(store, athlete, MONDAY + dt.timedelta(days=28), [{"exercise": "Leg extension", "load_kg": 45.0, "reps": 12, "activation_rating": 9}])
    set_id = store.session_sets(session)[0]["set_id"]
    store.record_phase(set_id, 0, "reps", "Reps", planned_s=None, started_at="2026-02-02T10:00:00+00:00", duration_s=30.0, ended_by="athlete", peak_pct_mvc=66.0)
    store.record_phase(set_id, 1, "isometric", "Peak hold", planned_s=15.0, started_at="2026-02-02T10:00:30+00:00", duration_s=15.0, ended_by="time", peak_pct_mvc=58.0)
    burst = np.zeros((3000, 4), dtype=np.float32)
    burst[1000:2000, 0] = 200 * np.sin(np.arange(1000) * 0.9)
    store.append_signal(set_id, 0, 0.0, 1000.0, burst)
    store.update_set(set_id, {"channels": [{"muscle": "Vastus lateralis", "role": "target"}]})

    data = load_history(store, athlete, today=MONDAY + dt.timedelta(days=29))
    assert [e.exercise for e in data.exercises] == ["Leg extension", "Back squat"]
    squat = data.exercises[1]
    assert [w.mean_rating for w in squat.weeks] == [5, 6, 7, 8]
    assert squat.sentence == "Rating up 3 points in 4 weeks at the same load: that is progress."
    assert [w.e1rm_kg for w in squat.weeks] == [120.0] * 4  # Epley: 100 kg × (1 + 6/30)
    assert [w.emg_score for w in squat.weeks] == [50, 60, 70, 80]

    screen = HistoryScreen(data, lambda sid: sets_of_session(store, sid), lambda sid: load_set_detail(store, sid))
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        exercises = screen.query_one("#exercise-list", OptionList)
        exercises.focus()
        await pilot.press("down")
        await pilot.pause()
        assert str(screen.query_one("#exercise-title", Label).render()) == "Back squat"
        summary = screen.query_one("#exercise-summary", Prose).text
        assert summary == "4 weeks · 4 sets · top 100 kg · e1RM 120 kg"
        goal = screen.query_one("#exercise-goal", Prose).text
        assert goal == "Goal of 6 met on 26 Jan. Perfect reps: all 6 of 6 on 26 Jan: keep them perfect, add load."
        assert [p.rating for p in screen.query_one(WeekPlot).points] == [5, 6, 7, 8]
        assert screen.query_one("#week-table", DataTable).row_count == 4
        await pilot.press("s")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "sessions"
        table = screen.query_one("#session-table", DataTable)
        assert table.row_count == 5
        table.focus()
        await pilot.press("enter")  # newest session first: the leg extensions
        await pilot.pause()
        listing = screen.query_one("#session-sets", OptionList)
        assert "Leg extension · 45 kg × 12 · 9/10 · completed" in str(listing.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, SetDetailScreen)
        assert detail.query_one("#phase-table", DataTable).row_count == 2
        envelope = detail.query_one(Sparkline).data
        peak = int(np.argmax(envelope))
        assert 9 <= peak <= 20 and envelope[peak] > 10 * max(envelope[0], 1e-9)  # the burst at 1–2 s of 3 s
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


def test_perfect_rep_goal_climbs_by_two_and_stops_at_the_reps_of_the_set(store: Store) -> None:
    athlete = store.ensure_athlete()
    seed_weeks(store, athlete)  # 6-rep sets, best perfect reps per week: 3, 4, 5, 6

    def goal_on(today: dt.date) -> str:
        squat = next(e for e in load_history(store, athlete, today=today).exercises if e.exercise == "Back squat")
        return squat.goal

    assert goal_on(MONDAY + dt.timedelta(days=3)) == "Perfect reps: 3 of 6 on 5 Jan → aim for 5 by 19 Jan (no set since)."
    assert goal_on(MONDAY + dt.timedelta(days=10)) == "Perfect reps: 3 of 6 on 5 Jan → aim for 5 by 19 Jan (best since 4)."
    assert goal_on(MONDAY + dt.timedelta(days=15)) == (
        "Goal of 5 met on 19 Jan. Perfect reps: 5 of 6 on 19 Jan → aim for 6 by 2 Feb (no set since)."
    )
