"""Guardrails from the guide's risks and FAQ: checks that say stop, lighter or go.

Each check is a pure function returning a :class:`Guard` (fired or not, how
serious, one sentence for the athlete). The app shows fired guards; nothing
here blocks by force except where the guide is a hard limit (BFR time).

* Activation work: 5–10 minutes, never the 30 that exhaust the nervous
  system (mistake 1); burning after activation → lighter or shorter.
* Neural-focus sessions: at most 3–4 a week (FAQ): warn at the 4th, refuse a
  5th (the app's Enter refuses it; a light day is still allowed).
* Pre-session check-in: sleep (7–9 h), resting heart rate against the
  athlete's baseline, coordination and mood — the guide's signs of CNS
  fatigue. One sign: a light session (activation only). Two or more, or a
  resting HR well above baseline: rest (2–3 days light activity or rest).
* BFR: cuff time per session limited per limb (arm 15, leg 20 minutes), the
  caps the cuff's supervisor enforces (:data:`gymtui.bfr.rules.LIMBS`).
* After a break (a training week missed): resume with a full activation
  phase before heavy work (mistake 5).
* The guide's disclaimer, shown once per athlete and remembered.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gymtui.bfr.rules import LIMBS, session_cap_s
from gymtui.session.templates import SessionOptions

if TYPE_CHECKING:
    from gymtui.session.days import SessionDay
    from gymtui.session.templates import PlannedSet

ACTIVATION_MIN_S = 5 * 60.0
ACTIVATION_MAX_S = 10 * 60.0
NEURAL_SESSIONS_WARN = 3  # the 4th this week gets a warning ...
NEURAL_SESSIONS_MAX = 4  # ... and a 5th is refused
SLEEP_MIN_H = 7.0
RHR_ELEVATED_BPM = 5.0
RHR_HIGH_BPM = 10.0
BREAK_DAYS = 10

DISCLAIMER_FLAG = "disclaimer_v1"
DISCLAIMER = (
    "gymtui gives general training information, not medical advice. Consult a "
    "qualified professional for personal training or medical advice; after an "
    "injury, train only under the guidance of a physical therapist or sports "
    "medicine professional. Blood-flow restriction needs careful pressure "
    "calibration: too much pressure can be dangerous."
)


class Level(enum.StrEnum):
    OK = "ok"
    INFO = "info"
    WARN = "warn"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Guard:
    name: str
    level: Level
    message: str = ""

    @property
    def fired(self) -> bool:
        return self.level is not Level.OK


def _ok(name: str) -> Guard:
    return Guard(name, Level.OK)


# -- activation time -----------------------------------------------------------------


def activation_budget(planned: Sequence[PlannedSet]) -> Guard:
    """Planned Phase 1 work must fit in 5–10 minutes."""
    from gymtui.session.templates import activation_seconds

    seconds = activation_seconds(list(planned))
    if seconds == 0:
        return _ok("activation_budget")
    if seconds > ACTIVATION_MAX_S:
        return Guard("activation_budget", Level.WARN, f"Activation planned for {seconds / 60:.0f} min: keep it to 5–10 min, prime don't fatigue")
    if seconds < ACTIVATION_MIN_S * 0.9:
        return Guard("activation_budget", Level.INFO, f"Only {seconds / 60:.0f} min of activation: the guide asks for 5–10")
    return _ok("activation_budget")


def activation_elapsed(elapsed_s: float) -> Guard:
    """Live: the athlete is still on drills after 10 minutes."""
    if elapsed_s > ACTIVATION_MAX_S:
        return Guard("activation_elapsed", Level.WARN, "10 minutes of activation: move on to the main work")
    return _ok("activation_elapsed")


class ActivationClock:
    """Live: how long today's activation drills have run, asked at the start of each set.

    The plan keeps Phase 1 to 5–10 minutes, but rounds of drills, long
    rests and re-dos can stretch it on the floor; the guide's first mistake
    is activation that fatigues instead of priming. The clock starts with the
    first activation drill of a session and the warning comes with any drill
    started after :data:`ACTIVATION_MAX_S` — once, since the point is to move on.
    """

    def __init__(self) -> None:
        self._began_s: float | None = None
        self._warned = False

    def set_starting(self, is_activation: bool, now_s: float) -> Guard:
        if not is_activation:
            return _ok("activation_elapsed")
        if self._began_s is None:
            self._began_s = now_s
        guard = activation_elapsed(now_s - self._began_s)
        if guard.fired and self._warned:
            return _ok("activation_elapsed")
        self._warned = self._warned or guard.fired
        return guard


# -- weekly neural frequency ---------------------------------------------------------


def neural_sessions_this_week(history: Sequence[SessionDay], today: dt.date, week_start: dt.date | None = None) -> Guard:
    """Neural-focus sessions already trained this week (FAQ: 3–4 a week at most).

    With ``week_start`` (the plan's week: 7-day windows from the plan's
    start) the week is counted the way the plan counts it, so a prescribed
    day never reads as over the limit; without it, the 7 days up to today.
    A session still in progress is today's, not one already trained.
    """
    since = week_start if week_start is not None else today - dt.timedelta(days=6)
    n = sum(1 for s in history if since <= s.day <= today and s.kind == "neural" and not s.open)
    if n >= NEURAL_SESSIONS_MAX:
        return Guard("neural_frequency", Level.STOP, f"{n} neural sessions in 7 days: the limit is 3–4. Rest or train light today")
    if n >= NEURAL_SESSIONS_WARN:
        return Guard("neural_frequency", Level.WARN, f"{n} neural sessions in 7 days already: today would be the last this week")
    return _ok("neural_frequency")


# -- check-in -------------------------------------------------------------------------


class Advice(enum.StrEnum):
    GO = "go"
    LIGHT = "light"
    REST = "rest"


@dataclass(frozen=True, slots=True)
class CheckIn:
    """Before the session: four questions, one key each where possible.

    Sleep is the one answer the advice needs; the others may be left out
    (None: not given), and a question not answered is no sign either way.
    """

    sleep_h: float
    resting_hr_bpm: float | None = None
    coordination: int | None = None  # 1 clumsy … 5 sharp
    mood: int | None = None  # 1 irritable … 5 great

    def __post_init__(self) -> None:
        if not 0 <= self.sleep_h <= 24:
            raise ValueError(f"sleep is 0–24 hours, not {self.sleep_h}")
        if self.resting_hr_bpm is not None and not 25 <= self.resting_hr_bpm <= 220:
            raise ValueError(f"resting heart rate {self.resting_hr_bpm} bpm is not plausible")
        for name in ("coordination", "mood"):
            if getattr(self, name) is not None and not 1 <= getattr(self, name) <= 5:
                raise ValueError(f"{name} is rated 1–5, not {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class CheckInAdvice:
    advice: Advice
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def headline(self) -> str:
        return {
            Advice.GO: "Good to go: train as planned",
            Advice.LIGHT: "Signs of CNS fatigue: a light session, activation only",
            Advice.REST: "CNS fatigue: take 2–3 days of light activity or complete rest",
        }[self.advice]

    @property
    def tips(self) -> tuple[str, ...]:
        if self.advice is Advice.GO:
            return ()
        return (
            "Aim for 7–9 hours of sleep",
            "Go easy on caffeine on heavy neural days",
            "A contrast shower or cold exposure after training helps the nervous system down-regulate",
        )


def assess_checkin(checkin: CheckIn, baseline_rhr_bpm: float | None) -> CheckInAdvice:
    """The guide's signs of CNS fatigue: short sleep, raised resting HR, poor coordination, irritability."""
    reasons: list[str] = []
    severe = False
    if checkin.sleep_h < SLEEP_MIN_H:
        reasons.append(f"slept {checkin.sleep_h:g} h (aim for 7–9)")
        severe |= checkin.sleep_h < 5
    if checkin.resting_hr_bpm is not None and baseline_rhr_bpm is not None:
        delta = checkin.resting_hr_bpm - baseline_rhr_bpm
        if delta >= RHR_ELEVATED_BPM:
            reasons.append(f"resting HR {delta:+.0f} bpm over your baseline")
            severe |= delta >= RHR_HIGH_BPM
    if checkin.coordination is not None and checkin.coordination <= 2:
        reasons.append("coordination off")
    if checkin.mood is not None and checkin.mood <= 2:
        reasons.append("irritable or low mood")
    if severe or len(reasons) >= 2:
        return CheckInAdvice(Advice.REST, tuple(reasons))
    if reasons:
        return CheckInAdvice(Advice.LIGHT, tuple(reasons))
    return CheckInAdvice(Advice.GO)


