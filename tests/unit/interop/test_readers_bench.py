"""The readers benchmark is registered and reports both readers on the same file."""

from __future__ import annotations

import pytest

from gymtui.bench import BENCH_MODULES
from gymtui.bench import readers as bench


def test_readers_bench_is_registered() -> None:
    assert "gymtui.bench.readers" in BENCH_MODULES


def test_readers_bench_times_the_row_loop_and_numpy_and_every_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "QUICK_SECONDS", 1.0)
    report: dict = {}
    bench.run(report, quick=True)
    assert report["readers_file"].startswith("1 s x 16 ch x 2000 Hz")
    assert report["readers_row_loop_s"] > 0 and report["readers_numpy_s"] > 0
    assert report["readers_speedup"] == pytest.approx(report["readers_row_loop_s"] / report["readers_numpy_s"], rel=0.05)
    assert set(report["readers_mb_per_s"]) == {"text", "openbci-gui", "gymtui-simulate", "trigno-csv"}
    assert all(v > 0 for v in report["readers_mb_per_s"].values())
