"""In tmux, as a coach lives it: ``gymtui --demo --athlete Ana``, three sets, then ``a`` and a new athlete Ben.

The real app in a real terminal multiplexer: keys go in with ``tmux
send-keys``, the screen is read with ``tmux capture-pane``, and what was
stored is read from the SQLite file. Ben's plan starts at week 1 with the
day's first set; Ana's sets are exactly as they were. The tmux server is
private to the test (its own socket) and is ended by that socket.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from app_process import REPO_ROOT, query

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SPEED = "30"
SET_WALL_S = 180.0
"""Wall seconds one demo set may take on a loaded machine, Enter to home (alone: a few seconds)."""
SPACE_EVERY_S = 1.0
"""How often the athlete racks the bar (Space) while a set runs: 30 simulated seconds at x30."""


class Tmux:
    """One private tmux server (its own socket) running one gymtui window of 120×80 (the whole home screen)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gt"))  # a socket path must be short
        self.socket = str(self.dir / "s")
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # COLUMNS and LINES (set under pytest) would override the pane's size for Textual.
        shell = f"env -u COLUMNS -u LINES {exports} {shlex.join(command)}; echo EXITED $?; sleep 600"
        self.tmux("new-session", "-d", "-x", "120", "-y", "80", "-s", "gym", shell)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0 and args[0] != "kill-server":
            raise AssertionError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "gym")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "gym", *keys)

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float, what: str, *, while_waiting: Callable[[], None] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}; screen:\n{self.screen()}")
            if while_waiting is not None:
                while_waiting()
            time.sleep(0.1)

    def close(self) -> None:
        self.tmux("kill-server")
        shutil.rmtree(self.dir, ignore_errors=True)


def athlete_id(db: Path, name: str) -> int | None:
    found = query(db, "SELECT id FROM athletes WHERE name = ?", (name,))
    return int(found[0][0]) if found else None


def sets_of(db: Path, name: str) -> list[tuple[object, ...]]:
    return query(
        db,
        "SELECT s.id, s.session_id, s.exercise, s.set_number, s.status, s.activation_rating, s.calibration_id, "
        "s.started_at, s.ended_at FROM sets s JOIN athletes a ON a.id = s.athlete_id WHERE a.name = ? ORDER BY s.id",
        (name,),
    )


def next_set_line(screen: str) -> str:
    return next((line.strip() for line in screen.splitlines() if "Next set:" in line), "")


@pytest.mark.timeout(900)
def test_in_tmux_ana_trains_three_sets_then_a_new_athlete_ben_starts_at_week_1_and_anas_history_is_untouched(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gym.db"
    env = {k: v for k, v in os.environ.items() if k.startswith(("XDG_", "GYMTUI_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    tmux = Tmux([sys.executable, "-m", "gymtui", "--demo", "--athlete", "Ana", "--speed", SPEED, "--db", str(db)], env)
    last_space = [0.0]

    def rack_the_bar() -> None:
        if time.monotonic() - last_space[0] >= SPACE_EVERY_S:
            last_space[0] = time.monotonic()
            tmux.keys("Space")

    def at_home(name: str) -> bool:
        screen = tmux.screen()
        return f"gymtui · {name} (a: switch athlete)" in screen and "q Quit" in screen and "Next set:" in screen

    try:
        tmux.wait_for(lambda: at_home("Ana") and "connecting" not in tmux.screen(), 90, "Ana's home screen, sensor on")
        ana_first = next_set_line(tmux.screen())
        assert "set 1 of" in ana_first, ana_first
        for n, rating in enumerate(("6", "7", "8"), start=1):
            tmux.wait_for(lambda: at_home("Ana"), 60, f"the home screen before set {n}")
            tmux.keys("Enter")
            tmux.wait_for(lambda n=n: len(sets_of(db, "Ana")) == n, 60, f"set {n} to start")
            tmux.wait_for(lambda: "Set complete" in tmux.screen(), SET_WALL_S, f"the rating after set {n}",
                          while_waiting=rack_the_bar)
            tmux.keys(rating)
            tmux.wait_for(lambda n=n, r=rating: sets_of(db, "Ana")[n - 1][5] == int(r), 60, f"set {n}'s rating stored")
            tmux.wait_for(lambda: at_home("Ana"), 60, f"the home screen after set {n}", while_waiting=rack_the_bar)
        ana_before = sets_of(db, "Ana")
        assert [(s[4], s[5]) for s in ana_before] == [("completed", 6), ("completed", 7), ("completed", 8)]

        tmux.keys("a")
        tmux.wait_for(lambda: "Who trains now?" in tmux.screen(), 30, "the athletes screen")
        assert "▶ Ana" in tmux.screen()
        tmux.keys("n")
        tmux.wait_for(lambda: "New athlete's name" in tmux.screen(), 30, "the name prompt")
        tmux.keys("Ben", "Enter")
        tmux.wait_for(lambda: at_home("Ben") and "Week 1 of 4" in tmux.screen(), 60, "Ben's home screen at week 1")
        assert next_set_line(tmux.screen()) == ana_first, "Ben starts the day at its first set"
        assert "Recent:" not in tmux.screen(), "none of Ana's sets on Ben's home"
        tmux.keys("q")
        tmux.wait_for(lambda: "EXITED 0" in tmux.screen(), 60, "gymtui to quit with status 0")
    finally:
        tmux.close()

    assert sets_of(db, "Ana") == ana_before, "Ana's sets are exactly as they were"
    assert sets_of(db, "Ben") == []
    ben = athlete_id(db, "Ben")
    assert ben is not None
    assert len(query(db, "SELECT id FROM plans WHERE athlete_id = ?", (ben,))) == 1, "Ben's own plan, from today"
    assert query(db, "SELECT count(*) FROM athletes")[0][0] == 2, "Ana and Ben, no one else"
    # The next start opens on Ben, the athlete used last.
    last = query(db, "SELECT athlete_id FROM athlete_flags WHERE key = 'last_used' ORDER BY set_at DESC LIMIT 1")
    assert last == [(ben,)]
