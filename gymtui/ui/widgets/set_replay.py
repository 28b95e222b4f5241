"""The replay of a retention set: what the target muscle did while the screen was dark.

A retention set shows the athlete nothing of the EMG (the honest test that
the mind-muscle connection was learned); once it ends, the rating screen
shows this replay: the target's %MVC over the set as a strip of eighth-block
columns, each rep's ✓ or ✗ under the moment it ended, and a ▲ under each cue
that would have shown, with the cues listed by time. Told apart by place
and symbol, never by colour alone.

:class:`ReplayTrace` gathers it from the frames the set flow sees during
the set, at about 10 Hz and bounded (a long set is thinned, never grown
without end); :meth:`ReplayTrace.replay` freezes it. The pure
:func:`render_replay` is what tests read; :class:`SetReplay` only sizes it
to the widget. Cue texts come from the exercise library (a user's file):
shown as text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from gymtui.model import ActivationFrame, RepVerdict
from gymtui.text import safe_text

BLOCKS = " ▁▂▃▄▅▆▇█"
STRIP_ROWS = 3
"""Rows of the %MVC strip: 3 × 8 = 24 levels."""
SAMPLE_INTERVAL_S = 0.1
"""About 10 points a second: finer than a rep, far coarser than the ≈30 frames/s."""
MAX_POINTS = 1200
"""Two minutes at 10 Hz; a longer set is thinned to every other point (and half the rate)."""
GRID_SLACK_S = 1e-6
CUES_LISTED = 3
TITLE = "Replay: what the target did while the screen was dark"
PERFECT, MISSED, CUE = "✓", "✗", "▲"


@dataclass(frozen=True, slots=True)
class ReplayCue:
    t_s: float
    text: str


@dataclass(frozen=True, slots=True)
class Replay:
    """A finished set's trace: ``(t_s, value)`` points, seconds into the set; ``unit`` "% MVC" or "µV"."""

    points: tuple[tuple[float, float], ...]
    unit: str
    muscle: str = ""
    reps: tuple[RepVerdict, ...] = ()
    cues: tuple[ReplayCue, ...] = ()

    @property
    def duration_s(self) -> float:
        ends = [p[0] for p in self.points[-1:]] + [r.end_s for r in self.reps] + [c.t_s for c in self.cues]
        return max(ends, default=0.0)


@dataclass(slots=True)
class ReplayTrace:
    """Collects a set's target channel from live frames, thinned and bounded."""

    channel: int
    muscle: str = ""
    interval_s: float = SAMPLE_INTERVAL_S
    max_points: int = MAX_POINTS
    _pct: list[tuple[float, float]] = field(default_factory=list)
    _uv: list[tuple[float, float]] = field(default_factory=list)
    _cues: list[ReplayCue] = field(default_factory=list)
    _reps: tuple[RepVerdict, ...] = ()
    _t0: float | None = None
    _next_t: float = 0.0
    _fired: int = 0

    def add(self, frame: ActivationFrame) -> None:
        """One frame of the set (frames may have been dropped for newer ones: nothing here is a delta)."""
        if self._t0 is None:
            self._t0 = frame.t_s
        t = frame.t_s - self._t0
        feedback = frame.feedback
        if feedback is not None:
            self._reps = feedback.reps
            if feedback.cues_fired > self._fired:
                cue = feedback.cue
                for _ in range(feedback.cues_fired - self._fired):
                    self._cues.append(ReplayCue(cue.t_s if cue is not None else t, cue.text if cue is not None else "cue"))
                self._fired = feedback.cues_fired
        # On a 10 Hz grid from the set's start (a frame a hair early counts: frame times jitter).
        if t < self._next_t - GRID_SLACK_S or self.channel >= len(frame.envelope_uv):
            return
        self._next_t = max(self._next_t + self.interval_s, t + self.interval_s / 2)
        pct = frame.pct_mvc[self.channel] if self.channel < len(frame.pct_mvc) else None
        if pct is not None:
            self._pct.append((t, float(pct)))
        self._uv.append((t, float(frame.envelope_uv[self.channel])))
        if len(self._uv) > self.max_points:
            self._uv, self._pct = self._uv[::2], self._pct[::2]
            self.interval_s *= 2

    def replay(self) -> Replay:
        # %MVC whenever there is an MVC: a set that starts with its MVC phase has %MVC from then on
        # (its MVC hold stays blank rather than mixing units in one strip).
        if self._pct:
            return Replay(tuple(self._pct), "% MVC", self.muscle, self._reps, tuple(self._cues))
        return Replay(tuple(self._uv), "µV", self.muscle, self._reps, tuple(self._cues))


