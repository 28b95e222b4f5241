"""Raw signal kept in the sensor's own numbers: what the live chain saw is what the store gives back, bit for bit.

The devices are the emulated BLE sensors over the real bleak API and the
production :class:`BleEmgSource` and decoders; the chain is the real
:class:`SignalWorker` cutting its ~1 s raw chunks; the store a real SQLite file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gymtui.adapters.profiles import load_profiles
from gymtui.model import ChannelInfo, NativeCounts, SampleBlock, SourceInfo
from gymtui.services.history import load_set_detail
from gymtui.signal.messages import (
    BeginSet,
    EndSet,
    RawChunk,
    SetResults,
    WorkerCallbacks,
)
from gymtui.signal.worker import SignalWorker
from gymtui.store import Store, StoreError, codec
from gymtui.store.samples import CorruptBlock

SPEED = 10.0


def bits(a: np.ndarray) -> np.ndarray:
    """float32 values as their bit patterns: equal means the same float, NaNs and -0.0 included."""
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def blocks_table(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT seq, dtype, codec, scale_uv IS NOT NULL, n_samples, n_channels, LENGTH(data) FROM signal_blocks ORDER BY seq"
        ).fetchall()


# -- the codec ----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["<i1", "<i2", "<i4", "<u4"]).flatmap(
        lambda dt: hnp.arrays(np.dtype(dt), hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=300).filter(lambda s: s[1] <= 16))
    )
)
def test_a_packed_block_unpacks_to_the_same_bits(values: np.ndarray) -> None:
    # "<u4": any 32-bit pattern read as float32 (NaNs with payloads, infinities, -0.0, subnormals).
    if values.dtype == np.dtype("<u4"):
        values = values.view("<f4")
    name, data = codec.encode(values)
    back = codec.decode(name, values.dtype.str, values.shape[0], values.shape[1], data)
    assert back.dtype == values.dtype and back.shape == values.shape
    assert back.tobytes() == np.ascontiguousarray(values).tobytes()


def test_the_smallest_integer_type_comes_from_the_range_given() -> None:
    assert codec.smallest_int_dtype(-128, 127) == np.dtype("<i1")
    assert codec.smallest_int_dtype(0, 4095) == np.dtype("<i2")
    assert codec.smallest_int_dtype(-(2**23), 2**23 - 1) == np.dtype("<i4")
    assert codec.smallest_int_dtype(0, 2**31) is None


# -- a device's blocks through the live chain into the store ---------------------------------


def fast_clock(speed: float = SPEED):
    start = time.monotonic()
    return lambda: start + (time.monotonic() - start) * speed


async def live_blocks(device: str, seconds: float, firmware: int | None = None) -> list[SampleBlock]:
    pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")
    from gymtui.emulation.stack import open_emulated_source

    source, handle = await open_emulated_source(device, speed=SPEED, seed=5, clock=fast_clock(), firmware=firmware)
    got: list[SampleBlock] = []
    try:
        await source.connect(timeout_s=10)
        await source.start(got.append)
        want = int(seconds * source.info.rate_hz)
        async with asyncio.timeout(60):
            while sum(b.n_samples for b in got) < want:
                await asyncio.sleep(0.01)
        return list(got)
    finally:
        await source.disconnect()
        await handle.close()


def record_through_worker(store: Store, blocks: list[SampleBlock], info) -> int:
    """The blocks through a real signal worker's set recording; its raw chunks appended as the set runner does."""
    set_id = store.start_set(store.ensure_athlete("A"), "Curl", "p")
    chunks: list[RawChunk] = []
    done = threading.Event()
    results = SetResults(
        on_mvc=lambda c: None, on_phase=lambda m, s: None, on_set=lambda m, s, r: done.set(), on_raw=chunks.append
    )
    worker = SignalWorker(info, WorkerCallbacks(on_frame=lambda frame: None))
    worker.start()
    try:
        worker.command(BeginSet(set_id, results=results))
        for block in blocks:
            worker.submit(block)
        worker.command(EndSet("done"))
        assert done.wait(30), "the worker never ended the set"
    finally:
        worker.stop()
    for c in chunks:
        store.append_signal(set_id, c.seq, c.t0_s, c.rate_hz, c.samples_uv, c.lost_samples, c.native)
    return set_id


