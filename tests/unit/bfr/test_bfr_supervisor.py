"""The BFR supervisor in closed loop with the simulated cuff, on a fake clock."""

from __future__ import annotations

import pytest

from gymtui.bfr.events import AlarmLevel, CuffState, EventKind
from gymtui.bfr.rules import LIMBS, BfrLimits, BfrSettingsError, Limb, validate_settings
from gymtui.model import CuffCommandKind, LinkHealth, LinkState, PhaseKind
from gymtui.sim.cuff import CuffParams
from gymtui.sim.cuff_loop import ClosedLoop


def inflated_rig(**kw) -> ClosedLoop:
    rig = ClosedLoop(**kw)
    rig.apply(rig.sup.set_started("Curl"))
    rig.apply(rig.sup.phase_changed(PhaseKind.ACTIVATION))
    rig.run(6)
    assert rig.sup.state is CuffState.HOLDING
    return rig


# -- settings and targets ----------------------------------------------------------------
def test_target_is_the_chosen_percentage_of_the_limb_lop():
    rig = ClosedLoop(settings=validate_settings("leg", 200, 70))
    records = rig.apply(rig.sup.set_started("Leg press"))
    assert records[0].kind is EventKind.INFLATE
    assert records[0].command.kind is CuffCommandKind.TARGET
    assert records[0].command.target_mmhg == pytest.approx(140.0)


def test_literature_defaults_per_limb():
    assert validate_settings("arm", 180).target_pct == 50
    assert validate_settings("leg", 200).target_pct == 70
    assert LIMBS[Limb.ARM].recommended_pct == (40, 50)
    assert LIMBS[Limb.LEG].recommended_pct == (60, 80)


@pytest.mark.parametrize(
    ("limb", "lop", "pct", "fragment"),
    [
        ("arm", 180, 61, "30–60 %"),
        ("arm", 180, 29, "30–60 %"),
        ("leg", 200, 81, "40–80 %"),
        ("leg", 40, 70, "outside 80–300 mmHg"),
        ("leg", "abc", 70, "must be a number"),
        ("hand", 180, 50, "arm or leg"),
    ],
)
def test_settings_outside_the_hard_bounds_are_refused_with_one_line(limb, lop, pct, fragment):
    with pytest.raises(BfrSettingsError) as info:
        validate_settings(limb, lop, pct)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_refuses_to_inflate_a_cuff_it_has_not_heard_connect(rig: ClosedLoop):
    from gymtui.bfr.supervisor import BfrSupervisor

    sup = BfrSupervisor(rig.settings, profile_max_mmhg=300, clock=rig.clock)
    assert sup.state is CuffState.NOT_CONNECTED
    records = sup.set_started("Curl")
    assert [r.command for r in records if r.command] == []
    assert "not connected" in records[-1].reason
    first = sup.link_changed(LinkHealth(LinkState.CONNECTED))
    assert first[0].command.kind is CuffCommandKind.DEFLATE  # a known state before anything else


def test_refuses_to_inflate_without_a_lop_and_says_why():
    rig = ClosedLoop(settings=validate_settings("arm", None, 50))
    records = rig.apply(rig.sup.set_started("Curl"))
    assert all(c.kind is CuffCommandKind.DEFLATE for c in rig.commands())
    assert records[0].kind is EventKind.NOTICE and "no LOP" in records[0].reason
    assert "no LOP" in rig.sup.view().message


def test_ceiling_is_the_lowest_of_profile_configured_and_hard_percentage():
    rig = ClosedLoop(settings=validate_settings("leg", 300, 80, max_mmhg=200), params=CuffParams(max_mmhg=220))
    assert rig.sup.ceiling_mmhg == 200
    rig.apply(rig.sup.set_started("Leg press"))
    assert rig.commands()[-1].kind is CuffCommandKind.TARGET
    assert rig.commands()[-1].target_mmhg == 200  # 80 % of 300 = 240, clamped
    rig = ClosedLoop(settings=validate_settings("leg", 300, 80), params=CuffParams(max_mmhg=220))
    assert rig.sup.ceiling_mmhg == 220


