"""A pylsl outlet that plays a recording as an EMG stream in real time, for the tests of ``--sensor lsl:``.

Imported only by tests that have pylsl (the test extra); LSL stays on
loopback through ``LSLAPICFG`` (tests/conftest.py).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from gymtui.interop.lsl_runtime import load_pylsl

LABELS = ("Rectus femoris", "Biceps femoris", "Vastus medialis", "Semitendinosus")
"""The UCI leg-extension recording's four channels, in its column order."""

CHUNK_S = 0.010
"""The player pushes a chunk this often (a BLE-like cadence)."""


class Player:
    """A pylsl outlet playing a recording at its rate in real time, looping, stamped from the sample count.

    Sample ``k`` of the stream (``k`` counts from the first sample played, and
    goes on counting while the outlet is away) is ``recording[k % n]``, stamped
    ``t_start + k / rate``: a gap is samples never pushed, and their stamps
    are skipped with them. ``pushed`` lists the ``(first, end)`` runs of ``k``
    actually pushed.
    """

    def __init__(self, name: str, samples: np.ndarray, rate_hz: float, *, stream_type: str = "EMG",
                 labels: tuple[str, ...] = LABELS, unit: str = "microvolts") -> None:
        self.name, self.samples, self.rate_hz = name, samples, rate_hz
        self.stream_type, self.labels, self.unit = stream_type, labels, unit
        self.pushed: list[tuple[int, int]] = []
        self._outlet: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t_start = 0.0

    def stream(self, k: int, end: int) -> np.ndarray:
        """Stream samples ``k..end`` as sent (float32, looping over the recording)."""
        return self.samples[np.arange(k, end) % len(self.samples)]

    def _make_outlet(self) -> Any:
        pylsl = load_pylsl()
        info = pylsl.StreamInfo(self.name, self.stream_type, len(self.labels), self.rate_hz, pylsl.cf_float32,
                                f"{self.name}-sid")
        channels = info.desc().append_child("channels")
        for label in self.labels:
            channel = channels.append_child("channel")
            channel.append_child_value("label", label)
            channel.append_child_value("unit", self.unit)
            channel.append_child_value("type", "EMG")
        return pylsl.StreamOutlet(info, chunk_size=round(CHUNK_S * self.rate_hz), max_buffered=10)

    def start(self) -> None:
        self._outlet = self._make_outlet()
        self._t_start = load_pylsl().local_clock()
        self._thread = threading.Thread(target=self._run, name="lsl-player", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        k = 0
        while not self._stop.wait(CHUNK_S / 2):
            due = int((load_pylsl().local_clock() - self._t_start) * self.rate_hz)
            with self._lock:
                outlet = self._outlet
                if outlet is None:
                    k = due  # away: these samples are never sent
                    continue
                if due > k:
                    chunk = self.stream(k, due)
                    outlet.push_chunk(chunk, self._t_start + (due - 1) / self.rate_hz)  # the newest sample's time
                    if self.pushed and self.pushed[-1][1] == k:
                        self.pushed[-1] = (self.pushed[-1][0], due)
                    else:
                        self.pushed.append((k, due))
                    k = due

    def go_away(self) -> None:
        """The sender quits: the outlet is destroyed (its inlets are told the stream is lost)."""
        with self._lock:
            outlet, self._outlet = self._outlet, None
        del outlet

    def come_back(self) -> None:
        """The sender starts again under the same name, on the same timeline."""
        outlet = self._make_outlet()
        with self._lock:
            self._outlet = outlet

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._outlet = None




def align(sent: Player, stored: np.ndarray) -> int:
    """Where in the stream the stored signal starts: the pushed sample from which its first 200 rows follow.

    (Quiet stretches of a recording at 1.5 µV resolution repeat single rows, so one row is not enough.)
    """
    head = stored[:200]
    for first, end in sent.pushed:
        run = sent.stream(first, end)
        for hit in np.flatnonzero((run == head[0]).all(axis=1)):
            k = first + int(hit)
            if np.array_equal(sent.stream(k, k + len(head)), head):
                return k
    raise AssertionError(f"the stored signal's first rows {head[:3]} were never sent in a row")
