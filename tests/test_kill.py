"""A SIGKILL in the middle of a set: nothing finished is lost and the set is offered next time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from app_process import phases_of

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen

REPO_ROOT = Path(__file__).resolve().parents[1]

HEADLESS_SET = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from gymtui.app import AppConfig, GymApp
    from gymtui.store import Store

    async def main() -> None:
        app = GymApp(Store(Path(sys.argv[1])), AppConfig(demo=True, speed=4.0, athlete="Demo athlete"))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.5)
            await pilot.press("f")  # the Phase 4 finisher
            await asyncio.sleep(600)  # until killed

    asyncio.run(main())
    """
)


async def test_sigkill_during_the_isometric_keeps_finished_phases_and_offers_the_set(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", HEADLESS_SET, str(db)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while "eccentric" not in phases_of(db):  # the eccentric is written when the isometric begins
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, f"the set never reached its isometric: {phases_of(db)}"
            time.sleep(0.1)
        time.sleep(0.5)  # well inside the 15 s hold (3.75 s of wall time at ×4)
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
    assert rate == 1000.0 and signal_uv.shape[0] >= 11_000  # every finished phase's raw signal
    store.close()

    app = GymApp(Store(db), AppConfig(demo=True, speed=4.0, athlete="Demo athlete"))
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 20
        while not (isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None)):
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        assert [s.id for s in app.screen.info.interrupted] == [row["id"]]
        await pilot.press("r")
        await pilot.press("7")
        await pilot.pause(0.3)
        await app.shutdown()
    after = Store(db).get_set(row["id"])
    assert (after["status"], after["activation_rating"]) == ("interrupted", 7)