# -- tracking and rests ----------------------------------------------------------------------
def test_pressure_tracks_the_target_and_logs_hold_when_reached():
    rig = inflated_rig()
    assert "hold" in rig.kinds()
    rig.run(20)
    view = rig.sup.view()
    assert view.pressure_mmhg == pytest.approx(90, abs=4)
    assert view.pct_lop == pytest.approx(50, abs=2.5)
    assert view.level is AlarmLevel.NONE


def test_rest_deflates_when_rest_deflate_is_on_and_work_reinflates():
    rig = inflated_rig()
    rig.apply(rig.sup.phase_changed(PhaseKind.REST))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    rig.run(3)
    assert rig.sup.view().pressure_mmhg < 5
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    assert rig.last_command_kind() is CuffCommandKind.TARGET
    rig.run(6)
    assert rig.sup.state is CuffState.HOLDING


def test_rest_holds_pressure_when_rest_deflate_is_off_but_not_beyond_two_minutes():
    rig = inflated_rig(settings=validate_settings("arm", 180, 50, rest_deflate=False))
    rig.apply(rig.sup.phase_changed(PhaseKind.REST))
    rig.run(60)
    assert rig.sup.state is CuffState.HOLDING
    rig.run(61)
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    assert "rest longer than 2:00" in rig.sup.view().message


# -- every way out --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "way_out",
    [
        lambda s: s.set_ended(),
        lambda s: s.abort(),
        lambda s: s.quit(),
        lambda s: s.exception("ZeroDivisionError"),
        lambda s: s.signal("SIGTERM"),
    ],
    ids=["set-done", "esc", "quit", "exception", "sigterm"],
)
def test_every_way_out_deflates_in_the_same_call_and_the_cuff_goes_down(way_out):
    rig = inflated_rig()
    records = rig.apply(way_out(rig.sup))
    assert any(r.command and r.command.kind is CuffCommandKind.DEFLATE for r in records)
    rig.run(2.0)
    assert rig.physics.true_mmhg < 10
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))  # a late phase event must not re-inflate
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE


def test_lost_link_raises_the_release_by_hand_alarm_and_the_cuff_deflates_itself():
    rig = inflated_rig()
    records = rig.lose_link()
    alarms = [r for r in records if r.kind is EventKind.ALARM]
    assert alarms and alarms[0].level is AlarmLevel.RELEASE_BY_HAND
    assert "RELEASE THE CUFF BY HAND" in alarms[0].reason
    rig.run(2)
    assert rig.physics.true_mmhg < 10  # the profile's link-loss rule
    assert rig.sup.view().state is CuffState.LINK_LOST
    rig.restore_link()
    rig.run(1)
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE  # no re-inflation until the next set
    rig.apply(rig.sup.set_started("Curl"))
    assert rig.last_command_kind() is CuffCommandKind.TARGET


def test_a_way_out_while_the_link_is_down_tells_the_athlete_to_release_by_hand():
    rig = inflated_rig()
    rig.lose_link()
    rig.sup.acknowledge()
    records = rig.apply(rig.sup.quit())
    assert any(r.level is AlarmLevel.RELEASE_BY_HAND for r in records)


# -- regulation faults ------------------------------------------------------------------------
def test_over_pressure_for_more_than_a_second_deflates_with_an_alarm():
    rig = inflated_rig()
    rig.physics.pump_runaway = True  # the pump sticks on: pressure climbs past the band
    rig.run(0.5)
    deviation_at = None
    for _ in range(200):
        rig.run(0.05)
        if deviation_at is None and rig.sup.view().pressure_mmhg > 90 + 15:
            deviation_at = rig.clock.t
        if rig.last_command_kind() is CuffCommandKind.DEFLATE:
            break
    assert deviation_at is not None
    assert rig.clock.t - deviation_at <= 1.0 + BfrLimits().tolerance_s
    assert "over-pressure" in rig.sup.view().message
    assert rig.sup.alarm_level >= AlarmLevel.ALARM


def test_a_cuff_that_ignores_deflate_ends_in_release_by_hand():
    rig = inflated_rig()
    rig.physics.pump_runaway = True
    rig.run(12)
    assert rig.sup.alarm_level is AlarmLevel.RELEASE_BY_HAND
    assert "RELEASE THE CUFF BY HAND" in rig.sup.view().message
    resends = [r for r in rig.records if r.reason.startswith("deflate re-sent")]
    assert 1 <= len(resends) <= 8


