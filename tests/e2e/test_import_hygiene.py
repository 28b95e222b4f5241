"""The import rules hold: import-linter on the real tree, a planted bad import caught, and what loads at run time.

The contracts (``[tool.importlinter]`` in pyproject.toml) are the one
statement of the layering: the UI over the services over the pure rules
(session, signal, sim, bfr) over the model; the pure rules never import the
store; core code never imports Textual, Rich, bleak or bumble. Import-linter
reads source, so two things are checked by running Python instead: that a
core module pulls none of those in at run time (through a third-party package
or an import by name), and that the app starts without scipy, bleak or bumble.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import repo_paths

import gymtui

REPO_ROOT = repo_paths.REPO_ROOT
PYPROJECT = REPO_ROOT / "pyproject.toml"
RUNTIME_PACKAGES = ("gymtui.signal", "gymtui.session", "gymtui.sim", "gymtui.bfr", "gymtui.store", "gymtui.services",
                    "gymtui.interop", "gymtui.gym")
RUNTIME_MODULES = ("gymtui.model", "gymtui.phases", "gymtui.bench.bfr")
UI_AND_RADIO = ("textual", "rich", "bleak", "bumble")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (it comes with the 'test' extra)")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([exe, "--no-cache"], capture_output=True, text=True, check=False, cwd=root, env=env, timeout=300)


def contract_names() -> list[str]:
    return [c["name"] for c in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]]


def store_contract_name() -> str:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    return next(c["name"] for c in contracts if c.get("forbidden_modules") == ["gymtui.store"])


def test_the_real_tree_keeps_every_contract() -> None:
    done = lint_imports(REPO_ROOT)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    for name in contract_names():
        assert f"{name} KEPT" in out
    assert f"Contracts: {len(contract_names())} kept, 0 broken." in out


def test_a_store_import_in_session_breaks_the_store_contract(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "gymtui", tmp_path / "gymtui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    plan = tmp_path / "gymtui" / "session" / "plan.py"
    plan.write_text(plan.read_text() + "\nimport gymtui.store  # planted by the import-hygiene test\n")

    done = lint_imports(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert f"{store_contract_name()} BROKEN" in out
    assert "gymtui.session.plan -> gymtui.store" in out
    assert f"Contracts: {len(contract_names()) - 1} kept, 1 broken." in out


def runtime_modules() -> list[str]:
    names = list(RUNTIME_MODULES)
    for package in RUNTIME_PACKAGES:
        names.append(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(REPO_ROOT / package.replace(".", "/"))])]
    return names


def test_no_core_module_pulls_in_ui_or_radio_at_run_time() -> None:
    """Each module is imported in turn in one fresh interpreter; a newly loaded forbidden package names its importer."""
    code = (
        "import importlib, sys\n"
        f"forbidden = {UI_AND_RADIO!r}\n"
        f"for name in {runtime_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    bad = sorted({m.split('.')[0] for m in sys.modules} & set(forbidden))\n"
        "    if bad:\n"
        "        print(name, 'pulls in', ','.join(bad))\n"
        "        break\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_app_starts_without_scipy_bleak_or_bumble_until_needed() -> None:
    """Start-up imports only what the first screen needs (scipy loads with the first sensor)."""
    code = (
        "import sys, gymtui.cli, gymtui.app\n"
        "print(','.join(sorted(m for m in ('scipy', 'bleak', 'bumble') if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


STARTUP_SKIPS = ("scipy", "bleak", "bumble", "pandas", "gymtui.sim", "gymtui.adapters", "gymtui.signal.worker",
                 "gymtui.commands.export", "gymtui.commands.bench", "gymtui.ui.screens.set_screen")
"""What ``gymtui --demo`` does without until its first home screen is painted (pandas: even when installed)."""


def test_the_apps_command_line_loads_nothing_the_first_screen_does_without(tmp_path: Path) -> None:
    """The CLI's imports, the app's, its command line parsed and its config made: none of the above is loaded.

    A stand-in pandas is installed for the run: sqlite-utils imports pandas
    whenever it can, and the store loads sqlite-utils without it; pandas
    still imports for whoever asks for it afterwards.
    """
    (tmp_path / "pandas").mkdir()
    (tmp_path / "pandas" / "__init__.py").write_text("class Timestamp:\n    pass\n")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "import gymtui.cli, gymtui.app\n"
        "parser, args = gymtui.cli.parse_command_line(['--demo', '--db', 'gym.db'])\n"
        "gymtui.app.AppConfig.from_args(args, Path('gym.db'))\n"
        f"print(','.join(m for m in {STARTUP_SKIPS!r} if m in sys.modules))\n"
        "import pandas\n"
        "print(pandas.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(tmp_path)])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO_ROOT,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded, pandas_file = done.stdout.splitlines()
    assert loaded == ""
    assert pandas_file == str(tmp_path / "pandas" / "__init__.py")


def test_a_sub_command_still_parses_with_the_whole_parser() -> None:
    """The app's line skips the sub-commands' modules; a sub-command's line and a wrong one get the whole parser."""
    from gymtui.cli import parse_command_line

    _, args = parse_command_line(["--demo", "--speed", "3"])
    assert (args.command, args.demo, args.speed) == (None, True, 3.0)
    _, args = parse_command_line(["plan", "--date", "2025-01-06"])
    assert args.command == "plan"
    with pytest.raises(SystemExit) as raised:
        parse_command_line(["nosuchcommand"])
    assert raised.value.code == 2


def test_the_package_version_is_set() -> None:
    assert gymtui.__version__
