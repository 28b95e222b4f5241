"""``gymtui --lsl`` on the command line: where LSL cannot load, one line says what is missing and the app trains on.

Two machines the app meets: a Raspberry Pi, where pylsl's aarch64 wheel
carries no liblsl (here: ``PYLSL_LIB`` names a file that is not a library,
which pylsl tries first, so its ``ctypes`` load fails as a wrong or missing
binary would), and a machine without the extra (pylsl hidden from the
import system). The real CLI runs on a pty; the line is read off the
terminal, and a set started with Enter stores its phases.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from app_process import phases_of
from terminal import PtyApp

HIDE_PYLSL = (
    "import sys; sys.modules['pylsl'] = None; sys.argv[0] = 'gymtui'; "
    "from gymtui.cli import main; raise SystemExit(main())"
)
"""``python -c``: gymtui with pylsl unimportable (a ``None`` in ``sys.modules`` raises ModuleNotFoundError)."""

ARGS = ("--demo", "--speed", "20", "--lsl")


def run_a_set_and_read_the_line(app: PtyApp, db: Path, expected: re.Pattern[bytes]) -> None:
    app.wait_for(lambda: expected.search(app.output) is not None, 60, "the one line saying why LSL is off")
    app.wait_for(lambda: b"Enter" in app.output, 60, "the home screen")
    app.write(b"\r")
    app.wait_for(lambda: len(phases_of(db)) >= 1, 90, "a set started with Enter to store its first phase")
    assert app.proc.poll() is None, "the app runs on without LSL"
    # Said on stderr before the app took the screen, then inside the app (its toast and home screen).
    assert app.output.count(b"LSL is off") >= 2


@pytest.mark.timeout(180)
def test_lsl_without_liblsl_says_so_in_one_line_and_a_set_runs(tmp_path: Path) -> None:
    not_a_library = tmp_path / "liblsl.so"
    not_a_library.write_text("this is not a shared library\n")
    db = tmp_path / "gym.db"
    env = {**os.environ, "PYLSL_LIB": str(not_a_library)}
    machine = re.escape(os.uname().machine.encode())
    line = re.compile(rb"gymtui: LSL is off: liblsl did not load on " + machine + rb"; build liblsl [^\r\n]*PYLSL_LIB")
    with PtyApp([*ARGS, "--db", str(db)], env=env) as app:
        run_a_set_and_read_the_line(app, db, line)
        first = line.search(app.output)
        assert first is not None and b"\n" not in first.group(), "the reason is one line"


@pytest.mark.timeout(180)
def test_lsl_without_pylsl_says_how_to_install_it_and_a_set_runs(tmp_path: Path) -> None:
    db = tmp_path / "gym.db"
    line = re.compile(re.escape(b"gymtui: LSL is off: pylsl is not installed (pip install 'gymtui[lsl]')"))
    with PtyApp([*ARGS, "--db", str(db)], code=HIDE_PYLSL) as app:
        run_a_set_and_read_the_line(app, db, line)


@pytest.mark.parametrize("name", ["", "rack\x1b[31m2", "x" * 65])
def test_a_bad_stream_name_is_one_line_and_status_2(tmp_path: Path, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gymtui", "--db", str(tmp_path / "gym.db"), "--lsl", "--lsl-name", name],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "gymtui: error: argument --lsl-name: give 1-64 printable characters, e.g. rack2 (see gymtui --help)"
    ]
    assert not (tmp_path / "gym.db").exists(), "nothing was opened"
