"""Value types every layer shares.

These are the contracts between adapters, the signal worker, the session
engine, the BFR supervisor, the store and the UI. They are plain frozen
dataclasses so that any thread may hold them without locks, and they import
nothing heavier than numpy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class MuscleRole(enum.StrEnum):
    """What a channel's muscle does in the exercise being trained."""

    TARGET = "target"
    SYNERGIST = "synergist"
    ANTAGONIST = "antagonist"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """One EMG channel as the athlete knows it: a muscle with a role."""

    muscle: str
    role: MuscleRole = MuscleRole.OTHER
    unit: str = "µV"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What an EMG source delivers, known before its first sample."""

    name: str
    channels: tuple[ChannelInfo, ...]
    rate_hz: float
    unit: str = "µV"

    @property
    def n_channels(self) -> int:
        return len(self.channels)


@dataclass(frozen=True, slots=True, eq=False)
class NativeCounts:
    """A block's samples as the device sent them: integer counts, the scale that made them µV, and their range.

    ``counts`` is integer ``(n_samples, n_channels)``; ``scale_uv`` float32
    per channel, exactly the factor the live chain multiplied by
    (``counts.astype(float32) * scale_uv`` is the block's ``samples_uv``, bit
    for bit); ``count_range`` the inclusive ``(min, max)`` the device's
    format can carry (from its decoder, not from the values seen), so the
    store keeps every block of a device in the same, smallest integer type.
    """

    counts: np.ndarray
    scale_uv: np.ndarray
    count_range: tuple[int, int]

    def __post_init__(self) -> None:
        if self.counts.ndim != 2 or self.counts.dtype.kind not in "iu":
            raise ValueError(f"counts must be 2-D integers, got {self.counts.dtype} {self.counts.shape}")
        if self.scale_uv.shape != (self.counts.shape[1],) or self.scale_uv.dtype != np.float32:
            raise ValueError(f"scale_uv must be float32, one per channel, got {self.scale_uv.dtype} {self.scale_uv.shape}")

    def to_uv(self) -> np.ndarray:
        """The counts in the unit, float32: the same operation as the live chain's, so the same bits."""
        uv: np.ndarray = self.counts.astype(np.float32) * self.scale_uv
        return uv


