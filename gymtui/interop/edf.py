"""EDF/EDF+ and BDF/BDF+ files, read with edfio: the EMG channels, in µV.

Which signals are EMG: those whose label says so (``EMG``, as EDF+'s
"standard texts" write it, e.g. ``EMG RF``); where no label does, every
signal in a voltage unit. EDF+ annotations are not signals and are skipped.
Each signal's physical unit (``uV``, ``µV``, ``mV``, ``V``) is converted to
µV. An EMG recording's channels share one rate; where they do not, the
channels at the highest rate are kept (and the others are named in the
error when none would be).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gymtui.interop.textblock import check_finite, microvolts_per, positive_rate
from gymtui.signal.recording import Recording, RecordingError

EDF_MAGIC = b"0       "
BDF_MAGIC = b"\xffBIOSEMI"


def is_edf(head: bytes) -> bool:
    return head.startswith((EDF_MAGIC, BDF_MAGIC))


def read(data: bytes, source: str, rate_hz: float | None) -> Recording:
    import edfio

    bdf = data.startswith(BDF_MAGIC)
    try:
        edf: Any = edfio.read_bdf(data) if bdf else edfio.read_edf(data)
        signals = list(edf.signals)
    except Exception as exc:  # noqa: BLE001 - edfio raises ValueError, IndexError, UnicodeDecodeError... on a broken header
        kind = "BDF" if bdf else "EDF"
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise RecordingError(f"{source}: not a readable {kind} file ({detail})") from None
    emg = [s for s in signals if "emg" in s.label.lower()]
    if not emg:
        emg = [s for s in signals if microvolts_per(s.physical_dimension) is not None]
    if not emg:
        raise RecordingError(f"{source}: no EMG signal (no label with EMG, no signal in V, mV or µV)")
    top = max(float(s.sampling_frequency) for s in emg)
    emg = [s for s in emg if float(s.sampling_frequency) == top]
    n = min(len(s.data) for s in emg)
    if n == 0:
        raise RecordingError(f"{source}: the EMG signals hold no samples")
    scales = [microvolts_per(s.physical_dimension) for s in emg]
    samples = np.column_stack([np.asarray(s.data[:n], dtype=np.float64) * (k or 1.0) for s, k in zip(emg, scales, strict=True)])
    check_finite(samples, source)
    known = [k for k in scales if k is not None]
    scale = (known[0] if len(set(known)) == 1 else 1.0) if len(known) == len(scales) else None
    names = tuple(s.label.strip() or f"ch{i + 1}" for i, s in enumerate(emg))
    return Recording(samples, positive_rate(rate_hz if rate_hz is not None else top, source), names, source, scale)
