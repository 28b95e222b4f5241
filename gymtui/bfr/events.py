"""What the supervisor says: cuff events (``cuff_events`` rows), alarm levels and the panel's view.

Plain values any thread may hold; the supervisor produces them, the runner
carries them to the cuff and the log, the cuff panel renders
:class:`CuffView` and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gymtui.bfr.rules import Limb
from gymtui.model import CuffCommand


class CuffState(enum.StrEnum):
    NOT_CONNECTED = "not connected"
    DEFLATED = "deflated"
    INFLATING = "inflating"
    HOLDING = "holding"
    DEFLATING = "deflating"
    LINK_LOST = "link lost"


class AlarmLevel(enum.IntEnum):
    NONE = 0
    NOTICE = 1  # a limit or refusal the athlete should read
    ALARM = 2  # a fault: bell, red, deflated
    RELEASE_BY_HAND = 3  # the cuff may still be tight and we cannot deflate it


class EventKind(enum.StrEnum):
    """``cuff_events.kind``."""

    INFLATE = "inflate"  # first target command from deflated
    TARGET = "target"  # a target command while already up
    HOLD = "hold"  # the target was reached; the cuff now holds it (no command)
    DEFLATE = "deflate"
    ALARM = "alarm"
    NOTICE = "notice"  # a refusal, a cap warning, a link change: no command


@dataclass(frozen=True, slots=True)
class CuffEvent:
    """One ``cuff_events`` row; ``command`` (if any) must be sent to the cuff."""

    at_s: float
    kind: EventKind
    pressure_mmhg: float | None
    target_mmhg: float | None
    reason: str
    command: CuffCommand | None = None
    level: AlarmLevel = AlarmLevel.NONE


@dataclass(frozen=True, slots=True)
class CuffView:
    """Everything the cuff panel shows, as plain values (no logic in the widget)."""

    limb: Limb
    lop_mmhg: float | None
    target_pct: float
    target_mmhg: float | None  # the set point while a set wants the cuff up
    band_mmhg: tuple[float, float] | None  # target ± tolerance
    ceiling_mmhg: float
    pressure_mmhg: float | None
    pct_lop: float | None
    state: CuffState
    commanded_mmhg: float  # what the cuff was last told (0 = deflate)
    continuous_s: float  # this inflation so far
    exercise: str
    exercise_s: float
    exercise_cap_s: float
    session_s: float
    session_cap_s: float
    level: AlarmLevel
    message: str
    alarm_seq: int  # increments on each new alarm so the UI can ring once
    link_ok: bool
    rest_deflate: bool
    bfr_set: bool = True
    """False while a set runs that is not a BFR set: the cuff stays down for all of it."""


NOT_A_BFR_SET = "cuff idle (not a BFR set)"
"""What the panel says for the whole of a set the plan does not mark as BFR."""


def format_mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
