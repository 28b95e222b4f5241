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

COACH_BATCH_S = 0.2
"""The live coaching judges the envelope in batches this long (see ``LiveSignal._coach``)."""


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
        self._coach_step = max(1, round(rate_hz / metrics.store_rate_hz))  # coach at the set metrics' rate
        self._coach_skip = 0
        self._coach_batch = max(1, round(COACH_BATCH_S * metrics.store_rate_hz))
        self._coach_buf: list[np.ndarray] = []
        self._coach_buf_n = 0
        self._coach_t_last = 0.0
        self._coach_flags: tuple[tuple[str, ...], ...] = ((),) * len(self.roles)
        self._coach_last_quality: tuple[tuple[str, ...], ...] | None = None
        self._pending_reps: list[RepVerdict] = []
        self._pending_cues: list[FormCue] = []
        self._feedback: Biofeedback | None = None  # rebuilt when the coaching state changes, not per frame
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
            feedback = self._feedback
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
        """Keep the envelope at the set metrics' rate and coach it in batches.

        The kept samples are every k-th (``store_rate_hz``, 100 Hz, the phase
        carried across frames: the samples the set metrics keep); an envelope
        smoothed over 100 ms has nothing faster to say. They are judged once
        ``coach_batch_s`` of them has gathered (and at every phase change and
        the set's end), so the coaching's per-call cost is paid ten times a
        second however often frames come: a cue shows at most that much later.
        """
        if self.cues is None or self.reps is None:
            return (), ()
        if self._set_t0_s is None and n:
            self._set_t0_s = float(t_end_s - (n - 1) / self.rate_hz)
            self.cues.t0_s = self.reps.t0_s = self._set_t0_s
        if pct is None or n == 0:
            return (), ()
        step = self._coach_step
        first = self._coach_skip
        self._coach_skip = (self._coach_skip - n) % step
        if first >= n:
            return (), ()
        kept = pct[first::step]
        self._coach_t_last = float(t_end_s - (n - 1 - (first + (kept.shape[0] - 1) * step)) / self.rate_hz)
        self._coach_buf.append(kept)
        self._coach_buf_n += kept.shape[0]
        if quality is not self._coach_last_quality:  # the monitor's flags change twice a second at most
            self._coach_last_quality = quality
            if any(quality):
                self._coach_flags = tuple(
                    tuple(sorted({*old, *new})) for old, new in zip(self._coach_flags, quality, strict=False)
                )
        if self._coach_buf_n >= self._coach_batch:
            self._flush_coach()
        if not self._pending_reps and not self._pending_cues:
            return (), ()
        reps, cues = tuple(self._pending_reps), tuple(self._pending_cues)
        self._pending_reps, self._pending_cues = [], []
        return reps, cues

    def take_new_cues(self) -> tuple[FormCue, ...]:
        """Cues fired since the last frame's result (at a set's end: those of its last samples)."""
        cues = tuple(self._pending_cues)
        self._pending_cues = []
        return cues

    def _flush_coach(self) -> None:
        """Judge the gathered samples under the current phase; reps first, so each cue knows its rep.

        Results wait in the pending lists for the next frame's result (or :meth:`take_new_cues`).
        """
        if self.cues is None or self.reps is None or not self._coach_buf:
            return
        block = self._coach_buf[0] if len(self._coach_buf) == 1 else np.concatenate(self._coach_buf)
        quality = self._coach_flags
        self._coach_buf, self._coach_buf_n = [], 0
        self._coach_flags = ((),) * self.pipeline.n_channels
        self._coach_last_quality = None  # re-union the flags standing now into the next batch
        traits = None if self._phase_kind is None else traits_of(self._phase_kind)
        work = traits is not None and traits.is_work and self._phase_kind != PhaseKind.CALIBRATION.value
        flagged = [bool(f) for f in quality]
        zone = self._zone_pct if work else None
        self._pending_reps += self.reps.update(block, self._coach_t_last, work, zone, flagged)
        self._pending_cues += self.cues.update(block, self._coach_t_last, quality, self._phase_kind, rep=self.reps.rep_at)
        self._feedback = self.feedback()

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
    def begin_set(self, form: FormRules | None = None, *, coach: bool = True) -> None:
        """A set starts: metrics, cues (``form``: the exercise's rules, None for the defaults) and live reps.

        The set's clock starts at its first frame, as the set metrics' does.
        ``coach=False`` runs the set metrics alone (no cues, no live reps: the
        reps come from the metrics' own segmentation), e.g. to time the coaching's cost.
        """
        rules = form or FormRules()
        metrics = replace(self.metrics_config, perfect_max_antagonist_pct=rules.antagonist_max_pct)
        delay = self.pipeline.group_delay_s
        self.analyzer = SetAnalyzer(self.rate_hz, self.roles, metrics, delay_s=delay, channel_names=self.names)
        coach_hz = self.rate_hz / self._coach_step
        self.cues = CueMonitor(self.roles, self.names, rules, coach_hz)
        self.reps = LiveRepJudge(self.roles, coach_hz, metrics, delay_s=delay, antagonist_on_s=rules.dwell_s)
        if not coach:
            self.cues = self.reps = None
        self._coach_skip = 0
        self._coach_buf, self._coach_buf_n = [], 0
        self._coach_flags = ((),) * len(self.roles)
        self._pending_reps, self._pending_cues = [], []
        self._set_t0_s = None
        self._zone_pct = None
        self._zone_seen = False
        self._feedback = self.feedback()

    def begin_phase(self, kind: PhaseKind | str, t_s: float, zone_pct: tuple[float, float] | None = None) -> None:
        """A phase starts. Rest phases teach the onset detector and quality monitor what quiet looks like.

        A phase still open is closed first (its metrics stay in ``analyzer.phases``).
        ``zone_pct`` is the phase's target band (%MVC of the target): time in it is counted.
        """
        kind = PhaseKind(kind)
        if self._phase_kind is not None:
            self.end_phase(t_s)
        self._flush_coach()  # what came before the phase is judged under the phase it came in
        self._phase_kind = kind.value
        self._zone_pct = zone_pct
        self._zone_seen = self._zone_seen or zone_pct is not None
        self._feedback = self.feedback()
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
        self._flush_coach()
        traits = None if self._phase_kind is None else traits_of(self._phase_kind)
        if traits is not None and traits.is_rest:
            self.onsets.end_rest()
            self.quality.end_rest()
        else:
            self.quality.end_work()
        self._phase_kind = None
        self._zone_pct = None
        self._feedback = self.feedback()
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
        summary, reps = self.analyzer.finish(t_s)
        summary["time_in_zone_s"] = None
        self._flush_coach()
        if self.reps is not None:
            self.reps.flush()
            reps = list(self.reps.rep_rows)
            summary["perfect_reps"] = sum(r["perfect"] for r in reps)
            summary["time_in_zone_s"] = round(self.reps.zone_s, 2) if self._zone_seen else None
        summary["cue_count"] = self.cues.cues_fired if self.cues is not None else 0
        self.analyzer = None
        self.cues = None
        self.reps = None
        self._feedback = None
        return summary, reps
