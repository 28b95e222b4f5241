"""Hypothesis: the supervisor's invariants hold over random event sequences.

Each example drives the real supervisor in closed loop with the simulated
cuff (real codec, real physics) through a random sequence of app events,
time passing, link losses, injected cuff faults and bogus readings, and
checks after every step:

- no command above the ceiling, ever;
- every way out (set done, Esc, quit, exception, signal) issues a deflate in
  the same call, plus a release-by-hand alarm when the link is down;
- nothing inflates after a way out until the next set starts;
- occlusion caps (per exercise and per session) hold across pauses, aborts
  and restarted sets, to within one tick of the cap;
- over-pressure beyond the band is acted on within 1 s of the 1 s
  tolerance; a target not reached is acted on within 1 s of the timeout;
- at the end the cuff is down, or the athlete has been told to release it.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gymtui.bfr.events import AlarmLevel, CuffState, EventKind
from gymtui.bfr.rules import (
    ALARM_SILENCE_S,
    TICK_INTERVAL_S,
    BfrLimits,
    validate_settings,
)
from gymtui.model import CuffCommandKind, PhaseKind, PressureReading
from gymtui.sim.cuff import CuffParams
from gymtui.sim.cuff_loop import ClosedLoop

EXERCISES = ("Curl", "Pushdown")
WAY_OUTS = ("end", "abort", "quit", "exception", "signal")

starts = st.tuples(st.just("start"), st.sampled_from(EXERCISES))
phases = st.tuples(
    st.just("phase"),
    st.sampled_from([PhaseKind.ACTIVATION, PhaseKind.ISOMETRIC, PhaseKind.ECCENTRIC, PhaseKind.REST, PhaseKind.CALIBRATION]),
)
way_outs = st.tuples(st.sampled_from(WAY_OUTS))
short_runs = st.tuples(st.just("run"), st.floats(0.0, 20.0))
long_runs = st.tuples(st.just("run"), st.floats(20.0, 90.0))
# The training life of a cuff: sets, phases, pauses (time passing), aborts and restarts.
pauses = st.tuples(st.sampled_from(["pause", "resume"]))
training = st.one_of(starts, phases, phases, short_runs, short_runs, long_runs, way_outs, pauses)
events = st.one_of(
    training,
    training,
    st.tuples(st.sampled_from(["lose", "restore", "readings_off", "readings_on", "ack"])),
    st.tuples(st.just("fault"), st.sampled_from(["stuck", "leak", "runaway", "weak", "clear"])),
    st.tuples(st.just("spike"), st.floats(0.0, 400.0), st.integers(0, 0xFFFF)),
)

@st.composite
def rigs(draw, with_lop: bool = False) -> ClosedLoop:
    limb = draw(st.sampled_from(["arm", "leg"]))
    lop = draw(st.floats(80, 300) if with_lop else st.one_of(st.none(), st.floats(80, 300)))
    lo, hi = (30, 60) if limb == "arm" else (40, 80)
    pct = draw(st.floats(lo, hi))
    configured = draw(st.one_of(st.none(), st.floats(60, 250)))
    profile_max = draw(st.floats(80, 300))
    exercise_cap = draw(st.floats(20.0, 120.0))
    limits = BfrLimits(
        exercise_cap_s=exercise_cap,
        session_cap_s={"arm": exercise_cap * 1.5, "leg": exercise_cap * 2.0},
        reperfusion_s=draw(st.floats(5.0, 60.0)),
        inflated_rest_max_s=draw(st.floats(10.0, 120.0)),
    )
    settings_ = validate_settings(limb, lop, pct, rest_deflate=draw(st.booleans()), max_mmhg=configured)
    return ClosedLoop(
        settings=settings_,
        params=CuffParams(max_mmhg=profile_max, step_s=0.01),
        limits=limits,
        reading_s=0.1,
        seed=draw(st.integers(0, 1000)),
    )


class Checker:
    """Watches a rig step by step and fails on any broken invariant."""

    def __init__(self, rig: ClosedLoop) -> None:
        self.rig = rig
        self.checked = 0
        self.terminated = True  # no set yet: nothing may inflate
        self.exercise = ""
        self.up_exercise = ""
        self.up_since: float | None = None
        self.per_exercise = defaultdict(float)
        self.session = 0.0

    def after(self, records, way_out: bool = False) -> None:
        rig = self.rig
        sup = rig.sup
        for record in rig.records[self.checked :]:
            cmd = record.command
            if cmd is None:
                continue
            assert cmd.target_mmhg <= sup.ceiling_mmhg + 1e-9, record
            if cmd.kind is CuffCommandKind.TARGET:
                assert cmd.target_mmhg > 0
                assert not self.terminated, f"inflated after a way out: {record}"
                if self.up_since is None:
                    self.up_since = record.at_s
                    self.up_exercise = self.exercise
            elif cmd.kind is CuffCommandKind.DEFLATE and self.up_since is not None:
                self._close(record.at_s)
        self.checked = len(rig.records)
        if way_out:
            assert any(r.command and r.command.kind is CuffCommandKind.DEFLATE for r in records)
            if not rig.link_up:
                assert any(r.kind is EventKind.ALARM and r.level is AlarmLevel.RELEASE_BY_HAND for r in records)
        # Caps: commanded-up time, counted independently of the supervisor.
        now = rig.clock.t
        open_s = 0.0 if self.up_since is None else now - self.up_since
        slack = TICK_INTERVAL_S + rig.reading_s + 1e-6
        assert self.per_exercise[self.up_exercise] + open_s <= sup.limits.exercise_cap_s + slack
        assert self.session + open_s <= sup.session_cap_s + slack

    def _close(self, at: float) -> None:
        self.per_exercise[self.up_exercise] += at - self.up_since
        self.session += at - self.up_since
        self.up_since = None


def run_watched(rig: ClosedLoop, seconds: float) -> None:
    """Advance in reading steps, checking the timing invariants on the way."""
    lim = rig.sup.limits
    over_since = None
    inflating_since = None
    end = rig.clock.t + seconds
    while rig.clock.t < end - 1e-9:
        rig.run(min(rig.reading_s, end - rig.clock.t))
        now = rig.clock.t
        view_p = rig.sup._pressure  # what the supervisor was told
        target = rig.sup.commanded_mmhg
        if target > 0 and rig.link_up and rig.readings_on and view_p is not None and view_p > target + lim.tolerance_mmhg:
            over_since = now if over_since is None else over_since
            assert now - over_since <= lim.tolerance_s + 1.0, "over-pressure not acted on within 1 s"
        else:
            over_since = None
        if rig.sup.state is CuffState.INFLATING:
            inflating_since = now if inflating_since is None else inflating_since
            assert now - inflating_since <= lim.reach_timeout_s + 1.0, "pressure-not-reached not acted on"
        else:
            inflating_since = None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rig=rigs(), steps=st.lists(events, min_size=1, max_size=30))
def test_supervisor_invariants_hold_over_random_event_sequences(rig: ClosedLoop, steps) -> None:
    play(rig, steps)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rig=rigs(with_lop=True), steps=st.lists(training, min_size=5, max_size=30))
def test_occlusion_caps_hold_across_pauses_aborts_and_restarted_sets(rig: ClosedLoop, steps) -> None:
    play(rig, steps)
    capped = [r for r in rig.records if "occlusion limit" in r.reason]
    event("cap reached" if capped else "no cap reached")


def play(rig: ClosedLoop, steps) -> None:
    """Play the steps on the rig, checking every invariant on the way (see the module docstring)."""
    check = Checker(rig)
    sup = rig.sup
    for step in steps:
        name = step[0]
        way_out = name in WAY_OUTS
        if name == "start":
            check.exercise = step[1]
            check.terminated = False
            records = rig.apply(sup.set_started(step[1]))
        elif name == "phase":
            records = rig.apply(sup.phase_changed(step[1]))
        elif name == "end":
            records = rig.apply(sup.set_ended())
        elif name == "abort":
            records = rig.apply(sup.abort())
        elif name == "quit":
            records = rig.apply(sup.quit())
        elif name == "pause":
            records = rig.apply(sup.paused())
        elif name == "resume":
            records = rig.apply(sup.resumed())
        elif name == "exception":
            records = rig.apply(sup.exception("RuntimeError: boom"))
        elif name == "signal":
            records = rig.apply(sup.signal("SIGTERM"))
        elif name == "run":
            run_watched(rig, step[1])
            records = []
        elif name == "lose":
            records = rig.lose_link() if rig.link_up else []
        elif name == "restore":
            records = rig.restore_link() if not rig.link_up else []
        elif name == "readings_off":
            rig.readings_on, records = False, []
        elif name == "readings_on":
            rig.readings_on, records = True, []
        elif name == "ack":
            sup.acknowledge()
            records = []
        elif name == "fault":
            records = []
            kind = step[1]
            if kind == "stuck":
                rig.physics.stuck_at_mmhg = round(rig.physics.true_mmhg, 1)
            elif kind == "leak":
                rig.physics.leak_extra_per_s = 0.5
            elif kind == "runaway":
                rig.physics.pump_runaway = True
            elif kind == "weak":
                rig.physics.pump_dead = True
            else:
                rig.physics.stuck_at_mmhg = None
                rig.physics.leak_extra_per_s = 0.0
                rig.physics.pump_runaway = rig.physics.pump_dead = False
        elif name == "spike":
            records = rig.apply(sup.pressure(PressureReading(rig.clock.t, step[1], step[2])))
        else:  # pragma: no cover
            raise AssertionError(name)
        if way_out:
            check.terminated = True
        check.after(records, way_out=way_out)

    for record in rig.records:  # what the example exercised (see --hypothesis-show-statistics)
        if record.kind in (EventKind.ALARM, EventKind.NOTICE):
            event(record.reason.split(":")[0][:40])
    # Quit, then give the cuff time (past any 30 s alarm silence): it is down, or the
    # athlete is being told to release it by hand.
    records = rig.apply(sup.quit())
    check.terminated = True
    check.after(records, way_out=True)
    run_watched(rig, ALARM_SILENCE_S + 2.0)
    check.after([])
    assert rig.physics.true_mmhg < sup.limits.residual_mmhg or sup.alarm_level is AlarmLevel.RELEASE_BY_HAND, (
        f"cuff left at {rig.physics.true_mmhg:.0f} mmHg without a release-by-hand alarm"
    )


@settings(max_examples=40, deadline=None)
@given(
    limb=st.sampled_from(["arm", "leg"]),
    lop=st.floats(80, 300),
    pct=st.floats(0, 200),
    configured=st.one_of(st.none(), st.floats(1, 250)),
    profile_max=st.floats(1, 400),
)
def test_no_settings_can_produce_a_command_above_the_ceiling(limb, lop, pct, configured, profile_max) -> None:
    try:
        s = validate_settings(limb, lop, pct, max_mmhg=configured)
    except ValueError:
        return  # refused: nothing can be commanded
    rig = ClosedLoop(settings=s, params=CuffParams(max_mmhg=profile_max))
    rig.apply(rig.sup.set_started("Curl"))
    for cmd in rig.commands():
        assert cmd.target_mmhg <= min(profile_max, lop * (60 if limb == "arm" else 80) / 100, configured or 1e9, 250)