def test_pressure_not_reached_within_the_timeout_deflates_with_an_alarm():
    rig = ClosedLoop(params=CuffParams(pump_rate_mmhg_s=5.0))  # a weak pump
    rig.apply(rig.sup.set_started("Curl"))
    rig.run(BfrLimits().reach_timeout_s + 0.5)
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    assert "pressure not reached" in rig.sup.view().message


def test_leak_with_the_pump_running_continuously_deflates_after_seven_seconds():
    rig = inflated_rig()
    rig.physics.leak_extra_per_s = 0.43  # equilibrium ≈ 80 mmHg: inside the band, pump never stops
    rig.run(4)
    assert rig.sup.state is CuffState.HOLDING
    rig.run(8)
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    assert "leak" in rig.sup.view().message


def test_stuck_pressure_sensor_raises_the_alarm():
    rig = inflated_rig()
    rig.physics.stuck_at_mmhg = 89.0
    rig.run(4)
    assert rig.sup.alarm_level >= AlarmLevel.ALARM
    assert "stuck" in rig.sup.view().message
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE


def test_readings_that_stop_while_inflated_deflate_with_an_alarm():
    rig = inflated_rig()
    rig.readings_on = False
    rig.run(2.3)
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    assert "no pressure readings" in rig.sup.view().message.lower()
    assert rig.sup.alarm_level is AlarmLevel.RELEASE_BY_HAND  # blind: we cannot know it is down


def test_a_fault_keeps_the_cuff_down_until_the_next_set():
    rig = inflated_rig()
    rig.physics.stuck_at_mmhg = 89.0
    rig.run(4)
    rig.physics.stuck_at_mmhg = None
    rig.run(2)
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    rig.apply(rig.sup.set_started("Curl"))
    assert rig.last_command_kind() is CuffCommandKind.TARGET


# -- time caps ------------------------------------------------------------------------------
def test_exercise_cap_deflates_at_ten_minutes_and_says_why():
    rig = inflated_rig(settings=validate_settings("arm", 180, 50, rest_deflate=False))
    rig.run(600 - 6 - 1)
    assert rig.sup.state is CuffState.HOLDING
    rig.run(1.5)
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    view = rig.sup.view()
    assert "occlusion limit: 10:00 on Curl" in view.message
    assert 600 <= view.exercise_s <= 601  # the cap, plus the half second the valve takes to empty it
    assert any("1:00 of occlusion left" in r.reason for r in rig.records)
    # Restarting the set does not reset the cap.
    records = rig.apply(rig.sup.set_started("Curl"))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    assert "10:00 occlusion limit on Curl" in records[-1].reason


def test_session_cap_holds_across_exercises_aborts_and_pauses():
    rig = ClosedLoop(settings=validate_settings("arm", 180, 50, rest_deflate=False))
    exercises = ["Curl", "Pushdown", "Hammer curl"]
    for exercise in exercises:
        rig.apply(rig.sup.set_started(exercise))
        rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
        rig.run(200)  # a "pause" is just time passing with the cuff up
        rig.apply(rig.sup.abort())
        rig.run(181)  # reperfusion before the next exercise
    assert rig.sup.session_occluded_s == pytest.approx(600, abs=5)
    rig.apply(rig.sup.set_started("Wrist curl"))
    rig.run(310)
    assert rig.commanded_up_s() <= 15 * 60 + 0.5  # deflate commanded within a tick of the cap
    assert rig.sup.session_occluded_s <= 15 * 60 + 1.5  # ...and the valve has emptied it
    assert "session occlusion limit: 15:00 (arm)" in rig.sup.view().message
    rig.run(200)
    rig.apply(rig.sup.set_started("Reverse curl"))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE


def test_changing_exercise_needs_three_minutes_of_reperfusion():
    rig = inflated_rig()
    rig.apply(rig.sup.set_ended())
    rig.run(60)
    records = rig.apply(rig.sup.set_started("Pushdown"))
    assert records[-1].kind is EventKind.NOTICE and "reperfusion" in records[-1].reason
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    rig.run(125)  # the refusal lifts by itself once 3 min have passed
    assert rig.last_command_kind() is CuffCommandKind.TARGET


