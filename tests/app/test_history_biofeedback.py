"""History after four weeks of coached sets: cues per set, rise time per week, retention against feedback.

Four weeks go into a real SQLite file through the store (``log_session``),
with the cue rows, rep rise times and feedback modes the live chain writes;
the history screen is opened in the real app with ``h`` from home and read
as the lifter reads it: the text on the screen, in order.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from history_pilot import open_history, pick
from program_log import log_session
from textual.app import App
from textual.widgets import DataTable, OptionList, TabbedContent
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import FormCue, FormCueKind
from gymtui.store import Store
from gymtui.ui.screens.history import SetDetailScreen

MONDAY = dt.date(2026, 11, 2)
TODAY = MONDAY + dt.timedelta(weeks=3, days=2)
RISE_MS = [240.0, 220.0, 200.0, 180.0]
"""Each week's rise time of the squat's reps: getting faster off the mark."""
ELBOWS = "Hands as hooks, elbows to the pockets"


def screen_text(app: App) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def right_side(app: App) -> str:
    region = app.screen.query_one("#exercise-detail").region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


def coached_weeks(db: Path) -> Store:
    """Lat pulldown fed back live, then cues only, then one retention set in week 4; heavy squats with intent."""
    store = Store(db)
    athlete = store.ensure_athlete()
    for week in range(4):
        day = MONDAY + dt.timedelta(weeks=week)
        feedback = ["live", "live", "cues", "cues"][week]
        sets = [
            {"exercise": "Lat pulldown", "load_kg": 50.0, "reps": 10, "activation_rating": 7, "target_share": 0.60,
             "feedback": feedback, "cue_count": 3 if week == 3 else 0},
            {"exercise": "Lat pulldown", "load_kg": 50.0, "reps": 10, "activation_rating": 7, "target_share": 0.64,
             "feedback": feedback, "cue_count": 0},
            {"exercise": "Back squat", "load_kg": 100.0, "reps": 5, "activation_rating": 8, "workflow_phase": "compound"},
        ]
        if week == 3:
            sets.append({"exercise": "Lat pulldown", "load_kg": 50.0, "reps": 10, "activation_rating": 6,
                         "target_share": 0.58, "feedback": "retention", "cue_count": 0})
        session = log_session(store, athlete, day, sets)
        ids = [int(r["set_id"]) for r in store.session_sets(session)]
        squat = ids[2]
        store.record_reps(squat, [
            {"idx": i, "start_s": 2.0 * i, "end_s": 2.0 * i + 1.5, "perfect": 1, "reason": "", "rise_ms": RISE_MS[week] + d}
            for i, d in enumerate((-10.0, 0.0, 10.0))
        ])
        if week == 3:
            for t_s, rep in ((3.1, 2), (9.8, 4), (14.2, 6)):
                store.record_cue(ids[0], FormCue(t_s, FormCueKind.COMPENSATION, 1, "Biceps brachii", 0.41, ELBOWS, rep=rep))
    return store


async def test_retention_against_feedback_and_the_weekly_rise_time_read_in_order(tmp_path: Path) -> None:
    app = GymApp(coached_weeks(tmp_path / "gym.db"), AppConfig(today=TODAY))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_history(pilot, app)
        await pick(pilot, screen, "Lat pulldown")
        shown = flat(right_side(app))
        (tmp_path / "history_pulldown.txt").write_text(screen_text(app) + "\n")
        retention = (
            "Retention 0.58 (1 set) vs fed back 0.62 (2 sets) target share (week of 23 Nov): "
            "94 % of it held without feedback; keep the feedback a while longer."
        )
        # The sentence, the summary, then retention, then the plot: in that order.
        order = [shown.index(s) for s in ("Rating", "4 weeks · 9 sets", retention, "0–10")]
        assert order == sorted(order), shown
        # No explosive-intent reps in a pulldown: no rise band (no "none logged" line either).
        assert not [line for line in right_side(app).splitlines() if line.strip().startswith("rise ms")]

        await pick(pilot, screen, "Back squat")
        text = screen_text(app)
        shown = flat(right_side(app))
        assert "Retention" not in shown  # never a retention set of the squat
        # The rise band sits right under the rating band, on its own ms scale, and shrinks week by week.
        rows = right_side(app).splitlines()
        first = next(i for i, line in enumerate(rows) if line.strip().startswith("rating"))
        assert rows[first + 2].strip().startswith("rise ms") and rows[first + 3].strip().startswith("0–240")
        bars = [rows[first + 2][10 + 7 * w : 14 + 7 * w] + rows[first + 3][10 + 7 * w : 14 + 7 * w] for w in range(4)]
        heights = ["█▇▆▅▄▃▂▁ ".index(b[0]) if b[4] == "█" else 99 for b in bars]
        assert heights == sorted(heights), bars  # 240 ms the tallest, 180 ms the lowest
        assert "Bars from 0; rating, rise, EMG, kg: each its own scale." in shown
        table = screen.query_one("#week-table", DataTable)
        assert [str(c.label) for c in table.columns.values()][:4] == ["week of", "sets", "rating", "rise ms"]
        assert [table.get_row_at(i)[:4] for i in range(table.row_count)] == [
            ["23 Nov", "1", "8.0", "180"], ["16 Nov", "1", "8.0", "200"], ["9 Nov", "1", "8.0", "220"], ["2 Nov", "1", "8.0", "240"],
        ]
        assert all(len(line) <= 100 for line in text.splitlines())


async def test_each_set_says_its_cues_in_the_session_and_in_its_detail(tmp_path: Path) -> None:
    app = GymApp(coached_weeks(tmp_path / "gym.db"), AppConfig(today=TODAY))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_history(pilot, app)
        await pilot.press("s")
        await pilot_wait_until(pilot, lambda: screen.query_one(TabbedContent).active == "sessions", 10, "the sessions tab")
        table = screen.query_one("#session-table", DataTable)
        await pilot_wait_until(pilot, lambda: app.focused is table, 10, "the session list focused")
        await pilot.press("enter")  # the newest session: week 4
        listing = screen.query_one("#session-sets", OptionList)
        await pilot_wait_until(pilot, lambda: listing.option_count == 4, 10, "the session's sets listed")
        assert [str(listing.get_option_at_index(i).prompt) for i in range(4)] == [
            "Lat pulldown · 50 kg × 10 · 7/10 · completed · cues only · 3 compensation cues, last at rep 6",
            "Lat pulldown · 50 kg × 10 · 7/10 · completed · cues only · no cues",
            "Back squat · 100 kg × 5 · 8/10 · completed",  # logged without live cues: nothing claimed
            "Lat pulldown · 50 kg × 10 · 6/10 · completed · retention: screen dark · no cues",
        ]
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetDetailScreen), 10, "the set's detail")
        detail = app.screen
        assert str(detail.query_one("#set-cues").render()) == "Cues: 3 compensation cues, last at rep 6 · feedback: cues"
        cues = detail.query_one("#cue-table", DataTable)
        assert [[str(c) for c in cues.get_row_at(i)] for i in range(cues.row_count)] == [
            ["3.1", "2", "compensation", "Biceps brachii", ELBOWS],
            ["9.8", "4", "compensation", "Biceps brachii", ELBOWS],
            ["14.2", "6", "compensation", "Biceps brachii", ELBOWS],
        ]
        # Under the set's title and summary, before its envelope: read in that order on the screen.
        text = flat(screen_text(app))
        order = [text.index(s) for s in ("Lat pulldown · 50 kg × 10", "rating 7/10", "Cues: 3 compensation cues", "No raw signal")]
        assert order == sorted(order), text
