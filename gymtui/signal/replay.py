"""A recording replayed through the live chain, frame by frame, to see which cues would have fired.

``gymtui analyze FILE --exercise KEY --cues`` uses this to answer "what would
the set screen have said?" for a recording made elsewhere or by ``gymtui
simulate``. Nothing here is a second implementation of the cue logic: the
samples go through the same :class:`~gymtui.signal.live.LiveSignal` the
signal worker owns, in the worker's ≈33 ms frames, with the exercise's
:class:`~gymtui.model.FormRules`, its channel roles and names. Commands
(MVC capture, set and phase boundaries) apply between frames, as the
worker applies them between the blocks queued before and after them.

Where the recording does not say where its phases are, they are found from
activity (:func:`phases_from_activity`); where it does not carry an MVC, its
first contraction is taken as the MVC effort (as a gymtui session begins
with one), unless the caller gives the MVC.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gymtui.model import (
    Calibration,
    FormCue,
    FormRules,
    MuscleRole,
    PhaseKind,
    RepVerdict,
)
from gymtui.signal.pipeline import PipelineConfig

FRAME_S = 0.033
"""The worker's frame: about 33 ms of 10 ms notifications, drained and processed at once."""

ACTIVE_LEVEL = 0.15
"""A channel is active above this fraction of the way from its quiet level to its loud level."""
MERGE_GAP_S = 1.5
"""Quiet shorter than this inside activity is part of it: the turn or the breath between two reps
(the app's reps phase spans them all). A rest between sets or blocks is longer."""
MIN_BURST_S = 0.5
"""Activity shorter than this is not a phase (a twitch, an artefact)."""


class ReplayError(ValueError):
    """A recording or its description that cannot be replayed; one line for the user."""


# -- names ------------------------------------------------------------------------
def muscle_key(name: str) -> str:
    """A muscle name compared loosely: case, underscores, hyphens and spacing do not matter."""
    return " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()


@dataclass(frozen=True, slots=True)
class ChannelMap:
    """The recording's channels with the exercise's roles: what :class:`LiveSignal` is built with."""

    names: tuple[str, ...]
    roles: tuple[MuscleRole, ...]
    unmatched: tuple[str, ...] = ()
    """Recorded muscles the exercise does not name: replayed as ``other``, in no cue."""


def match_muscles(
    muscles: Sequence[str], target: str, synergists: Sequence[str] = (), antagonist: str = ""
) -> ChannelMap:
    """Each recorded muscle's role in the exercise, by name (case-insensitive).

    The target must be among them: without it there is no share and no cue.
    Names are the exercise's spelling where they match.
    """
    wanted: dict[str, tuple[str, MuscleRole]] = {}
    if antagonist:
        wanted[muscle_key(antagonist)] = (antagonist, MuscleRole.ANTAGONIST)
    for s in synergists:
        wanted[muscle_key(s)] = (s, MuscleRole.SYNERGIST)
    wanted[muscle_key(target)] = (target, MuscleRole.TARGET)
    names: list[str] = []
    roles: list[MuscleRole] = []
    unmatched: list[str] = []
    for m in muscles:
        hit = wanted.get(muscle_key(m))
        if hit is None:
            names.append(m)
            roles.append(MuscleRole.OTHER)
            unmatched.append(m)
        else:
            names.append(hit[0])
            roles.append(hit[1])
    if MuscleRole.TARGET not in roles:
        raise ReplayError(
            f"the recording's muscles ({', '.join(muscles) or 'none'}) do not include the exercise's target, "
            f"{target}; it names {', '.join([target, *synergists, *([antagonist] if antagonist else [])])}"
        )
    return ChannelMap(tuple(names), tuple(roles), tuple(unmatched))


# -- gymtui simulate's CSV ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SimulatedRecording:
    """The ``<muscle>_uv`` columns of a ``gymtui simulate`` CSV, with its clock and phase labels."""

    samples: np.ndarray  # (n, muscles) µV
    t_s: np.ndarray  # (n,) the file's clock (a packet gap is a jump)
    rate_hz: float
    muscles: tuple[str, ...]
    phase: tuple[str, ...] | None = None
    """Per sample, the file's ``phase`` column where it has one."""


