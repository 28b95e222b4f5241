"""Hostile strings from a device or a user file are shown as text: no markup, no terminal control.

Each test sends one hostile string down one real path (the emulated radio,
the user's ``exercises.toml`` or ``paired.toml``, the database) and reads
what the screen or the command line shows: Rich markup verbatim, control
characters as U+FFFD, a 10 kB name cut to one readable line, and nothing
raised on the way.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import repo_paths
from program_log import log_session
from textual.app import App
from textual.widgets import DataTable, Label, OptionList, Static
from textual.widgets._toast import Toast

from gymtui.app import AppConfig, GymApp
from gymtui.cli import main
from gymtui.store import Store
from gymtui.ui.screens.home import HomeScreen
from gymtui.ui.screens.rating import RatingScreen
from gymtui.ui.screens.set_screen import SetScreen
from gymtui.ui.widgets.activation_bar import ActivationBar

REPO = repo_paths.REPO_ROOT

HOSTILE = "[bold]x[/] [/] [link=https://evil.example]y[/link] \x1b]0;pwned\x07\x1b[2J\x00z"
"""Rich markup (a tag, a bare close, a link), an OSC title change, a screen clear and a NUL."""
SHOWN = "[bold]x[/] [/] [link=https://evil.example]y[/link] \ufffd]0;pwned\ufffd\ufffd[2J\ufffdz"
"""What the athlete must see instead: every bracket kept, every control character replaced."""
HUGE = "N" * 10_000
HUGE_SHOWN = "N" * 199 + "…"
"""A 10 kB name becomes one 200-character line."""
CONTROLS = ("\x1b", "\x00", "\x07")


def toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` exactly (controls as \\u escapes)."""
    out = []
    for char in text:
        if char in '"\\' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def user_file(name: str, text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "gymtui" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def hostile_glute_bridge(name: str = HOSTILE, *, target: str = "Gluteus maximus", cue: str = "Squeeze") -> Path:
    """Week 1 day 1 starts with glute-bridge holds: give that drill a hostile name, target and cue."""
    return user_file(
        "exercises.toml",
        f"[exercise.glute_bridge_hold]\nname = {toml_string(name)}\ntarget = {toml_string(target)}\n"
        f"cues = [{toml_string(cue)}]\n",
    )


def rendered(widget) -> str:
    return str(widget.render())


def screen_text(app: App) -> str:
    """Every character the terminal would be sent for the current screen, toasts included."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_no_controls(text: str) -> None:
    for char in CONTROLS:
        assert char not in text, f"{char!r} reached the screen"


async def wait_until(pilot, predicate, timeout_s: float = 30.0, step_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s")
        await pilot.pause(step_s)


def home_ready(app: GymApp) -> bool:
    return isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None) is not None


# -- the app --------------------------------------------------------------------------------


async def test_a_hostile_device_name_exercise_and_cue_show_as_text_on_the_set_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")
    from gymtui.emulation.peripherals import EMULATORS

    monkeypatch.setattr(EMULATORS["myo"], "default_name", HOSTILE)  # what the sensor advertises over the air
    hostile_glute_bridge(target=HOSTILE + " muscle", cue=HOSTILE + " cue")
    store = Store(tmp_path / "gym.db")
    # Speed 2: the set's six holds outlast every check below, even on a busy machine.
    app = GymApp(store, AppConfig(demo=True, speed=2.0, athlete="Demo athlete", emulate="myo"))
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: home_ready(app) and app.signal is not None)
        await wait_until(pilot, lambda: "pwned" in rendered(app.screen.query_one("#home-athlete")))
        assert f"sensor: {SHOWN} (emulated) (Thalmic Labs Myo" in rendered(app.screen.query_one("#home-athlete"))
        await pilot.press("enter")  # used to raise MarkupError here: the status line names the sensor
        await wait_until(pilot, lambda: isinstance(app.screen, SetScreen))
        screen = app.screen
        status = rendered(screen.query_one("#set-status"))
        assert status.startswith(f"{SHOWN} (emulated) (Thalmic Labs Myo")
        assert rendered(screen.query_one("#set-title")).startswith(f"{SHOWN} · set 1 of")
        assert screen.query_one("#bar-0", ActivationBar).render_line(0).text.startswith(SHOWN[:17])
        await wait_until(pilot, lambda: "cue" in rendered(screen.query_one("#cue")), step_s=0.02)
        assert f"{SHOWN} cue" in rendered(screen.query_one("#cue"))
        assert_no_controls(screen_text(app))
        await screen.run_action("drop_link")
        await wait_until(pilot, lambda: "RECONNECTING" in rendered(screen.query_one("#set-status")), step_s=0.02)
        assert f"RECONNECTING ({SHOWN} (emulated) (Thalmic Labs Myo armband)) · the set goes on" in rendered(screen.query_one("#set-status"))
        assert_no_controls(screen_text(app))
        await app.shutdown()  # aborts the set
    [row] = store.db["sets"].rows
    assert row["exercise"] == HOSTILE, "the log keeps what the file says; only the screen is made safe"


async def test_an_exercise_name_with_markup_is_text_on_the_rating_screen_and_home(tmp_path: Path) -> None:
    hostile_glute_bridge()
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=False, speed=20.0, athlete="Athlete"))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: home_ready(app))
        assert rendered(app.screen.query_one("#home-next")).startswith(f"Next set: {SHOWN} · set 1 of")
        assert f"No rating yet for {SHOWN}" == rendered(app.screen.query_one("#home-last"))
        assert f"▸ {SHOWN} · set 1 of" in rendered(app.screen.query_one("#plan-sets"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen) and bool(app.screen.query("#rating-question")))  # used to raise MarkupError
        question = rendered(app.screen.query_one("#rating-question"))
        assert question == f"How well did you feel the target working in {SHOWN}?  Press 1–9, or 0 for 10."
        assert_no_controls(screen_text(app))
        await pilot.press("7")
        await pilot.press("space")  # skip the rest
        await wait_until(pilot, lambda: home_ready(app) and "Recent" in rendered(app.screen.query_one("#home-recent")))
        recent = rendered(app.screen.query_one("#home-recent"))
        assert f" {SHOWN}: completed, rated 7" in recent
        assert_no_controls(screen_text(app))
        await app.shutdown()


async def test_a_10kb_exercise_name_is_one_cut_line_on_the_rating_screen(tmp_path: Path) -> None:
    hostile_glute_bridge(HUGE)
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=False, speed=20.0, athlete="Athlete"))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: home_ready(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen) and bool(app.screen.query("#rating-question")))
        question = rendered(app.screen.query_one("#rating-question"))
        assert question == f"How well did you feel the target working in {HUGE_SHOWN}?  Press 1–9, or 0 for 10."
        await pilot.press("escape")
        await app.shutdown()


async def test_an_interrupted_set_with_a_hostile_name_is_listed_and_rated_as_text(tmp_path: Path) -> None:
    path = tmp_path / "gym.db"
    store = Store(path)
    athlete = store.ensure_athlete("Athlete")
    store.start_set(athlete, HOSTILE, "test")  # a process died mid-set: the next start finds it in progress
    store.close()
    store = Store(path)
    app = GymApp(store, AppConfig(demo=False, athlete="Athlete"))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: home_ready(app) and app.screen.query_one("#home-interrupted", OptionList).option_count)
        option = app.screen.query_one("#home-interrupted", OptionList).get_option_at_index(0)
        assert f"  {SHOWN}  (0 phases saved)" in str(option.prompt)
        assert_no_controls(screen_text(app))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RatingScreen) and bool(app.screen.query("#rating-question")))
        assert f"working in {SHOWN}?" in rendered(app.screen.query_one("#rating-question"))
        assert_no_controls(screen_text(app))
        await pilot.press("4")
        await wait_until(pilot, lambda: store.get_set(1)["activation_rating"] == 4)
        await app.shutdown()


async def test_notifications_show_their_message_as_text(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=False, athlete="Athlete"))
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: home_ready(app))
        app.notify(f"emulated myo: {HOSTILE}", severity="error", timeout=30)  # as sensors.py reports a failure
        app.screen.notify(HUGE, title=HOSTILE, timeout=30)  # a widget's notify goes through the app's
        await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 2)
        first, second = (rendered(toast) for toast in app.screen.query(Toast))
        assert first == f"emulated myo: {SHOWN}"
        assert second == f"{SHOWN}\n{HUGE_SHOWN}"
        assert_no_controls(screen_text(app))
        await app.shutdown()


async def test_history_screens_show_hostile_exercise_and_muscle_names_as_text(tmp_path: Path) -> None:
    from gymtui.services.history import load_history, load_set_detail, sets_of_session
    from gymtui.ui.screens.history import HistoryScreen, SetDetailScreen

    store = Store(tmp_path / "gym.db")
    athlete = store.ensure_athlete()
    session = log_session(store, athlete, dt.date(2026, 1, 5), [{"exercise": HOSTILE, "load_kg": 40.0, "reps": 8, "activation_rating": 6}])
    set_id = store.session_sets(session)[0]["set_id"]
    store.record_phase(set_id, 0, "reps", HOSTILE, planned_s=None, started_at="2026-01-05T10:00:00+00:00", duration_s=30.0, ended_by="athlete", peak_pct_mvc=60.0)
    store.update_set(set_id, {"channels": [{"muscle": HOSTILE, "role": "target"}]})
    store.append_signal(set_id, 0, 0.0, 1000.0, np.ones((2000, 1), dtype=np.float32))
    data = load_history(store, athlete, today=dt.date(2026, 1, 6))
    screen = HistoryScreen(data, lambda sid: sets_of_session(store, sid), lambda sid: load_set_detail(store, sid))

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = Host()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert rendered(screen.query_one("#exercise-title", Label)) == SHOWN
        assert str(screen.query_one("#exercise-list", OptionList).get_option_at_index(0).prompt) == SHOWN
        assert_no_controls(screen_text(app))
        await pilot.press("s")
        table = screen.query_one("#session-table", DataTable)
        table.focus()
        await pilot.press("enter")
        listing = screen.query_one("#session-sets", OptionList)
        await wait_until(pilot, lambda: listing.option_count == 1)
        assert str(listing.get_option_at_index(0).prompt).startswith(f"{SHOWN} · 40 kg × 8")
        assert_no_controls(screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SetDetailScreen))
        detail = app.screen
        assert rendered(detail.query_one("#set-title", Label)).startswith(f"{SHOWN} · 40 kg × 8")
        assert rendered(detail.query_one("#envelope-label", Label)) == f"Envelope: {SHOWN}"
        assert str(detail.query_one("#phase-table", DataTable).get_row_at(0)[1]) == SHOWN
        assert_no_controls(screen_text(app))
    store.close()


async def test_the_cuff_panel_shows_its_message_as_text() -> None:
    """A cuff alarm can carry a device's words (its name, its error): the panel shows them as text."""
    from gymtui.bfr.events import AlarmLevel, CuffState, CuffView
    from gymtui.bfr.rules import Limb
    from gymtui.ui.widgets.cuff_panel import CuffPanel

    class Host(App[None]):
        def compose(self):
            yield CuffPanel(id="cuff-panel")

    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(CuffPanel)
        panel.view = CuffView(
            limb=Limb.ARM, lop_mmhg=180.0, target_pct=50.0, target_mmhg=None, band_mmhg=None, ceiling_mmhg=240.0,
            pressure_mmhg=None, pct_lop=None, state=CuffState.LINK_LOST, commanded_mmhg=0.0, continuous_s=0.0,
            exercise=HOSTILE, exercise_s=0.0, exercise_cap_s=600.0, session_s=0.0, session_cap_s=1200.0,
            level=AlarmLevel.RELEASE_BY_HAND, message=f"cuff {HOSTILE} lost", alarm_seq=0, link_ok=False,
            rest_deflate=True,
        )
        await pilot.pause()
        assert rendered(panel.query_one("#cuff-message", Static)) == f"cuff {SHOWN} lost"
        assert_no_controls(screen_text(app))


# -- the command line ----------------------------------------------------------------------


def test_scan_prints_a_hostile_advertised_name_as_text(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")
    from gymtui.emulation.peripherals import EMULATORS

    monkeypatch.setattr(EMULATORS["myo"], "default_name", HOSTILE)
    assert main(["scan", "--emulate", "myo", "--timeout", "0.3"]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.startswith("E0:")]
    assert f"87%  {SHOWN} myo" in row
    assert_no_controls(out)


def test_pairing_a_hostile_name_prints_text_and_stores_a_readable_file(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("bumble", reason="bumble (the 'emulate' extra) runs the emulated BLE peripheral")
    from gymtui.adapters.pairing import PairedDevices
    from gymtui.emulation.peripherals import EMULATORS

    name = HOSTILE + " 💪\x7f"  # an emoji and DEL: the paired file must still be valid TOML
    monkeypatch.setattr(EMULATORS["myo"], "default_name", name)
    assert main(["scan", "--emulate", "myo", "--timeout", "0.3", "--pair", "E0:5A:00:00:00:01"]) == 0
    out = capsys.readouterr().out
    assert f"Paired E0:5A:00:00:00:01 ({SHOWN} 💪\ufffd) as myo." in out
    assert_no_controls(out)
    stored = PairedDevices.load()
    assert stored.problem is None and [d.name for d in stored] == [name]


def test_scan_list_prints_hostile_and_huge_names_from_paired_toml_as_text(capsys) -> None:
    user_file(
        "paired.toml",
        f'[[device]]\naddress = "E0:5A:00:00:00:01"\nprofile = "myo"\nname = {toml_string(HOSTILE)}\n\n'
        f'[[device]]\naddress = "E0:5A:00:00:00:02"\nprofile = {toml_string(HOSTILE)}\nname = "{HUGE}"\n',
    )
    assert main(["scan", "--list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"E0:5A:00:00:00:01  myo                    {SHOWN}"
    assert lines[1].startswith(f"E0:5A:00:00:00:02  {SHOWN} {HUGE_SHOWN}")
    assert max(len(line) for line in lines) < 400
    assert_no_controls(out)


def test_plan_prints_hostile_and_huge_exercise_names_from_the_users_file_as_text(tmp_path: Path) -> None:
    hostile_glute_bridge()
    user_file(
        "exercises.toml",
        (Path(os.environ["XDG_CONFIG_HOME"]) / "gymtui" / "exercises.toml").read_text()
        + f'\n[exercise.quad_set]\nname = "{HUGE}"\n',
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "gymtui", "plan", "--db", str(tmp_path / "gym.db"), "--date", "2026-01-05"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert f"activation     {SHOWN} · set 1 of" in out
    assert f"activation     {HUGE_SHOWN}\n" in out  # the name fills the line's 200 characters
    assert max(len(line) for line in out.splitlines()) < 400
    assert_no_controls(out + done.stderr)
