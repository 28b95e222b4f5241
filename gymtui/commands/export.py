"""``gymtui export --format csv|json [--db PATH] [--athlete NAME] [--out PATH] [--datasette]``: one row per set.

(``--raw`` writes each set's raw signal instead: :mod:`gymtui.commands.export_raw`.)

Every athlete's sets, or with ``--athlete`` one athlete's (an unknown name is
one line and exit status 2).

Each row is one set, oldest first, as a spreadsheet user reads it: the local
date and time, athlete, exercise, set number, set type (normal, warmup,
failure, dropset), the load in the gym's unit (``unit`` from ``gym.toml``;
``load_kg`` beside it), reps, reps in reserve, the activation rating, the
workflow phase, where the set came from (``app``, or the app it was
imported from) and the EMG summary (peak and mean %MVC, target share,
co-contraction, perfect reps). With ``--datasette``, ``metadata.json`` and
``datasette.json`` are written beside the database so that ``datasette
gymtui.db -m metadata.json -c datasette.json`` shows units, labels and
facets; without it nothing is written but the export.

Export is when a user most wants their data, so it reads the database
without writing to it, and a damaged one is not the end: what can be read
is written, what could not is said on stderr (with ``sqlite3 … .recover``
to rescue more), and the exit status is non-zero only if nothing could be
read. Strings are made printable (:func:`gymtui.text.safe_text`, never
shortened), and in CSV a text cell a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, tab, CR first) gets a leading ``'`` (OWASP's
CSV-injection advice); numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gymtui.commands import athlete_arg, export_raw
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.store import Store
    from gymtui.store.salvage import LostRows

EXIT_USAGE = 2
EXIT_NOTHING_READ = 1
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet evaluate a cell (OWASP CSV injection)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export every set (with its EMG summary) as CSV or JSON",
        description="Write one row per set: date, time, exercise, set, load and unit, reps, RIR, rating, the EMG summary. "
        "With --raw, write each set's raw signal instead (EDF+, BDF+ or CSV).",
    )
    parser.add_argument(
        "--format", choices=("csv", "json", "edf", "bdf"), default=None,
        help="output format: csv or json for the per-set table (default csv); edf, bdf or csv with --raw",
    )
    parser.add_argument("--db", dest="export_db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    athlete_arg.add_argument(parser, "export_athlete", "only this athlete's sets")
    parser.add_argument("--out", type=Path, metavar="PATH", help="file to write (default: standard output; for --raw see below)")
    parser.add_argument(
        "--datasette", action="store_true",
        help="also write metadata.json and datasette.json beside the database, for `datasette DB -m metadata.json -c datasette.json`",
    )
    export_raw.add_arguments(parser)
    parser.set_defaults(func=run)


def _only_athlete(store: Store, args: argparse.Namespace) -> int | None:
    """The athlete ``--athlete`` names (None: every athlete); :class:`athlete_arg.UnknownAthlete` if none has that name."""
    name = athlete_arg.given(args, "export_athlete")
    if name is None:
        return None
    chosen = athlete_arg.resolve(store, name)
    return chosen[0] if chosen else None


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: text made printable and never run as a formula; numbers untouched."""
    if not isinstance(value, str):
        return value
    cleaned = safe_text(value, max_chars=None)
    if value.startswith(FORMULA_STARTS) or cleaned.startswith(FORMULA_STARTS):
        return "'" + cleaned
    return cleaned


def json_value(value: Any) -> Any:
    return safe_text(value, max_chars=None) if isinstance(value, str) else value


