"""gymtui's own CSVs: ``gymtui simulate`` output and the raw signal export.

``simulate`` writes a ``t_s`` header row, then per muscle ``<muscle>_uv``
(the surface signal, µV) beside its ground truth (``_drive``, ``_force``,
``_active_units``); only the ``_uv`` columns are the recording. Its rate is
the spacing of ``t_s``.

The raw export starts ``# gymtui raw signal export`` with ``# rate_hz:``,
``# unit:``, ``# start:`` and ``# set:`` comment lines, then a
``unix_time_s,<label>,...`` header row and one row per sample. Both mark a
lost packet the same way, by leaving its rows out: where the time column
jumps, the recording has a gap (:attr:`Recording.gaps`).
"""

from __future__ import annotations

import re

from gymtui.interop.textblock import (
    LineStream,
    check_finite,
    microvolts_per,
    numeric_block,
    positive_rate,
    rate_and_gaps,
)
from gymtui.signal.recording import Recording, RecordingError

EXPORT_MAGIC = "# gymtui raw signal export"
SIMULATE_FIRST = "t_s"
_COMMENT_TAG = re.compile(r"^#\s*([A-Za-z_ ]+?)\s*:\s*(.*)$")


def is_simulate_header(line: str) -> bool:
    return line.strip().split(",", 1)[0].strip() == SIMULATE_FIRST


def read_simulate(stream: LineStream, rate_hz: float | None) -> Recording:
    source = stream.source
    line = stream.next_nonblank()
    header = [h.strip() for h in (line or "").split(",")]
    uv = tuple(i for i, h in enumerate(header) if h.endswith("_uv") and len(h) > 3)
    if not uv:
        raise RecordingError(f"{source}:{stream.lineno}: no <muscle>_uv columns in the gymtui simulate header")
    table = numeric_block(stream, delimiter=",", usecols=(0, *uv))
    check_finite(table, source)
    rate, gaps = rate_and_gaps(table[:, 0], source, rate_hz)
    names = tuple(header[i][:-3].replace("_", " ") for i in uv)
    return Recording(table[:, 1:].copy(), positive_rate(rate, source), names, source, 1.0, gaps)


def read_export(stream: LineStream, rate_hz: float | None) -> Recording:
    source = stream.source
    tags: dict[str, str] = {}
    header: list[str] | None = None
    while (line := stream.next_nonblank()) is not None:
        text = line.strip()
        if text.startswith("#"):
            if m := _COMMENT_TAG.match(text):
                tags.setdefault(m.group(1).strip().lower(), m.group(2).strip())
            continue
        header = [h.strip() for h in text.split(",")]
        break
    if header is None:
        raise RecordingError(f"{source}: a gymtui raw signal export with no header row and no samples")
    if header[0] != "unix_time_s" or len(header) < 2:
        raise RecordingError(f"{source}:{stream.lineno}: the header row should be unix_time_s,<channel>,...")
    if rate_hz is None and "rate_hz" in tags:
        try:
            rate_hz = float(tags["rate_hz"])
        except ValueError:
            raise RecordingError(f"{source}: rate_hz is not a number: {tags['rate_hz'][:40]!r}") from None
    rate_hz = positive_rate(rate_hz, source)
    table = numeric_block(stream, delimiter=",")
    if table.shape[1] != len(header):
        raise RecordingError(f"{source}: {table.shape[1]} columns where the header row names {len(header)}")
    check_finite(table, source)
    _, gaps = rate_and_gaps(table[:, 0], source, rate_hz)
    scale = microvolts_per(tags.get("unit", ""))
    samples = table[:, 1:].copy()
    if scale is not None and scale != 1.0:
        samples *= scale
    return Recording(samples, rate_hz, tuple(header[1:]), source, scale, gaps)
