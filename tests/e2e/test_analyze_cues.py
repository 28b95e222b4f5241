"""``gymtui simulate`` → ``gymtui analyze --cues``: the simulator's scenarios replayed through the live chain.

The pulldown-compensation scenario is an MVC, 15 s of reps as the athlete
usually does them (biceps and rear delts doing the lats' work) and, after a
rest, 15 s of reps focused on the lats. Replayed with the lat pulldown's
rules, the compensation cue must fire during the habitual reps and never
during the focused ones; the times are checked against the scenario's own
segment times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import repo_paths

from gymtui.sim.scenarios import get_scenario

REPO_ROOT = repo_paths.REPO_ROOT
SCENARIO = "pulldown-compensation"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymtui", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


def one_line_exit_2(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("gymtui analyze: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def pulldown_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "pulldown.csv"
    done = run_cli("simulate", "--scenario", SCENARIO, "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def pulldown_report(pulldown_csv: Path) -> dict:
    done = run_cli("analyze", str(pulldown_csv), "--exercise", "lat_pulldown", "--cues", "--json")
    assert done.returncode == 0, done.stderr
    report: dict = json.loads(done.stdout)
    return report


def segment(name: str) -> tuple[float, float]:
    for start_s, end_s, seg in get_scenario(SCENARIO).timeline():
        if seg.name == name:
            return start_s, end_s
    raise KeyError(name)


def test_compensation_cues_fire_in_the_habitual_reps_and_none_in_the_focused_reps(pulldown_report: dict) -> None:
    report = pulldown_report
    # Muscles matched by name from the CSV's <muscle>_uv columns, in the file's order.
    assert [(c["muscle"].casefold(), c["role"]) for c in report["channels"]] == [
        ("latissimus dorsi", "target"),
        ("biceps brachii", "synergist"),
        ("posterior deltoid", "synergist"),
        ("triceps brachii", "antagonist"),
    ]
    # The MVC came from the scenario's MVC segment (0–3 s), found from activity.
    mvc_start, mvc_end = segment("mvc")
    assert report["mvc_source"].startswith("calibration segment")
    calibration = [p for p in report["phases"] if p["kind"] == "calibration"]
    assert len(calibration) == 1
    assert abs(calibration[0]["start_s"] - mvc_start) < 0.3 and abs(calibration[0]["end_s"] - mvc_end) < 0.5

    habitual, focused = segment("reps-habitual"), segment("reps-focused")
    cues = report["cues"]
    assert cues, "no cue at all"
    assert all(set(c) >= {"t_s", "kind", "channel", "muscle", "text"} for c in cues)
    in_habitual = [c for c in cues if habitual[0] <= c["t_s"] <= habitual[1]]
    in_focused = [c for c in cues if focused[0] <= c["t_s"] <= focused[1]]
    assert in_habitual and all(c["kind"] == "compensation" for c in in_habitual)
    assert in_focused == []
    # The first cue comes within the first rep of the habitual block, not seconds later.
    assert in_habitual[0]["t_s"] - habitual[0] < 3.0
    # Every cue is in a work phase: none during the MVC or the rests.
    assert len(in_habitual) == len(cues)
    blamed = {c["muscle"].casefold() for c in in_habitual}
    assert blamed <= {"biceps brachii", "posterior deltoid", "latissimus dorsi"}


def test_the_text_report_lists_each_cue_with_its_time(pulldown_csv: Path, pulldown_report: dict) -> None:
    as_json = pulldown_report
    done = run_cli("analyze", str(pulldown_csv), "--exercise", "lat_pulldown", "--cues")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"{len(as_json['cues'])} cue(s)" in lines
    listed = [line for line in lines if " s  compensation" in line or " s  co_contraction" in line]
    assert [float(line.split(" s ")[0]) for line in listed] == [round(c["t_s"], 2) for c in as_json["cues"]]


def test_a_phase_column_gives_the_phases_and_the_mvc(tmp_path: Path, pulldown_csv: Path, pulldown_report: dict) -> None:
    """The scenario's own segment names as a phase column: the same cues as the phases found from activity."""
    timeline = get_scenario(SCENARIO).timeline()

    def label(t: float) -> str:
        return next(seg.name for start, end, seg in timeline if start - 1e-9 <= t < end - 1e-9)

    lines = pulldown_csv.read_text().splitlines()
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("\n".join([lines[0] + ",phase"] + [f"{line},{label(float(line.split(',', 1)[0]))}" for line in lines[1:]]) + "\n")
    done = run_cli("analyze", str(labelled), "--exercise", "lat_pulldown", "--cues", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["mvc_source"] == "calibration segment 0.00–3.00 s (the phase column)"
    assert [(p["start_s"], p["kind"]) for p in report["phases"]] == [
        (0.0, "calibration"), (3.0, "rest"), (8.0, "reps"), (23.0, "rest"), (31.0, "reps")
    ]
    habitual, focused = segment("reps-habitual"), segment("reps-focused")
    assert [c["kind"] for c in report["cues"] if habitual[0] <= c["t_s"] <= habitual[1]][:1] == ["compensation"]
    assert [c for c in report["cues"] if focused[0] <= c["t_s"] <= focused[1]] == []
    # The same first cue (muscle, rep) as when the phases were found from activity, within a frame or two of it.
    first, found = report["cues"][0], pulldown_report["cues"][0]
    assert (first["muscle"], first["rep"]) == (found["muscle"], found["rep"])
    assert abs(first["t_s"] - found["t_s"]) < 0.35


def test_an_unknown_exercise_is_one_line_and_exit_2(pulldown_csv: Path) -> None:
    one_line_exit_2(run_cli("analyze", str(pulldown_csv), "--exercise", "lat_pulldwn", "--cues"), "unknown exercise")


def test_muscles_that_are_not_the_exercise_are_one_line_and_exit_2(pulldown_csv: Path) -> None:
    one_line_exit_2(
        run_cli("analyze", str(pulldown_csv), "--exercise", "leg_extension", "--cues"),
        "do not include the exercise's target",
        "Vastus lateralis",
    )


def test_cues_without_an_exercise_and_an_exercise_without_cues_are_refused(pulldown_csv: Path) -> None:
    one_line_exit_2(run_cli("analyze", str(pulldown_csv), "--cues"), "--exercise")
    one_line_exit_2(run_cli("analyze", str(pulldown_csv), "--exercise", "lat_pulldown"), "--cues")


def test_an_mvc_for_the_wrong_number_of_channels_is_one_line_and_exit_2(pulldown_csv: Path) -> None:
    one_line_exit_2(
        run_cli("analyze", str(pulldown_csv), "--exercise", "lat_pulldown", "--cues", "--mvc", "300,400"),
        "2 MVC values for 4 channels",
    )


def test_a_recording_with_no_calibration_and_no_mvc_is_one_line_and_exit_2(tmp_path: Path, pulldown_csv: Path) -> None:
    """A stored set, or a file labelled with phases but no calibration rows, needs --mvc."""
    lines = pulldown_csv.read_text().splitlines()
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "\n".join([lines[0] + ",phase"] + [line + (",rest" if float(line.split(",", 1)[0]) < 8.0 else ",reps") for line in lines[1:]])
        + "\n"
    )
    one_line_exit_2(run_cli("analyze", str(labelled), "--exercise", "lat_pulldown", "--cues"), "--mvc")


