"""Plans over weeks: the guide's 4-week implementation plan, blocks and maintenance.

Where the athlete is comes from two facts only: when the plan started and on
which days they trained (sessions with at least one completed set). The
calendar is injected (``today``) so tests walk simulated weeks. A day with
a session still in progress (``SessionDay.open``: planned sets neither done
nor skipped) is a training day, not a done one: the day is done only when
its sequence is.

**Plan weeks follow training, not the wall calendar.** Weeks are 7-day
windows from the plan's start; a past window with no training was a break
and does not advance the plan (the athlete resumes where they stopped, with
a full activation phase: see :mod:`gymtui.session.guardrails`).

Programs (``plans.program``):

* ``guide`` — the implementation plan: week 1 activation and rating; week 2
  adds pre-fatigue and peak holds; week 3 heavy compound work with intent;
  week 4 adds a tool (EMG to verify activation, or BFR); then a deload week
  (light loads, reduced volume); then maintenance: one neural session a week
  (or every two weeks, ``maintenance_every_weeks = 2``).
* ``periodised`` — the same first five weeks, then repeating blocks: 4 weeks
  neural focus (12–15 sets a session: heavy, explosive, isometrics), 4 weeks
  hypertrophy (20–25 sets, pre-fatigue, activation drills kept), a deload.

Sessions alternate lower and upper body days.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gymtui.session.days import SessionDay
from gymtui.session.templates import SessionOptions

if TYPE_CHECKING:
    from gymtui.session.exercises import ExerciseLibrary

FOCUS_ROTATION = ("lower", "upper")
FOCUS_LABEL = {"lower": "lower body", "upper": "upper body"}
NEURAL_SETS = (12, 15)
HYPERTROPHY_SETS = (20, 25)
DEFAULT_PROGRAM = "guide"


class BlockKind(enum.StrEnum):
    INTRO = "intro"  # the 4-week implementation plan: a neural block
    NEURAL = "neural"
    HYPERTROPHY = "hypertrophy"
    DELOAD = "deload"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    weeks: int | None  # None: open-ended
    label: str
    sessions_per_week: int


INTRO = Block(BlockKind.INTRO, 4, "neural block", 3)
DELOAD = Block(BlockKind.DELOAD, 1, "deload", 2)
NEURAL = Block(BlockKind.NEURAL, 4, "neural block", 3)
HYPERTROPHY = Block(BlockKind.HYPERTROPHY, 4, "hypertrophy block", 3)
MAINTENANCE = Block(BlockKind.MAINTENANCE, None, "maintenance", 1)

# (blocks run once, blocks that then repeat for ever)
PROGRAMS: dict[str, tuple[tuple[Block, ...], tuple[Block, ...]]] = {
    "guide": ((INTRO, DELOAD), (MAINTENANCE,)),
    "periodised": ((INTRO, DELOAD), (NEURAL, HYPERTROPHY, DELOAD)),
}

INTRO_WEEKS = {
    1: "activation and rating: 10 min of drills, rate every set",
    2: "adds pre-fatigue and 15-second peak holds",
    3: "heavy compound work with intent: 75–85 %",
    4: "adds a tool: EMG to verify activation, or BFR",
}


def session_kind(block: BlockKind) -> str:
    """What a session of this block counts as (neural sessions are capped per week)."""
    return {
        BlockKind.INTRO: "neural",
        BlockKind.NEURAL: "neural",
        BlockKind.MAINTENANCE: "neural",
        BlockKind.HYPERTROPHY: "hypertrophy",
        BlockKind.DELOAD: "deload",
    }[block]


@dataclass(frozen=True, slots=True)
class Plan:
    program: str
    started_on: dt.date
    maintenance_every_weeks: int = 1
    id: int | None = None

    def __post_init__(self) -> None:
        if self.program not in PROGRAMS:
            raise ValueError(f"unknown program {self.program!r}; choose {', '.join(PROGRAMS)}")
        if self.maintenance_every_weeks not in (1, 2):
            raise ValueError("maintenance is one neural session every week or every two weeks")


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """Where the athlete is and what comes next: what the home screen shows."""

    plan: Plan
    plan_week: int
    block: Block
    week_in_block: int
    today: str  # "train" | "done" | "rest"
    focus: str
    sessions_this_week: int
    sessions_due_this_week: int
    options: SessionOptions
    tool: str | None
    line: str
    next_line: str
    week_note: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)
    week_start: dt.date | None = None
    """First day of this plan week (7-day windows from the plan's start): where the weekly counts begin."""

    @property
    def session_kind(self) -> str:
        return session_kind(self.block.kind)

    @property
    def next_focus(self) -> str:
        """The day the next session trains: today's if due, else the one after today's."""
        if self.today == "done" and self.focus in FOCUS_ROTATION:
            return FOCUS_ROTATION[(FOCUS_ROTATION.index(self.focus) + 1) % len(FOCUS_ROTATION)]
        return self.focus


def _block_at(plan: Plan, plan_week: int) -> tuple[Block, int]:
    """The block of a 1-based plan week and the week inside it."""
    once, cycle = PROGRAMS[plan.program]
    week = plan_week
    for block in once:
        assert block.weeks is not None
        if week <= block.weeks:
            return block, week
        week -= block.weeks
    if cycle[0].weeks is None:
        return cycle[0], week
    length = sum(b.weeks or 0 for b in cycle)
    week = (week - 1) % length + 1
    for block in cycle:
        if week <= (block.weeks or 0):
            return block, week
        week -= block.weeks or 0
    raise AssertionError("unreachable")


def options_for(block: Block, week_in_block: int, *, tool: str | None = None, resume: bool = False) -> SessionOptions:
    """Which phases run in this block's week, how many sets, how hard."""
    full_activation = 10 * 60.0
    if block.kind is BlockKind.INTRO:
        return SessionOptions(
            activation=True,
            activation_s=full_activation if week_in_block == 1 or resume else 8 * 60.0,
            prefatigue=week_in_block >= 2,
            finisher=week_in_block >= 2,
            heavy=week_in_block >= 3,
            bfr=week_in_block >= 4 and tool == "bfr",
            sets_range=NEURAL_SETS if week_in_block >= 3 else None,
        )
    if block.kind is BlockKind.DELOAD:
        return SessionOptions(
            activation=True, activation_s=full_activation if resume else 5 * 60.0,
            prefatigue=False, finisher=True, heavy=True, deload=True, intensity_scale=0.7, bfr=tool == "bfr",
        )
    if block.kind is BlockKind.HYPERTROPHY:
        return SessionOptions(
            activation=True, activation_s=full_activation if resume else 5 * 60.0,
            prefatigue=True, finisher=True, heavy=True, accessories=True, intensity_scale=0.9,
            bfr=tool == "bfr", sets_range=HYPERTROPHY_SETS,
        )
    # neural block and maintenance sessions: the whole workflow, neural volume
    return SessionOptions(
        activation=True, activation_s=full_activation if resume else 8 * 60.0,
        prefatigue=True, finisher=True, heavy=True,
        contrast=block.kind is BlockKind.NEURAL,
        eccentric_only=block.kind is BlockKind.NEURAL and week_in_block >= 3,
        bfr=tool == "bfr" and block.kind is BlockKind.MAINTENANCE,
        sets_range=NEURAL_SETS,
    )


def _week_title(block: Block, week_in_block: int, plan: Plan) -> str:
    if block.kind is BlockKind.DELOAD:
        return "Deload week"
    if block.kind is BlockKind.MAINTENANCE:
        every = "a week" if plan.maintenance_every_weeks == 1 else "every two weeks"
        return f"Maintenance · one neural session {every}"
    return f"Week {week_in_block} of {block.weeks} · {block.label}"


def _week_note(block: Block, week_in_block: int) -> str:
    return {
        BlockKind.INTRO: INTRO_WEEKS.get(week_in_block, ""),
        BlockKind.DELOAD: "light loads, reduced volume: let the nervous system recover",
        BlockKind.NEURAL: "heavy, explosive and isometric work; 12–15 sets a session",
        BlockKind.HYPERTROPHY: "moderate loads, pre-fatigue, 20–25 sets; activation drills stay",
        BlockKind.MAINTENANCE: "keep the mind-muscle connection: the full four-phase session",
    }[block.kind]


def plan_status(
    plan: Plan,
    sessions: Sequence[SessionDay],
    today: dt.date,
    *,
    tool: str | None = None,
    resume: bool = False,
) -> PlanStatus:
    """Where the athlete stands today; ``tool`` is ``"emg"``, ``"bfr"`` or None (week 4)."""
    days = sorted((s for s in sessions if s.day >= plan.started_on), key=lambda s: s.day)
    window = max(0, (today - plan.started_on).days) // 7
    trained_windows = {(s.day - plan.started_on).days // 7 for s in days}
    plan_week = sum(1 for w in trained_windows if w < window) + 1
    block, week_in_block = _block_at(plan, plan_week)

    this_week = [s for s in days if (s.day - plan.started_on).days // 7 == window]
    open_today = [s for s in this_week if s.day == today and s.open]
    done_today = [s for s in this_week if s.day == today and not s.open]
    counted = len(this_week) - len(open_today)  # a session in progress is today's, not one already done
    due = block.sessions_per_week
    if block.kind is BlockKind.MAINTENANCE and plan.maintenance_every_weeks == 2:
        # one session per fortnight: the fortnight is two windows of training
        last_window = [s for s in days if (s.day - plan.started_on).days // 7 == window - 1]
        previous_block, _ = _block_at(plan, plan_week - 1)
        if last_window and not this_week and previous_block.kind is BlockKind.MAINTENANCE:
            due = 0
    focus = FOCUS_ROTATION[len([s for s in days if s.day < today]) % len(FOCUS_ROTATION)]
    if open_today:
        state = "train"  # the day is done only when every planned set is done or skipped
        focus = open_today[-1].focus or focus
    elif done_today:
        state = "done"
        focus = done_today[-1].focus or focus
    elif counted >= due:
        state = "rest"
    else:
        state = "train"

    title = _week_title(block, week_in_block, plan)
    if state == "train":
        light = ", light" if block.kind is BlockKind.DELOAD else ""
        today_text = f"today: {FOCUS_LABEL[focus]}{light}"
    elif state == "done":
        today_text = f"today: {FOCUS_LABEL.get(focus, focus)} done"
    elif block.kind is BlockKind.MAINTENANCE:
        today_text = "neural session done this week" if this_week else "neural session done last week"
    else:
        today_text = f"today: rest ({counted} of {due} sessions done this week)"
    line = f"{title} · {today_text}"
    effective_tool = tool if (block.kind is not BlockKind.INTRO or week_in_block >= 4) else None
    return PlanStatus(
        plan,
        plan_week,
        block,
        week_in_block,
        state,
        focus,
        counted,
        due,
        options_for(block, week_in_block, tool=tool, resume=resume),
        effective_tool,
        line,
        _maintenance_next(plan, window, this_week, focus, state)
        if block.kind is BlockKind.MAINTENANCE
        else _next_line(plan, plan_week, block, week_in_block, state, focus, counted, due),
        _week_note(block, week_in_block),
        week_start=plan.started_on + dt.timedelta(days=7 * window),
    )


def _maintenance_next(plan: Plan, window: int, this_week: Sequence[SessionDay], focus: str, state: str) -> str:
    if state == "train":
        return f"Today's neural session: the full four-phase {FOCUS_LABEL[focus]} workout"
    gap = plan.maintenance_every_weeks if this_week else 1
    due_on = plan.started_on + dt.timedelta(days=7 * (window + gap))
    other = FOCUS_ROTATION[(FOCUS_ROTATION.index(focus) + (1 if state == "done" else 0)) % 2] if focus in FOCUS_ROTATION else "lower"
    return f"Next neural session: {FOCUS_LABEL[other]}, from {due_on:%a %d %b}"


def _next_line(plan: Plan, plan_week: int, block: Block, week_in_block: int, state: str, focus: str, done: int, due: int) -> str:
    step = 0 if state == "rest" else 1  # after a rest day the same focus is still due
    next_focus = FOCUS_ROTATION[(FOCUS_ROTATION.index(focus) + step) % len(FOCUS_ROTATION)] if focus in FOCUS_ROTATION else FOCUS_ROTATION[0]
    remaining = due - done - (1 if state == "train" else 0)
    if state == "train" and remaining <= 0 or state != "train" and done >= due:
        nxt, nxt_week = _block_at(plan, plan_week + 1)
        title = _week_title(nxt, nxt_week, plan)
        note = _week_note(nxt, nxt_week)
        return f"Next week: {title} — {note}"
    label = FOCUS_LABEL[next_focus]
    if state == "train":
        return f"Next: {label} (session {done + 2} of {due} this week)"
    return f"Next: {label} (session {done + 1} of {due} this week)"


def exercise_keys(data: Mapping[str, Any], library: ExerciseLibrary) -> set[str]:
    """Every exercise a template can put on today's list, pre-fatigue partners included."""
    keys: set[str] = set()
    for body in data.values():
        for entry in body if isinstance(body, list) else [body]:
            if "exercise" in entry:
                keys.add(entry["exercise"])
    for compound in data.get("compound", []):
        partner = library.get(compound["exercise"]).prefatigue
        if partner:
            keys.add(partner)
    return keys
