"""``gymtui bench`` reports the simulator's real-time factor (the figure itself is judged by the bench, not here)."""

from __future__ import annotations

from gymtui.bench import BENCH_MODULES
from gymtui.bench import sim as sim_bench


def test_bench_reports_simulator_rtf_for_4_channels_at_2_khz():
    assert "gymtui.bench.sim" in BENCH_MODULES
    report: dict = {}
    sim_bench.run(report, quick=True)
    assert report["simulator_rtf_4ch_2khz"] > 0
    assert report["simulator_rtf_4ch_1khz_10ms_blocks"] > 0
    assert "2 kHz" in report["simulator_bench_notes"]
