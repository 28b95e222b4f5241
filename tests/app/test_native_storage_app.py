"""A set on the emulated Myo, the real app end to end: its raw signal is stored as the armband's int8 counts.

The emulated Myo over the real bleak API, the production adapter and
decoder, the real worker, set runner and store on a real SQLite file. A spy
on the worker's queue (it calls straight through) keeps the blocks the live
chain was handed, in queue order, so the test knows exactly what the set
recorded.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from keys import press
from waiting import describe, pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.model import SampleBlock
from gymtui.signal.messages import BeginSet, EndSet
from gymtui.signal.worker import SignalWorker
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen

pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")


async def wait_until(pilot, predicate, timeout_s: float = 60.0) -> None:
    await pilot_wait_until(pilot, predicate, timeout_s, describe(predicate), poll_s=0.05)


async def test_an_emulated_myo_set_is_stored_as_int8_counts_packed_and_reads_back_as_the_live_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[object] = []
    submit, command = SignalWorker.submit, SignalWorker.command

    def spy_submit(self: SignalWorker, block: SampleBlock) -> None:
        queued.append(block)
        submit(self, block)

    def spy_command(self: SignalWorker, cmd: object) -> None:
        queued.append(cmd)
        command(self, cmd)

    monkeypatch.setattr(SignalWorker, "submit", spy_submit)
    monkeypatch.setattr(SignalWorker, "command", spy_command)

    path = tmp_path / "gym.db"
    store = Store(path)
    app = GymApp(store, AppConfig(demo=True, speed=4.0, athlete="Demo athlete", emulate="myo"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None)
        await press(pilot, "f")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen))
        await press(pilot, "7")
        await wait_until(pilot, lambda: not isinstance(app.screen, RatingScreen))
        await app.shutdown()

    [row] = store.db["sets"].rows
    assert (row["status"], row["activation_rating"]) == ("completed", 7)
    begin = next(i for i, item in enumerate(queued) if isinstance(item, BeginSet))
    end = next(i for i, item in enumerate(queued) if isinstance(item, EndSet))
    recorded = [item for item in queued[begin:end] if isinstance(item, SampleBlock)]
    assert recorded and all(b.native is not None and b.native.counts.shape[1] == 8 for b in recorded)
    # The last phase's end waits for the sensor's samples up to its instant (the set's end behind it):
    # the recording runs at least to where the set's end was queued, and on into the blocks that followed.
    queued_n = sum(b.samples_uv.shape[0] for b in recorded)
    after = [item for item in queued[begin:] if isinstance(item, SampleBlock)]

    signal, rate = store.signal_of(row["id"])
    assert rate == 200.0
    live = np.concatenate([b.samples_uv for b in after])[: signal.shape[0]]
    assert queued_n <= signal.shape[0] and signal.shape == live.shape
    assert np.array_equal(signal.view(np.uint32), live.view(np.uint32)), "the stored signal is what the live chain saw"

    with sqlite3.connect(path) as conn:
        kinds = conn.execute("SELECT DISTINCT dtype, codec, LENGTH(scale_uv) FROM signal_blocks").fetchall()
        stored_bytes, samples = conn.execute("SELECT SUM(LENGTH(data)), SUM(n_samples * n_channels) FROM signal_blocks").fetchone()
    assert kinds == [("<i1", "zlib", 8 * 8)]
    assert samples == live.size
    assert stored_bytes < 0.3 * samples * 4, f"{stored_bytes} bytes for {samples} samples: float32 would be {samples * 4}"
    store.close()
