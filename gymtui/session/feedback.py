"""Faded feedback: what the athlete sees of the EMG during each set, by plan week.

Motor learning fades concurrent feedback so the athlete does not come to
depend on it: the bars that teach the mind-muscle connection in the first
weeks become a crutch if they never go away, and a connection that shows
only while the bars are on screen was not learned. The schedule follows the
guide's 4-week implementation plan (:mod:`gymtui.session.plan`):

* weeks 1–2 — ``live``: activation bars, cues and rep marks (week 1 is
  activation and awareness, week 2 adds peak holds: the athlete is learning
  what the target muscle feels like, the bars show it);
* week 3 — ``cues``: no bars; the cue banner and rep marks stay, so an error
  is still caught (knowledge of results on error only);
* week 4 — ``cues``, except one ``retention`` set per exercise: the screen
  shows nothing of the EMG until the set ends, then the replay of what the
  muscle did. Its target share against the fed-back sets' is the honest test
  that the connection was learned.

**Which set is the retention set.** The first set of each exercise the
athlete completes in a session (activation drills included: they are the
mind-muscle work the test is about), because that set is *fresh*: no
fatigue from earlier sets of the exercise, and no feedback on that exercise
since the last session, so it measures what carried over from the fed-back
sessions rather than what the cues taught a minute before. A retention set
that was aborted did not test anything: the next set of the exercise is
the retention set instead. Ramp-up sets (finding a working weight) are
outside the plan and never retention sets, nor are quick sets, nor a set
without a sensor (a dark screen with no EMG behind it tests nothing and
would spend the exercise's test).

**Later blocks.** A periodised plan's neural blocks run the same fade week
by week (each ends with a retention week); a deload, hypertrophy or
maintenance week keeps the faded state (``cues``): bringing the bars back
for good would undo the fade. **No plan** (a quick set before any plan is
started): ``live``, the plain default, as ``sets.feedback`` defaults to.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from gymtui.session.plan import BlockKind, PlanStatus
from gymtui.session.templates import PlannedSet, WorkflowPhase


class FeedbackMode(enum.StrEnum):
    """What the set screen shows; the value is what ``sets.feedback`` stores."""

    LIVE = "live"  # bars, cue banner, rep marks
    CUES = "cues"  # cue banner and rep marks, no bars
    RETENTION = "retention"  # nothing until the set ends, then the replay


FADE_WEEKS: dict[int, FeedbackMode] = {
    1: FeedbackMode.LIVE,
    2: FeedbackMode.LIVE,
    3: FeedbackMode.CUES,
    4: FeedbackMode.RETENTION,
}
"""A fading block's week → its mode (``RETENTION``: one retention set per exercise, the rest ``CUES``)."""

FADING_BLOCKS = frozenset({BlockKind.INTRO, BlockKind.NEURAL})
"""Blocks that teach the connection and fade week by week; other blocks keep it faded."""

NEVER_RETENTION = frozenset({WorkflowPhase.RAMP_UP})
"""Sets that are never the retention test: finding a load is not the plan's work."""


@dataclass(frozen=True, slots=True)
class WeekFeedback:
    """A plan week's feedback: the mode of its sets, and whether it holds retention sets."""

    mode: FeedbackMode
    retention_week: bool = False


def week_feedback(status: PlanStatus | None) -> WeekFeedback:
    """The feedback of the plan week ``status`` describes (None: no plan, ``live``)."""
    if status is None:
        return WeekFeedback(FeedbackMode.LIVE)
    if status.block.kind not in FADING_BLOCKS:
        return WeekFeedback(FeedbackMode.CUES)
    scheduled = FADE_WEEKS.get(status.week_in_block, FeedbackMode.CUES)
    if scheduled is FeedbackMode.RETENTION:
        return WeekFeedback(FeedbackMode.CUES, retention_week=True)
    return WeekFeedback(scheduled)


def set_feedback(
    status: PlanStatus | None,
    planned: PlannedSet | None,
    retained: Collection[str] = (),
    *,
    sensor: bool = True,
) -> FeedbackMode:
    """The mode of the set about to start.

    ``planned`` is None for a quick set; ``retained`` names the exercises
    whose retention set is already done in this session; ``sensor`` says
    whether EMG is measured at all.
    """
    week = week_feedback(status)
    if (
        week.retention_week
        and sensor
        and planned is not None
        and planned.workflow_phase not in NEVER_RETENTION
        and planned.exercise not in retained
    ):
        return FeedbackMode.RETENTION
    return week.mode


def shows_bars(mode: FeedbackMode | str) -> bool:
    """Whether the activation bars are on screen during the set."""
    return FeedbackMode(mode) is FeedbackMode.LIVE


def shows_cues(mode: FeedbackMode | str) -> bool:
    """Whether the cue banner and rep marks are on screen during the set."""
    return FeedbackMode(mode) is not FeedbackMode.RETENTION
