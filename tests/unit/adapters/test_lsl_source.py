"""The LSL inlet source on its own: specs, labels and units, a stalled or changed stream, a prompt way out.

Real liblsl on loopback (``LSLAPICFG`` from tests/conftest.py), a unique
stream name per test; the test pushes chunks itself with explicit
timestamps, so every gap is known to the sample.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from waiting import wait_until_async

from gymtui.adapters.lsl_source import MIN_STALL_S, LslEmgSource, uv_per_unit
from gymtui.device_api import AdapterError, EmgSource
from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl
from gymtui.interop.lsl_spec import LslSpec, SensorSpecError, parse_sensor_spec
from gymtui.model import LinkHealth, LinkState, SampleBlock

try:
    pylsl = load_pylsl()
except LslUnavailable as exc:  # pragma: no cover - the test extra installs pylsl with liblsl
    pytest.skip(str(exc), allow_module_level=True)

RATE = 500.0


def outlet(name: str, labels: Sequence[str | None], *, units: Sequence[str | None] = (), rate: float = RATE,
           fmt: int | None = None, n: int | None = None) -> Any:
    info = pylsl.StreamInfo(name, "EMG", len(labels) if n is None else n, rate,
                            pylsl.cf_float32 if fmt is None else fmt, "")
    channels = info.desc().append_child("channels")
    for i, label in enumerate(labels):
        channel = channels.append_child("channel")
        if label is not None:
            channel.append_child_value("label", label)
        if i < len(units) and units[i] is not None:
            channel.append_child_value("unit", units[i])
    return pylsl.StreamOutlet(info, chunk_size=5)


@pytest.fixture
def name(tmp_path: Path) -> str:
    return f"gymtui-unit-{tmp_path.name}-{uuid.uuid4().hex[:8]}"


class Sink:
    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.health: list[LinkHealth] = []

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate([b.samples_uv for b in self.blocks])

    @property
    def states(self) -> list[LinkState]:
        """The link's states in order, a repeat (a health update in the same state) said once."""
        states: list[LinkState] = []
        for health in self.health:
            if not states or states[-1] is not health.state:
                states.append(health.state)
        return states


async def started(name: str, sink: Sink, **kwargs: Any) -> LslEmgSource:
    source = LslEmgSource(LslSpec("name", name), resolve_timeout_s=2.0, reconnect_delays_s=(0.1,), **kwargs)
    await source.connect(5.0)
    await source.start(sink.blocks.append, sink.health.append)
    return source


class Pusher:
    """Chunks of a known signal, stamped from their sample index (a skipped index is a lost sample)."""

    def __init__(self, n_channels: int, rate: float = RATE) -> None:
        self.signal = np.random.default_rng(1).normal(0, 50, (100_000, n_channels)).astype(np.float32)
        self.rate = rate
        self.t0 = pylsl.local_clock()
        self.k = 0

    def push(self, out: Any, n: int) -> None:
        out.push_chunk(self.signal[self.k:self.k + n], self.t0 + (self.k + n - 1) / self.rate)
        self.k += n


async def feed_until(out: Any, pusher: Pusher, until: Any, what: str, *, n: int = 10, timeout_s: float = 15) -> None:
    """Push ``n`` samples every ``n / rate`` seconds until ``until()``."""
    async def go() -> bool:
        pusher.push(out, n)
        await asyncio.sleep(n / pusher.rate)
        return bool(until())

    deadline = time.monotonic() + timeout_s
    while not await go():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"


@pytest.mark.parametrize(
    ("text", "prop", "value"),
    [("lsl:obci_eeg1", "name", "obci_eeg1"), ("lsl:name=a=b", "name", "a=b"), ("lsl:type=EMG", "type", "EMG"),
     ("lsl:source_id=SN-12", "source_id", "SN-12"), ("lsl:my stream", "name", "my stream")],
)
def test_a_sensor_spec_names_one_stream_property(text: str, prop: str, value: str) -> None:
    assert parse_sensor_spec(text) == LslSpec(prop, value)