def test_prior_session_time_counts_towards_the_cap(rig: ClosedLoop):
    from gymtui.bfr.supervisor import BfrSupervisor

    sup = BfrSupervisor(rig.settings, profile_max_mmhg=300, clock=rig.clock, prior_session_s=15 * 60)
    sup.link_changed(LinkHealth(LinkState.CONNECTED))
    records = sup.set_started("Curl")
    assert all(r.command is None for r in records)
    assert "session occlusion limit" in records[-1].reason


def test_a_set_that_opens_with_mvc_calibration_inflates_at_its_first_work_phase(rig: ClosedLoop):
    rig.apply(rig.sup.set_started("Curl", first_phase=PhaseKind.CALIBRATION))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE  # only the connect-time deflate
    rig.apply(rig.sup.phase_changed(PhaseKind.CALIBRATION))
    rig.run(3)
    assert rig.physics.true_mmhg < 1
    rig.apply(rig.sup.phase_changed(PhaseKind.ACTIVATION))
    assert rig.last_command_kind() is CuffCommandKind.TARGET


def test_a_reconnected_cuff_that_deflated_itself_raises_no_false_alarm():
    rig = inflated_rig()
    rig.lose_link()
    rig.run(10)  # the cuff let go by itself meanwhile
    rig.sup.acknowledge()
    rig.restore_link()
    rig.apply(rig.sup.tick())  # a tick before the first reading on the new link
    rig.run(8)
    assert rig.sup.alarm_level is AlarmLevel.NONE
    assert not any("DID NOT DEFLATE" in r.reason for r in rig.records)
    rig.apply(rig.sup.set_started("Curl"))  # the next set may use the cuff again
    assert rig.last_command_kind() is CuffCommandKind.TARGET


def test_a_cuff_that_did_not_deflate_stays_locked_for_the_next_set():
    rig = inflated_rig()
    rig.physics.pump_runaway = True
    rig.run(12)
    assert rig.sup.alarm_level is AlarmLevel.RELEASE_BY_HAND
    records = rig.apply(rig.sup.set_started("Curl"))
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    assert any("locked after a fault" in r.reason for r in records)


def test_an_acknowledged_alarm_comes_back_after_30_s_while_its_cause_stands():
    rig = inflated_rig()
    rig.physics.pump_runaway = True  # the cuff will not let go
    rig.run(15)  # over-pressure, pump runs on its own, did not deflate: all raised
    assert rig.sup.alarm_level is AlarmLevel.RELEASE_BY_HAND
    rig.sup.acknowledge()
    rig.run(20)
    assert rig.sup.alarm_level < AlarmLevel.RELEASE_BY_HAND  # silenced (new faults may still speak)
    rig.run(11)
    assert rig.sup.alarm_level is AlarmLevel.RELEASE_BY_HAND
    assert "RELEASE THE CUFF BY HAND" in rig.sup.view().message


def test_pausing_a_set_deflates_and_resuming_a_work_phase_brings_it_back():
    rig = inflated_rig()
    rig.apply(rig.sup.paused())
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    rig.run(30)
    assert rig.physics.true_mmhg < 1
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))  # nothing inflates while paused
    assert rig.last_command_kind() is CuffCommandKind.DEFLATE
    rig.apply(rig.sup.resumed())
    assert rig.last_command_kind() is CuffCommandKind.TARGET


def test_limits_may_be_made_stricter_but_never_looser() -> None:
    from gymtui.bfr.rules import BfrLimits, Limb, stricter_or_default

    assert stricter_or_default(None) == BfrLimits()
    strict = BfrLimits(exercise_cap_s=300.0, inflated_rest_max_s=60.0)
    assert stricter_or_default(strict) is strict
    with pytest.raises(ValueError, match="exercise_cap_s"):
        stricter_or_default(BfrLimits(exercise_cap_s=900.0))
    with pytest.raises(ValueError, match=r"session cap \(arm\)"):
        stricter_or_default(BfrLimits(session_cap_s={Limb.ARM: 30 * 60.0, Limb.LEG: 20 * 60.0}))
    with pytest.raises(ValueError, match="reperfusion_s"):
        stricter_or_default(BfrLimits(reperfusion_s=10.0))


