"""A text recording read as a header and a numeric block: the shared half of every text reader.

The readers for OpenBCI GUI, Delsys Trigno, gymtui's CSVs and plain columns
differ only in their headers. The rows below a header are numbers, and
numpy's C parser (``np.loadtxt``) turns them into an array about three times
faster than a Python loop over the rows (``gymtui bench`` measures both).
The file is read in batches of complete lines under the same bounds
:mod:`gymtui.signal.recording` sets (regular file, 256 MiB, 64 KiB lines, no
NUL bytes), so a batch is all that is held as text at any time.

Where numpy refuses a batch (a ragged row, a word among the numbers), the
batch is read again line by line only to name the first bad line in one
message: the slow path runs once, on the way to an error.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np

from gymtui.signal.recording import (
    RecordingError,
    line_chunks,
)

BATCH_LINES = 65_536
"""Lines handed to numpy at a time: large enough that its per-call cost vanishes,
small enough (a few MB of text) that a 256 MB file is never held whole as strings."""

SPLIT_ANY = re.compile(r"[,\t; ]+")
"""The separators a plain recording may mix (as :mod:`gymtui.signal.recording` takes them)."""


class LineStream:
    """The file's lines in order, numbered from 1: a few taken one by one for the header, the rest in batches."""

    def __init__(self, handle: BinaryIO, source: str) -> None:
        self.source = source
        self._chunks = line_chunks(handle, source)
        self._lines: list[str] = []
        self._pos = 0
        self.lineno = 0
        """The number of the last line handed out (0 before the first)."""

    def _fill(self) -> bool:
        while self._pos >= len(self._lines):
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._lines, self._pos = chunk, 0
        return True

    def next_line(self) -> str | None:
        """The next line (without its line break), or None at the end of the file."""
        if not self._fill():
            return None
        line = self._lines[self._pos]
        self._pos += 1
        self.lineno += 1
        return line

    def next_nonblank(self) -> str | None:
        while (line := self.next_line()) is not None:
            if line.strip():
                return line
        return None

    def peek(self, n: int) -> list[str]:
        """Up to ``n`` of the next lines without taking them (only what the current chunk holds)."""
        if not self._fill():
            return []
        return self._lines[self._pos:self._pos + n]

    def push_back(self) -> None:
        """Hand the last line out again (a header reader that read one line too far)."""
        self._pos -= 1
        self.lineno -= 1

    def batches(self) -> Iterator[tuple[int, list[str]]]:
        """The remaining lines, as ``(number of the first, lines)`` in batches of up to :data:`BATCH_LINES`."""
        while self._fill():
            batch = self._lines[self._pos:self._pos + BATCH_LINES]
            self._pos += len(batch)
            first = self.lineno + 1
            self.lineno += len(batch)
            yield first, batch


RowSplitter = Callable[[str], list[str]]


