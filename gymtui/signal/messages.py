"""What travels between the caller and the signal worker thread.

Kept apart from the worker so that the set runner and the app can speak to
the worker without importing scipy (the app's first screen does not need it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gymtui.model import (
    ActivationFrame,
    Calibration,
    FormCue,
    FormRules,
    MuscleRole,
    NativeCounts,
    PhaseKind,
)


# -- commands (caller → worker) ----------------------------------------------
@dataclass(frozen=True, slots=True)
class BeginMvc:
    pass


@dataclass(frozen=True, slots=True)
class EndMvc:
    source: str


@dataclass(frozen=True, slots=True)
class ApplyCalibration:
    calibration: Calibration | None


@dataclass(frozen=True, slots=True)
class BeginSet:
    token: Any  # the caller's handle for the set (e.g. a future of its row id)
    target_pct_mvc: float | None = None
    roles: tuple[MuscleRole, ...] | None = None  # this set's channel roles, when they differ per exercise
    names: tuple[str, ...] | None = None  # and its muscle names
    results: SetResults | None = None
    """Where this set's results go (default: the worker's own callbacks). It travels with the
    command, so a set's results reach whoever began it even when the next set is already queued."""
    form: FormRules | None = None
    """The exercise's live cue rules (None: the defaults)."""


@dataclass(frozen=True, slots=True)
class BeginPhase:
    index: int
    kind: PhaseKind
    target_pct_mvc: float | None = None
    zone_pct: tuple[float, float] | None = None  # the phase's target band, %MVC of the target
    at_s: float | None = None
    """When the phase started on the set's clock (the engine's due instant; None: where the stream is
    when the command arrives). The screen may notice a boundary a frame or more late: the samples
    are cut at this instant, not at the notice."""


@dataclass(frozen=True, slots=True)
class EndPhase:
    meta: Any  # echoed back with the statistics
    at_s: float | None = None
    """When the phase ended on the set's clock (see :attr:`BeginPhase.at_s`)."""


@dataclass(frozen=True, slots=True)
class EndSet:
    meta: Any


Command = BeginMvc | EndMvc | ApplyCalibration | BeginSet | BeginPhase | EndPhase | EndSet


# -- results (worker → caller) -------------------------------------------------
@dataclass(frozen=True, slots=True)
class PhaseStats:
    """The target muscle's activation over one phase (None where uncalibrated or no signal).

    ``metrics`` holds the rest of the phase's measures (target share,
    co-contraction, fatigue slope on a hold...) for the phase row.
    """

    peak_pct_mvc: float | None
    mean_pct_mvc: float | None
    time_above_target_s: float | None
    samples: int
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RawChunk:
    """About a second of a set's raw signal, for the store.

    ``samples_uv`` is float32 ``(n, channels)``, what the live chain saw;
    ``native`` the same samples as the device's counts when every block in
    the chunk carried them with one scale (None otherwise: stored as float32).
    """

    token: Any
    seq: int
    t0_s: float
    rate_hz: float
    samples_uv: np.ndarray  # float32 (n, channels)
    lost_samples: int
    native: NativeCounts | None = None


@dataclass(frozen=True, slots=True)
class SetResults:
    """The results of one set (MVC reference, phase statistics, summary, raw signal), each
    written to the store by its receiver; run on the worker thread, so quick and thread-safe."""

    on_mvc: Callable[[Calibration], None]
    on_phase: Callable[[Any, PhaseStats], None]
    on_set: Callable[[Any, dict[str, Any], list[dict[str, Any]]], None]
    on_raw: Callable[[RawChunk], None]
    on_cue: Callable[[Any, FormCue], None] = lambda token, cue: None
    """Each cue as it fires (never coalesced: the receiver stores it)."""


@dataclass(frozen=True)
class WorkerCallbacks:
    """The worker's outputs, given once at construction: frames and errors always go here;
    the result callbacks serve a set begun without its own :class:`SetResults`."""

    on_frame: Callable[[ActivationFrame], None]
    on_mvc: Callable[[Calibration], None] = lambda c: None
    on_phase: Callable[[Any, PhaseStats], None] = lambda meta, stats: None
    on_set: Callable[[Any, dict[str, Any], list[dict[str, Any]]], None] = lambda meta, summary, reps: None
    on_raw: Callable[[RawChunk], None] = lambda chunk: None
    on_error: Callable[[str], None] = lambda message: None

    def set_results(self) -> SetResults:
        return SetResults(self.on_mvc, self.on_phase, self.on_set, self.on_raw)
