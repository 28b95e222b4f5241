"""``gymtui export --raw --format edf|bdf|csv``: each set's raw signal as a file a lab's tools open.

Which sets: ``--set ID``, ``--session ID``, ``--athlete NAME`` and
``--since YYYY-MM-DD``, every one given must match (none: every set with a
raw signal). Discarded sets are left out.

Where: one file per set, since each set is its own recording with its own
start time (EDFbrowser, MNE and EEGLAB open one recording per file). For
one set ``--out`` is the file (or a folder to put it in); for several sets
it is a folder (made if missing). Without ``--out`` the files go into the
current folder. A file is named ``set-<id>_<YYYYmmdd-HHMMSS>_<exercise>.<ext>``.

What: the blocks from :meth:`Store.raw_blocks` placed on the wall clock
(``t0_s + sets.clock_offset_s``; a set stored before that column existed
is placed by its ``started_at``, and the file says so), the channels'
names (the set's muscles) and unit from the set's ``channels`` JSON, the
sensor's physical range where known (a channel's ``range`` ``[min, max]``
in that JSON, else the whole range of the sensor's own integers when the
blocks are kept as int8/int16 with a scale), and as events: the set's start (exercise, load) and end,
each phase (kind, name, planned and actual duration), each rep (perfect,
or why not), the rating and each cue. The writing is
:mod:`gymtui.interop.edf_export` and :mod:`gymtui.interop.raw_csv`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gymtui.interop.raw_signal import (
    RawBlock,
    RawEvent,
    RawExportError,
    RawRecording,
    native_range,
    timeline,
)
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.store import Store

EXIT_USAGE = 2
RAW_FORMATS = ("edf", "bdf", "csv")
NO_CLOCK_NOTE = (
    "signal placed on the wall clock by the set's start (started_at): this set was stored before gymtui "
    "kept the signal clock's offset, so times may be off by the sensor's start-up delay"
)


class RawExportFailed(Exception):
    """One line to show, and exit status 2."""


def since_date(text: str) -> str:
    """``--since``'s value: a calendar date ``YYYY-MM-DD`` (argparse says the error)."""
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {safe_text(text, max_chars=40)!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "raw signal (--raw)",
        "Write each set's raw EMG signal as EDF+ (16-bit), BDF+ (24-bit) or CSV, one file per set, with the phases, "
        "reps, rating and cues as annotations (EDF/BDF). Gaps are a flat line marked 'gap N samples' in EDF/BDF, "
        "missing rows in CSV. --out is the file for one set, a folder for several (default: the current folder); "
        "files are named set-<id>_<date-time>_<exercise>.<ext>.",
    )
    group.add_argument("--raw", action="store_true", help="export the raw signal (--format edf, bdf or csv; default csv)")
    group.add_argument("--set", dest="raw_set", type=int, metavar="ID", help="only this set")
    group.add_argument("--session", dest="raw_session", type=int, metavar="ID", help="only this session's sets")
    group.add_argument("--since", dest="raw_since", type=since_date, metavar="YYYY-MM-DD", help="only sets from this date on")


def misuse(args: argparse.Namespace) -> str | None:
    """The one line saying why these export options do not go together (None: they do)."""
    fmt = args.format or "csv"
    if not args.raw:
        if fmt in ("edf", "bdf"):
            return f"--format {fmt} writes the raw signal: add --raw"
        for flag, dest in (("--set", "raw_set"), ("--session", "raw_session"), ("--since", "raw_since")):
            if getattr(args, dest) is not None:
                return f"{flag} chooses sets for the raw export: add --raw (the per-set table has every set)"
        return None
    if fmt not in RAW_FORMATS:
        return f"--raw writes edf, bdf or csv, not {fmt}"
    if args.datasette:
        return "--datasette goes with the per-set table, not with --raw"
    return None


