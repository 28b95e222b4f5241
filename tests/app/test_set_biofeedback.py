"""The set screen shows the live coaching: the cue banner, the marked bar, rep marks, the zone, the µV scale.

The real app (a new athlete's first Monday, real SQLite file) with a set
screen of four named muscles in front, fed frames built by hand the way the
signal worker builds them: whole state in each, ~30 a second, any of them
droppable. What is asserted is what the terminal shows (the compositor's
rows) and what the athlete hears (the bell).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from frozen_app import at_home, frozen_app
from screen_text import screen_rows, screen_text
from textual.pilot import Pilot
from waiting import pilot_wait_until

from gymtui.model import (
    ActivationFrame,
    Biofeedback,
    ChannelInfo,
    FormCue,
    FormCueKind,
    MuscleRole,
    PhaseKind,
    RepVerdict,
)
from gymtui.session.engine import EngineView, Stage
from gymtui.session.protocol import PhaseSpec, SetProtocol
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import UV_SCALE_LINE, SetScreen
from gymtui.ui.widgets.activation_bar import LABEL_CELLS, VALUE_CELLS, ActivationBar
from gymtui.ui.widgets.countdown import BigCountdown
from gymtui.ui.widgets.form_cue import FormCueBanner

CHANNELS = (
    ChannelInfo("lateral delt", MuscleRole.TARGET),
    ChannelInfo("upper trap", MuscleRole.SYNERGIST),
    ChannelInfo("front delt", MuscleRole.SYNERGIST),
    ChannelInfo("lat", MuscleRole.ANTAGONIST),
)
WORK = PhaseSpec(PhaseKind.REPS, "Reps", 40.0, "Lead with the elbow")
REST = PhaseSpec(PhaseKind.REST, "Rest", 90.0)
RAISE = SetProtocol("Lateral raise", "lateral_raise", (WORK, REST), muscles=tuple((c.muscle, c.role) for c in CHANNELS))
CONTRAST = SetProtocol(
    "Contrast", "lateral_raise", (PhaseSpec(PhaseKind.EXPLOSIVE, "Explosive", 20.0), REST),
    muscles=RAISE.muscles,
)
TRAP_CUE = FormCue(12.4, FormCueKind.COMPENSATION, 1, "upper trap", 0.38, "Lower the shoulder, lead with the elbow", rep=3)
SIZES = ((80, 24), (100, 32), (120, 40))


def frame(
    t_s: float = 10.0,
    pct: tuple[float | None, ...] = (55.0, 40.0, 20.0, 5.0),
    uv: tuple[float, ...] = (220.0, 160.0, 80.0, 20.0),
    feedback: Biofeedback | None = None,
) -> ActivationFrame:
    return ActivationFrame(t_s, uv, pct, feedback=feedback)


def rep(n: int, perfect: bool = True, reason: str = "", rise_ms: float | None = None) -> RepVerdict:
    return RepVerdict(n, 2.5 * n, 2.5 * n + 2.0, perfect, reason, 60.0, 0.55 if perfect else 0.4, rise_ms)


async def set_screen(pilot: Pilot[int], protocol: SetProtocol = RAISE, feedback: str = "live", intent: bool = False) -> SetScreen:
    """The set screen for four named muscles, in front of the real app, its countdown at the work phase."""
    await at_home(pilot)
    app = pilot.app
    screen = SetScreen(protocol, CHANNELS, "Lateral raise · 3 × 12", controls=app.sets, feedback=feedback, intent=intent)  # type: ignore[attr-defined]
    await app.push_screen(screen)
    await pilot_wait_until(pilot, lambda: screen.is_mounted and screen.query_one(BigCountdown).size.height > 0,
                           15, "the set screen laid out")
    screen.show_view(EngineView(Stage.PHASE, 0, protocol.phases[0], 30.0, 10.0, False, False), len(protocol.phases))
    await pilot.pause()
    return screen


async def shown(pilot: Pilot[int], screen: SetScreen, *frames: ActivationFrame) -> str:
    """Each frame handed to the screen as the sensor controller does, then the screen as text."""
    for f in frames:
        screen.show_frame(f)
    await pilot.pause()
    await pilot.pause()
    return screen_text(pilot.app)


def regions(screen: SetScreen) -> list[tuple[int, int]]:
    """Where the countdown and each bar sit (top row, height): what a cue must not move."""
    parts = [screen.query_one(BigCountdown), *screen.query(ActivationBar)]
    return [(p.region.y, p.region.height) for p in parts]


def row_of(pilot: Pilot[int], needle: str) -> int:
    rows = screen_rows(pilot.app)
    return next(i for i, row in enumerate(rows) if needle in row)


@pytest.mark.parametrize("size", SIZES)
async def test_a_form_cue_shows_under_the_countdown_and_clears_without_moving_the_bars(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=size) as pilot:
        screen = await set_screen(pilot)
        before = await shown(pilot, screen, frame(feedback=Biofeedback()))
        assert TRAP_CUE.text not in before
        where = regions(screen)

        during = await shown(pilot, screen, frame(feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), cues_fired=1)))
        assert TRAP_CUE.text in during
        cue_row = row_of(pilot, TRAP_CUE.text)
        countdown = screen.query_one(BigCountdown).region
        assert countdown.bottom <= cue_row < screen.query_one("#bar-0").region.y, "the cue sits under the countdown, above the bars"
        banner = screen.query_one(FormCueBanner)
        assert banner.region.width == size[0], "the banner is a full-width band"
        assert banner.has_class("-on")
        assert regions(screen) == where, "the cue moved the countdown or the bars"

        after = await shown(pilot, screen, frame(feedback=Biofeedback(cues_fired=1)))
        assert TRAP_CUE.text not in after
        assert not banner.has_class("-on")
        assert regions(screen) == where
        await app.shutdown()


async def test_a_cue_from_the_library_file_is_shown_as_text(tmp_path: Path) -> None:
    hostile = FormCue(3.0, FormCueKind.COMPENSATION, 1, "upper trap", 0.3, "[bold red]Relax[/] the\x1b[2J trap")
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot)
        text = await shown(pilot, screen, frame(feedback=Biofeedback(cue=hostile, marked=(1,), cues_fired=1)))
        assert "[bold red]Relax[/] the\ufffd[2J trap" in text
        await app.shutdown()


async def test_the_offending_bar_is_marked_in_its_own_colour(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot)
        await shown(pilot, screen, frame(feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), cues_fired=1)))
        rows = screen_rows(app)
        assert any("◀ upper trap" in row for row in rows)
        assert not any("◀ lateral delt" in row or "◀ front delt" in row for row in rows)
        trap, target = screen.query_one("#bar-1", ActivationBar), screen.query_one("#bar-0", ActivationBar)
        trap_fill = [s.style.color for s in trap.render_line(0) if "█" in s.text]
        target_fill = [s.style.color for s in target.render_line(0) if "█" in s.text]
        assert trap_fill and target_fill and trap_fill[0] != target_fill[0], "the marked bar fills in another colour"

        # The target marked when its own share fell; the mark leaves when the cue clears.
        share_cue = FormCue(20.0, FormCueKind.COMPENSATION, 0, "lateral delt", 0.41, "Lead with the elbow, not the shoulder")
        await shown(pilot, screen, frame(feedback=Biofeedback(cue=share_cue, marked=(0,), cues_fired=2)))
        rows = screen_rows(app)
        assert any("◀ lateral delt" in row for row in rows)
        assert not any("◀ upper trap" in row for row in rows)
        text = await shown(pilot, screen, frame(feedback=Biofeedback(cues_fired=2)))
        assert "◀" not in text
        await app.shutdown()


async def test_each_judged_rep_gets_a_tick_or_a_cross_and_the_perfect_count_runs(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await set_screen(pilot)
        text = await shown(pilot, screen, frame(feedback=Biofeedback(reps=(rep(1),))))
        assert "✓  Perfect 1 of 1" in text
        reps = (rep(1), rep(2), rep(3, False, "target not prime mover"), rep(4), rep(5, False, "below 40 % MVC"))
        text = await shown(pilot, screen, frame(feedback=Biofeedback(reps=reps)))
        assert "✓✓✗✓✗  Perfect 3 of 5 · ✗ below 40 % MVC" in text
        assert "target not prime mover" not in text, "only the last cross's reason"
        assert "rise" not in text, "no rise time outside explosive phases and heavy sets"
        await app.shutdown()


async def test_an_explosive_phase_shows_the_last_reps_rise_time(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot, CONTRAST)
        text = await shown(pilot, screen, frame(feedback=Biofeedback(reps=(rep(1, rise_ms=210.0), rep(2, rise_ms=180.4)))))
        assert "✓✓  Perfect 2 of 2 · rise 180 ms" in text
        await app.shutdown()


async def test_a_heavy_set_lifted_with_intent_shows_the_rise_time_too(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot, RAISE, intent=True)
        text = await shown(pilot, screen, frame(feedback=Biofeedback(reps=(rep(1, rise_ms=240.0),))))
        assert "✓  Perfect 1 of 1 · rise 240 ms" in text
        await app.shutdown()


def zone_cells(bar: ActivationBar) -> list[int]:
    """Bar cells (0 = first cell after the label) drawn on the zone's background."""
    zone_bg = bar.get_component_rich_style("activation-bar--zone").bgcolor
    cells, x = [], 0
    for segment in bar.render_line(0):
        for _ in segment.text:
            if segment.style is not None and segment.style.bgcolor == zone_bg:
                cells.append(x - LABEL_CELLS)
            x += 1
    return cells