def test_names_from_the_file_reach_the_terminal_only_as_text(tmp_path: Path, pulldown_csv: Path) -> None:
    """A muscle named with escape sequences in the header is shown, and never sent raw."""
    text = pulldown_csv.read_text()
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(text.replace("triceps_brachii_uv", "tri\x1b]0;pwned\x07ceps\x1b[31m_uv", 1))
    for extra in ((), ("--json",)):
        done = run_cli("analyze", str(hostile), "--exercise", "lat_pulldown", "--cues", *extra)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout
        assert "pwned" in done.stdout  # shown, as text


def test_a_braced_triceps_is_cued_in_the_curls_and_a_clean_curl_is_not(tmp_path: Path) -> None:
    """The simulator's co-contracting curler, replayed with the biceps curl's rules, and the clean control."""
    cued: dict[str, list[dict]] = {}
    for scenario in ("curl-cocontraction", "curl-clean"):
        csv = tmp_path / f"{scenario}.csv"
        assert run_cli("simulate", "--scenario", scenario, "--out", str(csv)).returncode == 0
        done = run_cli("analyze", str(csv), "--exercise", "biceps_curl", "--cues", "--json")
        assert done.returncode == 0, done.stderr
        cued[scenario] = json.loads(done.stdout)["cues"]
    reps = next((start, end) for start, end, seg in get_scenario("curl-cocontraction").timeline() if seg.name == "reps")
    braced = cued["curl-cocontraction"]
    assert braced and all(c["kind"] == "co_contraction" and c["muscle"] == "Triceps brachii" for c in braced)
    assert all(reps[0] <= c["t_s"] <= reps[1] for c in braced)
    assert braced[0]["t_s"] - reps[0] < 3.0  # in the first rep
    assert cued["curl-clean"] == []
