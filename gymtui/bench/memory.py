"""Memory per set: how much the whole process grows with every set the athlete does.

Key added to the report:

- ``rss_growth_mb_per_100_sets`` [RSS of the whole process, psutil]: the real app (headless Textual driver, the
  4-channel demo sensor, its clock at ×20) runs Phase 4 finisher sets back
  to back as an athlete would — start, hold, rate 7, skip the rest, back to
  the home screen. After a warm-up of a few sets (the first calibration,
  caches, screens built on first use), the process's resident memory
  (psutil, every thread, in MB) is read after each set, and the
  least-squares slope over the sets is given per 100 sets. A day at the
  rack is a few dozen sets; the target is ≤ 2 MB per 100.

``memory_bench_sets``, ``memory_bench_rss_mb`` (first and last reading) and
``memory_bench_lost_pct`` (demo samples the simulator could not render in
time at ×20 on this machine, so dropped as marked gaps) say what the slope
stands on. ``None`` without psutil (the ``bench`` extra).
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SPEED = 20.0
"""The demo clock's speed: a finisher set (32 s of lead-ins and phases) takes under 2 s of wall time."""

WARM_UP_SETS, QUICK_WARM_UP_SETS = 5, 3
SETS, QUICK_SETS = 100, 6

SET_TIMEOUT_S = 120.0
"""Wall seconds one set may take before the bench gives up (a set at ×20 takes about 2 s)."""


async def _until(pilot: Any, predicate: Callable[[], object], what: str, timeout_s: float = SET_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"memory bench: timed out after {timeout_s:g} s waiting for {what}")
        await pilot.pause(0.02)


async def run_quick_sets(app: Any, pilot: Any, n: int, *, rating: int = 7) -> None:
    """``n`` finisher sets through the app, each rated and back on the home screen."""
    from gymtui.model import PhaseKind
    from gymtui.session.engine import Stage
    from gymtui.ui.screens.home import HomeScreen
    from gymtui.ui.screens.rating import RatingScreen

    def resting_or_done() -> bool:
        engine = app.runner.engine
        return not engine.running or (engine.stage is Stage.PHASE and engine.current_phase.kind is PhaseKind.REST)

    for _ in range(n):
        await app.sets.begin(quick=True)
        await _until(pilot, lambda: isinstance(app.screen, RatingScreen) and app.rating_screen is not None,
                     "the rating screen")
        app.rating_screen.action_rate(rating)
        await _until(pilot, resting_or_done, "the rest after the rating")
        app.sets.advance()  # Space: skip the rest
        await _until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.set_screen is None,
                     "the home screen")


def _least_squares_slope(ys: list[float]) -> float:
    n = len(ys)
    mean_x, mean_y = (n - 1) / 2, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)) / sxx


async def measure(warm_up: int, sets: int, speed: float = SPEED) -> dict[str, Any] | None:
    """RSS after each of ``sets`` finisher sets, following ``warm_up`` sets."""
    try:
        import psutil
    except ImportError:
        return None
    from gymtui.app import AppConfig, GymApp
    from gymtui.store import Store
    from gymtui.ui.screens.home import HomeScreen

    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        app = GymApp(store, AppConfig(demo=True, speed=speed, athlete="Demo athlete"))
        rss_mb: list[float] = []
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.signal is not None,
                         "the home screen and the demo sensor", 60)
            await run_quick_sets(app, pilot, warm_up)
            started = time.perf_counter()
            for _ in range(sets):
                await run_quick_sets(app, pilot, 1)
                gc.collect()
                rss_mb.append(proc.memory_info().rss / 1e6)
            wall_s = time.perf_counter() - started
            await app.shutdown()
        got, lost = store.conn.execute(
            "SELECT coalesce(sum(n_samples), 0), coalesce(sum(lost_samples), 0) FROM signal_blocks"
        ).fetchone()
        store.close()
    return {
        "rss_growth_mb_per_100_sets": round(100.0 * _least_squares_slope(rss_mb), 2),
        "memory_bench_sets": sets,
        "memory_bench_rss_mb": [round(rss_mb[0], 1), round(rss_mb[-1], 1)],
        "memory_bench_lost_pct": round(100.0 * lost / max(1, got + lost), 1),
        "memory_bench_wall_s": round(wall_s, 1),
    }


def run(report: dict[str, Any], quick: bool) -> None:
    from gymtui.bench import smoke

    warm_up, sets = (QUICK_WARM_UP_SETS, QUICK_SETS) if quick else (WARM_UP_SETS, SETS)
    if smoke():
        warm_up, sets = 1, 2
    figures = asyncio.run(measure(warm_up, sets))
    report["rss_growth_mb_per_100_sets"] = None if figures is None else figures.pop("rss_growth_mb_per_100_sets")
    if figures is not None:
        report.update(figures)
    report["memory_bench_notes"] = (
        f"[RSS, whole process] psutil after each Phase 4 finisher set of the headless app, 4-channel demo sensor, "
        f"clock ×{SPEED:g}, rated and back home each time; {warm_up} warm-up sets, then the least-squares slope "
        f"over {sets} sets, per 100 sets (target ≤ 2 MB)"
    )
