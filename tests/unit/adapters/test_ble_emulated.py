"""The whole BLE path through the real bleak API against bumble peripherals, in-process.

Each test runs the device ``SPEED`` times faster than life, so ten seconds of
signal take about one second of wall time, stamped on a matching fast clock.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner

from gymtui.adapters.ble import LOST_MESSAGE, BleEmgSource, scan
from gymtui.adapters.pairing import PairedDevice, PairedDevices
from gymtui.adapters.profiles import load_profiles
from gymtui.device_api import AdapterError, EmgSource
from gymtui.emulation.bumble_backend import BumbleWorld
from gymtui.emulation.stack import open_emulated_source, start_emulated_sensor
from gymtui.model import LinkState

SPEED = 10.0


class RecordingSignal:
    """A known signal for the emulated sensor, remembering exactly what it rendered (µV)."""

    def __init__(self, n_channels: int, rate_hz: float, amplitude_uv: float, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.n_channels, self.amplitude_uv = n_channels, amplitude_uv
        self.rendered: list[np.ndarray] = []

    def render_block(self, n: int) -> np.ndarray:
        block = (self.amplitude_uv * self.rng.uniform(-1, 1, (n, self.n_channels))).astype(np.float32)
        self.rendered.append(block)
        return block

    def all(self) -> np.ndarray:
        return np.concatenate(self.rendered)


def fast_clock(speed: float = SPEED):
    start = time.monotonic()
    return lambda: start + (time.monotonic() - start) * speed


class Collector:
    def __init__(self) -> None:
        self.blocks = []
        self.health = []
        self.arrivals = []

    def on_block(self, block) -> None:
        self.blocks.append(block)
        self.arrivals.append(time.perf_counter())

    cutoff: int | None = None

    def samples(self) -> np.ndarray:
        return np.concatenate([b.samples_uv for b in self.blocks[: self.cutoff]])

    async def wait_for_samples(self, n: int, timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            while sum(b.n_samples for b in self.blocks) < n:
                await asyncio.sleep(0.01)


async def _run_ten_seconds(device: str, *, firmware: int | None = None, signal=None):
    source, handle = await open_emulated_source(device, speed=SPEED, seed=3, clock=fast_clock(), firmware=firmware, signal=signal)
    assert isinstance(source, EmgSource)
    got = Collector()
    try:
        await source.connect(timeout_s=5)
        await source.start(got.on_block, got.health.append)
        rate = source.info.rate_hz
        await got.wait_for_samples(int(10 * rate), timeout_s=60)  # ten device seconds: 1 s of wall time alone
        got.cutoff = len(got.blocks)  # the set's ten seconds; the tail while leaving is not checked
    finally:
        await source.disconnect()
        await handle.close()
    return source, handle, got


def _assert_steady_stream(got: Collector, rate_hz: float) -> None:
    blocks = got.blocks[: got.cutoff]
    assert [b.seq for b in blocks] == list(range(len(blocks)))
    assert sum(b.lost_samples for b in blocks) == 0
    # Stamps follow the sample count at the device's own rate...
    starts = np.array([b.t0_s for b in blocks])
    counts = np.cumsum([0] + [b.n_samples for b in blocks[:-1]])
    np.testing.assert_allclose(starts - starts[0], counts / rate_hz, atol=1e-9)
    # ...and the (fast) clock agrees: ten seconds of signal arrived in about ten clock seconds.
    total = sum(b.n_samples for b in blocks)
    assert all(b.rate_hz == rate_hz for b in blocks)
    assert total >= 10 * rate_hz
    # The device really sends at its rate (times SPEED), judged by wall time between the first and
    # last block: never faster; slower only as far as a starved CPU can explain (catching up).
    arrivals = got.arrivals[: len(blocks)]
    sent_span_s = (total - blocks[0].n_samples - blocks[-1].n_samples / 2) / rate_hz
    assert 0.9 * sent_span_s <= (arrivals[-1] - arrivals[0]) * SPEED <= 5.0 * sent_span_s


async def test_myo_scan_connect_startup_writes_in_order_and_ten_seconds_of_exact_samples():
    signal = RecordingSignal(8, 200, amplitude_uv=600)
    source, handle, got = await _run_ten_seconds("myo", signal=signal)
    command = "d5060401-a904-deb9-4748-2c7f4a124842"
    assert handle.sensor.writes == [
        (command, bytes.fromhex("090101")),  # never sleep, first
        (command, bytes.fromhex("0103030000")),  # then raw EMG mode
        (command, bytes.fromhex("0103000000")),  # shut-down: stop streaming
        (command, bytes.fromhex("090100")),  # and let it sleep again
    ]
    _assert_steady_stream(got, 200)
    received = got.samples()
    sent = np.clip(np.round(signal.all()[: len(received)] / 4.0), -128, 127)  # the emulated Myo's a.u.
    np.testing.assert_array_equal(received, sent)
    assert source.health.state is LinkState.DISCONNECTED and source.health.battery_pct == 87


@pytest.mark.parametrize("firmware", [2, 3])
async def test_ganglion_firmware_is_read_from_the_device_and_both_formats_decode(firmware):
    signal = RecordingSignal(4, 200, amplitude_uv=200)  # sample-to-sample steps fit the 19-bit deltas
    source, handle, got = await _run_ten_seconds("ganglion", firmware=firmware, signal=signal)
    assert source.firmware == firmware  # detected from Software Revision 0x2A28, not configured
    send = "2d30c083-f39f-4ce6-923f-3484ea480596"
    assert handle.sensor.writes[:1] == [(send, b"b")]
    assert handle.sensor.writes[-2:] == [(send, b"s"), ("2d30c084-f39f-4ce6-923f-3484ea480596", b" ")]
    _assert_steady_stream(got, 200)
    received = got.samples()
    sent = signal.all()
    if firmware == 3:
        sent = sent[2:]  # the half-valid first packet after 'b' is skipped
        tolerance_uv = 64 * 0.0018699  # 19-bit top bits
    else:
        tolerance_uv = 1.5 * 0.0018699  # deltas lose only the sign-carrying LSB
    np.testing.assert_allclose(received, sent[: len(received)], atol=tolerance_uv)


@pytest.mark.parametrize("device", ["myoware", "myoware-uart", "generic"])
async def test_other_profiles_stream_at_their_rate_without_gaps(device):
    source, _handle, got = await _run_ten_seconds(device)
    _assert_steady_stream(got, source.info.rate_hz)
    assert got.samples().shape[1] == source.info.n_channels
    assert source.decoder.stats.malformed == 0


async def test_peripheral_drops_the_link_mid_set_the_source_reconnects_and_records_the_gap():
    source, handle = await open_emulated_source("myo", speed=SPEED, seed=4, clock=fast_clock())
    got = Collector()
    try:
        await source.connect(timeout_s=5)
        await source.start(got.on_block, got.health.append)
        await got.wait_for_samples(400, timeout_s=2)  # two seconds of the set
        assert await handle.drop_link()
        async with asyncio.timeout(2):
            while source.health.state is not LinkState.RECONNECTING:
                await asyncio.sleep(0.001)
        assert source.health.message == LOST_MESSAGE  # what the athlete sees
        before = sum(b.n_samples for b in got.blocks)
        async with asyncio.timeout(3):
            while source.health.state is not LinkState.CONNECTED:
                await asyncio.sleep(0.005)
        await got.wait_for_samples(before + 400, timeout_s=2)  # the set continues
    finally:
        await source.disconnect()
        await handle.close()
    states = [h.state for h in got.health]
    lost_at = states.index(LinkState.RECONNECTING)
    assert LinkState.CONNECTED in states[lost_at:]
    gap_blocks = [b for b in got.blocks if b.lost_samples]
    assert len(gap_blocks) == 1  # one gap, on the first block after the reconnect
    gap = gap_blocks[0]
    previous = got.blocks[gap.seq - 1]
    assert gap.seq == previous.seq + 1  # sequence numbers keep counting blocks
    # The gap's stamp is the missing time: previous end + lost samples at 200 Hz.
    assert gap.t0_s == pytest.approx(previous.t0_s + (previous.n_samples + gap.lost_samples) / 200)
    assert gap.lost_samples > 0 and source.health.gaps == 1 and source.reconnects == 1
    # The device heard the start-up writes again after reconnecting.
    startup = [bytes.fromhex("090101"), bytes.fromhex("0103030000")]
    assert [w for _, w in handle.sensor.writes][:4] == startup * 2


async def test_scan_lists_each_emulated_device_with_its_profile_rssi_and_battery():
    world = BumbleWorld()
    profiles = load_profiles()
    handles = [await start_emulated_sensor(d, world=world, profiles=profiles) for d in ("myo", "ganglion", "myoware")]
    seen = []
    try:
        results = await scan(profiles, timeout_s=0.3, on_found=seen.append, backend=world.scanner_backend)
    finally:
        for h in handles:
            await h.sensor.close()
    by_profile = {r.profile.id: r for r in results}
    assert set(by_profile) == {"myo", "ganglion", "myoware-wireless"}
    assert by_profile["myo"].name == "Myo" and by_profile["myo"].battery_pct == 87
    assert by_profile["ganglion"].name == "Ganglion-1a2b" and by_profile["ganglion"].battery_pct is None
    assert all(r.rssi_dbm == -50 and not r.paired for r in results)
    assert len(seen) == 3  # progress: each device reported once, as it is first heard


async def test_only_a_paired_device_is_ever_connected():
    profiles = load_profiles()
    handle = await start_emulated_sensor("myo", profiles=profiles)
    try:
        stranger = PairedDevice(handle.sensor.address, "myo", "someone else's Myo")
        with pytest.raises(AdapterError, match="not paired"):
            BleEmgSource(stranger, profiles["myo"], paired=PairedDevices(None))
        assert handle.sensor.connections_accepted == 0
    finally:
        await handle.close()


async def test_an_absent_device_fails_with_a_clear_message_within_the_timeout():
    world = BumbleWorld()
    paired = PairedDevices(None)
    ghost = paired.add(PairedDevice("E0:5A:00:00:00:99", "ganglion", "Ganglion in the locker"))
    source = BleEmgSource(
        ghost, load_profiles()["ganglion"], paired=paired,
        scanner_backend=world.scanner_backend, client_backend=world.client_backend, scan_timeout_s=0.3,
    )
    health = []
    source._on_health = health.append
    started = time.monotonic()
    with pytest.raises(AdapterError, match="Ganglion in the locker not found"):
        await source.connect(timeout_s=2)
    assert time.monotonic() - started < 1.5
    assert source.health.state is LinkState.FAILED


async def test_bleak_client_over_bumble_reads_writes_and_reports_an_unsolicited_disconnect():
    world = BumbleWorld()
    handle = await start_emulated_sensor("ganglion", world=world)
    lost = asyncio.Event()
    device = await BleakScanner.find_device_by_address(handle.sensor.address, timeout=2, backend=world.scanner_backend)
    client = BleakClient(device, disconnected_callback=lambda c: lost.set(), backend=world.client_backend, timeout=5)
    try:
        await client.connect()
        assert (await client.read_gatt_char("00002a28-0000-1000-8000-00805f9b34fb")) == b"3.0.2"
        await client.write_gatt_char("2d30c083-f39f-4ce6-923f-3484ea480596", b"b", response=False)
        async with asyncio.timeout(1):
            while not handle.sensor.writes:
                await asyncio.sleep(0.001)
        await handle.drop_link()
        await asyncio.wait_for(lost.wait(), 1)
        assert not client.is_connected
    finally:
        await handle.close()


async def test_sensor_out_of_range_keeps_reconnecting_with_backoff_then_resumes_with_the_gap_recorded():
    clock = fast_clock()
    source, handle = await open_emulated_source("ganglion", speed=SPEED, seed=5, clock=clock)
    got = Collector()
    try:
        await source.connect(timeout_s=5)
        await source.start(got.on_block, got.health.append)
        await got.wait_for_samples(200, timeout_s=2)
        await handle.go_away()
        left_at = clock()
        async with asyncio.timeout(5):
            while "attempt 2" not in source.health.message:  # still trying, and saying so
                await asyncio.sleep(0.01)
        assert source.health.state is LinkState.RECONNECTING
        await handle.come_back()
        back_at = clock()
        async with asyncio.timeout(5):
            while source.health.state is not LinkState.CONNECTED:
                await asyncio.sleep(0.01)
        count = sum(b.n_samples for b in got.blocks)
        await got.wait_for_samples(count + 200, timeout_s=2)
    finally:
        await source.disconnect()
        await handle.close()
    (gap,) = [b for b in got.blocks if b.lost_samples]
    away_s = back_at - left_at
    # Everything the athlete did while the sensor was away is one marked gap, at least that long.
    assert gap.lost_samples >= away_s * 200 * 0.9
    assert sum(b.n_samples + b.lost_samples for b in got.blocks) == pytest.approx(
        (got.blocks[-1].t0_s + got.blocks[-1].duration_s - got.blocks[0].t0_s) * 200, abs=1
    )


async def test_emulated_channels_carry_the_roles_the_simulated_athlete_drives():
    source, handle = await open_emulated_source("myo", speed=SPEED)
    try:
        roles = [c.role.value for c in source.info.channels]
        assert roles[:3] == ["target", "synergist", "antagonist"] and set(roles[3:]) == {"other"}
        assert handle.athlete.roles == tuple(c.role for c in source.info.channels)
        assert source.info.unit == "a.u." and source.info.rate_hz == 200
    finally:
        await handle.close()


async def test_myo_sleeps_without_never_sleep_but_the_profile_start_up_keeps_it_awake():
    world = BumbleWorld()
    profiles = load_profiles()
    handle = await start_emulated_sensor("myo", world=world, profiles=profiles, speed=SPEED)
    handle.sensor.sleep_after_s = 3.0  # device seconds; the real armband takes about 30
    command = "d5060401-a904-deb9-4748-2c7f4a124842"
    # A naive client that only sets raw mode loses the armband to sleep...
    device = await BleakScanner.find_device_by_address(handle.sensor.address, timeout=2, backend=world.scanner_backend)
    dropped = asyncio.Event()
    naive = BleakClient(device, disconnected_callback=lambda c: dropped.set(), backend=world.client_backend, timeout=5)
    await naive.connect()
    await naive.write_gatt_char(command, bytes.fromhex("0103030000"), response=True)
    await asyncio.wait_for(dropped.wait(), 3.0 / SPEED + 1.0)
    # ...while the profile's start-up (never-sleep first) keeps the link through the same time.
    paired = PairedDevices(None)
    entry = paired.add(PairedDevice(handle.sensor.address, "myo", "Myo"))
    source = BleEmgSource(
        entry, profiles["myo"], paired=paired, clock=fast_clock(),
        scanner_backend=world.scanner_backend, client_backend=world.client_backend, scan_timeout_s=1.0,
    )
    got = Collector()
    try:
        await source.connect(timeout_s=5)
        await source.start(got.on_block, got.health.append)
        await got.wait_for_samples(200 * 5, timeout_s=30)  # five device seconds (0.5 s of wall time alone)
        assert [h.state for h in got.health if h.state is not LinkState.CONNECTED] == []
    finally:
        await source.disconnect()
        await handle.close()