@pytest.mark.parametrize(
    ("device", "firmware", "dtype"),
    [
        ("myo", None, "<i1"),
        ("ganglion", 2, "<i4"),
        ("ganglion", 3, "<i4"),
        ("generic-int16", None, "<i2"),
        ("myoware-wireless", None, "<i2"),
        ("myoware-wireless-uart", None, "<i2"),
    ],
)
async def test_each_device_s_stored_blocks_are_its_counts_and_read_back_as_the_live_samples(
    tmp_path: Path, device: str, firmware: int | None, dtype: str
) -> None:
    blocks = await live_blocks(device, 3.0, firmware)
    assert all(b.native is not None for b in blocks)
    profile = load_profiles().get(device)
    info = SourceInfo(device, tuple(ChannelInfo(c) for c in profile.channels), profile.rate_hz)
    store = Store(tmp_path / "gym.db")
    set_id = record_through_worker(store, blocks, info)

    live = np.concatenate([b.samples_uv for b in blocks])
    stored = list(store.raw_blocks(set_id))
    assert np.array_equal(bits(np.concatenate([b.samples_uv for b in stored])), bits(live))
    signal, rate = store.signal_of(set_id)
    assert signal.dtype == np.float32 and rate == profile.rate_hz
    assert np.array_equal(bits(signal), bits(live))
    rows = blocks_table(tmp_path / "gym.db")
    assert {(r[1], r[2], r[3]) for r in rows} <= {(dtype, "zlib", 1), (dtype, "shuffle+zlib", 1)}
    packed = sum(r[6] for r in rows)
    assert packed < 0.6 * live.size * 4, f"{packed} bytes for {live.size} samples: not far below float32"
    store.close()


# -- what is stored as float32, and why ----------------------------------------------------


def test_a_float_source_s_block_is_float32_packed_and_exact(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    set_id = store.start_set(store.ensure_athlete("A"), "Curl", "p")
    samples = (np.random.default_rng(1).standard_normal((1000, 4)) * 40).astype(np.float32)
    samples[3, 1] = np.nan
    samples[4, 2] = -0.0
    store.append_signal(set_id, 0, 0.0, 1000.0, samples)
    [(_seq, dtype, name, scaled, n, ch, _size)] = blocks_table(tmp_path / "gym.db")
    assert (dtype, scaled, n, ch) == ("<f4", 0, 1000, 4) and name in codec.CODECS
    assert np.array_equal(bits(store.signal_of(set_id)[0]), bits(samples))


def test_counts_that_disagree_with_the_samples_or_leave_the_range_are_stored_as_float32_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / "gym.db")
    set_id = store.start_set(store.ensure_athlete("A"), "Curl", "p")
    counts = np.arange(-40, 40, dtype=np.int32).reshape(20, 4)
    scale = np.full(4, 0.5, dtype=np.float32)
    good = NativeCounts(counts, scale, (-128, 127))
    wrong = good.to_uv().copy()
    wrong[7, 2] += 0.25  # the live samples are not counts × scale
    over = NativeCounts(counts * 10, scale, (-128, 127))  # beyond what the device can send
    with caplog.at_level(logging.WARNING, logger="gymtui.store.samples"):
        store.append_signal(set_id, 0, 0.0, 200.0, good.to_uv(), 0, good)
        store.append_signal(set_id, 1, 0.1, 200.0, wrong, 0, good)
        store.append_signal(set_id, 2, 0.2, 200.0, wrong, 0, good)
        store.append_signal(set_id, 3, 0.3, 200.0, over.to_uv(), 0, over)
        store.append_signal(set_id, 4, 0.4, 200.0, over.to_uv(), 0, over)
    assert [r[1] for r in blocks_table(tmp_path / "gym.db")] == ["<i1", "<f4", "<f4", "<f4", "<f4"]
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2, said
    assert "differ from the samples" in said[0] and "beyond the device's range" in said[1]
    stored = [b.samples_uv for b in store.raw_blocks(set_id)]
    expected = [good.to_uv(), wrong, wrong, over.to_uv(), over.to_uv()]
    assert all(np.array_equal(bits(a), bits(b)) for a, b in zip(stored, expected, strict=True))


