"""A process killed with the cuff up: the next start says so loudly and counts the occlusion.

SIGKILL, a bus error or a power cut cannot be caught, so nothing deflates or
logs at that instant (the cuff's own watchdog releases it). The next start
finds the inflation left open in ``cuff_events``, tells the athlete to check
the limb, and closes it at the restart (bounded by what was possible), so
the session's occlusion cap does not under-count.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import pytest
from test_cuff_ways_out import parse_probe_file, probed_terminal

from gymtui.app import AppConfig, GymApp
from gymtui.bfr.ledger import CUFF_WATCHDOG_S, left_inflated_until
from gymtui.bfr.rules import BfrLimits
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen


def close_at(inflated: dt.datetime, now: dt.datetime) -> dt.datetime:
    return dt.datetime.fromtimestamp(left_inflated_until(inflated.timestamp(), now.timestamp())).astimezone()


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def test_an_inflation_left_open_is_counted_to_the_restart_not_to_its_last_event(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    now = dt.datetime.now().astimezone()
    inflated = now - dt.timedelta(minutes=5)
    store.log_cuff_event("inflate", target_mmhg=90, at=iso(inflated))
    store.log_cuff_event("hold", target_mmhg=90, at=iso(inflated + dt.timedelta(seconds=3)))
    since = iso(now - dt.timedelta(hours=2))
    assert store.cuff_occlusion_s(since=since) == pytest.approx(3.0)  # what the old count said

    assert store.close_left_inflation(close_at) == dt.datetime.fromisoformat(iso(inflated))
    rows = store.conn.execute("SELECT kind, reason FROM cuff_events ORDER BY at, id").fetchall()
    assert [k for k, _ in rows] == ["inflate", "hold", "deflate"]
    assert rows[-1][1].startswith("restart: the app ended with the cuff up")
    assert store.cuff_occlusion_s(since=since) == pytest.approx(300.0, abs=2.0)
    assert store.close_left_inflation(close_at) is None  # closed once
    store.close()


def test_an_old_inflation_is_counted_no_longer_than_the_cap_and_the_watchdog_allow(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    inflated = dt.datetime.now().astimezone() - dt.timedelta(hours=3)
    store.log_cuff_event("inflate", target_mmhg=90, at=iso(inflated))
    store.close_left_inflation(close_at)
    closed = store.conn.execute("SELECT at FROM cuff_events WHERE kind = 'deflate'").fetchone()[0]
    counted_s = (dt.datetime.fromisoformat(closed) - inflated).total_seconds()
    assert counted_s == pytest.approx(BfrLimits().exercise_cap_s + CUFF_WATCHDOG_S, abs=0.01)
    store.close()


def test_a_cuff_deflated_in_order_leaves_nothing_to_close(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    now = dt.datetime.now().astimezone()
    store.log_cuff_event("inflate", target_mmhg=90, at=iso(now - dt.timedelta(minutes=2)))
    store.log_cuff_event("deflate", target_mmhg=0, at=iso(now - dt.timedelta(minutes=1)))
    store.log_cuff_event("notice", reason="cuff disconnected", at=iso(now - dt.timedelta(seconds=50)))
    assert store.close_left_inflation(close_at) is None
    assert store.conn.execute("SELECT count(*) FROM cuff_events").fetchone()[0] == 3
    store.close()


@pytest.mark.slow
async def test_after_a_sigkill_with_the_cuff_up_the_next_start_says_check_the_limb(tmp_path: Path) -> None:
    db, probe = tmp_path / "gym.db", tmp_path / "probe.tsv"
    probe.touch()
    killed = probed_terminal(
        ["--demo", "--channels", "1", "--cuff", "arm", "--lop", "180", "--db", str(db)], probe
    )
    try:
        killed.wait_for(lambda: b"Phase 4 finisher" in killed.output, 60, "the home screen")
        killed.wait_for(lambda: any(n.reason == "cuff connected: start deflated" for n in parse_probe_file(probe)),
                        60, "the cuff")
        killed.press(b"B")  # the quick BFR set: the cuff goes up
        killed.wait_for(lambda: any(n.kind == "reading" and n.value >= 85 for n in parse_probe_file(probe)),
                        60, "the cuff at its target")

        def hold_logged() -> bool:
            check = Store(db)
            try:
                return bool(check.conn.execute("SELECT 1 FROM cuff_events WHERE kind = 'hold'").fetchone())
            finally:
                check.close()

        killed.wait_for(hold_logged, 30, "the hold to be logged")
        inflated_wall = time.time()
        os.kill(killed.proc.pid, signal.SIGKILL)
        assert killed.wait_exit(10) == -signal.SIGKILL
    finally:
        killed.close()

    store = Store(db)
    app = GymApp(store, AppConfig(athlete="Demo athlete"))
    notes: list[tuple[str, str]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 30
        while app.cuff_left_up_at is None or not isinstance(app.screen, HomeScreen):
            assert time.monotonic() < deadline, "the start never checked the cuff log"
            await pilot.pause(0.05)
        notes = [(n.title, str(n.message)) for n in app._notifications]
    restarted = dt.datetime.now().astimezone()
    assert any(
        title == "CHECK THE CUFF" and f"left inflated at {app.cuff_left_up_at:%H:%M} — check the limb" in message
        for title, message in notes
    ), notes
    occluded_s = store.cuff_occlusion_s(since=iso(restarted - dt.timedelta(hours=2)))
    # Counted from the inflation to the restart (at least until the kill), not only to the "hold".
    assert occluded_s >= restarted.timestamp() - inflated_wall - 1.0
    store.close()
