"""Reading EMG recordings from plain text: numeric columns with ``#`` comments.

Accepts what lab exports look like in the wild: whitespace, comma or tab
separated columns, CRLF or LF line ends, comment lines anywhere, an
OpenSignals-style header (``# Sampling Rate (Hz):= 1000.00``,
``# Labels:= EMG``) or a free-text header that names its rate ("4000 Hz")
and its columns ("columns: RF_mV BF_mV"). Values are taken as they are: ADC
counts with a mid-scale offset are fine, the band-pass removes it.

Every problem is a :class:`RecordingError` with one line saying where and
what, for the command line to print.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import numpy as np


class RecordingError(ValueError):
    """A recording that cannot be read; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Recording:
    """``samples`` float64 ``(n_samples, n_channels)``, in µV where the file says its unit.

    ``unit_scale`` is the factor applied to reach µV, or None where the file
    names no unit (ADC counts, a device's arbitrary units): then the
    samples are as they were.

    ``gaps`` lists where the file's own clock jumps: ``(index, lost)`` says
    ``lost`` samples are missing just before sample ``index`` (a dropped
    packet in a gymtui export or simulation). The samples stay consecutive;
    a replay hands each gap on as ``lost_samples``.
    """

    samples: np.ndarray
    rate_hz: float
    names: tuple[str, ...]
    source: str
    unit_scale: float | None = None
    gaps: tuple[tuple[int, int], ...] = ()

    @property
    def in_microvolts(self) -> bool:
        return self.unit_scale is not None

    @property
    def duration_s(self) -> float:
        result: float = self.samples.shape[0] / self.rate_hz
        return result


_RATE_TAG = re.compile(r"sampling\s*rate[^:=]*[:=]+\s*([0-9]+(?:\.[0-9]*)?)", re.IGNORECASE)
_RATE_FREE = re.compile(r"(?<![\w.])~?([0-9]+(?:\.[0-9]+)?)\s*Hz\b", re.IGNORECASE)
_LABELS_TAG = re.compile(r"labels\s*:=\s*(.+)$", re.IGNORECASE)
_COLUMNS_FREE = re.compile(r"columns?\s*:\s*([^()]+?)(?:\(|$)", re.IGNORECASE)
_SPLIT = re.compile(r"[,\t; ]+")


def rate_from_header(comments: list[str]) -> float | None:
    """The sampling rate a header states, or None when it states none (or several)."""
    for line in comments:
        m = _RATE_TAG.search(line)
        if m:
            return float(m.group(1))
    found = {float(m.group(1)) for line in comments for m in _RATE_FREE.finditer(line)}
    return found.pop() if len(found) == 1 else None


def names_from_header(comments: list[str], n_channels: int) -> tuple[str, ...]:
    for line in comments:
        for pattern in (_LABELS_TAG, _COLUMNS_FREE):
            m = pattern.search(line)
            if m:
                names = [t for t in _SPLIT.split(m.group(1).strip()) if t]
                if len(names) == n_channels:
                    return tuple(names)
    return tuple(f"ch{i + 1}" for i in range(n_channels))


_MICROVOLTS = re.compile(r"microvolt|µv\b|\buv\b", re.IGNORECASE)


def _unit_scale(names: tuple[str, ...], comments: list[str]) -> float | None:
    """Factor to µV where the file says its unit, None where it does not (ADC counts, a.u.).

    Columns all named ``*_mV`` (or ``*_V``) are converted; a header that
    says "microvolts" or "µV" is taken at its word.
    """
    if names and all(n.lower().endswith("_mv") for n in names):
        return 1000.0
    if names and all(n.lower().endswith("_v") for n in names):
        return 1e6
    if any(_MICROVOLTS.search(line) for line in comments):
        return 1.0
    return None


MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest recording read: 256 MiB. A set lasts minutes and a session at most an hour or two;
an hour of 8 channels at 1 kHz written as text (about 8 characters a value) is ~230 MB, and
the public recordings gymtui is checked against are under 1 MB each. The samples of a file at
this cap take up to ~1 GB as float64 (two-character values), so anything larger is refused
before it is read rather than after it has filled the memory."""

MAX_LINE_BYTES = 64 * 1024
"""Longest line read: 64 KiB. One sample row of 16 channels is under 300 bytes and a header
line a few hundred; a longer line is not a text recording (a binary file, a dump on one line)
and is refused without being held whole."""

MAX_HEADER_LINES = 1000
"""Comment lines kept for the header (the rate and the labels are in the first few)."""

_CHUNK_BYTES = 1024 * 1024
"""Bytes read at a time: large enough that reading costs little per line, small enough to hold."""

_BLOCK_ROWS = 8192
"""Rows parsed into Python floats before they become one numpy block: bounds the overhead
of Python objects (~30 bytes a value) to a few MB whatever the file's length."""


def parse_text(text: str, source: str = "<text>", rate_hz: float | None = None) -> Recording:
    """A recording from text already in memory (see :func:`load_text` for files)."""
    return parse_lines(text.splitlines(), source, rate_hz)


