"""A set's raw signal as the lab formats need it: blocks on the wall clock, events, and one gap-aware timeline.

The store hands a set's signal over block by block (each with the host-clock
time of its first sample and the samples known lost before it); the export
command places each block on the wall clock (``t0_s + clock_offset_s``) and
turns the set's phases, reps, rating and cues into :class:`RawEvent`. The
writers (:mod:`.edf_export`, :mod:`.raw_csv`) take a :class:`RawRecording`
and never see the store.

:func:`continuous` lays the blocks end to end for formats that need one
sample every ``1/rate`` seconds (EDF+C, BDF+C). A block starts where its
time says (``round((t0 - first t0) × rate)`` samples in), and never earlier
than ``lost_samples`` after the end of the one before: whichever of the two
says more is the gap. Trusting the clock keeps every block at its true time
when the clock jumps over lost samples; trusting the count as well keeps a
gap the clock did not show (a chunk whose losses lie inside it: its
neighbour's time then needs no further gap, so nothing is counted twice).
A block whose time lies before the end of the one before (the host clock
stepped back) simply follows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


class RawExportError(ValueError):
    """A recording that cannot be written in the asked format; the message is the one line to show."""


@dataclass(frozen=True, slots=True, eq=False)
class RawBlock:
    """Samples ``(n, channels)`` in the recording's unit; ``t0_s`` the first one's wall time (Unix seconds)."""

    t0_s: float
    lost_samples: int
    samples: npt.NDArray[np.float32]

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])


@dataclass(frozen=True, slots=True)
class RawEvent:
    """Something that happened during the recording, at a wall time (Unix seconds), with a duration or none."""

    at_s: float
    duration_s: float | None
    text: str


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples missing before ``index`` of the continuous timeline (``n_samples`` of them, filled by the writer)."""

    index: int
    n_samples: int


@dataclass(frozen=True, eq=False)
class RawRecording:
    """One set's raw signal with what a lab reader needs to make sense of it.

    ``labels`` name the channels (the set's muscles), ``unit`` is the
    samples' physical unit. ``tz`` is the zone the start date-time is
    written in (the set's own UTC offset: EDF's start is the local clock
    of where it was recorded). ``physical_range`` is the sensor's range per
    channel where known (None: the writer derives it from the data).
    ``notes`` are free lines a header may carry (how the wall time was
    found); ``set_id``, ``exercise`` and ``subject`` (a code for the
    athlete) say whose set it is.
    """

    rate_hz: float
    labels: tuple[str, ...]
    unit: str
    blocks: tuple[RawBlock, ...]
    events: tuple[RawEvent, ...] = ()
    tz: dt.tzinfo = dt.UTC
    physical_range: tuple[tuple[float, float], ...] | None = None
    notes: tuple[str, ...] = ()
    set_id: int | None = None
    exercise: str = ""
    subject: str = ""

    def __post_init__(self) -> None:
        if not self.blocks or sum(b.n_samples for b in self.blocks) == 0:
            raise RawExportError("no raw signal to write")
        if not self.rate_hz > 0:
            raise RawExportError(f"sample rate {self.rate_hz!r} Hz is not a rate")
        widths = {b.samples.shape[1] for b in self.blocks}
        if widths != {len(self.labels)}:
            raise RawExportError(f"{len(self.labels)} channel labels but blocks of {sorted(widths)} channels")

    @property
    def start_s(self) -> float:
        """Wall time of the first sample (Unix seconds)."""
        return self.blocks[0].t0_s

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.start_s, self.tz)

    @property
    def n_channels(self) -> int:
        return len(self.labels)


def timeline(blocks: Sequence[RawBlock], rate_hz: float) -> tuple[list[int], list[Gap], int]:
    """Where each block starts on the continuous timeline, the gaps before them, and the total length."""
    starts: list[int] = []
    gaps: list[Gap] = []
    end = 0
    first = blocks[0].t0_s
    for i, block in enumerate(blocks):
        by_clock = round((block.t0_s - first) * rate_hz) - end
        missing = max(by_clock, block.lost_samples, 0) if i else 0
        if missing:
            gaps.append(Gap(end, missing))
        start = end + missing
        starts.append(start)
        end = start + block.n_samples
    return starts, gaps, end


def continuous(recording: RawRecording, length: int | None = None) -> tuple[npt.NDArray[np.float64], list[Gap]]:
    """All samples on one timeline, ``(n, channels)`` float64, each gap a flat line at the last value before it.

    ``length`` pads the end with the last value too (a format whose records
    must be whole). Holding the last value rather than writing zeros keeps a
    reader's filters from ringing on a step that never happened; the gaps
    come back so the writer can mark each one.
    """
    starts, gaps, end = timeline(recording.blocks, recording.rate_hz)
    total = max(end, length or 0)
    out = np.empty((total, recording.n_channels), dtype=np.float64)
    filled = 0
    for start, block in zip(starts, recording.blocks, strict=True):
        if start > filled:
            out[filled:start] = out[filled - 1] if filled else block.samples[0]
        out[start : start + block.n_samples] = block.samples
        filled = max(filled, start + block.n_samples)
    if total > filled:
        out[filled:] = out[filled - 1]
    return out, gaps


NATIVE_RANGE_MAX_BITS = 16
"""Integer types up to this wide are taken as the sensor's whole range (a 24-bit ADC kept in int32 is not)."""


def native_range(dtype: str, scale_uv: bytes | None, n_channels: int) -> tuple[tuple[float, float], ...] | None:
    """The sensor's physical range per channel, from blocks kept as its own integers and their scale.

    ``dtype`` is the stored numpy type (``|i1`` for Myo's int8, ``<i2`` for a
    16-bit ADC) and ``scale_uv`` the float64 unit per count of each channel.
    None where the range is not known from them: floats, no scale, or an
    integer wider than :data:`NATIVE_RANGE_MAX_BITS` (its top bits unused).
    """
    try:
        kind = np.dtype(dtype)
    except TypeError:
        return None
    if kind.kind != "i" or kind.itemsize * 8 > NATIVE_RANGE_MAX_BITS or not scale_uv:
        return None
    scales = np.frombuffer(scale_uv, dtype="<f8")
    if scales.shape != (n_channels,) or not np.all(np.isfinite(scales)) or np.any(scales == 0):
        return None
    info = np.iinfo(kind)
    return tuple((float(min(info.min * s, info.max * s)), float(max(info.min * s, info.max * s))) for s in scales)