def render(rows: Sequence[Mapping[str, Any]], fmt: str) -> str:
    if fmt == "json":
        cleaned = [{k: json_value(v) for k, v in row.items()} for row in rows]
        return json.dumps(cleaned, indent=1, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import default_db_path
    from gymtui.datasette_metadata import write_metadata
    from gymtui.session.loads import load_gym_config
    from gymtui.store import Store, StoreError
    from gymtui.store.dbfile import explain

    wrong = export_raw.misuse(args)
    if wrong is not None:
        print(f"gymtui: {wrong}", file=sys.stderr)
        return EXIT_USAGE
    args.format = args.format or "csv"
    db_path = (args.export_db or getattr(args, "db", None) or default_db_path()).expanduser()
    if not db_path.is_file():
        print(f"gymtui: no database at {db_path}", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = Store(db_path, readonly=True)
    except StoreError as exc:
        print(f"gymtui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.raw:
            return export_raw.run_raw(store, args, _only_athlete(store, args))
        rows, lost = read_rows(store, _only_athlete(store, args))
    except athlete_arg.UnknownAthlete as exc:
        print(f"gymtui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as exc:
        print(f"gymtui: {explain(db_path, exc)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    if lost:
        for part in lost:
            print(f"gymtui: export: {part.describe()}", file=sys.stderr)
        rescue = f"`sqlite3 {db_path} .recover > rescued.sql` can rescue more; keep {db_path.name} until then"
        if not rows:
            print(f"gymtui: export: no set could be read from {db_path}; {rescue}", file=sys.stderr)
            return EXIT_NOTHING_READ
        print(f"gymtui: export: the {len(rows)} sets that could be read are exported; {rescue}", file=sys.stderr)
    gym, problems = load_gym_config()
    for problem in problems:
        print(f"gymtui: {safe_text(problem, max_chars=500)}", file=sys.stderr)
    text = render(sheet_rows(rows, gym.unit), args.format)
    if args.datasette:
        try:
            write_metadata(db_path)
        except OSError as exc:
            print(f"gymtui: could not write Datasette's metadata beside the database ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_USAGE
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"gymtui: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


SHEET_COLUMNS = (
    "date", "time", "athlete", "exercise", "set_number", "set_type", "load", "unit", "reps", "rir",
    "activation_rating", "workflow_phase", "source", "status", "load_kg", "pct_1rm", "peak_pct_mvc",
    "mean_pct_mvc", "target_share", "cci_pct", "time_above_target_s", "perfect_reps", "mf_slope_hz_per_s",
    "feedback", "time_in_zone_s", "cue_count", "phases", "session_id", "set_id", "started_at", "ended_at",
)  # fmt: skip
"""The export's columns, in order: what a lifter reads first, then the EMG summary and the live biofeedback
(what the athlete saw: ``live``, ``cues`` or ``retention``; time in the target zone; cues shown), then the keys."""


def sheet_rows(rows: Sequence[Mapping[str, Any]], unit: str) -> list[dict[str, Any]]:
    """The store's export rows as the spreadsheet shows them: local date and time, the load in ``unit`` (kg or lb)."""
    from gymtui.session.loads import GymConfig

    gym = GymConfig(unit=unit)
    out = []
    for row in rows:
        date, time_of_day = _local_date_time(row.get("started_at"))
        load_kg = row.get("load_kg")
        sheet = {
            "date": date,
            "time": time_of_day,
            "load": gym.to_unit(load_kg) if isinstance(load_kg, (int, float)) else None,
            "unit": unit,
        }
        out.append({c: sheet[c] if c in sheet else row.get(c) for c in SHEET_COLUMNS})
    return out


def _local_date_time(stamp: object) -> tuple[str | None, str | None]:
    """``2026-03-02T10:00:00.000+00:00`` as this machine's local date and time to the minute (as stored if unreadable)."""
    import datetime as dt

    if not isinstance(stamp, str):
        return None, None
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp[:10], None
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.date().isoformat(), when.strftime("%H:%M")


def read_rows(store: Store, athlete_id: int | None = None) -> tuple[Sequence[Mapping[str, Any]], list[LostRows]]:
    """The export rows (one athlete's, or everyone's), and what could not be read: the plain query first, row by row if it fails."""
    from gymtui.store import salvage

    try:
        return store.export_rows(athlete_id), []
    except sqlite3.DatabaseError as exc:
        if not salvage.is_damage(exc) and "no such" not in str(exc):
            raise  # a lock, not damage: said as such by the caller
    # Damaged pages, or a database older or newer than the query (no such column, no such table).
    rows, lost = salvage.export_rows(store.conn)
    if athlete_id is not None:
        name = store.athlete_name(athlete_id)
        rows = [row for row in rows if row.get("athlete") == name]
    return rows, lost