async def test_the_target_zone_is_drawn_on_the_target_bar_and_its_time_counts(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(118, 32)) as pilot:  # 100 bar cells: one per %MVC
        screen = await set_screen(pilot)
        target = screen.query_one("#bar-0", ActivationBar)
        bar_cells = target.size.width - LABEL_CELLS - VALUE_CELLS
        text = await shown(pilot, screen, frame(feedback=Biofeedback(zone_pct=(60.0, 80.0), zone_s=0.0)))
        assert "in zone 0.0 s" in text
        cells = zone_cells(target)
        assert cells == list(range(round(0.6 * bar_cells), round(0.8 * bar_cells) + 1)), cells
        for other in list(screen.query(ActivationBar))[1:]:
            assert zone_cells(other) == []
        text = await shown(pilot, screen, frame(pct=(70.0, 20.0, 10.0, 3.0), feedback=Biofeedback(zone_pct=(60.0, 80.0), zone_s=4.2)))
        assert "in zone 4.2 s" in text
        # The rest after the zoned phase: no band, the time it made stays said.
        text = await shown(pilot, screen, frame(feedback=Biofeedback(zone_s=4.2)))
        assert zone_cells(target) == []
        assert "in zone 4.2 s" in text
        await app.shutdown()


async def test_before_an_mvc_the_bars_show_microvolts_on_a_fixed_stated_scale(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot)
        rest = frame(pct=(None, None, None, None), uv=(8.0, 6.0, 5.0, 7.0))
        text = await shown(pilot, screen, rest)
        assert text.count(UV_SCALE_LINE) == 1 and UV_SCALE_LINE == "µV, no MVC yet: scale 0–500 µV"
        for i, bar in enumerate(screen.query(ActivationBar)):
            row = bar.render_line(0).text
            filled = row.count("█")
            assert filled <= 1, f"rest noise filled {filled} cells of bar {i}: {row!r}"
            assert row.rstrip().endswith(f"{rest.envelope_uv[i]:.0f} µV")
        # Half the scale is half a bar, whichever channel is loudest.
        await shown(pilot, screen, frame(pct=(None, None, None, None), uv=(250.0, 20.0, 5.0, 7.0)))
        bar = screen.query_one("#bar-0", ActivationBar)
        cells = bar.size.width - LABEL_CELLS - VALUE_CELLS
        assert bar.render_line(0).text.count("█") == round(cells / 2)
        assert screen.query_one("#bar-1", ActivationBar).render_line(0).text.count("█") == round(cells * 20 / 500)
        # Once an MVC applies, %MVC and no scale line.
        text = await shown(pilot, screen, frame())
        assert UV_SCALE_LINE not in text
        assert "55%" in text
        await app.shutdown()


