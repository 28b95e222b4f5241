"""Live reps: found as they end, judged with the first reason, the same reps the set metrics count."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gymtui.model import MuscleRole, PhaseKind
from gymtui.signal.live_reps import LiveRepJudge
from gymtui.signal.metrics import SetAnalyzer

RATE_HZ = 200.0
ROLES = [MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST]


def rep_train(reps: list[tuple[float, float, float, float]], rest_s: float = 1.0) -> np.ndarray:
    """%MVC ``(n, 3)``: per rep (target peak, synergist peak, antagonist level, duration s), raised-cosine bursts."""
    parts = [np.zeros((round(rest_s * RATE_HZ), 3))]
    for tar, syn, ant, dur in reps:
        n = round(dur * RATE_HZ)
        shape = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
        parts.append(np.c_[tar * shape, syn * shape, np.full(n, ant)])
        parts.append(np.zeros((round(rest_s * RATE_HZ), 3)))
    return np.concatenate(parts) + 1.0  # a 1 % MVC rest floor


def run(judge: LiveRepJudge, x: np.ndarray, sizes: list[int] | None = None, zone: tuple[float, float] | None = None) -> list:
    out, start, k = [], 0, 0
    while start < x.shape[0]:
        size = sizes[k % len(sizes)] if sizes else 7
        block = x[start : start + size]
        start += block.shape[0]
        k += 1
        out += judge.update(block, (start - 1) / RATE_HZ, True, zone)
    return out + judge.flush()


def test_each_rep_is_judged_as_it_ends_with_the_first_reason() -> None:
    x = rep_train([(60, 20, 0, 1.5), (60, 70, 0, 1.5), (30, 10, 0, 1.5), (60, 20, 50, 1.5), (60, 80, 50, 1.5)])
    judge = LiveRepJudge(ROLES, RATE_HZ)
    verdicts = run(judge, x)
    assert [(v.number, v.perfect, v.reason) for v in verdicts] == [
        (1, True, ""),
        (2, False, "target not prime mover"),
        (3, False, "below 40 % MVC"),
        (4, False, "antagonist on"),
        (5, False, "target not prime mover"),  # the first reason wins
    ]
    # Rep 1 runs from 1.0 s to 2.5 s; its part above 30 % of 60 % MVC is the middle ~2/3.
    assert 1.1 < verdicts[0].start_s < 1.4 and 2.1 < verdicts[0].end_s < 2.4
    assert judge.rep_rows[1]["reason"] == "target not prime mover" and judge.rep_rows[0]["perfect"] == 1


def test_a_rep_is_announced_within_the_merge_gap_of_its_end() -> None:
    x = rep_train([(60, 20, 0, 1.5)], rest_s=1.0)
    judge = LiveRepJudge(ROLES, RATE_HZ)
    announced_at = None
    for start in range(0, x.shape[0], 5):
        got = judge.update(x[start : start + 5], (start + 4) / RATE_HZ, True)
        if got and announced_at is None:
            announced_at = (start + 4) / RATE_HZ
            end_s = got[0].end_s
    assert announced_at is not None
    assert 0.2 <= announced_at - end_s <= 0.3  # the 0.25 s merge gap, one 25 ms frame of slack


def test_live_reps_are_the_reps_the_set_metrics_count() -> None:
    # The first rep is the set's peak, so the live threshold (peak so far) equals the after-set one.
    x = rep_train([(80, 20, 0, 1.2), (70, 20, 0, 1.5), (75, 60, 0, 1.0), (60, 20, 0, 0.8)])
    judge = LiveRepJudge(ROLES, RATE_HZ)
    live = run(judge, x)
    analyzer = SetAnalyzer(RATE_HZ, ROLES)
    analyzer.begin_phase(PhaseKind.REPS, 0.0)
    for start in range(0, x.shape[0], 7):
        block = x[start : start + 7]
        analyzer.update(block, None, (start + block.shape[0] - 1) / RATE_HZ)
    _, after = analyzer.finish(x.shape[0] / RATE_HZ)
    assert len(live) == len(after) == 4
    for v, r in zip(live, after):
        assert abs(v.start_s - r["start_s"]) <= 0.011 and abs(v.end_s - r["end_s"]) <= 0.011
        assert v.perfect == bool(r["perfect"])
        assert abs((v.peak_pct_mvc or 0) - r["peak_pct_mvc"]) < 1.0


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=90), min_size=1, max_size=12))
def test_verdicts_do_not_depend_on_frame_sizes(sizes: list[int]) -> None:
    x = rep_train([(60, 20, 0, 1.5), (60, 70, 0, 1.5), (30, 10, 0, 1.0), (60, 20, 50, 0.9)], rest_s=0.6)
    whole = run(LiveRepJudge(ROLES, RATE_HZ), x, [x.shape[0]])
    assert run(LiveRepJudge(ROLES, RATE_HZ), x, sizes) == whole


def test_short_blips_and_gaps_follow_the_rep_rules() -> None:
    x = np.ones((round(6 * RATE_HZ), 3))
    x[200:260, 0] = 60  # 0.3 s: a rep
    x[260:290, 0] = 5  # a 0.15 s dip: merged into it
    x[290:400, 0] = 60
    x[700:740, 0] = 60  # 0.2 s blip: too short
    verdicts = run(LiveRepJudge(ROLES, RATE_HZ), x)
    assert [(v.start_s, v.end_s) for v in verdicts] == [(1.0, 2.0)]


def test_rise_time_is_onset_to_ninety_percent_of_the_peak() -> None:
    x = np.ones((round(4 * RATE_HZ), 3))
    ramp_n = round(0.2 * RATE_HZ)  # 200 ms linear rise from 1 to 61 % MVC
    x[200 : 200 + ramp_n, 0] = np.linspace(1, 61, ramp_n)
    x[200 + ramp_n : 500, 0] = 61
    verdicts = run(LiveRepJudge(ROLES, RATE_HZ), x)
    assert len(verdicts) == 1
    # onset: last sample at ≤ 6.1 % (10 % of 61), 90 %: first at ≥ 54.9 % → about 160 ms apart
    assert verdicts[0].rise_ms is not None and 150 <= verdicts[0].rise_ms <= 175


def test_rep_times_are_moved_back_by_the_pipeline_delay() -> None:
    x = rep_train([(60, 20, 0, 1.5)])
    plain = run(LiveRepJudge(ROLES, RATE_HZ), x)
    delayed = run(LiveRepJudge(ROLES, RATE_HZ, delay_s=0.05, t0_s=0.5), x)
    assert abs(delayed[0].start_s - (plain[0].start_s - 0.55)) < 1e-6
    assert delayed[0].rise_ms == plain[0].rise_ms


def test_time_in_zone_counts_the_samples_inside_the_band() -> None:
    x = np.ones((round(3 * RATE_HZ), 3))
    x[200:400, 0] = 70  # 1.0 s in a 60–80 band
    x[400:500, 0] = 90  # 0.5 s above it
    judge = LiveRepJudge(ROLES, RATE_HZ)
    run(judge, x, zone=(60.0, 80.0))
    assert abs(judge.zone_s - 1.0) < 1e-6


def test_nothing_counts_outside_work() -> None:
    x = rep_train([(60, 20, 0, 1.5)])
    judge = LiveRepJudge(ROLES, RATE_HZ)
    for start in range(0, x.shape[0], 10):
        assert judge.update(x[start : start + 10], (start + 9) / RATE_HZ, False, (50.0, 70.0)) == []
    assert judge.flush() == [] and judge.zone_s == 0.0
