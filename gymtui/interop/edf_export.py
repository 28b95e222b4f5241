"""A set's raw signal as EDF+ (16-bit) or BDF+ (24-bit), written with edfio.

**Continuous, gaps filled and marked.** The file is EDF+C / BDF+C: one
sample every ``1/rate`` seconds from the first to the last, which every
reader (EDFbrowser, MNE, pyedflib, EEGLAB) handles; EDF+D (discontinuous
records) is read by far fewer tools and edfio does not write it. A gap
(samples the radio lost, or a jump in the block times) is a flat line at
the last value before it — never a step a reader's filter would ring on —
spanned by an annotation ``gap N samples`` with the gap's onset and
duration, so an analysis can cut it out. The last data record is padded
the same way and marked ``padding N samples``.

**Record duration.** EDF stores a whole number of samples per channel in
each data record, and the record's duration as decimal text. So the
duration is the smallest whole number of seconds ``d`` (up to 1000) for
which ``rate × d`` is a whole number: 1 s for 200.0 Hz (Myo) and 1000 Hz
alike, 3 s for 333.33… Hz, 27 s for Delsys Trigno's 1925.93 Hz. The rate a
reader works out (samples per record / duration) is then the source's
rate, not a rounding of it. Where a one-second record of every channel
would pass EDF's recommended 61,440 bytes (16 channels at 2 kHz), the
record is the longest of 1/2, 1/4, 1/5, 1/8 or 1/10 s that holds whole
samples and fits. A rate with no such duration is refused (CSV keeps any
rate). Annotation onsets are written to 100 ns (:func:`tidy_tals`).

**Header.** Labels are the channels' names (the set's muscles) in ASCII,
at most 16 characters, made unique; the physical dimension is the unit in
ASCII (``µV`` becomes EDF's ``uV``). The physical range is the sensor's
where the recording knows it, widened to the data if a sample lies outside
it; else it is the data's own minimum and maximum with a 1 % margin, so
nothing clips. The digital range is the format's whole range (16 or 24
bit), which makes the resolution ``(max - min) / 65535`` for EDF and
``/ 16777215`` for BDF. The start date-time is the first sample's wall
time in the set's own time zone (EDF's start is the local clock of the
recording), to the microsecond through EDF+'s time-keeping annotation.

**Annotations** are the recording's events (phases, reps, the rating, cues,
the set's start and end) with onsets in seconds from the first sample —
negative for an event just before it (EDF+ allows a signed onset) — and
its notes at onset 0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gymtui.interop.raw_signal import RawExportError, RawRecording, continuous
from gymtui.text import safe_text

EdfFormat = Literal["edf", "bdf"]

MAX_RECORD_S = 1000
"""The longest data record considered when looking for a whole number of samples per record."""

MAX_RECORD_BYTES = 61440
"""EDF's recommended largest data record (a 16-channel 2 kHz second is 64,000 bytes in EDF, 96,000 in BDF)."""

SHORT_RECORDS_S = (0.5, 0.25, 0.2, 0.125, 0.1)
"""Record durations below a second tried, longest first, when a second of every channel is too big."""

RATE_TOLERANCE = 1e-6
"""How far ``rate × d`` may be from a whole number (in samples per record) and still count as one."""

RANGE_MARGIN = 0.01
"""Share of the data's span added on each side of a range derived from the data."""

LABEL_CHARS = 16
UNIT_CHARS = 8


