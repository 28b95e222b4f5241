"""The session engine, driven by a fake clock."""

from __future__ import annotations

import pytest

from gymtui.model import PhaseKind
from gymtui.session.engine import (
    Cue,
    CueKind,
    EndedBy,
    LeadInStarted,
    PhaseEnded,
    PhaseStarted,
    SetAborted,
    SetCompleted,
    SetEngine,
    SetFinished,
    Stage,
)
from gymtui.session.protocol import PhaseSpec, SetProtocol, builtin_protocol


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


def run_until_idle(engine: SetEngine, clock: FakeClock, step_s: float = 0.05, limit_s: float = 600) -> list:
    events = engine.start()
    waited = 0.0
    while engine.running and waited < limit_s:
        clock.advance(step_s)
        waited += step_s
        events += engine.tick()
    return events


@pytest.fixture
def finisher() -> SetProtocol:
    return builtin_protocol("finisher")


def test_finisher_protocol_is_the_guides_phase_4(finisher: SetProtocol) -> None:
    kinds = [(p.kind, p.duration_s) for p in finisher.phases]
    assert kinds == [
        (PhaseKind.ACTIVATION, 3.0),
        (PhaseKind.ECCENTRIC, 5.0),
        (PhaseKind.ISOMETRIC, 15.0),
        (PhaseKind.REST, 90.0),
    ]


def test_phases_run_in_order_with_their_exact_durations(finisher: SetProtocol) -> None:
    clock = FakeClock()
    events = run_until_idle(SetEngine(finisher, clock), clock, step_s=0.37)
    ended = [e for e in events if isinstance(e, PhaseEnded)]
    assert [e.phase.kind for e in ended] == [PhaseKind.ACTIVATION, PhaseKind.ECCENTRIC, PhaseKind.ISOMETRIC, PhaseKind.REST]
    # Durations are exact even though the ticks (0.37 s) never land on a boundary.
    assert [e.duration_s for e in ended] == pytest.approx([3.0, 5.0, 15.0, 90.0])
    assert all(e.ended_by is EndedBy.TIME for e in ended)


def test_isometric_hold_counts_down_15s(finisher: SetProtocol) -> None:
    clock = FakeClock()
    engine = SetEngine(finisher, clock)
    engine.start()
    limit_s = clock.now_s + 60  # simulated: lead-ins, the 3 s hold and the 5 s eccentric come first
    while not (engine.stage is Stage.PHASE and engine.current_phase.kind is PhaseKind.ISOMETRIC):
        assert clock.now_s < limit_s, "the isometric never started"
        clock.advance(0.01)
        engine.tick()
    assert engine.view().remaining_s == pytest.approx(15.0, abs=0.011)
    clock.advance(10.0)
    engine.tick()
    assert engine.view().remaining_s == pytest.approx(5.0, abs=0.011)
    clock.advance(5.0)
    engine.tick()
    assert engine.current_phase.kind is PhaseKind.REST


def test_each_work_phase_has_a_3_2_1_lead_in_then_go(finisher: SetProtocol) -> None:
    clock = FakeClock()
    events = run_until_idle(SetEngine(finisher, clock), clock, step_s=0.1)
    starts = {e.index: e.at_s for e in events if isinstance(e, PhaseStarted)}
    lead_ins = [e for e in events if isinstance(e, LeadInStarted)]
    assert [e.next_phase.kind for e in lead_ins] == [PhaseKind.ACTIVATION, PhaseKind.ECCENTRIC, PhaseKind.ISOMETRIC]
    for lead in lead_ins:
        counts = [
            e for e in events
            if isinstance(e, Cue) and e.kind is CueKind.COUNT and lead.at_s <= e.at_s < starts[lead.next_index]
        ]
        assert [c.at_s - lead.at_s for c in counts] == pytest.approx([0.0, 1.0, 2.0])
        assert [c.text[-1] for c in counts] == ["3", "2", "1"]
        assert starts[lead.next_index] - lead.at_s == pytest.approx(3.0)
        go = [e for e in events if isinstance(e, Cue) and e.kind is CueKind.GO and e.at_s == starts[lead.next_index]]
        assert len(go) == 1 and go[0].flash and go[0].bell


def test_rest_starts_at_once_and_counts_its_last_three_seconds(finisher: SetProtocol) -> None:
    clock = FakeClock()
    events = run_until_idle(SetEngine(finisher, clock), clock, step_s=0.1)
    rest_start = next(e for e in events if isinstance(e, PhaseStarted) and e.phase.kind is PhaseKind.REST)
    completed = next(e for e in events if isinstance(e, SetCompleted))
    assert rest_start.at_s == completed.at_s
    rest_counts = [e for e in events if isinstance(e, Cue) and e.kind is CueKind.COUNT and e.at_s > rest_start.at_s]
    assert [c.at_s - rest_start.at_s for c in rest_counts] == pytest.approx([87.0, 88.0, 89.0])
    assert isinstance(events[-1], SetFinished)


