"""gymtui's three Lab Streaming Layer outlets: raw EMG, envelope and %MVC, and markers.

LabRecorder (or any LSL inlet) records them beside force plates, motion
capture and video on one clock. This module takes values and pushes them; it
knows nothing of the app, the store or the screen (the app's LSL controller
wires it). pylsl comes in as an argument (from
:func:`gymtui.interop.lsl_runtime.load_pylsl`), never by import.

Time. Every sample is stamped from the sensor's own timing: a block's
samples sit at ``t0_s + i / rate_hz`` on the app's clock (so a gap in the
sequence stays a gap), and the whole block is mapped to LSL's
``local_clock()`` once, from the two clocks read together (:class:`ClockSync`
reads them per block and maps with the tightest recent reading, :class:`ClockMap`).
The app's clock runs ``speed`` times faster than the wall in a sped-up demo;
the map divides by it, so LSL time is always wall time and other streams
(a force plate) line up. A marker is stamped from its event's own time the
same way.

Markers are one line of text, ``kind|key=value|key=value`` (see
:func:`marker`): readable in LabRecorder and MNE, split with
``text.split("|")`` and ``field.split("=", 1)``.
"""

from __future__ import annotations

import math
import platform
import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from gymtui import __version__

GYMTUI_ABOUT = "gymtui: guided timed sets with live EMG; its README, 'Recording a session in LabRecorder next to gymtui', describes these streams"
"""What made the streams, for whoever opens the recording (the desc's gymtui reference)."""

EMG_TYPE = "EMG"
ENVELOPE_TYPE = "EMG-Envelope"
MARKER_TYPE = "Markers"

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f|]")
"""Control characters and the field separator: never inside a marker's value."""


@dataclass(frozen=True, slots=True)
class ClockMap:
    """The app's clock to LSL's ``local_clock()``, from one reading of each taken together.

    ``speed``: how many app-clock seconds pass per wall second (a sped-up
    demo); LSL time is wall time, so app-clock spans shrink by it.
    """

    local_now: float
    app_now: float
    speed: float = 1.0

    def __call__(self, t_app_s: float) -> float:
        return self.local_now - (self.app_now - t_app_s) / self.speed

    def times(self, t0_s: float, n: int, rate_hz: float) -> np.ndarray:
        """The LSL timestamps of ``n`` samples from ``t0_s`` at ``rate_hz`` (app clock)."""
        return self.local_now - (self.app_now - (t0_s + np.arange(n, dtype=np.float64) / rate_hz)) / self.speed


class ClockSync:
    """The clock pair read once per block, the best reading of the last :data:`PAIRS_KEPT` used.

    A reading is a bracket: LSL's clock, the app's, LSL's again. The thread
    may lose the interpreter (or the CPU) inside it, so one reading can be off
    by milliseconds, which would make a block overlap the one before it. The
    two clocks keep a fixed relation (same oscillator, the app's ``speed``
    times faster), so the tightest recent bracket maps every block; keeping
    only recent ones follows a drift. Safe from several threads.
    """

    def __init__(self, local_clock: Callable[[], float], app_clock: Callable[[], float], speed: float = 1.0) -> None:
        self._local = local_clock
        self._app = app_clock
        self.speed = speed
        self._pairs: deque[tuple[float, float, float]] = deque(maxlen=PAIRS_KEPT)
        self._lock = threading.Lock()

    def __call__(self) -> ClockMap:
        """Read the pair now; the map from the tightest bracket kept."""
        before = self._local()
        app_now = self._app()
        after = self._local()
        with self._lock:
            self._pairs.append((after - before, (before + after) / 2, app_now))
            _, local_now, app_at = min(self._pairs)
        return ClockMap(local_now, app_at, self.speed)


PAIRS_KEPT = 64
"""Clock readings a :class:`ClockSync` chooses from: under a second of blocks, plenty to find an undisturbed one."""


def marker(kind: str, /, **fields: object) -> str:
    """``kind|key=value|...``: None fields left out, floats to 3 decimals, text cleaned.

    A value never holds ``|`` (it becomes ``/``) or a control character (a
    space), so ``split("|")`` always gives the fields back.
    """
    parts = [_clean(kind)]
    for key, value in fields.items():
        if value is None:
            continue
        parts.append(f"{key}={_value(value)}")
    return "|".join(parts)


def parse_marker(text: str) -> tuple[str, dict[str, str]]:
    """A marker back into its kind and fields (for tests and readers)."""
    kind, *rest = text.split("|")
    return kind, dict(field.split("=", 1) for field in rest)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{round(value, 3):g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_clean(str(v)).replace(",", ";") for v in value)
    return _clean(str(value))


def _clean(text: str) -> str:
    return _UNSAFE.sub(lambda m: "/" if m.group() == "|" else " ", text).strip()


@dataclass(frozen=True, slots=True)
class SensorStreams:
    """What the raw and processed streams describe: one sensor, its channels named after muscles."""

    prefix: str
    """Stream names start with it (``gymtui`` → ``gymtui EMG``); a rack's name tells racks apart."""
    source_name: str
    labels: tuple[str, ...]
    rate_hz: float
    unit: str = "microvolts"
    speed: float = 1.0
    """The demo clock's factor: the nominal rate is the rate in wall time (``rate_hz * speed``)."""

    @property
    def source_id(self) -> str:
        """Stable per machine and sensor (not per run), so LabRecorder picks a restarted gymtui up again."""
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.source_name).strip("-").lower() or "sensor"
        return f"gymtui-{platform.node() or 'host'}-{slug}-{len(self.labels)}ch-{self.rate_hz:g}hz"


