"""End to end: a simulated athlete, through the live chain, onto the set screen.

The real app with the demo sensor (motor-unit simulator, the real signal
worker with its cue monitor and live rep judge), a fresh database (so the
first set calibrates its MVC), and the demo's athlete chosen: one who leans
on the synergists, or the default one. What the athlete sees during the set
is read off the terminal: the cue's words in the banner, the marked bar, a
✓ or ✗ per judged rep; then the rating screen's line.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from keys import press
from screen_text import screen_rows
from textual.pilot import Pilot
from waiting import Deadline, pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.sim.athlete import LAT_PULLDOWN_COMPENSATOR, AthleteProfile
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.activation_bar import MARK_GLYPH, ActivationBar
from gymtui.ui.widgets.form_cue import FormCueBanner
from gymtui.ui.widgets.rep_marks import MISSED, PERFECT

SPEED = 4.0
"""The simulator renders 4 s of EMG per wall second beside two busy cores without dropping samples."""


@dataclass
class Seen:
    """What the terminal showed during the set, and the rating screen after it."""

    cues: list[str] = field(default_factory=list)
    """Each cue's words as read off the terminal, in order (a cue showing for many frames once)."""
    cue_rows: list[tuple[float, str, int, str]] = field(default_factory=list)
    """(t_s, kind, channel, text) of each cue shown, in order: what the ``cues`` table is to hold."""
    marked_rows: set[str] = field(default_factory=set)
    marks_rows: set[str] = field(default_factory=set)
    rating: str = ""


async def first_set(pilot: Pilot[int]) -> Seen:
    """Enter on the home screen, the first planned set run to its rating, the set screen read at each poll."""
    app = pilot.app
    assert isinstance(app, GymApp)
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor.ready.is_set(), 60,
                           "the home screen with the demo sensor open")
    await press(pilot, "enter")
    await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 30, "the set screen")
    screen = app.screen
    assert isinstance(screen, SetScreen)
    seen = Seen()
    deadline = Deadline(180, "the set to end with its rating screen")
    while not isinstance(app.screen, RatingScreen):
        deadline.check(lambda: (screen.feedback, seen.cues))
        await pilot.pause(0.05)
        if app.screen is not screen:
            continue
        rows = screen_rows(app)
        banner = screen.query_one(FormCueBanner).text
        feedback = screen.feedback
        if banner and any(banner in row for row in rows):
            # The banner says what the worker's newest frame says, and the bars it names are marked.
            assert feedback is not None and feedback.cue is not None and feedback.cue.text == banner
            if not seen.cues or seen.cues[-1] != banner:
                seen.cues.append(banner)
            cue = feedback.cue
            row = (cue.t_s, str(cue.kind), cue.channel, cue.text)
            if row not in seen.cue_rows:
                seen.cue_rows.append(row)
            bars = list(screen.query(ActivationBar))
            for channel in feedback.marked:
                seen.marked_rows.update(row for row in rows if f"{MARK_GLYPH}{bars[channel].muscle}" in row)
        seen.marks_rows.update(row for row in rows if "Perfect " in row and (PERFECT in row or MISSED in row))
    await pilot_wait_until(pilot, lambda: "cue" in "\n".join(screen_rows(app)), 15, "the coaching line on the rating screen")
    seen.rating = "\n".join(screen_rows(app))
    return seen


def assert_marks_counted(rows: set[str]) -> None:
    """Each marks line says the count of the marks it draws."""
    for row in rows:
        marks = row.strip().split("  ")[0]
        assert marks and set(marks) <= {PERFECT, MISSED}, row
        assert f"Perfect {marks.count(PERFECT)} of {len(marks)}" in row, row


def demo_app(tmp_path: Path, athlete: AthleteProfile | None) -> GymApp:
    return GymApp(Store(tmp_path / "gym.db"), AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", demo_athlete=athlete))


async def test_a_compensating_athlete_sees_the_cue_the_marked_bar_and_each_reps_mark(tmp_path: Path) -> None:
    app = demo_app(tmp_path, LAT_PULLDOWN_COMPENSATOR)
    async with app.run_test(size=(100, 32)) as pilot:
        seen = await first_set(pilot)
        await app.shutdown()
    assert seen.cues, "no form cue was shown during the compensating athlete's set"
    assert seen.marked_rows, "no bar was marked while a cue showed"
    assert seen.marks_rows and any(MISSED in row for row in seen.marks_rows), seen.marks_rows
    assert_marks_counted(seen.marks_rows)
    assert "compensation cue" in seen.rating and "Perfect reps " in seen.rating
    assert [t for t, *_ in seen.cue_rows] == sorted(t for t, *_ in seen.cue_rows), "cues shown in the order they fired"
    assert {text for *_, text in seen.cue_rows} == set(seen.cues)
    # What was shown is what was stored: each cue seen is a row of the cues table, in the order shown,
    # and the table holds as many rows as the rating screen counted (a cue shown between two polls
    # is stored without having been seen here, so the seen ones are a subsequence of the stored).
    stored = stored_cues(tmp_path / "gym.db")
    stored_rows = [(row["t_s"], row["kind"], row["channel"], row["text"]) for row in stored]
    assert is_subsequence(seen.cue_rows, stored_rows), (seen.cue_rows, stored_rows)
    counted = re.search(r"(\d+) (?:compensation |co-contraction )?cues?\b", seen.rating)
    assert counted is not None, seen.rating
    assert len(stored_rows) == int(counted.group(1)), (stored_rows, seen.rating)
    assert {row["set_id"] for row in stored} == {stored_set_id(tmp_path / "gym.db")}


def stored_cues(db: Path) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT set_id, t_s, kind, channel, text FROM cues ORDER BY t_s, id").fetchall()


def stored_set_id(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (set_id,), = conn.execute("SELECT id FROM sets").fetchall()
        return int(set_id)


def is_subsequence(part: list[tuple[float, str, int, str]], whole: list[tuple[float, str, int, str]]) -> bool:
    """``part`` appears in ``whole`` in the same order (times compared to the microsecond)."""
    rest = iter(whole)
    return all(any(abs(t - u) < 1e-6 and (k, c, x) == (l, d, y) for u, l, d, y in rest) for t, k, c, x in part)


async def test_the_default_athlete_gets_no_cue_and_ticks(tmp_path: Path) -> None:
    app = demo_app(tmp_path, None)
    async with app.run_test(size=(100, 32)) as pilot:
        seen = await first_set(pilot)
        await app.shutdown()
    assert seen.cues == [] and seen.marked_rows == set()
    assert seen.marks_rows and any(PERFECT in row for row in seen.marks_rows), seen.marks_rows
    assert_marks_counted(seen.marks_rows)
    assert "No form cues" in seen.rating
