"""Which sets inflate a cuff: the plan's BFR sets, the quick BFR set, the finisher only when asked, and only under the cuff's limb."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gymtui.session.exercises import ExerciseLibrary, load_library
from gymtui.session.templates import (
    PlannedSet,
    WorkflowPhase,
    cuff_goes_up,
    quick_bfr_set,
)

FINISHER_EXERCISE = "Lying leg curl"  # the quick finisher's (``f``)


@pytest.fixture(scope="module")
def library() -> ExerciseLibrary:
    return load_library()


def planned(library: ExerciseLibrary, key: str, phase: WorkflowPhase, *, bfr: bool) -> PlannedSet:
    """A planned set of ``key`` in ``phase``, built from the quick BFR set's shape."""
    exercise = library.get(key)
    return replace(quick_bfr_set(exercise), exercise_key=key, workflow_phase=phase, bfr=bfr)


def goes_up(library: ExerciseLibrary, set_: PlannedSet | None, limb: str, **kwargs: bool) -> bool:
    return cuff_goes_up(set_, library, limb=limb, quick_exercise=FINISHER_EXERCISE, **kwargs)


def test_the_plans_bfr_set_goes_up_under_its_own_limb_only(library: ExerciseLibrary) -> None:
    leg_extension = planned(library, "leg_extension", WorkflowPhase.BFR, bfr=True)
    assert goes_up(library, leg_extension, "leg")
    assert not goes_up(library, leg_extension, "arm")


def test_a_heavy_compound_set_never_goes_up(library: ExerciseLibrary) -> None:
    squat = planned(library, "back_squat", WorkflowPhase.COMPOUND, bfr=False)
    assert not goes_up(library, squat, "leg")
    assert not goes_up(library, squat, "leg", bfr_finisher=True)


def test_a_set_marked_bfr_for_an_arm_exercise_stays_down_under_a_leg_cuff(library: ExerciseLibrary) -> None:
    assert not goes_up(library, planned(library, "pull_up", WorkflowPhase.BFR, bfr=True), "leg")
    assert goes_up(library, planned(library, "biceps_curl", WorkflowPhase.BFR, bfr=True), "arm")


def test_the_finisher_goes_up_only_when_bfr_is_turned_on_for_it(library: ExerciseLibrary) -> None:
    finisher = planned(library, "lying_leg_curl", WorkflowPhase.FINISHER, bfr=False)
    assert not goes_up(library, finisher, "leg")
    assert goes_up(library, finisher, "leg", bfr_finisher=True)
    assert not goes_up(library, finisher, "arm", bfr_finisher=True)
    # The quick finisher (``f``, nothing planned) follows the same switch with its own exercise.
    assert not goes_up(library, None, "leg")
    assert goes_up(library, None, "leg", bfr_finisher=True)


def test_the_quick_bfr_set_always_goes_up(library: ExerciseLibrary) -> None:
    assert goes_up(library, None, "arm", quick_bfr=True)


def test_an_exercise_the_library_does_not_know_stays_down(library: ExerciseLibrary) -> None:
    unknown = replace(planned(library, "leg_extension", WorkflowPhase.BFR, bfr=True), exercise_key="sled_push")
    assert not goes_up(library, unknown, "leg")
