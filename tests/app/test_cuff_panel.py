"""The cuff panel renders the supervisor's view; the setup screen returns validated settings."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
import repo_paths
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Digits, Input, Static

from gymtui.bfr.events import AlarmLevel
from gymtui.bfr.rules import BfrSettings, Limb, validate_settings
from gymtui.model import PhaseKind
from gymtui.sim.cuff_loop import ClosedLoop
from gymtui.themes import load_themes
from gymtui.ui.screens.cuff_setup import CuffSetupScreen
from gymtui.ui.widgets.cuff_panel import CuffBand, CuffPanel

THEMES = repo_paths.REPO_ROOT / "themes"


class PanelHost(App):
    """The panel alone: its styles are its own (DEFAULT_CSS)."""

    def __init__(self) -> None:
        super().__init__()
        self.alarms: list[CuffPanel.Alarm] = []

    def compose(self) -> ComposeResult:
        yield CuffPanel()

    def on_cuff_panel_alarm(self, message: CuffPanel.Alarm) -> None:
        self.alarms.append(message)


def text_of(app: App, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_panel_shows_pressure_percent_lop_band_and_timers_while_holding(rig: ClosedLoop):
    rig.apply(rig.sup.set_started("Curl"))
    rig.apply(rig.sup.phase_changed(PhaseKind.ISOMETRIC))
    rig.run(20.5)
    app = PanelHost()
    async with app.run_test(size=(60, 14)) as pilot:
        panel = app.query_one(CuffPanel)
        panel.view = rig.sup.view()
        await pilot.pause()
        shown = float(app.query_one("#cuff-pressure", Digits).value)
        assert shown == pytest.approx(90, abs=4)
        readout = text_of(app, "#cuff-readout")
        assert "% LOP" in readout and "target 90 (75–105) · 50 %" in readout
        assert "on 0:20   exercise 0:20/10:00" in text_of(app, "#cuff-timers")
        assert "session 0:20/15:00" in text_of(app, "#cuff-timers")
        assert "HOLDING" in text_of(app, "#cuff-title") and "ARM" in text_of(app, "#cuff-title")
        assert panel.has_class("-holding") and not panel.has_class("-alarm")
        band = str(app.query_one(CuffBand).render())
        assert "█" in band and "▲" in band
        assert app.alarms == []


async def test_compact_panel_fits_a_small_screen_with_the_pressure_on_its_readout_line(rig: ClosedLoop):
    rig.apply(rig.sup.set_started("Curl"))
    rig.run(8)
    app = PanelHost()
    async with app.run_test(size=(50, 8)) as pilot:
        panel = app.query_one(CuffPanel)
        panel.set_compact(True)
        panel.view = rig.sup.view()
        await pilot.pause()
        assert not app.query_one("#cuff-pressure", Digits).display
        readout = text_of(app, "#cuff-readout")
        assert readout.split(" mmHg")[0].strip().isdigit() and "% LOP" in readout
        assert panel.region.height <= 8


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_panel_styles_load_in_dark_and_light_themes(rig: ClosedLoop, theme):
    rig.apply(rig.sup.set_started("Curl"))
    rig.run(8)
    app = PanelHost()
    async with app.run_test(size=(60, 14)) as pilot:
        app.theme = theme
        panel = app.query_one(CuffPanel)
        panel.view = rig.sup.view()
        await pilot.pause()
        assert panel.has_class("-holding")
        success = Color.parse(app.get_css_variables()["success"])
        assert panel.styles.border_top[1].rgb == success.rgb  # holding shows in the theme's success colour


async def test_panel_goes_loud_on_a_stuck_sensor_and_announces_it_once(rig: ClosedLoop):
    rig.apply(rig.sup.set_started("Curl"))
    rig.run(8)
    app = PanelHost()
    async with app.run_test(size=(60, 14)) as pilot:
        panel = app.query_one(CuffPanel)
        panel.view = rig.sup.view()
        await pilot.pause()
        rig.physics.stuck_at_mmhg = 88.0
        rig.run(4)
        panel.view = rig.sup.view()
        await pilot.pause()
        assert panel.has_class("-alarm")
        assert "stuck" in text_of(app, "#cuff-message")
        panel.view = rig.sup.view()  # the same alarm again: no second bell
        await pilot.pause()
        assert len(app.alarms) == 1 and app.alarms[0].view.level is AlarmLevel.ALARM


async def test_panel_tells_the_athlete_to_release_by_hand_when_the_link_is_lost(rig: ClosedLoop):
    rig.apply(rig.sup.set_started("Curl"))
    rig.run(8)
    rig.lose_link()
    app = PanelHost()
    async with app.run_test(size=(60, 14)) as pilot:
        panel = app.query_one(CuffPanel)
        panel.view = rig.sup.view()
        await pilot.pause()
        assert panel.has_class("-release")
        assert "RELEASE THE CUFF BY HAND" in text_of(app, "#cuff-message")
        assert app.query_one("#cuff-pressure", Digits).value == "--"  # no stale number
        assert "LINK LOST" in text_of(app, "#cuff-title")
        assert "█" not in str(app.query_one(CuffBand).render())  # no stale pressure bar either


async def test_panel_shows_zero_and_cuff_down_in_a_deflated_rest(rig: ClosedLoop):
    rig.apply(rig.sup.set_started("Curl"))
    rig.run(8)
    rig.apply(rig.sup.phase_changed(PhaseKind.REST))
    rig.run(4)
    app = PanelHost()
    async with app.run_test(size=(60, 14)) as pilot:
        panel = app.query_one(CuffPanel)
        panel.view = rig.sup.view()
        await pilot.pause()
        assert float(app.query_one("#cuff-pressure", Digits).value) <= 1
        assert panel.has_class("-deflated")


class SetupHost(App):
    """The setup screen with the app sheet and its colours."""

    CSS_PATH: ClassVar[list[Path]] = [THEMES / "gymtui.tcss"]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(load_themes()[0].variables)

    def __init__(self, screen: CuffSetupScreen) -> None:
        super().__init__()
        self.setup = screen
        self.result: list[BfrSettings | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.setup, self.result.append)


async def test_setup_returns_validated_settings():
    app = SetupHost(CuffSetupScreen(known_lops={Limb.LEG: (196.0, 3.0)}))
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.click("#limb-leg")
        await pilot.pause()
        assert app.screen.query_one("#cuff-setup-lop", Input).value == "196"
        assert app.screen.query_one("#cuff-setup-pct", Input).value == "70"
        assert "60–80 % recommended, 40–80 % allowed" in str(
            app.screen.query_one("#cuff-setup-pct-hint", Static).render()
        )
        await pilot.click("#cuff-setup-rest")
        await pilot.click("#cuff-setup-save")
        await pilot.pause()
    assert app.result == [BfrSettings(Limb.LEG, 196.0, 70.0, rest_deflate=False)]


async def test_setup_refuses_a_target_beyond_the_hard_bound_and_stays_open():
    app = SetupHost(CuffSetupScreen(validate_settings("arm", 180, 50)))
    async with app.run_test(size=(80, 30)) as pilot:
        pct = app.screen.query_one("#cuff-setup-pct", Input)
        pct.value = "75"
        await pilot.click("#cuff-setup-save")
        await pilot.pause()
        assert "arm target must be 30–60 % of LOP, not 75 %" in str(
            app.screen.query_one("#cuff-setup-error", Static).render()
        )
        assert isinstance(app.screen, CuffSetupScreen) and app.result == []
        pct.value = "45"
        pct.focus()
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == [BfrSettings(Limb.ARM, 180.0, 45.0, rest_deflate=True)]


async def test_setup_asks_for_a_fresh_lop_when_the_stored_one_is_old_and_esc_cancels():
    app = SetupHost(CuffSetupScreen(known_lops={Limb.ARM: (170.0, 45.0)}))
    async with app.run_test(size=(80, 30)) as pilot:
        assert app.screen.query_one("#cuff-setup-lop", Input).value == "170"
        assert "re-measure" in str(app.screen.query_one("#cuff-setup-lop-age", Static).render())
        await pilot.press("escape")
        await pilot.pause()
    assert app.result == [None]


async def test_setup_turns_bfr_on_for_the_finisher_only_when_asked():
    app = SetupHost(CuffSetupScreen(validate_settings("leg", 200, 70)))
    async with app.run_test(size=(80, 30)) as pilot:
        assert app.screen.query_one("#cuff-setup-finisher").value is False  # off unless the athlete turns it on
        await pilot.click("#cuff-setup-finisher")
        await pilot.click("#cuff-setup-save")
        await pilot.pause()
    assert app.result == [BfrSettings(Limb.LEG, 200.0, 70.0, rest_deflate=True, bfr_finisher=True)]
