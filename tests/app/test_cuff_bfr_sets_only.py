"""The cuff inflates only for BFR sets, in the real app with the simulated cuff on a leg.

Week 4 of the plan with a leg cuff: a heavy back squat and the Phase 4 finisher
run with the cuff connected and leave no inflate row in ``cuff_events``; the
plan's BFR leg extension and the quick BFR set (``B``) inflate to 70 % of LOP.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from app_day import answer_working_weight, autoregulation_pending
from keys import press
from program_log import log_session
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.bfr.events import NOT_A_BFR_SET
from gymtui.bfr.rules import validate_settings
from gymtui.model import PhaseKind
from gymtui.session.engine import Stage
from gymtui.session.templates import PlannedSet, WorkflowPhase
from gymtui.store import Store
from gymtui.ui.screens.confirm import ConfirmScreen
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.working_weight import WorkingWeightScreen

pytestmark = pytest.mark.timeout(600)  # four sets in real time (the cuff's own timings are wall seconds)

MONDAY = dt.date(2026, 1, 5)
WEEK_4_MONDAY = MONDAY + dt.timedelta(days=21)
LOP, TARGET = 200.0, 140.0  # leg: 70 % of LOP
ATHLETE = "Demo athlete"

LOWER_DAY = """\
[template]
name = "Lower body, no drills"
focus = "lower"

[[compound]]
exercise = "back_squat"
sets = 3
reps = 5
pct_1rm = 80

[bfr]
exercise = "leg_extension"
pct_1rm = 25
reps = [30, 15, 15, 15]
rest_s = 30

