"""Surface EMG from motor-unit pools: discharge trains × action potentials, streamed.

:class:`MotorUnitPhysiology` implements the
:class:`~gymtui.sim.physiology.Physiology` protocol. Per block it

1. maps the athlete's drive to excitation through each pool's force
   controller (a fatigued pool needs more drive for the same force),
2. draws every unit's discharges at once (rounds over all units of all
   muscles, each unit's Gaussian interspike interval keyed by its spike
   number so any cut of the stream gives the same spikes),
3. places each unit's first-order Hermite–Rodriguez action potential at its
   discharges with one ``np.bincount`` (templates binned by width, so a
   fatigued, slower unit gets a wider, lower-frequency shape), carrying the
   tail of MUAPs that overlap the block end into the next block,
4. mixes neighbouring channels (crosstalk), adds electrode noise, and
   applies any artefacts asked for.

Fatigue, the force controller and the template choice advance on a fixed
tick grid (50 ms by default) counted from the first sample, never on block
boundaries: rendering block by block equals rendering in one go.

Below 1 kHz the signal is rendered at an integer multiple of the output
rate, anti-alias filtered (a linear-phase FIR) and decimated, as a real
200 Hz device would. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gymtui.model import MuscleRole
from gymtui.sim.artefacts import ArtefactInjector, ArtefactPlan
from gymtui.sim.noise import hashed_bits, hashed_normal
from gymtui.sim.pool import HR1_PEAK, MotorUnitPool, PoolParams, median_frequency_hz

MIN_RATE_HZ = 200.0
MAX_RATE_HZ = 4000.0
_MIN_INTERNAL_RATE_HZ = 1000.0
_WIDTH_BIN_RATIO = 1.01  # template widths 1 % apart: far below the spread between units
_WIDTH_GROUP_RATIO = 1.3  # template-length groups: each spans widths within 30 %


def anti_alias_taps(rate_hz: float, factor: int, stop_db: float = 60.0) -> np.ndarray:
    """Kaiser-windowed sinc low-pass for decimating by ``factor`` to ``rate_hz``.

    Pass band to 40 % of the output rate, ``stop_db`` of attenuation from its
    Nyquist (50 %) up, so nothing aliases; unity gain at DC. Linear phase:
    the signal is delayed by (taps − 1) / 2 internal samples.
    """
    fs_hz = rate_hz * factor
    transition = 0.1 * rate_hz / fs_hz  # cycles per internal sample
    n_taps = math.ceil((stop_db - 7.95) / (2.285 * 2 * np.pi * transition)) | 1
    beta = 0.1102 * (stop_db - 8.7)
    cutoff = 0.45 * rate_hz / fs_hz
    n = np.arange(n_taps) - (n_taps - 1) / 2
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(n_taps, beta)
    result: np.ndarray = taps / taps.sum()
    return result


@dataclass(frozen=True, slots=True)
class MuscleSpec:
    """One simulated muscle under one electrode pair."""

    name: str
    role: MuscleRole = MuscleRole.OTHER
    params: PoolParams = field(default_factory=PoolParams)


@dataclass(frozen=True, slots=True)
class BlockTruth:
    """What the model knows about the last block, at the output rate.

    ``drive`` is the true excitation (0–1) after the force controller,
    ``force`` the muscle force (0–1 of the fresh maximum), ``active_units``
    the number of recruited units, all ``(n_samples, n_muscles)``;
    ``delivered`` is False for samples lost in a simulated packet gap.
    """

    drive: np.ndarray
    force: np.ndarray
    active_units: np.ndarray
    delivered: np.ndarray


@dataclass(frozen=True, slots=True)
class SpikeLog:
    """Discharges of one block, in time order: muscle, unit index in its pool (0 = first recruited), time."""

    muscle: np.ndarray
    unit: np.ndarray
    t_s: np.ndarray


@dataclass(frozen=True, slots=True)
class MedianFrequencyTrack:
    """The model's own median frequency per channel, once per ``window_s``, from its spectrum."""

    t_s: np.ndarray  # (k,) window centres
    mf_hz: np.ndarray  # (k, n_channels)
    band_hz: tuple[float, float]

    def slope_hz_per_s(self, t_from_s: float = 0.0, t_to_s: float = math.inf) -> np.ndarray:
        """Least-squares slope per channel over windows centred inside [t_from_s, t_to_s]."""
        inside = (self.t_s >= t_from_s) & (self.t_s <= t_to_s)
        result: np.ndarray = np.polyfit(self.t_s[inside], self.mf_hz[inside], 1)[0]
        return result


