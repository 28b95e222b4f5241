"""Find the shipped data folders (``themes/``, ``devices/``) wherever gymtui runs from.

A wheel carries them inside the package (``gymtui/themes``); an editable
install or a source checkout has them at the top of the tree, beside the
package. Look in the package first, then the tree.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` (``"themes"`` or ``"devices"``); raises if neither place has it."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"gymtui's {name}/ folder is missing from {PACKAGE_DIR} and {PACKAGE_DIR.parent}")
