"""BFR sets in the plan: week 4 and the hypertrophy block with a cuff, only for the cuff's limb."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from program_log import log_session

from gymtui.cli import main
from gymtui.session.days import SessionDay
from gymtui.session.exercises import load_library
from gymtui.session.plan import BlockKind, Plan, plan_status
from gymtui.session.templates import (
    WorkflowPhase,
    builtin_templates,
    expand,
    quick_bfr_set,
)
from gymtui.store import Store

MONDAY = dt.date(2026, 1, 5)
LIBRARY = load_library()
TEMPLATES = builtin_templates(LIBRARY)


def history_until(week: int, program: str = "guide") -> tuple[Plan, list[SessionDay]]:
    """Three sessions a week (Mon/Wed/Fri, lower/upper in turn) for ``week - 1`` weeks."""
    plan = Plan(program, MONDAY)
    days: list[SessionDay] = []
    focus = ["lower", "upper"]
    for w in range(week - 1):
        for d in (0, 2, 4):
            day = MONDAY + dt.timedelta(days=7 * w + d)
            days.append(SessionDay(day, plan_status(plan, days, day).session_kind, focus[len(days) % 2]))
    return plan, days


def bfr_exercises(focus: str, options) -> list[tuple[str, int, int]]:
    return [(p.exercise, p.set_number, p.reps or 0) for p in expand(TEMPLATES[focus], options, LIBRARY) if p.bfr]


@pytest.mark.parametrize(
    ("limb", "lower", "upper"),
    [
        ("leg", [("Leg extension", 1, 30), ("Leg extension", 2, 15), ("Leg extension", 3, 15), ("Leg extension", 4, 15)], []),
        ("arm", [], [("Biceps curl", 1, 30), ("Biceps curl", 2, 15), ("Biceps curl", 3, 15), ("Biceps curl", 4, 15)]),
    ],
)
def test_week_4_with_a_cuff_plans_30_15_15_15_only_for_the_cuffs_limb(limb: str, lower: list, upper: list) -> None:
    plan, days = history_until(4)
    status = plan_status(plan, days, MONDAY + dt.timedelta(days=21), tool="bfr")
    assert status.week_in_block == 4 and status.options.bfr
    from dataclasses import replace

    options = replace(status.options, bfr_limb=limb)
    assert bfr_exercises("lower", options) == lower
    assert bfr_exercises("upper", options) == upper
    # Every BFR set is light: 25 % of 1RM, inside the guide's 20-30 %; nothing else is marked BFR.
    for focus in ("lower", "upper"):
        for p in expand(TEMPLATES[focus], options, LIBRARY):
            assert p.bfr == (p.workflow_phase is WorkflowPhase.BFR)
            if p.bfr:
                assert 20 <= (p.pct_1rm or 0) <= 30


def test_the_hypertrophy_block_carries_bfr_work_with_a_cuff_and_none_without() -> None:
    plan, days = history_until(10, "periodised")
    day = MONDAY + dt.timedelta(days=63)
    with_cuff = plan_status(plan, days, day, tool="bfr")
    assert with_cuff.block.kind is BlockKind.HYPERTROPHY and with_cuff.options.bfr
    from dataclasses import replace

    assert len(bfr_exercises("lower", replace(with_cuff.options, bfr_limb="leg"))) == 4
    assert bfr_exercises("lower", plan_status(plan, days, day).options) == []


def test_before_week_4_no_bfr_set_is_planned_even_with_a_cuff() -> None:
    plan, days = history_until(3)
    status = plan_status(plan, days, MONDAY + dt.timedelta(days=14), tool="bfr")
    assert status.week_in_block == 3 and not status.options.bfr


def test_the_quick_bfr_set_is_30_15_15_15_at_25_percent_with_short_rests() -> None:
    planned = quick_bfr_set(LIBRARY.get("biceps_curl"))
    assert planned.bfr and planned.pct_1rm == 25 and planned.exercise == "Biceps curl"
    phases = [(p.kind.value, p.name, p.duration_s) for p in planned.protocol.phases]
    assert phases[:-1] == [
        ("reps", "Bout 1 of 4", None), ("rest", "Rest", 30.0),
        ("reps", "Bout 2 of 4", None), ("rest", "Rest", 30.0),
        ("reps", "Bout 3 of 4", None), ("rest", "Rest", 30.0),
        ("reps", "Bout 4 of 4", None),
    ]
    assert [p.cue.split(" · ")[0] for p in planned.protocol.phases if p.kind.value == "reps"] == [
        "30 reps", "15 reps", "15 reps", "15 reps"]


def week_4_db(tmp_path: Path) -> Path:
    db = tmp_path / "plan.db"
    store = Store(db)
    athlete = store.ensure_athlete("Athlete")
    store.start_plan(athlete, "guide", MONDAY.isoformat(), 1)
    for w in range(3):
        for i, d in enumerate((0, 2, 4)):
            log_session(store, athlete, MONDAY + dt.timedelta(days=7 * w + d), focus=("lower", "upper")[(3 * w + i) % 2])
    store.close()
    return db


def test_plan_cli_puts_no_bfr_biceps_curl_on_the_day_of_a_leg_cuff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = week_4_db(tmp_path)
    wednesday = (MONDAY + dt.timedelta(days=23)).isoformat()  # week 4, still the upper-body day (none done yet)
    assert main(["plan", "--db", str(db), "--date", wednesday, "--cuff", "leg"]) == 0
    out = capsys.readouterr().out
    assert "Week 4 of 4" in out and "today: upper body" in out
    assert "bfr " not in out and "Biceps curl" not in out
    assert main(["plan", "--db", str(db), "--date", wednesday, "--cuff", "arm"]) == 0
    lines = [line.split(None, 1) for line in capsys.readouterr().out.splitlines() if line.strip().startswith("bfr ")]
    assert [rest.split(" · ")[:3] for _, rest in lines] == [
        ["Biceps curl", "set 1 of 4", "30 reps"], ["Biceps curl", "set 2 of 4", "15 reps"],
        ["Biceps curl", "set 3 of 4", "15 reps"], ["Biceps curl", "set 4 of 4", "15 reps"]]


def test_plan_cli_tool_bfr_takes_the_limb_of_the_last_lop_or_asks_for_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = week_4_db(tmp_path)
    monday = (MONDAY + dt.timedelta(days=21)).isoformat()  # week 4, the upper-body day
    assert main(["plan", "--db", str(db), "--date", monday, "--tool", "bfr"]) == 2
    assert capsys.readouterr().err == "gymtui plan: --tool bfr needs the cuff's limb: --cuff arm|leg (no LOP stored yet)\n"
    store = Store(db)
    store.save_lop(store.ensure_athlete("Athlete"), "leg", 200.0, source="manual")
    store.close()
    assert main(["plan", "--db", str(db), "--date", monday, "--tool", "bfr"]) == 0
    out = capsys.readouterr().out
    assert "today: upper body" in out and "Biceps curl" not in out  # a leg cuff: no BFR curl on the upper day


def test_the_quick_bfr_set_takes_a_quarter_of_the_logged_1rm_on_the_gyms_weights() -> None:
    from gymtui.session.loads import OneRepMax
    from gymtui.session.templates import LoadBook

    book = LoadBook(one_rms={"Leg extension": OneRepMax("Leg extension", 80.0, 70.0, 5, "2026-01-05")})
    planned = quick_bfr_set(LIBRARY.get("leg_extension"), book)
    assert planned.load is not None and 15.0 <= planned.load.kg <= 25.0  # 25 % of 80 kg on the gym's steps
    assert planned.headline().startswith(f"Leg extension · set 1 of 1 · {planned.load.kg:g} kg (25 %)")
    fresh = quick_bfr_set(LIBRARY.get("leg_extension"))
    assert fresh.load is None and fresh.note == "a light weight: 20–30 % of your 1RM"