@pytest.mark.parametrize(
    ("text", "said"),
    [("ble:myo", "unknown sensor"), ("lsl:", "needs a stream"), ("lsl:colour=red", "match on one of"),
     ("lsl:a\x1b[2Jb", "not a stream name"), ("lsl:it's", "quote"), ("lsl:" + "x" * 300, "at most 200")],
)
def test_a_bad_sensor_spec_is_one_line(text: str, said: str) -> None:
    with pytest.raises(SensorSpecError, match=said) as caught:
        parse_sensor_spec(text)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


def test_units_in_microvolts() -> None:
    assert [uv_per_unit(u) for u in ("microvolts", "µV", "uV", None, "", "millivolts", "mV", "volts", "V")] == [
        1.0, 1.0, 1.0, 1.0, 1.0, 1e3, 1e3, 1e6, 1e6]
    assert uv_per_unit("counts") is None


async def test_labels_fall_back_to_ch_n_and_millivolts_arrive_as_microvolts(name: str) -> None:
    out = outlet(name, ["VL", None, "BF"], units=["millivolts", "millivolts", "millivolts"])
    sink, pusher = Sink(), Pusher(3)
    source = await started(name, sink)
    try:
        assert isinstance(source, EmgSource)
        info = source.info
        assert [c.muscle for c in info.channels] == ["VL", "ch2", "BF"]
        assert (info.rate_hz, info.unit, info.name) == (RATE, "µV", f"LSL {name}")
        await feed_until(out, pusher, lambda: sum(b.n_samples for b in sink.blocks) >= 100, "100 samples")
    finally:
        await source.disconnect()
    got = sink.samples
    k = int(np.flatnonzero((pusher.signal[:pusher.k] * np.float32(1000) == got[0]).all(axis=1))[0])
    np.testing.assert_array_equal(got, pusher.signal[k:k + len(got)] * np.float32(1000))
    assert [b.seq for b in sink.blocks] == list(range(len(sink.blocks)))
    assert all(b.lost_samples == 0 for b in sink.blocks)


async def test_an_unknown_unit_is_kept_and_named(name: str) -> None:
    out = outlet(name, ["a", "b"], units=["counts", "counts"])
    sink = Sink()
    source = await started(name, sink)
    try:
        assert source.info.unit == "counts" and {c.unit for c in source.info.channels} == {"counts"}
    finally:
        await source.disconnect()
    del out


async def test_a_stream_with_no_channels_is_refused(name: str) -> None:
    out = outlet(name, [], n=0)
    with pytest.raises(AdapterError, match="has no channels"):
        await LslEmgSource(LslSpec("name", name), resolve_timeout_s=2.0).connect(5.0)
    del out


async def test_a_stalled_stream_is_lost_then_back_with_its_gap(name: str) -> None:
    out = outlet(name, ["a", "b"])
    sink, pusher = Sink(), Pusher(2)
    source = await started(name, sink)
    try:
        await feed_until(out, pusher, lambda: len(sink.blocks) >= 5, "the stream flowing")
        stopped_at = time.monotonic()
        await wait_until_async(lambda: LinkState.RECONNECTING in sink.states, 10, "the stall to be noticed")
        assert time.monotonic() - stopped_at >= MIN_STALL_S * 0.9
        before = len(sink.blocks)
        end_before = pusher.k
        pusher.k += 321  # samples the sender never sent
        await feed_until(out, pusher, lambda: sink.states[-1] is LinkState.CONNECTED and len(sink.blocks) > before + 3,
                         "the stream back")
    finally:
        await source.disconnect()
    assert sink.states == [LinkState.CONNECTED, LinkState.RECONNECTING, LinkState.CONNECTED]
    gaps = [b for b in sink.blocks if b.lost_samples]
    assert [b.lost_samples for b in gaps] == [321]
    gap = gaps[0]
    previous = sink.blocks[sink.blocks.index(gap) - 1]
    assert gap.t0_s == pytest.approx(previous.t0_s + (previous.n_samples + 321) / RATE, abs=1e-9)
    np.testing.assert_array_equal(gap.samples_uv[:1], pusher.signal[end_before + 321:end_before + 322])
    assert source.health.gaps == 1


