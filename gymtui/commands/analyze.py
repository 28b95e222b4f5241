"""``gymtui analyze PATH [--rate HZ] [--json] [--envelope-out CSV]``: a recording through the live pipeline.

``gymtui analyze PATH --exercise KEY --cues [--mvc UV,UV,...] [--json]``
replays the recording through the live chain with the exercise's form
rules and lists the cues the set screen would have shown, with their times.

PATH is a recording, its format told from its header: EDF/BDF, an OpenBCI
GUI text recording, a Delsys Trigno CSV export, ``gymtui simulate`` output,
gymtui's raw CSV export, or plain numeric columns (whitespace, comma or tab
separated; ``#`` comments; CRLF or LF); or ``set:ID`` for a set's raw signal
in the database (``--db PATH`` or the default database; ``--athlete NAME``
checks the set is that athlete's). Prints per channel
the onsets and offsets, peak and mean envelope, median frequency at the
start and end of each burst with its slope, and quality flags. A file that
cannot be read is one line on stderr and exit status 2: only a regular
file of at most 256 MiB, with text lines of at most 64 KiB, is read, and a device,
FIFO, directory or binary file is refused before it is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gymtui.argtypes import bounded_float
from gymtui.commands import athlete_arg
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.store import Store

EXIT_BAD_INPUT = 2
RATE_HZ = bounded_float(
    0, 100_000, unit="Hz", low_open=True, why="no surface-EMG amplifier samples faster than 100 kHz"
)
MAX_SET_ID = 2**63 - 1
"""SQLite's largest integer key: a larger ID cannot name a stored set (and overflows the query)."""
_SET_ID = re.compile(r"[0-9]+")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="onsets, envelopes, fatigue slopes and quality flags of a recording",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("path", metavar="PATH", help="recording (EDF/BDF, OpenBCI GUI, Trigno CSV, gymtui CSV, text columns), or set:ID for a set in the database")
    parser.add_argument("--rate", type=RATE_HZ, metavar="HZ", help="sampling rate (default: from the file header)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--envelope-out", type=Path, metavar="CSV", help="write the envelope (µV) per channel to CSV")
    parser.add_argument("--db", dest="set_db", type=Path, metavar="PATH", help="database for set:ID (default: gymtui --db, $GYMTUI_DB or the user data dir)")
    athlete_arg.add_argument(parser, "set_athlete", "with set:ID: the athlete the set must belong to")
    parser.add_argument(
        "--onsets", choices=("envelope", "tkeo"), default="envelope",
        help="detect onsets on the envelope (default) or on the Teager–Kaiser energy",
    )
    parser.add_argument(
        "--mains", dest="analyze_mains", type=int, choices=(50, 60), default=None, help="mains frequency to notch (default 50)"
    )
    parser.add_argument("--cues", action="store_true", help="replay through the live chain and list the form cues (needs --exercise)")
    parser.add_argument("--exercise", metavar="KEY", help="with --cues: the exercise (library key or name) whose rules and roles apply")
    parser.add_argument(
        "--mvc", type=_mvc_list, metavar="UV,UV,...",
        help="with --cues: the MVC per channel in µV (default: the recording's calibration segment)",
    )
    parser.add_argument(
        "--muscles", type=_name_list, metavar="NAME,NAME,...",
        help="with --cues: the muscle on each column, in order (default: the file's column names)",
    )
    parser.set_defaults(func=run)


def _mvc_list(text: str) -> tuple[float, ...]:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of µV: {safe_text(part.strip(), max_chars=30)!r}") from None
        if not (value > 0 and value < 1e7):
            raise argparse.ArgumentTypeError(f"an MVC is a positive number of µV below 10 V, not {safe_text(part.strip(), max_chars=30)}")
        values.append(value)
    return tuple(values)


