"""The retention set's replay: the trace gathered from frames, and the lines the rating screen draws."""

from __future__ import annotations

from gymtui.model import ActivationFrame, Biofeedback, FormCue, FormCueKind, RepVerdict
from gymtui.ui.widgets.set_replay import (
    CUE,
    MISSED,
    PERFECT,
    TITLE,
    Replay,
    ReplayCue,
    ReplayTrace,
    render_replay,
)

CUE_TEXT = "Hands as hooks, elbows to the pockets"


def frame(t_s: float, pct: float | None, feedback: Biofeedback | None = None, uv: float = 50.0) -> ActivationFrame:
    return ActivationFrame(t_s, (uv * 2, uv), (None, pct), feedback=feedback)


def test_the_trace_keeps_the_target_channel_at_about_10_hz_relative_to_the_set_start() -> None:
    trace = ReplayTrace(channel=1, muscle="Latissimus dorsi")
    for i in range(300):  # 30 frames a second for 10 s, from stream time 1000 s
        trace.add(frame(1000.0 + i / 30, 40.0 + i % 7))
    replay = trace.replay()
    assert replay.unit == "% MVC" and replay.muscle == "Latissimus dorsi"
    times = [t for t, _ in replay.points]
    assert times[0] == 0.0 and 9.8 <= times[-1] <= 10.0
    assert 95 <= len(times) <= 101
    assert replay.points[0][1] == 40.0


def test_a_long_set_is_thinned_never_grown_without_end() -> None:
    trace = ReplayTrace(channel=1, max_points=100)
    for i in range(30 * 600):  # ten minutes of frames
        trace.add(frame(i / 30, 30.0))
    replay = trace.replay()
    assert len(replay.points) <= 100
    assert replay.points[0][0] == 0.0 and replay.points[-1][0] > 590  # still the whole set


def test_before_an_mvc_the_trace_is_in_microvolts_and_after_one_in_percent() -> None:
    uncalibrated = ReplayTrace(channel=1)
    for i in range(20):
        uncalibrated.add(frame(i / 10, None, uv=80.0))
    assert uncalibrated.replay().unit == "µV" and uncalibrated.replay().points[0][1] == 80.0
    calibrated_later = ReplayTrace(channel=1)
    for i in range(40):
        calibrated_later.add(frame(i / 10, None if i < 20 else 55.0))
    replay = calibrated_later.replay()
    assert replay.unit == "% MVC" and replay.points[0] == (2.0, 55.0)  # the MVC hold itself stays blank


def test_cues_and_reps_come_from_the_whole_state_even_when_frames_were_dropped() -> None:
    cue = FormCue(3.2, FormCueKind.COMPENSATION, 2, "Biceps", 0.38, CUE_TEXT, rep=2)
    reps = (RepVerdict(1, 0.5, 2.5, True), RepVerdict(2, 2.8, 4.9, False, "target not prime mover"))
    trace = ReplayTrace(channel=1)
    trace.add(frame(100.0, 10.0, Biofeedback()))
    # The frames carrying the first cue were dropped: this one already counts two.
    trace.add(frame(105.0, 10.0, Biofeedback(cue=cue, reps=reps, cues_fired=2)))
    trace.add(frame(105.5, 10.0, Biofeedback(cue=cue, reps=reps, cues_fired=2)))
    replay = trace.replay()
    assert [c.t_s for c in replay.cues] == [3.2, 3.2] and replay.cues[0].text == CUE_TEXT
    assert replay.reps == reps


def test_the_drawing_marks_each_rep_and_cue_at_its_time_and_lists_the_cues() -> None:
    points = tuple((t / 10, 95.0 if 10 <= t < 30 or 50 <= t < 70 else 2.0) for t in range(100))
    reps = (RepVerdict(1, 1.0, 3.0, True), RepVerdict(2, 5.0, 7.0, False, "antagonist on"))
    replay = Replay(points, "% MVC", "Biceps brachii", reps, (ReplayCue(6.0, CUE_TEXT),))
    width = 60
    lines = render_replay(replay, width)
    assert lines[0] == TITLE[:width] or lines[0].startswith(TITLE[: width - 1])
    assert lines[1] == "Biceps brachii 0–100 % MVC · 1 of 2 reps ✓ · 1 cue"
    strip = lines[2:5]
    assert all(len(row) == width for row in strip)
    # The two holds are tall, the rest between them low: the top row is full only over the holds.
    top = strip[0]
    assert top[width * 15 // 100] != " " and top[width * 40 // 100] == " " and top[width * 60 // 100] != " "
    marks, cues, axis = lines[5], lines[6], lines[7]
    duration = 9.9
    assert marks.index(PERFECT) == int(3.0 / duration * width) and marks.index(MISSED) == int(7.0 / duration * width)
    assert cues.index(CUE) == int(6.0 / duration * width) and cues.count(CUE) == 1
    assert axis.startswith("0 s") and axis.endswith("10 s") and len(axis) == width
    assert lines[8] == f"{CUE}   6.0 s  {CUE_TEXT}"
    assert lines[9] == f"{MISSED} rep 2: antagonist on"


def test_hostile_cue_text_is_shown_as_text_without_control_characters() -> None:
    replay = Replay(((0.0, 1.0), (1.0, 2.0)), "% MVC", "[bold]trap\x1b[31m", (), (ReplayCue(0.5, "lower \x1b]0;x\x07 [red]it[/]"),))
    lines = render_replay(replay, 80)
    assert all(ch.isprintable() for line in lines for ch in line)
    assert "[red]it[/]" in lines[-1]  # shown literally: the widget renders Text, never markup


def test_between_sparse_points_the_level_holds_and_after_the_last_the_strip_is_blank() -> None:
    # Three points over 10 s (a busy screen skipped the frames between), the last at 6 s; reps run to 10 s.
    replay = Replay(((0.0, 90.0), (3.0, 30.0), (6.0, 90.0)), "% MVC", reps=(RepVerdict(1, 8.0, 10.0, True),))
    width = 20
    bottom = render_replay(replay, width)[4]
    assert bottom[:13] == bottom[:13].replace(" ", "") and len(bottom[:13]) == 13  # held from 0 s to 6 s
    assert bottom[13:] == " " * (width - 13)  # nothing was measured after 6 s
