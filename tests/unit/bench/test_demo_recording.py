"""The UI benchmark's sensor: the demo athlete rendered ahead, as a file ``--replay`` reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gymtui.bench.ui import RECORDING_PATTERN_S, RECORDING_S, demo_recording
from gymtui.interop.readers import read_recording


def test_the_demo_recording_reads_back_as_eight_channels_that_rest_then_work(tmp_path: Path) -> None:
    recording = read_recording(demo_recording(tmp_path / "demo.edf", channels=8))
    samples_uv = recording.samples  # float64 (n, channels) µV: the file says its unit
    assert recording.rate_hz == 1000.0 and samples_uv.shape[1] == 8
    assert samples_uv.shape[0] >= RECORDING_S * recording.rate_hz  # outlasts the probe's set
    third = round(RECORDING_PATTERN_S / 3 * recording.rate_hz)
    rest_rms_uv = np.sqrt(np.mean(samples_uv[:third] ** 2, axis=0))
    hold_rms_uv = np.sqrt(np.mean(samples_uv[2 * third:3 * third] ** 2, axis=0))
    assert np.all(np.isfinite(samples_uv))
    assert hold_rms_uv.max() > 3 * rest_rms_uv.max()  # the bars move: a hold is not rest noise
