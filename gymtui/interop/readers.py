"""Other tools' recordings in, by their headers: one call for ``analyze`` and ``--replay``.

:func:`read_recording` looks at what the file starts with, never at its
name: EDF's ``0`` and BDF's ``\\xffBIOSEMI`` in the first bytes, then in the
text ``%OpenBCI`` (OpenBCI GUI), ``# gymtui raw signal export``, a ``t_s,``
header row (``gymtui simulate``), an ``X[s]`` title row among the first lines
(Delsys Trigno exports), and otherwise plain numeric columns with ``#``
comments (what ``analyze`` has always read). Each format lives in its own
module beside this one; the bounds on what is read (a regular file of at
most 256 MiB, lines of at most 64 KiB, no NUL bytes) are
:mod:`gymtui.signal.recording`'s and hold for every format.
"""

from __future__ import annotations

from pathlib import Path

from gymtui.interop import edf, gymtui_csv, openbci_gui, plain_text, trigno_csv
from gymtui.interop.textblock import LineStream
from gymtui.signal.recording import (
    MAX_FILE_BYTES,
    Recording,
    RecordingError,
    _open_regular,
)

FORMATS = ("edf", "bdf", "openbci-gui", "gymtui-export", "gymtui-simulate", "trigno-csv", "text")
"""What :func:`detect` can answer, for messages and tests."""

_SNIFF_LINES = trigno_csv.MAX_HEADER_LINES


def read_recording(path: Path | str, rate_hz: float | None = None) -> Recording:
    """The recording at ``path``, in µV where the file says its unit; ``rate_hz`` overrides the file's rate.

    Raises :class:`RecordingError` with one line for the user for anything
    it cannot read.
    """
    path = Path(path)
    source = str(path)
    with _open_regular(path) as handle:
        head = handle.peek(8)[:8] if hasattr(handle, "peek") else b""
        if edf.is_edf(head):
            try:
                data = handle.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                raise RecordingError(f"{source}: cannot read it ({exc.strerror or exc})") from None
            return edf.read(data, source, rate_hz)
        stream = LineStream(handle, source)
        kind = _detect_text(stream)
        if kind == "openbci-gui":
            return openbci_gui.read(stream, rate_hz)
        if kind == "gymtui-export":
            return gymtui_csv.read_export(stream, rate_hz)
        if kind == "gymtui-simulate":
            return gymtui_csv.read_simulate(stream, rate_hz)
        if kind == "trigno-csv":
            return trigno_csv.read(stream, rate_hz)
        return plain_text.read(stream, rate_hz)


def detect(path: Path | str) -> str:
    """The format :func:`read_recording` would read ``path`` as (one of :data:`FORMATS`)."""
    path = Path(path)
    with _open_regular(path) as handle:
        head = handle.peek(8)[:8] if hasattr(handle, "peek") else b""
        if edf.is_edf(head):
            return "bdf" if head.startswith(edf.BDF_MAGIC) else "edf"
        return _detect_text(LineStream(handle, str(path)))


def _detect_text(stream: LineStream) -> str:
    lines = [line for line in stream.peek(_SNIFF_LINES) if line.strip()]
    if not lines:
        return "text"
    first = lines[0].lstrip("\ufeff").strip()
    if first.startswith(openbci_gui.MAGIC):
        return "openbci-gui"
    if first.startswith(gymtui_csv.EXPORT_MAGIC):
        return "gymtui-export"
    if gymtui_csv.is_simulate_header(first):
        return "gymtui-simulate"
    if trigno_csv.looks_like_trigno(lines):
        return "trigno-csv"
    return "text"
