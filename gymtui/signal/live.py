"""Everything the signal worker runs per source, behind one object.

The worker thread owns one :class:`LiveSignal` per EMG source. Per frame
(≈33 ms of samples, the 10 ms notifications drained from the queue and
concatenated) it calls :meth:`LiveSignal.process` and builds its
``ActivationFrame`` from the result; at phase changes it forwards the
engine's events; at the end of a set it hands the summary and reps to the
store. The parts (:class:`EmgPipeline`, :class:`QualityMonitor`,
:class:`StreamingOnsetDetector`, :class:`SetAnalyzer`) stay reachable as
attributes for anything this facade does not cover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gymtui.model import Calibration, MuscleRole, PhaseKind
from gymtui.phases import traits_of
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
    """

    t_end_s: float
    envelope_uv: tuple[float, ...]
    pct_mvc: tuple[float | None, ...]
    quality: tuple[tuple[str, ...], ...]
    events: tuple[OnsetEvent, ...]
    active: tuple[bool, ...]
    envelope_block_uv: np.ndarray


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
        if self.analyzer is not None:
            self.analyzer.update(pct, out.filtered_uv, t_end_s, quality)
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
        return LiveResult(t_end_s, envelope_now, pct_now, quality, tuple(events), self.onsets.is_active, envelope)

    # -- set and phases ------------------------------------------------------------
    def begin_set(self) -> None:
        self.analyzer = SetAnalyzer(
            self.rate_hz, self.roles, self.metrics_config, delay_s=self.pipeline.group_delay_s, channel_names=self.names
        )

    def begin_phase(self, kind: PhaseKind | str, t_s: float) -> None:
        """A phase starts. Rest phases teach the onset detector and quality monitor what quiet looks like.

        A phase still open is closed first (its metrics stay in ``analyzer.phases``).
        """
        kind = PhaseKind(kind)
        if self._phase_kind is not None:
            self.end_phase(t_s)
        self._phase_kind = kind.value
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
        if self.analyzer is not None:
            try:
                return self.analyzer.end_phase(t_s)
            except RuntimeError:
                return None
        return None

    def finish_set(self, t_s: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(summary for ``Store.finish_set``, reps for ``Store.record_reps``); the analyzer is released."""
        if self.analyzer is None:
            raise RuntimeError("no set is running: call begin_set() first")
        if self._phase_kind is not None and t_s is not None:
            self.end_phase(t_s)
        summary, reps = self.analyzer.finish(t_s)
        self.analyzer = None
        return summary, reps