class MotorUnitPhysiology:
    """Motor-unit pools → surface EMG in µV; the demo's and the tests' physiology.

    ``render(drive)`` takes float ``(n, n_muscles)`` drive in 0–1 and returns
    float32 µV ``(n, n_muscles)``; :attr:`truth` then holds the block's true
    excitation, force and recruitment.

    Parameters: ``crosstalk`` is the fraction of each neighbouring muscle's
    signal seen on a channel (channels in muscle order; 0.1–0.2 is typical
    for adjacent limb muscles, De Luca & Merletti 1988); ``noise_rms_uv`` the
    electrode and amplifier noise (2–5 µV RMS at the skin); ``force_control``
    makes the drive a force intent (see :meth:`MotorUnitPool.compensation_map`);
    ``track_mf_band_hz`` records the model's own median frequency per second
    over that band (costs ~1 ms per simulated second, off by default);
    ``record_spikes`` keeps the last block's discharges in :attr:`last_spikes`.
    """

    def __init__(
        self,
        rate_hz: float,
        muscles: Sequence[MuscleSpec],
        *,
        crosstalk: float = 0.12,
        noise_rms_uv: float = 2.5,
        force_control: bool = True,
        tick_s: float = 0.05,
        artefacts: ArtefactPlan | None = None,
        track_mf_band_hz: tuple[float, float] | None = None,
        record_spikes: bool = False,
        seed: int = 0,
    ) -> None:
        if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"rate must be between {MIN_RATE_HZ:g} and {MAX_RATE_HZ:g} Hz, got {rate_hz:g}")
        if not muscles:
            raise ValueError("at least one muscle is needed")
        self.rate_hz = float(rate_hz)
        self.muscles = tuple(muscles)
        self.n_muscles = len(self.muscles)
        self.seed = int(seed)
        self.force_control = force_control
        self.noise_rms_uv = float(noise_rms_uv)
        self._up = 1 if rate_hz >= _MIN_INTERNAL_RATE_HZ else math.ceil(_MIN_INTERNAL_RATE_HZ / rate_hz)
        self.internal_rate_hz = self.rate_hz * self._up
        self._tick_n = max(1, round(tick_s * self.internal_rate_hz))
        self.tick_s = self._tick_n / self.internal_rate_hz

        seeds = np.random.SeedSequence(seed).spawn(self.n_muscles + 2)
        self.pools = [
            MotorUnitPool(spec.params, seed=int(s.generate_state(1)[0])) for spec, s in zip(self.muscles, seeds)
        ]
        self._noise_rng = np.random.default_rng(seeds[-2])
        self._build_unit_tables()
        self._build_template_bank()
        self.mixing = self._crosstalk_matrix(crosstalk)
        self._artefacts = (
            ArtefactInjector(artefacts, self.rate_hz, self.n_muscles, seed=int(seeds[-1].generate_state(1)[0]))
            if artefacts
            else None
        )
        if self._up > 1:
            self._aa_taps = anti_alias_taps(self.rate_hz, self._up)
            self._aa_tail = np.zeros((self._aa_taps.size - 1, self.n_muscles))

        # Streaming state.
        n_units = self._unit_muscle.size
        self._next_spike = np.full(n_units, np.inf)  # internal sample index; inf = silent
        self._spike_number = np.zeros(n_units, dtype=np.uint64)
        self._tick_counts = np.zeros(n_units, dtype=np.int64)
        self._t_int = 0  # internal samples rendered so far
        self._tail = np.zeros((self._template_n, self.n_muscles))
        self._refresh_tick_state()
        self.truth: BlockTruth | None = None
        self._record_spikes = record_spikes
        self.last_spikes: SpikeLog | None = None

        self._mf_band = track_mf_band_hz
        self._mf_every_ticks = max(1, round(1.0 / self.tick_s))
        self._mf_counts = np.zeros(n_units, dtype=np.int64)
        self._mf_ticks = 0
        self._mf_t: list[float] = []
        self._mf_values: list[np.ndarray] = []

    # -- set-up -----------------------------------------------------------
    def _build_unit_tables(self) -> None:
        """Flatten every pool's units into one axis so a block's spikes are drawn in one pass."""
        self._unit_muscle = np.concatenate([np.full(p.n_units, m) for m, p in enumerate(self.pools)])
        self._unit_id = np.arange(self._unit_muscle.size, dtype=np.uint64)
        cat = np.concatenate
        self._threshold = cat([p.threshold_drive for p in self.pools])
        self._rate_gain = cat([np.full(p.n_units, p.params.rate_gain_hz * p.params.max_excitation) for p in self.pools])
        self._min_rate = cat([np.full(p.n_units, p.params.min_rate_hz) for p in self.pools])
        self._peak_rate = cat([p.peak_rate_hz for p in self.pools])
        self._isi_cv = cat([np.full(p.n_units, p.params.isi_cv) for p in self.pools])
        self._refractory_n = cat([np.full(p.n_units, p.params.refractory_s) for p in self.pools]) * self.internal_rate_hz
        self._amp_uv = cat([p.muap_amp_uv for p in self.pools])
        self._synchrony = cat([np.full(p.n_units, p.params.synchrony) for p in self.pools])
        self._common_events = [np.zeros(0) for _ in self.pools]  # internal sample times, ascending
        self._common_made = [0] * len(self.pools)
        self._common_end = [0.0] * len(self.pools)
        self._slices = []
        start = 0
        for p in self.pools:
            self._slices.append(slice(start, start + p.n_units))
            start += p.n_units

    def _build_template_bank(self) -> None:
        """Unit-peak Hermite–Rodriguez shapes on a geometric grid of widths, sampled at the internal rate."""
        fresh = [p.muap_width_s() for p in self.pools]
        widest = [
            p.params.muap_width_at_ref_s
            * p.params.cv_ref_m_s
            / (p.params.cv_smallest_m_s * (1.0 - p.params.cv_drop_at_exhaustion))
            for p in self.pools
        ]
        self._width_lo_s = min(float(w.min()) for w in fresh)
        width_hi_s = max(widest)
        n_bins = math.ceil(math.log(width_hi_s / self._width_lo_s) / math.log(_WIDTH_BIN_RATIO)) + 1
        widths = self._width_lo_s * _WIDTH_BIN_RATIO ** np.arange(n_bins)
        self._template_n = math.ceil(6.0 * width_hi_s * self.internal_rate_hz) | 1
        t_s = (np.arange(self._template_n) - self._template_n // 2) / self.internal_rate_hz
        x = t_s[None, :] / widths[:, None]
        self._bank = x * np.exp(-(x**2)) / HR1_PEAK  # (n_bins, L)
        # Narrow MUAPs need a shorter support (±3λ): group the widths so each group is placed with
        # its own template length, all centred alike (same latency). Most discharges are narrow.
        self._bin_group = np.floor(np.log(widths / self._width_lo_s) / math.log(_WIDTH_GROUP_RATIO)).astype(np.intp)
        centre = self._template_n // 2
        self._groups = []
        for g in range(int(self._bin_group.max()) + 1):
            members = np.flatnonzero(self._bin_group == g)
            half = min(centre, math.ceil(3.0 * widths[members[-1]] * self.internal_rate_hz))
            lag = np.arange(centre - half, centre + half + 1)
            self._groups.append((int(members[0]), self._bank[members[0] : members[-1] + 1][:, lag], lag * self.n_muscles))

    def _crosstalk_matrix(self, crosstalk: float) -> np.ndarray:
        n = self.n_muscles
        mixing = np.eye(n)
        idx = np.arange(n - 1)
        mixing[idx, idx + 1] = crosstalk
        mixing[idx + 1, idx] = crosstalk
        return mixing

    def _refresh_tick_state(self) -> None:
        """Per-tick quantities that follow fatigue: template bins, controller maps, force curves."""
        widths = np.concatenate([p.muap_width_s() for p in self.pools])
        bins = np.rint(np.log(widths / self._width_lo_s) / math.log(_WIDTH_BIN_RATIO))
        self._unit_bin = np.clip(bins, 0, self._bank.shape[0] - 1).astype(np.intp)
        self._force_grid = np.stack([p.force_grid() for p in self.pools])  # (n_muscles, G)
        if self.force_control:
            self._drive_map = np.stack([p.compensation_map() for p in self.pools])
        else:
            self._drive_map = np.stack([p.drive_grid for p in self.pools])

    def _on_grid(self, drive: np.ndarray, table: np.ndarray) -> np.ndarray:
        """Linear interpolation of per-muscle ``table`` (n_muscles, G) on the shared uniform drive grid."""
        last = table.shape[1] - 1
        position = drive * last
        index = np.minimum(position.astype(np.intp), last - 1)
        frac = position - index
        cols = np.arange(self.n_muscles)
        result: np.ndarray = table[cols, index] * (1.0 - frac) + table[cols, index + 1] * frac
        return result

    # -- streaming ----------------------------------------------------------
    def render(self, drive: np.ndarray) -> np.ndarray:
        """Drive ``(n, n_muscles)`` in 0–1 → surface EMG float32 µV ``(n, n_muscles)``."""
        drive = np.asarray(drive, dtype=np.float64)
        if drive.ndim != 2 or drive.shape[1] != self.n_muscles:
            raise ValueError(f"drive must have shape (n, {self.n_muscles}), got {drive.shape}")
        n = drive.shape[0]
        command = np.clip(drive, 0.0, 1.0)
        if not np.isfinite(command).all():
            command = np.nan_to_num(command, nan=0.0)
        if self._up > 1:
            command = np.repeat(command, self._up, axis=0)
        n_int = command.shape[0]
        excitation = np.empty_like(command)
        force = np.empty_like(command)
        spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        block_start = self._t_int
        pos = 0
        while pos < n_int:
            seg_start = block_start + pos
            tick_end = (seg_start // self._tick_n + 1) * self._tick_n
            seg_n = min(n_int - pos, tick_end - seg_start)
            seg = slice(pos, pos + seg_n)
            excitation[seg] = self._on_grid(command[seg], self._drive_map)
            force[seg] = self._on_grid(excitation[seg], self._force_grid)
            self._discharge(excitation[seg], seg_start, spikes)
            pos += seg_n
            if seg_start + seg_n == tick_end:
                self._end_tick(tick_end)
        self._t_int += n_int

        surface = self._place_muaps(spikes, block_start, n_int)
        if self._record_spikes:
            self.last_spikes = self._spike_log(spikes)
        if self._up > 1:
            surface = self._decimate(surface)
            excitation = excitation[:: self._up]
            force = force[:: self._up]
        uv = surface @ self.mixing.T
        uv += self.noise_rms_uv * self._noise_rng.standard_normal((n, self.n_muscles))
        delivered = np.ones(n, dtype=bool)
        if self._artefacts is not None:
            uv, delivered = self._artefacts.apply(uv)
        active = np.stack(
            [pool.active_units(excitation[:, m]) for m, pool in enumerate(self.pools)], axis=1
        ).astype(np.int16)
        force[active == 0] = 0.0  # the force grid interpolates across the first threshold
        self.truth = BlockTruth(excitation, force, active, delivered)
        result: np.ndarray = uv.astype(np.float32)
        return result

    def _discharge(self, excitation: np.ndarray, seg_start: int, spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Every unit's discharges inside one segment (within a tick), all units at once.

        A silent unit is recruited at the first sample its excitation reaches
        its threshold and fires there; each discharge draws the next interval
        from N(1/rate, (cv/rate)²) at the rate the excitation gives at that
        moment; a unit whose excitation has fallen below threshold when its
        next discharge is due falls silent until excitation crosses again.
        """
        seg_n = excitation.shape[0]
        seg_end = seg_start + seg_n
        # Silent units whose threshold the excitation reaches in this segment (usually none).
        recruits = np.flatnonzero(
            np.isinf(self._next_spike) & (self._threshold <= excitation.max(axis=0)[self._unit_muscle])
        )
        if recruits.size:
            peak_so_far = np.maximum.accumulate(excitation, axis=0)
            muscles = self._unit_muscle[recruits]
            for m in np.unique(muscles):
                units = recruits[muscles == m]
                first = np.searchsorted(peak_so_far[:, m], self._threshold[units], side="left")
                self._next_spike[units] = seg_start + first
        while True:
            due = np.flatnonzero(self._next_spike < seg_end)
            if due.size == 0:
                return
            t = self._next_spike[due]
            at = np.floor(t).astype(np.int64)
            rel = at - seg_start
            level = excitation[rel, self._unit_muscle[due]]
            above = level >= self._threshold[due]
            fire = due[above]
            if fire.size:
                spikes.append((fire, at[above], self._unit_bin[fire]))
                rate = np.minimum(
                    self._rate_gain[fire] * (level[above] - self._threshold[fire]) + self._min_rate[fire],
                    self._peak_rate[fire],
                )
                z = hashed_normal(self.seed, self._unit_id[fire], self._spike_number[fire])
                self._spike_number[fire] += np.uint64(1)
                interval = np.maximum(
                    (1.0 + self._isi_cv[fire] * z) * self.internal_rate_hz / rate, self._refractory_n[fire]
                )
                next_at = t[above] + interval
                if self._synchrony[fire].any():
                    next_at = self._synchronise(fire, t[above], next_at, interval, seg_start)
                self._next_spike[fire] = next_at
                self._tick_counts[fire] += 1
            drop = due[~above]
            if drop.size:
                # Derecruited: silent until excitation crosses threshold again later in this segment.
                rows = excitation[:, self._unit_muscle[drop]] >= self._threshold[drop]
                rows[np.arange(seg_n)[:, None] <= rel[~above][None, :]] = False
                again = rows.any(axis=0)
                self._next_spike[drop] = np.where(again, seg_start + rows.argmax(axis=0), np.inf)

    def _decimate(self, surface: np.ndarray) -> np.ndarray:
        """Anti-alias FIR evaluated only at the kept samples; the last taps−1 inputs carry over."""
        taps = self._aa_taps
        buffer = np.concatenate([self._aa_tail, surface], axis=0)
        self._aa_tail = buffer[buffer.shape[0] - (taps.size - 1) :]
        windows = np.lib.stride_tricks.sliding_window_view(buffer, taps.size, axis=0)[:: self._up]
        result: np.ndarray = windows @ taps[::-1]
        return result

    def _spike_log(self, spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> SpikeLog:
        units = np.concatenate([s[0] for s in spikes]) if spikes else np.zeros(0, dtype=np.intp)
        at = np.concatenate([s[1] for s in spikes]) if spikes else np.zeros(0, dtype=np.int64)
        order = np.lexsort((units, at))
        units, at = units[order], at[order]
        first_unit = np.array([sl.start for sl in self._slices])
        muscle = self._unit_muscle[units]
        return SpikeLog(muscle, units - first_unit[muscle], at / self.internal_rate_hz)

    def _synchronise(
        self, fire: np.ndarray, now: np.ndarray, next_at: np.ndarray, interval: np.ndarray, seg_start: int
    ) -> np.ndarray:
        """Pull a share (``synchrony``) of the next discharges onto the pool's common input events.

        A pulled discharge moves to the nearest common event if that lies
        within a quarter of its interval (±1 ms jitter), so synchronised
        units fire together without changing their mean rate much. The
        choice and the jitter are keyed by (unit, spike number) like the
        interval itself, and the common events are one deterministic
        sequence per muscle: block cuts still change nothing.
        """
        bits = hashed_bits(self.seed ^ 0x5EC0, self._unit_id[fire], self._spike_number[fire] - np.uint64(1))
        pulled = ((bits >> np.uint64(11)).astype(np.float64) / 2.0**53) < self._synchrony[fire]
        jitter = ((bits & np.uint64(0xFFFF)).astype(np.float64) / 65536.0 - 0.5) * 0.002 * self.internal_rate_hz
        out = next_at.copy()
        muscles = self._unit_muscle[fire]
        for m in np.unique(muscles[pulled]):
            sel = pulled & (muscles == m)
            events = self._common_events_until(int(m), float(next_at[sel].max()) + 1.0, seg_start)
            k = np.clip(np.searchsorted(events, next_at[sel]), 1, events.size - 1)
            before, after = events[k - 1], events[k]
            nearest = np.where(next_at[sel] - before < after - next_at[sel], before, after)
            moved = nearest + jitter[sel]
            ok = (np.abs(nearest - next_at[sel]) < 0.25 * interval[sel]) & (moved > now[sel] + self._refractory_n[fire[sel]])
            out[sel] = np.where(ok, moved, next_at[sel])
        return out

    def _common_events_until(self, m: int, t_needed: float, seg_start: int) -> np.ndarray:
        """Muscle ``m``'s common-input event times, generated on to ``t_needed``; old ones dropped."""
        params = self.pools[m].params
        mean_n = self.internal_rate_hz / params.common_input_rate_hz
        events = self._common_events[m]
        while self._common_end[m] <= t_needed or events.size < 2:
            count = self._common_made[m]
            z = hashed_normal(self.seed ^ 0xC0111, np.full(64, 1_000_000 + m), np.arange(count, count + 64))
            steps = mean_n * np.maximum(1.0 + 0.2 * z, 0.2)
            new = self._common_end[m] + np.cumsum(steps)
            events = np.concatenate([events, new])
            self._common_end[m] = float(new[-1])
            self._common_made[m] = count + 64
        keep_from = np.searchsorted(events, seg_start - self.internal_rate_hz) - 1
        events = events[max(0, keep_from) :]
        self._common_events[m] = events
        return events

    def _place_muaps(self, spikes: list[tuple[np.ndarray, np.ndarray, np.ndarray]], block_start: int, n_int: int) -> np.ndarray:
        """Sum every discharge's action potential into ``(n_int, n_muscles)``; keep the overhang as tail.

        A MUAP template starts at its discharge sample (its centre ≈ 3λ, a
        few ms, later: a constant latency), so no block needs the next one's
        spikes; what runs past the block end is added at the next block's start.
        """
        length = self._template_n
        total = (n_int + length) * self.n_muscles
        if spikes:
            units = np.concatenate([s[0] for s in spikes])
            at = np.concatenate([s[1] for s in spikes])
            bins = np.concatenate([s[2] for s in spikes])
            base = (at - block_start) * self.n_muscles + self._unit_muscle[units]
            amp = self._amp_uv[units]
            group = self._bin_group[bins]
            summed: np.ndarray = np.zeros(total)
            for g in np.flatnonzero(np.bincount(group, minlength=len(self._groups))):
                first_bin, templates, offsets = self._groups[g]
                sel = group == g
                index = base[sel][:, None] + offsets[None, :]
                values = np.take(templates, bins[sel] - first_bin, axis=0)
                values *= amp[sel][:, None]
                summed += np.bincount(index.ravel(), weights=values.ravel(), minlength=total)
        else:
            summed = np.zeros(total)
        summed = summed.reshape(n_int + length, self.n_muscles)
        summed[:length] += self._tail
        self._tail = summed[n_int:].copy()
        return summed[:n_int]

    def _end_tick(self, tick_end: int) -> None:
        for m, (pool, sl) in enumerate(zip(self.pools, self._slices)):
            pool.update_fatigue(self._tick_counts[sl], self.tick_s)
        if self._mf_band is not None:
            self._mf_counts += self._tick_counts
            self._mf_ticks += 1
            if self._mf_ticks == self._mf_every_ticks:
                self._record_median_frequency(tick_end / self.internal_rate_hz, self._mf_band)
        self._tick_counts[:] = 0
        self._refresh_tick_state()

    # -- the model's own truth --------------------------------------------
    def channel_spectra(self, freqs_hz: np.ndarray, rates_hz: np.ndarray) -> np.ndarray:
        """One-sided PSD per channel (µV²/Hz) at ``freqs_hz`` for unit rates ``rates_hz`` (flat over all units)."""
        per_muscle = np.stack(
            [pool.power_spectrum(freqs_hz, rates_hz[sl]) for pool, sl in zip(self.pools, self._slices)]
        )
        noise_psd = 2.0 * self.noise_rms_uv**2 / self.rate_hz
        result: np.ndarray = (self.mixing**2) @ per_muscle + noise_psd
        return result

    def _record_median_frequency(self, t_end_s: float, mf_band: tuple[float, float]) -> None:
        window_s = self._mf_ticks * self.tick_s
        rates = self._mf_counts / window_s
        band = (mf_band[0], min(mf_band[1], 0.9 * self.rate_hz / 2))
        freqs = np.arange(1.0, self.rate_hz / 2, 1.0)
        psd = self.channel_spectra(freqs, rates)
        self._mf_t.append(t_end_s - window_s / 2)
        self._mf_values.append(np.array([median_frequency_hz(freqs, p, band) for p in psd]))
        self._mf_counts[:] = 0
        self._mf_ticks = 0

    def median_frequency_track(self) -> MedianFrequencyTrack:
        if self._mf_band is None:
            raise RuntimeError("construct with track_mf_band_hz=(low, high) to record the median frequency")
        band = (self._mf_band[0], min(self._mf_band[1], 0.9 * self.rate_hz / 2))
        values = np.array(self._mf_values).reshape(-1, self.n_muscles)
        return MedianFrequencyTrack(np.array(self._mf_t), values, band)

    @property
    def fatigue(self) -> np.ndarray:
        """Mean fatigue state per muscle (0 fresh – 1 exhausted), weighted equally over units."""
        return np.array([p.fatigue.mean() for p in self.pools])