_BLOCK_ROWS = 8192
"""Rows held as Python floats before they become numpy (as :mod:`gymtui.signal.recording` reads)."""


def is_simulate_csv(path: Path | str) -> bool:
    """Whether the file starts like ``gymtui simulate``'s output (a ``t_s,...`` header line)."""
    from gymtui.signal.recording import RecordingError, _open_regular, bounded_lines

    try:
        with _open_regular(Path(path)) as handle:
            for line in bounded_lines(handle, str(path)):
                if line.strip():
                    return line.strip().split(",", 1)[0].strip() == "t_s"
    except RecordingError:
        return False
    return False


def load_simulate_csv(path: Path | str) -> SimulatedRecording:
    """Read a ``gymtui simulate`` CSV: muscles from the ``<muscle>_uv`` header names, the rate from ``t_s``.

    An optional ``phase`` column (text) labels each sample's phase. Read with
    the same bounds as every recording (regular file, size and line caps).
    """
    from gymtui.signal.recording import RecordingError, _open_regular, bounded_lines

    source = str(path)
    with _open_regular(Path(path)) as handle:
        lines = bounded_lines(handle, source)
        header: list[str] | None = None
        for raw in lines:
            if raw.strip():
                header = [h.strip() for h in raw.strip().split(",")]
                break
        if header is None or header[0] != "t_s":
            raise RecordingError(f"{source}: not a gymtui simulate CSV (its first line is not a t_s,... header)")
        uv_cols = [i for i, h in enumerate(header) if h.endswith("_uv") and len(h) > 3]
        if not uv_cols:
            raise RecordingError(f"{source}: no <muscle>_uv columns in the header")
        phase_col = header.index("phase") if "phase" in header else None
        rows: list[list[float]] = []  # t_s, then the _uv columns; turned into numpy every _BLOCK_ROWS rows
        blocks: list[np.ndarray] = []
        labels: list[str] = []
        for lineno, raw in enumerate(lines, start=2):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(",")
            if len(fields) != len(header):
                raise RecordingError(f"{source}:{lineno}: {len(fields)} columns where the header has {len(header)}")
            try:
                rows.append([float(fields[0])] + [float(fields[i]) for i in uv_cols])
            except ValueError:
                raise RecordingError(f"{source}:{lineno}: not a number in a t_s or _uv column") from None
            if phase_col is not None:
                labels.append(fields[phase_col].strip())
            if len(rows) == _BLOCK_ROWS:
                blocks.append(np.asarray(rows, dtype=np.float64))
                rows = []
    if rows:
        blocks.append(np.asarray(rows, dtype=np.float64))
    table = np.concatenate(blocks) if blocks else np.zeros((0, 1 + len(uv_cols)))
    if table.shape[0] < 2:
        raise RecordingError(f"{source}: fewer than two samples")
    t_s = np.ascontiguousarray(table[:, 0])
    samples = np.ascontiguousarray(table[:, 1:])
    if not (np.all(np.isfinite(samples)) and np.all(np.isfinite(t_s))):
        raise RecordingError(f"{source}: a sample is not finite (nan or inf)")
    steps = np.diff(t_s)
    step = float(np.median(steps))
    if not step > 0 or np.any(steps <= 0):
        raise RecordingError(f"{source}: t_s does not increase from row to row")
    muscles = tuple(header[i][:-3].replace("_", " ") for i in uv_cols)
    return SimulatedRecording(samples, t_s, round(1.0 / step, 3), muscles, tuple(labels) if phase_col is not None else None)


# -- phases ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the recording: ``kind`` is ``"calibration"``, ``"rest"`` or a work phase's kind."""

    start_s: float
    end_s: float
    kind: str


def _phase_kind_of(label: str) -> str:
    """A phase column's label as a phase kind: PhaseKind values as they are, "mvc"/"rest…" by name, else reps."""
    key = label.strip().casefold()
    if key in {k.value for k in PhaseKind}:
        return key
    if key.startswith(("mvc", "calib")):
        return PhaseKind.CALIBRATION.value
    if key.startswith("rest") or not key:
        return PhaseKind.REST.value
    return PhaseKind.REPS.value