def _name_list(text: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError("a muscle name is empty")
    return names


def _fail(message: str) -> int:
    """One line on stderr: the message may quote a path or a value from the file, so it is made safe."""
    print(f"gymtui analyze: {safe_text(message, max_chars=500)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _load(args: argparse.Namespace) -> tuple[Any, float, tuple[str, ...], str]:
    from gymtui.interop.readers import read_recording
    from gymtui.signal.recording import RecordingError

    if args.path.startswith("set:"):
        return _load_set(args)
    rec = read_recording(args.path, args.rate)
    args.recording_gaps = rec.gaps  # said under the report: the signal is joined across them
    if rec.samples.shape[0] < rec.rate_hz * 0.5:
        raise RecordingError(f"{args.path}: only {rec.samples.shape[0]} samples; at least half a second is needed")
    unit = "µV" if rec.in_microvolts else "file units"
    return rec.samples, rec.rate_hz, rec.names, unit


def _set_id(path: str) -> int:
    """The ID in ``set:ID``: digits only (``int()`` would take ``-1``, `` 1`` and ``1_0``), 1 to SQLite's maximum."""
    from gymtui.signal.recording import RecordingError

    text = path[4:]
    shown = text if len(text) <= 30 else text[:30] + "…"
    if not _SET_ID.fullmatch(text):
        raise RecordingError(f"set:{shown}: a set is named set:ID with a numeric ID, e.g. set:12")
    if len(text) > len(str(MAX_SET_ID)) or not 1 <= int(text) <= MAX_SET_ID:
        raise RecordingError(f"set:{shown}: no such set; set IDs run from 1 to {MAX_SET_ID}")
    return int(text)


def _load_set(args: argparse.Namespace) -> tuple[Any, float, tuple[str, ...], str]:
    import sqlite3

    from gymtui.signal.recording import RecordingError
    from gymtui.store import Store, StoreError

    set_id = _set_id(args.path)
    db_path = getattr(args, "set_db", None) or getattr(args, "db", None)
    if db_path is None:
        from gymtui.cli import default_db_path

        db_path = default_db_path()
    if not Path(db_path).exists():
        raise RecordingError(f"no database at {db_path} (pass --db PATH)")
    try:
        store = Store(db_path, readonly=True)  # analysing a set never writes to the log
    except StoreError as exc:
        raise RecordingError(str(exc)) from None
    try:
        _check_athlete(store, set_id, athlete_arg.given(args, "set_athlete"))
        try:
            samples, rate_hz = store.signal_of(set_id)
        except (sqlite3.Error, ValueError) as exc:  # a foreign or damaged database, a block of the wrong size
            raise RecordingError(f"cannot read set {set_id} from {db_path}: {exc}") from None
        names: tuple[str, ...] = ()
        try:
            row = store.get_set(set_id)
            names = tuple(
                c.get("muscle", "") if isinstance(c, dict) else str(c) for c in json.loads(row.get("channels") or "[]")
            )
        except Exception:  # noqa: BLE001 - a set with no row or odd channel JSON still has its signal
            names = ()
    finally:
        store.close()
    if samples.size == 0:
        raise RecordingError(f"set {set_id} has no stored signal in {db_path}")
    if args.rate:
        rate_hz = args.rate
    if len(names) != samples.shape[1] or not all(names):
        names = tuple(f"ch{i + 1}" for i in range(samples.shape[1]))
    return samples.astype("float64"), rate_hz, names, "µV"


def _check_athlete(store: Store, set_id: int, name: str | None) -> None:
    """With ``--athlete``: the name is an athlete here, and the set is theirs (else a one-line error)."""
    import sqlite3

    from gymtui.signal.recording import RecordingError

    if name is None:
        return
    try:
        chosen = athlete_arg.resolve(store, name)
    except athlete_arg.UnknownAthlete as exc:
        raise RecordingError(str(exc)) from None
    try:
        row = store.conn.execute("SELECT athlete_id FROM sets WHERE id = ?", (set_id,)).fetchone()
    except sqlite3.Error as exc:
        raise RecordingError(f"cannot read set {set_id} from {store.path}: {exc}") from None
    if row is None:
        raise RecordingError(f"no set {set_id} in {store.path}")
    if chosen is None or int(row[0]) != chosen[0]:
        raise RecordingError(f"set {set_id} is not {name}'s: it belongs to {store.athlete_name(int(row[0]))}")


def run(args: argparse.Namespace) -> int:
    from gymtui.signal.recording import RecordingError

    if getattr(args, "cues", False):
        from gymtui.commands.analyze_cues import run_cues

        return run_cues(args, _fail, _load)
    for given, flag in ((args.exercise, "--exercise"), (args.mvc, "--mvc"), (args.muscles, "--muscles")):
        if given is not None:
            return _fail(f"{flag} goes with --cues")
    try:
        samples, rate_hz, names, unit = _load(args)
    except RecordingError as exc:
        return _fail(str(exc))

    from gymtui.signal.analysis import analyze_recording
    from gymtui.signal.pipeline import PipelineConfig

    mains_hz = getattr(args, "analyze_mains", None) or getattr(args, "mains", None) or 50
    config = PipelineConfig(mains_hz=float(mains_hz))
    try:
        report, envelope, pipeline = analyze_recording(
            samples, rate_hz, names, config=config, onset_method=args.onsets, include_ci=not args.json
        )
    except ValueError as exc:  # e.g. a rate too low for the band
        return _fail(str(exc))
    if args.envelope_out:
        try:
            _write_envelope(args.envelope_out, envelope, rate_hz, names)
        except OSError as exc:
            return _fail(f"cannot write {args.envelope_out}: {exc.strerror or exc}")
    try:
        if args.json:
            print(json.dumps(report))
        else:
            _print_text(report, pipeline, samples.shape[0] / rate_hz, unit)
            _print_gaps(getattr(args, "recording_gaps", ()))
        sys.stdout.flush()
    except BrokenPipeError:  # piped into head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _write_envelope(path: Path, envelope: Any, rate_hz: float, names: tuple[str, ...]) -> None:
    import numpy as np

    t_s = np.arange(envelope.shape[0]) / rate_hz
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("t_s," + ",".join(f"{safe_text(n, max_chars=60)}_envelope_uv" for n in names) + "\n")
        np.savetxt(fh, np.column_stack([t_s, envelope]), delimiter=",", fmt="%.6g")


def _print_gaps(gaps: tuple[tuple[int, int], ...]) -> None:
    if gaps:
        lost = sum(n for _, n in gaps)
        print(f"\nnote: the file's clock jumps {len(gaps)} time(s), {lost} sample(s) lost; "
              "the analysis joins the signal across each gap")


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "n/a" if x is None else format(x, spec)


def _print_text(report: dict[str, Any], pipeline: Any, duration_s: float, unit: str) -> None:
    d = pipeline.describe()
    print(f"rate {report['rate_hz']:g} Hz, {duration_s:.1f} s, {len(report['channels'])} channel(s)")
    print(f"band {d['band_hz'][0]:g}–{d['band_hz'][1]:g} Hz, notch {d['mains_hz']:g} Hz + harmonics; {d['envelope']}; "
          f"envelope delay {d['group_delay_s'] * 1000:.1f} ms (removed from onsets)")
    if d["band_note"]:
        print(f"note: {d['band_note']}; median frequency n/a at this rate" if report["rate_hz"] < 500 else f"note: {d['band_note']}")
    if unit != "µV":
        print("values are in the file's units (no µV scale known)")
    for ch in report["channels"]:
        flags = ", ".join(ch["flags"]) or "none"
        u = " µV" if unit == "µV" else ""
        print(
            f"\n{safe_text(ch['name'], max_chars=60)}: envelope peak {_fmt(ch['peak_envelope_uv'])}{u}  mean {_fmt(ch['mean_envelope_uv'], '.2f')}{u}"
            f"  flags: {flags}"
        )
        if not ch["bursts"]:
            print("  no bursts above the rest baseline")
        for b in ch["bursts"]:
            slope = b["mf_slope_hz_per_s"]
            if slope is not None:
                lo, hi = b.get("mf_slope_ci_hz_per_s") or (None, None)
                ci = f" (95% CI {lo:+.2f} to {hi:+.2f})" if lo is not None and hi is not None else ""
                mf = f"MF {_fmt(b['mf_start_hz'])} → {_fmt(b['mf_end_hz'])} Hz, slope {slope:+.2f} Hz/s{ci}"
            elif b["mf_start_hz"] is not None:
                mf = f"MF {_fmt(b['mf_start_hz'])} → {_fmt(b['mf_end_hz'])} Hz (too short for a slope)"
            else:
                mf = "MF n/a"
            print(f"  {b['start_s']:7.2f} – {b['end_s']:7.2f} s  ({b['end_s'] - b['start_s']:.2f} s)  {mf}")
