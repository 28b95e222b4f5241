"""The signal benchmark's parts run and report sane figures (the targets themselves live in `gymtui bench`)."""

from __future__ import annotations

from gymtui.bench import BENCH_MODULES, live
from gymtui.bench import signal as bench


def test_signal_bench_is_registered() -> None:
    assert "gymtui.bench.signal" in BENCH_MODULES and "gymtui.bench.live" in BENCH_MODULES


def test_bench_parts_measure_something_real() -> None:
    rtf, frame_s = bench._pipeline_rtf(4, 1.0)
    assert rtf > 1.0 and 0 < frame_s < 0.033  # at least real time, on any machine
    assert bench._floor_rtf(4, 1.0) > 1.0
    p50, p99, frames, lost = live.worker_latency_ms(4, 1.0)
    assert frames > 10 and 0 < p50 <= p99 and lost == 0


def test_synthetic_emg_has_bursts_and_an_adc_offset() -> None:
    x = bench.synthetic_emg(2, 4.0)
    assert x.dtype.name == "float32" and x.shape == (8000, 2)
    assert abs(float(x.mean()) - 2048.0) < 5.0
    burst, rest = x[200:1800, 0].std(), x[2200:3800, 0].std()
    assert burst > 10 * rest
