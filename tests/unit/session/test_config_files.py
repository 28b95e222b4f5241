"""Broken user config files are one problem line each (file, line, key), never a traceback.

The athlete's ``exercises.toml``, ``gym.toml`` and ``templates/*.toml`` are
hand-edited. A file saved in the wrong encoding, a number out of any
plausible range or a table of the wrong shape must become a line naming the
file and what is wrong, shown by ``gymtui plan`` and on the app's home
screen, while the built-ins carry on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import repo_paths

from gymtui.app import AppConfig, GymApp
from gymtui.session.exercises import load_library
from gymtui.session.loads import GymConfig, load_gym_config, round_load
from gymtui.session.templates import load_templates
from gymtui.store import Store
from gymtui.text import safe_text
from gymtui.ui.screens.home import HomeScreen

REPO = repo_paths.REPO_ROOT
LATIN1_TEMPLATE = (
    '[template]\nname = "Beine"\nfocus = "lower"\n'
    '# Übungen für die Beine\n'  # saved as Latin-1: "Ü" is the single byte 0xDC
    '[[compound]]\nexercise = "back_squat"\n'
).encode("latin-1")
LATIN1_EXERCISES = '[exercise.back_squat]\nname = "Kniebeuge"\n# Gesäß\ncues = ["Gesäß fest"]\n'.encode("latin-1")


def config_dir() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "gymtui"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(name: str, data: str | bytes) -> Path:
    path = config_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def run_plan(db: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "gymtui", "plan", "--db", str(db), "--date", "2026-01-05"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


async def wait_until(pilot, predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s")
        await pilot.pause(0.05)


# -- files that are not UTF-8 ----------------------------------------------------------------


def test_a_template_that_is_not_utf8_is_a_problem_line_and_the_builtin_stays() -> None:
    path = write("templates/legs.toml", LATIN1_TEMPLATE)
    templates, problems = load_templates(load_library())
    assert problems == [f"{path}:4: not UTF-8 text (byte 0xdc); save the file as UTF-8"]
    assert templates["lower"].name == "Lower body"


def test_an_exercise_file_that_is_not_utf8_is_a_problem_line_and_the_builtins_stay() -> None:
    path = write("exercises.toml", LATIN1_EXERCISES)
    library = load_library()
    assert library.problems == [f"{path}:3: not UTF-8 text (byte 0xe4); save the file as UTF-8"]
    assert library.get("back_squat").name == "Back squat"


def test_plan_prints_each_non_utf8_file_as_one_line_and_still_prints_the_plan(tmp_path: Path) -> None:
    template = write("templates/legs.toml", LATIN1_TEMPLATE)
    exercises = write("exercises.toml", LATIN1_EXERCISES)
    done = run_plan(tmp_path / "gym.db")
    assert done.returncode == 0, done.stderr  # problems are reported; the plan goes on with the built-ins
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"gymtui: {exercises}:3: not UTF-8 text (byte 0xe4); save the file as UTF-8",
        f"gymtui: {template}:4: not UTF-8 text (byte 0xdc); save the file as UTF-8",
    ]
    assert done.stdout.startswith("Week 1 of 4")


async def test_the_home_screen_lists_broken_config_files(tmp_path: Path) -> None:
    template = write("templates/legs.toml", LATIN1_TEMPLATE)
    exercises = write("exercises.toml", LATIN1_EXERCISES)
    gym = write("gym.toml", "[gym]\nbar_kg = 20\nplate_pairs = [1000000000]\n")
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=False, athlete="Athlete"))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None))
        problems = app.screen.query_one("#home-config-problems")
        assert problems.display
        # Each line is capped as every outside text is (the temporary path's length varies with pytest's run counter).
        assert str(problems.render()).splitlines() == [
            f"⚠ {safe_text(line)}" for line in (
                f"{exercises}:3: not UTF-8 text (byte 0xe4); save the file as UTF-8",
                f"{gym}:3: gym.plate_pairs[1] must be a whole number from 0 to 20, got 1000000000; using the default plates",
                f"{template}:4: not UTF-8 text (byte 0xdc); save the file as UTF-8",
            )
        ]
        assert "using the default plat" in str(problems.render())
        assert "Next set: Glute bridge" in str(app.screen.query_one("#home-next").render())
        await app.shutdown()


async def test_the_home_screen_shows_no_problem_line_when_the_files_are_fine(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    app = GymApp(store, AppConfig(demo=False, athlete="Athlete"))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and getattr(app.screen, "info", None))
        assert not app.screen.query_one("#home-config-problems").display
        await app.shutdown()


# -- numbers out of range ----------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_billion_plate_pairs_is_refused_without_a_big_allocation(tmp_path: Path) -> None:
    path = write("gym.toml", "[gym]\nbar_kg = 20\nplate_pairs = [1000000000]\n")
    tracemalloc.start()
    try:
        gym, problems = load_gym_config()
        load = round_load(142.5, "barbell", gym)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems == [
        f"{path}:3: gym.plate_pairs[1] must be a whole number from 0 to 20, got 1000000000; using the default plates"
    ]
    assert gym == GymConfig()
    assert load.kg == 142.5 and load.plates_per_side == (25.0, 20.0, 15.0, 1.25)
    assert peak < 5_000_000, f"{peak} bytes allocated"


@pytest.mark.timeout(120)
def test_plan_with_a_billion_plate_pairs_says_so_and_uses_the_default_plates(tmp_path: Path) -> None:
    gym = write("gym.toml", "[gym]\nplate_pairs = [1000000000]\n")
    done = run_plan(tmp_path / "gym.db")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"gymtui: {gym}:2: gym.plate_pairs[1] must be a whole number from 0 to 20, got 1000000000; using the default plates"
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("bar_kg = 500", "3: gym.bar_kg must be a number from 0 to 50, got 500; using 20"),
        ("bar_kg = nan", "3: gym.bar_kg must be a number from 0 to 50, got nan; using 20"),
        ("machine_step_kg = 0", "3: gym.machine_step_kg must be a number from 0.25 to 25, got 0; using 5"),
        ("plates_kg = [20, 1000]", "3: gym.plates_kg[2] must be a number from 0.25 to 50, got 1000; using the default plates"),
        ("plates_kg = [20, 10]\nplate_pairs = [2]", "4: gym.plate_pairs must have one entry per plate in gym.plates_kg; using the default plates"),
        (f"plates_kg = [{', '.join(['1'] * 13)}]", "3: gym.plates_kg lists 13 plate sizes; at most 12; using the default plates"),
    ],
)
def test_an_out_of_range_gym_value_is_a_problem_line_with_file_line_and_key(body: str, problem: str) -> None:
    path = write("gym.toml", f"[gym]\ncable_step_kg = 2.5\n{body}\n")
    gym, problems = load_gym_config()
    assert problems == [f"{path}:{problem}"]
    assert (gym.bar_kg, gym.plates_kg, gym.plate_pairs, gym.machine_step_kg) == (
        20.0, GymConfig().plates_kg, GymConfig().plate_pairs, 5.0
    )


def test_a_gym_file_whose_gym_is_not_a_table_is_a_problem_line() -> None:
    path = write("gym.toml", "gym = 5\n")
    assert load_gym_config() == (GymConfig(), [f"{path}:1: gym must be a table ([gym]); using the default bar and plates"])


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("rest_s = 100000", "exercise.back_squat.rest_s must be a whole number from 10 to 600, got 100000"),
        ("hold_s = inf", "exercise.back_squat.hold_s must be a number from 1 to 60, got inf"),
        ("hold_s = 0.01", "exercise.back_squat.hold_s must be a number from 1 to 60, got 0.01"),
    ],
)
def test_an_out_of_range_exercise_value_is_a_problem_line_and_the_builtin_stays(line: str, problem: str) -> None:
    path = write("exercises.toml", f'[exercise.back_squat]\nname = "My squat"\n{line}\n')
    library = load_library()
    assert library.problems == [f"{path}:3: {problem}"]
    assert library.get("back_squat").name == "Back squat" and library.get("back_squat").rest_s == 180


TEMPLATE_HEAD = '[template]\nname = "My legs"\nfocus = "lower"\n'


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        # A billion holds per drill would be a billion phases: refused before any is built.
        ('[activation]\ndrills = ["quad_set"]\nreps = 1000000000\n[[compound]]\nexercise = "back_squat"\n',
         "6: activation.reps: must be a whole number from 1 to 20, got 1000000000"),
        ('[[compound]]\nexercise = "back_squat"\n[[accessory]]\nexercise = "leg_extension"\nsets = 10000\n',
         "8: accessory.sets: must be a whole number from 1 to 10, got 10000"),
        ('[[compound]]\nexercise = "back_squat"\n[eccentric_only]\nexercise = "leg_extension"\npct_1rm = 400\n',
         "8: eccentric_only.pct_1rm: must be a number from 1 to 120, got 400"),
        ('[[compound]]\nexercise = "back_squat"\n[bfr]\nexercise = "leg_extension"\nrest_s = nan\n',
         "8: bfr.rest_s: must be a number from 5 to 600, got nan"),
        ('[[compound]]\nexercise = "back_squat"\n[bfr]\nexercise = "leg_extension"\nreps = [30, 15, 15, 100000]\n',
         "8: bfr.reps[4]: must be a whole number from 1 to 50, got 100000"),
        ('[prefatigue]\nrir = [2]\n[[compound]]\nexercise = "back_squat"\n',
         "5: prefatigue.rir: must be two whole numbers [fewest, most] from 0 to 10, got [2]"),
        ('[[compound]]\nexercise = "back_squat"\nsets = 2.5\n',
         "6: compound.sets: must be a whole number from 1 to 10, got 2.5"),
        ('[compound]\nexercise = "back_squat"\n',
         "4: compound must be a list of tables ([[compound]])"),
        ('[[compound]]\nsets = 4\n',
         "4: compound needs an exercise"),
        ('[[finisher]]\nexercise = "lying_leg_curl"\n[[compound]]\nexercise = "back_squat"\n',
         "4: finisher must be a table ([finisher])"),
    ],
)
def test_an_out_of_range_or_misshapen_template_is_a_problem_line_and_the_builtin_stays(body: str, problem: str) -> None:
    path = write("templates/legs.toml", TEMPLATE_HEAD + body)
    library = load_library()
    templates, problems = load_templates(library)
    assert problems == [f"{path}:{problem}"]
    assert templates["lower"].name == "Lower body"


def test_the_home_screen_lists_five_problems_then_counts_the_rest() -> None:
    from gymtui.ui.screens.home import problem_lines

    problems = [f"/x/exercises.toml:{n}: exercise.a\x1b[2J.rest_s must be …" for n in range(1, 8)]
    lines = problem_lines(problems).splitlines()
    assert lines[0] == "⚠ /x/exercises.toml:1: exercise.a\ufffd[2J.rest_s must be …"
    assert len(lines) == 6 and lines[-1] == "⚠ … and 2 more: run `gymtui plan` to see them all"
