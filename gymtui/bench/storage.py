"""Stored signal: bytes per second of raw EMG per source, as gymtui kept it before and keeps it now.

Keys added to the report:

- ``storage_<source>``: for each source, ``before_B_per_s`` (float32,
  uncompressed, as every block was kept before) and ``after_B_per_s`` (what
  :meth:`gymtui.store.Store.append_signal` stores now: the device's counts in
  its smallest integer type, or float32 for a float source, packed; the
  bytes of ``data`` and ``scale_uv``), their ``ratio``, the stored ``dtype``,
  and the packing's cost per 1 s block on this machine: ``encode_us``
  (counts checked against the live samples, narrowed, packed) and
  ``decode_us`` (unpacked and scaled back to float32 µV), medians over the
  blocks.
- ``storage_file_mb_per_hour_4ch_1khz``: the database file's growth per hour
  of 4 channels at 1 kHz (SQLite pages and row overhead included), blocks
  written the old way and the new way into two real files side by side:
  ``before``, ``after_int16`` (a 16-bit ADC), ``after_float32`` (the demo).

The sources: a real Myo recording (``shared/data``, int8 counts, 8 ch at
200 Hz); the motor-unit simulator (the demo's) quantised as each device
would — Ganglion 24-bit counts at its profile's µV per count, 4 ch 200 Hz; a
generic 16-bit ADC at 0.5 µV per count, 4 ch 1 kHz — and the simulator's
float32 as the demo (4 ch 1 kHz) and an LSL-class float source (16 ch 2 kHz).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gymtui.model import MuscleRole, NativeCounts, PhaseKind

ROLES = (MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST)
SCRIPT = ((PhaseKind.ACTIVATION, 0.2), (PhaseKind.ISOMETRIC, 0.4), (PhaseKind.EXPLOSIVE, 0.2), (PhaseKind.REST, 0.2))
"""The simulated set: shares of the run in each phase (rest included: quiet signal packs differently)."""

MYO_RECORDING = "myo_fist_clean_200hz.txt"


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    rate_hz: float
    n_channels: int
    scale_uv: float | None  # None: a float source
    count_range: tuple[int, int] | None


SOURCES = (
    Source("myo_8ch_200hz_int8", 200.0, 8, 1.0, (-128, 127)),
    Source("ganglion_4ch_200hz_24bit", 200.0, 4, 0.0018699, (-(2**23), 2**23 - 1)),
    Source("adc16_4ch_1khz", 1000.0, 4, 0.5, (-(2**15), 2**15 - 1)),
    Source("demo_float32_4ch_1khz", 1000.0, 4, None, None),
    Source("float32_16ch_2khz", 2000.0, 16, None, None),
)


def _simulated_uv(rate_hz: float, n_channels: int, seconds: float, seed: int = 0) -> np.ndarray:
    from gymtui.sim import demo_physiology

    roles = (ROLES * (n_channels // len(ROLES) + 1))[:n_channels]
    physiology, athlete = demo_physiology(roles, rate_hz, seed)
    out = []
    for kind, share in SCRIPT:
        athlete.set_intent(kind, 1.0)
        n = round(seconds * share * rate_hz)
        for done in range(0, n, int(rate_hz // 10)):
            out.append(physiology.render(athlete.drive(min(int(rate_hz // 10), n - done))))
    return np.concatenate(out).astype(np.float32)


MYO_SIM_UV_PER_COUNT = 4.0
"""Where the recording is missing, the simulator as a Myo would quantise it: ±128 counts span about an MVC."""


def myo_recording() -> Path | None:
    """The public Myo recording: ``$GYMTUI_SHARED_DATA`` or ``shared/data`` beside the checkout; None if absent."""
    override = os.environ.get("GYMTUI_SHARED_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    path = folder / MYO_RECORDING
    return path if path.is_file() else None


def _myo_counts(seconds: float) -> np.ndarray:
    path = myo_recording()
    if path is None:
        uv = _simulated_uv(200.0, 8, seconds)
        return np.clip(np.round(uv / np.float32(MYO_SIM_UV_PER_COUNT)), -128, 127).astype(np.int32)
    counts = np.loadtxt(path, comments="#", dtype=np.int32)
    return counts[: min(len(counts), round(seconds * 200))]


def blocks_of(source: Source, seconds: float) -> Iterator[tuple[np.ndarray, NativeCounts | None]]:
    """1 s blocks as the live chain hands them to the store: float32 µV and, for a device, its counts."""
    rate = int(source.rate_hz)
    if source.scale_uv is None or source.count_range is None:  # a float source: its float32 as it is
        uv = _simulated_uv(source.rate_hz, source.n_channels, seconds)
        for start in range(0, len(uv) - rate + 1, rate):
            yield uv[start : start + rate], None
        return
    if source.key.startswith("myo"):
        counts = _myo_counts(seconds)
    else:
        lo, hi = source.count_range
        uv = _simulated_uv(source.rate_hz, source.n_channels, seconds)
        counts = np.clip(np.round(uv / np.float32(source.scale_uv)), lo, hi).astype(np.int32)
    scale = np.full(source.n_channels, source.scale_uv, dtype=np.float32)
    for start in range(0, len(counts) - rate + 1, rate):
        native = NativeCounts(counts[start : start + rate], scale, source.count_range)
        yield native.to_uv(), native


def measure(source: Source, seconds: float) -> dict[str, Any]:
    """Before and after for one source, on the real store path (:func:`gymtui.store.samples._pack`/``_unpack``)."""
    from gymtui.store import samples

    blocks = list(blocks_of(source, seconds))
    if not blocks:
        raise RuntimeError(f"storage bench: no data for {source.key}")
    before = after = 0
    encode_s: list[float] = []
    decode_s: list[float] = []
    dtype = ""
    for seq, (uv, native) in enumerate(blocks):
        t0 = time.perf_counter()
        data, packed = samples._pack(uv, native)
        t1 = time.perf_counter()
        row = (seq, 0.0, source.rate_hz, 0, packed.dtype, data.shape[0], data.shape[1], packed.data, packed.codec, packed.scale_uv)
        back = samples._unpack(0, row)
        t2 = time.perf_counter()
        if back.samples_uv.tobytes() != uv.tobytes():
            raise RuntimeError(f"storage bench: {source.key} block {seq} did not come back bit for bit")
        encode_s.append(t1 - t0)
        decode_s.append(t2 - t1)
        before += uv.size * 4
        after += len(packed.data) + len(packed.scale_uv or b"")
        dtype = packed.dtype
    seconds_stored = len(blocks)
    return {
        "before_B_per_s": round(before / seconds_stored),
        "after_B_per_s": round(after / seconds_stored),
        "ratio": round(after / before, 3),
        "dtype": dtype,
        "encode_us": round(statistics.median(encode_s) * 1e6),
        "decode_us": round(statistics.median(decode_s) * 1e6),
    }


def file_growth_mb_per_hour(seconds: float) -> dict[str, float]:
    """4 ch 1 kHz written into real database files the old way and the new way; MB per hour of signal."""
    from gymtui.store import Store

    adc = next(s for s in SOURCES if s.key == "adc16_4ch_1khz")
    demo = next(s for s in SOURCES if s.key == "demo_float32_4ch_1khz")
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, source, legacy in (("before", demo, True), ("after_int16", adc, False), ("after_float32", demo, False)):
            path = Path(tmp) / f"{label}.db"
            store = Store(path)
            set_id = store.start_set(store.ensure_athlete("bench"), "bench", "bench")
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            start_size = path.stat().st_size
            n = 0
            for seq, (uv, native) in enumerate(blocks_of(source, seconds)):
                if legacy:  # exactly the row the store wrote before: plain float32, no codec
                    with store.conn:
                        store.conn.execute(
                            "INSERT INTO signal_blocks (set_id, seq, t0_s, rate_hz, dtype, n_samples, n_channels, lost_samples, data)"
                            " VALUES (?, ?, ?, ?, '<f4', ?, ?, 0, ?)",
                            (set_id, seq, float(seq), source.rate_hz, uv.shape[0], uv.shape[1], uv.astype("<f4").tobytes()),
                        )
                else:
                    store.append_signal(set_id, seq, float(seq), source.rate_hz, uv, 0, native)
                n += 1
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            grown = path.stat().st_size - start_size
            store.close()
            out[label] = round(grown / n * 3600 / 1e6, 1)
    return out


def run(report: dict[str, Any], quick: bool) -> None:
    seconds = 8.0 if quick else 60.0
    for source in SOURCES:
        report[f"storage_{source.key}"] = measure(source, seconds)
    report["storage_file_mb_per_hour_4ch_1khz"] = file_growth_mb_per_hour(seconds)
    report["storage_bench_notes"] = (
        f"{seconds:g} s per source in 1 s blocks; before = float32 uncompressed as stored before, after = device counts "
        "in their smallest integer type (float32 for float sources), channel-major, byte-shuffled, zlib 6; "
        "encode/decode = median us per 1 s block; "
        + ("Myo = the public recording" if myo_recording() else f"Myo = the simulator at {MYO_SIM_UV_PER_COUNT:g} uV/count (recording not found)")
        + ", others = the simulator quantised as each device would"
    )