[finisher]
exercise = "lying_leg_curl"
sets = 1
"""


def week_4_lower_day(db: Path, config_home: Path) -> None:
    """Weeks 1–3 trained (eight sessions), and a lower-body day template whose first set is the heavy squat."""
    store = Store(db)
    athlete = store.ensure_athlete(ATHLETE)
    store.start_plan(athlete, "guide", MONDAY.isoformat(), 1)
    days = [MONDAY + dt.timedelta(days=7 * w + d) for w in range(3) for d in (0, 2, 4)][:8]
    for i, day in enumerate(days):
        log_session(store, athlete, day, focus=("lower", "upper")[i % 2])
    store.close()
    folder = config_home / "gymtui" / "templates"
    folder.mkdir(parents=True)
    (folder / "lower.toml").write_text(LOWER_DAY)


def cuff_rows(db: Path) -> list[tuple[str, str, float | None, str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT at, kind, target_mmhg, reason FROM cuff_events ORDER BY id").fetchall()
    finally:
        conn.close()


def between(rows: list, start: dt.datetime, end: dt.datetime) -> list:
    return [r for r in rows if start <= dt.datetime.fromisoformat(r[0]) <= end]


async def test_heavy_sets_and_the_finisher_keep_the_cuff_down_bfr_sets_inflate_to_target(
    tmp_path: Path, private_home: Path
) -> None:
    db = tmp_path / "gym.db"
    week_4_lower_day(db, private_home / "config")
    config = AppConfig(demo=True, speed=1.0, athlete=ATHLETE, today=WEEK_4_MONDAY,
                       cuff=validate_settings("leg", LOP), lop_given=True)
    app = GymApp(Store(db), config)
    windows: dict[str, tuple[dt.datetime, dt.datetime]] = {}

    def now() -> dt.datetime:
        return dt.datetime.now().astimezone()

    def where() -> str:
        engine = app.runner.engine if app.runner else None
        phase = f"{engine.stage.name} {engine.current_phase.kind}" if engine and engine.running else "no set running"
        return f"screen {type(app.screen).__name__}, {phase}, cuff {app.cuff_rig.view() if app.cuff_rig else None}"

    def in_phase(kind: PhaseKind) -> bool:
        engine = app.runner.engine if app.runner else None
        return bool(engine and engine.running and engine.stage is Stage.PHASE and engine.current_phase.kind is kind)

    def panel_text() -> str:
        return str(app.set_screen.query_one("#cuff-panel").query_one("#cuff-readout").render())

    def at_home() -> bool:
        """Home again; an 80 % rule offer on the way (a rating below 8) is declined, as ``n`` would."""
        if isinstance(app.screen, ConfirmScreen):
            app.screen.action_answer(False)
            return False
        return not autoregulation_pending(app) and isinstance(app.screen, HomeScreen) and app.set_screen is None and app.home is not None

    async def home(pilot) -> None:
        await pilot_wait_until(pilot, at_home, 60, "the home screen", detail=where)

    async def planned_set_through(pilot, label: str) -> None:
        """Enter, reps racked after 2 s, rated 7, rest skipped: the set a lifter does."""
        start = now()
        await press(pilot, "enter")
        await pilot_wait_until(pilot, lambda: in_phase(PhaseKind.REPS) and app.runner.engine.view().elapsed_s >= 2.0,
                               90, f"two seconds into the {label}'s reps", detail=where)
        shown = panel_text()
        app.sets.advance()  # Space: racked
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, f"the {label}'s rating",
                               detail=where)
        await press(pilot, "7")
        await pilot_wait_until(pilot, lambda: in_phase(PhaseKind.REST) or not app.runner.engine.running, 30,
                               f"the {label}'s rest", detail=where)
        app.sets.advance()  # Space skips the rest
        await home(pilot)
        windows[label] = (start, now())
        panels[label] = shown

    panels: dict[str, str] = {}
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.cuff_rig is not None
                               and app.home is not None and app.signal is not None,
                               60, "the home screen with the sensor and the cuff")
        await pilot_wait_until(pilot, lambda: app.cuff_rig.view().link_ok, 30, "the cuff connected")
        planned: tuple[PlannedSet, ...] = app.home.plan.planned
        assert app.home.plan.status.week_in_block == 4 and app.home.plan.status.focus == "lower"
        assert [(p.exercise, p.workflow_phase) for p in planned[:1]] == [("Back squat", WorkflowPhase.COMPOUND)]
        bfr_sets = [p for p in planned if p.bfr]
        assert [(p.exercise, p.set_number, p.reps) for p in bfr_sets] == [
            ("Leg extension", 1, 30), ("Leg extension", 2, 15), ("Leg extension", 3, 15), ("Leg extension", 4, 15)]
        assert not any(p.bfr for p in planned if p.workflow_phase is not WorkflowPhase.BFR)

        # 1. The heavy back squat, cuff connected: it stays down, and the panel says why.
        await planned_set_through(pilot, "back squat")

        # 2. The plan's first BFR set, taken next (the rack for the squat is busy).
        # The home reads the day's sequence back from the store after the set: wait for that read.
        await pilot_wait_until(pilot, lambda: app.home.plan.sequence is not None, 30,
                               "the day's session open after its first set", detail=where)
        sequence = app.home.plan.sequence
        row = next(e.row_id for e in sequence.runnable if e.planned is not None and e.planned.bfr)
        app.coach.take_first(row)  # what `l` and a pick in today's list do
        app.screen.refresh_info()
        await pilot_wait_until(pilot, lambda: app.home.next_set is not None and app.home.next_set.bfr, 30,
                               "the home to offer the BFR leg extension")
        start = now()
        await press(pilot, "enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, WorkingWeightScreen) or app.set_screen is not None,
                               60, "the leg extension's working-weight question or its set", detail=where)
        if isinstance(app.screen, WorkingWeightScreen):  # nothing logged for it yet: the athlete types one
            await answer_working_weight(pilot, "20")
            await pilot_wait_until(pilot, lambda: not isinstance(app.screen, WorkingWeightScreen), 30,
                                   "the working-weight question answered", detail=where)
        await pilot_wait_until(pilot, lambda: in_phase(PhaseKind.REPS)
                               and abs((app.cuff_rig.view().pressure_mmhg or 0.0) - TARGET) <= 15.0,
                               60, "the cuff at its 140 mmHg target in the BFR set's reps", poll_s=0.05, detail=where)
        panels["BFR leg extension"] = panel_text()
        app.sets.advance()
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 60, "the BFR set's rating",
                               detail=where)
        await press(pilot, "8")
        await pilot_wait_until(pilot, lambda: in_phase(PhaseKind.REST) or not app.runner.engine.running, 30,
                               "the BFR set's rest", detail=where)
        app.sets.advance()
        await home(pilot)
        windows["BFR leg extension"] = (start, now())

        # 3. The Phase 4 finisher (f), BFR not turned on for it: cuff down through the hold.
        await pilot_wait_until(pilot, lambda: (app.cuff_rig.view().pressure_mmhg or 0.0) < 5.0, 30,
                               "the cuff down after the BFR set", detail=where)
        start = now()
        await press(pilot, "f")
        await pilot_wait_until(pilot, lambda: in_phase(PhaseKind.ISOMETRIC) and app.runner.engine.view().elapsed_s >= 3.0,
                               90, "three seconds into the finisher's peak hold", detail=where)
        panels["finisher"] = panel_text()
        assert app.cuff_rig.view().commanded_mmhg == 0.0
        await press(pilot, "escape")
        await home(pilot)
        windows["finisher"] = (start, now())

        # 4. The quick BFR set (B): the leg's BFR exercise, inflated to the target.
        start = now()
        await press(pilot, "B")
        await pilot_wait_until(pilot, lambda: in_phase(PhaseKind.REPS)
                               and abs((app.cuff_rig.view().pressure_mmhg or 0.0) - TARGET) <= 15.0,
                               60, "the cuff at its target in the quick BFR set", poll_s=0.05, detail=where)
        assert app.runner.protocol.name == "Quick BFR: Leg extension"
        assert [p.name for p in app.runner.protocol.phases if p.kind is PhaseKind.REPS] == [
            "Bout 1 of 4", "Bout 2 of 4", "Bout 3 of 4", "Bout 4 of 4"]
        await press(pilot, "escape")
        await pilot_wait_until(pilot, lambda: (app.cuff_rig.view().pressure_mmhg or 0.0) < 10.0, 15,
                               "the cuff down after Esc", detail=where)
        await home(pilot)
        windows["quick BFR"] = (start, now())
        await app.shutdown()

    rows = cuff_rows(db)

    def inflates(label: str) -> list:
        return [r for r in between(rows, *windows[label]) if r[1] in ("inflate", "target")]

    assert inflates("back squat") == [], between(rows, *windows["back squat"])
    assert inflates("finisher") == [], between(rows, *windows["finisher"])
    for label in ("BFR leg extension", "quick BFR"):
        up = inflates(label)
        assert [r[1] for r in up] == ["inflate"], between(rows, *windows[label])
        assert up[0][2] == pytest.approx(TARGET)
    assert NOT_A_BFR_SET in panels["back squat"] and NOT_A_BFR_SET in panels["finisher"]
    assert NOT_A_BFR_SET not in panels["BFR leg extension"] and "target 140" in panels["BFR leg extension"]
    # Every inflate of the whole run belongs to one of the two BFR sets.
    bfr_windows = [windows["BFR leg extension"], windows["quick BFR"]]
    for row in rows:
        if row[1] in ("inflate", "target"):
            at = dt.datetime.fromisoformat(row[0])
            assert any(a <= at <= b for a, b in bfr_windows), row
