"""Reading recordings: the row loop ``analyze`` used against the numpy readers, on the same file.

Keys added to the report:

- ``readers_file``: what was read (seconds × channels × rate, and its size
  as text: 60 s of 16 channels at 2 kHz, 10 s under ``--quick``).
- ``readers_row_loop_s`` and ``readers_numpy_s``: wall seconds to read it
  with :func:`gymtui.signal.recording.load_text` (a Python loop over the
  rows) and with :func:`gymtui.interop.readers.read_recording` (numpy's C
  parser), best of a few runs each, one after the other in this process.
- ``readers_speedup``: the first over the second.
- ``readers_mb_per_s``: the numpy readers' throughput per format on the
  same samples laid out as that format (plain text, OpenBCI GUI, gymtui
  simulate, Trigno CSV), in MB of file per second.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SECONDS, QUICK_SECONDS = 60.0, 10.0
CHANNELS = 16
RATE_HZ = 2000.0
RUNS, QUICK_RUNS = 3, 1


def _best(fn: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _write_files(folder: Path, seconds: float) -> dict[str, Path]:
    """The same noise as plain text, an OpenBCI GUI file, a simulate CSV and a Trigno export."""
    import numpy as np

    n = round(seconds * RATE_HZ)
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((n, CHANNELS)) * 30.0, 3)
    t = np.arange(n) / RATE_HZ
    files = {name: folder / f"{name}.csv" for name in ("text", "openbci-gui", "gymtui-simulate", "trigno-csv")}
    with open(files["text"], "w", encoding="utf-8") as fh:
        fh.write(f"# Sampling Rate (Hz):= {RATE_HZ:g}\n# Labels:= " + " ".join(f"ch{i}" for i in range(CHANNELS)) + "\n")
        np.savetxt(fh, x, fmt="%.3f", delimiter=",")
    with open(files["openbci-gui"], "w", encoding="utf-8") as fh:
        fh.write(f"%OpenBCI Raw EXG Data\n%Number of channels = {CHANNELS}\n%Sample Rate = {RATE_HZ:g} Hz\n%Board = bench\n")
        fh.write("Sample Index, " + ", ".join(f"EXG Channel {i}" for i in range(CHANNELS)) + ", Timestamp, Marker\n")
        np.savetxt(fh, np.column_stack([np.arange(n) % 256, x, 1.7e9 + t, np.zeros(n)]), fmt="%.3f", delimiter=", ")
    with open(files["gymtui-simulate"], "w", encoding="utf-8") as fh:
        fh.write("t_s," + ",".join(f"m{i}_uv,m{i}_drive" for i in range(CHANNELS)) + "\n")
        cols = [t]
        for i in range(CHANNELS):
            cols += [x[:, i], np.full(n, 0.5)]
        np.savetxt(fh, np.column_stack(cols), fmt="%.6f", delimiter=",")
    with open(files["trigno-csv"], "w", encoding="utf-8") as fh:
        fh.write("Application,Trigno Discover (bench)\n")
        fh.write(",".join(f"X[s],EMG {i + 1} (mV)" for i in range(CHANNELS)) + "\n")
        cols = []
        for i in range(CHANNELS):
            cols += [t, x[:, i] / 1000.0]
        np.savetxt(fh, np.column_stack(cols), fmt="%.6f", delimiter=",")
    return files


def run(report: dict[str, Any], quick: bool) -> None:
    from gymtui.interop.readers import read_recording
    from gymtui.signal.recording import load_text

    seconds = QUICK_SECONDS if quick else SECONDS
    runs = QUICK_RUNS if quick else RUNS
    with tempfile.TemporaryDirectory(prefix="gymtui-bench-readers-") as tmp:
        files = _write_files(Path(tmp), seconds)
        text = files["text"]
        size_mb = text.stat().st_size / 1e6
        report["readers_file"] = f"{seconds:g} s x {CHANNELS} ch x {RATE_HZ:g} Hz, {size_mb:.1f} MB as text"
        old = _best(lambda: load_text(text), runs)
        new = _best(lambda: read_recording(text), runs)
        report["readers_row_loop_s"] = round(old, 4)
        report["readers_numpy_s"] = round(new, 4)
        report["readers_speedup"] = round(old / new, 2)
        throughput = {}
        for name, path in files.items():
            elapsed = _best(lambda path=path: read_recording(path), runs)  # type: ignore[misc]
            throughput[name] = round(path.stat().st_size / 1e6 / elapsed, 1)
        report["readers_mb_per_s"] = throughput
