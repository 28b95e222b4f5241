"""``gymtui analyze PATH --exercise KEY --cues``: the form cues a recording would have fired, with their times.

The recording is replayed through the live chain (:mod:`gymtui.signal.replay`)
with the exercise's form rules, roles and names. Its muscles are matched to
the exercise by name, ignoring case; a ``gymtui simulate`` CSV names them
in its ``<muscle>_uv`` columns, another file in its header or ``--muscles``.

Phases come from the file's ``phase`` column when it has one, else from
activity: every contraction is a work phase (reps) and the quiet between
them rest. The MVC is ``--mvc`` when given, else the peak envelope over the
calibration segment: the ``phase`` column's calibration rows, or without
that column the recording's first contraction, which a gymtui session (and
every ``simulate`` scenario that has an MVC) begins with. The output says
which segment it used, so a recording that does not begin with an MVC is
seen to be misread. A stored set (``set:ID``) has no calibration segment:
it needs ``--mvc``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from gymtui.text import safe_text

Fail = Callable[[str], int]
Loader = Callable[[argparse.Namespace], tuple[Any, float, tuple[str, ...], str]]


def run_cues(args: argparse.Namespace, fail: Fail, load: Loader) -> int:
    from gymtui.signal.recording import RecordingError
    from gymtui.signal.replay import (
        ReplayError,
        is_simulate_csv,
        load_simulate_csv,
        match_muscles,
        phases_from_activity,
        phases_from_labels,
        replay,
    )

    if not args.exercise:
        return fail("--cues needs --exercise KEY (the exercise whose form rules apply)")
    from gymtui.session.exercises import load_library

    library = load_library()
    try:
        exercise = library.get(args.exercise)
    except KeyError as exc:
        return fail(str(exc.args[0]) if exc.args else f"unknown exercise {args.exercise!r}")

    t_s = None
    labels = None
    try:
        if not args.path.startswith("set:") and is_simulate_csv(args.path):
            sim = load_simulate_csv(args.path)
            samples, rate_hz, names, unit = sim.samples, sim.rate_hz, sim.muscles, "µV"
            t_s, labels = sim.t_s, sim.phase
            if args.rate:
                rate_hz = args.rate
        else:
            samples, rate_hz, names, unit = load(args)
    except RecordingError as exc:
        return fail(str(exc))
    if args.muscles is not None:
        if len(args.muscles) != samples.shape[1]:
            return fail(f"--muscles names {len(args.muscles)} muscles; the recording has {samples.shape[1]} columns")
        names = args.muscles
    if args.mvc is not None and unit != "µV":
        return fail("the recording's values have no µV scale, so an MVC in µV (--mvc) cannot apply to them")
    if args.path.startswith("set:") and args.mvc is None:
        return fail("a stored set has no calibration segment: give its MVC (--mvc UV,UV,...)")

    try:
        channels = match_muscles(names, exercise.target, exercise.synergists, exercise.antagonist)
        if labels is not None:
            segments = phases_from_labels(labels, t_s if t_s is not None else _clock(samples, rate_hz))
            mvc_from = "the phase column"
        else:
            segments = phases_from_activity(samples, rate_hz, first_is_mvc=args.mvc is None)
            mvc_from = "the first contraction"
        result = replay(samples, rate_hz, channels, segments, form=exercise.form, mvc_uv=args.mvc, t_s=t_s)
    except (ReplayError, ValueError) as exc:
        return fail(str(exc))

    report = _report(args.path, exercise.key, rate_hz, channels, result, mvc_from)
    try:
        if args.json:
            print(json.dumps(report))
        else:
            _print(report)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _clock(samples: Any, rate_hz: float) -> Any:
    import numpy as np

    return np.arange(samples.shape[0]) / rate_hz


def _report(path: str, key: str, rate_hz: float, channels: Any, result: Any, mvc_from: str) -> dict[str, Any]:
    """The JSON shape: every string from the file (muscle names, texts) made safe."""
    mvc_source = result.mvc_source if result.mvc_source == "given" else f"{result.mvc_source} ({mvc_from})"
    return {
        "file": safe_text(path, max_chars=300),
        "exercise": key,
        "rate_hz": rate_hz,
        "channels": [
            {"index": i, "muscle": safe_text(name, max_chars=60), "role": role.value, "mvc_uv": round(mvc, 2)}
            for i, (name, role, mvc) in enumerate(zip(channels.names, channels.roles, result.mvc_uv))
        ],
        "not_in_exercise": [safe_text(m, max_chars=60) for m in channels.unmatched],
        "mvc_source": mvc_source,
        "phases": [{"start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3), "kind": s.kind} for s in result.segments],
        "cues": [
            {
                "t_s": round(t, 3),
                "kind": cue.kind.value,
                "channel": cue.channel,
                "muscle": safe_text(cue.muscle, max_chars=60),
                "value": cue.value,
                "text": safe_text(cue.text, max_chars=200),
                "rep": cue.rep,
            }
            for t, cue in zip(result.cue_times_s, result.cues)
        ],
        "reps": [
            {
                "number": r.number,
                "start_s": r.start_s,
                "end_s": r.end_s,
                "perfect": r.perfect,
                "reason": safe_text(r.reason, max_chars=100),
            }
            for r in result.reps
        ],
    }


def _print(report: dict[str, Any]) -> None:
    print(f"{report['file']}: {report['exercise']} at {report['rate_hz']:g} Hz; MVC from {report['mvc_source']}")
    for ch in report["channels"]:
        print(f"  ch{ch['index'] + 1} {ch['muscle']} ({ch['role']}), MVC {ch['mvc_uv']:.1f} µV")
    if report["not_in_exercise"]:
        print(f"  not in the exercise (no cue): {', '.join(report['not_in_exercise'])}")
    for p in report["phases"]:
        print(f"  {p['start_s']:7.2f} – {p['end_s']:7.2f} s  {p['kind']}")
    cues = report["cues"]
    print(f"{len(cues)} cue(s)")
    for c in cues:
        rep = f" (rep {c['rep']})" if c["rep"] is not None else ""
        print(f"  {c['t_s']:7.2f} s  {c['kind']:<14} ch{c['channel'] + 1} {c['muscle']}: {c['text']}{rep}")
