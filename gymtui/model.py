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
class SampleBlock:
    """A run of consecutive samples from one source.

    ``samples_uv`` is float32 with shape ``(n_samples, n_channels)``, in µV
    (or the device's arbitrary units where it publishes no scale, as the Myo).
    ``t0_s`` is the host clock reading of the first sample; ``seq`` counts
    blocks from 0 so a consumer sees a gap as a jump, and ``lost_samples``
    says how many samples the adapter knows were lost just before this block.
    """

    samples_uv: np.ndarray
    t0_s: float
    rate_hz: float
    seq: int
    lost_samples: int = 0

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