# -- a timed phase's due end: the supervisor does not wait for the screen's tick -------------------
def deflates_of(rig: ClosedLoop) -> list[tuple[float, str]]:
    return [(r.at_s, r.reason) for r in rig.records if r.command is not None and r.command.kind is CuffCommandKind.DEFLATE]


def test_the_last_rest_ends_the_set_at_its_due_end_without_waiting_for_the_app():
    rig = inflated_rig(settings=validate_settings("arm", 180, 50, rest_deflate=False))
    start = rig.clock.t
    rig.apply(rig.sup.phase_changed(PhaseKind.REST, at_s=start, ends_at_s=start + 4.0, last=True))
    assert rig.sup.next_deadline_s() == pytest.approx(start + 4.0)
    before = len(deflates_of(rig))
    rig.run(3.9)
    assert rig.sup.state is CuffState.HOLDING  # the rest holds the cuff up until its end
    rig.run(0.3)
    (t_s, reason), = deflates_of(rig)[before:]
    assert reason == "set done" and start + 4.0 <= t_s <= start + 4.0 + rig.reading_s + 1e-9
    # The app's SetFinished arrives late, after a busy frame: the way out is not repeated.
    assert rig.apply(rig.sup.set_ended()) == []
    rig.run(3)
    assert rig.sup.view().pressure_mmhg < 10


def test_a_work_phase_ending_into_a_deflating_rest_deflates_at_its_due_end():
    rig = inflated_rig()  # rest-deflate on
    start = rig.clock.t
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC, at_s=start, ends_at_s=start + 5.0, next_kind=PhaseKind.REST))
    before = len(deflates_of(rig))
    rig.run(4.9)
    assert deflates_of(rig)[before:] == []
    rig.run(0.3)
    assert [reason for _, reason in deflates_of(rig)[before:]] == ["rest (rest-deflate on)"]
    rig.apply(rig.sup.phase_changed(PhaseKind.REST))  # the app's late word of the rest adds no second command
    assert [reason for _, reason in deflates_of(rig)[before:]] == ["rest (rest-deflate on)"]
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    assert rig.last_command_kind() is CuffCommandKind.TARGET  # the next work phase inflates as ever


def test_a_due_end_never_inflates_and_an_occluding_next_phase_sets_none():
    rig = inflated_rig()
    start = rig.clock.t
    rig.apply(rig.sup.phase_changed(PhaseKind.ACTIVATION, at_s=start, ends_at_s=start + 3.0, next_kind=PhaseKind.ISOMETRIC))
    commands_before = len(rig.commands())
    rig.run(5)
    assert len(rig.commands()) == commands_before  # nothing changes at the end of one occluding phase into another
    assert rig.sup.state is CuffState.HOLDING


def test_a_rest_made_longer_at_the_rack_moves_the_set_end_with_it():
    rig = inflated_rig(settings=validate_settings("arm", 180, 50, rest_deflate=False))
    start = rig.clock.t
    rig.apply(rig.sup.phase_changed(PhaseKind.REST, at_s=start, ends_at_s=start + 4.0, last=True))
    rig.apply(rig.sup.phase_end_moved(start + 19.0))  # "+" at the rack: 15 s more
    assert rig.sup.next_deadline_s() == pytest.approx(start + 19.0)
    rig.run(18.8)
    assert rig.sup.state is CuffState.HOLDING
    rig.run(0.5)
    assert deflates_of(rig)[-1][1] == "set done"


def test_a_paused_set_forgets_its_due_end_until_the_app_speaks_again():
    rig = inflated_rig(settings=validate_settings("arm", 180, 50, rest_deflate=False))
    start = rig.clock.t
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC, at_s=start, ends_at_s=start + 5.0, last=True))
    rig.apply(rig.sup.paused())
    assert deflates_of(rig)[-1][1] == "set paused"
    rig.apply(rig.sup.resumed())
    assert rig.last_command_kind() is CuffCommandKind.TARGET
    rig.run(8)  # past the old due end: the paused phase's end moved, and only the app knows where
    assert rig.sup.state is CuffState.HOLDING
    assert [reason for _, reason in deflates_of(rig)].count("set done") == 0