def test_set_completes_when_the_last_work_phase_ends(finisher: SetProtocol) -> None:
    clock = FakeClock()
    engine = SetEngine(finisher, clock)
    events = engine.start()
    limit_s = clock.now_s + 60  # simulated
    while not engine.completed:
        assert clock.now_s < limit_s, "the set never completed"
        clock.advance(0.05)
        events += engine.tick()
    iso_end = next(e for e in events if isinstance(e, PhaseEnded) and e.phase.kind is PhaseKind.ISOMETRIC)
    assert next(e for e in events if isinstance(e, SetCompleted)).at_s == iso_end.at_s
    assert engine.running and not engine.in_work  # resting, set already complete


def test_space_skips_rest_but_not_a_timed_work_phase(finisher: SetProtocol) -> None:
    clock = FakeClock()
    engine = SetEngine(finisher, clock)
    engine.start()
    clock.advance(4.0)  # lead-in over, activation hold running
    engine.tick()
    assert engine.current_phase.kind is PhaseKind.ACTIVATION
    assert not engine.can_advance and engine.advance() == []
    limit_s = clock.now_s + 60  # simulated
    while engine.current_phase.kind is not PhaseKind.REST:
        assert clock.now_s < limit_s, "the rest never started"
        clock.advance(0.1)
        engine.tick()
    clock.advance(10.0)
    engine.tick()
    events = engine.advance()
    ended = [e for e in events if isinstance(e, PhaseEnded)]
    assert ended[0].ended_by is EndedBy.ATHLETE and ended[0].duration_s == pytest.approx(10.0, abs=0.11)
    assert isinstance(events[-1], SetFinished) and engine.stage is Stage.FINISHED


def test_a_phase_without_seconds_waits_for_the_athlete() -> None:
    protocol = SetProtocol(
        "reps", "Squat",
        (PhaseSpec(PhaseKind.REPS, "Working set", None, "8 reps, Space when racked"),),
        lead_in_s=0,
    )
    clock = FakeClock()
    engine = SetEngine(protocol, clock)
    engine.start()
    clock.advance(120.0)
    assert engine.tick() == [] and engine.view().remaining_s is None
    events = engine.advance()
    assert [type(e) for e in events if not isinstance(e, Cue)] == [PhaseEnded, SetCompleted, SetFinished]
    assert events[0].duration_s == pytest.approx(120.0)


def test_pause_freezes_the_countdown_and_resume_continues_it(finisher: SetProtocol) -> None:
    clock = FakeClock()
    engine = SetEngine(finisher, clock)
    engine.start()
    clock.advance(4.0)
    engine.tick()
    remaining = engine.view().remaining_s
    engine.pause()
    clock.advance(30.0)
    assert engine.tick() == []
    assert engine.view().remaining_s == pytest.approx(remaining)
    engine.resume()
    clock.advance(remaining + 0.01)
    events = engine.tick()
    ended = next(e for e in events if isinstance(e, PhaseEnded))
    assert ended.duration_s == pytest.approx(3.0)


def test_abort_records_the_running_phase_and_stops(finisher: SetProtocol) -> None:
    clock = FakeClock()
    engine = SetEngine(finisher, clock)
    engine.start()
    clock.advance(3.0 + 3.0 + 3.0 + 2.5)  # into the eccentric
    engine.tick()
    events = engine.abort()
    ended = [e for e in events if isinstance(e, PhaseEnded)]
    assert ended[0].phase.kind is PhaseKind.ECCENTRIC and ended[0].ended_by is EndedBy.ABORT
    assert ended[0].duration_s == pytest.approx(2.5)
    assert isinstance(events[-1], SetAborted)
    assert not engine.running and not engine.completed
    clock.advance(100)
    assert engine.tick() == []


def test_a_slow_screen_gets_every_boundary_at_its_due_time(finisher: SetProtocol) -> None:
    clock = FakeClock()
    engine = SetEngine(finisher, clock)
    start = clock.now_s
    engine.start()
    clock.advance(40.0)  # one tick after 40 s: lead-ins and three phases all fell due
    events = engine.tick()
    started = [(e.phase.kind, e.at_s - start) for e in events if isinstance(e, PhaseStarted)]
    assert started == [
        (PhaseKind.ACTIVATION, pytest.approx(3.0)),
        (PhaseKind.ECCENTRIC, pytest.approx(9.0)),
        (PhaseKind.ISOMETRIC, pytest.approx(17.0)),
        (PhaseKind.REST, pytest.approx(32.0)),
    ]


def test_calibration_runs_as_the_first_phase(finisher: SetProtocol) -> None:
    clock = FakeClock()
    events = run_until_idle(SetEngine(finisher.with_calibration(3.0), clock), clock)
    kinds = [e.phase.kind for e in events if isinstance(e, PhaseStarted)]
    assert kinds[0] is PhaseKind.CALIBRATION and kinds[1:] == [
        PhaseKind.ACTIVATION, PhaseKind.ECCENTRIC, PhaseKind.ISOMETRIC, PhaseKind.REST]
