"""The history's sentence per exercise and its perfect-rep goal, as the athlete reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from gymtui.session.progress import (
    JudgedSet,
    Week,
    day_label,
    perfect_rep_goal,
    plural,
    progress_sentence,
)

MONDAY = dt.date(2026, 1, 5)


def weeks(ratings: list[float | None], loads: list[float | None]) -> list[Week]:
    return [Week(MONDAY + dt.timedelta(weeks=i), r, kg) for i, (r, kg) in enumerate(zip(ratings, loads, strict=True))]


def test_plurals_and_dates_read_as_words() -> None:
    assert [plural(1, "week"), plural(4, "week"), plural(1.5, "point"), plural(1.0, "point")] == [
        "1 week", "4 weeks", "1.5 points", "1 point",
    ]
    assert day_label(dt.date(2026, 11, 28)) == "28 Nov" and day_label(MONDAY) == "5 Jan"


@pytest.mark.parametrize(
    ("ratings", "loads", "sentence"),
    [
        ([5, 6, 6, 7], [100] * 4, "Rating up 2 points in 4 weeks at the same load: that is progress."),
        ([6, None, 7], [100, None, 110], "Rating up 1 point in 3 weeks while the load went up 10 kg: that is progress."),
        ([7, 7, 7.2, 7], [100, 105, 110, 110], "Rating held at 7 for 4 weeks while the load went up 10 kg: that is progress."),
        ([7, 7, 7], [100, 100, 100], "Rating flat at 7 for 3 weeks at the same load: no progress yet; change one thing."),
        ([8, 7, 6], [100, 100, 100], "Rating down 2 points in 3 weeks at the same load: not progress yet."),
        ([8, 6.5], [100, 120], "Rating down 1.5 points in 2 weeks as the load went up 20 kg: the heavier load may be why."),
        ([6, 8], [100, 90], "Rating up 2 points in 2 weeks with 10 kg less on the bar: more felt from less load is progress."),
        ([4, 6], [None, None], "Rating up 2 points in 2 weeks: that is progress."),
    ],
)
def test_one_sentence_says_whether_it_is_progress(ratings: list[float | None], loads: list[float | None], sentence: str) -> None:
    assert progress_sentence(weeks(ratings, loads)) == sentence


def test_too_little_data_is_said_plainly() -> None:
    assert progress_sentence(weeks([None], [100])) == "No rated sets yet: rate your sets and the trend shows here."
    assert progress_sentence(weeks([6, None], [100, 100])) == "Too little data: 1 rated week so far (5 Jan); a trend needs two."


def sets_by_week(perfect: list[int], reps: int | None = 6) -> list[JudgedSet]:
    return [JudgedSet(MONDAY + dt.timedelta(weeks=i), reps, p) for i, p in enumerate(perfect)]


def test_a_six_rep_drill_never_asks_for_more_than_six_perfect_reps() -> None:
    goal = perfect_rep_goal(sets_by_week([5]), MONDAY)
    assert goal is not None and (goal.baseline, goal.target, goal.reach) == (5, 6, 6)
    assert goal.describe(MONDAY) == "Perfect reps: 5 of 6 on 5 Jan → aim for 6 by 19 Jan (no set since)."
    every = perfect_rep_goal(sets_by_week([6]), MONDAY)
    assert every is not None and every.target == 6
    assert every.describe(MONDAY) == "Perfect reps: all 6 of 6 on 5 Jan: keep them perfect, add load."


def test_the_goal_date_stays_where_it_was_set_while_the_weeks_go_by() -> None:
    sets = [JudgedSet(MONDAY, 8, 3), JudgedSet(MONDAY + dt.timedelta(days=7), 8, 4)]
    seen = {perfect_rep_goal(sets, MONDAY + dt.timedelta(days=d)) for d in range(7, 15)}
    assert len(seen) == 1
    goal = seen.pop()
    assert goal is not None and (goal.set_on, goal.target, goal.by, goal.best_since) == (MONDAY, 5, MONDAY + dt.timedelta(weeks=2), 4)
    assert goal.describe(MONDAY + dt.timedelta(days=8)) == "Perfect reps: 3 of 8 on 5 Jan → aim for 5 by 19 Jan (best since 4)."
    # The date passed without the goal met: said so, and the next session sets a new one.
    late = MONDAY + dt.timedelta(days=20)
    assert perfect_rep_goal(sets, late) == goal
    assert goal.describe(late) == "Perfect reps: 3 of 8 on 5 Jan; goal 5 by 19 Jan missed (best since 4): a new goal starts next session."
    after = perfect_rep_goal([*sets, JudgedSet(late, 8, 4)], late)
    assert after is not None and (after.set_on, after.baseline, after.target, after.by) == (late, 4, 6, late + dt.timedelta(weeks=2))


def test_a_met_goal_is_said_and_the_next_one_starts_from_that_session() -> None:
    goal = perfect_rep_goal(sets_by_week([3, 4, 5], reps=8), MONDAY + dt.timedelta(weeks=2, days=1))
    met_day = MONDAY + dt.timedelta(weeks=2)
    assert goal is not None and (goal.set_on, goal.baseline, goal.target, goal.last_met) == (met_day, 5, 7, (5, met_day))
    assert goal.describe(met_day).startswith("Goal of 5 met on 19 Jan. Perfect reps: 5 of 8 on 19 Jan → aim for 7 by 2 Feb")


def test_no_judged_sets_no_goal_and_a_set_without_reps_is_not_capped() -> None:
    assert perfect_rep_goal([], MONDAY) is None
    goal = perfect_rep_goal(sets_by_week([4], reps=None), MONDAY)
    assert goal is not None and goal.target == 6 and goal.describe(MONDAY).startswith("Perfect reps: 4 on 5 Jan → aim for 6")
