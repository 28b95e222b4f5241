"""A motor-unit pool after Fuglevand, Winter & Patla (1993), with fatigue.

Everything the surface signal and the force need about one muscle's pool,
as flat numpy arrays over its units (index 0 = smallest, first recruited):
recruitment thresholds, rate coding, twitch forces and contraction times,
conduction velocities and action-potential sizes, and a fatigue state per
unit that lowers conduction velocity and force capacity.

Sources for the defaults (see :class:`PoolParams`):

- Fuglevand AJ, Winter DA, Patla AE (1993) Models of recruitment and rate
  coding organization in motor-unit pools. J Neurophysiol 70:2470–2488:
  n = 120, recruitment range RR = 30 (exponential thresholds), minimum rate
  8 Hz, gain 1 Hz per excitation unit, peak rate 35 Hz falling by 10 Hz to
  the last unit, ISI CV 0.2, twitch range RP = 100, longest contraction time
  90 ms over a range of 3, the twitch-force sigmoid above T/ISI = 0.4.
- Conduction velocity ≈ 4 m/s, range ≈ 3–5.5 m/s, larger units faster
  (Andreassen & Arendt-Nielsen 1987, J Physiol 391:561–571).
- Fatigue lowers conduction velocity and compresses the spectrum
  (Merletti, Knaflitz & De Luca 1990, J Appl Physiol 69:1810–1820); more
  fatigable units are the larger ones, and recovery takes minutes
  (Potvin & Fuglevand 2017, J Neurophysiol 118:159–176).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HR1_PEAK = float(np.sqrt(0.5) * np.exp(-0.5))
"""Peak of x·exp(−x²) (at x = 1/√2): dividing by it makes a template's peak its amplitude."""

_FORCE_SIGMOID_KNEE = 0.4  # T/ISI above which twitches fuse (Fuglevand 1993)
_SIGMOID_AT_KNEE = 1.0 - np.exp(-2.0 * _FORCE_SIGMOID_KNEE**3)


@dataclass(frozen=True, slots=True)
class PoolParams:
    """One muscle's motor-unit pool. Defaults: Fuglevand et al. 1993 unless noted."""

    n_units: int = 120
    recruitment_range: float = 30.0  # RR: last threshold / first threshold
    min_rate_hz: float = 8.0  # MFR: discharge rate at recruitment
    rate_gain_hz: float = 1.0  # g_e: Hz per excitation unit above threshold
    peak_rate_first_hz: float = 35.0  # PFR_1
    peak_rate_drop_hz: float = 10.0  # PFRD: the last unit peaks at 25 Hz
    isi_cv: float = 0.2  # interspike-interval coefficient of variation
    # Synchrony: the share of discharges pulled onto the pool's common synaptic input (0 = independent
    # units; short-term synchrony is stronger in trained lifters: Milner-Brown, Stein & Lee 1975,
    # Electroencephalogr Clin Neurophysiol 38:245; Semmler 2002, Exerc Sport Sci Rev 30:8).
    synchrony: float = 0.0
    common_input_rate_hz: float = 25.0  # mean rate of the common input's events
    refractory_s: float = 0.005  # no ISI shorter than this
    twitch_range: float = 100.0  # RP: largest / smallest twitch force
    contraction_time_longest_s: float = 0.090  # T_L
    contraction_time_range: float = 3.0  # RT
    # Surface action potentials (first-order Hermite–Rodriguez).
    cv_smallest_m_s: float = 3.0  # conduction velocity of unit 1
    cv_largest_m_s: float = 5.5  # ... and of the largest unit
    cv_ref_m_s: float = 4.0
    muap_width_at_ref_s: float = 0.0028  # λ at cv_ref: one MUAP's median frequency ≈ 0.245/λ ≈ 90 Hz
    # MUAP amplitude ∝ twitch force ** this; 1 gives the near-linear RMS–force relation
    # reported for the biceps (Lawrence & De Luca 1983, J Appl Physiol 54:1653–1659).
    muap_size_exponent: float = 1.0
    muap_reversed_share: float = 0.1  # units seen with the opposite polarity (fibres across the innervation zone)
    muap_depth_spread: float = 0.3  # lognormal σ of per-unit attenuation (depth under the electrode)
    mvc_rms_uv: float = 400.0  # surface RMS at full fresh excitation, before crosstalk and noise
    # Fatigue (per unit, first order; larger units more fatigable). The rate is tuned, not quoted:
    # a 60 s hold at 50 % MVC loses ~25 % of its median frequency (−0.3 to −0.45 Hz/s) while
    # drive and RMS rise to hold the force, the size of change reported for such holds
    # (Merletti et al. 1990); a 15 s hold at 70 % drive falls by ~0.7–1.5 Hz/s.
    fatigue_rate_per_s: float = 0.016
    fatigability_range: float = 3.0  # the largest unit fatigues this many times faster than the smallest
    recovery_tau_s: float = 90.0
    cv_drop_at_exhaustion: float = 0.45  # fractional CV loss at fatigue state 1
    force_drop_at_exhaustion: float = 0.5  # fractional twitch-force loss at fatigue state 1

    @property
    def max_excitation(self) -> float:
        """Excitation at which the last-recruited unit reaches its peak rate (drive = 1)."""
        last_peak = self.peak_rate_first_hz - self.peak_rate_drop_hz
        return self.recruitment_range + (last_peak - self.min_rate_hz) / self.rate_gain_hz


