"""The BLE cuff adapter over a real GATT exchange with an emulated cuff (bleak over bumble).

Needs the BLE issue's bleak backend over bumble (``gymtui.emulation``); skips without it.
"""

from __future__ import annotations

import pytest
from cuff_harness import supervised, waiter

pytest.importorskip("bumble")
bumble_backend = pytest.importorskip(
    "gymtui.emulation.bumble_backend", reason="needs the bleak-over-bumble backend from the BLE issue"
)

from gymtui.adapters.ble_cuff import BleCuff
from gymtui.bfr.codec import decode_command
from gymtui.bfr.events import AlarmLevel, CuffState, EventKind
from gymtui.bfr.rules import validate_settings
from gymtui.device_api import AdapterError
from gymtui.emulation.cuff import EmulatedCuff
from gymtui.model import CuffCommand, CuffCommandKind, PhaseKind
from gymtui.session.clock import ScaledClock

SPEED = 5.0


until = waiter(SPEED, slack_s=2.0, poll_s=0.01)


def near(value: float | None, target: float, within: float) -> bool:
    return value is not None and abs(value - target) <= within


@pytest.fixture
async def ble_rig():
    world = bumble_backend.BumbleWorld()
    clock = ScaledClock(SPEED)
    emulated = EmulatedCuff(world.new_device("gymtui-cuff-1"), speed=SPEED, clock=clock)
    await emulated.start()
    cuff = BleCuff(
        emulated.address,
        clock=clock,
        speed=SPEED,
        scanner_backend=world.scanner_backend,
        client_backend=world.client_backend,
        reconnect_delays_s=(0.05,),
    )
    async with supervised(cuff, validate_settings("leg", 200, 70), clock=clock, speed=SPEED) as (runner, sup, records):
        yield emulated, cuff, sup, runner, records
    await emulated.close()
    await world.close()


async def test_ble_cuff_connects_deflates_first_then_tracks_the_target_over_gatt(ble_rig):
    emulated, cuff, sup, runner, _records = ble_rig
    assert decode_command(emulated.writes[0]).opcode == 0x03  # a known state before anything else
    runner.handle(sup.set_started("Leg press"))
    runner.handle(sup.phase_changed(PhaseKind.ISOMETRIC))
    await until(lambda: sup.state is CuffState.HOLDING, 12)
    await until(lambda: near(sup.view().pressure_mmhg, 140, 5) and near(emulated.physics.true_mmhg, 140, 5), 2)
    runner.handle(sup.abort())
    await until(lambda: emulated.physics.true_mmhg < 10, 2)
    assert cuff.malformed == 0


async def test_ble_link_loss_makes_the_cuff_deflate_itself_and_the_app_alarm(ble_rig):
    emulated, cuff, sup, runner, records = ble_rig
    runner.handle(sup.set_started("Leg press"))
    await until(lambda: sup.state is CuffState.HOLDING, 12)
    await emulated.drop_link()
    await until(lambda: sup.alarm_level is AlarmLevel.RELEASE_BY_HAND, 1)
    emulated.catch_up()
    emulated.physics.step(1.5)
    assert emulated.physics.true_mmhg < 10  # the profile's link-loss rule, cuff side
    assert any(r.kind is EventKind.ALARM and "RELEASE THE CUFF BY HAND" in r.reason for r in records)
    await until(lambda: sup.view().link_ok, 20)  # BleCuff reconnects by itself
    assert cuff.reconnects == 1
    assert decode_command(emulated.writes[-1]).opcode in (0x03, 0x04)  # deflate first, then keep-alives


async def test_a_target_the_cuff_rejects_is_reported(ble_rig):
    _emulated, cuff, _sup, _runner, _records = ble_rig
    with pytest.raises(AdapterError, match="rejected target 320"):
        await cuff.send(CuffCommand(CuffCommandKind.TARGET, 320.0))
