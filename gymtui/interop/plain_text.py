"""Plain numeric columns with ``#`` comments: the recordings ``analyze`` has always read.

The header rules are :mod:`gymtui.signal.recording`'s (an OpenSignals-style
``# Sampling Rate (Hz):= 1000``, ``# Labels:= EMG``, or a free-text "4000
Hz" and "columns: RF_mV BF_mV"); only the rows go through numpy here. Rows
may mix commas, tabs, semicolons and spaces: numpy reads the common case
(one separator) and the rare mixed file is read row by row.
"""

from __future__ import annotations

from gymtui.interop.textblock import (
    SPLIT_ANY,
    LineStream,
    check_finite,
    numeric_block,
    positive_rate,
)
from gymtui.signal.recording import (
    MAX_HEADER_LINES,
    Recording,
    RecordingError,
    _unit_scale,
    names_from_header,
    rate_from_header,
)


def _split(line: str) -> list[str]:
    return [f for f in SPLIT_ANY.split(line) if f]


def read(stream: LineStream, rate_hz: float | None) -> Recording:
    comments: list[str] = []
    first: str | None = None
    while (line := stream.next_line()) is not None:
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            if len(comments) < MAX_HEADER_LINES:
                comments.append(text.lstrip("#").strip())
            continue
        first = text
        stream.push_back()
        break
    if first is None:
        raise RecordingError(f"{stream.source}: no numeric samples found")
    data = first.split("#", 1)[0]
    delimiter = "," if "," in data else ";" if ";" in data else None
    samples = numeric_block(stream, delimiter=delimiter, split=_split)
    check_finite(samples, stream.source)
    rate = positive_rate(rate_hz if rate_hz is not None else rate_from_header(comments), stream.source)
    names = names_from_header(comments, samples.shape[1])
    scale = _unit_scale(names, comments)
    if scale is not None and scale != 1.0:
        samples *= scale
    return Recording(samples, rate, names, stream.source, scale)
