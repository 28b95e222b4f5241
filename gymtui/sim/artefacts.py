"""Artefacts on demand: what the gym floor does to surface EMG, for tests and demos.

Each artefact is a function of absolute time (plus a seeded noise stream
drawn every block), so a stream with artefacts is still identical however it
is cut into blocks.

- **Mains hum**: 50/60 Hz and harmonics picked up by leads and body
  (tens of µV with good skin preparation, millivolts without).
- **Motion artefact**: cable sway and electrode–skin shifts during a rep:
  large, below ~10 Hz (what the 20 Hz high-pass is for; De Luca et al. 2010).
- **Electrode lift-off**: a sweaty electrode loses contact: the EMG vanishes,
  the half-cell offset jumps and the open lead picks up hum and noise.
- **Clipping**: the amplifier's rails (a flat top at ±``clip_uv``).
- **Packet gaps**: samples lost on the radio link; ``delivered`` is False
  for them and their values are zero (what a decoder holds for lost data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of the recording, in seconds from its first sample."""

    start_s: float
    duration_s: float

    def mask(self, t_s: np.ndarray) -> np.ndarray:
        return (t_s >= self.start_s) & (t_s < self.start_s + self.duration_s)


@dataclass(frozen=True, slots=True)
class MotionArtefact:
    """A low-frequency swing on every channel (a rep's jolt, a cable tug)."""

    window: Window
    amplitude_uv: float = 1500.0
    frequency_hz: float = 3.0


@dataclass(frozen=True, slots=True)
class LiftOff:
    """One channel's electrode loses skin contact for a while."""

    channel: int
    window: Window
    offset_uv: float = 1200.0
    hum_uv: float = 600.0
    noise_uv: float = 40.0


@dataclass(frozen=True, slots=True)
class ArtefactPlan:
    """Which artefacts to add, where. The empty plan adds nothing."""

    mains_hz: float = 50.0
    mains_uv: float = 0.0  # amplitude of the fundamental
    mains_harmonics: tuple[float, ...] = (1.0, 0.35, 0.15)  # relative amplitudes of 1×, 2×, 3× mains
    motion: tuple[MotionArtefact, ...] = ()
    lift_off: tuple[LiftOff, ...] = ()
    clip_uv: float | None = None
    gaps: tuple[Window, ...] = ()


class ArtefactInjector:
    """Applies an :class:`ArtefactPlan` to a stream, block by block."""

    def __init__(self, plan: ArtefactPlan, rate_hz: float, n_channels: int, *, seed: int = 0) -> None:
        for lift in plan.lift_off:
            if not 0 <= lift.channel < n_channels:
                raise ValueError(f"lift-off on channel {lift.channel}, but there are {n_channels} channels")
        self.plan = plan
        self.rate_hz = float(rate_hz)
        self.n_channels = n_channels
        rng = np.random.default_rng(seed)
        self._noise_rng = np.random.default_rng(rng.integers(2**63))
        # Each channel sees the movement differently (lead routing, electrode position).
        self._motion_gain = rng.uniform(0.4, 1.0, n_channels) * np.where(rng.random(n_channels) < 0.5, -1, 1)
        self._mains_phase = rng.uniform(0, 2 * np.pi, n_channels)
        harmonic = np.arange(1, len(plan.mains_harmonics) + 1)
        audible = harmonic * plan.mains_hz < self.rate_hz / 2
        self._mains_hz = (harmonic * plan.mains_hz)[audible]  # (K,)
        self._mains_uv = (plan.mains_uv * np.asarray(plan.mains_harmonics))[audible]
        self._mains_offset = harmonic[audible][:, None] * self._mains_phase[None, :]  # (K, n_channels)
        self._n_done = 0

    def apply(self, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Artefacts added to ``uv`` ``(n, n_channels)``; returns ``(uv, delivered (n,) bool)``."""
        plan = self.plan
        n = uv.shape[0]
        t_s = (self._n_done + np.arange(n)) / self.rate_hz
        self._n_done += n
        # Only lift-off uses noise; drawing it every block (or never) keeps the stream cut-independent.
        noise = self._noise_rng.standard_normal((n, self.n_channels)) if plan.lift_off else None
        out = np.array(uv, dtype=np.float64, copy=True)
        if plan.mains_uv and self._mains_hz.size:
            phase = 2 * np.pi * self._mains_hz[None, :, None] * t_s[:, None, None] + self._mains_offset[None]
            out += np.einsum("k,nkc->nc", self._mains_uv, np.sin(phase))
        for motion in plan.motion:
            inside = motion.window.mask(t_s)
            if inside.any():
                phase = (t_s[inside] - motion.window.start_s) / motion.window.duration_s
                hann = np.sin(np.pi * phase) ** 2
                swing = motion.amplitude_uv * hann * np.sin(2 * np.pi * motion.frequency_hz * (t_s[inside] - motion.window.start_s))
                out[inside] += swing[:, None] * self._motion_gain
        for lift in plan.lift_off:
            inside = lift.window.mask(t_s)
            if inside.any():
                assert noise is not None  # drawn whenever the plan has a lift-off
                c = lift.channel
                since_s = t_s[inside] - lift.window.start_s
                offset = lift.offset_uv * (1.0 - np.exp(-since_s / 0.02))
                hum = lift.hum_uv * np.sin(2 * np.pi * plan.mains_hz * t_s[inside])
                out[inside, c] = 0.05 * out[inside, c] + offset + hum + lift.noise_uv * noise[inside, c]
        if plan.clip_uv is not None:
            np.clip(out, -plan.clip_uv, plan.clip_uv, out=out)
        delivered = np.ones(n, dtype=bool)
        for gap in plan.gaps:
            delivered &= ~gap.mask(t_s)
        out[~delivered] = 0.0
        return out, delivered
