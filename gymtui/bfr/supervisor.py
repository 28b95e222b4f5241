"""The BFR safety supervisor: the only code that may command a cuff.

A pure state machine. It imports no Textual, no bleak and no asyncio; the
caller injects a monotonic clock (seconds; the demo clock runs ``--speed``
times faster, tests use a fake) and feeds it events. Every event method
returns the :class:`CuffEvent` records it produced, in order: each one is a
line for the ``cuff_events`` table and some carry a :class:`CuffCommand` the
app must send to the cuff. The app ticks it at least every
:data:`TICK_INTERVAL_S` of supervisor time, so that time-based rules act
within 50 ms (the deflate promise is 100 ms from any way out).

Invariants (property-tested in ``tests/unit/bfr/test_bfr_properties.py``)
-----------------------------------------------------------------

1. **Ceiling.** No command ever targets more than
   ``ceiling_mmhg = min(profile max, configured max, SYSTEM_MAX_MMHG,
   limb hard-max % × LOP)``. Every command passes through one choke point
   (``_command``) that clamps to it.
2. **Target.** The target is a percentage of the limb's occlusion pressure
   (LOP). Literature defaults: arm 50 % (40–50 % recommended), leg 70 %
   (60–80 % recommended); hard bounds arm 30–60 %, leg 40–80 %, LOP 80–300
   mmHg. Settings outside the bounds are refused with one clear line
   (:class:`BfrSettingsError`); with no LOP the supervisor refuses to
   inflate and says why.
3. **Time caps.** Occlusion time (cuff commanded up, or measured above
   :attr:`BfrLimits.residual_mmhg`) is counted per exercise and per session
   and never goes down: pauses, aborts and restarted sets keep counting. At
   10 min on one exercise, or 15 min (arm) / 20 min (leg) in the session,
   the cuff deflates and the view says why; that exercise (or, at the
   session cap, any exercise) does not inflate again. Changing exercise
   after occlusion, or after a cap, requires 3 min of reperfusion first. An
   inflated rest is capped at 2 min. ``prior_session_s`` (from
   ``Store.cuff_occlusion_s``) carries the session count across a restart.
4. **Rests.** With rest-deflate on, a rest phase deflates the cuff and the
   next work phase re-inflates it; with it off the cuff holds through the
   rest (the classic 30-15-15-15 protocol) within the caps above. A paused
   set deflates; resuming a work phase re-inflates.
5. **Regulation faults** (Delfi PTS ii tolerances): pressure more than
   15 mmHg above the target for more than 1 s, or above the ceiling by
   15 mmHg at any instant, deflates at once with an alarm; pressure not
   reached within 12 s, or more than 15 mmHg below the target for more than
   1 s once reached, deflates with an alarm; the pump compensating
   continuously for more than 7 s (a leak) deflates with an alarm; a
   pressure reading frozen for 3 s while the cuff is up (a stuck sensor) or
   a fault bit from the cuff deflates with an alarm. A connected cuff that
   sends no reading for 2 s, or whose pump runs while commanded down, gets a
   deflate and the release-by-hand alarm (we cannot see or stop it).
6. **Every way out deflates.** Set done, Esc, quit, an exception, a signal,
   a time cap, over-pressure, pressure not reached, a leak or a lost link
   issue a deflate command in the same call that learns of it, or at the
   first tick after a time limit passes (so within 50 ms when ticked every
   :data:`TICK_INTERVAL_S`). Where the link is gone the supervisor also
   raises a loud alarm telling the athlete to release the cuff by hand. If
   the pressure has not fallen below :attr:`BfrLimits.residual_mmhg` within
   6 s of a deflate, the supervisor re-sends the deflate each second and
   then raises that same alarm.
7. **No re-inflation after a way out.** After a set ends, an abort, quit,
   exception, signal or fault, nothing inflates until the next set starts;
   a fault stays latched (the cuff stays down) until a set starts with the
   link up, no fault bits and the cuff measured down.
8. **Alarms are heard.** An acknowledged alarm is silenced for 30 s only
   (:data:`ALARM_SILENCE_S`); if the cuff may still be tight (link down,
   no readings, pressure still up) the release-by-hand alarm comes back.
   The supervisor never inflates a cuff it has not heard connect, and its
   first command to a newly connected cuff is a deflate.

Each time-or-reading rule is one ``_rule_*`` method, run in order by
``_monitor``; a fault rule is named by a :class:`Fault` and speaks once per
set, a refusal to inflate by a :class:`Refusal`. Occlusion time lives in an
:class:`~gymtui.bfr.ledger.OcclusionLedger`, and what each phase kind allows
in :data:`gymtui.phases.PHASE_TRAITS` (a kind without a row never inflates).

Nothing here is thread-safe: call it from one thread (the app's event loop).
The process-level last-resort path (:mod:`gymtui.bfr.safety` through
:meth:`gymtui.bfr.runner.CuffRunner.emergency`) calls
:meth:`BfrSupervisor.last_resort`, which only computes records and touches
no I/O. :mod:`gymtui.bfr.runner` carries the records to the cuff and the
log on asyncio; ``gymtui cuff simulate`` shows a block of sets, with faults.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from gymtui.bfr.events import (
    NOT_A_BFR_SET,
    AlarmLevel,
    CuffEvent,
    CuffState,
    CuffView,
    EventKind,
    format_mmss,
)
from gymtui.bfr.flags import FAULT_FLAGS, CuffFlag
from gymtui.bfr.ledger import OcclusionLedger
from gymtui.bfr.rules import (
    ALARM_SILENCE_S,
    SYSTEM_MAX_MMHG,
    BfrLimits,
    BfrSettings,
    validate_settings,
)
from gymtui.model import (
    CuffCommand,
    CuffCommandKind,
    LinkHealth,
    LinkState,
    PhaseKind,
    PressureReading,
)
from gymtui.phases import PHASE_TRAITS, PhaseTraits, traits_of

Clock = Callable[[], float]


SET_DONE_REASON = "set done"
ESC_ABORT_REASON = "Esc: set aborted"
"""The reasons the cuff's log gives for the two ordinary ends of a set."""


