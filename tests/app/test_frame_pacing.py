"""Frames degrade, time does not: a screen too slow for 30 fps paints its bars evenly at a rate it holds.

The real demo app runs a quick set while every bar's paint is made slow for
real (its ``render_line`` sleeps, as a slow CPU would take that long). What
reaches the screen is timed where it is painted: a bar repaints only when
what it draws changes, so a frame's paint is the pass over the bars that
did, timed at its first. The frames shown must come evenly (no gap over 2.5 times the median: a lower
rate, not bursts and freezes), and the set screen's status says how slow it
is only below 10 fps.
"""

from __future__ import annotations

import itertools
import statistics
import time
from pathlib import Path

import pytest
from keys import press
from textual.strip import Strip
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.activation_bar import ActivationBar
from gymtui.ui.widgets.one_line import OneLine

SETTLE_PAINTS = 12
"""Paints while the pacer finds its rate, not judged."""


@pytest.mark.solo
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("bar_paint_s", "judged", "slow_line"),
    [
        (0.004, 30, False),  # four bars: ≈ 16 ms of sleep a frame, more than 30 fps allows: 15 or 10 fps, said nothing
        (0.025, 16, True),  # ≈ 100 ms a frame: below 10 fps, said once on the status line
    ],
)
async def test_a_slow_screen_paints_its_bars_evenly_and_says_so_only_below_10_fps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bar_paint_s: float, judged: int, slow_line: bool
) -> None:
    bar_paints: list[float] = []  # monotonic s: a bar's row 0 painted
    render_line = ActivationBar.render_line

    def slow_render_line(self: ActivationBar, y: int) -> Strip:
        if y == 0:
            time.sleep(bar_paint_s)  # the paint itself is slow: the event loop waits for it
            bar_paints.append(time.monotonic())
        return render_line(self, y)

    def painted() -> list[float]:
        """When each frame's paint began: the bars of one pass follow each other by a paint's time; a pause starts the next.

        A pace the screen holds leaves at least 30 % of each interval free
        (``HEADROOM``), so the pause between passes is longer than this.
        """
        starts: list[float] = []
        last_at = -1.0
        for at in bar_paints:
            if at - last_at > 1.5 * bar_paint_s + 0.003:
                starts.append(at)
            last_at = at
        return starts

    monkeypatch.setattr(ActivationBar, "render_line", slow_render_line)
    app = GymApp(Store(tmp_path / "gym.db"), AppConfig(demo=True, speed=1.0, athlete="Demo athlete"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 30, "the home screen")
        await press(pilot, "f")
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, SetScreen), 30, "the set screen")
        screen = app.screen
        start = len(painted())
        await pilot_wait_until(
            pilot, lambda: len(painted()) >= start + SETTLE_PAINTS + judged + 1, 60,
            f"{SETTLE_PAINTS + judged} paints of the bars",
        )
        status = str(screen.query_one("#set-status", OneLine).render())
        fps = app.sensor.pacer.fps
        await app.shutdown()
    times = painted()[start + SETTLE_PAINTS : start + SETTLE_PAINTS + judged + 1]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    median = statistics.median(gaps)
    assert max(gaps) <= 2.5 * median, f"gaps {[round(g * 1000) for g in gaps]} ms around a median of {median * 1000:.0f} ms"
    assert fps < 30, "the paint is slower than 30 fps allows, yet the rate stayed"
    assert 1 / median == pytest.approx(fps, rel=0.35), f"painted at {1 / median:.1f} fps, paced at {fps:.1f}"
    if slow_line:
        assert fps < 10 and f"screen slow: {fps:.0f} fps" in status, status
    else:
        assert fps >= 10 and "screen slow" not in status, status
