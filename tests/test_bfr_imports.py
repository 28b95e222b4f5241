"""The supervisor, the simulated cuff, the runner and the safety module import no Textual, Rich or bleak."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "module",
    [
        "gymtui.bfr.supervisor",
        "gymtui.bfr.ledger",
        "gymtui.bfr.codec",
        "gymtui.bfr.profile",
        "gymtui.bfr.runner",
        "gymtui.bfr.safety",
        "gymtui.phases",
        "gymtui.sim.cuff",
        "gymtui.sim.cuff_loop",
        "gymtui.sim.simulated_cuff",
        "gymtui.bench.bfr",
    ],
)
def test_cuff_core_imports_no_ui_or_radio(module):
    code = (
        f"import sys, {module}; "
        "bad = sorted(m for m in ('textual', 'rich', 'bleak') if m in sys.modules); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"
