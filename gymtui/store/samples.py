"""Raw signal, stored in blocks of about a second so a kill loses at most the block in flight."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gymtui.store.tables import Tables


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
