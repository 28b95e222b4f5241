"""Everything the signal worker runs per source, behind one object.

The worker thread owns one :class:`LiveSignal` per EMG source. Per frame
(≈33 ms of samples, the 10 ms notifications drained from the queue and
concatenated) it calls :meth:`LiveSignal.process` and builds its
``ActivationFrame`` from the result; at phase changes it forwards the
engine's events; at the end of a set it hands the summary and reps to the
store. The parts (:class:`EmgPipeline`, :class:`QualityMonitor`,
:class:`StreamingOnsetDetector`, :class:`SetAnalyzer`) stay reachable as
attributes for anything this facade does not cover.

While a set runs it also coaches: :class:`~gymtui.signal.cues.CueMonitor`
(compensation and co-contraction cues) and
:class:`~gymtui.signal.live_reps.LiveRepJudge` (reps judged as they end,
time in zone) see every frame, and each result carries the whole
:class:`~gymtui.model.Biofeedback` state plus the cues new in that frame.
The reps stored at the end are the reps judged live.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gymtui.model import (
    Biofeedback,
    Calibration,
    FormCue,
    FormRules,
    MuscleRole,
    PhaseKind,
    RepVerdict,
)
from gymtui.phases import traits_of
from gymtui.signal.cues import CueMonitor
from gymtui.signal.live_reps import LiveRepJudge
from gymtui.signal.metrics import DEFAULT_METRICS, MetricsConfig, SetAnalyzer
from gymtui.signal.onsets import (
    DEFAULT_ONSET_RULE,
    OnsetEvent,
    OnsetRule,
    StreamingOnsetDetector,
    StreamingTkeoEnvelope,
)
from gymtui.signal.pipeline import EmgPipeline, PipelineConfig
from gymtui.signal.quality import (
    DEFAULT_QUALITY_THRESHOLDS,
    QualityMonitor,
    QualityThresholds,
)


@dataclass(frozen=True, slots=True)
class LiveResult:
    """One frame's answer, in plain tuples ready for an ``ActivationFrame``.

    ``envelope_uv`` and ``pct_mvc`` are each channel's newest value (None per
    channel while uncalibrated); ``quality`` the flags per channel;
    ``events`` the onsets/offsets confirmed during this frame; ``active``
    which channels are inside a burst now. ``envelope_block_uv`` is the
    whole frame's envelope ``(n, n_channels)`` for anyone plotting it.
    ``new_cues`` the form cues that fired during this frame and
    ``new_reps`` the reps that ended in it; ``feedback`` the set's whole
    coaching state (None outside a set).
    """

    t_end_s: float
    envelope_uv: tuple[float, ...]
    pct_mvc: tuple[float | None, ...]
    quality: tuple[tuple[str, ...], ...]
    events: tuple[OnsetEvent, ...]
    active: tuple[bool, ...]
    envelope_block_uv: np.ndarray
    new_cues: tuple[FormCue, ...] = ()
    feedback: Biofeedback | None = None
    new_reps: tuple[RepVerdict, ...] = ()


class LiveSignal:
    """Pipeline + quality + onsets + set metrics for one multichannel source.

    ``roles`` are the channels' ``ChannelInfo.role`` in channel order (they
    decide target / synergist / antagonist in the set metrics). ``rails`` is
    the raw signal's range where the device profile knows it (e.g. the
    Myo's int8 −128…127), for a sharper clipping flag. ``onsets_on``
    picks the onset detector's input: the envelope (default) or the
    Teager–Kaiser energy of the band-passed signal (sharper onsets).
    """

    def __init__(
        self,
        rate_hz: float,
        roles: Sequence[MuscleRole | str],
        config: PipelineConfig | None = None,
        *,
        names: Sequence[str] | None = None,
        rails: tuple[float, float] | None = None,
        onset_rule: OnsetRule = DEFAULT_ONSET_RULE,
        metrics: MetricsConfig = DEFAULT_METRICS,
        quality_thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS,
        onsets_on: str = "envelope",
    ) -> None:
        self.roles = [MuscleRole(r) for r in roles]
        self.names = list(names or [f"ch{i + 1}" for i in range(len(self.roles))])
        n = len(self.roles)
        self.pipeline = EmgPipeline(rate_hz, n, config)
        band = (self.pipeline.band.low_hz, float(self.pipeline.band.high_hz or rate_hz / 2))
        self.quality = QualityMonitor(
            n, rate_hz, mains_hz=self.pipeline.config.mains_hz, band_hz=band, rails=rails, thresholds=quality_thresholds
        )
        self._tkeo: StreamingTkeoEnvelope | None = None
        if onsets_on == "tkeo":
            self._tkeo = StreamingTkeoEnvelope(n, rate_hz)
            rule = replace(onset_rule, floor_ratio=max(onset_rule.floor_ratio, 3.0))
            lowpass_delay_s = 2**0.5 / (2 * np.pi * min(50.0, 0.45 * rate_hz))
            self.onsets = StreamingOnsetDetector(n, rate_hz, rule, delay_s=lowpass_delay_s + self._tkeo.delay_s)
        elif onsets_on == "envelope":
            self.onsets = StreamingOnsetDetector(n, rate_hz, onset_rule, delay_s=self.pipeline.group_delay_s)
        else:
            raise ValueError(f"onsets_on must be 'envelope' or 'tkeo', not {onsets_on!r}")
        self.metrics_config = metrics
        self.analyzer: SetAnalyzer | None = None
        self.cues: CueMonitor | None = None
        self.reps: LiveRepJudge | None = None
        self._set_t0_s: float | None = None
        self._zone_pct: tuple[float, float] | None = None
        self._zone_seen = False
        self._coach_step = max(1, round(0.05 * rate_hz))  # a cue's rep is known to within 50 ms
        self._phase_kind: str | None = None

    @property
    def rate_hz(self) -> float:
        return self.pipeline.rate_hz

    def set_calibration(self, calibration: Calibration | None) -> None:
        self.pipeline.set_calibration(calibration)

    # -- per frame ---------------------------------------------------------------
    def process(self, samples_uv: np.ndarray, t_end_s: float) -> LiveResult:
        """``samples_uv`` float32 ``(n, n_channels)`` (one frame), ``t_end_s`` the time of its last sample."""
        out = self.pipeline.process(samples_uv, t_end_s)
        envelope = out.envelope_uv
        quality = self.quality.update(samples_uv)
        events = self.onsets.update(envelope if self._tkeo is None else self._tkeo(out.filtered_uv))
        pct = self.pipeline.pct_mvc(envelope)
        new_cues: tuple[FormCue, ...] = ()
        new_reps: tuple[RepVerdict, ...] = ()
        feedback: Biofeedback | None = None
        if self.analyzer is not None:
            self.analyzer.update(pct, out.filtered_uv, t_end_s, quality)
            new_reps, new_cues = self._coach(pct, t_end_s, samples_uv.shape[0], quality)
            feedback = self.feedback()
        if envelope.shape[0]:
            last = envelope[-1]
            envelope_now = tuple(last.tolist())
            # A channel with no usable MVC (zero or missing) reads None, never NaN.
            pct_now = (
                tuple(None if math.isnan(v) else v for v in pct[-1].tolist()) if pct is not None else (None,) * len(envelope_now)
            )
        else:
            envelope_now = (0.0,) * self.pipeline.n_channels
            pct_now = (None,) * self.pipeline.n_channels
        return LiveResult(
            t_end_s,
            envelope_now,
            pct_now,
            quality,
            tuple(events),
            self.onsets.is_active,
            envelope,
            new_cues,
            feedback,
            new_reps,
        )

    def _coach(
        self, pct: np.ndarray | None, t_end_s: float, n: int, quality: tuple[tuple[str, ...], ...]
    ) -> tuple[tuple[RepVerdict, ...], tuple[FormCue, ...]]:
        """Reps first (so a cue knows the rep in progress), then cues."""
        if self.cues is None or self.reps is None:
            return (), ()
        if self._set_t0_s is None and n:
            self._set_t0_s = float(t_end_s - (n - 1) / self.rate_hz)
            self.cues.t0_s = self.reps.t0_s = self._set_t0_s
        traits = None if self._phase_kind is None else traits_of(self._phase_kind)
        work = traits is not None and traits.is_work and self._phase_kind != PhaseKind.CALIBRATION.value
        flagged = [bool(f) for f in quality]
        zone = self._zone_pct if work else None
        if pct is None or pct.shape[0] <= self._coach_step:
            reps = self.reps.update(pct, t_end_s, work, zone, flagged)
            cues = self.cues.update(pct, t_end_s, quality, self._phase_kind, rep=self.reps.current_rep)
            return tuple(reps), tuple(cues)
        # A backlog drained in one batch: coach it in short slices, so each cue knows its rep.
        reps, cues = [], []
        step = self._coach_step
        for a in range(0, pct.shape[0], step):
            part = pct[a : a + step]
            t_part = t_end_s - (pct.shape[0] - a - part.shape[0]) / self.rate_hz
            reps += self.reps.update(part, t_part, work, zone, flagged)
            cues += self.cues.update(part, t_part, quality, self._phase_kind, rep=self.reps.current_rep)
        return tuple(reps), tuple(cues)

    def feedback(self) -> Biofeedback | None:
        """The set's coaching state now, whole (None outside a set)."""
        if self.cues is None or self.reps is None:
            return None
        return Biofeedback(
            cue=self.cues.cue,
            marked=self.cues.marked,
            reps=tuple(self.reps.reps),
            zone_pct=self._zone_pct,
            zone_s=round(self.reps.zone_s, 3),
            cues_fired=self.cues.cues_fired,
        )

    # -- set and phases ------------------------------------------------------------
    def begin_set(self, form: FormRules | None = None) -> None:
        """A set starts: metrics, cues (``form``: the exercise's rules, None for the defaults) and live reps.

        The set's clock starts at its first frame, as the set metrics' does.
        """
        rules = form or FormRules()
        metrics = replace(self.metrics_config, perfect_max_antagonist_pct=rules.antagonist_max_pct)
        delay = self.pipeline.group_delay_s
        self.analyzer = SetAnalyzer(self.rate_hz, self.roles, metrics, delay_s=delay, channel_names=self.names)
        self.cues = CueMonitor(self.roles, self.names, rules, self.rate_hz)
        self.reps = LiveRepJudge(self.roles, self.rate_hz, metrics, delay_s=delay, antagonist_on_s=rules.dwell_s)
        self._set_t0_s = None
        self._zone_pct = None
        self._zone_seen = False

    def begin_phase(self, kind: PhaseKind | str, t_s: float, zone_pct: tuple[float, float] | None = None) -> None:
        """A phase starts. Rest phases teach the onset detector and quality monitor what quiet looks like.

        A phase still open is closed first (its metrics stay in ``analyzer.phases``).
        ``zone_pct`` is the phase's target band (%MVC of the target): time in it is counted.
        """
        kind = PhaseKind(kind)
        if self._phase_kind is not None:
            self.end_phase(t_s)
        self._phase_kind = kind.value
        self._zone_pct = zone_pct
        self._zone_seen = self._zone_seen or zone_pct is not None
        traits = traits_of(kind)
        if traits is not None and traits.is_rest:
            self.onsets.begin_rest()
            self.quality.begin_rest()
        elif traits is not None and traits.is_work:
            self.quality.begin_work()
        if self.analyzer is not None:
            self.analyzer.begin_phase(kind, t_s)

    def end_phase(self, t_s: float) -> dict[str, Any] | None:
        """The phase ends: its metrics (``peak_pct_mvc``, ``mean_pct_mvc`` and the rest for ``metrics``)."""
        traits = None if self._phase_kind is None else traits_of(self._phase_kind)
        if traits is not None and traits.is_rest:
            self.onsets.end_rest()
            self.quality.end_rest()
        else:
            self.quality.end_work()
        self._phase_kind = None
        self._zone_pct = None
        if self.analyzer is not None:
            try:
                return self.analyzer.end_phase(t_s)
            except RuntimeError:
                return None
        return None

    def finish_set(self, t_s: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(summary for ``Store.finish_set``, reps for ``Store.record_reps``); the analyzer is released.

        The reps are the ones judged live (a rep still open ends here), each
        with its ``reason`` and ``rise_ms``; the summary adds
        ``time_in_zone_s`` (None when no phase had a zone) and ``cue_count``.
        """
        if self.analyzer is None:
            raise RuntimeError("no set is running: call begin_set() first")
        if self._phase_kind is not None and t_s is not None:
            self.end_phase(t_s)
        summary, _after = self.analyzer.finish(t_s)
        reps: list[dict[str, Any]] = []
        if self.reps is not None:
            self.reps.flush()
            reps = list(self.reps.rep_rows)
            summary["perfect_reps"] = sum(r["perfect"] for r in reps)
            summary["time_in_zone_s"] = round(self.reps.zone_s, 2) if self._zone_seen else None
        summary["cue_count"] = self.cues.cues_fired if self.cues is not None else 0
        self.analyzer = None
        self.cues = None
        self.reps = None
        return summary, reps