def phases_from_labels(labels: Sequence[str], t_s: np.ndarray) -> list[Segment]:
    """Runs of equal labels as segments, on the file's clock."""
    out: list[Segment] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            end_s = float(t_s[i]) if i < len(labels) else float(t_s[-1] + (t_s[-1] - t_s[-2]))
            out.append(Segment(float(t_s[start]), end_s, _phase_kind_of(labels[start])))
            start = i
    return out


def activity(samples: np.ndarray, rate_hz: float, config: PipelineConfig | None = None) -> np.ndarray:
    """Per sample, how active the loudest channel is: 0 at its quiet level, 1 at its loud level.

    The envelope comes from the live pipeline streamed over the whole
    recording; each channel's quiet level is its 5th percentile and its loud
    level its 99th, so a quiet channel's noise never reads as activity.
    """
    from gymtui.signal.analysis import stream_envelope

    _, envelope, _ = stream_envelope(np.asarray(samples, dtype=np.float64), rate_hz, config)
    quiet = np.percentile(envelope, 5, axis=0)
    loud = np.percentile(envelope, 99, axis=0)
    span = np.where(loud - quiet > 0, loud - quiet, np.inf)
    level: np.ndarray = ((envelope - quiet) / span).max(axis=1)
    return level


def bursts(level: np.ndarray, rate_hz: float) -> list[tuple[int, int]]:
    """Sample spans where ``level`` is above :data:`ACTIVE_LEVEL`, short gaps merged, short bursts dropped."""
    on = np.flatnonzero(np.diff(np.concatenate([[0], (level > ACTIVE_LEVEL).astype(np.int8), [0]])))
    spans = [(int(a), int(b)) for a, b in zip(on[::2], on[1::2])]
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a - merged[-1][1] < MERGE_GAP_S * rate_hz:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return [(a, b) for a, b in merged if b - a >= MIN_BURST_S * rate_hz]


def phases_from_activity(
    samples: np.ndarray,
    rate_hz: float,
    *,
    first_is_mvc: bool,
    work_kind: str = PhaseKind.REPS.value,
    config: PipelineConfig | None = None,
) -> list[Segment]:
    """Work where the muscles are active (:func:`bursts`), rest between; the first burst the MVC if asked.

    The delay of the causal envelope (≈50 ms) is small beside the merge
    gap and the phases' length, so it is not taken off.
    """
    n = samples.shape[0]
    spans = bursts(activity(samples, rate_hz, config), rate_hz)
    if not spans:
        raise ReplayError("no activity found in the recording: nothing to replay")
    out: list[Segment] = []
    t = 0
    for k, (a, b) in enumerate(spans):
        if a > t:
            out.append(Segment(t / rate_hz, a / rate_hz, PhaseKind.REST.value))
        kind = PhaseKind.CALIBRATION.value if (k == 0 and first_is_mvc) else work_kind
        out.append(Segment(a / rate_hz, b / rate_hz, kind))
        t = b
    if t < n:
        out.append(Segment(t / rate_hz, n / rate_hz, PhaseKind.REST.value))
    return out


# -- the replay --------------------------------------------------------------------------
@dataclass
class ReplayResult:
    """What the live chain said: every cue as it fired, the reps judged live, the MVC used."""

    cues: list[FormCue] = field(default_factory=list)
    cue_times_s: list[float] = field(default_factory=list)
    """Each cue's time on the recording's clock (a cue's own ``t_s`` counts from the set's start)."""
    set_start_s: float = 0.0
    reps: tuple[RepVerdict, ...] = ()
    mvc_uv: tuple[float, ...] = ()
    mvc_source: str = ""
    segments: list[Segment] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    frames: int = 0