def force_gain(stimulus: np.ndarray) -> np.ndarray:
    """Mean force of a twitch train vs normalised rate r = T·rate (Fuglevand 1993).

    Linear (unfused twitches) up to r = 0.4, then the sigmoid
    (1 − exp(−2r³))/r·r saturating as the twitches fuse; continuous at 0.4.
    """
    r = np.asarray(stimulus, dtype=np.float64)
    fused = _FORCE_SIGMOID_KNEE * (1.0 - np.exp(-2.0 * r**3)) / _SIGMOID_AT_KNEE
    return np.where(r <= _FORCE_SIGMOID_KNEE, r, fused)


class MotorUnitPool:
    """The static organisation of one pool plus its fatigue state.

    Arrays have shape ``(n_units,)``; excitation is in Fuglevand's units
    (threshold of unit 1 ≈ 1, drive 1 = :attr:`PoolParams.max_excitation`).
    """

    def __init__(self, params: PoolParams | None = None, *, seed: int = 0) -> None:
        p = self.params = params or PoolParams()
        rng = np.random.default_rng(seed)
        n = p.n_units
        i = np.arange(1, n + 1, dtype=np.float64)
        self.threshold_exc = np.exp(np.log(p.recruitment_range) * i / n)
        self.threshold_drive = self.threshold_exc / p.max_excitation
        self.peak_rate_hz = p.peak_rate_first_hz - p.peak_rate_drop_hz * self.threshold_exc / self.threshold_exc[-1]
        self.twitch_force = np.exp(np.log(p.twitch_range) * i / n)
        rt_exponent = np.log(p.contraction_time_range) / np.log(p.twitch_range)
        self.contraction_time_s = p.contraction_time_longest_s * (1.0 / self.twitch_force) ** rt_exponent
        size = (i - 1) / (n - 1)
        self.cv0_m_s = p.cv_smallest_m_s + (p.cv_largest_m_s - p.cv_smallest_m_s) * size
        depth = np.exp(p.muap_depth_spread * rng.standard_normal(n))
        # Most MUAPs share a polarity under an electrode pair placed between innervation zone and tendon.
        sign = np.where(rng.random(n) < p.muap_reversed_share, -1.0, 1.0)
        self.fatigability = p.fatigability_range**size
        self.fatigue = np.zeros(n)
        # Amplitudes before scaling, then scaled so full fresh excitation gives mvc_rms_uv.
        shape_amp = self.twitch_force**p.muap_size_exponent * depth
        rms_unscaled = np.sqrt(np.sum(self.peak_rate_hz * muap_energy(shape_amp, self.muap_width_s())))
        self.muap_amp_uv = sign * shape_amp * (p.mvc_rms_uv / rms_unscaled)
        # Mean force per unit at each rate on a drive grid: reused for every force evaluation.
        self.drive_grid = np.linspace(0.0, 1.0, 129)  # uniform: the renderer indexes it directly
        rates = self.rates_hz(self.drive_grid[:, None])  # (G, n)
        self._unit_force_grid = self.twitch_force * force_gain(self.contraction_time_s * rates)
        fmax_unit = self.twitch_force * force_gain(self.contraction_time_s * self.peak_rate_hz)
        self._max_force = float(fmax_unit.sum())
        self.fresh_force_grid = self.force_grid()

    @property
    def n_units(self) -> int:
        return self.params.n_units

    def rates_hz(self, drive: np.ndarray) -> np.ndarray:
        """Mean discharge rate of every unit at ``drive`` (broadcast against the unit axis; 0 below threshold)."""
        p = self.params
        exc = np.asarray(drive) * p.max_excitation
        rate = np.minimum(p.rate_gain_hz * (exc - self.threshold_exc) + p.min_rate_hz, self.peak_rate_hz)
        return np.where(exc >= self.threshold_exc, rate, 0.0)

    def active_units(self, drive: np.ndarray) -> np.ndarray:
        """How many units are recruited at ``drive`` (thresholds are sorted, so recruitment is ordered)."""
        return np.searchsorted(self.threshold_drive, np.asarray(drive), side="right")

    # -- conduction velocity and action potentials ------------------------
    def cv_m_s(self) -> np.ndarray:
        return self.cv0_m_s * (1.0 - self.params.cv_drop_at_exhaustion * self.fatigue)

    def muap_width_s(self) -> np.ndarray:
        """Hermite–Rodriguez width λ per unit: duration scales inversely with conduction velocity."""
        p = self.params
        return p.muap_width_at_ref_s * p.cv_ref_m_s / self.cv_m_s()

    # -- force --------------------------------------------------------------
    def force_capacity(self) -> np.ndarray:
        return 1.0 - self.params.force_drop_at_exhaustion * self.fatigue

    def force_grid(self) -> np.ndarray:
        """Pool force (0–1 of the fresh maximum) on :attr:`drive_grid`, with the current fatigue."""
        result: np.ndarray = self._unit_force_grid @ self.force_capacity() / self._max_force
        return result

    def force(self, drive: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.interp(drive, self.drive_grid, self.force_grid())
        return result

    def fresh_drive_for_force(self, force: np.ndarray | float) -> np.ndarray | np.float64:
        """The drive a fresh pool needs for ``force`` (0–1 of max): how an athlete aims at a load.

        An array for an array of forces, a scalar for one force.
        """
        return np.interp(force, self.fresh_force_grid, self.drive_grid)

    def compensation_map(self) -> np.ndarray:
        """Drive needed now, on :attr:`drive_grid`, for the force each fresh drive would give.

        This is the force controller: an athlete holding a load keeps the
        force and the nervous system raises excitation as units fatigue,
        recruiting higher-threshold units and firing all faster. Beyond the
        fatigued pool's maximum the map saturates at drive 1 (the force then
        drops: failure).
        """
        fatigued = self.force_grid()
        result: np.ndarray = np.interp(self.fresh_force_grid, fatigued, self.drive_grid)
        return result

    # -- fatigue ------------------------------------------------------------
    def update_fatigue(self, spike_counts: np.ndarray, dt_s: float) -> None:
        """Advance each unit's fatigue state by ``dt_s`` given its spikes in that time.

        dF/dt = k · φ_i · (rate_i / peak_i)² · (1 − F) − F / τ_rec: load grows
        with relative discharge rate (squared: high rates are metabolically
        costly and occlude blood flow), φ_i grows with unit size, and the
        state relaxes back with τ_rec (minutes).
        """
        p = self.params
        load = np.minimum(spike_counts / (dt_s * self.peak_rate_hz), 1.5)
        gain = p.fatigue_rate_per_s * self.fatigability * load**2 * (1.0 - self.fatigue)
        self.fatigue += dt_s * (gain - self.fatigue / p.recovery_tau_s)
        np.clip(self.fatigue, 0.0, 1.0, out=self.fatigue)

    # -- the model's own spectrum ------------------------------------------
    def power_spectrum(self, freqs_hz: np.ndarray, rates_hz: np.ndarray) -> np.ndarray:
        """One-sided PSD (µV²/Hz) of this pool's surface signal at ``freqs_hz``.

        Sum over units of the renewal-process spectrum of its train (Gaussian
        ISIs, mean 1/rate, CV ``isi_cv``) times its MUAP's |FT|²; units fire
        independently (exact for ``synchrony`` 0; synchrony adds coherent
        low-frequency power this sum leaves out). ``rates_hz`` is each unit's
        mean rate (0 = silent).
        """
        on = rates_hz > 0
        if not on.any():
            return np.zeros_like(freqs_hz, dtype=np.float64)
        f = np.asarray(freqs_hz, dtype=np.float64)[None, :]
        rate = rates_hz[on][:, None]
        lam = self.muap_width_s()[on][:, None]
        amp = self.muap_amp_uv[on][:, None]
        mean_isi = 1.0 / rate
        sd_isi = self.params.isi_cv * mean_isi
        phi = np.exp(-2j * np.pi * f * mean_isi - 2.0 * (np.pi * f * sd_isi) ** 2)
        train = rate * np.real((1.0 + phi) / (1.0 - phi))
        muap_sq = (amp / HR1_PEAK) ** 2 * np.pi**3 * lam**4 * f**2 * np.exp(-2.0 * (np.pi * lam * f) ** 2)
        result: np.ndarray = 2.0 * np.sum(train * muap_sq, axis=0)
        return result


def muap_energy(amp_uv: np.ndarray, width_s: np.ndarray) -> np.ndarray:
    """∫ φ(t)² dt (µV²·s) of a first-order Hermite–Rodriguez MUAP with peak ``amp_uv``, width λ."""
    result: np.ndarray = (np.asarray(amp_uv) / HR1_PEAK) ** 2 * np.asarray(width_s) * np.sqrt(np.pi / 2.0) / 4.0
    return result


def median_frequency_hz(freqs_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Frequency splitting the PSD's power inside ``band_hz`` into two equal halves."""
    inside = (freqs_hz >= band_hz[0]) & (freqs_hz <= band_hz[1])
    f, p = freqs_hz[inside], psd[inside]
    cum = np.cumsum(p)
    if cum[-1] <= 0:
        return float("nan")
    return float(np.interp(0.5 * cum[-1], cum, f))
