"""Raw signal, stored in blocks of about a second so a kill loses at most the block in flight.

A block from a device with integer counts is kept in those counts (the
smallest integer type its format's range fits: Myo int8, a 16-bit ADC int16,
the Ganglion's 24 bits int32) with the per-channel scale that made them µV;
a float source's block is kept as float32. Either way it is packed
losslessly (:mod:`gymtui.store.codec`). Readers always get float32 in the
source's unit, the very values the live chain saw. Blocks stored before
packing (``codec`` NULL: plain ``dtype`` values) still read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from gymtui.model import NativeCounts
from gymtui.store import codec
from gymtui.store.errors import StoreError
from gymtui.store.tables import Tables

log = logging.getLogger(__name__)

_said: set[str] = set()
"""The reasons a block fell back to float32 already logged in this process (each is said once)."""


class CorruptBlock(StoreError, ValueError):
    """A stored block that cannot be decoded; the message names the set and the block."""


@dataclass(frozen=True, slots=True, eq=False)
class StoredBlock:
    """One stored block of a set's raw signal, as the sensor gave it.

    ``samples_uv`` is float32 ``(n_samples, n_channels)`` in the source's
    unit. ``t0_s`` is the host clock of the first sample (the clock the set's
    phases are stamped on), and ``lost_samples`` the samples known lost just
    before it: a reader rebuilding the timeline keeps gaps as gaps.
    """

    seq: int
    t0_s: float
    rate_hz: float
    lost_samples: int
    samples_uv: npt.NDArray[np.float32]

    @property
    def n_samples(self) -> int:
        return int(self.samples_uv.shape[0])


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What ``prune_raw`` removed (or would remove): sets whose raw signal goes, their blocks and bytes."""

    sets: int
    blocks: int
    bytes: int
    cutoff: datetime


@dataclass(frozen=True, slots=True)
class _Packed:
    dtype: str
    codec: str
    scale_uv: bytes | None
    data: bytes


def _say_once(reason: str, detail: str) -> None:
    if reason not in _said:
        _said.add(reason)
        log.warning("raw signal stored as float32: %s (said once)", detail)


def _native_values(data: npt.NDArray[np.float32], native: NativeCounts) -> tuple[np.ndarray, np.ndarray] | None:
    """``(counts in their storage type, float64 scale)`` if they are exactly ``data``; None (said once) if not."""
    counts = native.counts
    if counts.shape != data.shape:
        _say_once("shape", f"counts of shape {counts.shape} for samples of shape {data.shape}")
        return None
    lo, hi = native.count_range
    dtype = codec.smallest_int_dtype(lo, hi)
    if dtype is None:
        _say_once("range", f"the device's range [{lo}, {hi}] does not fit 32-bit integers")
        return None
    if counts.size and (int(counts.min()) < lo or int(counts.max()) > hi):
        _say_once("over-range", f"counts beyond the device's range [{lo}, {hi}]")
        return None
    if not np.array_equal(native.to_uv().view(np.uint32), data.view(np.uint32)):
        _say_once("mismatch", "counts × scale differ from the samples the live chain saw")
        return None
    return counts.astype(dtype), native.scale_uv.astype("<f8")


def _pack(samples: npt.ArrayLike, native: NativeCounts | None) -> tuple[npt.NDArray[np.float32], _Packed]:
    data = np.ascontiguousarray(samples, dtype=np.float32)
    if data.ndim != 2:
        raise ValueError(f"raw signal must be 2-D (samples × channels), got shape {data.shape}")
    found = _native_values(data, native) if native is not None else None
    if found is not None:
        counts, scale = found
        name, packed = codec.encode(counts)
        return data, _Packed(f"<{counts.dtype.kind}{counts.dtype.itemsize}", name, scale.tobytes(), packed)
    name, packed = codec.encode(data)
    return data, _Packed("<f4", name, None, packed)