BUSY = Biofeedback(cue=TRAP_CUE, marked=(1,), reps=(rep(1), rep(2, False, "target not prime mover")), cues_fired=1)


async def test_cues_mode_hides_the_bars_and_keeps_the_cue_and_the_rep_marks(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot, feedback="cues")
        text = await shown(pilot, screen, frame(feedback=BUSY))
        assert TRAP_CUE.text in text
        assert "Perfect 1 of 2" in text
        for channel in CHANNELS:
            assert channel.muscle not in text
        assert "█" not in text.split(TRAP_CUE.text)[1].split("Perfect")[0]
        text = await shown(pilot, screen, frame(pct=(None, None, None, None), uv=(8.0, 6.0, 5.0, 7.0), feedback=BUSY))
        assert UV_SCALE_LINE not in text, "no scale for bars that are not shown"
        await app.shutdown()


async def test_a_retention_set_is_dark_until_its_work_is_over(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot, feedback="retention")
        text = await shown(pilot, screen, frame(feedback=BUSY))
        assert "Eyes off the screen: retention set" in text
        assert TRAP_CUE.text not in text
        assert "Perfect" not in text and "✓" not in text
        for channel in CHANNELS:
            assert channel.muscle not in text
        assert bells == [], "a retention set is silent too"

        # The work is over (the rest after it): everything shows.
        screen.show_view(EngineView(Stage.PHASE, 1, REST, 90.0, 40.0, False, True), 2)
        text = await shown(pilot, screen, frame(feedback=BUSY))
        assert "Eyes off the screen" not in text
        assert "Perfect 1 of 2" in text
        assert all(channel.muscle in text for channel in CHANNELS)
        await app.shutdown()


