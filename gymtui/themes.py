"""Colour themes from ``themes/themes.toml`` as Textual :class:`Theme` objects."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import Theme

from gymtui.resources import resource_dir

DEFAULT_THEME = "gymtui-floor"
_THEME_FIELDS = {
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "boost", "dark",
}


class ThemeError(Exception):
    pass


def themes_file() -> Path:
    return resource_dir("themes") / "themes.toml"


def load_themes(path: Path | None = None) -> list[Theme]:
    path = path or themes_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"cannot read the themes in {path}: {exc}") from None
    themes = []
    for name, table in data.items():
        fields = {k: v for k, v in table.items() if k in _THEME_FIELDS}
        unknown = set(table) - _THEME_FIELDS - {"variables"}
        if unknown:
            raise ThemeError(f"{path}: theme {name!r} has unknown keys {', '.join(sorted(unknown))}")
        if "primary" not in fields:
            raise ThemeError(f"{path}: theme {name!r} needs a primary colour")
        themes.append(Theme(name=name, variables=dict(table.get("variables", {})), **fields))
    return themes


def theme_names() -> list[str]:
    return [t.name for t in load_themes()]
