"""``gymtui export --format csv|json [--db PATH] [--athlete NAME] [--out PATH]``: one row per set.

Every athlete's sets, or with ``--athlete`` one athlete's (an unknown name is
one line and exit status 2).

Each row carries the exercise, load, reps, activation rating and the set's
EMG summary (peak and mean %MVC, target share, co-contraction, perfect reps),
oldest first. ``metadata.json`` and ``datasette.json`` are written beside the database
so that ``datasette gymtui.db -m metadata.json -c datasette.json`` shows units, labels
and facets.

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

from gymtui.commands import athlete_arg
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
        description="Write one row per set: exercise, load_kg, reps, activation_rating and the EMG summary.",
    )
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    parser.add_argument("--db", dest="export_db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    athlete_arg.add_argument(parser, "export_athlete", "only this athlete's sets")
    parser.add_argument("--out", type=Path, metavar="PATH", help="file to write (default: standard output)")
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
    from gymtui.store import Store, StoreError
    from gymtui.store.dbfile import explain

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
    text = render(rows, args.format)
    try:
        write_metadata(db_path)
    except OSError as exc:
        print(f"gymtui: note: could not write Datasette's metadata beside the database ({exc.strerror or exc})", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"gymtui: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


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
