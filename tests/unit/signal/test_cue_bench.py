"""``gymtui bench`` measures the cue logic's overhead on the live chain by comparing like with like.

The figure itself (target ≤ 5 %) is judged by the bench on the machine it
runs on, not here: these tests check that the chains differ only by the
coaching they are said to differ by, and that the measurement reports figures.
"""

from __future__ import annotations

import math

import pytest

from gymtui.bench import signal as bench
from gymtui.signal.cues import CueMonitor
from gymtui.signal.live_reps import LiveRepJudge


def _frames(n_channels: int, seconds: float):
    signal = bench.synthetic_emg(n_channels, seconds)
    step = bench.FRAME_N
    return [signal[i : i + step] for i in range(0, signal.shape[0] - step + 1, step)]


def _run(process, frames, t0_s: float = 1.0) -> list:
    out, t = [], t0_s
    for frame in frames:
        t += frame.shape[0] / bench.RATE_HZ
        out.append(process(frame, t))
    return out


def test_only_the_chain_with_cues_runs_the_cue_logic_and_only_the_bare_chain_skips_live_reps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    cue_update, rep_update = CueMonitor.update, LiveRepJudge.update

    def counting_cues(self: CueMonitor, *args: object, **kwargs: object) -> list:
        calls.append("cues")
        return cue_update(self, *args, **kwargs)  # type: ignore[arg-type]

    def counting_reps(self: LiveRepJudge, *args: object, **kwargs: object) -> list:
        calls.append("reps")
        return rep_update(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CueMonitor, "update", counting_cues)
    monkeypatch.setattr(LiveRepJudge, "update", counting_reps)
    chains = bench._coaching_chains(4)
    frames = _frames(4, 2.0)
    bare = _run(chains["bare"], frames)
    assert calls == [] and all(r.feedback is None for r in bare)
    _run(chains["no_cues"], frames)
    # The coaching judges in batches (every 0.2 s of signal), not every frame.
    batches = len(calls)
    assert calls == ["reps"] * batches and 0 < batches < len(frames)
    calls.clear()
    with_cues = _run(chains["cues"], frames)
    assert sorted(calls) == ["cues"] * batches + ["reps"] * batches
    assert all(r.feedback is not None for r in with_cues)


def test_the_chains_give_the_same_signal_answer() -> None:
    chains = bench._coaching_chains(4)
    frames = _frames(4, 1.0)
    answers = [_run(process, frames) for process in chains.values()]
    for a, b, c in zip(*answers):
        assert a.envelope_uv == b.envelope_uv == c.envelope_uv and a.pct_mvc == b.pct_mvc == c.pct_mvc


def test_cue_overhead_is_a_median_of_rotating_slices() -> None:
    cue_pct, coaching_pct, frame_us = bench._cue_overhead(4, 3)
    assert math.isfinite(cue_pct) and math.isfinite(coaching_pct)
    assert frame_us > 0