def test_blocks_stored_before_packing_still_read(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    store = Store(path)
    set_id = store.start_set(store.ensure_athlete("A"), "Curl", "p")
    old = (np.random.default_rng(2).standard_normal((500, 2)) * 30).astype(np.float32)
    new = NativeCounts(np.arange(1000, dtype=np.int32).reshape(500, 2) % 200 - 100, np.ones(2, np.float32), (-128, 127))
    # A block as gymtui wrote it before: plain little-endian float32, codec and scale NULL.
    store.conn.execute(
        "INSERT INTO signal_blocks (set_id, seq, t0_s, rate_hz, dtype, n_samples, n_channels, lost_samples, data)"
        " VALUES (?, 0, 0.0, 1000.0, '<f4', 500, 2, 0, ?)",
        (set_id, old.astype("<f4").tobytes()),
    )
    store.conn.commit()
    store.append_signal(set_id, 1, 0.5, 1000.0, new.to_uv(), 3, new)
    first, second = store.raw_blocks(set_id)
    assert (first.seq, first.lost_samples, second.seq, second.lost_samples) == (0, 0, 1, 3)
    assert np.array_equal(bits(first.samples_uv), bits(old)) and np.array_equal(bits(second.samples_uv), bits(new.to_uv()))
    assert blocks_table(path)[0][2] is None and blocks_table(path)[1][1] == "<i1"


def damaged_set(path: Path, damage: str = "UPDATE signal_blocks SET data = X'00112233445566' WHERE seq = 1") -> int:
    store = Store(path)
    set_id = store.start_set(store.ensure_athlete("A"), "Curl", "p")
    native = NativeCounts(np.arange(800, dtype=np.int32).reshape(200, 4) % 100, np.ones(4, np.float32), (-128, 127))
    for seq in range(3):
        store.append_signal(set_id, seq, float(seq), 200.0, native.to_uv(), 0, native)
    store.conn.execute(damage)
    store.conn.commit()
    store.close()
    return set_id


def test_a_damaged_block_is_named_by_set_and_block_and_history_still_shows_the_set(tmp_path: Path) -> None:
    set_id = damaged_set(tmp_path / "gym.db")
    store = Store(tmp_path / "gym.db")
    blocks = store.raw_blocks(set_id)
    assert next(blocks).seq == 0
    with pytest.raises(CorruptBlock, match=rf"^set {set_id}, block 1: stored raw signal cannot be read \(") as raised:
        next(blocks)
    assert isinstance(raised.value, StoreError)
    with pytest.raises(CorruptBlock, match=rf"set {set_id}, block 1"):
        store.signal_of(set_id)
    detail = load_set_detail(store, set_id)
    assert (detail.id, detail.exercise, detail.envelope_uv) == (set_id, "Curl", ())
    assert detail.signal_problem.startswith(f"set {set_id}, block 1: stored raw signal cannot be read")


def test_an_unknown_codec_is_named_too(tmp_path: Path) -> None:
    set_id = damaged_set(tmp_path / "gym.db", "UPDATE signal_blocks SET codec = 'brotli' WHERE seq = 2")
    store = Store(tmp_path / "gym.db")
    blocks = store.raw_blocks(set_id)
    assert [next(blocks).seq, next(blocks).seq] == [0, 1]
    with pytest.raises(CorruptBlock, match=rf"^set {set_id}, block 2: .*unknown codec 'brotli'"):
        next(blocks)


def test_analyze_of_a_damaged_set_is_one_line_naming_the_block_and_exit_2(tmp_path: Path) -> None:
    set_id = damaged_set(tmp_path / "gym.db")
    done = subprocess.run(
        [sys.executable, "-m", "gymtui", "analyze", f"set:{set_id}", "--db", str(tmp_path / "gym.db")],
        check=False, capture_output=True, text=True, timeout=120, env={**os.environ}, stdin=subprocess.DEVNULL,
    )
    assert (done.returncode, done.stdout) == (2, "")
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"gymtui analyze: cannot read set {set_id} from ")
    assert f": set {set_id}, block 1: stored raw signal cannot be read (compressed data is damaged" in line


def test_float_values_that_were_decimals_pack_plain_and_full_precision_floats_shuffled() -> None:
    rng = np.random.default_rng(3)
    decimals = (np.round(rng.standard_normal((1000, 4)) * 300) / 10).astype(np.float32)  # a text file's 0.1 µV steps
    noise = (rng.standard_normal((1000, 4)) * 30).astype(np.float32)
    packed = {name: codec.encode(values) for name, values in (("decimals", decimals), ("noise", noise))}
    assert packed["decimals"][0] == codec.ZLIB and packed["noise"][0] == codec.SHUFFLE_ZLIB
    for name, values in (("decimals", decimals), ("noise", noise)):
        how, data = packed[name]
        assert len(data) < values.nbytes
        assert codec.decode(how, "<f4", 1000, 4, data).tobytes() == values.tobytes()


def test_a_chunk_mixing_blocks_with_and_without_counts_is_stored_as_float32_exactly(tmp_path: Path) -> None:
    info = SourceInfo("mixed", (ChannelInfo("a"), ChannelInfo("b")), 200.0)
    rng = np.random.default_rng(4)

    def block(seq: int, native: bool, scale: float = 0.5) -> SampleBlock:
        counts = rng.integers(-128, 128, (20, 2)).astype(np.int32)
        counted = NativeCounts(counts, np.full(2, scale, np.float32), (-128, 127))
        return SampleBlock(counted.to_uv(), seq * 0.1, 200.0, seq, 0, counted if native else None)

    store = Store(tmp_path / "gym.db")
    runs = {
        "all counted": [block(i, True) for i in range(10)],
        "one float block": [block(i, i != 5) for i in range(10)],
        "scale changes": [block(i, True, 0.5 if i < 5 else 0.25) for i in range(10)],
    }
    stored_types = {}
    for name, blocks in runs.items():
        set_id = record_through_worker(store, blocks, info)
        assert np.array_equal(bits(store.signal_of(set_id)[0]), bits(np.concatenate([b.samples_uv for b in blocks]))), name
        stored_types[name] = [r[0] for r in store.conn.execute("SELECT dtype FROM signal_blocks WHERE set_id = ?", (set_id,))]
    assert stored_types == {"all counted": ["<i1"], "one float block": ["<f4"], "scale changes": ["<f4"]}
