"""The streaming onset detector finds every channel's runs in one pass: the same events as channel by channel.

At 16 channels the per-channel loop (a numpy call per channel per frame)
cost more than the band-pass filter itself; the detector now finds all the
channels' runs above threshold at once. The reference below is the old loop,
kept here to hold the new one to it on a real recording: the same events,
in the same order, with the same times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gymtui.signal.onsets import OnsetEvent, RestBaseline, StreamingOnsetDetector, _runs
from gymtui.signal.pipeline import EmgPipeline
from gymtui.signal.recording import load_text

RATE_HZ = 4000.0
CHANNELS = 16


class ChannelByChannel(StreamingOnsetDetector):
    """The detector as it was: each channel's column scanned on its own."""

    def update(self, envelope: np.ndarray) -> list[OnsetEvent]:
        env = np.asarray(envelope, dtype=np.float64)
        n = env.shape[0]
        if n == 0:
            return []
        w = self._w
        if w > 1:
            joined = np.concatenate([self._tail, env], axis=0)
            csum = np.concatenate([np.zeros((1, self.n_channels)), np.cumsum(joined, axis=0)], axis=0)
            smoothed = (csum[w:] - csum[:-w]) / w
            self._tail = joined[-(w - 1):]
        else:
            smoothed = env
        base_n = self._n
        self._n += n
        if self._thresholds is None:
            return []
        above = smoothed > self._thresholds
        if base_n < self._settle_n:
            above[: self._settle_n - base_n] = False
        events: list[OnsetEvent] = []
        for ch in range(self.n_channels):
            col = above[:, ch]
            state = self._states[ch]
            if not state.active and not col.any():
                continue
            starts, ends = _runs(col)
            runs = list(zip((starts + base_n).tolist(), (ends + base_n).tolist(), strict=True))
            self._advance_channel(ch, state, runs, events)
        return events


def test_all_channels_at_once_finds_the_events_channel_by_channel_did(shared_data: Path) -> None:
    path = shared_data / "physionet_emgdb_healthy_4khz.txt"
    if not path.is_file():
        pytest.skip(f"{path.name} is not in {shared_data}")
    raw = load_text(path, RATE_HZ).samples[:, 0]
    # Sixteen channels of the same muscle at different gains and delays: bursts start and end at different frames.
    x = np.stack([np.roll(raw, 411 * ch) * (0.5 + ch / 8) for ch in range(CHANNELS)], axis=1)
    envelope = EmgPipeline(RATE_HZ, CHANNELS).process(x.astype(np.float32)).envelope_uv
    rest = envelope[: round(RATE_HZ)]
    baseline = RestBaseline(rest.mean(axis=0), rest.std(axis=0))
    new, old = StreamingOnsetDetector(CHANNELS, RATE_HZ), ChannelByChannel(CHANNELS, RATE_HZ)
    new.set_baseline(baseline)
    old.set_baseline(baseline)
    frame_n = round(RATE_HZ / 30)
    got: list[OnsetEvent] = []
    want: list[OnsetEvent] = []
    for start in range(0, envelope.shape[0], frame_n):
        block = envelope[start : start + frame_n]
        got += new.update(block)
        want += old.update(block)
        assert new.is_active == old.is_active
    assert {(e.channel, e.kind) for e in want} == {(ch, kind) for ch in range(CHANNELS) for kind in ("onset", "offset")}
    assert got == want
