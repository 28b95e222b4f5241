"""Every theme loads and defines every colour variable the stylesheets use."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from textual.screen import Screen
from waiting import pilot_wait_until

from gymtui.app import AppConfig, GymApp
from gymtui.resources import resource_dir
from gymtui.store import Store
from gymtui.themes import load_themes, theme_names
from gymtui.ui import screens, widgets
from gymtui.ui.screens.home import HomeScreen


def gymtui_classes() -> list[type]:
    """Every class defined in gymtui's screens and widgets."""
    found = []
    for package in (screens, widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found += [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == module.__name__]
    return found


def stylesheet_variables() -> set[str]:
    """The $variables of the app sheet and of every widget's own DEFAULT_CSS."""
    sources = [path.read_text(encoding="utf-8") for path in resource_dir("themes").glob("*.tcss")]
    sources += [c.__dict__["DEFAULT_CSS"] for c in gymtui_classes() if "DEFAULT_CSS" in c.__dict__]
    names: set[str] = set()
    for css in sources:
        names |= set(re.findall(r"\$([a-z][a-z0-9-]*)", css))
    return names


def test_one_sheet_per_app_whose_screen_selectors_name_screens_that_exist() -> None:
    """Screens are styled by their app's sheet, scoped by screen class; no screen loads a sheet again.

    Two apps ship: the rack's (``gymtui.tcss``) and the coach view's
    (``coach.tcss``, a separate process with its own screens).
    """
    from gymtui.ui.coach.app import CoachApp

    sheets = sorted(p.name for p in resource_dir("themes").glob("*.tcss"))
    assert sheets == ["coach.tcss", "gymtui.tcss"]
    assert GymApp.CSS_PATH == resource_dir("themes") / "gymtui.tcss"
    assert CoachApp.CSS_PATH == resource_dir("themes") / "coach.tcss"
    classes = gymtui_classes()
    screen_classes = {c.__name__ for c in classes if issubclass(c, Screen)}
    assert {"HomeScreen", "SetScreen", "RatingScreen", "CheckinScreen", "CuffSetupScreen"} <= screen_classes
    assert [c.__name__ for c in classes if issubclass(c, Screen) and c.__dict__.get("CSS_PATH")] == []
    for name in sheets:
        sheet = (resource_dir("themes") / name).read_text(encoding="utf-8")
        named = set(re.findall(r"\b([A-Z][A-Za-z]*Screen)\b", re.sub(r"/\*.*?\*/", "", sheet, flags=re.DOTALL)))
        assert named, f"{name} scopes its rules by screen class"
        assert named <= screen_classes, f"{name}: selectors for screens that do not exist: {sorted(named - screen_classes)}"


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
