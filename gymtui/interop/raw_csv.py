"""A set's raw signal as CSV: absolute timestamps, one column per channel, gaps as missing rows.

The layout is fixed (gymtui's own reader reads it back;
``pandas.read_csv(path, comment="#")`` or ``numpy.loadtxt(path,
delimiter=",", comments=("#", "unix_time_s"))`` read it as is)::

    # gymtui raw signal export
    # rate_hz: 1000.0
    # unit: µV
    # start: 2026-03-02T10:00:00.123456+01:00
    # set: 12; exercise: Back squat
    unix_time_s,biceps,triceps
    1772442000.123456,12.500,-3.250

Each row is one sample: its wall time in Unix seconds to 6 decimals (the
block's ``t0`` on the wall clock plus ``i / rate``), then each channel's
value to 3 decimals. A gap is rows missing: the time jumps. Channel
labels have their commas taken out (and control characters made visible);
a note (how the wall time was found, for a set stored before the signal
clock was) follows the set line as ``# note: ...``.
"""

from __future__ import annotations

from typing import TextIO

import numpy as np

from gymtui.interop.raw_signal import RawRecording
from gymtui.text import safe_text

MAGIC = "# gymtui raw signal export"


def header_lines(recording: RawRecording) -> list[str]:
    """The comment lines and the column row, without line ends."""
    exercise = safe_text(recording.exercise, max_chars=None)
    set_id = "" if recording.set_id is None else str(recording.set_id)
    lines = [
        MAGIC,
        f"# rate_hz: {float(recording.rate_hz)!r}",
        f"# unit: {safe_text(recording.unit, max_chars=None)}",
        f"# start: {recording.start.isoformat(timespec='microseconds')}",
        f"# set: {set_id}; exercise: {exercise}",
    ]
    lines += [f"# note: {safe_text(note, max_chars=None)}" for note in recording.notes]
    labels = [safe_text(label, max_chars=None).replace(",", "") for label in recording.labels]
    lines.append(",".join(["unix_time_s", *labels]))
    return lines


def write_csv(recording: RawRecording, out: TextIO) -> int:
    """Write ``recording`` to the text stream ``out``; returns the number of sample rows."""
    out.writelines(line + "\n" for line in header_lines(recording))
    fmt = ",".join(["%.6f"] + ["%.3f"] * recording.n_channels)
    rows = 0
    for block in recording.blocks:
        n = block.n_samples
        if not n:
            continue
        times = block.t0_s + np.arange(n, dtype=np.float64) / recording.rate_hz
        table = np.column_stack([times, block.samples.astype(np.float64)])
        np.savetxt(out, table, fmt=fmt)
        rows += n
    return rows