def _unpack(set_id: int, row: tuple[Any, ...]) -> StoredBlock:
    seq, t0_s, rate_hz, lost, dtype, n, ch, data, name, scale_blob = row
    where = f"set {set_id}, block {seq}"
    try:
        if name is None:
            kind = np.dtype(dtype)
            if len(data) != n * ch * kind.itemsize:
                raise codec.CodecError(f"{len(data)} bytes for {n} × {ch} {dtype} values")
            values = np.frombuffer(data, dtype=kind).reshape(n, ch)
        else:
            values = codec.decode(name, dtype, n, ch, data)
        if scale_blob is None:
            samples = values.astype(np.float32)
        else:
            if len(scale_blob) != 8 * ch:
                raise codec.CodecError(f"{len(scale_blob)} bytes of scale for {ch} channels")
            scale = np.frombuffer(scale_blob, dtype="<f8").astype(np.float32)
            samples = NativeCounts(values, scale, (0, 0)).to_uv()
    except (codec.CodecError, TypeError, ValueError) as exc:
        raise CorruptBlock(f"{where}: stored raw signal cannot be read ({exc})") from None
    return StoredBlock(int(seq), float(t0_s), float(rate_hz), int(lost or 0), samples)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class Samples(Tables):
    """Raw EMG samples of a set, block by block."""

    def append_signal(
        self,
        set_id: int,
        seq: int,
        t0_s: float,
        rate_hz: float,
        samples: npt.ArrayLike,
        lost: int = 0,
        native: NativeCounts | None = None,
    ) -> None:
        """Store a chunk of raw signal (float32, samples × channels), in the device's counts where ``native`` gives them.

        Counts that do not reproduce ``samples`` exactly, or lie beyond the
        device's range, are never trusted: the block is stored as float32
        (and the reason logged once), so no sample is ever lost to packing.
        """
        data, packed = _pack(samples, native)
        with self.conn:
            self.db.table("signal_blocks").insert(
                {
                    "set_id": set_id,
                    "seq": seq,
                    "t0_s": t0_s,
                    "rate_hz": rate_hz,
                    "dtype": packed.dtype,
                    "n_samples": int(data.shape[0]),
                    "n_channels": int(data.shape[1]),
                    "lost_samples": lost,
                    "data": packed.data,
                    "codec": packed.codec,
                    "scale_uv": packed.scale_uv,
                }
            )

    def raw_blocks(self, set_id: int) -> Iterator[StoredBlock]:
        """The set's stored blocks in order, one at a time (a long set is never held twice).

        A block that cannot be decoded raises :class:`CorruptBlock` naming the set and block.
        """
        for row in self.conn.execute(
            "SELECT seq, t0_s, rate_hz, lost_samples, dtype, n_samples, n_channels, data, codec, scale_uv"
            " FROM signal_blocks WHERE set_id = ? ORDER BY seq",
            (set_id,),
        ):
            yield _unpack(set_id, row)

    def signal_of(self, set_id: int) -> tuple[npt.NDArray[np.float32], float]:
        """The whole raw signal of a set, concatenated in order, and its rate (:class:`CorruptBlock` if a block is damaged)."""
        blocks = list(self.raw_blocks(set_id))
        if not blocks:
            return np.zeros((0, 0), dtype=np.float32), 0.0
        return np.concatenate([b.samples_uv for b in blocks]), blocks[-1].rate_hz

    def prune_raw(
        self, older_than: timedelta, *, athlete_id: int | None = None, dry_run: bool = False, now: datetime | None = None
    ) -> PrunePlan:
        """Delete the raw signal blocks of sets started more than ``older_than`` ago (of one athlete, if given).

        Only ``signal_blocks`` rows go: every set, phase, rep, rating, cue and
        summary stays. ``dry_run`` counts without deleting. The file keeps its
        size until :meth:`vacuum`.
        """
        cutoff = (now or datetime.now(UTC)) - older_than
        query = (
            "SELECT s.id, s.started_at, COUNT(b.id), SUM(LENGTH(b.data) + COALESCE(LENGTH(b.scale_uv), 0))"
            " FROM sets s JOIN signal_blocks b ON b.set_id = s.id"
        )
        args: tuple[int, ...] = ()
        if athlete_id is not None:
            query += " WHERE s.athlete_id = ?"
            args = (athlete_id,)
        query += " GROUP BY s.id ORDER BY s.id"
        chosen: list[int] = []
        blocks = size = 0
        for set_id, started_at, n_blocks, n_bytes in self.conn.execute(query, args).fetchall():
            started = _parse_time(started_at)
            if started is None or started >= cutoff:
                continue
            chosen.append(int(set_id))
            blocks += int(n_blocks)
            size += int(n_bytes or 0)
        if chosen and not dry_run:
            with self.conn:
                self.conn.executemany("DELETE FROM signal_blocks WHERE set_id = ?", [(i,) for i in chosen])
        return PrunePlan(len(chosen), blocks, size, cutoff)

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (rewrites the file; needs as much free space).

        In WAL mode the rewritten pages land in the log first: the checkpoint
        copies them back and truncates both files, so the file is smaller now.
        """
        self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