def record_duration(rate_hz: float, bytes_per_sample_all_channels: int = 0) -> tuple[float, int]:
    """The record duration (seconds) holding a whole number of samples per channel, and that number.

    The shortest whole number of seconds that does; where one second of
    all channels would pass EDF's recommended :data:`MAX_RECORD_BYTES`
    (``bytes_per_sample_all_channels`` per sample instant), the longest of
    1/2, 1/4, 1/5, 1/8, 1/10 s that still holds whole samples and fits.
    Raises :class:`RawExportError` when no duration up to :data:`MAX_RECORD_S` does.
    """
    for seconds in range(1, MAX_RECORD_S + 1):
        per_record = rate_hz * seconds
        whole = round(per_record)
        if whole >= 1 and abs(per_record - whole) <= RATE_TOLERANCE:
            break
    else:
        raise RawExportError(
            f"a sample rate of {rate_hz!r} Hz has no whole number of samples in any EDF record up to {MAX_RECORD_S} s; "
            "export it as CSV"
        )
    if seconds == 1 and whole * bytes_per_sample_all_channels > MAX_RECORD_BYTES:
        for part in SHORT_RECORDS_S:
            samples = rate_hz * part
            if abs(samples - round(samples)) <= RATE_TOLERANCE and round(samples) * bytes_per_sample_all_channels <= MAX_RECORD_BYTES:
                return part, round(samples)
    return float(seconds), whole


def ascii_text(text: str, limit: int) -> str:
    """``text`` as printable ASCII of at most ``limit`` characters (accents dropped, µ as u, others as ?)."""
    text = safe_text(text, max_chars=None).replace("µ", "u").replace("μ", "u")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    # NFKD leaves a letter with no ASCII form out entirely: show that something was there.
    if not plain and text:
        plain = "?" * min(len(text), limit)
    return "".join(c if c.isprintable() else "?" for c in plain)[:limit].strip()


def edf_labels(labels: tuple[str, ...]) -> list[str]:
    """Channel labels as EDF allows them: ASCII, at most 16 characters, none empty, no two alike."""
    out: list[str] = []
    for i, label in enumerate(labels):
        base = ascii_text(label, LABEL_CHARS) or f"ch {i + 1}"
        name, n = base, 2
        while name in out:
            suffix = f" {n}"
            name, n = base[: LABEL_CHARS - len(suffix)] + suffix, n + 1
        out.append(name)
    return out


