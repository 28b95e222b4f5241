"""The signal pipeline against the simulator's ground truth (no recording can give it)."""

from __future__ import annotations

import numpy as np
import pytest

from gymtui.signal.analysis import analyze_recording
from gymtui.sim.scenarios import run_scenario


def test_the_pipelines_fatigue_slope_over_a_simulated_hold_is_within_20_percent_of_the_truth() -> None:
    run = run_scenario("isometric-hold", rate_hz=1000.0, seed=0, track_mf=True)
    hold = run.window("hold")
    t_hold = run.t_s[hold]
    truth = run.mf_track.slope_hz_per_s(t_hold[0], t_hold[-1])[0]
    names = tuple(f"m{i}" for i in range(run.uv.shape[1]))
    report, _, _ = analyze_recording(run.uv.astype(np.float32), run.rate_hz, names)
    target = report["channels"][0]
    longest = max(target["bursts"], key=lambda b: b["end_s"] - b["start_s"])
    assert longest["end_s"] - longest["start_s"] > 0.8 * (t_hold[-1] - t_hold[0])  # one burst: the whole hold
    assert truth < 0 and longest["mf_slope_hz_per_s"] < 0
    assert longest["mf_slope_hz_per_s"] == pytest.approx(truth, rel=0.2)
    assert longest["mf_end_hz"] < longest["mf_start_hz"]
