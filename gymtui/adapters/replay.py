"""A recording played back as the live EMG sensor (``--replay FILE``).

Any file :func:`gymtui.interop.readers.read_recording` reads (OpenBCI GUI,
Trigno CSV, EDF/BDF, gymtui's CSVs, plain columns) becomes a source like the
demo sensor: blocks of 10 ms of the file's samples, handed over at the
file's rate on the app's clock (which ``--speed`` runs faster), stamped on
that clock, numbered so a gap shows. The file's channel labels are the
channels' names. A gap the file marks (its clock jumps) reaches the worker
as ``lost_samples`` on the block after it, as a dropped radio packet would.

When the file ends the source stops: it plays each sample once, so what a
set stores is exactly the file's samples, never a loop that was not
lifted. It reports the link as disconnected with "recording ended" and
calls ``on_end`` with one line for the athlete; the set runs on as a timer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gymtui.device_api import BlockSink, HealthSink
from gymtui.model import (
    ChannelInfo,
    LinkHealth,
    LinkState,
    MuscleRole,
    SampleBlock,
    SourceInfo,
)
from gymtui.signal.recording import Recording
from gymtui.tasks import cancel_and_wait
from gymtui.text import safe_text

DELIVERY_INTERVAL_S = 0.03
"""Wall seconds between deliveries (as the demo sensor): about 30 a second at any speed."""

BLOCK_S = 0.010
"""Samples per block, in seconds of the file: a BLE notification's worth, as the demo sensor sends."""

MAX_LABEL_CHARS = 40
"""A channel label from the file is cut to this many characters for a bar's name."""


class ReplayEmgSource:
    """A recording as an :class:`~gymtui.device_api.EmgSource`, played once at its own rate."""

    names_channels = True
    """The file's labels say which muscle each column was: a set keeps them (see ``label_channels``)."""

    def __init__(
        self,
        recording: Recording,
        *,
        roles: tuple[MuscleRole, ...] = (),
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        on_end: Callable[[str], None] | None = None,
        block_s: float = BLOCK_S,
    ) -> None:
        n_channels = recording.samples.shape[1]
        names = [safe_text(n, max_chars=MAX_LABEL_CHARS) or f"Channel {i + 1}" for i, n in enumerate(recording.names)]
        channels = tuple(
            ChannelInfo(names[i], roles[i] if i < len(roles) else MuscleRole.OTHER,
                        "µV" if recording.in_microvolts else "a.u.")
            for i in range(n_channels)
        )
        self.file_name = safe_text(Path(recording.source).name, max_chars=60)
        self._info = SourceInfo(f"Replay {self.file_name}", channels, recording.rate_hz,
                                "µV" if recording.in_microvolts else "a.u.")
        self._samples = np.ascontiguousarray(recording.samples, dtype=np.float32)
        self._blocks = _cut(self._samples.shape[0], max(1, round(block_s * recording.rate_hz)), recording.gaps)
        self._speed = speed
        self._clock = clock
        self._on_end = on_end
        self._health = LinkHealth(LinkState.DISCONNECTED)
        self._task: asyncio.Task[None] | None = None
        self.ended = False

    @property
    def info(self) -> SourceInfo:
        return self._info

    @property
    def health(self) -> LinkHealth:
        return self._health

    @property
    def block_starts(self) -> tuple[int, ...]:
        """The file's sample index each block (by ``seq``) starts at: what a stored block is compared with."""
        return tuple(b[0] for b in self._blocks)

    async def connect(self, timeout_s: float = 10.0) -> None:
        self._health = LinkHealth(LinkState.CONNECTED, message=f"replaying {self.file_name}")

    async def start(self, on_block: BlockSink, on_health: HealthSink | None = None) -> None:
        if on_health:
            on_health(self._health)
        # The file's first sample is "now": read the clock here, not when the task first runs.
        self._task = asyncio.create_task(self._run(on_block, on_health, self._clock()), name="replay-emg")

    async def _run(self, on_block: BlockSink, on_health: HealthSink | None, start_s: float) -> None:
        rate_hz = self._info.rate_hz
        interval_s = max(BLOCK_S / self._speed, DELIVERY_INTERVAL_S)
        seq = 0
        while seq < len(self._blocks):
            due = (self._clock() - start_s) * rate_hz  # samples of the file's timeline due by now
            while seq < len(self._blocks):
                first, end, lost, at = self._blocks[seq]
                if at + (end - first) > due:
                    break
                on_block(SampleBlock(self._samples[first:end], start_s + at / rate_hz, rate_hz, seq, lost_samples=lost))
                seq += 1
            if seq < len(self._blocks):
                await asyncio.sleep(interval_s)
        self.ended = True
        duration = self._samples.shape[0] / rate_hz
        self._health = LinkHealth(LinkState.DISCONNECTED, message="recording ended")
        if on_health:
            on_health(self._health)
        if self._on_end:
            self._on_end(f"The recording {self.file_name} ended ({duration:.1f} s played): sets run as a timer only")

    async def disconnect(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        self._health = LinkHealth(LinkState.DISCONNECTED)


def _cut(n: int, block_n: int, gaps: tuple[tuple[int, int], ...]) -> list[tuple[int, int, int, int]]:
    """The file cut into blocks ``(first, end, lost_before, timeline_position)``; a gap always starts a block."""
    lost_at = dict(gaps)
    edges = sorted({0, *(i for i in lost_at if 0 < i < n)})
    blocks = []
    timeline = 0
    for k, seg_start in enumerate(edges):
        seg_end = edges[k + 1] if k + 1 < len(edges) else n
        timeline += lost_at.get(seg_start, 0)
        for first in range(seg_start, seg_end, block_n):
            end = min(first + block_n, seg_end)
            blocks.append((first, end, lost_at.get(seg_start, 0) if first == seg_start else 0, timeline + first))
    return blocks