class Fault(enum.StrEnum):
    """A fault rule that deflates and alarms. Each speaks once per set unless the cuff is up again."""

    STALE = "stale"  # a connected cuff sends no readings
    OVER_PRESSURE = "over"  # above the ceiling (or the profile's maximum) at any instant
    FLAGS = "flags"  # the cuff reports a fault bit
    RUNAWAY = "runaway pump"  # the pump runs although the cuff was commanded down
    STUCK = "stuck"  # readings frozen while the cuff is up
    BAND = "band"  # out of the target band for longer than the tolerance
    LEAK = "leak"  # the pump works continuously to hold pressure
    REACH = "reach"  # the target not reached in time
    UNREADABLE = "unreadable"  # a reading that is not a number
    NOT_DEFLATED = "not deflated"  # pressure still up long after a deflate


class Refusal(enum.Enum):
    """Why the cuff may not inflate now (the athlete reads the matching message)."""

    NO_LOP = enum.auto()
    NOT_CONNECTED = enum.auto()
    FAULT_LATCHED = enum.auto()
    SESSION_CAP = enum.auto()
    EXERCISE_CAP = enum.auto()
    REPERFUSION = enum.auto()  # lifts by itself once the reperfusion time has passed
    NO_CEILING = enum.auto()


@dataclass(frozen=True, slots=True)
class _PhaseDue:
    """When the running phase is due to end, and the deflate that end brings."""

    at_s: float
    reason: str
    set_end: bool = False