def _add_gymtui(desc: Any, speed: float) -> None:
    ref = desc.append_child("gymtui")
    ref.append_child_value("version", __version__)
    ref.append_child_value("about", GYMTUI_ABOUT)
    ref.append_child_value("clock", "sample times from the sensor's sequence and rate, mapped to local_clock() per block")
    ref.append_child_value("speed", f"{speed:g}")


def _acquisition(desc: Any, source_name: str) -> None:
    acq = desc.append_child("acquisition")
    words = source_name.split()
    acq.append_child_value("manufacturer", words[0] if words else "unknown")
    acq.append_child_value("model", source_name or "unknown")
    acq.append_child_value("software", f"gymtui {__version__}")


def emg_info(pylsl: ModuleType, spec: SensorStreams) -> Any:
    """The raw stream's StreamInfo: float32 µV at the sensor's rate, XDF EMG meta-data in ``desc``."""
    info = pylsl.StreamInfo(
        f"{spec.prefix} EMG", EMG_TYPE, len(spec.labels), spec.rate_hz * spec.speed, pylsl.cf_float32, spec.source_id
    )
    desc = info.desc()
    channels = desc.append_child("channels")
    for label in spec.labels:
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", spec.unit)
        ch.append_child_value("type", EMG_TYPE)
    _acquisition(desc, spec.source_name)
    _add_gymtui(desc, spec.speed)
    return info


def envelope_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """``<muscle>_env_uV`` for every channel, then ``<muscle>_pct_mvc`` for every channel."""
    return tuple(f"{m}_env_uV" for m in labels) + tuple(f"{m}_pct_mvc" for m in labels)


def envelope_info(pylsl: ModuleType, spec: SensorStreams) -> Any:
    """The processed stream: envelope (µV) and %MVC per channel at frame rate (irregular: frames follow the data)."""
    labels = envelope_labels(spec.labels)
    info = pylsl.StreamInfo(
        f"{spec.prefix} EMG envelope", ENVELOPE_TYPE, len(labels), pylsl.IRREGULAR_RATE, pylsl.cf_float32,
        f"{spec.source_id}-envelope",
    )
    desc = info.desc()
    channels = desc.append_child("channels")
    n = len(spec.labels)
    for i, label in enumerate(labels):
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", spec.unit if i < n else "percent MVC")
        ch.append_child_value("type", "envelope" if i < n else "pct_mvc")
    _acquisition(desc, spec.source_name)
    _add_gymtui(desc, spec.speed)
    return info


def marker_info(pylsl: ModuleType, prefix: str) -> Any:
    info = pylsl.StreamInfo(
        f"{prefix} markers", MARKER_TYPE, 1, pylsl.IRREGULAR_RATE, pylsl.cf_string,
        f"gymtui-{platform.node() or 'host'}-{prefix}-markers",
    )
    desc = info.desc()
    desc.append_child_value("format", "kind|key=value|key=value")
    _add_gymtui(desc, 1.0)
    return info


class EmgOutlets:
    """The raw and processed outlets of one sensor. Raw blocks and frames may come from different threads."""

    def __init__(self, pylsl: ModuleType, spec: SensorStreams) -> None:
        self.spec = spec
        self.raw = pylsl.StreamOutlet(emg_info(pylsl, spec))
        self.envelope = pylsl.StreamOutlet(envelope_info(pylsl, spec))

    def push_block(self, samples_uv: np.ndarray, t0_s: float, rate_hz: float, clock: ClockMap) -> None:
        """One block, its samples stamped from ``t0_s`` and the rate, mapped to LSL time once."""
        n = int(samples_uv.shape[0])
        if n == 0 or samples_uv.ndim != 2 or samples_uv.shape[1] != len(self.spec.labels):
            return
        self.raw.push_chunk(np.ascontiguousarray(samples_uv, dtype=np.float32), clock.times(t0_s, n, rate_hz).tolist())

    def push_frame(self, envelope_uv: Sequence[float], pct_mvc: Sequence[float | None], t_s: float, clock: ClockMap) -> None:
        """One frame: envelope µV per channel, then %MVC per channel (NaN where no MVC holds)."""
        n = len(self.spec.labels)
        if len(envelope_uv) != n:
            return
        pct = [math.nan if v is None else float(v) for v in pct_mvc] if len(pct_mvc) == n else [math.nan] * n
        self.envelope.push_sample([float(v) for v in envelope_uv] + pct, clock(t_s))


class MarkerOutlet:
    """The marker stream; pushes from any thread are serialised (never from the cuff's thread: see the controller)."""

    def __init__(self, pylsl: ModuleType, prefix: str) -> None:
        self.outlet = pylsl.StreamOutlet(marker_info(pylsl, prefix))
        self._lock = threading.Lock()

    def push(self, text: str, timestamp: float) -> None:
        with self._lock:
            self.outlet.push_sample([text], timestamp)
