"""``gymtui bench --only storage``: stored bytes per second per source, before and after, and the packing's cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gymtui.bench import BENCH_MODULES

REPO_ROOT = Path(__file__).resolve().parents[3]

EXPECTED = {
    # source: (bytes per second as float32, stored type, the packed share of float32 it must beat)
    "myo_8ch_200hz_int8": (8 * 200 * 4, "<i1", 0.3),
    "ganglion_4ch_200hz_24bit": (4 * 200 * 4, "<i4", 0.8),
    "adc16_4ch_1khz": (4 * 1000 * 4, "<i2", 0.45),
    "demo_float32_4ch_1khz": (4 * 1000 * 4, "<f4", 1.0),
    "float32_16ch_2khz": (16 * 2000 * 4, "<f4", 1.0),
}


def test_the_storage_bench_measures_each_source_before_and_after_in_one_run() -> None:
    assert "gymtui.bench.storage" in BENCH_MODULES
    done = subprocess.run(
        [sys.executable, "-m", "gymtui", "bench", "--only", "storage", "--quick", "--json"],
        check=False, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env={**os.environ},
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for source, (float32_bytes, dtype, share) in EXPECTED.items():
        figures = report[f"storage_{source}"]
        assert figures["before_B_per_s"] == float32_bytes, source
        assert figures["dtype"] == dtype, source
        assert 0 < figures["after_B_per_s"] < share * float32_bytes, (source, figures)
        assert abs(figures["ratio"] - figures["after_B_per_s"] / figures["before_B_per_s"]) < 0.002, source
        assert figures["encode_us"] > 0 and figures["decode_us"] > 0, source
    per_hour = report["storage_file_mb_per_hour_4ch_1khz"]
    # 4 ch × 1 kHz × 4 B × 3600 s = 57.6 MB of float32 an hour, plus SQLite's pages and rows.
    assert 57.6 <= per_hour["before"] < 70
    assert per_hour["after_int16"] < 0.5 * per_hour["before"]
    assert per_hour["after_float32"] < per_hour["before"]
    assert "1 s blocks" in report["storage_bench_notes"]
