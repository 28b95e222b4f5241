"""Nothing the athlete needs is clipped, at the sizes gym terminals have (80×24, 100×32).

Each test runs the real app (:mod:`frozen_app`) at a terminal size and reads
what is drawn: the text of the screen's rows and the regions of its widgets
against the screen's own region.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from frozen_app import at_home, frozen_app, in_cuff_setup, in_the_set
from screen_text import screen_rows, screen_text
from textual import events
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast
from waiting import pilot_wait_until

from gymtui.ui.widgets.activation_bar import ActivationBar
from gymtui.ui.widgets.countdown import READABLE_ROWS, READABLE_SCALE, BigCountdown
from gymtui.ui.widgets.cuff_panel import CuffPanel
from gymtui.ui.widgets.one_line import ELLIPSIS

GYM_SIZES = pytest.mark.parametrize("size", [(80, 24), (100, 32)], ids=["80x24", "100x32"])


def on_screen(widget: Widget) -> bool:
    """The widget is drawn whole inside the terminal (not pushed below the fold or off the side)."""
    screen = Region(0, 0, *widget.app.size)
    region = widget.region
    return region.height > 0 and region.width > 0 and screen.contains_region(region)


async def wheel_down(pilot: Pilot[int], widget: Widget) -> None:
    """One turn of the mouse wheel over ``widget``, as the terminal reports it."""
    await pilot._post_mouse_events([events.MouseScrollDown], widget=widget, offset=(2, 1))


@GYM_SIZES
async def test_first_launch_home_shows_the_start_button_its_label_help_and_quit(tmp_path: Path, size: tuple[int, int]) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=size) as pilot:
        await at_home(pilot)
        await pilot_wait_until(pilot, lambda: screen_rows(app)[-1].rstrip().endswith("q Quit")
                               and "? Help" in screen_rows(app)[-1], 10, "the footer drawn",
                               detail=lambda: screen_rows(app)[-1])
        assert app.screen.query_one("#home-disclaimer").display, "first launch: the disclaimer is up"
        start = app.screen.query_one("#start")
        assert on_screen(start), f"Start button at {start.region} on a {size} screen"
        rows = screen_rows(app)
        label_row = rows[start.region.y + 1]
        assert "Start set (Enter)" in label_row, rows
        assert rows[-1].rstrip().endswith("q Quit"), f"footer: {rows[-1]!r}"
        assert "? Help" in rows[-1], f"the way to every other key is on the footer: {rows[-1]!r}"
        keys = [key for key in app.screen.query(FooterKey) if key.display]
        quit_key = next(key for key in keys if key.action == "app.quit")
        for key in keys:
            assert key is quit_key or key.region.right <= quit_key.region.x, f"{key.description!r} cut: {rows[-1]!r}"
        assert "Athlete: Athlete" not in screen_text(app)
        assert "gymtui · Athlete (a: switch athlete)" in rows[0]


async def test_home_scrolls_by_wheel_and_keys_to_the_plan_below_the_fold(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await at_home(pilot)
        await pilot.pause(0.2)
        home = app.screen.query_one("#home", VerticalScroll)
        assert home.max_scroll_y > 0, "the first-launch home is taller than 80×24"
        plan_last_line = "Next: upper body (session 2 of 3 this week)"
        assert plan_last_line not in screen_text(app)
        for _ in range(30):
            await wheel_down(pilot, home)
        await pilot_wait_until(pilot, lambda: plan_last_line in screen_text(app), 5, "the plan's last line, wheeled into view")
        assert home.scroll_y > 0
        app.screen.query_one("#start").focus()  # the keys scroll whatever has focus
        await pilot.press("pageup", "pageup", "pageup")
        await pilot_wait_until(pilot, lambda: home.scroll_y == 0, 5, "back at the top by Page Up")
        await pilot.press("pagedown", "pagedown", "pagedown")
        await pilot_wait_until(pilot, lambda: plan_last_line in screen_text(app), 5, "the plan by Page Down")


async def test_set_with_cuff_at_80x24_keeps_a_two_metre_countdown_and_every_bar(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db", cuff=True, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await in_the_set(pilot)
        screen = app.screen
        await pilot_wait_until(pilot, lambda: len(screen.query(ActivationBar)) == 4 and screen.query_one(CuffPanel).view is not None,
                               15, "four bars and the cuff's view")
        await pilot.pause(0.2)
        countdown = screen.query_one(BigCountdown)
        assert countdown.region.height >= READABLE_ROWS, f"countdown {countdown.region}"
        assert countdown.scale >= READABLE_SCALE
        panel = screen.query_one(CuffPanel)
        assert panel.has_class("-compact")
        assert on_screen(panel)
        for bar in screen.query(ActivationBar):
            assert on_screen(bar), f"{bar.muscle} at {bar.region}"
        shown = screen_text(app)
        assert "mmHg" in shown and "CUFF · ARM · LOP 180" in shown
        big_rows = [row for row in screen_rows(app) if "████" in row]
        assert len(big_rows) >= READABLE_ROWS - 2, "the digits are drawn in blocks, not small glyphs"


async def test_a_notice_at_the_start_of_a_set_covers_no_bar_and_no_cuff(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db", cuff=True, demo=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await in_the_set(pilot)
        screen = app.screen
        await pilot_wait_until(pilot, lambda: len(screen.query(ActivationBar)) == 4, 15, "four bars")
        app.notify("MVC calibration stored", timeout=30)  # what the set flow says once the MVC is stored
        await pilot_wait_until(pilot, lambda: screen.query(Toast) and screen.query_one(Toast).region.height > 0, 5,
                               "the notice on screen")
        await pilot.pause(0.2)
        toast = screen.query_one(Toast)
        assert "MVC calibration stored" in screen_text(app)
        covered = [toast.region, toast.parent.region]  # type: ignore[union-attr]
        for part in [*screen.query(ActivationBar), screen.query_one(CuffPanel), screen.query_one(BigCountdown)]:
            for region in covered:
                assert not region.overlaps(part.region), f"notice {region} over {part} {part.region}"


async def test_set_title_too_long_for_80_columns_ends_in_an_ellipsis_after_a_whole_word(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await in_the_set(pilot)
        full = app.screen.query_one("#set-title").text  # type: ignore[attr-defined]
        shown = screen_rows(app)[0].strip()
        assert len(full) > 80 and shown.endswith(ELLIPSIS)
        kept = shown.removesuffix(ELLIPSIS)
        assert full.startswith(kept) and full[len(kept)] in " ·,", f"cut inside a word: {shown!r} of {full!r}"


async def test_the_chosen_limb_is_marked_by_its_glyph_not_only_by_colour(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db", cuff=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await in_cuff_setup(pilot)

        def marks() -> tuple[str, str]:
            rows = screen_rows(app)
            arm = next(row for row in rows if " Arm" in row)
            leg = next(row for row in rows if " Leg" in row)
            return arm, leg

        arm, leg = marks()
        assert "◉▌ Arm" in arm and "○▌ Leg" in leg, (arm, leg)
        await pilot.click("#limb-leg")
        await pilot_wait_until(pilot, lambda: "○▌ Arm" in marks()[0] and "◉▌ Leg" in marks()[1], 5,
                               "Leg marked chosen, Arm not", detail=marks)


@pytest.mark.parametrize(
    ("text", "width", "shown"),
    [
        ("Squeeze the glutes, not the hamstrings", 40, "Squeeze the glutes, not the hamstrings"),
        ("Squeeze the glutes, not the hamstrings", 30, "Squeeze the glutes, not the…"),
        ("set 1 of 3 · 6 reps · Squeeze", 22, "set 1 of 3 · 6 reps…"),
        ("Supercalifragilistic", 8, "Superca…"),
        ("anything", 0, ""),
    ],
)
def test_clip_words_drops_whole_words_and_says_so(text: str, width: int, shown: str) -> None:
    from gymtui.ui.widgets.one_line import clip_words

    assert clip_words(text, width) == shown
    assert len(clip_words(text, width)) <= max(width, 0)
