"""The phase table: every kind has a row, and what a row says is what the cuff, the simulator and the metrics do."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gymtui.bfr.events import CuffState, EventKind
from gymtui.bfr.ledger import occluded_s
from gymtui.bfr.supervisor import BfrSupervisor
from gymtui.model import (
    WORK_PHASE_KINDS,
    CuffCommandKind,
    LinkHealth,
    LinkState,
    MuscleRole,
    PhaseKind,
)
from gymtui.phases import PHASE_TRAITS, traits_of
from gymtui.signal.metrics import NOT_WORK
from gymtui.sim.athlete import SimulatedAthlete
from gymtui.sim.cuff_loop import ClosedLoop
from gymtui.store import Store


def test_every_phase_kind_has_a_row() -> None:
    missing = [kind for kind in PhaseKind if kind not in PHASE_TRAITS]
    assert missing == [], f"add a row to gymtui.phases.PHASE_TRAITS for {missing}"
    assert set(PHASE_TRAITS) == set(PhaseKind)


def test_the_table_agrees_with_what_the_rest_of_the_app_calls_work() -> None:
    assert {k for k, t in PHASE_TRAITS.items() if t.is_work} == WORK_PHASE_KINDS - {PhaseKind.CALIBRATION}
    assert NOT_WORK == {"rest", "calibration"}
    assert [k for k, t in PHASE_TRAITS.items() if t.is_rest] == [PhaseKind.REST]
    assert [k for k, t in PHASE_TRAITS.items() if t.hold_metrics] == [PhaseKind.ISOMETRIC]
    assert not PHASE_TRAITS[PhaseKind.CALIBRATION].may_occlude
    assert traits_of("no such kind") is None


@pytest.mark.parametrize("kind", list(PhaseKind))
def test_the_simulated_athlete_follows_every_kind(kind: PhaseKind) -> None:
    athlete = SimulatedAthlete([MuscleRole.TARGET, MuscleRole.SYNERGIST], rate_hz=1000.0, seed=1)
    athlete.set_intent(kind)
    drive = athlete.drive(2000)
    assert drive.shape == (2000, 2) and np.all(np.isfinite(drive))


def _rig_with_table(table: dict[PhaseKind, object]) -> ClosedLoop:
    rig = ClosedLoop()
    rig.sup = BfrSupervisor(rig.settings, profile_max_mmhg=rig.params.max_mmhg, clock=rig.clock, phase_traits=table)
    rig.apply(rig.sup.link_changed(LinkHealth(LinkState.CONNECTED)))
    rig.run(1.0)
    return rig


def test_a_kind_with_a_row_inflates_the_cuff() -> None:
    rig = _rig_with_table(dict(PHASE_TRAITS))
    rig.apply(rig.sup.set_started("Curl", first_phase=PhaseKind.REST))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    rig.run(6)
    assert rig.sup.state is CuffState.HOLDING
    assert [r.reason for r in rig.records if r.kind is EventKind.INFLATE] == ["isometric phase: 50 % of LOP"]


def test_a_kind_without_a_row_never_inflates_the_cuff() -> None:
    table = {kind: traits for kind, traits in PHASE_TRAITS.items() if kind is not PhaseKind.ISOMETRIC}
    rig = _rig_with_table(table)
    rig.apply(rig.sup.set_started("Curl", first_phase=PhaseKind.ISOMETRIC))
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    rig.run(6)
    rig.apply(rig.sup.paused())
    rig.apply(rig.sup.resumed())
    rig.run(6)
    assert CuffCommandKind.TARGET not in [c.kind for c in rig.commands()]
    assert rig.sup.state is CuffState.DEFLATED and rig.physics.true_mmhg < 10

    # A kind with a row still inflates; going on to the kind without one deflates, and it stays down.
    rig.apply(rig.sup.phase_changed(PhaseKind.ACTIVATION))
    rig.run(6)
    assert rig.sup.state is CuffState.HOLDING
    records = rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    assert [(r.kind, r.reason) for r in records if r.command is not None] == [
        (EventKind.DEFLATE, "isometric phase runs without occlusion")
    ]
    up_commands = len([c for c in rig.commands() if c.kind is CuffCommandKind.TARGET])
    rig.apply(rig.sup.paused())
    rig.apply(rig.sup.resumed())
    rig.run(10)
    assert len([c for c in rig.commands() if c.kind is CuffCommandKind.TARGET]) == up_commands
    assert rig.sup.state is CuffState.DEFLATED and rig.physics.true_mmhg < 10


def test_the_store_reads_back_the_occlusion_the_supervisor_counted(rig: ClosedLoop, tmp_path) -> None:
    """A restart carries the session on: the count read from the log is the live count."""
    start = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    t0 = rig.clock.t
    for exercise in ("Curl", "Curl", "Pushdown"):
        rig.apply(rig.sup.set_started(exercise))
        rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
        rig.run(40)
        rig.apply(rig.sup.phase_changed(PhaseKind.REST))
        rig.run(30)
        rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
        rig.run(25)
        rig.apply(rig.sup.set_ended())
        rig.run(200)
    store = Store(tmp_path / "occ.db")
    session = store.start_session(store.ensure_athlete())
    for record in rig.records:
        at = (start + dt.timedelta(seconds=record.at_s - t0)).isoformat(timespec="milliseconds")
        store.log_cuff_event(str(record.kind), target_mmhg=record.target_mmhg, session_id=session, at=at)
    stored = store.cuff_occlusion_s(session_id=session)
    store.close()
    assert stored == pytest.approx(rig.commanded_up_s(), abs=0.01)
    assert stored == pytest.approx(3 * 65, abs=0.5)
    # the live ledger also counts the valve emptying the cuff after each deflate
    assert 0 <= rig.sup.session_occluded_s - stored < 3 * 2 * 2.0
    assert occluded_s((str(r.kind), r.at_s) for r in rig.records) == pytest.approx(stored, abs=0.01)


def test_occlusion_from_events_counts_inflate_to_deflate_and_an_open_one_to_the_last_event() -> None:
    events = [("inflate", 0.0), ("hold", 3.0), ("target", 20.0), ("deflate", 60.0), ("notice", 70.0),
              ("inflate", 120.0), ("alarm", 150.0)]
    assert occluded_s(events) == pytest.approx(60.0 + 30.0)
    assert occluded_s([]) == 0.0
    assert occluded_s([("hold", 0.0), ("deflate", 5.0)]) == 0.0