def _column(t_s: float, duration_s: float, width: int) -> int:
    if duration_s <= 0:
        return 0
    return max(0, min(width - 1, int(t_s / duration_s * width)))


def _strip(values: Sequence[float | None], top: float) -> list[str]:
    """Columns of eighth blocks, ``STRIP_ROWS`` high, top row first."""
    rows = []
    levels = STRIP_ROWS * 8
    heights = [0 if v is None else max(0, min(levels, round(v / top * levels))) if top > 0 else 0 for v in values]
    for row in range(STRIP_ROWS - 1, -1, -1):
        rows.append("".join(BLOCKS[max(0, min(8, h - 8 * row))] for h in heights))
    return rows


def render_replay(replay: Replay, width: int) -> list[str]:
    """The replay as lines of at most ``width`` cells (the rows under the title are ``width`` wide)."""
    width = max(10, width)
    duration = replay.duration_s
    perfect = sum(1 for r in replay.reps if r.perfect)
    facts = [f"{perfect} of {len(replay.reps)} reps {PERFECT}" if replay.reps else "no reps judged"]
    facts.append(f"{len(replay.cues)} cue{'s' if len(replay.cues) != 1 else ''}")
    values = [v for _, v in replay.points]
    top = max([*values, 100.0 if replay.unit == "% MVC" else 1.0])
    who = f"{safe_text(replay.muscle, max_chars=30)} " if replay.muscle else "target "
    lines = [safe_text(TITLE, max_chars=width), f"{who}0–{top:.0f} {replay.unit} · {' · '.join(facts)}"[:width]]
    # One column per slice of the set: the highest point in it (peaks are what a rep is judged on).
    columns: list[float | None] = [None] * width
    for t, v in replay.points:
        c = _column(t, duration, width)
        prior = columns[c]
        columns[c] = v if prior is None else max(prior, v)
    # Between points (frames the screen skipped while busy) the level holds: a line, not a comb.
    last: float | None = None
    for c, value in enumerate(columns):
        if value is None and last is not None and c <= _column(replay.points[-1][0], duration, width):
            columns[c] = last
        last = columns[c] if columns[c] is not None else last
    lines += _strip(columns, top)
    marks = [" "] * width
    for rep in replay.reps:
        marks[_column(rep.end_s, duration, width)] = PERFECT if rep.perfect else MISSED
    lines.append("".join(marks))
    cue_marks = [" "] * width
    for cue in replay.cues:
        cue_marks[_column(cue.t_s, duration, width)] = CUE
    lines.append("".join(cue_marks))
    end = f"{duration:.0f} s"
    lines.append(("0 s" + " " * width)[: width - len(end)] + end)
    for cue in replay.cues[:CUES_LISTED]:
        lines.append(safe_text(f"{CUE} {cue.t_s:5.1f} s  {cue.text}", max_chars=width))
    if len(replay.cues) > CUES_LISTED:
        lines.append(f"  and {len(replay.cues) - CUES_LISTED} more")
    missed = [r for r in replay.reps if not r.perfect and r.reason]
    for rep in missed[:CUES_LISTED]:
        lines.append(safe_text(f"{MISSED} rep {rep.number}: {rep.reason}", max_chars=width))
    return lines


class SetReplay(Widget):
    """The rating screen's replay of a retention set."""

    DEFAULT_CSS = """
    SetReplay {
        height: auto;
        margin-top: 1;
    }
    """

    def __init__(self, replay: Replay, *, id: str | None = "set-replay") -> None:
        super().__init__(id=id)
        self.replay = replay

    def lines(self) -> list[str]:
        return render_replay(self.replay, self.content_size.width or 60)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(render_replay(self.replay, width))

    def render(self) -> Text:
        return Text("\n".join(self.lines()), no_wrap=True, overflow="crop")
