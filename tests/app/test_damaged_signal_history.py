"""A set whose stored raw signal is damaged still opens in history: the detail names the damaged block."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from program_log import log_session
from textual.app import App
from textual.widgets import DataTable, Label, OptionList
from waiting import pilot_wait_until

from gymtui.model import NativeCounts
from gymtui.services.history import load_history, load_set_detail, sets_of_session
from gymtui.store import Store
from gymtui.ui.screens.history import HistoryScreen, SetDetailScreen


async def test_the_detail_of_a_set_with_a_damaged_block_says_which_and_shows_its_phases(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete()
    session = log_session(store, athlete, dt.date(2026, 1, 5), [{"exercise": "Squat", "load_kg": 60.0, "reps": 5, "activation_rating": 7}])
    set_id = store.session_sets(session)[0]["set_id"]
    store.record_phase(set_id, 0, "reps", "Work", planned_s=None, started_at="2026-01-05T10:00:00+00:00", duration_s=30.0,
                       ended_by="athlete", peak_pct_mvc=60.0)
    store.update_set(set_id, {"channels": [{"muscle": "Quads", "role": "target"}]})
    native = NativeCounts(np.arange(2000, dtype=np.int32).reshape(1000, 2) % 50, np.ones(2, np.float32), (-128, 127))
    for seq in range(3):
        store.append_signal(set_id, seq, float(seq), 1000.0, native.to_uv(), 0, native)
    with store.conn:
        store.conn.execute("UPDATE signal_blocks SET data = X'DEADBEEF' WHERE set_id = ? AND seq = 2", (set_id,))
    data = load_history(store, athlete, today=dt.date(2026, 1, 6))
    screen = HistoryScreen(data, lambda sid: sets_of_session(store, sid), lambda sid: load_set_detail(store, sid))

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = Host()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        screen.query_one("#session-table", DataTable).focus()
        await pilot.press("enter")
        listing = screen.query_one("#session-sets", OptionList)
        await pilot_wait_until(pilot, lambda: listing.option_count == 1, 10, "the session's set")
        await pilot.press("enter")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetDetailScreen), 10, "the set's detail")
        detail = app.screen
        label = str(detail.query_one("#envelope-label", Label).render())
        assert label.startswith(f"set {set_id}, block 2: stored raw signal cannot be read (compressed data is damaged")
        assert str(detail.query_one("#phase-table", DataTable).get_row_at(0)[1]) == "Work"
    store.close()