def numeric_block(
    stream: LineStream,
    *,
    delimiter: str | None,
    usecols: tuple[int, ...] | None = None,
    comments: str | None = "#",
    split: RowSplitter | None = None,
    missing_as_nan: bool = False,
) -> np.ndarray:
    """The rest of the file as one float64 array ``(rows, columns)``; blank and comment lines skipped.

    ``usecols`` picks columns (a text column such as a formatted timestamp
    is left out this way). ``split`` is how a line splits into fields when
    numpy refuses a batch: it names the bad line, or reads a batch whose
    separators numpy cannot (a plain file mixing commas and spaces).
    ``missing_as_nan``: an empty cell is nan (a sensor at a lower rate whose
    column ends before the others'), read by ``np.genfromtxt`` for the
    batches that have one.
    """
    splitter = split or _splitter(delimiter)
    blocks: list[np.ndarray] = []
    width: int | None = None
    for first, batch in stream.batches():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data": a batch of comments
                block = np.loadtxt(
                    batch, dtype=np.float64, delimiter=delimiter, usecols=usecols, comments=comments or "#", ndmin=2
                )
        except ValueError:
            missing = _missing_batch(batch, delimiter, usecols, comments) if missing_as_nan else None
            block = missing if missing is not None else _slow_batch(
                batch, first, stream.source, splitter, usecols, comments, width
            )
        if block.shape[0] == 0:
            continue
        if width is None:
            width = block.shape[1]
        elif block.shape[1] != width:
            block = _slow_batch(batch, first, stream.source, splitter, usecols, comments, width)
        blocks.append(block)
    if not blocks:
        raise RecordingError(f"{stream.source}: no numeric samples found")
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _missing_batch(
    batch: list[str], delimiter: str | None, usecols: tuple[int, ...] | None, comments: str | None
) -> np.ndarray | None:
    """A batch with empty cells as nan, or None where something else is wrong with it (a ragged row)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            block = np.genfromtxt(
                batch, dtype=np.float64, delimiter=delimiter, usecols=usecols, comments=comments or "#",
                filling_values=np.nan, invalid_raise=True,
            )
    except ValueError:
        return None
    width = len(usecols) if usecols else (block.shape[-1] if block.ndim else 1)
    return block.reshape(-1, width)


def _splitter(delimiter: str | None) -> RowSplitter:
    if delimiter is None:
        return str.split
    return lambda line: [f.strip() for f in line.split(delimiter)]


def _slow_batch(
    batch: list[str],
    first: int,
    source: str,
    split: RowSplitter,
    usecols: tuple[int, ...] | None,
    comments: str | None,
    width: int | None,
) -> np.ndarray:
    """One batch read line by line: its rows, or a :class:`RecordingError` naming the first bad line."""
    rows: list[list[float]] = []
    for lineno, raw in enumerate(batch, start=first):
        line = raw.split(comments, 1)[0] if comments else raw
        line = line.strip()
        if not line:
            continue
        fields = split(line)
        if usecols is not None:
            if len(fields) <= max(usecols):
                raise RecordingError(f"{source}:{lineno}: {len(fields)} columns where the header names {max(usecols) + 1}")
            fields = [fields[i] for i in usecols]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            bad = next(f for f in fields if not _is_number(f))
            what = f"not a number: {bad[:40]!r}" if bad else "an empty cell"
            raise RecordingError(f"{source}:{lineno}: {what}") from None
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise RecordingError(f"{source}:{lineno}: {len(values)} columns where earlier lines have {width}")
        rows.append(values)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width or 0)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_finite(samples: np.ndarray, source: str) -> None:
    """One line naming the first sample that is nan or inf (a lab tool's overflow, a hand edit)."""
    finite = np.isfinite(samples)
    if not finite.all():
        row = int(np.argwhere(~finite)[0, 0]) + 1
        raise RecordingError(f"{source}: sample {row} is not finite (nan or inf)")


_UNIT = re.compile(r"^\s*(µ|μ|u|micro|m|milli)?\s*(v|volts?)\s*$", re.IGNORECASE)


def microvolts_per(unit: str) -> float | None:
    """Factor from ``unit`` (``V``, ``mV``, ``µV``, ``uV``, ``Volts``...) to µV; None for anything else."""
    m = _UNIT.match(unit)
    if not m:
        return None
    prefix = (m.group(1) or "").lower()
    if prefix in ("µ", "μ", "u", "micro"):
        return 1.0
    if prefix in ("m", "milli"):
        return 1000.0
    return 1e6


def rate_and_gaps(t_s: np.ndarray, source: str, rate_hz: float | None) -> tuple[float, tuple[tuple[int, int], ...]]:
    """The rate (given, or from the median step of the file's clock) and where the clock jumps.

    A step of ``k`` sample periods (``k`` ≥ 2, rounded) before sample ``i``
    is a gap of ``k - 1`` lost samples there. A clock that stands still or
    runs backwards is refused: its rows are not a recording in time order.
    """
    if t_s.shape[0] < 2:
        raise RecordingError(f"{source}: fewer than two samples")
    steps = np.diff(t_s)
    if not np.all(steps > 0):
        row = int(np.argwhere(~(steps > 0))[0, 0]) + 2
        raise RecordingError(f"{source}: the time column does not increase at sample {row}")
    if rate_hz is None:
        rate_hz = round(1.0 / float(np.median(steps)), 3)
    periods = np.rint(steps * rate_hz).astype(np.int64)
    at = np.flatnonzero(periods >= 2)
    return float(rate_hz), tuple((int(i) + 1, int(periods[i]) - 1) for i in at)


def positive_rate(rate_hz: float | None, source: str) -> float:
    if rate_hz is None:
        raise RecordingError(f"{source}: the header does not state a sampling rate; pass --rate HZ")
    if not rate_hz > 0 or not np.isfinite(rate_hz):
        raise RecordingError(f"{source}: the sampling rate must be positive, got {rate_hz:g}")
    return float(rate_hz)