def run_raw(store: Store, args: argparse.Namespace, athlete_id: int | None) -> int:
    """Write the chosen sets' raw signal; each file written is one line on stdout, a failure one line on stderr."""
    fmt = args.format
    try:
        chosen = _choose(store, args, athlete_id)
        targets = _targets(args.out, chosen, store, fmt)
        for set_id, path in targets:
            recording = gather(store, set_id)
            said = write(recording, path, fmt)
            print(f"gymtui: wrote {safe_text(str(path), max_chars=None)} ({said})")
    except RawExportFailed as exc:
        print(f"gymtui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _choose(store: Store, args: argparse.Namespace, athlete_id: int | None) -> list[int]:
    set_id, session_id = args.raw_set, args.raw_session
    if set_id is not None and not store.has_set(set_id):
        raise RawExportFailed(f"there is no set {set_id}")
    if session_id is not None and not store.has_session(session_id):
        raise RawExportFailed(f"there is no session {session_id}")
    rows = store.raw_export_sets(set_id=set_id, session_id=session_id, athlete_id=athlete_id, since=args.raw_since)
    if set_id is not None:
        if not rows:
            raise RawExportFailed(f"set {set_id} is not among the chosen sets (discarded, or another athlete's, session or date)")
        if rows[0][1] == 0:
            raise RawExportFailed(f"set {set_id} has no raw signal (it ran without a sensor)")
    with_signal = [sid for sid, blocks in rows if blocks]
    skipped = [sid for sid, blocks in rows if not blocks]
    if skipped:
        print(f"gymtui: {len(skipped)} chosen sets have no raw signal and are left out: {', '.join(map(str, skipped))}", file=sys.stderr)
    if not with_signal:
        raise RawExportFailed("no chosen set has a raw signal" if rows else "no set matches")
    return with_signal


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or "set"


def file_name(store: Store, set_id: int, fmt: str) -> str:
    row = store.get_set(set_id)
    when = _parse_time(row["started_at"])
    stamp = when.strftime("%Y%m%d-%H%M%S") if when else "undated"
    return f"set-{set_id}_{stamp}_{_slug(row['exercise'])}.{fmt}"


def _targets(out: Path | None, set_ids: Sequence[int], store: Store, fmt: str) -> list[tuple[int, Path]]:
    """Each set's file: ``--out`` itself for one set (unless it is a folder), else named files in the folder."""
    folder = Path.cwd() if out is None else out.expanduser()
    if out is not None and len(set_ids) == 1 and not folder.is_dir():
        return [(set_ids[0], folder)]
    if folder.exists() and not folder.is_dir():
        raise RawExportFailed(f"--out {safe_text(str(out))} is a file; {len(set_ids)} sets need a folder (one file per set)")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise RawExportFailed(f"cannot make the folder {safe_text(str(folder))}: {exc.strerror or exc}") from None
    return [(set_id, folder / file_name(store, set_id, fmt)) for set_id in set_ids]


def write(recording: RawRecording, path: Path, fmt: str) -> str:
    """Write one set's file; returns the few words the CLI says about it."""
    from gymtui.interop.edf_export import write_edf
    from gymtui.interop.raw_csv import write_csv

    shown = safe_text(str(path))
    try:
        if fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as out:
                write_csv(recording, out)
            what = ""
        else:
            done = write_edf(recording, path, "bdf" if fmt == "bdf" else "edf")
            what = f", {done['records']} records of {done['record_s']:g} s"
    except RawExportError as exc:
        raise RawExportFailed(f"set {recording.set_id}: {exc}") from None
    except OSError as exc:
        raise RawExportFailed(f"cannot write {shown}: {exc.strerror or exc}") from None
    n = sum(b.n_samples for b in recording.blocks)
    gaps = len(timeline(recording.blocks, recording.rate_hz)[1])
    exercise = safe_text(recording.exercise)
    return f"set {recording.set_id}, {exercise}: {n} samples × {recording.n_channels} channels at {recording.rate_hz:g} Hz, {gaps} gaps{what}"


# -- from the store to a RawRecording ------------------------------------------------------------


def _parse_time(stamp: object) -> dt.datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.astimezone()


def _channels(text: str | None, n: int) -> tuple[tuple[str, ...], str, tuple[tuple[float, float], ...] | None]:
    """Labels, unit and (where every channel states one) physical range from the set's ``channels`` JSON."""
    try:
        rows = json.loads(text) if text else []
    except ValueError:
        rows = []
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    if len(rows) != n:
        rows = [{} for _ in range(n)]
    labels = tuple(safe_text(r.get("muscle") or r.get("label") or f"ch {i + 1}") for i, r in enumerate(rows))
    units = [str(r["unit"]) for r in rows if r.get("unit")]
    unit = safe_text(units[0], max_chars=16) if units else "µV"
    ranges: list[tuple[float, float]] = []
    for r in rows:
        got = r.get("range")
        if isinstance(got, list) and len(got) == 2 and all(isinstance(v, (int, float)) for v in got) and got[0] < got[1]:
            ranges.append((float(got[0]), float(got[1])))
    return labels, unit, tuple(ranges) if len(ranges) == n else None


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "?"


def events_of(store: Store, set_id: int, row: dict[str, Any], signal_start_s: float) -> list[RawEvent]:
    """The set's start and end, phases, reps, rating and cues as events on the wall clock.

    Phases, the set's start and end and the rating carry wall times; reps
    and cues count seconds from the set's first sample (``signal_start_s``
    on the wall clock).
    """
    events: list[RawEvent] = []
    exercise = safe_text(row["exercise"])
    start, end = _parse_time(row["started_at"]), _parse_time(row.get("ended_at"))
    load = f", {_num(row['load_kg'])} kg" if row.get("load_kg") is not None else ""
    if start is not None:
        duration = (end - start).total_seconds() if end is not None else None
        events.append(RawEvent(start.timestamp(), duration, f"set start: {exercise}{load}"))
    if end is not None:
        events.append(RawEvent(end.timestamp(), None, f"set end: {safe_text(row['status'])}, {exercise}{load}"))
    detail = store.set_detail(set_id)
    for phase in detail["phases"]:
        at = _parse_time(phase["started_at"])
        if at is None:
            continue
        name = f" {safe_text(phase['name'])}" if phase.get("name") else ""
        planned = f" (planned {_num(phase['planned_s'])} s)" if phase.get("planned_s") is not None else ""
        events.append(RawEvent(at.timestamp(), phase.get("duration_s"), f"phase {phase['idx'] + 1} {safe_text(phase['kind'])}:{name}{planned}"))
    for rep in detail["rep_rows"]:
        if rep.get("start_s") is None:
            continue
        begin = float(rep["start_s"])  # type: ignore[arg-type]
        duration = float(rep["end_s"]) - begin if rep.get("end_s") is not None else None  # type: ignore[arg-type]
        verdict = ""
        if rep.get("perfect") is not None:
            reason = safe_text(rep.get("reason") or "")
            verdict = ": perfect" if rep["perfect"] else f": not perfect{' (' + reason + ')' if reason else ''}"
        events.append(RawEvent(signal_start_s + begin, duration, f"rep {rep['idx']}{verdict}"))
    if row.get("activation_rating") is not None:
        rated = _parse_time(row.get("rated_at")) or end or start
        if rated is not None:
            events.append(RawEvent(rated.timestamp(), None, f"rating {row['activation_rating']}/10"))
    for cue in store.cues_of(set_id):
        text = safe_text(cue.get("text") or cue.get("kind") or "")
        muscle = f" [{safe_text(cue['muscle'])}]" if cue.get("muscle") else ""
        events.append(RawEvent(signal_start_s + float(cue["t_s"]), None, f"cue: {text}{muscle}"))
    events.sort(key=lambda e: e.at_s)
    return events


def gather(store: Store, set_id: int) -> RawRecording:
    """One set's raw signal, on the wall clock, with its channels and events."""
    row: dict[str, Any] = dict(store.get_set(set_id))
    stored = [b for b in store.raw_blocks(set_id) if b.n_samples]
    if not stored:
        raise RawExportFailed(f"set {set_id} has no raw signal (it ran without a sensor)")
    rates = {b.rate_hz for b in stored}
    if len(rates) > 1:
        raise RawExportFailed(f"set {set_id} changes sample rate mid-set ({', '.join(f'{r:g}' for r in sorted(rates))} Hz)")
    start = _parse_time(row["started_at"])
    offset = row.get("clock_offset_s")
    notes: list[str] = []
    if offset is None:
        if start is None:
            raise RawExportFailed(f"set {set_id} has no readable start time to place its signal on the wall clock")
        offset = start.timestamp() - stored[0].t0_s
        notes.append(NO_CLOCK_NOTE)
    blocks = tuple(RawBlock(b.t0_s + float(offset), b.lost_samples, b.samples_uv) for b in stored)
    if stored[0].lost_samples:
        notes.append(f"{stored[0].lost_samples} samples lost before the first sample")
    n_channels = int(stored[0].samples_uv.shape[1])
    labels, unit, ranges = _channels(row.get("channels"), n_channels)
    if ranges is None:
        packings = store.raw_packings(set_id)
        if len(packings) == 1:
            ranges = native_range(*packings[0], n_channels)
    tz = start.tzinfo if start is not None and start.tzinfo is not None else dt.UTC
    try:
        return RawRecording(
            rate_hz=stored[0].rate_hz,
            labels=labels,
            unit=unit,
            blocks=blocks,
            events=tuple(events_of(store, set_id, row, blocks[0].t0_s)),
            tz=tz,
            physical_range=ranges,
            notes=tuple(notes),
            set_id=set_id,
            exercise=str(row["exercise"]),
            subject=f"athlete-{row['athlete_id']}",
        )
    except RawExportError as exc:
        raise RawExportFailed(f"set {set_id}: {exc}") from None
