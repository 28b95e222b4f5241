"""Seeing what happened: the log file, its level and folder, and the crash report.

Textual drops stderr while the app runs, so these tests read what a user
would send in a bug report: the log file under ``$XDG_STATE_HOME`` (the
autouse ``private_home`` fixture points it at tmp_path) and the
``crash-*.txt`` beside it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import repo_paths

from gymtui import cli, logs
from gymtui.model import SampleBlock

REPO_ROOT = repo_paths.REPO_ROOT
HEADER = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) (?P<level>[A-Z]+) (?P<logger>\S+) \[(?P<thread>[^\]]*)\] (?P<msg>.*)$"
)


def log_dir_of(home: Path) -> Path:
    return home / "state" / "gymtui" / "log"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def records(text: str) -> list[tuple[re.Match[str], list[str]]]:
    """The log's records: each header line and the indented lines that follow it."""
    out: list[tuple[re.Match[str], list[str]]] = []
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            out.append((match, []))
        else:
            assert line.startswith("  ") and out, f"a log line that is neither a record nor indented: {line!r}"
            out[-1][1].append(line)
    return out


@pytest.fixture
def configured(private_home: Path):
    """Logging configured the way ``cli.main`` does, into the private home; closed afterwards."""
    setup = logs.configure("warning")
    yield setup
    logs.shutdown()


# -- (a) a signal-worker exception in the real app reaches the file ------------------


