"""BLE path figures in the emulated setup: notification rate and send → SampleBlock latency.

Runs an emulated Myo (bumble peripheral → LocalLink → bleak with the bumble
backend → BleEmgSource) in this process and times every notification from
the peripheral's send call to the decoded ``SampleBlock`` reaching the sink,
at real speed and at 10× (1000 notifications/s, the stress case).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np


async def _measure(device: str, speed: float, seconds: float) -> dict[str, Any]:
    from gymtui.emulation.stack import open_emulated_source

    source, handle = await open_emulated_source(device, speed=speed, seed=0)
    arrivals: list[float] = []
    samples = 0

    def on_block(block) -> None:
        nonlocal samples
        arrivals.append(time.perf_counter())
        samples += block.n_samples

    try:
        await source.connect(timeout_s=5)
        await source.start(on_block)
        await asyncio.sleep(0.3)  # settle
        first, t_first = len(arrivals), time.perf_counter()
        await asyncio.sleep(seconds)
        last, t_last = len(arrivals), time.perf_counter()
        sent = list(handle.sensor.send_times)
    finally:
        await source.disconnect()
        await handle.close()
    n = min(len(sent), last)
    latency_ms = (np.array(arrivals[:n]) - np.array(sent[:n])) * 1e3
    return {
        "speed": speed,
        "notifications_per_s": round((last - first) / (t_last - t_first), 1),
        "latency_median_ms": round(float(np.median(latency_ms)), 3),
        "latency_p99_ms": round(float(np.percentile(latency_ms, 99)), 3),
        "gaps": int(source.health.gaps),
    }


def run(report: dict[str, Any], quick: bool) -> None:
    try:
        import bumble  # noqa: F401
    except ImportError:
        report["ble_emulated"] = "skipped: bumble not installed (pip install 'gymtui[emulate]')"
        return
    seconds = 1.0 if quick else 3.0
    report["ble_emulated_myo_1x"] = asyncio.run(_measure("myo", 1.0, seconds))
    report["ble_emulated_myo_10x"] = asyncio.run(_measure("myo", 10.0, seconds))
