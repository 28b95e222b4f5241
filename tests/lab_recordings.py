"""Recordings in other tools' layouts, written from their documented formats, for the reader tests.

Each writer lays out a known signal (one burst on the first channel, quiet
elsewhere) the way that tool writes its files, so a test can check what a
reader makes of it: the rate, the channel names, the unit and every sample.

- OpenBCI GUI v5 text recording: ``%`` header lines (``%OpenBCI Raw EXG
  Data``, ``%Number of channels``, ``%Sample Rate = N Hz``, ``%Board``),
  a header row ``Sample Index, EXG Channel 0.., Accel Channel 0.., Other..,
  Analog Channel 0.., Timestamp, Marker, Timestamp (Formatted)``, then rows;
  EXG in µV, the sample index wrapping as the GUI's does.
- Delsys Trigno Discover CSV export: ``Application``, ``Date/Time`` and
  ``Collection Length`` lines, a row of sensor names above their columns, a
  row of sensor modes, the titles (``X[s]`` before every data column), a
  row of rates, then the rows; a slower accelerometer column ends early
  (empty cells below its last sample).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BURST_FRACTION = (0.4, 0.65)
"""Where the first channel's burst is, as fractions of the recording's length."""


def burst_signal(rate_hz: float, seconds: float, n_channels: int, seed: int = 3) -> np.ndarray:
    """µV ``(n, n_channels)``: noise of a few µV, and a 200 µV burst on channel 0 over :data:`BURST_FRACTION`."""
    rng = np.random.default_rng(seed)
    n = round(rate_hz * seconds)
    x = rng.standard_normal((n, n_channels)) * 3.0
    a, b = (round(f * n) for f in BURST_FRACTION)
    x[a:b, 0] += rng.standard_normal(b - a) * 200.0
    return x


def write_openbci_gui(path: Path, samples_uv: np.ndarray, rate_hz: float = 200.0) -> np.ndarray:
    """An OpenBCI GUI v5 recording of a Ganglion (4 EXG channels); returns the µV values as written."""
    n, ch = samples_uv.shape
    values = np.round(samples_uv, 2)
    header = (
        ["Sample Index"] + [f"EXG Channel {i}" for i in range(ch)] + [f"Accel Channel {i}" for i in range(3)]
        + ["Other"] * 5 + [f"Analog Channel {i}" for i in range(3)] + ["Timestamp", "Marker", "Timestamp (Formatted)"]
    )
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("%OpenBCI Raw EXG Data\n")
        fh.write(f"%Number of channels = {ch}\n")
        fh.write(f"%Sample Rate = {rate_hz:g} Hz\n")
        fh.write("%Board = OpenBCI_GUI$BoardGanglionBLE\n")
        fh.write(", ".join(header) + "\n")
        for i in range(n):
            stamp = 1764500000.0 + (i // 10) * 10 / rate_hz  # the host stamps whole packets
            secs = 20 + i / rate_hz
            row = [f"{i % 200:.1f}"] + [f"{v:.2f}" for v in values[i]] + ["0.0"] * 3 + ["0.0"] * 5 + ["0.0"] * 3
            row += [f"{stamp:.3f}", "0.0", f"2025-11-30 10:53:{secs:06.3f}"]
            fh.write(", ".join(row) + "\n")
    return values


TRIGNO_RATE_HZ = 2148.1481
TRIGNO_ACC_RATE_HZ = 148.1481


def write_trigno_discover(path: Path, samples_uv: np.ndarray, sensors: tuple[str, ...]) -> np.ndarray:
    """A Trigno Discover CSV: one Avanti EMG sensor per channel (EMG in mV), the first with an ACC X column.

    Returns the µV values as written (the file holds mV to 6 decimals).
    """
    n, ch = samples_uv.shape
    mv = np.round(samples_uv / 1000.0, 6)
    t = np.arange(n) / TRIGNO_RATE_HZ
    n_acc = int(n * TRIGNO_ACC_RATE_HZ / TRIGNO_RATE_HZ)
    t_acc = np.arange(n_acc) / TRIGNO_ACC_RATE_HZ
    names_row = [f"{sensors[0]} (81723)", "", "", ""]
    modes_row = ["EMG raw (2148 Hz), ACC 2g (148 Hz), +/-11mV, 20-450Hz", "", "", ""]
    titles = ["X[s]", "EMG 1 (mV)", "X[s]", "ACC X (G)"]
    rates = ["", f"{TRIGNO_RATE_HZ} Hz", "", f"{TRIGNO_ACC_RATE_HZ} Hz"]
    for k in range(1, ch):
        names_row += [f"{sensors[k]} ({81723 + k})", ""]
        modes_row += ["EMG raw (2148 Hz), +/-11mV, 20-450Hz", ""]
        titles += ["X[s]", f"EMG {k + 1} (mV)"]
        rates += ["", f"{TRIGNO_RATE_HZ} Hz"]
    with open(path, "w", encoding="utf-8", newline="\r\n") as fh:
        fh.write("Application,Trigno Discover (1.6.2)\n")
        fh.write("Date/Time,11/30/2025 10:53:20 AM\n")
        fh.write(f"Collection Length (seconds),{n / TRIGNO_RATE_HZ:.3f}\n")
        fh.write("\n")
        fh.write(",".join(names_row) + "\n")
        fh.write(",".join(modes_row) + "\n")
        fh.write(",".join(titles) + "\n")
        fh.write(",".join(rates) + "\n")
        for i in range(n):
            acc = [f"{t_acc[i]:.6f}", "0.981"] if i < n_acc else ["", ""]
            row = [f"{t[i]:.6f}", f"{mv[i, 0]:.6f}", *acc]
            for k in range(1, ch):
                row += [f"{t[i]:.6f}", f"{mv[i, k]:.6f}"]
            fh.write(",".join(row) + "\n")
    return mv * 1000.0