def physical_ranges(recording: RawRecording, data: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
    """Each channel's physical (min, max): the sensor's, widened to the data; else the data's with a margin."""
    out: list[tuple[float, float]] = []
    for ch in range(recording.n_channels):
        column = data[:, ch]
        lo, hi = float(column.min()), float(column.max())
        if recording.physical_range is not None:
            known_lo, known_hi = recording.physical_range[ch]
            lo, hi = min(lo, known_lo), max(hi, known_hi)
        else:
            span = hi - lo
            margin = span * RANGE_MARGIN if span > 0 else max(1.0, abs(lo) * RANGE_MARGIN)
            lo, hi = lo - margin, hi + margin
        out.append((lo, hi))
    return out


_TAL_NUMBER = re.compile(rb"(^|\x00|\x15)([+-]?[0-9]+(?:\.[0-9]+)?)")
"""An onset (at a TAL's start: the record's start or after the NUL ending the last TAL) or a duration (after 0x15)."""


def _tidy_number(match: re.Match[bytes]) -> bytes:
    text = match.group(2).decode("ascii")
    value = Decimal(text).quantize(Decimal("1e-7"), rounding=ROUND_HALF_EVEN)
    tidy = format(value, "f").rstrip("0").rstrip(".") or "0"
    if text[0] in "+-" and tidy[0] != "-":
        tidy = "+" + tidy
    return match.group(1) + tidy.encode("ascii")


def tidy_tals(raw: bytes) -> bytes:
    """An EDF+/BDF+ file's annotation onsets and durations written to 100 ns, each record's length unchanged.

    edfio writes each record's time-keeping onset as a float sum (the
    record's start plus the start time's sub-second), and Python's shortest
    repr of such a sum can carry binary noise (``+1.3439429999999999`` for
    ``1 + 0.343943``). edflib, under pyedflib and EDFbrowser, reads onsets
    to 100 ns, finds records that do not follow each other by exactly their
    duration, and refuses the whole file. Rounded to 100 ns (the resolution
    those readers keep) every number is as short or shorter, so it is
    rewritten in place and the rest of the record padded with NULs.
    """
    out = bytearray(raw)
    width = 3 if raw[:1] == b"\xff" else 2
    header_bytes, records, n_signals = int(raw[184:192]), int(raw[236:244]), int(raw[252:256])
    labels = [raw[256 + 16 * i : 272 + 16 * i].strip() for i in range(n_signals)]
    at = 256 + n_signals * 216
    per_record = [int(raw[at + 8 * i : at + 8 * i + 8]) for i in range(n_signals)]
    record_bytes = sum(per_record) * width
    for i, label in enumerate(labels):
        if label not in (b"EDF Annotations", b"BDF Annotations"):
            continue
        offset, size = sum(per_record[:i]) * width, per_record[i] * width
        for r in range(records):
            start = header_bytes + r * record_bytes + offset
            chunk = bytes(out[start : start + size]).rstrip(b"\x00")
            out[start : start + size] = _TAL_NUMBER.sub(_tidy_number, chunk).ljust(size, b"\x00")
    return bytes(out)


def _annotation_text(text: str) -> str:
    # TAL separators (0x14, 0x15, 0x00) and every other control character must not reach the file.
    return safe_text(text, max_chars=None)


def write_edf(recording: RawRecording, path: Path, fmt: EdfFormat = "edf") -> dict[str, object]:
    """Write ``recording`` as EDF+C (``fmt="edf"``) or BDF+C (``"bdf"``) at ``path``; returns what was written.

    The result says the record duration, the number of records, the gaps
    and the padding (what a CLI line reports). Raises
    :class:`RawExportError` for a recording the format cannot hold, and
    ``OSError`` from the file system.
    """
    import edfio

    width = 3 if fmt == "bdf" else 2
    seconds, per_record = record_duration(recording.rate_hz, width * recording.n_channels)
    data, gaps = continuous(recording)
    n = data.shape[0]
    records = max(1, math.ceil(n / per_record))
    padding = records * per_record - n
    if padding:
        data, gaps = continuous(recording, records * per_record)
    rate = per_record / seconds  # what a reader works out from the header
    unit = ascii_text(recording.unit, UNIT_CHARS)
    columns: list[dict[str, Any]] = [
        {
            "data": np.ascontiguousarray(data[:, ch]),
            "sampling_frequency": rate,
            "label": label,
            "transducer_type": "surface EMG electrodes",
            "physical_dimension": unit,
            "physical_range": rng,
        }
        for ch, (label, rng) in enumerate(zip(edf_labels(recording.labels), physical_ranges(recording, data), strict=True))
    ]
    start = recording.start
    annotations = [edfio.EdfAnnotation(0.0, None, _annotation_text(note)) for note in recording.notes]
    for gap in gaps:
        annotations.append(
            edfio.EdfAnnotation(gap.index / rate, gap.n_samples / rate, f"gap {gap.n_samples} samples")
        )
    if padding:
        annotations.append(edfio.EdfAnnotation(n / rate, padding / rate, f"padding {padding} samples"))
    for event in recording.events:
        onset = round(event.at_s - recording.start_s, 6)
        duration = None if event.duration_s is None else max(0.0, round(event.duration_s, 6))
        annotations.append(edfio.EdfAnnotation(onset, duration, _annotation_text(event.text)))
    header: dict[str, Any] = {
        "patient": edfio.Patient(code=ascii_text(recording.subject, 40).replace(" ", "_") or "X"),
        "recording": edfio.Recording(
            startdate=start.date(),
            hospital_administration_code=f"set-{recording.set_id}" if recording.set_id is not None else "X",
            equipment_code="gymtui",
        ),
        "starttime": start.time().replace(tzinfo=None),
        "data_record_duration": seconds,
        "annotations": annotations,
    }
    if fmt == "bdf":
        raw = edfio.Bdf([edfio.BdfSignal(**c) for c in columns], **header).to_bytes()
    else:
        raw = edfio.Edf([edfio.EdfSignal(**c) for c in columns], **header).to_bytes()
    path.write_bytes(tidy_tals(raw))
    return {"record_s": seconds, "records": records, "samples": n, "gaps": len(gaps), "padding": padding}

