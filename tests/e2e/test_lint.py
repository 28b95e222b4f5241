"""CI runs the README's test command, and that command lints and type-checks before the tests.

ruff and mypy themselves run in the command, not here (running mypy again
inside the suite would only double its time). What the command cannot check
about itself is that `.ci/run` still runs what the README shows, and that the
lint and type steps stay in it, ahead of the tests.
"""

from __future__ import annotations

import re
import tomllib

import repo_paths

REPO_ROOT = repo_paths.REPO_ROOT


def _readme_test_command() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"this is what `\.ci/run` runs\):\s*```sh\n(.+?)\n```", readme, re.DOTALL)
    assert found, "the README no longer shows the test command that .ci/run runs"
    return found.group(1).strip()


def _ci_command() -> str:
    lines = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines if line.startswith("python3 -m venv")]
    assert len(commands) == 1, f".ci/run should run one command, found {commands}"
    return commands[0].strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert _ci_command() == _readme_test_command()


def test_the_test_command_lints_and_type_checks_before_the_tests() -> None:
    steps = [step.strip() for step in _readme_test_command().split("&&")]
    assert ".venv/bin/ruff check ." in steps
    assert ".venv/bin/mypy" in steps
    first_tests = next(i for i, step in enumerate(steps) if "pytest" in step)
    assert steps.index(".venv/bin/ruff check .") < first_tests
    assert steps.index(".venv/bin/mypy") < first_tests


def test_the_test_command_runs_every_benchmark_once_after_the_tests() -> None:
    """A smoke run of ``gymtui bench`` (figures printed, targets not enforced) proves every bench module still runs."""
    steps = [step.strip() for step in _readme_test_command().split("&&")]
    bench = steps.index(".venv/bin/python -m gymtui bench --smoke")
    assert max(i for i, step in enumerate(steps) if "pytest" in step) < bench == len(steps) - 1


def test_mypy_checks_the_package_strictly_where_the_readme_says() -> None:
    """A bare `mypy` checks gymtui; the core logic is strict; no module is excused."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["gymtui"]
    strict = [o for o in config["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1
    assert set(strict[0]["module"]) == {
        "gymtui.model",
        "gymtui.phases",
        "gymtui.bfr.*",
        "gymtui.store.*",
        "gymtui.signal.*",
        "gymtui.session.*",
        "gymtui.sim.*",
    }
    assert all(strict[0][flag] for flag in ("warn_return_any", "disallow_any_generics", "strict_equality"))
    assert not any(o.get("ignore_errors") for o in config["overrides"])
    assert not config.get("ignore_errors")
