"""OpenBCI GUI text recordings (``OpenBCI-RAW-*.txt``): ``%`` header lines, then comma-separated rows.

The GUI writes a few ``%`` lines (``%OpenBCI Raw EXG Data``, ``%Number of
channels = 4``, ``%Sample Rate = 200 Hz``, ``%Board = ...``). From GUI v5 a
header row follows (``Sample Index, EXG Channel 0, ..., Accel Channel 0, ...,
Other, ..., Analog Channel 0, ..., Timestamp, Marker, Timestamp
(Formatted)``); GUI v4 files go straight to the rows, with the sample index
first and the EXG channels next. EXG channels are in µV (the GUI scales the
board's counts before it writes). The sample index wraps (it counts a radio
packet's samples, not the recording's) and the timestamps are the host's
arrival times of whole packets, so neither marks a gap: the rate is the
header's.
"""

from __future__ import annotations

import re

from gymtui.interop.textblock import (
    LineStream,
    check_finite,
    numeric_block,
    positive_rate,
)
from gymtui.signal.recording import Recording, RecordingError

MAGIC = "%OpenBCI"

_CHANNELS = re.compile(r"^%\s*Number of channels\s*=\s*([0-9]+)", re.IGNORECASE)
_RATE = re.compile(r"^%\s*Sample Rate\s*=\s*([0-9]+(?:\.[0-9]*)?)\s*Hz", re.IGNORECASE)
_EXG = re.compile(r"^(EXG|EEG|EMG) Channel\s*[0-9]+$", re.IGNORECASE)


def read(stream: LineStream, rate_hz: float | None) -> Recording:
    source = stream.source
    n_channels: int | None = None
    header_rate: float | None = None
    first: str | None = None
    while (line := stream.next_nonblank()) is not None:
        text = line.strip()
        if not text.startswith("%"):
            first = text
            break
        if m := _CHANNELS.match(text):
            n_channels = int(m.group(1))
        elif m := _RATE.match(text):
            header_rate = float(m.group(1))
    if first is None:
        raise RecordingError(f"{source}: an OpenBCI GUI header with no samples after it")
    columns = [c.strip() for c in first.split(",")]
    if columns[0].lower().replace(" ", "") == "sampleindex":
        usecols = tuple(i for i, c in enumerate(columns) if _EXG.match(c))
        if not usecols:
            raise RecordingError(f"{source}:{stream.lineno}: an OpenBCI GUI header row with no EXG Channel columns")
        if n_channels is not None and n_channels < len(usecols):
            usecols = usecols[:n_channels]
        names = tuple(columns[i] for i in usecols)
    else:  # GUI v4: no header row; the sample index, then the channels
        stream.push_back()
        if n_channels is None:
            raise RecordingError(f"{source}: the OpenBCI GUI header does not say its number of channels")
        if not 1 <= n_channels <= 64:
            raise RecordingError(f"{source}: the OpenBCI GUI header says {n_channels} channels; 1 to 64 are read")
        usecols = tuple(range(1, n_channels + 1))
        names = tuple(f"EXG Channel {i}" for i in range(n_channels))
    samples = numeric_block(stream, delimiter=",", usecols=usecols, comments="%")
    check_finite(samples, source)
    rate = positive_rate(rate_hz if rate_hz is not None else header_rate, source)
    return Recording(samples, rate, names, source, 1.0)
