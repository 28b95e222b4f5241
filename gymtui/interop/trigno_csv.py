"""Delsys Trigno CSV exports (Trigno Discover, EMGworks): per sensor a time column ``X[s]`` and its values.

What the exports have in common: some header lines (Trigno Discover:
``Application``, ``Date/Time``, ``Collection Length (seconds)``, a row of
sensor names, a row of sensor modes; EMGworks: one ``Label: ...
Sampling frequency: ... Unit: Volts`` line per channel), then a row of
column titles in which each data column is preceded by its own time column
``X[s]`` (``X[s], EMG 1 (mV), X[s], ACC X (G), ...``), an optional row of
rates (``, 2148.1481 Hz, , 148.1481 Hz``), and the rows. Sensors at a lower
rate (accelerometers, or EMG at another mode) have columns that end early:
their cells are empty below their last sample.

Only the EMG columns are read (a title with ``EMG`` in it). The unit comes
from the title (``(mV)``, ``(V)``, ``(µV)``) or the ``Unit:`` the header
gives; the rate from the rate row, the header's ``Sampling frequency``, or
else the spacing of the column's own ``X[s]``. EMG channels at different
rates are brought onto the fastest one's clock by linear interpolation.
"""

from __future__ import annotations

import re

import numpy as np

from gymtui.interop.textblock import (
    LineStream,
    check_finite,
    microvolts_per,
    numeric_block,
    positive_rate,
)
from gymtui.signal.recording import Recording, RecordingError

MAX_HEADER_LINES = 64
"""Lines searched for the ``X[s]`` title row: the exports put it within the first ten."""

_TIME = re.compile(r"^x\s*\[\s*s\s*\]$", re.IGNORECASE)
_UNIT_IN_TITLE = re.compile(r"\(([^()]*)\)\s*$")
_HZ = re.compile(r"([0-9]+(?:\.[0-9]*)?)\s*Hz", re.IGNORECASE)
_LABEL_LINE = re.compile(r"Label:\s*(.+?)\s+Sampling frequency:\s*([0-9.]+).*?Unit:\s*(\S+)", re.IGNORECASE)
_SERIAL = re.compile(r"\s*\((?:sn\s*)?[0-9]+\)\s*$", re.IGNORECASE)


def fields(line: str) -> list[str]:
    return [f.strip().strip('"').strip() for f in line.split(",")]


def is_title_row(line: str) -> bool:
    return bool(_TIME.match(fields(line)[0]))


def looks_like_trigno(lines: list[str]) -> bool:
    """A title row starting ``X[s]`` within the first lines: the Delsys exports' mark."""
    return any(is_title_row(line) for line in lines[:MAX_HEADER_LINES])


def read(stream: LineStream, rate_hz: float | None) -> Recording:
    source = stream.source
    header: list[list[str]] = []
    titles: list[str] | None = None
    for _ in range(MAX_HEADER_LINES):
        line = stream.next_line()
        if line is None:
            break
        if is_title_row(line):
            titles = fields(line)
            break
        if line.strip():
            header.append(fields(line))
    if titles is None:
        raise RecordingError(f"{source}: no X[s] title row in the first {MAX_HEADER_LINES} lines of a Trigno export")
    title_lineno = stream.lineno
    emg = [j for j, t in enumerate(titles) if "emg" in t.lower() and not _TIME.match(t)]
    if not emg:
        raise RecordingError(f"{source}:{title_lineno}: no EMG column among the Trigno export's titles")
    time_of = {j: max(i for i in range(j) if _TIME.match(titles[i])) if any(_TIME.match(titles[i]) for i in range(j)) else -1
               for j in emg}
    if any(t < 0 for t in time_of.values()):
        raise RecordingError(f"{source}:{title_lineno}: an EMG column with no X[s] column before it")
    rates = _rate_row(stream, len(titles))
    labels = _label_lines(header)
    names = _names(header, titles, emg, time_of)
    scales = [_scale(titles[j], names[k], labels) for k, j in enumerate(emg)]

    usecols = tuple(sorted({*emg, *time_of.values()}))
    table = numeric_block(stream, delimiter=",", usecols=usecols, missing_as_nan=True)
    col = {c: i for i, c in enumerate(usecols)}
    channels: list[tuple[np.ndarray, np.ndarray, float]] = []
    for k, j in enumerate(emg):
        t, x = table[:, col[time_of[j]]], table[:, col[j]]
        n = int(np.flatnonzero(~np.isnan(x))[-1]) + 1 if np.any(~np.isnan(x)) else 0
        if n < 2:
            raise RecordingError(f"{source}: EMG column {names[k]!r} has fewer than two samples")
        t, x = t[:n], x[:n]
        check_finite(np.column_stack([t, x]), source)
        rate = rates.get(j) or labels.get(names[k], (None, None))[0] or _rate_from_time(t, source)
        channels.append((t, x * (scales[k] or 1.0), rate))
    base = max(range(len(channels)), key=lambda k: (channels[k][2], len(channels[k][1])))
    t0, _, base_rate = channels[base]
    samples = np.empty((len(t0), len(channels)))
    for k, (t, x, rate) in enumerate(channels):
        samples[:, k] = x[: len(t0)] if rate == base_rate and len(x) >= len(t0) else np.interp(t0, t, x)
    known = [s for s in scales if s is not None]
    scale = known[0] if len(known) == len(scales) and len(set(known)) == 1 else (1.0 if len(known) == len(scales) else None)
    rate = positive_rate(rate_hz if rate_hz is not None else base_rate, source)
    return Recording(samples, rate, tuple(names), source, scale)