def light_session(options: SessionOptions) -> SessionOptions:
    """A light day: a full activation phase and nothing else (the guide's "light session focusing only on activation")."""
    return replace(
        options, activation=True, activation_s=ACTIVATION_MAX_S, compounds=False, prefatigue=False, heavy=False,
        finisher=False, accessories=False, contrast=False, eccentric_only=False, bfr=False, sets_range=None,
    )


# -- BFR ----------------------------------------------------------------------------


BFR_WARN_BEFORE_S = 5 * 60.0
"""The BFR-time warning comes this long before the limb's session cap."""


def bfr_cap_s(limb: str | None = None) -> float:
    """The session cap for ``limb`` from the BFR rules' per-limb table (the supervisor's own number);
    with no limb known, the strictest of them."""
    if limb is None:
        return min(spec.session_cap_s for spec in LIMBS.values())
    return session_cap_s(limb)


def bfr_time(cuff_s: float, limb: str | None = None) -> Guard:
    """Cuff-on time this session against the limb's cap (arm 15 min, leg 20 min)."""
    cap_s = bfr_cap_s(limb)
    where = f" ({limb})" if limb else ""
    if cuff_s >= cap_s:
        return Guard("bfr_time", Level.STOP, f"{cuff_s / 60:.0f} min of BFR: the limit{where} is {cap_s / 60:.0f}. Cuff off")
    if cuff_s >= cap_s - BFR_WARN_BEFORE_S:
        return Guard("bfr_time", Level.WARN, f"{cuff_s / 60:.0f} min of BFR: finish within {cap_s / 60:.0f}")
    return _ok("bfr_time")


