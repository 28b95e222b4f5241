"""``gymtui export --format csv|json [--db PATH] [--out PATH]``: one row per set.

Each row carries the exercise, load, reps, activation rating and the set's
EMG summary (peak and mean %MVC, target share, co-contraction, perfect reps),
oldest first. A ``metadata.yml`` is written beside the database so that
``datasette gymtui.db -m metadata.yml`` shows units, labels and facets.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export every set (with its EMG summary) as CSV or JSON",
        description="Write one row per set: exercise, load_kg, reps, activation_rating and the EMG summary.",
    )
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    parser.add_argument("--db", dest="export_db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    parser.add_argument("--out", type=Path, metavar="PATH", help="file to write (default: standard output)")
    parser.set_defaults(func=run)


def render(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import default_db_path
    from gymtui.datasette_metadata import write_metadata
    from gymtui.store import Store, StoreError

    db_path = (args.export_db or getattr(args, "db", None) or default_db_path()).expanduser()
    if not db_path.is_file():
        print(f"gymtui: no database at {db_path}", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = Store(db_path)
    except StoreError as exc:
        print(f"gymtui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = render(store.export_rows(), args.format)
    finally:
        store.close()
    try:
        write_metadata(db_path)
    except OSError as exc:
        print(f"gymtui: note: could not write metadata.yml beside the database ({exc.strerror or exc})", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"gymtui: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0
