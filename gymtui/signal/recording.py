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

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class RecordingError(ValueError):
    """A recording that cannot be read; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Recording:
    """``samples`` float64 ``(n_samples, n_channels)``, in µV where the file says its unit.

    ``unit_scale`` is the factor applied to reach µV, or None where the file
    names no unit (ADC counts, a device's arbitrary units): then the
    samples are as they were.
    """

    samples: np.ndarray
    rate_hz: float
    names: tuple[str, ...]
    source: str
    unit_scale: float | None = None

    @property
    def in_microvolts(self) -> bool:
        return self.unit_scale is not None

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.rate_hz


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


def parse_text(text: str, source: str = "<text>", rate_hz: float | None = None) -> Recording:
    comments: list[str] = []
    rows: list[list[float]] = []
    width = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if not rows:
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
    if not rows:
        raise RecordingError(f"{source}: no numeric samples found")
    samples = np.asarray(rows, dtype=np.float64)
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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_text(path: Path | str, rate_hz: float | None = None) -> Recording:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RecordingError(f"{path}: is a directory, not a recording") from None
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if b"\x00" in data[:4096]:
        raise RecordingError(f"{path}: a binary file, not a text recording")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return parse_text(text, str(path), rate_hz)