def _rate_row(stream: LineStream, width: int) -> dict[int, float]:
    """``{column: Hz}`` from a rate row just under the titles (Trigno Discover), or ``{}`` (and the row is left)."""
    line = stream.next_line()
    if line is None:
        return {}
    cells = fields(line)
    rates = {j: float(m.group(1)) for j, c in enumerate(cells[:width]) if (m := _HZ.search(c))}
    if not rates:
        stream.push_back()
    return rates


def _label_lines(header: list[list[str]]) -> dict[str, tuple[float | None, str]]:
    """EMGworks' ``Label: NAME Sampling frequency: HZ ... Unit: U`` lines, by label."""
    found: dict[str, tuple[float | None, str]] = {}
    for row in header:
        for cell in row:
            m = _LABEL_LINE.search(cell)
            if m:
                found[m.group(1).strip()] = (float(m.group(2)), m.group(3))
    return found


def _names(header: list[list[str]], titles: list[str], emg: list[int], time_of: dict[int, int]) -> list[str]:
    """Each EMG channel's name: its sensor's name (the header row naming sensors above their columns), else its title."""
    first = time_of[emg[0]]
    sensor_row = next(
        (row for row in header
         if len(row) >= len(titles) - 1 and row[first] and not any(_HZ.search(c) for c in row)),
        None,
    )
    names: list[str] = []
    for j in emg:
        title = _UNIT_IN_TITLE.sub("", titles[j]).strip()
        sensor = ""
        if sensor_row is not None:
            for i in range(min(j, len(sensor_row) - 1), -1, -1):
                if sensor_row[i]:
                    sensor = _SERIAL.sub("", sensor_row[i]).strip()
                    break
        names.append(sensor or title)
    # A sensor with several EMG columns (a Quattro, a Duo): each keeps its title beside the sensor's name.
    for name in {n for n in names if names.count(n) > 1}:
        for k, j in enumerate(emg):
            if names[k] == name:
                names[k] = f"{name} {_UNIT_IN_TITLE.sub('', titles[j]).strip()}"
    return names


def _scale(title: str, name: str, labels: dict[str, tuple[float | None, str]]) -> float | None:
    m = _UNIT_IN_TITLE.search(title)
    if m:
        return microvolts_per(m.group(1))
    for label, (_, unit) in labels.items():
        if label == title or label == name:
            return microvolts_per(unit)
    units = {unit for _, unit in labels.values()}
    return microvolts_per(units.pop()) if len(units) == 1 else None


def _rate_from_time(t: np.ndarray, source: str) -> float:
    steps = np.diff(t)
    if not np.all(steps > 0):
        raise RecordingError(f"{source}: an X[s] column does not increase")
    return round(1.0 / float(np.median(steps)), 4)