@dataclass(frozen=True, slots=True, eq=False)
class SampleBlock:
    """A run of consecutive samples from one source.

    ``samples_uv`` is float32 with shape ``(n_samples, n_channels)``, in µV
    (or the device's arbitrary units where it publishes no scale, as the Myo).
    ``t0_s`` is the host clock reading of the first sample; ``seq`` counts
    blocks from 0 so a consumer sees a gap as a jump, and ``lost_samples``
    says how many samples the adapter knows were lost just before this block.
    ``native`` is the same samples as the device's integer counts, where the
    source has them (a BLE sensor); None for a source that is float.
    """

    samples_uv: np.ndarray
    t0_s: float
    rate_hz: float
    seq: int
    lost_samples: int = 0
    native: NativeCounts | None = None

    def __post_init__(self) -> None:
        if self.samples_uv.ndim != 2:
            raise ValueError(f"samples_uv must be 2-D (samples × channels), got shape {self.samples_uv.shape}")
        if self.samples_uv.dtype != np.float32:
            raise TypeError(f"samples_uv must be float32, got {self.samples_uv.dtype}")
        if self.rate_hz <= 0:
            raise ValueError(f"rate_hz must be positive, got {self.rate_hz}")

    @property
    def n_samples(self) -> int:
        return int(self.samples_uv.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.samples_uv.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate_hz


class FormCueKind(enum.StrEnum):
    """Why the athlete is told to change the rep while it is still going."""

    COMPENSATION = "compensation"  # the target's share fell, or a named synergist out-fires it
    CO_CONTRACTION = "co_contraction"  # the antagonist is on during a lift or a hold


@dataclass(frozen=True, slots=True)
class Compensator:
    """A muscle that tends to take over an exercise, and what the athlete does about it."""

    muscle: str
    correction: str


@dataclass(frozen=True, slots=True)
class FormRules:
    """One exercise's live biofeedback rules (its library entry, with defaults).

    Shares are fractions 0–1 of target / (target + synergists) on %MVC;
    antagonist levels are %MVC of the antagonist's own MVC. A cue fires when
    its condition has held for ``dwell_s`` and clears only when the measure
    is back past the ``clear`` value (hysteresis), so a rep near the line
    does not flicker the cue.
    """

    compensators: tuple[Compensator, ...] = ()
    correction: str = ""
    """The compensation cue's text when no named compensator is to blame (the share alone fell)."""
    min_target_share: float = 0.45
    clear_target_share: float = 0.50
    dwell_s: float = 0.3
    antagonist_max_pct: float = 20.0
    antagonist_clear_pct: float = 15.0
    """20 % MVC: the public UCI leg extension's practised reps hold the hamstrings under 9 % of their
    peak (an upper bound of %MVC), its braced rep at 31.5 %: 20 % sits between, with room for a true
    MVC above the task's peak (see the README's Biofeedback section)."""
    antagonist_correction: str = ""
    """The co-contraction cue's text ("Relax the triceps"); empty: "Relax the <antagonist>"."""


@dataclass(frozen=True, slots=True)
class FormCue:
    """A correction shown while the athlete can still fix the rep.

    ``channel`` is the offending channel (the synergist that took over, the
    antagonist, or the target when its share alone fell); ``value`` the
    measure that fired it (a share 0–1 for a share cue, else that channel's
    %MVC); ``rep`` the 1-based rep it fired in, None between reps.
    """

    t_s: float
    kind: FormCueKind
    channel: int
    muscle: str
    value: float
    text: str
    rep: int | None = None


@dataclass(frozen=True, slots=True)
class RepVerdict:
    """One finished rep, judged live: perfect, or the first reason it was not.

    ``reason`` is "" for a perfect rep, else one of "target not prime mover",
    "below N % MVC" or "antagonist on". ``rise_ms`` is the rate-of-rise time
    (onset to 90 % of the rep's peak), the explosive-intent measure.
    """

    number: int
    start_s: float
    end_s: float
    perfect: bool
    reason: str = ""
    peak_pct_mvc: float | None = None
    target_share: float | None = None
    rise_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Biofeedback:
    """The set's live coaching state, whole in every frame.

    Frames may be dropped for newer ones, so nothing here is a delta: the
    cue showing now (None when clear), the channels to mark, every rep
    judged so far this set, the current phase's target zone and the time
    spent in zones so far, and how many cues fired this set.
    """

    cue: FormCue | None = None
    marked: tuple[int, ...] = ()
    reps: tuple[RepVerdict, ...] = ()
    zone_pct: tuple[float, float] | None = None
    zone_s: float = 0.0
    cues_fired: int = 0


@dataclass(frozen=True, slots=True)
class ActivationFrame:
    """What the screen shows of the signal, about 30 times a second.

    Tuples, not arrays, so the UI can put the values into reactives.
    ``pct_mvc`` is None per channel until a calibration exists.
    """

    t_s: float
    envelope_uv: tuple[float, ...]
    pct_mvc: tuple[float | None, ...]
    quality: tuple[tuple[str, ...], ...] = ()
    blocks_seen: int = 0
    lost_samples: int = 0
    feedback: Biofeedback | None = None
    """The live coaching state while a set runs (None outside a set or without a sensor)."""


class LinkState(enum.StrEnum):
    """Where a device's link is, as the athlete should see it."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class LinkHealth:
    """A device's link health, for the status line."""

    state: LinkState = LinkState.DISCONNECTED
    battery_pct: int | None = None
    rssi_dbm: int | None = None
    gaps: int = 0
    dropped_packets: int = 0
    message: str = ""


@dataclass(frozen=True, slots=True)
class PressureReading:
    """One cuff pressure reading on the host clock."""

    t_s: float
    pressure_mmhg: float
    fault_bits: int = 0


class CuffCommandKind(enum.StrEnum):
    """What may be asked of a cuff. Only the BFR supervisor issues these."""

    TARGET = "target"
    HOLD = "hold"
    DEFLATE = "deflate"


@dataclass(frozen=True, slots=True)
class CuffCommand:
    kind: CuffCommandKind
    target_mmhg: float = 0.0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Calibration:
    """An MVC reference per channel: the envelope peak of a maximal effort."""

    mvc_uv: tuple[float, ...]
    window_s: float
    source: str = ""
    channels: tuple[str, ...] = field(default_factory=tuple)


class PhaseKind(enum.StrEnum):
    """What the athlete does in a phase; the simulated athlete's intent too."""

    CALIBRATION = "calibration"  # maximal voluntary contraction for the %MVC reference
    ACTIVATION = "activation"  # squeeze and hold the target (3 s activation holds)
    ECCENTRIC = "eccentric"  # slow lowering, 3–6 s
    CONCENTRIC = "concentric"  # lifting phase, controlled
    EXPLOSIVE = "explosive"  # fast concentric with intent
    ISOMETRIC = "isometric"  # hold at peak contraction, 10–15 s
    REPS = "reps"  # a run of ordinary reps, ended by the athlete
    REST = "rest"


WORK_PHASE_KINDS = frozenset(k for k in PhaseKind if k is not PhaseKind.REST)