class BfrSupervisor:
    """See the module docstring. One instance per app run (one session)."""

    def __init__(
        self,
        settings: BfrSettings,
        *,
        profile_max_mmhg: float,
        clock: Clock,
        limits: BfrLimits | None = None,
        link_loss_deflates: bool = True,
        prior_session_s: float = 0.0,
        phase_traits: Mapping[PhaseKind, PhaseTraits] = PHASE_TRAITS,
    ) -> None:
        self.limits = limits or BfrLimits()
        self._phase_traits = phase_traits
        self._clock = clock
        self.profile_max_mmhg = float(profile_max_mmhg)
        self.link_loss_deflates = link_loss_deflates
        self.settings = settings
        self._check(settings)
        now = clock()
        # commanded state
        self._commanded_mmhg = 0.0
        self._inflated_at: float | None = None
        self._reached = False
        self._deflate_at: float | None = now
        self._deflate_resent_at = now
        self._deflate_confirmed = True
        # set context
        self._in_set = False
        self._bfr_set = True  # the set running now may occlude (False: the cuff stays down all set)
        self._paused = False
        self._phase: PhaseKind | None = None
        self._rest_started_at: float | None = None
        self._due: _PhaseDue | None = None  # the running phase's due end, when it brings the cuff down
        self._ended_at_due = False  # the set's end was done here, on time; the app's word of it comes later
        self._exercise = ""
        self._refusal: Refusal | None = None
        self._refusal_message = ""
        # accounting (never decreases)
        self._ledger = OcclusionLedger(now, prior_session_s=prior_session_s, reperfusion_s=self.limits.reperfusion_s)
        self._needs_reperfusion = False
        self._warned_cap: set[str] = set()
        # measurement
        self._pressure: float | None = None
        self._flags = CuffFlag(0)
        self._reading_at: float | None = None
        self._recent: deque[tuple[float, float]] = deque()
        self._dev_since: float | None = None
        self._pump_since: float | None = None
        self._link_ok = False  # until the adapter reports CONNECTED
        self._link_seen = False
        self._connected_at: float | None = None
        # alarm
        self._fault = ""  # latched fault: no inflation until the next set start
        self._level = AlarmLevel.NONE
        self._message = ""
        self._alarm_seq = 0
        self._silenced_until = -math.inf
        self._raised: set[Fault] = set()  # fault rules that have fired since the last set start

    # -- configuration -------------------------------------------------------
    def _check(self, settings: BfrSettings) -> None:
        validate_settings(
            settings.limb,
            settings.lop_mmhg,
            settings.target_pct,
            rest_deflate=settings.rest_deflate,
            max_mmhg=settings.max_mmhg,
        )

    def configure(self, settings: BfrSettings) -> list[CuffEvent]:
        """New settings from the setup screen; only taken while no set runs."""
        self._check(settings)
        now = self._advance()
        if self._in_set:
            return [self._notice(now, "cuff settings change after this set")]
        self.settings = settings
        return []

    @property
    def ceiling_mmhg(self) -> float:
        """min(profile max, configured max, system max, hard-max % × LOP); 0 without a LOP."""
        s = self.settings
        if s.lop_mmhg is None:
            return 0.0
        candidates = [self.profile_max_mmhg, SYSTEM_MAX_MMHG, s.lop_mmhg * s.spec.hard_pct[1] / 100.0]
        if s.max_mmhg is not None:
            candidates.append(s.max_mmhg)
        return max(0.0, min(candidates))

    @property
    def target_mmhg(self) -> float | None:
        target = self.settings.target_mmhg
        return None if target is None else min(target, self.ceiling_mmhg)

    @property
    def session_cap_s(self) -> float:
        return self.limits.session_cap_s[self.settings.limb]

    @property
    def state(self) -> CuffState:
        if not self._link_ok:
            return CuffState.LINK_LOST if self._link_seen else CuffState.NOT_CONNECTED
        if self._commanded_mmhg > 0:
            return CuffState.HOLDING if self._reached else CuffState.INFLATING
        if self._pressure is not None and self._pressure >= self.limits.residual_mmhg:
            return CuffState.DEFLATING
        return CuffState.DEFLATED

    # -- events from the app ---------------------------------------------------
    def set_started(
        self, exercise: str, first_phase: PhaseKind | str | None = None, *, bfr: bool = True
    ) -> list[CuffEvent]:
        """A set starts (its lead-in begins): inflate if everything allows it.

        ``first_phase``: the kind of the set's first phase, if known. A set
        that opens with an MVC calibration (or a rest) inflates at its first
        work phase instead, not during the lead-in.

        ``bfr=False``: the set is not a BFR set (a heavy compound, a drill, a
        finisher without BFR): the cuff stays down for the whole set, whatever
        its phases are, and the set neither charges an exercise's occlusion
        time nor asks for reperfusion before the next BFR set.
        """
        now = self._advance()
        out: list[CuffEvent] = []
        if self._fault and self._fault_cleared():
            self._fault = ""
        self._raised.clear()  # each rule may speak again for this set
        self._due, self._ended_at_due = None, False
        if not self._fault:  # a new set starts with a clean panel unless a fault still stands
            self._set_level(AlarmLevel.NONE, "")
        self._bfr_set = bfr
        if not bfr:
            self._in_set = True
            self._paused = False
            self._phase = None
            self._rest_started_at = None
            self._refusal, self._refusal_message = None, ""
            if self._commanded_mmhg > 0:
                self._deflate(now, NOT_A_BFR_SET, out)
            return out
        charged = self._ledger.exercise
        if charged and exercise != charged and self._ledger.exercise_s(charged) > 0:
            self._needs_reperfusion = True
        self._in_set = True
        self._paused = False
        self._exercise = exercise
        self._phase = None
        self._rest_started_at = None
        self._refusal, self._refusal_message = None, ""
        if first_phase is not None and not self._occludes_at_work(PhaseKind(first_phase)):
            return out
        self._inflate(now, "set started", out)
        return out

    def phase_changed(
        self,
        kind: PhaseKind | str,
        *,
        at_s: float | None = None,
        ends_at_s: float | None = None,
        next_kind: PhaseKind | str | None = None,
        last: bool = False,
    ) -> list[CuffEvent]:
        """A phase starts. Work inflates; rest deflates if rest-deflate is on.

        What a kind allows comes from its row in the phase table
        (:data:`gymtui.phases.PHASE_TRAITS`); a kind without a row never
        inflates the cuff. ``at_s`` is when the phase was due to start (the
        engine stamps its events so); an inflated rest is timed from then,
        not from when a busy loop got round to saying so, so its cap is not
        reached late.

        ``ends_at_s`` (a timed phase's due end), ``next_kind`` and ``last``
        let the supervisor bring the cuff down at that end itself, when what
        comes next deflates (the set's end, a rest with rest-deflate on, a
        phase that runs without occlusion): the app's word of the change
        waits for a screen tick, which a busy machine makes late, and
        nothing may delay a deflate. It never inflates on its own.
        """
        now = self._advance()
        out: list[CuffEvent] = []
        self._due = None
        if not self._in_set:
            return out
        kind = PhaseKind(kind)
        self._phase = kind
        why = self._phase_deflate_reason(kind)
        if why is None:
            self._rest_started_at = None
            self._inflate(now, traits_of(kind, self._phase_traits).label, out)  # type: ignore[union-attr]
        else:
            if self._is_rest(kind):
                self._rest_started_at = now if at_s is None else min(now, at_s)
            else:
                self._rest_started_at = None
            if why:
                self._deflate(now, why, out)
        if ends_at_s is not None:
            if last:
                self._due = _PhaseDue(ends_at_s, SET_DONE_REASON, set_end=True)
            elif next_kind is not None and (then := self._phase_deflate_reason(PhaseKind(next_kind))):
                self._due = _PhaseDue(ends_at_s, then)
        self._monitor(now, out)
        return out

    def phase_end_moved(self, ends_at_s: float) -> list[CuffEvent]:
        """The running phase's end moved (a rest made longer or shorter at the rack): its due end follows."""
        if self._due is not None:
            self._due = replace(self._due, at_s=ends_at_s)
        return []

    def _is_rest(self, kind: PhaseKind) -> bool:
        traits = traits_of(kind, self._phase_traits)
        return traits is not None and traits.is_rest

    def _phase_deflate_reason(self, kind: PhaseKind) -> str | None:
        """None when the phase occludes; else why it keeps the cuff down ("" for a rest that may stay up)."""
        traits = traits_of(kind, self._phase_traits)
        if traits is not None and traits.is_rest:
            return "rest (rest-deflate on)" if self.settings.rest_deflate or not traits.may_occlude else ""
        if traits is None or not traits.may_occlude:
            label = f"{kind} phase" if traits is None else traits.label
            return f"{label} runs without occlusion"
        return None

    def paused(self) -> list[CuffEvent]:
        """The set is paused: the cuff goes down until it resumes (time stays counted).

        A paused phase's due end is unknown until the app says so again, so it is dropped.
        """
        now = self._advance()
        out: list[CuffEvent] = []
        self._due = None
        if self._in_set and not self._paused:
            self._paused = True
            self._deflate(now, "set paused", out)
        return out

    def resumed(self) -> list[CuffEvent]:
        """The set resumes: a work phase brings the cuff back up."""
        now = self._advance()
        out: list[CuffEvent] = []
        if self._in_set and self._paused:
            self._paused = False
            if self._phase is not None and self._occludes_at_work(self._phase):
                self._inflate(now, "set resumed", out)
        return out

    def set_ended(self) -> list[CuffEvent]:
        """The set and its rest are over (the engine's ``SetFinished``).

        Nothing more when the supervisor already ended it at its due end (the
        cuff went down then, and a second "set done" would only repeat it).
        """
        if self._ended_at_due:
            self._ended_at_due = False
            return []
        return self._way_out(SET_DONE_REASON)

    def abort(self, reason: str = ESC_ABORT_REASON) -> list[CuffEvent]:
        return self._way_out(reason)

    def quit(self) -> list[CuffEvent]:
        return self._way_out("quit")

    def exception(self, what: str) -> list[CuffEvent]:
        return self._way_out(f"exception: {what}"[:200], alarm=True)

    def signal(self, name: str) -> list[CuffEvent]:
        return self._way_out(f"signal {name}", alarm=False)

    def last_resort(self, reason: str) -> list[CuffEvent]:
        """The process is going (signal, uncaught exception, exit): deflate; an exception also alarms."""
        return self._way_out(reason[:200], alarm=reason.startswith("exception"))

    def pressure(self, reading: PressureReading) -> list[CuffEvent]:
        """A pressure reading from the cuff (any rate; 10–25 Hz is typical)."""
        now = self._advance()
        out: list[CuffEvent] = []
        p = float(reading.pressure_mmhg)
        if not math.isfinite(p):
            self._raise_fault(now, AlarmLevel.ALARM, "cuff sent an unreadable pressure: cuff deflated", out, Fault.UNREADABLE)
            return out
        self._pressure = p
        self._flags = CuffFlag(reading.fault_bits & 0xFFFF)
        self._reading_at = now
        self._recent.append((now, p))
        while self._recent and now - self._recent[0][0] > self.limits.stuck_s + 0.5:
            self._recent.popleft()
        self._monitor(now, out)
        return out

    def link_changed(self, health: LinkHealth) -> list[CuffEvent]:
        """The cuff's link health changed (from the adapter's health sink)."""
        now = self._advance()
        out: list[CuffEvent] = []
        ok = health.state is LinkState.CONNECTED
        if ok == self._link_ok:
            return out
        self._link_ok = ok
        if ok and not self._link_seen:
            # First connection: put the cuff in a known state before anything else.
            self._link_seen = True
            self._connected_at = now
            self._reading_at = None
            self._deflate(now, "cuff connected: start deflated", out, force=True)
            out.append(self._notice(now, "cuff connected", set_level=False))
            return out
        if not ok:
            self._recent.clear()
            self._dev_since = self._pump_since = None
            up = self._commanded_mmhg > 0 or self._pressure_up()
            self._fault = self._fault or "cuff link lost"
            self._deflate(now, "link lost", out, force=True)
            if up or self._in_set:
                self_deflate = (
                    "It should deflate itself; if it is still tight, "
                    if self.link_loss_deflates
                    else ""
                )
                self._alarm(
                    now,
                    AlarmLevel.RELEASE_BY_HAND,
                    f"CUFF LINK LOST. {self_deflate}RELEASE THE CUFF BY HAND NOW.",
                    out,
                )
            else:
                out.append(self._notice(now, "cuff disconnected"))
        else:
            self._connected_at = now  # give readings time to resume before calling them stale
            self._reading_at = None
            self._deflate(now, "link restored: deflate until the next set", out, force=True)
            out.append(self._notice(now, "cuff reconnected", set_level=False))
        return out

    def tick(self) -> list[CuffEvent]:
        """Time passes: caps, timeouts, stale readings, deflate confirmation."""
        now = self._advance()
        out: list[CuffEvent] = []
        self._monitor(now, out)
        return out

    def now(self) -> float:
        """The supervisor's clock (the injected one)."""
        return self._clock()

    def next_deadline_s(self) -> float | None:
        """When the next time cap falls due (supervisor clock), if the cuff is occluding now.

        The runner wakes for it exactly instead of waiting for its next tick,
        so a cap deflates on time even when ticks run late.
        """
        ledger = self._ledger
        if not ledger.occluding:
            return None
        now = ledger.last_s
        lim = self.limits
        deadlines = [
            now + lim.exercise_cap_s - ledger.exercise_s(ledger.exercise),
            now + self.session_cap_s - ledger.session_s,
        ]
        if self._rest_started_at is not None:
            deadlines.append(self._rest_started_at + lim.inflated_rest_max_s)
        if self._due is not None:
            deadlines.append(self._due.at_s)
        return min(deadlines)

    def acknowledge(self) -> None:
        """The athlete has seen the alarm: silence it for 30 s.

        Faults stay latched until the next set; a cause that still stands (a
        lost link, a blind or still-tight cuff) raises the alarm again when
        the silence ends.
        """
        self._silenced_until = self._advance() + ALARM_SILENCE_S
        self._set_level(AlarmLevel.NONE, "")

    def view(self) -> CuffView:
        now = self._advance()
        target = self.target_mmhg if self._in_set and self._bfr_set else None
        tol = self.limits.tolerance_mmhg
        s = self.settings
        ledger = self._ledger
        exercise = self._exercise or ledger.exercise
        return CuffView(
            limb=s.limb,
            lop_mmhg=s.lop_mmhg,
            target_pct=s.target_pct,
            target_mmhg=target,
            band_mmhg=None if target is None else (max(0.0, target - tol), target + tol),
            ceiling_mmhg=self.ceiling_mmhg,
            pressure_mmhg=self._pressure,
            pct_lop=None if self._pressure is None or not s.lop_mmhg else 100.0 * self._pressure / s.lop_mmhg,
            state=self.state,
            commanded_mmhg=self._commanded_mmhg,
            continuous_s=0.0 if ledger.occluded_since is None else now - ledger.occluded_since,
            exercise=exercise,
            exercise_s=ledger.exercise_s(exercise),
            exercise_cap_s=self.limits.exercise_cap_s,
            session_s=ledger.session_s,
            session_cap_s=self.session_cap_s,
            level=self._level,
            message=self._message,
            alarm_seq=self._alarm_seq,
            link_ok=self._link_ok,
            rest_deflate=s.rest_deflate,
            bfr_set=self._bfr_set or not self._in_set,
        )

    # accounting queries (tests and the store use them)
    @property
    def session_occluded_s(self) -> float:
        self._advance()
        return self._ledger.session_s

    def exercise_occluded_s(self, exercise: str) -> float:
        self._advance()
        return self._ledger.exercise_s(exercise)

    @property
    def commanded_mmhg(self) -> float:
        return self._commanded_mmhg

    @property
    def alarm_level(self) -> AlarmLevel:
        return self._level

    # -- internals ---------------------------------------------------------------
    def _advance(self) -> float:
        """Bring the occlusion ledger up to now (time never runs backwards there)."""
        return self._ledger.advance(
            self._clock(), occluding=self._commanded_mmhg > 0 or self._pressure_up(), exercise=self._exercise
        )

    def _pressure_up(self) -> bool:
        """The last known pressure occludes (kept while the link is down: we cannot know better)."""
        return self._pressure is not None and self._pressure >= self.limits.residual_mmhg

    def _fault_cleared(self) -> bool:
        return (
            self._link_ok
            and not (self._flags & FAULT_FLAGS)
            and (self._pressure is None or self._pressure < self.limits.residual_mmhg)
        )

    def _occludes_at_work(self, kind: PhaseKind) -> bool:
        """The cuff may be up for this kind whatever rest-deflate says (a work phase with a row)."""
        traits = traits_of(kind, self._phase_traits)
        return traits is not None and traits.may_occlude and not traits.is_rest

    def _wants_up(self, now: float) -> bool:
        if not self._in_set or self._paused or not self._bfr_set:
            return False
        if self._phase is None:
            return True  # the lead-in of a set whose first phase may occlude
        traits = traits_of(self._phase, self._phase_traits)
        if traits is None or not traits.may_occlude:
            return False
        return not (traits.is_rest and self.settings.rest_deflate)

    def _refuse_reason(self, now: float) -> tuple[Refusal, str] | None:
        """Why the cuff may not inflate now, with the line the athlete reads; None if it may."""
        s = self.settings
        lim = self.limits
        ledger = self._ledger
        if s.lop_mmhg is None:
            return Refusal.NO_LOP, f"no LOP for the {s.limb}: measure it and enter it in cuff setup; the cuff stays down"
        if not self._link_ok:
            return Refusal.NOT_CONNECTED, "cuff not connected: the cuff stays down"
        if self._fault:
            return Refusal.FAULT_LATCHED, f"cuff locked after a fault ({self._fault}): it stays down until the next set"
        if ledger.session_s >= self.session_cap_s:
            return (
                Refusal.SESSION_CAP,
                f"session occlusion limit {format_mmss(self.session_cap_s)} ({s.limb}) reached: no more cuff today",
            )
        if ledger.exercise_s(self._exercise) >= lim.exercise_cap_s:
            return (
                Refusal.EXERCISE_CAP,
                f"{format_mmss(lim.exercise_cap_s)} occlusion limit on {self._exercise} reached: the cuff stays down",
            )
        if self._needs_reperfusion:
            left = lim.reperfusion_s - (now - ledger.unoccluded_since) if not ledger.occluding else lim.reperfusion_s
            if left > 0:
                return Refusal.REPERFUSION, f"reperfusion: {format_mmss(left)} more before the cuff inflates again"
            self._needs_reperfusion = False
        if self.ceiling_mmhg <= 0:
            return Refusal.NO_CEILING, "cuff ceiling is 0 mmHg: check the cuff profile"
        return None

    def _inflate(self, now: float, why: str, out: list[CuffEvent]) -> None:
        if not self._wants_up(now):
            return
        refused = self._refuse_reason(now)
        if refused is not None:
            refusal, message = refused
            if self._commanded_mmhg > 0:
                self._deflate(now, message, out)
            if message != self._refusal_message:
                self._refusal, self._refusal_message = refusal, message
                out.append(self._notice(now, message))
            return
        target = self.target_mmhg
        assert target is not None
        if self._commanded_mmhg > 0 and abs(self._commanded_mmhg - target) < 0.05:
            return
        kind = EventKind.TARGET if self._commanded_mmhg > 0 else EventKind.INFLATE
        self._command(now, kind, CuffCommandKind.TARGET, target, f"{why}: {self.settings.target_pct:g} % of LOP", out)

    def _deflate(self, now: float, why: str, out: list[CuffEvent], *, force: bool = False) -> None:
        if self._commanded_mmhg <= 0 and not force and self._deflate_at is not None:
            return
        self._command(now, EventKind.DEFLATE, CuffCommandKind.DEFLATE, 0.0, why, out)

    def _command(
        self,
        now: float,
        kind: EventKind,
        command_kind: CuffCommandKind,
        target_mmhg: float,
        reason: str,
        out: list[CuffEvent],
    ) -> None:
        """The choke point: every command is clamped to the ceiling here."""
        if command_kind is CuffCommandKind.DEFLATE:
            target_mmhg = 0.0
        else:
            target_mmhg = min(float(target_mmhg), self.ceiling_mmhg)
            if not target_mmhg > 0:
                return
        command = CuffCommand(command_kind, target_mmhg, reason)
        was_up = self._commanded_mmhg > 0
        self._commanded_mmhg = target_mmhg
        if command_kind is CuffCommandKind.DEFLATE:
            if was_up or self._deflate_at is None:
                self._deflate_at = now
            self._deflate_resent_at = now
            self._deflate_confirmed = False
            self._inflated_at = None
            self._reached = False
        else:
            if not was_up:
                self._inflated_at = now
                self._reached = False
            self._deflate_at = None
            self._deflate_confirmed = True
            self._refusal, self._refusal_message = None, ""
        self._dev_since = self._pump_since = None
        self._advance()
        out.append(CuffEvent(now, kind, self._pressure, target_mmhg, reason, command))

    def _way_out(self, why: str, *, alarm: bool = False) -> list[CuffEvent]:
        now = self._advance()
        out: list[CuffEvent] = []
        self._due, self._ended_at_due = None, False
        self._in_set = False
        self._paused = False
        self._phase = None
        self._rest_started_at = None
        self._deflate(now, why, out, force=True)
        if not self._link_ok:
            self._alarm(now, AlarmLevel.RELEASE_BY_HAND, f"{why}: cuff link is down. RELEASE THE CUFF BY HAND NOW.", out, repeat=True)
        elif alarm:
            self._alarm(now, AlarmLevel.ALARM, f"{why}: cuff deflated", out, repeat=True)
        return out

    def _raise_fault(self, now: float, level: AlarmLevel, message: str, out: list[CuffEvent], rule: Fault) -> None:
        """A fault: deflate at once, latch, alarm. Each rule speaks once per set unless the cuff is up again."""
        if rule in self._raised and self._commanded_mmhg <= 0:
            return  # already handled; deflate confirmation and standing alarms take it from here
        self._raised.add(rule)
        self._fault = message
        self._deflate(now, message, out, force=self._commanded_mmhg > 0 or self._pressure_up())
        self._alarm(now, level, message, out)

    def _alarm(self, now: float, level: AlarmLevel, message: str, out: list[CuffEvent], *, repeat: bool = False) -> None:
        if level == self._level and message == self._message and not repeat:
            return
        if level >= self._level:  # the most severe alarm stays on screen
            self._set_level(level, message)
        self._alarm_seq += 1
        out.append(
            CuffEvent(now, EventKind.ALARM, self._pressure, self._commanded_mmhg or None, message, level=level)
        )

    def _set_level(self, level: AlarmLevel, message: str) -> None:
        self._level = level
        self._message = message

    def _notice(self, now: float, message: str, *, set_level: bool = True) -> CuffEvent:
        if set_level and self._level <= AlarmLevel.NOTICE:
            self._set_level(AlarmLevel.NOTICE, message)
        return CuffEvent(now, EventKind.NOTICE, self._pressure, self._commanded_mmhg or None, message, level=AlarmLevel.NOTICE)

    def _monitor(self, now: float, out: list[CuffEvent]) -> None:
        """Every rule that depends on time or on the latest reading, in order; a fault ends the pass."""
        p = self._pressure
        fresh = self._link_ok and self._reading_at is not None and now - self._reading_at <= self.limits.stale_s
        up = self._commanded_mmhg > 0
        target = self._commanded_mmhg

        self._rule_standing_danger(now, fresh, out)
        if self._rule_stale(now, out):
            return
        if fresh and p is not None:
            self._rule_over_pressure(now, p, out)
            self._rule_fault_flags(now, out)
            self._rule_runaway_pump(now, up, out)
            self._rule_stuck_sensor(now, p, up, out)
            up = self._commanded_mmhg > 0
        if up and fresh and p is not None:
            self._rule_reached(now, p, target, out)
            if self._rule_band(now, p, target, out) or self._rule_leak(now, out):
                return
        if up and self._rule_reach_timeout(now, target, out):
            return
        if up:
            if self._rule_due_end(now, out) or self._rule_time_caps(now, out) or self._rule_inflated_rest(now, out):
                return
        else:
            self._rule_reperfusion_done(now, out)
        if not up:
            self._rule_deflate_confirmed(now, p, fresh, out)

    # -- the rules, one method each; each returns True when it deflated and the pass must end ----
    def _rule_standing_danger(self, now: float, fresh: bool, out: list[CuffEvent]) -> None:
        """A silenced alarm whose cause still stands comes back."""
        if self._level < AlarmLevel.RELEASE_BY_HAND and now >= self._silenced_until:
            standing = self._standing_danger(now, fresh)
            if standing:
                self._alarm(now, AlarmLevel.RELEASE_BY_HAND, standing, out)

    def _rule_stale(self, now: float, out: list[CuffEvent]) -> bool:
        """A connected cuff that stops reporting leaves us blind: we cannot know it is down."""
        if not self._link_ok:
            return False
        since = self._reading_at if self._reading_at is not None else self._connected_at
        if since is None or now - since <= self.limits.stale_s:
            return False
        self._raise_fault(
            now,
            AlarmLevel.RELEASE_BY_HAND,
            "NO PRESSURE READINGS FROM THE CUFF: deflate sent. If it is tight, RELEASE IT BY HAND.",
            out,
            Fault.STALE,
        )
        return True

    def _rule_over_pressure(self, now: float, p: float, out: list[CuffEvent]) -> None:
        """Hard over-pressure: no waiting."""
        if p > self.ceiling_mmhg + self.limits.tolerance_mmhg or p > self.profile_max_mmhg:
            self._raise_fault(now, AlarmLevel.ALARM, f"over-pressure {p:.0f} mmHg: cuff deflated", out, Fault.OVER_PRESSURE)

    def _rule_fault_flags(self, now: float, out: list[CuffEvent]) -> None:
        """A fault bit from the cuff."""
        flags = self._flags & FAULT_FLAGS
        if flags:
            names = ", ".join(f.name.lower().replace("_", " ") for f in CuffFlag if f & flags and f.name)
            self._raise_fault(now, AlarmLevel.ALARM, f"cuff reports {names}: cuff deflated", out, Fault.FLAGS)

    def _rule_runaway_pump(self, now: float, up: bool, out: list[CuffEvent]) -> None:
        """The pump runs although we commanded the cuff down: the cuff is not obeying."""
        if not up and self._flags & CuffFlag.PUMP_ON:
            self._pump_since = self._pump_since if self._pump_since is not None else now
            if now - self._pump_since > self.limits.tolerance_s:
                self._raise_fault(
                    now,
                    AlarmLevel.RELEASE_BY_HAND,
                    "CUFF PUMP RUNS ON ITS OWN. RELEASE THE CUFF BY HAND NOW.",
                    out,
                    Fault.RUNAWAY,
                )
        elif not up:
            self._pump_since = None

    def _rule_stuck_sensor(self, now: float, p: float, up: bool, out: list[CuffEvent]) -> None:
        """A pressure reading frozen while the cuff is up (or holds pressure)."""
        if self._stuck(now, up) and (up or self._pressure_up()):
            self._raise_fault(
                now,
                AlarmLevel.ALARM,
                f"pressure sensor stuck at {p:.0f} mmHg: cuff deflated, check it is loose",
                out,
                Fault.STUCK,
            )

    def _rule_reached(self, now: float, p: float, target: float, out: list[CuffEvent]) -> None:
        """The target is reached: the cuff now holds it (logged, no command)."""
        if not self._reached and p >= target - self.limits.reached_band_mmhg:
            self._reached = True
            out.append(CuffEvent(now, EventKind.HOLD, p, target, "target reached: holding"))

    def _rule_band(self, now: float, p: float, target: float, out: list[CuffEvent]) -> bool:
        """Above the target band (or below it once reached) for longer than the tolerance."""
        lim = self.limits
        deviation = p - target
        out_of_band = deviation > lim.tolerance_mmhg or (self._reached and deviation < -lim.tolerance_mmhg)
        if not out_of_band:
            self._dev_since = None
            return False
        self._dev_since = self._dev_since if self._dev_since is not None else now
        if now - self._dev_since <= lim.tolerance_s:
            return False
        if deviation > 0:
            msg = f"over-pressure: {p:.0f} mmHg against {target:.0f} for over {lim.tolerance_s:g} s: cuff deflated"
        else:
            msg = f"pressure not held: {p:.0f} mmHg against {target:.0f}: cuff deflated (leak?)"
        self._raise_fault(now, AlarmLevel.ALARM, msg, out, Fault.BAND)
        return True

    def _rule_leak(self, now: float, out: list[CuffEvent]) -> bool:
        """The pump compensating continuously to hold pressure: a leak."""
        if not (self._reached and self._flags & CuffFlag.PUMP_ON):
            self._pump_since = None
            return False
        self._pump_since = self._pump_since if self._pump_since is not None else now
        if now - self._pump_since <= self.limits.leak_pump_s:
            return False
        self._raise_fault(
            now,
            AlarmLevel.ALARM,
            f"leak: the pump ran for over {self.limits.leak_pump_s:g} s to hold pressure: cuff deflated",
            out,
            Fault.LEAK,
        )
        return True

    def _rule_reach_timeout(self, now: float, target: float, out: list[CuffEvent]) -> bool:
        """The target not reached within the reach timeout of inflating."""
        lim = self.limits
        if self._reached or self._inflated_at is None or now - self._inflated_at <= lim.reach_timeout_s:
            return False
        self._raise_fault(
            now,
            AlarmLevel.ALARM,
            f"pressure not reached: {target:.0f} mmHg not reached in {lim.reach_timeout_s:g} s: cuff deflated",
            out,
            Fault.REACH,
        )
        return True

    def _rule_time_caps(self, now: float, out: list[CuffEvent]) -> bool:
        """The exercise and session occlusion caps: deflate at the cap, warn a minute before."""
        lim = self.limits
        ledger = self._ledger
        ex_left = lim.exercise_cap_s - ledger.exercise_s(ledger.exercise)
        se_left = self.session_cap_s - ledger.session_s
        if ex_left <= 0 or se_left <= 0:
            if ex_left <= 0:
                msg = f"occlusion limit: {format_mmss(lim.exercise_cap_s)} on {ledger.exercise}. Cuff deflated."
            else:
                msg = f"session occlusion limit: {format_mmss(self.session_cap_s)} ({self.settings.limb}). Cuff deflated."
            self._needs_reperfusion = True
            self._deflate(now, msg, out)
            self._set_level(AlarmLevel.NOTICE, msg)
            self._alarm_seq += 1
            return True
        left = min(ex_left, se_left)
        key = f"{ledger.exercise}:{'ex' if ex_left <= se_left else 'session'}"
        if left <= lim.cap_warning_s and key not in self._warned_cap:
            self._warned_cap.add(key)
            out.append(self._notice(now, f"{format_mmss(math.ceil(left))} of occlusion left"))
        return False

    def _rule_due_end(self, now: float, out: list[CuffEvent]) -> bool:
        """The running phase reached its due end and what follows deflates: deflate now, not at the app's next tick."""
        due = self._due
        if due is None or now < due.at_s:
            return False
        self._due = None
        if due.set_end:
            out += self._way_out(due.reason)
            self._ended_at_due = True
        else:
            self._deflate(now, due.reason, out)
        return True

    def _rule_inflated_rest(self, now: float, out: list[CuffEvent]) -> bool:
        """A rest with the cuff up is capped."""
        lim = self.limits
        if self._rest_started_at is None or now - self._rest_started_at <= lim.inflated_rest_max_s:
            return False
        msg = f"rest longer than {format_mmss(lim.inflated_rest_max_s)} with the cuff up: cuff deflated"
        self._deflate(now, msg, out)
        self._set_level(AlarmLevel.NOTICE, msg)
        return True

    def _rule_reperfusion_done(self, now: float, out: list[CuffEvent]) -> None:
        """A refusal for reperfusion lifts by itself: retry when it does."""
        waiting = self._refusal is Refusal.REPERFUSION and self._in_set and self._wants_up(now)
        if waiting and self._refuse_reason(now) is None:
            self._inflate(now, "reperfusion done", out)

    def _rule_deflate_confirmed(self, now: float, p: float | None, fresh: bool, out: list[CuffEvent]) -> None:
        """Deflate confirmation: re-send, then tell the athlete to release by hand."""
        lim = self.limits
        if self._deflate_at is None or self._deflate_confirmed:
            return
        if p is None or (fresh and p < lim.residual_mmhg):
            # Down, or never measured (nothing we inflated: the stale rule guards a cuff that was up).
            self._deflate_confirmed = True
        elif self._link_ok:
            # Judge on readings from this link: after a reconnect the clock starts again.
            started = max(self._deflate_at, self._connected_at if self._connected_at is not None else -math.inf)
            since = now - started
            if since > lim.deflate_confirm_s:
                self._deflate_confirmed = True  # stop re-sending; the alarm stays
                self._fault = self._fault or "cuff did not deflate"
                if Fault.NOT_DEFLATED in self._raised:
                    return
                self._raised.add(Fault.NOT_DEFLATED)
                self._alarm(
                    now,
                    AlarmLevel.RELEASE_BY_HAND,
                    f"CUFF DID NOT DEFLATE ({(p or 0):.0f} mmHg after {lim.deflate_confirm_s:g} s). RELEASE THE CUFF BY HAND NOW.",
                    out,
                )
            elif now - self._deflate_resent_at >= lim.deflate_resend_s and (p is None or p >= lim.residual_mmhg):
                self._deflate_resent_at = now
                out.append(
                    CuffEvent(
                        now,
                        EventKind.DEFLATE,
                        p,
                        0.0,
                        "deflate re-sent: pressure still up",
                        CuffCommand(CuffCommandKind.DEFLATE, 0.0, "deflate re-sent"),
                    )
                )

    def _standing_danger(self, now: float, fresh: bool) -> str:
        """Why the cuff may still be tight with nothing more we can do, or ''."""
        lim = self.limits
        if self._link_seen and not self._link_ok and self._pressure_up():
            return "CUFF LINK STILL DOWN. If the cuff is tight, RELEASE IT BY HAND NOW."
        if self._link_ok and not fresh and self._pressure_up():
            return "STILL NO PRESSURE READINGS FROM THE CUFF. If it is tight, RELEASE IT BY HAND."
        if (
            fresh
            and self._commanded_mmhg <= 0
            and self._deflate_confirmed
            and self._pressure is not None
            and self._pressure >= lim.residual_mmhg
            and self._fault
        ):
            return f"CUFF STILL AT {self._pressure:.0f} mmHg. RELEASE THE CUFF BY HAND NOW."
        return ""

    def _stuck(self, now: float, up: bool) -> bool:
        """Readings frozen for ``stuck_s`` while the cuff is up (or holds pressure): no real sensor does that."""
        lim = self.limits
        if len(self._recent) < 3 or now - self._recent[0][0] < lim.stuck_s:
            return False
        window = [p for t, p in self._recent if now - t <= lim.stuck_s + 0.5]
        return max(window) - min(window) < lim.stuck_band_mmhg and (up or max(window) >= lim.residual_mmhg)
