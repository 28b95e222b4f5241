"""The Myo's vibrate command through the real bleak API against the emulated armband.

A form cue's buzz is one write of the profile's ``[vibrate]`` bytes to the
command characteristic; the emulated Myo obeys it and records it. A buzz
that cannot be sent (too slow, or no link) returns False, is logged once,
and never stops the stream.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from waiting import wait_until_async

from gymtui.emulation.stack import open_emulated_source

pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")

SPEED = 10.0
COMMAND = "d5060401-a904-deb9-4748-2c7f4a124842"
SHORT_BUZZ = bytes.fromhex("030101")


class Blocks:
    def __init__(self) -> None:
        self.samples = 0

    def on_block(self, block) -> None:
        self.samples += block.n_samples


async def test_the_emulated_myo_receives_a_short_vibrate_between_start_up_and_shut_down() -> None:
    source, handle = await open_emulated_source("myo", speed=SPEED, seed=1)
    got = Blocks()
    try:
        assert source.can_vibrate
        await source.connect(timeout_s=5)
        await source.start(got.on_block)
        await wait_until_async(lambda: got.samples >= 200, 30, "the stream")
        assert await source.vibrate() is True
        assert [length for _, length in handle.sensor.vibrations] == [1]  # 01: short
        streamed = got.samples
        await wait_until_async(lambda: got.samples > streamed + 100, 30, "the stream going on after the buzz")
    finally:
        await source.disconnect()
        await handle.close()
    assert handle.sensor.writes == [
        (COMMAND, bytes.fromhex("090101")),
        (COMMAND, bytes.fromhex("0103030000")),
        (COMMAND, SHORT_BUZZ),
        (COMMAND, bytes.fromhex("0103000000")),
        (COMMAND, bytes.fromhex("090100")),
    ]


async def test_a_buzz_that_cannot_be_sent_returns_false_is_logged_once_and_the_stream_goes_on(caplog) -> None:
    source, handle = await open_emulated_source("myo", speed=SPEED, seed=2)
    got = Blocks()
    caplog.set_level(logging.WARNING, logger="gymtui.adapters.ble")
    try:
        assert await source.vibrate() is False  # not connected yet: nothing to write to, nothing raised
        await source.connect(timeout_s=5)
        await source.start(got.on_block)
        await wait_until_async(lambda: got.samples >= 200, 30, "the stream")
        # A radio slower than the deadline: every buzz gives up, the first one says so.
        results = [await source.vibrate(timeout_s=0.0) for _ in range(3)]
        assert results == [False, False, False]
        warnings = [r.getMessage() for r in caplog.records if "vibrate failed" in r.getMessage()]
        assert len(warnings) == 1 and "cues go on without it" in warnings[0]
        streamed = got.samples
        await wait_until_async(lambda: got.samples > streamed + 100, 30, "the stream going on after failed buzzes")
        arrived = len(handle.sensor.vibrations)  # a write given up on may still have reached the armband
        assert await source.vibrate() is True  # a buzz within the deadline still gets through
        await wait_until_async(lambda: len(handle.sensor.vibrations) == arrived + 1, 5, "the buzz at the armband")
    finally:
        await source.disconnect()
        await handle.close()


async def test_many_buzzes_at_once_never_hold_up_the_samples() -> None:
    source, handle = await open_emulated_source("myo", speed=SPEED, seed=3)
    got = Blocks()
    try:
        await source.connect(timeout_s=5)
        await source.start(got.on_block)
        await wait_until_async(lambda: got.samples >= 200, 30, "the stream")
        before = got.samples
        buzzes = asyncio.gather(*(source.vibrate() for _ in range(5)))
        await wait_until_async(lambda: got.samples > before + 40, 30, "samples while five buzzes are on their way")
        assert all(await buzzes)
        assert [length for _, length in handle.sensor.vibrations] == [1] * 5
    finally:
        await source.disconnect()
        await handle.close()


async def test_the_emulated_myo_can_carry_a_compensating_athlete() -> None:
    """``--emulate myo`` with the demo's athlete choice: the armband's muscles move like that athlete."""
    from gymtui.sim.athlete import LAT_PULLDOWN_COMPENSATOR

    _, handle = await open_emulated_source("myo", speed=SPEED, seed=4, athlete=LAT_PULLDOWN_COMPENSATOR)
    try:
        assert handle.athlete is not None and handle.athlete.profile == LAT_PULLDOWN_COMPENSATOR
    finally:
        await handle.close()
    _, default = await open_emulated_source("myo", speed=SPEED, seed=4)
    try:
        assert default.athlete is not None and default.athlete.profile != LAT_PULLDOWN_COMPENSATOR
    finally:
        await default.close()
