"""Find a stylesheet in ``themes/``: inside the wheel first, the source tree second.

The wheel force-includes the top-level ``themes/`` as ``gymtui/themes``; an
editable install does not see that copy, so fall back to the checkout.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[2]  # .../gymtui


def tcss_path(name: str) -> Path:
    for folder in (_PACKAGE / "themes", _PACKAGE.parent / "themes"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"stylesheet {name} is in neither {_PACKAGE / 'themes'} nor {_PACKAGE.parent / 'themes'}")
