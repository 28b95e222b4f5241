"""Pure logic imports no Textual, Rich or bleak: checked module by module and by import-linter."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gymtui

REPO_ROOT = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("gymtui.signal", "gymtui.session", "gymtui.sim", "gymtui.bfr", "gymtui.store")
CORE_MODULES = ("gymtui.model", "gymtui.phases")
FORBIDDEN = ("textual", "rich", "bleak", "bumble")


def core_modules() -> list[str]:
    names = list(CORE_MODULES)
    for package in CORE_PACKAGES:
        path = REPO_ROOT / package.replace(".", "/")
        names.append(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]
    return [n for n in names if (REPO_ROOT / (n.replace(".", "/") + ".py")).exists()
            or (REPO_ROOT / n.replace(".", "/") / "__init__.py").exists()]


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_no_ui_or_radio(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{module} pulls in {done.stdout.strip()}"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (it comes with the 'test' extra)")
    done = subprocess.run([exe], check=False, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": str(Path(sys.executable).parent)})
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_app_starts_without_scipy_bleak_or_bumble_until_needed() -> None:
    """Start-up imports only what the first screen needs (scipy loads with the first sensor)."""
    code = (
        "import sys, gymtui.cli, gymtui.app\n"
        "print(','.join(sorted(m for m in ('scipy', 'bleak', 'bumble') if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_package_version_is_set() -> None:
    assert gymtui.__version__