def parse_lines(lines: Iterable[str], source: str = "<text>", rate_hz: float | None = None) -> Recording:
    """A recording from its lines, read once, in order, and converted to numpy block by block."""
    comments: list[str] = []
    blocks: list[np.ndarray] = []
    rows: list[list[float]] = []
    width = None
    for lineno, raw in enumerate(lines, start=1):
        if len(raw) > MAX_LINE_BYTES:
            raise _long_line(source, lineno)
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if not rows and not blocks and len(comments) < MAX_HEADER_LINES:
                comments.append(line.lstrip("#").strip())
            continue
        line = line.split("#", 1)[0].strip()
        fields = [f for f in _SPLIT.split(line) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            bad = next(f for f in fields if not _is_number(f))
            raise RecordingError(f"{source}:{lineno}: not a number: {bad[:40]!r}") from None
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise RecordingError(f"{source}:{lineno}: {len(values)} columns where earlier lines have {width}")
        rows.append(values)
        if len(rows) == _BLOCK_ROWS:
            blocks.append(_block(rows))
            rows = []
    if rows:
        blocks.append(_block(rows))
    del rows
    if not blocks:
        raise RecordingError(f"{source}: no numeric samples found")
    import numpy as np

    samples = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    del blocks
    if not np.all(np.isfinite(samples)):
        lineno = int(np.argwhere(~np.isfinite(samples))[0, 0]) + 1
        raise RecordingError(f"{source}: sample {lineno} is not finite (nan or inf)")
    if rate_hz is None:
        rate_hz = rate_from_header(comments)
    if rate_hz is None:
        raise RecordingError(f"{source}: the header does not state a sampling rate; pass --rate HZ")
    if not rate_hz > 0:
        raise RecordingError(f"{source}: the sampling rate must be positive, got {rate_hz:g}")
    names = names_from_header(comments, samples.shape[1])
    scale = _unit_scale(names, comments)
    return Recording(samples * (scale or 1.0), float(rate_hz), names, source, scale)


def _block(rows: list[list[float]]) -> np.ndarray:
    # numpy is imported here, not at the top: a file refused in its first lines never loads it (0.3 s).
    import numpy as np

    return np.asarray(rows, dtype=np.float64)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_text(path: Path | str, rate_hz: float | None = None) -> Recording:
    """A recording from a text file, with every size bounded before it is held.

    Only a regular file is opened for reading: a device (``/dev/zero``), a
    FIFO or a directory is refused from its ``stat`` before a byte is read, as
    is a file over :data:`MAX_FILE_BYTES` (a 2 GB sparse file costs nothing to
    refuse). The file is then read in chunks: a line longer than
    :data:`MAX_LINE_BYTES` or a NUL byte (a binary file) stops the read where
    it is found, and the samples become numpy blocks as they are parsed.
    """
    path = Path(path)
    with _open_regular(path) as handle:
        return parse_lines(bounded_lines(handle, str(path)), str(path), rate_hz)


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for binary reading if it is a regular file of at most :data:`MAX_FILE_BYTES`.

    Opened non-blocking, so a FIFO with no writer cannot hang the open, and
    checked with ``fstat`` on the open file, so what is checked is what is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RecordingError(f"{path}: is a directory, not a recording") from None
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise RecordingError(f"{path}: is a directory, not a recording")
        if not stat.S_ISREG(info.st_mode):
            raise RecordingError(f"{path}: {_kind(info.st_mode)}, not a recording file")
        if info.st_size > MAX_FILE_BYTES:
            raise RecordingError(
                f"{path}: {_megabytes(info.st_size)}; recordings up to {_megabytes(MAX_FILE_BYTES)} are read"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=1 << 16)
    except BaseException:
        os.close(fd)
        raise


def bounded_lines(handle: BinaryIO, source: str) -> Iterator[str]:
    """The file's lines as text, read in chunks of :data:`_CHUNK_BYTES` (see :func:`line_chunks`)."""
    for lines in line_chunks(handle, source):
        yield from lines


def line_chunks(handle: BinaryIO, source: str) -> Iterator[list[str]]:
    """The file's complete lines, one list per chunk of :data:`_CHUNK_BYTES` read.

    Holds at most one chunk and one unfinished line; refuses growth past
    :data:`MAX_FILE_BYTES` (a file that grows while it is read, or reports no
    size, as procfs does), a NUL byte and a line over :data:`MAX_LINE_BYTES`
    where they are found, with the line's number. A byte-order mark before
    the first line (Windows tools write one) is not part of the header.
    """
    total = 0
    newlines = 0  # complete lines handed on so far, for the line number in a message
    carry = b""
    while True:
        try:
            chunk = handle.read(_CHUNK_BYTES)
        except OSError as exc:
            raise RecordingError(f"{source}: cannot read it ({exc.strerror or exc})") from None
        if not chunk:
            if carry:
                yield _checked_lines(_decode(carry).splitlines(), source, newlines)
            return
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise RecordingError(f"{source}: more than {_megabytes(MAX_FILE_BYTES)}; recordings up to that are read")
        nul = chunk.find(b"\x00")
        if nul >= 0:
            lineno = newlines + carry.count(b"\n") + chunk.count(b"\n", 0, nul) + 1
            raise RecordingError(f"{source}:{lineno}: NUL bytes: a binary file, not a text recording")
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        complete, carry = data[:cut], data[cut:]
        if len(carry) > MAX_LINE_BYTES:
            raise _long_line(source, newlines + complete.count(b"\n") + 1)
        if complete:
            lines = _checked_lines(_decode(complete).splitlines(), source, newlines)
            newlines += complete.count(b"\n")
            yield lines


def _checked_lines(lines: list[str], source: str, before: int) -> list[str]:
    if before == 0 and lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    if lines and max(map(len, lines)) > MAX_LINE_BYTES:
        index = next(i for i, line in enumerate(lines) if len(line) > MAX_LINE_BYTES)
        raise _long_line(source, before + index + 1)
    return lines


def _long_line(source: str, lineno: int) -> RecordingError:
    return RecordingError(f"{source}:{lineno}: a line longer than {MAX_LINE_BYTES // 1024} kB; not a text recording")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older lab exports: every byte is a character


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"
