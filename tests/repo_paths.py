"""Where the checkout and the test helpers are, for tests at any depth under ``tests/``."""

from __future__ import annotations

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
"""``tests/``: the shared helpers (``waiting``, ``terminal``, ``cuff_probe``...) and ``data/``."""
REPO_ROOT = TESTS_DIR.parent