async def test_a_stream_back_with_other_channels_is_refused_until_the_original_returns(name: str) -> None:
    out = outlet(name, ["a", "b"])
    sink, pusher = Sink(), Pusher(2)
    source = await started(name, sink)
    try:
        await feed_until(out, pusher, lambda: len(sink.blocks) >= 3, "the stream flowing")
        del out
        await wait_until_async(lambda: LinkState.RECONNECTING in sink.states, 10, "the loss to be noticed")
        other = outlet(name, ["a", "b", "c"])
        await wait_until_async(lambda: "refused" in sink.health[-1].message, 10, "the changed stream refused",
                               detail=lambda: sink.health[-1])
        assert sink.health[-1].message.endswith("it came back with 3 channels, not 2 — waiting for the original")
        assert sink.health[-1].state is LinkState.RECONNECTING
        del other
        back, n_before = outlet(name, ["a", "b"]), len(sink.blocks)
        await feed_until(back, pusher, lambda: len(sink.blocks) > n_before + 2, "the original back")
        assert source.info.n_channels == 2 and sink.states[-1] is LinkState.CONNECTED
    finally:
        await source.disconnect()


async def test_disconnect_while_reconnecting_ends_the_thread_promptly(name: str) -> None:
    out = outlet(name, ["a"])
    sink, pusher = Sink(), Pusher(1)
    source = await started(name, sink)
    await feed_until(out, pusher, lambda: len(sink.blocks) >= 2, "the stream flowing")
    thread = source._thread
    del out
    await wait_until_async(lambda: LinkState.RECONNECTING in sink.states, 10, "the loss to be noticed")
    began = time.monotonic()
    await source.disconnect()
    assert time.monotonic() - began < 2.5
    assert thread is not None and not thread.is_alive()
    assert source.health.state is LinkState.DISCONNECTED


async def test_a_sender_on_its_own_clock_is_timed_by_arrival_and_its_gaps_still_count(name: str) -> None:
    out = outlet(name, ["a"])
    sink, pusher = Sink(), Pusher(1)
    pusher.t0 = 1.7e9  # Unix seconds, not this machine's LSL clock
    source = await started(name, sink)
    try:
        await feed_until(out, pusher, lambda: len(sink.blocks) >= 3, "the stream flowing")
        first = sink.blocks[0]
        # The signal sits on the app clock (here time.monotonic), where it arrived, not 1.7e9 s away.
        assert abs(first.t0_s - time.monotonic()) < 5.0
        before, end_before = len(sink.blocks), pusher.k
        pusher.k += 50  # a skip of 0.1 s, over the jitter tolerance
        await feed_until(out, pusher, lambda: len(sink.blocks) > before + 2, "more signal")
    finally:
        await source.disconnect()
    gaps = [b for b in sink.blocks if b.lost_samples]
    assert [b.lost_samples for b in gaps] == [50]
    np.testing.assert_array_equal(gaps[0].samples_uv[:1], pusher.signal[end_before + 50:end_before + 51])


async def test_without_liblsl_connect_says_its_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from gymtui.adapters import lsl_source

    def missing() -> Any:
        raise LslUnavailable("LSL is off: pylsl is not installed (pip install 'gymtui[lsl]')")

    monkeypatch.setattr(lsl_source, "load_pylsl", missing)
    source = LslEmgSource(LslSpec("name", "anything"))
    with pytest.raises(AdapterError, match=r"^LSL is off: pylsl is not installed \(pip install 'gymtui\[lsl\]'\)$"):
        await source.connect(1.0)
    assert source.health.state is LinkState.FAILED
