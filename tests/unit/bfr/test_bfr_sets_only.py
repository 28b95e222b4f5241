"""The cuff inflates only for BFR sets: every other set keeps it down, and says so."""

from __future__ import annotations

import pytest

from gymtui.bfr.events import NOT_A_BFR_SET, CuffState, EventKind
from gymtui.model import CuffCommandKind, PhaseKind
from gymtui.sim.cuff_loop import ClosedLoop

WORK_KINDS = [PhaseKind.ACTIVATION, PhaseKind.REPS, PhaseKind.ISOMETRIC, PhaseKind.ECCENTRIC, PhaseKind.EXPLOSIVE]


@pytest.mark.parametrize("kind", WORK_KINDS)
def test_a_set_that_is_not_bfr_never_inflates_in_any_work_phase(rig: ClosedLoop, kind: PhaseKind) -> None:
    records = rig.apply(rig.sup.set_started("Back squat", kind, bfr=False))
    for phase in (kind, PhaseKind.REST, kind):
        records += rig.apply(rig.sup.phase_changed(phase))
        rig.run(3)
    rig.sup.resumed()
    assert [r for r in records if r.kind in (EventKind.INFLATE, EventKind.TARGET)] == []
    assert all(c.kind is CuffCommandKind.DEFLATE for c in rig.commands())
    assert rig.sup.state is CuffState.DEFLATED
    view = rig.sup.view()
    assert not view.bfr_set and view.target_mmhg is None and view.session_s == 0.0
    records += rig.apply(rig.sup.set_ended())
    assert rig.sup.view().bfr_set  # between sets the panel is back to its usual self


def test_a_bfr_set_after_heavy_sets_inflates_to_its_target_with_no_reperfusion_wait(rig: ClosedLoop) -> None:
    rig.apply(rig.sup.set_started("Leg extension", PhaseKind.REPS))
    rig.apply(rig.sup.phase_changed(PhaseKind.REPS))
    rig.run(5)
    assert rig.sup.state is CuffState.HOLDING
    rig.apply(rig.sup.set_ended())
    rig.run(8)
    used = rig.sup.session_occluded_s
    # A heavy squat set in between: the cuff stays down and charges nothing.
    rig.apply(rig.sup.set_started("Back squat", PhaseKind.REPS, bfr=False))
    rig.apply(rig.sup.phase_changed(PhaseKind.REPS))
    rig.run(20)
    rig.apply(rig.sup.set_ended())
    assert rig.sup.session_occluded_s == pytest.approx(used, abs=0.2)
    # Set 2 of the BFR leg extensions: straight back up, no reperfusion refusal for the squat.
    records = rig.apply(rig.sup.set_started("Leg extension", PhaseKind.REPS))
    assert [r.kind for r in records] == [EventKind.INFLATE]
    assert records[0].command.target_mmhg == pytest.approx(rig.sup.target_mmhg)


def test_a_cuff_up_when_a_non_bfr_set_starts_is_deflated_at_once(rig: ClosedLoop) -> None:
    rig.apply(rig.sup.set_started("Curl"))
    rig.apply(rig.sup.phase_changed(PhaseKind.REPS))
    rig.run(4)
    records = rig.apply(rig.sup.set_started("Pull-up", PhaseKind.REPS, bfr=False))
    assert [(r.kind, r.reason) for r in records] == [(EventKind.DEFLATE, NOT_A_BFR_SET)]
    assert records[0].command.kind is CuffCommandKind.DEFLATE