def bfr_plan(planned: Sequence[PlannedSet], limb: str | None = None) -> Guard:
    """A session whose planned BFR work alone would pass the limb's cap is refused before it starts."""
    return bfr_time(sum(p.estimated_s() for p in planned if p.bfr), limb)


# -- breaks ---------------------------------------------------------------------------


def needs_full_activation(history: Sequence[SessionDay], today: dt.date, break_days: int = BREAK_DAYS) -> Guard:
    """After travel or a break, resume with a full activation phase before heavy work.

    A break is ``break_days`` without a session (a missed training week);
    fortnightly maintenance passes twice that.
    """
    past = [s.day for s in history if s.day < today]
    if not past:
        return _ok("resume_after_break")
    gap = (today - max(past)).days
    if gap >= break_days:
        return Guard("resume_after_break", Level.INFO, f"{gap} days since your last session: start with a full activation phase before heavy work")
    return _ok("resume_after_break")


def session_guards(
    history: Sequence[SessionDay],
    today: dt.date,
    planned: Sequence[PlannedSet],
    *,
    week_start: dt.date | None = None,
    cuff_limb: str | None = None,
) -> list[Guard]:
    """Every check that applies before a session starts, fired ones only.

    ``week_start``: the plan's week (sessions are counted in it); ``cuff_limb``: whose BFR cap.
    """
    guards = [
        neural_sessions_this_week(history, today, week_start),
        needs_full_activation(history, today),
        activation_budget(planned),
        bfr_plan(planned, cuff_limb),
    ]
    return [g for g in guards if g.fired]
