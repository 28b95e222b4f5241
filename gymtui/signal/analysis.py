"""A whole recording through the live pipeline: onsets, envelopes, spectra, quality.

What ``gymtui analyze`` prints. The recording is streamed through the same
:class:`~gymtui.signal.pipeline.EmgPipeline` the worker runs, in 33 ms
frames, so what the command says is what the app would have shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gymtui.signal.onsets import (
    DEFAULT_ONSET_RULE,
    OnsetRule,
    detect_bursts,
    tkeo_envelope,
)
from gymtui.signal.pipeline import EmgPipeline, PipelineConfig
from gymtui.signal.quality import assess_quality
from gymtui.signal.spectrum import (
    fit_slope,
    median_frequency,
    median_frequency_series,
    spectral_ok,
)

FRAME_S = 0.033
MIN_SLOPE_BURST_S = 2.5
EDGE_TRIM_S = 0.25
MF_WINDOW_S = 0.5


def stream_envelope(
    samples: np.ndarray, rate_hz: float, config: PipelineConfig | None = None, frame_s: float = FRAME_S
) -> tuple[EmgPipeline, np.ndarray, np.ndarray]:
    """Run a recording through a fresh pipeline frame by frame: (pipeline, envelope, filtered), both ``(n, ch)``."""
    pipeline = EmgPipeline(rate_hz, samples.shape[1], config)
    step = max(1, round(frame_s * rate_hz))
    envelope = np.empty(samples.shape, dtype=np.float64)
    filtered = np.empty(samples.shape, dtype=np.float64)
    for start in range(0, samples.shape[0], step):
        out = pipeline.process(samples[start : start + step], (start + step) / rate_hz)
        envelope[start : start + step] = out.envelope_uv
        filtered[start : start + step] = out.filtered_uv
    return pipeline, envelope, filtered


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def analyze_recording(
    samples: np.ndarray,
    rate_hz: float,
    names: tuple[str, ...],
    *,
    config: PipelineConfig | None = None,
    rule: OnsetRule = DEFAULT_ONSET_RULE,
    onset_method: str = "envelope",
    include_ci: bool = False,
) -> tuple[dict[str, Any], np.ndarray, EmgPipeline]:
    """The JSON report of the issue, the envelope ``(n, ch)`` and the pipeline used.

    Onsets/offsets are on the recording's clock (envelope delay removed).
    Median frequency per burst: Welch over 0.5 s windows inside the burst,
    start and end read off the fitted line (fitted after trimming 0.25 s at
    each end) for bursts of 2.5 s or more; for bursts of 1–2.5 s the first
    and last half second's median frequency and no slope; n/a (None) below
    500 Hz sampling or for shorter bursts. ``include_ci`` adds each slope's
    95 % confidence interval (``mf_slope_ci_hz_per_s``) beyond the fixed
    JSON shape, for the text report.
    """
    x = np.asarray(samples, dtype=np.float64)
    pipeline, envelope, filtered = stream_envelope(x, rate_hz, config)
    delay_s = pipeline.group_delay_s
    if onset_method == "tkeo":
        # TKEO's energy is spikier at rest than an RMS envelope: a higher floor keeps noise out.
        energy = tkeo_envelope(filtered, rate_hz)
        tkeo_rule = OnsetRule(rule.k, rule.window_s, rule.min_duration_s, rule.merge_gap_s, max(rule.floor_ratio, 3.0), rule.settle_s)
        lowpass_delay_s = 2 ** 0.5 / (2 * np.pi * min(50.0, 0.45 * rate_hz))
        bursts = detect_bursts(energy, rate_hz, rule=tkeo_rule, delay_s=lowpass_delay_s)
    elif onset_method == "envelope":
        bursts = detect_bursts(envelope, rate_hz, rule=rule, delay_s=delay_s)
    else:
        raise ValueError(f"unknown onset method {onset_method!r}; choose 'envelope' or 'tkeo'")
    band = (pipeline.band.low_hz, float(pipeline.band.high_hz or rate_hz / 2))
    flags = assess_quality(x, rate_hz, mains_hz=pipeline.config.mains_hz, band_hz=band)
    settle = min(int(rule.settle_s * rate_hz), max(0, x.shape[0] - 1))
    channels = []
    for ch, name in enumerate(names):
        env = envelope[settle:, ch]
        burst_rows = []
        for b in bursts[ch]:
            row: dict[str, Any] = {"start_s": _r(b.start_s), "end_s": _r(b.end_s)}
            row.update({"mf_start_hz": None, "mf_end_hz": None, "mf_slope_hz_per_s": None})
            # Fatigue is read on the plateau of a sustained burst: the rise and
            # fall of a dynamic rep move the median frequency by themselves.
            if spectral_ok(rate_hz) and b.duration_s >= MIN_SLOPE_BURST_S:
                a, z = int((b.start_s + EDGE_TRIM_S) * rate_hz), int((b.end_s - EDGE_TRIM_S) * rate_hz)
                times, mfs = median_frequency_series(filtered[a:z, ch], rate_hz, t0_s=b.start_s + EDGE_TRIM_S)
                slope = fit_slope(times, mfs)
                if slope is not None:
                    row.update(
                        mf_start_hz=_r(slope.mf_start_hz, 1),
                        mf_end_hz=_r(slope.mf_end_hz, 1),
                        mf_slope_hz_per_s=_r(slope.hz_per_s, 3),
                    )
                    if include_ci:
                        row["mf_slope_ci_hz_per_s"] = [_r(slope.ci_low, 3), _r(slope.ci_high, 3)]
            elif spectral_ok(rate_hz) and b.duration_s >= 2 * MF_WINDOW_S:
                # Too short for a slope: the first and last half second, as they are.
                a, z = int(b.start_s * rate_hz), int(b.end_s * rate_hz)
                w = int(MF_WINDOW_S * rate_hz)
                row.update(
                    mf_start_hz=_r(median_frequency(filtered[a : a + w, ch], rate_hz), 1),
                    mf_end_hz=_r(median_frequency(filtered[z - w : z, ch], rate_hz), 1),
                )
            burst_rows.append(row)
        channels.append(
            {
                "name": name,
                "onsets_s": [_r(b.start_s) for b in bursts[ch]],
                "offsets_s": [_r(b.end_s) for b in bursts[ch]],
                "peak_envelope_uv": _r(env.max() if env.size else None, 2),
                "mean_envelope_uv": _r(env.mean() if env.size else None, 2),
                "bursts": burst_rows,
                "flags": list(flags[ch]),
            }
        )
    return {"rate_hz": rate_hz, "channels": channels}, envelope, pipeline
