"""Shared fixtures: a private home for every test, and the public recordings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout (or ``$GYMTUI_SHARED_DATA``)."""
    override = os.environ.get("GYMTUI_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The folder of public EMG recordings; tests that need it skip without it."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"public EMG recordings not found at {path} (set GYMTUI_SHARED_DATA to their folder)")
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never touch a real home: XDG dirs and the default DB live in tmp_path."""
    home = tmp_path / "home"
    for var, sub in [
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("GYMTUI_DB", str(home / "gymtui.db"))
    return home
