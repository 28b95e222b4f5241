"""The simulated cuff on a real asyncio loop, run by the supervisor through CuffRunner at 20× speed."""

from __future__ import annotations

import asyncio

import pytest
from cuff_harness import supervised, waiter

from gymtui.bfr.events import AlarmLevel, CuffState, EventKind
from gymtui.bfr.rules import validate_settings
from gymtui.device_api import AdapterError, Cuff
from gymtui.model import CuffCommand, CuffCommandKind, PhaseKind
from gymtui.session.clock import ScaledClock
from gymtui.sim.cuff import Mode
from gymtui.sim.simulated_cuff import SimulatedCuff

SPEED = 20.0


until = waiter(SPEED, slack_s=1.0, poll_s=0.005)


def near(value: float | None, target: float, within: float) -> bool:
    return value is not None and abs(value - target) <= within


@pytest.fixture
async def running():
    clock = ScaledClock(SPEED)
    cuff = SimulatedCuff(speed=SPEED, clock=clock, seed=3)
    async with supervised(cuff, validate_settings("arm", 180, 50), clock=clock, speed=SPEED) as (runner, sup, records):
        yield runner, cuff, sup, records


def test_simulated_cuff_implements_the_cuff_protocol():
    assert isinstance(SimulatedCuff(), Cuff)


async def test_cuff_inflates_to_target_holds_and_esc_deflates(running):
    runner, cuff, sup, records = running
    runner.handle(sup.set_started("Curl"))
    runner.handle(sup.phase_changed(PhaseKind.ISOMETRIC))
    await until(lambda: sup.state is CuffState.HOLDING, 10)
    await until(lambda: near(sup.view().pressure_mmhg, 90, 4) and near(cuff.physics.true_mmhg, 90, 4), 3)
    runner.handle(sup.abort())  # Esc mid-isometric
    await until(lambda: cuff.physics.true_mmhg < 10, 1.5)
    kinds = [str(r.kind) for r in records]
    assert kinds.index("inflate") < kinds.index("hold") < len(kinds) - 1 - kinds[::-1].index("deflate")
    esc = next(i for i, c in enumerate(cuff.sent) if c.reason == "Esc: set aborted")
    assert all(c.kind is CuffCommandKind.DEFLATE for c in cuff.sent[esc:])  # (a re-send if the machine lagged)


async def test_rest_deflates_to_zero_and_work_brings_it_back(running):
    runner, _cuff, sup, _records = running
    runner.handle(sup.set_started("Curl"))
    await until(lambda: sup.state is CuffState.HOLDING, 10)
    runner.handle(sup.phase_changed(PhaseKind.REST))
    await until(lambda: (sup.view().pressure_mmhg or 99) < 2, 3)
    runner.handle(sup.phase_changed(PhaseKind.ACTIVATION))
    await until(lambda: sup.state is CuffState.HOLDING, 10)


async def test_stuck_pressure_fault_raises_the_alarm(running):
    runner, cuff, sup, records = running
    runner.handle(sup.set_started("Curl"))
    await until(lambda: sup.state is CuffState.HOLDING, 10)
    cuff.inject_stuck_sensor()
    await until(lambda: sup.alarm_level >= AlarmLevel.ALARM, 5)
    alarm = next(r for r in records if r.kind is EventKind.ALARM)
    assert "stuck" in alarm.reason
    await until(lambda: cuff.physics.true_mmhg < 10, 2)  # the deflate reached the cuff


async def test_lost_link_alarms_and_the_cuff_deflates_itself(running):
    runner, cuff, sup, _records = running
    runner.handle(sup.set_started("Curl"))
    await until(lambda: sup.state is CuffState.HOLDING, 10)
    cuff.simulate_link_loss()
    assert sup.alarm_level is AlarmLevel.RELEASE_BY_HAND
    assert "RELEASE THE CUFF BY HAND" in sup.view().message
    await until(lambda: cuff.physics.true_mmhg < 10, 2)
    with pytest.raises(AdapterError):
        await cuff.send(CuffCommand(CuffCommandKind.TARGET, 90.0))


async def test_the_watchdog_deflates_a_cuff_whose_central_stops_writing():
    clock = ScaledClock(SPEED)
    cuff = SimulatedCuff(speed=SPEED, clock=clock)
    await cuff.connect()
    await cuff.send(CuffCommand(CuffCommandKind.TARGET, 120.0))
    # No start(): nobody sends keep-alives. Five simulated seconds later the cuff has let go.
    # Not a wait for a condition: simulated time passes on purpose (the watchdog's 3 s
    # and the valve's ≤ 1.45 s); the sleep can only overshoot, never fall short.
    await asyncio.sleep(5 / SPEED)
    cuff._catch_up()
    assert cuff.physics.true_mmhg < 10
    await cuff.disconnect()


async def test_stop_deflates_before_disconnecting(running):
    runner, cuff, sup, records = running
    runner.handle(sup.set_started("Curl"))
    await until(lambda: sup.state is CuffState.HOLDING, 10)
    await runner.stop()
    assert cuff.sent[-1].kind is CuffCommandKind.DEFLATE
    # The quit's deflate, then at most the supervisor re-sending it while the valve empties
    # a bladder that a loaded machine's readings still show above 10 mmHg.
    quit_at = next(i for i, r in enumerate(records) if r.reason == "quit")
    assert records[quit_at].kind is EventKind.DEFLATE
    assert all(r.kind is EventKind.DEFLATE and r.reason.startswith("deflate re-sent") for r in records[quit_at + 1 :])
    assert cuff.physics.true_mmhg < 10
    assert sup.alarm_level is AlarmLevel.NONE  # a clean quit is not a lost link


async def test_esc_mid_isometric_deflates_within_a_second_following_the_real_engine(running):
    from gymtui.session.engine import PhaseStarted, SetEngine
    from gymtui.session.protocol import builtin_protocol

    runner, cuff, sup, records = running
    protocol = builtin_protocol("finisher")
    engine = SetEngine(protocol, sup._clock)
    runner.set_started(protocol)
    runner.follow(engine.start())

    def ticked_into_the_isometric() -> bool:
        events = engine.tick()
        runner.follow(events)
        return any(isinstance(e, PhaseStarted) and e.phase.kind is PhaseKind.ISOMETRIC for e in events)

    # Lead-ins, a 3 s hold and a 5 s eccentric come first.
    await until(ticked_into_the_isometric, 30)
    await until(lambda: sup.state is CuffState.HOLDING and cuff.physics.true_mmhg > 80, 10)
    esc_at = sup._clock()
    runner.follow(engine.abort())
    deflate = next(r for r in reversed(records) if r.kind is EventKind.DEFLATE)
    assert deflate.reason == "Esc: set aborted" and deflate.at_s - esc_at < 0.05  # issued in the same call
    await runner.flush()
    assert any(c.reason == "Esc: set aborted" for c in cuff.sent)  # ...and written to the cuff at once
    assert cuff.physics.mode is Mode.DEFLATE
    await until(lambda: cuff.physics.true_mmhg < 10, 1.5)
