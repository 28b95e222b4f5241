"""Every theme loads and defines every colour variable the stylesheets use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.resources import resource_dir
from gymtui.store import Store
from gymtui.themes import load_themes, theme_names
from gymtui.ui.screens.home import HomeScreen


def stylesheet_variables() -> set[str]:
    names: set[str] = set()
    for path in resource_dir("themes").glob("*.tcss"):
        names |= set(re.findall(r"\$([a-z][a-z0-9-]*)", path.read_text(encoding="utf-8")))
    return names


def test_a_dark_floor_theme_and_a_light_theme_ship() -> None:
    themes = {t.name: t for t in load_themes()}
    assert themes["gymtui-floor"].dark and not themes["gymtui-light"].dark


def test_every_theme_defines_the_same_gymtui_variables() -> None:
    themes = load_themes()
    keys = {t.name: set(t.variables) for t in themes}
    first = next(iter(keys.values()))
    assert all(k == first for k in keys.values()), keys
    used = stylesheet_variables()
    ours = {v for v in used if v in first}
    assert ours, "the stylesheets should use gymtui's own colour variables"


@pytest.mark.parametrize("theme", theme_names())
async def test_the_app_starts_in_every_theme(theme: str, tmp_path: Path) -> None:
    app = GymApp(Store(tmp_path / "gym.db"), AppConfig(theme=theme))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot_wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.query("#home-title"),
                               30, "the home screen with its title")
        assert app.theme == theme
        await app.shutdown()