def replay(
    samples: np.ndarray,
    rate_hz: float,
    channels: ChannelMap,
    segments: Sequence[Segment],
    *,
    form: FormRules | None = None,
    mvc_uv: Sequence[float] | None = None,
    t_s: np.ndarray | None = None,
    config: PipelineConfig | None = None,
    frame_s: float = FRAME_S,
) -> ReplayResult:
    """Stream ``samples`` (µV, ``(n, channels)``) through a fresh :class:`LiveSignal` as the worker would.

    The MVC is ``mvc_uv`` when given, else the peak envelope over the
    ``calibration`` segments (the worker's MVC capture). The set begins at
    the first segment that is not calibration; each segment is a phase of
    its kind. ``t_s`` is the file's clock per sample (default ``i / rate``);
    cue times are on that clock.
    """
    from gymtui.signal.live import LiveSignal

    x = np.asarray(samples, dtype=np.float32)
    n, n_ch = x.shape
    if n_ch != len(channels.roles):
        raise ReplayError(f"{n_ch} channels in the recording, {len(channels.roles)} roles")
    clock = np.arange(n) / rate_hz if t_s is None else np.asarray(t_s, dtype=np.float64)
    live = LiveSignal(rate_hz, channels.roles, config, names=channels.names)
    result = ReplayResult(segments=list(segments))
    if mvc_uv is not None:
        if len(mvc_uv) != n_ch:
            raise ReplayError(f"{len(mvc_uv)} MVC values for {n_ch} channels ({', '.join(channels.names)})")
        if not all(math.isfinite(v) and v > 0 for v in mvc_uv):
            raise ReplayError("every MVC value must be a positive number of µV")
        live.set_calibration(Calibration(tuple(float(v) for v in mvc_uv), live.pipeline.config.rms_window_s, "replay", channels.names))
        result.mvc_uv, result.mvc_source = tuple(float(v) for v in mvc_uv), "given"
    elif not any(s.kind == PhaseKind.CALIBRATION.value for s in segments):
        raise ReplayError("the recording has no calibration segment to take the MVC from; give the MVC (--mvc UV,UV,...)")

    frame_n = max(1, round(frame_s * rate_hz))
    bounds = [min(n, max(0, round(s.start_s * rate_hz))) for s in segments] + [n]
    if t_s is not None:  # a clock with gaps: segment starts by time, not by sample count
        bounds = [int(np.searchsorted(clock, s.start_s - 0.5 / rate_hz)) for s in segments] + [n]
    in_set = set_clock_pending = False
    capture_from: float | None = None
    for k, seg in enumerate(segments):
        a, b = bounds[k], bounds[k + 1]
        t_here = float(clock[a]) if a < n else float(clock[-1])
        if seg.kind == PhaseKind.CALIBRATION.value:
            if mvc_uv is None and capture_from is None:
                live.pipeline.begin_mvc_capture()
                capture_from = t_here
        else:
            if capture_from is not None:
                _end_capture(live, result, channels, capture_from, t_here)
                capture_from = None
            if not live.pipeline.calibrated:
                # Before the MVC: streamed (filters settle, as the worker's do) but no set yet.
                pass
            elif not in_set:
                live.begin_set(form=form)
                set_clock_pending = True
                in_set = True
            if in_set:
                live.begin_phase(seg.kind, t_here)
        for f0 in range(a, b, frame_n):
            f1 = min(b, f0 + frame_n)
            t_end = float(clock[f1 - 1]) + 1.0 / rate_hz  # the worker's clock: the end of the block
            out = live.process(x[f0:f1], t_end)
            if set_clock_pending:  # the set's clock starts at its first frame (cue times count from it)
                result.set_start_s = t_end - (f1 - f0 - 1) / rate_hz
                set_clock_pending = False
            result.frames += 1
            result.cues.extend(out.new_cues)
            result.cue_times_s.extend(result.set_start_s + c.t_s for c in out.new_cues)
            if out.feedback is not None:
                result.reps = out.feedback.reps
    t_end = float(clock[-1]) + 1.0 / rate_hz
    if capture_from is not None:
        _end_capture(live, result, channels, capture_from, t_end)
    if in_set:
        summary, _reps = live.finish_set(t_end)
        result.summary = summary
    return result


def _end_capture(live: Any, result: ReplayResult, channels: ChannelMap, t0: float, t1: float) -> None:
    peak = live.pipeline.end_mvc_capture()
    if not np.all(peak > 0):
        raise ReplayError("the calibration segment saw no signal on some channels; give the MVC (--mvc UV,UV,...)")
    live.set_calibration(Calibration(tuple(float(v) for v in peak), live.pipeline.config.rms_window_s, "replay", channels.names))
    result.mvc_uv = tuple(float(v) for v in peak)
    result.mvc_source = f"calibration segment {t0:.2f}–{t1:.2f} s"
