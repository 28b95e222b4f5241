"""End to end: a simulated athlete who compensates, through the live chain, onto the set screen.

The real app with the demo sensor (motor-unit simulator, the real signal
worker and its cue monitor and live rep judge), a fresh database (so the
first set calibrates its MVC), and the demo's athlete chosen to lean on the
synergists. What the athlete sees during the set is read off the terminal:
the cue's words in the banner, the marked bar, a ✓ or ✗ per judged rep.
"""

from __future__ import annotations

from pathlib import Path

from keys import press
from screen_text import screen_rows
from waiting import Deadline, pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import Biofeedback
from gymtui.sim.athlete import LAT_PULLDOWN_COMPENSATOR
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.activation_bar import MARK_GLYPH, ActivationBar
from gymtui.ui.widgets.form_cue import FormCueBanner
from gymtui.ui.widgets.rep_marks import MISSED, PERFECT

SPEED = 4.0
"""The simulator renders 4 s of EMG per wall second beside two busy cores without dropping samples."""


async def test_a_compensating_athlete_sees_the_cue_the_marked_bar_and_each_reps_mark(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=True, speed=SPEED, athlete="Demo athlete", demo_athlete=LAT_PULLDOWN_COMPENSATOR))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.sensor.ready.is_set(), 60,
                               "the home screen with the demo sensor open")
        await press(pilot, "enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 30, "the set screen")
        screen = app.screen
        assert isinstance(screen, SetScreen)

        cues_shown: list[str] = []  # each cue's words, as read off the terminal, in order
        marked_rows: set[str] = set()
        marks_rows: set[str] = set()
        feedback: Biofeedback | None = None
        deadline = Deadline(180, "the set to end with its rating screen")
        while not isinstance(app.screen, RatingScreen):
            deadline.check(lambda: (screen.feedback, cues_shown))
            await pilot.pause(0.05)
            if app.screen is not screen:
                continue
            rows = screen_rows(app)
            banner = screen.query_one(FormCueBanner).text
            feedback = screen.feedback
            if banner and any(banner in row for row in rows):
                # The banner says what the worker's newest frame says, and the bar it names is marked.
                assert feedback is not None and feedback.cue is not None and feedback.cue.text == banner
                if not cues_shown or cues_shown[-1] != banner:
                    cues_shown.append(banner)
                bars = list(screen.query(ActivationBar))
                for channel in feedback.marked:
                    name = bars[channel].muscle
                    marked_rows.update(row for row in rows if f"{MARK_GLYPH}{name}" in row)
            marks_rows.update(row for row in rows if "Perfect " in row and (PERFECT in row or MISSED in row))

        assert cues_shown, "no form cue was shown during the compensating athlete's set"
        assert marked_rows, "no bar was marked while a cue showed"
        assert marks_rows, "no rep marks during the set"
        assert any(MISSED in row for row in marks_rows), marks_rows
        # The marks line says the count of the marks it draws.
        for row in marks_rows:
            marks = row.strip().split("  ")[0]
            assert set(marks) <= {PERFECT, MISSED}, row
            assert f"Perfect {marks.count(PERFECT)} of {len(marks)}" in row, row

        # The rating screen counts the cues the worker fired (its summary's count once that arrives).
        rating = app.screen
        await pilot_wait_until(pilot, lambda: "compensation cue" in "\n".join(screen_rows(app)), 15,
                               "the cue count on the rating screen")
        text = "\n".join(screen_rows(app))
        assert "Perfect reps " in text
        assert isinstance(rating, RatingScreen)
        await app.shutdown()
    # The stored cues are checked against cues_shown once the set runner stores them (the cues table).
