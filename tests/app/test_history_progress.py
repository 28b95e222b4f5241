"""History after four weeks of logged sets, at 80×24: dates, one sentence per exercise, the goal, the keys.

Four weeks go into a real SQLite file through the store (``log_session``);
the history screen is opened in the real app with ``h`` from home and read
as the lifter reads it: the text on the screen.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from history_pilot import open_history, pick
from program_log import four_weeks_logged
from textual.app import App
from textual.widgets import DataTable, OptionList, TabbedContent
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.history import SetDetailScreen
from gymtui.ui.widgets.prose import wrap_keeping_units

MONDAY = dt.date(2026, 11, 2)
TODAY = MONDAY + dt.timedelta(weeks=3, days=2)


def screen_text(app: App) -> str:
    """What the terminal shows, as text (the compositor's lines)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces folded, so a wrapped sentence reads whole."""
    return re.sub(r"\s+", " ", text)


def footer_line(app: App) -> str:
    """The last line of the terminal: the Footer's keys."""
    return screen_text(app).splitlines()[-1]


def right_side(app: App) -> str:
    """The text of the exercise's side of the screen (right of the list), line by line."""
    region = app.screen.query_one("#exercise-detail").region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


def four_weeks(db: Path) -> Store:
    store = Store(db)
    four_weeks_logged(store, store.ensure_athlete(), MONDAY)
    return store


async def test_four_weeks_read_as_dates_sentences_and_a_reachable_goal_at_80x24(tmp_path: Path) -> None:
    app = GymApp(four_weeks(tmp_path / "gym.db"), AppConfig(today=TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(pilot, app)
        await pick(pilot, screen, "Leg extension")
        text = screen_text(app)
        (tmp_path / "history_80x24.txt").write_text(text + "\n")  # what the athlete saw, kept with the run
        shown = flat(right_side(app))
        assert "Rating up 2 points in 4 weeks at the same load: that is progress." in shown
        # The 6-rep drill: 3 → 5 met on 16 Nov, then 5 of 6 → 6 (never 8), its date fixed two weeks after it was set.
        assert "Goal of 5 met on 16 Nov. Perfect reps: 5 of 6 on 16 Nov → aim for 6 by 30 Nov (best since 5)." in shown
        assert "4 weeks · 8 sets · top 40 kg · e1RM 48 kg" in shown
        # The axis: dates of the weeks' Mondays, never ISO week numbers.
        assert re.search(r"2 Nov\s+9 Nov\s+16 Nov\s+23 Nov", text), text
        assert "rating" in text and "0–10" in text and "EMG %MVC" in text and "e1RM" in text
        assert "rating, EMG and kg each on their own scale" in shown
        assert "1 weeks" not in shown and "1 sets" not in shown
        # Sentences wrap at word ends (the folded text above reads whole); nothing runs past the edge.
        assert all(len(line) <= 80 for line in text.splitlines())

        # The screen scrolls: the week table and the EMG note are below the fold and reachable.
        detail = screen.query_one("#exercise-detail")
        assert detail.max_scroll_y > 0
        detail.scroll_end(animate=False)
        await pilot_wait_until(pilot, lambda: "own electrode application" in flat(right_side(app)), 10, "the EMG note scrolled into view")
        assert "23 Nov" in screen_text(app)

        sentences = {e.exercise: e.sentence for e in screen.data.exercises}
        assert sentences == {
            "Calf raise": "Too little data: 1 rated week so far (23 Nov); a trend needs two.",
            "Leg extension": "Rating up 2 points in 4 weeks at the same load: that is progress.",
            "Back squat": "Rating held at 7 for 4 weeks while the load went up 15 kg: that is progress.",
            "Hip thrust": "Rating down 2 points in 4 weeks at the same load: not progress yet.",
        }
        detail.scroll_home(animate=False)
        screen.query_one("#exercise-list").focus()
        await pick(pilot, screen, "Back squat")  # further up the list: Up, not Down
        assert "Perfect reps: none judged yet." in flat(right_side(app))
        assert "Rating held at 7 for 4 weeks while the load went up 15 kg: that is progress." in flat(right_side(app))


async def test_sessions_tab_takes_keys_at_once_and_shows_its_keys_in_the_footer(tmp_path: Path) -> None:
    app = GymApp(four_weeks(tmp_path / "gym.db"), AppConfig(today=TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(pilot, app)
        await pilot_wait_until(pilot, lambda: "esc Back" in footer_line(app), 10, "the footer", detail=lambda: footer_line(app))
        assert flat(footer_line(app)).strip() == "esc Back e Exercises s Sessions ? Help"
        await pilot.press("s")
        await pilot_wait_until(pilot, lambda: screen.query_one(TabbedContent).active == "sessions", 10, "the sessions tab")
        table = screen.query_one("#session-table", DataTable)
        await pilot_wait_until(pilot, lambda: app.focused is table, 10, "the session list focused")
        await pilot_wait_until(pilot, lambda: "⏎ Open session" in footer_line(app), 10, "Enter named in the footer",
                               detail=lambda: footer_line(app))
        await pilot.press("down")  # the second newest session: the fourth Monday
        await pilot.press("enter")
        listing = screen.query_one("#session-sets", OptionList)
        await pilot_wait_until(pilot, lambda: listing.option_count == 4, 10, "the session's sets listed")
        assert str(listing.get_option_at_index(0).prompt) == "Leg extension · 40 kg × 6 · 8/10 · completed"
        await pilot_wait_until(pilot, lambda: "⏎ Open set" in footer_line(app), 10, "Enter on a set named in the footer",
                               detail=lambda: footer_line(app))
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetDetailScreen), 10, "the set's detail")
        await pilot.press("escape")
        await pilot_wait_until(pilot, lambda: app.screen is screen, 10, "back on the history")
        await pilot.press("e")
        await pilot_wait_until(pilot, lambda: app.focused is screen.query_one("#exercise-list"), 10, "the exercise list focused")
        await pick(pilot, screen, screen.data.exercises[1].exercise)


def test_a_wrapped_sentence_keeps_each_number_with_its_unit_and_month() -> None:
    sentence = "Rating held at 7 for 4 weeks while the load went up 15 kg: that is progress."
    lines = wrap_keeping_units(sentence, 57)
    assert lines == ["Rating held at 7 for 4 weeks while the load went up", "15 kg: that is progress."]
    assert wrap_keeping_units("aim for 6 by 30 Nov (best since 5).", 14) == ["aim for 6 by", "30 Nov (best", "since 5)."]
    assert wrap_keeping_units("Extraordinarilylongname here", 8) == ["Extraordinarilylongname", "here"]  # never cut mid-word
