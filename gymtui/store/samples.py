"""Raw signal, stored in blocks of about a second so a kill loses at most the block in flight."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gymtui.store.tables import Tables


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


class Samples(Tables):
    """Raw EMG samples of a set, block by block."""

    def append_signal(self, set_id: int, seq: int, t0_s: float, rate_hz: float, samples: npt.ArrayLike, lost: int = 0) -> None:
        """Store a chunk of raw signal (float32, samples × channels) with its own description."""
        data = np.ascontiguousarray(samples, dtype=np.float32)
        with self.conn:
            self.db.table("signal_blocks").insert(
                {
                    "set_id": set_id,
                    "seq": seq,
                    "t0_s": t0_s,
                    "rate_hz": rate_hz,
                    "dtype": "<f4",
                    "n_samples": int(data.shape[0]),
                    "n_channels": int(data.shape[1]),
                    "lost_samples": lost,
                    "data": data.astype("<f4").tobytes(),
                }
            )

    def raw_blocks(self, set_id: int) -> Iterator[StoredBlock]:
        """The set's stored blocks in order, one at a time (a long set is never held twice)."""
        for row in self.conn.execute(
            "SELECT seq, t0_s, rate_hz, lost_samples, dtype, n_samples, n_channels, data FROM signal_blocks"
            " WHERE set_id = ? ORDER BY seq",
            (set_id,),
        ):
            seq, t0_s, rate_hz, lost, dtype, n, ch, data = row
            samples = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(n, ch).astype(np.float32)
            yield StoredBlock(int(seq), float(t0_s), float(rate_hz), int(lost or 0), samples)

    def signal_of(self, set_id: int) -> tuple[npt.NDArray[np.float32], float]:
        """The whole raw signal of a set, concatenated in order, and its rate."""
        blocks: list[npt.NDArray[np.generic]] = []
        rate_hz = 0.0
        for row in self.conn.execute(
            "SELECT dtype, n_samples, n_channels, data, rate_hz FROM signal_blocks WHERE set_id = ? ORDER BY seq",
            (set_id,),
        ):
            dtype, n, ch, data, rate_hz = row
            blocks.append(np.frombuffer(data, dtype=np.dtype(dtype)).reshape(n, ch))
        if not blocks:
            return np.zeros((0, 0), dtype=np.float32), rate_hz
        return np.concatenate(blocks).astype(np.float32), float(rate_hz)
