"""The coach's board: the newest status per rack, who is there, who is lost, and alarms until acknowledged."""

from __future__ import annotations

from gymtui.gym.board import Board
from gymtui.gym.payloads import CuffLevel, RackEvent, RackPresence, RackStatus

T0 = 1_700_000_000.0


def status(rack: str, seq: int, sent_at: float, **fields: object) -> RackStatus:
    return RackStatus(rack=rack, sent_at=sent_at, seq=seq, **fields)  # type: ignore[arg-type]


def alarm_event(rack: str, seq: int, at: float, text: str | None = "pressure over 300 mmHg") -> RackEvent:
    return RackEvent(rack=rack, kind="cuff_alarm", at=at, seq=seq, text=text)


def test_a_late_status_does_not_replace_a_newer_one() -> None:
    board = Board()
    assert board.status(status("rack-1", 7, T0 + 1.4, athlete="Sam", set_n=3), now=10.0)
    assert not board.status(status("rack-1", 5, T0 + 1.0, athlete="Sam", set_n=2), now=10.1)
    shown = board.get("rack-1")
    assert shown is not None and shown.status is not None
    assert (shown.status.seq, shown.status.set_n) == (7, 3)
    assert board.dropped_stale == 1


def test_a_restarted_rack_counting_from_zero_again_is_shown() -> None:
    board = Board()
    board.status(status("rack-1", 900, T0, athlete="Sam"), now=10.0)
    board.presence(RackPresence(rack="rack-1", state="lost"), now=11.0, wall_now=T0 + 1)
    board.presence(RackPresence(rack="rack-1", state="online", at=T0 + 20), now=30.0, wall_now=T0 + 20)
    assert board.status(status("rack-1", 0, T0 + 20.2, athlete="Ada"), now=30.2)
    state = board.get("rack-1")
    assert state is not None and state.status is not None
    assert (state.presence, state.status.athlete) == ("online", "Ada")


def test_a_restart_is_seen_from_the_clock_even_when_the_online_message_is_missed() -> None:
    board = Board()
    board.status(status("rack-1", 900, T0, athlete="Sam"), now=10.0)
    assert board.status(status("rack-1", 3, T0 + 15, athlete="Ada"), now=25.0)
    state = board.get("rack-1")
    assert state is not None and state.status is not None and state.status.athlete == "Ada"


def test_a_rack_silent_past_one_and_a_half_keepalives_is_lost_without_its_will() -> None:
    board = Board(keepalive_s=4)
    board.presence(RackPresence(rack="rack-2", state="online", at=T0, keepalive_s=4), now=0.0, wall_now=T0)
    board.status(status("rack-2", 1, T0 + 1), now=1.0)
    assert board.sweep(now=6.9, wall_now=T0 + 6.9) == []
    assert board.sweep(now=7.1, wall_now=T0 + 7.1) == ["rack-2"]
    state = board.get("rack-2")
    assert state is not None and state.presence == "lost"
    assert state.since is not None and abs(state.since - (T0 + 1.0)) < 1e-6, "lost since it fell silent"
    assert board.sweep(now=20.0, wall_now=T0 + 20) == [], "lost once, not at every sweep"


def test_a_lost_rack_that_speaks_again_is_online() -> None:
    board = Board(keepalive_s=2)
    board.status(status("rack-3", 1, T0), now=0.0)
    board.sweep(now=10.0, wall_now=T0 + 10)
    board.status(status("rack-3", 2, T0 + 10.5), now=10.5)
    state = board.get("rack-3")
    assert state is not None and state.presence == "online"


def test_the_will_marks_a_rack_lost_and_a_clean_goodbye_offline() -> None:
    board = Board()
    board.presence(RackPresence(rack="rack-1", state="online", at=T0), now=0.0, wall_now=T0)
    board.presence(RackPresence(rack="rack-2", state="online", at=T0), now=0.0, wall_now=T0)
    board.presence(RackPresence(rack="rack-1", state="lost"), now=3.0, wall_now=T0 + 3)
    board.presence(RackPresence(rack="rack-2", state="offline", at=T0 + 4), now=4.0, wall_now=T0 + 4)
    states = {s.rack: (s.presence, s.since) for s in board.racks()}
    assert states == {"rack-1": ("lost", T0 + 3), "rack-2": ("offline", T0 + 4)}


def test_a_cuff_alarm_waits_until_acknowledged_and_several_queue_in_order() -> None:
    board = Board()
    assert board.event(alarm_event("rack-4", 1, T0), now=0.0) is not None
    board.status(status("rack-6", 1, T0 + 1, cuff=CuffLevel(state="alarm", alarm="cuff lost")), now=1.0)
    assert [(a.rack, a.reason) for a in board.alarms] == [("rack-4", "pressure over 300 mmHg"), ("rack-6", "cuff lost")]
    for _ in range(3):
        board.sweep(now=2.0, wall_now=T0 + 2)
    assert len(board.alarms) == 2, "nothing but an acknowledgement takes an alarm away"
    first = board.acknowledge()
    assert first is not None and first.rack == "rack-4"
    assert [a.rack for a in board.alarms] == ["rack-6"]
    assert board.get("rack-4") is not None and board.get("rack-4").alarm is None  # type: ignore[union-attr]
    assert board.get("rack-6").alarm == "cuff lost"  # type: ignore[union-attr]


def test_one_alarm_seen_in_the_status_and_as_an_event_is_raised_once() -> None:
    board = Board()
    cuff = CuffLevel(state="alarm", pressure_mmhg=310, alarm="pressure over 300 mmHg")
    board.status(status("rack-1", 1, T0, cuff=cuff), now=0.0)
    assert board.event(alarm_event("rack-1", 41, T0 + 0.05), now=0.1) is None
    board.status(status("rack-1", 2, T0 + 0.2, cuff=cuff), now=0.2)
    assert len(board.alarms) == 1


def test_an_acknowledged_alarm_still_in_the_status_is_not_raised_again_until_it_clears() -> None:
    board = Board()
    cuff = CuffLevel(state="alarm", alarm="pressure over 300 mmHg")
    board.status(status("rack-1", 1, T0, cuff=cuff), now=0.0)
    board.acknowledge()
    board.status(status("rack-1", 2, T0 + 0.2, cuff=cuff), now=0.2)
    assert board.alarms == ()
    board.status(status("rack-1", 3, T0 + 0.4, cuff=CuffLevel(state="off")), now=0.4)
    board.status(status("rack-1", 4, T0 + 30, cuff=cuff), now=30.0)
    assert [a.rack for a in board.alarms] == ["rack-1"], "a new alarm after it cleared"


def test_an_event_delivered_twice_raises_one_alarm() -> None:
    board = Board()
    board.event(alarm_event("rack-1", 9, T0), now=0.0)
    board.acknowledge()
    assert board.event(alarm_event("rack-1", 9, T0), now=1.0) is None
    assert board.alarms == ()


def test_the_view_redraws_only_racks_that_changed() -> None:
    board = Board()
    board.status(status("rack-10", 1, T0), now=0.0)
    board.status(status("rack-2", 1, T0), now=0.0)
    assert [s.rack for s in board.take_changed()] == ["rack-2", "rack-10"]
    assert board.take_changed() == []
    board.status(status("rack-2", 2, T0 + 0.2), now=0.2)
    assert [s.rack for s in board.take_changed()] == ["rack-2"]