async def test_live_mode_shows_everything(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await set_screen(pilot)
        text = await shown(pilot, screen, frame(feedback=BUSY))
        assert TRAP_CUE.text[:40] in text
        assert "Perfect 1 of 2" in text
        assert all(channel.muscle in text for channel in CHANNELS)
        assert "Eyes off the screen" not in text
        for part in [*screen.query(ActivationBar), screen.query_one("#rep-marks"), screen.query_one(FormCueBanner)]:
            assert part.region.bottom <= 23, f"{part} is off an 80×24 screen"
        await app.shutdown()


async def test_the_bell_rings_once_for_each_new_cue(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    bells: list[float] = []
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot)
        app.bell = lambda: bells.append(app.clock())  # type: ignore[method-assign]
        await shown(pilot, screen, frame(feedback=Biofeedback()))
        assert bells == []
        await shown(pilot, screen, frame(feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), cues_fired=1)))
        assert len(bells) == 1
        # The same cue in frame after frame is not new.
        await shown(pilot, screen, *[frame(t_s=10 + i / 30, feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), cues_fired=1)) for i in range(5)])
        await shown(pilot, screen, frame(feedback=Biofeedback(cues_fired=1)))
        assert len(bells) == 1
        second = FormCue(20.0, FormCueKind.CO_CONTRACTION, 3, "lat", 34.0, "Relax the lat", rep=6)
        await shown(pilot, screen, frame(feedback=Biofeedback(cue=second, marked=(3,), cues_fired=2)))
        assert len(bells) == 2
        await app.shutdown()


async def test_no_bell_when_the_gym_turns_it_off(tmp_path: Path, private_home: Path) -> None:
    config = private_home / "config" / "gymtui"
    config.mkdir(parents=True, exist_ok=True)
    (config / "gym.toml").write_text("[gym]\ncue_bell = false\n")
    app = frozen_app(tmp_path / "gym.db")
    bells: list[None] = []
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot)
        assert app.coach is not None and app.coach.gym.cue_bell is False
        app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
        text = await shown(pilot, screen, frame(feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), cues_fired=1)))
        assert TRAP_CUE.text in text, "the banner still shows"
        await shown(pilot, screen, frame(feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), cues_fired=2)))
        assert bells == []
        await app.shutdown()


async def test_the_rating_screen_says_what_the_coaching_saw(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await set_screen(pilot, CONTRAST)
        last = FormCue(14.0, FormCueKind.COMPENSATION, 1, "upper trap", 0.4, "Lower the shoulder", rep=6)
        reps = tuple(rep(n, n not in (3, 6), "" if n not in (3, 6) else "target not prime mover", 150.0 + 10 * n) for n in range(1, 8))
        await shown(
            pilot, screen,
            frame(feedback=Biofeedback(cue=TRAP_CUE, marked=(1,), reps=reps[:3], zone_pct=(60.0, 80.0), zone_s=1.0, cues_fired=2)),
            frame(feedback=Biofeedback(cue=last, marked=(1,), reps=reps, zone_pct=(60.0, 80.0), zone_s=4.2, cues_fired=3)),
            frame(feedback=Biofeedback(reps=reps, zone_s=4.2, cues_fired=3)),
        )
        await app.push_screen(RatingScreen("lateral_raise", None, feedback=screen.feedback_summary()))
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, RatingScreen), 15, "the rating screen")
        await pilot.pause()
        text = screen_text(app)
        assert "3 compensation cues, last at rep 6" in text
        assert "Perfect reps 5 of 7 · Time in zone 4.2 s · Mean rise 190 ms" in text
        # The set's summary, once stored, has the last rep (closed after the last frame) and every cue.
        rating = app.screen
        assert isinstance(rating, RatingScreen)
        rating.summary = {"peak_pct_mvc": 71.0, "perfect_reps": 6, "reps": 8, "reps_source": "emg",
                          "cue_count": 4, "time_in_zone_s": 5.0}
        await pilot.pause()
        text = screen_text(app)
        assert "4 compensation cues, last at rep 6" in text
        assert "Perfect reps 6 of 8 · Time in zone 5.0 s" in text
        assert text.count("Perfect reps") == 1, "one perfect-reps count on the screen"
        await app.shutdown()
