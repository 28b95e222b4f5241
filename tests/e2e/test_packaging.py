"""The wheel carries themes/ and devices/, and the app finds them from a checkout too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import repo_paths

from gymtui.resources import PACKAGE_DIR, resource_dir

REPO_ROOT = repo_paths.REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling comes with the 'test' extra")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO_ROOT)],
        check=False, capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [built] = out.glob("gymtui-*.whl")
    return built


def test_the_wheel_carries_themes_and_devices_inside_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("themes", "devices"):
        shipped = [p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / folder).rglob("*") if p.is_file()]
        assert shipped, f"{folder}/ is empty"
        missing = [path for path in shipped if f"gymtui/{path}" not in names]
        assert missing == [], f"left out of the wheel: {missing}"
    assert "gymtui/session/protocols/finisher.toml" in names
    assert any(n.startswith("gymtui/session/library/") for n in names)


def test_the_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        entry_points = next(n for n in zf.namelist() if n.endswith("entry_points.txt"))
        assert "gymtui = gymtui.cli:main" in zf.read(entry_points).decode()


def test_an_installed_wheel_finds_its_own_themes(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    code = "from gymtui.resources import resource_dir; print(resource_dir('themes')); print(resource_dir('devices'))"
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env={"PYTHONPATH": str(target)}, cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    themes, devices = done.stdout.split()
    assert Path(themes) == target / "gymtui" / "themes"
    assert Path(devices) == target / "gymtui" / "devices"


def test_a_checkout_finds_the_top_level_folders() -> None:
    if (PACKAGE_DIR / "themes").is_dir():
        pytest.skip("running from an installed wheel")
    assert resource_dir("themes") == REPO_ROOT / "themes"
    assert resource_dir("devices") == REPO_ROOT / "devices"
