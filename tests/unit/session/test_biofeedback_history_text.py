"""What history says of a set's cues, of retention against feedback, and how the rise band is drawn."""

from __future__ import annotations

import datetime as dt

from gymtui.session.history import cue_summary
from gymtui.session.progress import FeedbackWeek, retention_line

NOV = dt.date(2026, 11, 2)


def cue(t_s: float, kind: str = "compensation", rep: int | None = None) -> dict[str, object]:
    return {"t_s": t_s, "kind": kind, "rep": rep}


def test_a_sets_cues_in_words_with_the_last_rep_and_plurals_right() -> None:
    assert cue_summary([cue(1.0, rep=2), cue(5.0, rep=4), cue(9.0, rep=6)], 3) == "3 compensation cues, last at rep 6"
    assert cue_summary([cue(4.0, rep=3)], 1) == "1 compensation cue, last at rep 3"
    assert cue_summary([cue(2.0, rep=1), cue(7.5, "co_contraction", rep=5)], 2) == (
        "1 compensation cue and 1 co-contraction cue, last at rep 5"
    )
    # The last is the latest in time, whatever order the rows come in; between reps it says when.
    assert cue_summary([cue(12.5), cue(3.0, rep=1)], 2) == "2 compensation cues, last at 12.5 s, between reps"
    assert cue_summary([], 0) == "no cues"
    assert cue_summary([], None) == ""  # a set run without live cues: nothing claimed


def test_retention_against_the_same_weeks_fed_back_sets() -> None:
    weeks = [
        FeedbackWeek(NOV, None, 0, 0.55, 3),
        FeedbackWeek(NOV + dt.timedelta(weeks=3), 0.58, 1, 0.62, 2),
    ]
    assert retention_line(weeks) == (
        "Retention 0.58 (1 set) vs fed back 0.62 (2 sets) target share (week of 23 Nov): "
        "94 % of it held without feedback; keep the feedback a while longer."
    )


def test_retention_that_held_and_a_week_of_retention_only_compared_with_the_last_fed_back_week() -> None:
    weeks = [
        FeedbackWeek(NOV, None, 0, 0.60, 1),
        FeedbackWeek(NOV + dt.timedelta(weeks=1), 0.50, 2, None, 0),  # an older retention week: not the one said
        FeedbackWeek(NOV + dt.timedelta(weeks=2), None, 0, 0.61, 4),
        FeedbackWeek(NOV + dt.timedelta(weeks=3), 0.60, 2, None, 0),
    ]
    assert retention_line(weeks) == (
        "Retention 0.60 (2 sets) vs fed back 0.61 (4 sets) target share "
        "(retention week of 23 Nov, fed back week of 16 Nov): it held without feedback, the connection is learned."
    )


def test_no_retention_set_says_nothing_and_retention_alone_says_there_is_nothing_to_compare() -> None:
    assert retention_line([FeedbackWeek(NOV, None, 0, 0.6, 3)]) == ""
    assert retention_line([]) == ""
    assert retention_line([FeedbackWeek(NOV, 0.5, 1, None, 0)]) == (
        "Retention 0.50 (1 set) target share (week of 2 Nov); no fed-back sets to compare with yet."
    )


def test_a_set_line_names_a_faded_mode_before_its_cues_and_says_nothing_of_live() -> None:
    from gymtui.session.history import feedback_and_cues

    assert feedback_and_cues("live", [cue(3.0, rep=2)], 1) == "1 compensation cue, last at rep 2"
    assert feedback_and_cues("cues", [], 0) == "cues only · no cues"
    assert feedback_and_cues("retention", [cue(3.0, rep=2), cue(4.0, rep=2)], 2) == (
        "retention: screen dark · 2 compensation cues, last at rep 2"
    )
    assert feedback_and_cues("live", [], None) == ""
