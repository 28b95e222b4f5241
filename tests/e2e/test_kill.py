"""A SIGKILL in the middle of a set: nothing finished is lost and the set is offered next time."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import repo_paths
from app_process import phases_of
from waiting import pilot_wait_until, wait_until_async

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen

REPO_ROOT = repo_paths.REPO_ROOT

HEADLESS_SET = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from gymtui.app import AppConfig, GymApp
    from gymtui.store import Store
    from gymtui.ui.screens.home import HomeScreen

    async def main() -> None:
        app = GymApp(Store(Path(sys.argv[1])), AppConfig(demo=True, speed=4.0, athlete="Demo athlete"))
        async with app.run_test(size=(100, 30)) as pilot:
            deadline = time.monotonic() + 60
            while not (isinstance(app.screen, HomeScreen) and app.signal is not None):
                if time.monotonic() > deadline:
                    sys.exit("timed out waiting for the home screen and the demo sensor")
                await pilot.pause(0.05)
            await pilot.press("f")  # the Phase 4 finisher
            await asyncio.sleep(600)  # not a wait for anything: the process lives until the test kills it

    asyncio.run(main())
    """
)


@pytest.mark.timeout(300)  # a subprocess set, then the app again: its own waits add up past 120 s
async def test_sigkill_during_the_isometric_keeps_finished_phases_and_offers_the_set(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    proc = subprocess.Popen(  # noqa: ASYNC220 - the child is the app to be killed; the test polls it, never awaits it
        [sys.executable, "-c", HEADLESS_SET, str(db)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        def isometric_begun() -> bool:  # the eccentric is written when the isometric begins
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            return "eccentric" in phases_of(db)

        await wait_until_async(isometric_begun, 90, "the set to reach its isometric", poll_s=0.1, detail=lambda: phases_of(db))
        # Not a wait for anything: the kill is meant to land inside the hold, half a
        # second into it (the 15 s hold lasts 3.75 s of wall time at ×4).
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()

    store = Store(db)
    [row] = store.db["sets"].rows
    assert row["status"] == "in_progress"  # exactly as the dead process left it
    assert [p["kind"] for p in store.phases_of(row["id"])] == ["calibration", "activation", "eccentric"]
    signal_uv, rate = store.signal_of(row["id"])
    # Every finished phase's raw signal (calibration, activation, eccentric: 11 s at 1 kHz) is
    # stored; a CPU too starved to keep up drops samples, but then it marks them as lost.
    lost = store.conn.execute("SELECT sum(lost_samples) FROM signal_blocks WHERE set_id = ?", (row["id"],)).fetchone()[0]
    assert rate == 1000.0 and signal_uv.shape[0] + lost >= 11_000, (signal_uv.shape, lost)
    assert signal_uv.shape[0] >= 5_000, f"only {signal_uv.shape[0]} samples stored"
    store.close()

    app = GymApp(Store(db), AppConfig(demo=True, speed=4.0, athlete="Demo athlete"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None),
                               30, "the home screen with its list of interrupted sets")
        assert [s.id for s in app.screen.info.interrupted] == [row["id"]]
        await pilot.press("r")
        await pilot.press("7")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and not app.screen.info.interrupted,
                               30, "the rating to be saved and the home screen to drop the interrupted set")
        await app.shutdown()
    after = Store(db).get_set(row["id"])
    assert (after["status"], after["activation_rating"]) == ("interrupted", 7)
