"""The replay's parts: gymtui simulate's CSV read back, muscles matched to an exercise, phases found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gymtui.model import MuscleRole
from gymtui.signal.recording import RecordingError
from gymtui.signal.replay import (
    ReplayError,
    is_simulate_csv,
    load_simulate_csv,
    match_muscles,
    phases_from_activity,
    phases_from_labels,
)
from gymtui.sim.scenarios import (
    block_rows,
    csv_formats,
    csv_header,
    get_scenario,
    stream_scenario,
)


def write_scenario(path: Path, name: str, rate_hz: float = 1000.0) -> None:
    scenario = get_scenario(name)
    with path.open("w") as fh:
        fh.write(",".join(csv_header(scenario)) + "\n")
        for block in stream_scenario(scenario, rate_hz=rate_hz, seed=1):
            np.savetxt(fh, block_rows(block), fmt=csv_formats(len(scenario.muscles)), delimiter=",")


def test_a_simulate_csv_reads_back_with_its_muscles_rate_and_signal(tmp_path: Path) -> None:
    path = tmp_path / "ramp.csv"
    write_scenario(path, "ramp")
    assert is_simulate_csv(path)
    rec = load_simulate_csv(path)
    assert rec.muscles == ("biceps brachii", "brachialis", "brachioradialis", "triceps brachii")
    assert rec.rate_hz == 1000.0 and rec.samples.shape == (11000, 4) and rec.phase is None
    assert np.allclose(rec.t_s[:3], [0.0, 0.001, 0.002])


def test_the_phase_column_gives_the_phases(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    rows = [f"{i / 100:.2f},{float(i)},{'mvc' if i < 100 else 'rest' if i < 200 else 'reps-habitual'}" for i in range(300)]
    path.write_text("t_s,latissimus_dorsi_uv,phase\n" + "\n".join(rows) + "\n")
    rec = load_simulate_csv(path)
    assert rec.rate_hz == 100.0 and rec.muscles == ("latissimus dorsi",)
    assert rec.phase is not None
    segments = phases_from_labels(rec.phase, rec.t_s)
    assert [s.kind for s in segments] == ["calibration", "rest", "reps"]
    assert [(s.start_s, s.end_s) for s in segments] == [(0.0, 1.0), (1.0, 2.0), (2.0, pytest.approx(3.0))]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a,b\n1,2\n", "not a gymtui simulate CSV"),
        ("t_s,x_drive\n0,1\n0.1,2\n", "no <muscle>_uv columns"),
        ("t_s,x_uv\n0,1\n0.1\n", "bad.csv:3: 1 columns where the header has 2"),
        ("t_s,x_uv\n0,1\n0.1,zz\n", "not a number"),
        ("t_s,x_uv\n0,1\n0,2\n", "does not increase"),
        ("t_s,x_uv\n0,1\n", "fewer than two samples"),
    ],
)
def test_a_broken_csv_is_one_line_saying_what_and_where(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingError, match=problem) as caught:
        load_simulate_csv(path)
    assert "\n" not in str(caught.value)


def test_muscles_match_by_name_ignoring_case_and_underscores() -> None:
    channels = match_muscles(
        ["latissimus_dorsi", "BICEPS BRACHII", "posterior-deltoid", "triceps brachii", "forearm"],
        "Latissimus dorsi",
        ("Biceps brachii", "Posterior deltoid"),
        "Triceps brachii",
    )
    assert channels.names == ("Latissimus dorsi", "Biceps brachii", "Posterior deltoid", "Triceps brachii", "forearm")
    assert channels.roles == (
        MuscleRole.TARGET,
        MuscleRole.SYNERGIST,
        MuscleRole.SYNERGIST,
        MuscleRole.ANTAGONIST,
        MuscleRole.OTHER,
    )
    assert channels.unmatched == ("forearm",)


def test_a_recording_without_the_target_cannot_be_replayed() -> None:
    with pytest.raises(ReplayError, match="do not include the exercise's target, Vastus lateralis"):
        match_muscles(["biceps brachii"], "Vastus lateralis", ("Rectus femoris",), "Biceps femoris")


def test_phases_from_activity_find_the_mvc_and_each_block_of_reps(tmp_path: Path) -> None:
    path = tmp_path / "pd.csv"
    write_scenario(path, "pulldown-compensation")
    rec = load_simulate_csv(path)
    segments = phases_from_activity(rec.samples, rec.rate_hz, first_is_mvc=True)
    work = [(s.start_s, s.end_s, s.kind) for s in segments if s.kind != "rest"]
    truth = {seg.name: (a, b) for a, b, seg in get_scenario("pulldown-compensation").timeline()}
    assert [k for _, _, k in work] == ["calibration", "reps", "reps"]
    for (start, end, _), name in zip(work, ("mvc", "reps-habitual", "reps-focused")):
        assert abs(start - truth[name][0]) < 0.3 and abs(end - truth[name][1]) < 0.5
