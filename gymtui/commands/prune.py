"""``gymtui prune --raw-older-than 90d [--dry-run] [--athlete NAME] [--db PATH]``: retention for the raw signal.

The raw EMG of every set is most of a database's size (tens of MB per hour
of training even packed). Past a few months a coach reads the summaries,
reps and ratings, not the raw waveform: this deletes the raw signal blocks
of sets started longer ago than the age given and keeps every set, phase,
rep, rating, cue and summary, so ``history`` and ``export`` show those sets
as before (without their envelope). Then it VACUUMs, so the file shrinks;
where that cannot run (another program has the file open, too little free
space for the copy) it says how to do it later.

Without ``--athlete`` every athlete's old sets are pruned; ``--dry-run``
says what would go and changes nothing.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

from gymtui.commands import athlete_arg
from gymtui.text import safe_text

EXIT_USAGE = 2
EXIT_FAILED = 1
_DURATION = re.compile(r"([0-9]{1,5})([dwy])")
_UNIT_DAYS = {"d": 1, "w": 7, "y": 365}


def duration(text: str) -> timedelta:
    """``90d``, ``12w`` or ``1y`` as a time span; a usage error (one line, exit 2) for anything else."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        shown = repr(text if len(text) <= 40 else text[:40] + "…")
        raise argparse.ArgumentTypeError(
            f"{shown} is not an age: give a whole number of days, weeks or years above 0, e.g. 90d, 12w or 1y"
        )
    return timedelta(days=int(found.group(1)) * _UNIT_DAYS[found.group(2)])


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prune",
        help="delete the raw signal of old sets (summaries, reps and ratings stay)",
        description=(
            "Delete the raw EMG blocks of sets started longer ago than the age given, keeping every set, phase, rep, "
            "rating, cue and summary, then VACUUM the database so the file shrinks."
        ),
    )
    parser.add_argument(
        "--raw-older-than", dest="older_than", required=True, type=duration, metavar="AGE",
        help="age of the sets whose raw signal goes: days, weeks or years, e.g. 90d, 12w, 1y",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what would be deleted and change nothing")
    parser.add_argument("--db", dest="prune_db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    athlete_arg.add_argument(parser, "prune_athlete", "only this athlete's sets")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import default_db_path
    from gymtui.store import Store, StoreError

    db_path = (args.prune_db or getattr(args, "db", None) or default_db_path()).expanduser()
    if not db_path.is_file():
        print(f"gymtui prune: no database at {safe_text(str(db_path))} (pass --db PATH)", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = Store(db_path, readonly=args.dry_run)
    except StoreError as exc:
        print(f"gymtui prune: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    try:
        athlete_id, whose = None, ""
        name = athlete_arg.given(args, "prune_athlete")
        if name is not None:
            try:
                chosen = athlete_arg.resolve(store, name)
            except athlete_arg.UnknownAthlete as exc:
                print(f"gymtui prune: {safe_text(str(exc))}", file=sys.stderr)
                return EXIT_USAGE
            if chosen:
                athlete_id, whose = chosen[0], f" of {safe_text(chosen[1])}"
        days = args.older_than.days
        age = f"{days} day{'s' if days != 1 else ''}"
        try:
            plan = store.prune_raw(args.older_than, athlete_id=athlete_id, dry_run=args.dry_run)
        except sqlite3.Error as exc:
            print(f"gymtui prune: cannot prune {safe_text(str(db_path))}: {safe_text(str(exc))}", file=sys.stderr)
            return EXIT_FAILED
        before = plan.cutoff.astimezone().strftime("%Y-%m-%d %H:%M")
        if plan.sets == 0:
            print(f"No set{whose} started before {before} ({age} ago) has raw signal stored: nothing to delete.")
            return 0
        what = f"the raw signal of {plan.sets} set{'s' if plan.sets != 1 else ''}{whose} started before {before} " \
               f"({plan.blocks} block{'s' if plan.blocks != 1 else ''}, {_megabytes(plan.bytes)})"
        kept = "every set, phase, rep, rating, cue and summary stays"
        if args.dry_run:
            print(f"Would delete {what}; {kept}. Nothing changed (--dry-run).")
            return 0
        print(f"Deleted {what}; {kept}.")
        size_before = _file_size(db_path)
        try:
            store.vacuum()
        except sqlite3.Error as exc:
            print(
                f"gymtui prune: the space is not given back yet ({safe_text(str(exc))}); with gymtui closed, run: "
                f"sqlite3 {safe_text(str(db_path))} VACUUM",
                file=sys.stderr,
            )
            return 0
        print(f"VACUUM done: the file went from {_megabytes(size_before)} to {_megabytes(_file_size(db_path))}.")
        return 0
    finally:
        store.close()


def _file_size(path: Path) -> int:
    """The database's bytes on disk, its write-ahead log included."""
    total = 0
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total