async def wait_until(pilot, predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s"
        await pilot.pause(0.05)


async def test_a_signal_worker_exception_is_in_the_log_file_with_time_and_traceback(
    tmp_path: Path, private_home: Path, configured: logs.LogSetup
) -> None:
    from gymtui.app import AppConfig, GymApp
    from gymtui.store import Store

    assert configured.path == log_dir_of(private_home) / "gymtui.log"
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=True, speed=4.0, athlete="Demo athlete"))
    if not hasattr(app, "problems"):  # older app: the list the worker's error notice is appended to
        app.problems = []
    before = time.time()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.signal is not None)
            channels = app.signal.info.n_channels
            # A block with one channel too many: the filters (shaped for the sensor) raise on it.
            bad = SampleBlock(np.zeros((10, channels + 1), dtype=np.float32), 0.0, app.signal.info.rate_hz, 10**6)
            app.signal.submit(bad)

            def logged() -> bool:
                logs.flush(0.1)
                return "signal worker failed" in configured.path.read_text(encoding="utf-8")

            await wait_until(pilot, logged)
            await wait_until(pilot, lambda: app.signal.frames_posted > 0)
            frames = app.signal.frames_posted
            await wait_until(pilot, lambda: app.signal.frames_posted > frames + 5)  # the worker lives on
            await app.shutdown()
    finally:
        store.close()

    found = [(m, rest) for m, rest in records(configured.path.read_text(encoding="utf-8")) if m["msg"] == "signal worker failed"]
    assert len(found) == 1
    header, rest = found[0]
    assert (header["level"], header["logger"], header["thread"]) == ("ERROR", "gymtui.signal.worker", "gymtui-signal")
    from datetime import datetime

    stamp = datetime.fromisoformat(header["ts"]).timestamp()
    assert before - 1 <= stamp <= time.time() + 1
    assert rest[0] == "  Traceback (most recent call last):"
    assert any("gymtui/signal/worker.py" in line and "_guarded" in line for line in rest)
    assert rest[-1].startswith("  ValueError")
    mode = stat.S_IMODE(configured.path.stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert stat.S_IMODE(configured.path.parent.stat().st_mode) == 0o700


# -- (b) a crash writes a report, and the exit line names it -------------------------

CRASHING_APP = textwrap.dedent(
    '''
    """Run gymtui's real command line, headless, with one app method made to fail."""
    import logging
    import sys

    from gymtui import cli
    from gymtui.app import GymApp

    real_run = GymApp.run

    def headless_run(self, **kwargs):
        return real_run(self, headless=True, size=(100, 40))

    async def failing_home_info(self):
        logging.getLogger("gymtui.app").warning("reading the plan for \\x1b]0;owned\\x07 the home screen")
        raise ValueError("the plan could not be read \\x1b[2J")

    GymApp.run = headless_run
    GymApp.home_info = failing_home_info
    sys.exit(cli.main(sys.argv[1:]))
    '''
)


def test_an_app_crash_writes_a_report_and_the_exit_line_names_it(tmp_path: Path, private_home: Path) -> None:
    script = tmp_path / "crashing_app.py"
    script.write_text(CRASHING_APP, encoding="utf-8")
    db = tmp_path / "gym.db"
    done = subprocess.run(
        [sys.executable, str(script), "--demo", "--db", str(db)],
        check=False, capture_output=True, text=True, timeout=90, cwd=REPO_ROOT, env=dict(os.environ), stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    match = re.fullmatch(r"gymtui: crashed \(ValueError: the plan could not be read \ufffd\[2J\); report written to (.+)", last)
    assert match, done.stderr
    report = Path(match[1])
    assert report.parent == log_dir_of(private_home)
    assert re.fullmatch(r"crash-\d{8}T\d{6}[+-]\d{4}\.txt", report.name)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert f"command: gymtui --demo --db {db}" in text
    for name in ("gymtui: 0.1.0", "python: CPython 3.", "platform: ", "textual: 8.", "bleak: ", "numpy: ", "scipy: ", "sqlite3 library: 3."):
        assert f"\n  {name}" in text, name
    traceback = text.split("traceback:\n", 1)[1].split("\n\nlast ", 1)[0]
    assert traceback.startswith("Traceback (most recent call last):")
    assert "failing_home_info" in traceback
    assert traceback.rstrip().endswith("ValueError: the plan could not be read \ufffd[2J")
    tail = text.split("log records (oldest first):\n", 1)[1].splitlines()
    messages = [m["msg"] for m, _ in records("\n".join(tail))]
    # The warning just before the failure, then the failure itself, in that order.
    assert messages[-2:] == ["reading the plan for \ufffd]0;owned\ufffd the home screen", "the app failed"]
    # The same records are in the log file, the crash with its traceback.
    logged = records((log_dir_of(private_home) / "gymtui.log").read_text(encoding="utf-8"))
    assert [m["msg"] for m, _ in logged][-2:] == messages[-2:]
    assert logged[-1][0]["level"] == "CRITICAL" and logged[-1][1][-1] == "  ValueError: the plan could not be read \ufffd[2J"


async def test_an_app_crash_with_a_cuff_deflates_before_anything_is_logged(
    tmp_path: Path, configured: logs.LogSetup
) -> None:
    from textual.worker import WorkerFailed

    from gymtui.app import AppConfig, GymApp
    from gymtui.bfr.rules import validate_settings
    from gymtui.store import Store

    store = Store(tmp_path / "gym.db")
    config = AppConfig(demo=True, speed=4.0, athlete="Demo athlete", cuff=validate_settings("arm", 180, 50), lop_given=True)
    app = GymApp(store, config)
    order: list[str] = []

    async def failing() -> None:
        raise ValueError("a handler failed")

    try:
        with pytest.raises(WorkerFailed, match="a handler failed"):  # run_test re-raises what Textual kept
            async with app.run_test(size=(120, 45)) as pilot:
                await wait_until(pilot, lambda: app.cuff_rig is not None)
                emergency = app.cuff_rig.runner.emergency
                # The ring of recent records is the process's: count only what this test adds.
                earlier = sum("a handler failed" in line for line in logs.recent_lines())

                def deflate(reason: str) -> None:
                    logged = sum("a handler failed" in line for line in logs.recent_lines()) - earlier
                    order.append(f"deflate ({reason}); records of it logged so far: {logged}")
                    emergency(reason)

                app.safety.remove(emergency)
                app.safety.add(deflate)
                app.run_worker(failing(), name="failing")
                await wait_until(pilot, lambda: app.crash is not None)
    finally:
        store.close()
    assert order == [
        "deflate (exception: WorkerFailed(\"Worker raised exception: ValueError('a handler failed')\")); records of it logged so far: 0"
    ]
    crash_records = [line for line in logs.recent_lines() if "a handler failed" in line]
    assert [line.split("\n")[0].split(" ", 4)[4] for line in crash_records] == ["the app failed"]
    assert isinstance(app.crash, ValueError)


def test_a_sub_command_that_crashes_exits_1_with_a_report(
    private_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gymtui.commands import plan

    def broken(args: object) -> int:
        raise KeyError("week 13")

    monkeypatch.setattr(plan, "run", broken)
    try:
        assert cli.main(["plan"]) == 1
    finally:
        logs.shutdown()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    match = re.fullmatch(r"gymtui: crashed \(KeyError: 'week 13'\); report written to (.+)", err[0])
    assert match, err
    text = Path(match[1]).read_text(encoding="utf-8")
    assert "command: gymtui plan" in text and "in broken" in text and "KeyError: 'week 13'" in text
    assert "gymtui crashed" in text.split("log records (oldest first):", 1)[1]


# -- (c) where the log is, and its level ------------------------------------------------


def test_log_path_prints_the_file_under_xdg_state_home(private_home: Path) -> None:
    done = run_cli("--log-path")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{log_dir_of(private_home) / 'gymtui.log'}\n"


def test_log_level_reaches_sub_commands(tmp_path: Path, private_home: Path) -> None:
    log_file = log_dir_of(private_home) / "gymtui.log"
    quiet = run_cli("plan", "--db", str(tmp_path / "a.db"))
    assert quiet.returncode == 0, quiet.stderr
    assert not log_file.exists() or "started" not in log_file.read_text(encoding="utf-8")
    chatty = run_cli("--log-level", "INFO", "plan", "--db", str(tmp_path / "a.db"))
    assert chatty.returncode == 0, chatty.stderr
    found = [m for m, _ in records(log_file.read_text(encoding="utf-8")) if m["level"] == "INFO"]
    assert [m["msg"] for m in found] == [f"gymtui 0.1.0 started: --log-level INFO plan --db {tmp_path / 'a.db'}"]
    wrong = run_cli("--log-level", "chatty", "plan")
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1


# -- (d) an unwritable log folder: one line, and the command works ----------------------


def test_an_unwritable_log_folder_is_one_line_and_the_command_still_works(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    normal = run_cli("plan", "--db", str(db))
    assert normal.returncode == 0 and normal.stderr == ""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be\n")  # refused even to root
    done = run_cli("plan", "--db", str(db), env={"XDG_STATE_HOME": str(blocker)})
    assert done.returncode == 0
    assert done.stdout == normal.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0] == f"gymtui: cannot write the log in {blocker / 'gymtui' / 'log'} (Not a directory); going on without a log file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0500 folder anyway; the file-in-the-way case covers root")
def test_a_read_only_log_folder_is_one_line(tmp_path: Path, private_home: Path) -> None:
    state = private_home / "state"
    state.chmod(0o500)
    try:
        done = run_cli("plan", "--db", str(tmp_path / "gym.db"))
    finally:
        state.chmod(0o700)
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and "Permission denied" in done.stderr


# -- (e) hostile strings are data: kept, never raw ----------------------------------------


def test_control_characters_in_a_logged_device_name_do_not_reach_the_file(configured: logs.LogSetup) -> None:
    import logging

    name = "Myo\x1b]0;pwned\x07\x1b[2J\x00\x9b31m\u202eevil\n2020-01-01T00:00:00.000+00:00 CRITICAL gymtui forged [x] hi"
    logging.getLogger("gymtui.adapters.ble").warning("%s: firmware revision unreadable", name)
    assert logs.flush(5.0)
    text = configured.path.read_text(encoding="utf-8")
    assert not [c for c in text if c != "\n" and not c.isprintable()], "a control character reached the log"
    found = records(text)  # also: every line is a record header or indented, so the forged line is not a record
    assert [(m["level"], m["logger"], m["msg"]) for m, _ in found] == [
        ("WARNING", "gymtui.adapters.ble", "Myo\ufffd]0;pwned\ufffd\ufffd[2J\ufffd\ufffd31m\ufffdevil")
    ]
    assert found[0][1] == ["  2020-01-01T00:00:00.000+00:00 CRITICAL gymtui forged [x] hi: firmware revision unreadable"]


# -- warnings and thread exceptions reach the log; the cuff's hook still runs first ------

HOOKS = textwrap.dedent(
    """
    import threading
    import warnings

    from gymtui import logs
    from gymtui.bfr.safety import ProcessSafety

    logs.configure("warning")
    deflated = []
    safety = ProcessSafety()
    safety.add(lambda reason: deflated.append((reason, len(logs.recent_lines()))))
    safety.install()  # chains threading.excepthook on top of the log's hook
    warnings.warn("an old API", DeprecationWarning, stacklevel=1)

    def fail():
        raise ZeroDivisionError("in a worker")

    thread = threading.Thread(target=fail, name="sensor-reader")
    thread.start()
    thread.join()
    safety.uninstall()
    assert logs.flush(5.0)
    print(deflated)
    """
)


def test_warnings_and_thread_exceptions_reach_the_log_after_the_cuff_deflates(tmp_path: Path, private_home: Path) -> None:
    script = tmp_path / "hooks.py"
    script.write_text(HOOKS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-W", "always", str(script)],
        check=False, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    # The deflater ran first, when the log held only the warning (not yet the thread's exception).
    assert done.stdout.strip() == "[(\"exception in thread sensor-reader: ZeroDivisionError('in a worker')\", 1)]"
    assert "ZeroDivisionError" in done.stderr  # the default hook still prints it
    found = records((log_dir_of(private_home) / "gymtui.log").read_text(encoding="utf-8"))
    assert [(m["level"], m["logger"], m["thread"]) for m, _ in found] == [
        ("WARNING", "py.warnings", "MainThread"),
        ("CRITICAL", "gymtui", "sensor-reader"),
    ]
    assert "DeprecationWarning: an old API" in found[0][0]["msg"]
    assert found[1][0]["msg"] == "uncaught exception in thread sensor-reader"
    assert found[1][1][-1] == "  ZeroDivisionError: in a worker"


def test_the_file_rotates_and_every_file_stays_private(private_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    monkeypatch.setattr(logs, "MAX_BYTES", 4_000)
    setup = logs.configure("info")
    try:
        worker = logging.getLogger("gymtui.signal.worker")
        for i in range(400):
            worker.info("frame %d took longer than its budget", i)
        assert logs.flush(5.0)
    finally:
        logs.shutdown()
    assert setup.path is not None
    files = sorted(setup.path.parent.glob("gymtui.log*"))
    assert [f.name for f in files] == ["gymtui.log", *(f"gymtui.log.{n}" for n in range(1, logs.BACKUP_COUNT + 1))]
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {"0o600"}
    assert all(f.stat().st_size <= 4_000 for f in files)
    newest = [m["msg"] for m, _ in records(setup.path.read_text(encoding="utf-8"))]
    assert newest[-1] == "frame 399 took longer than its budget"


def test_the_log_and_the_crash_report_import_no_textual() -> None:
    """They run before the app and after it has gone (and for every sub-command): no Textual, Rich or bleak."""
    code = "import sys, gymtui.logs, gymtui.crash; print(sorted({'textual', 'rich', 'bleak'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=dict(os.environ)
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr
