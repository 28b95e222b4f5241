"""The test suite's own rules: it cannot hang, cannot pass by skipping, and every wait names what it awaits."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
import repo_paths
from textual.app import App
from waiting import Deadline, pilot_wait_until, wait_until, wait_until_async

REPO_ROOT = repo_paths.REPO_ROOT
TESTS = repo_paths.TESTS_DIR

A_TEST_THAT_READS_RECORDINGS = textwrap.dedent(
    """
    def test_reads_a_recording(shared_data):
        assert (shared_data / "biosppy_emg_1_1khz.txt").is_file()
    """
)


UNNEEDED_PLUGINS = ("no:cacheprovider", "no:textual-snapshot", "no:syrupy", "no:hypothesispytest")
"""Plugins these small runs do without: loading them is most of a run's start-up."""


def run_pytest(*args: str, env: dict[str, str], timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    blocked = [arg for plugin in UNNEEDED_PLUGINS for arg in ("-p", plugin)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *blocked, "-q", *args],
        check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s,
    )


def run_without_recordings(tmp_path: Path, **extra_env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """A test that asks for ``shared_data``, run with the suite's own conftest and the folder absent."""
    test_file = tmp_path / "test_recording.py"
    test_file.write_text(A_TEST_THAT_READS_RECORDINGS, encoding="utf-8")
    absent = tmp_path / "no-recordings-here"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(GYMTUI_SHARED_DATA=str(absent), PYTHONPATH=os.pathsep.join([str(TESTS), str(REPO_ROOT)]))
    env.update(extra_env)
    done = run_pytest("-p", "conftest", "-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
                      "-rs", str(test_file), env=env)
    return done, absent


def test_under_ci_a_missing_recordings_folder_fails_the_tests_that_need_it(tmp_path: Path) -> None:
    done, absent = run_without_recordings(tmp_path, CI="true")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "1 error" in out and "skipped" not in out, out
    assert f"public EMG recordings not found at {absent}" in out
    assert "CI is set, so this fails instead of skipping" in out


def test_without_ci_a_missing_recordings_folder_skips_saying_where_it_looked(tmp_path: Path) -> None:
    done, absent = run_without_recordings(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "1 skipped" in out and f"public EMG recordings not found at {absent}" in out


def test_with_the_recordings_present_the_fixture_hands_over_their_folder(tmp_path: Path) -> None:
    present = tmp_path / "recordings"
    present.mkdir()
    (present / "biosppy_emg_1_1khz.txt").write_text("# a stand-in\n2048\n", encoding="utf-8")
    done, _ = run_without_recordings(tmp_path, CI="true", GYMTUI_SHARED_DATA=str(present))
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_every_test_has_a_time_limit_enforced_from_a_watchdog_thread() -> None:
    options = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert 0 < float(options["timeout"]) <= 300
    assert options["timeout_method"] == "thread"


HANGING_PILOT_TEST = textwrap.dedent(
    """
    import asyncio
    from textual.app import App

    async def test_hangs_inside_a_running_app():
        async with App().run_test() as pilot:
            await pilot.pause()
            await asyncio.sleep(3600)
    """
)


def test_a_test_hanging_inside_a_textual_app_is_stopped_with_its_stacks(tmp_path: Path) -> None:
    test_file = tmp_path / "test_hang.py"
    test_file.write_text(HANGING_PILOT_TEST, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.monotonic()
    done = run_pytest("-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), "--timeout", "3",
                      str(test_file), env=env, timeout_s=90)
    elapsed = time.monotonic() - started
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "+ Timeout +" in out and "Stack of MainThread" in out, out[-3000:]
    assert elapsed < 60, f"the run took {elapsed:.0f} s to stop"


# -- the waiting helpers -------------------------------------------------------------


def test_wait_until_returns_as_soon_as_the_condition_holds() -> None:
    ready_at = time.monotonic() + 0.1
    started = time.monotonic()
    wait_until(lambda: time.monotonic() >= ready_at, 10, "a tenth of a second")
    assert time.monotonic() - started < 5


def test_wait_until_fails_naming_what_it_awaited_and_what_it_saw() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"waiting for the cuff to deflate; last seen: 'pressure 90 mmHg'") as failed:
        wait_until(lambda: False, 0.2, "the cuff to deflate", detail=lambda: "pressure 90 mmHg")
    assert "limit 0.2 s" in str(failed.value)
    assert time.monotonic() - started < 5


async def test_the_async_twin_lets_the_loop_run_while_it_waits() -> None:
    flag: list[bool] = []
    asyncio.get_running_loop().call_later(0.05, flag.append, True)
    await wait_until_async(lambda: flag, 10, "a callback on the same loop")
    with pytest.raises(AssertionError, match="waiting for nothing at all"):
        await wait_until_async(lambda: False, 0.1, "nothing at all")


async def test_the_pilot_twin_lets_the_app_process_its_messages() -> None:
    class Counter(App[None]):
        ticks = 0

        def on_mount(self) -> None:
            self.set_interval(0.01, self.tick)

        def tick(self) -> None:
            self.ticks += 1

    app = Counter()
    async with app.run_test() as pilot:
        await pilot_wait_until(pilot, lambda: app.ticks >= 5, 10, "five timer ticks")
        with pytest.raises(AssertionError, match=r"waiting for a thousand ticks; last seen: \d+"):
            await pilot_wait_until(pilot, lambda: app.ticks >= 1000, 0.2, "a thousand ticks", detail=lambda: app.ticks)


def test_a_deadline_in_a_loop_that_does_work_between_checks() -> None:
    deadline = Deadline(0.1, "the loop to finish")
    deadline.check()  # not yet
    with pytest.raises(AssertionError, match="waiting for the loop to finish"):
        while True:
            deadline.check()
            time.sleep(0.01)
