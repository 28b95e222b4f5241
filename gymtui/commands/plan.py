"""``gymtui plan [--db PATH] [--athlete NAME] [--date YYYY-MM-DD] [--tool emg|bfr] [--cuff arm|leg]``: where you are and today's sets.

BFR sets are planned only for the limb the cuff is on (``--cuff``; with
``--tool bfr`` alone, the limb of the athlete's last LOP stored).

Prints the athlete's name, the home screen's plan line, what comes next, any
guardrail that fired, and today's planned sets with loads from the log. It
only reads: an existing database is opened read-only, no athlete and no plan
row is added (an athlete with no plan yet sees the plan that would start
today), and an unknown ``--athlete`` is one line and exit status 2.

Problems with the user's files (exercises, gym, day templates) go to stderr,
one line each, and the plan goes on with the built-ins. Exercise names and
cues come from those files: every line is printed through
:func:`~gymtui.text.safe_text`, so a name cannot carry a terminal escape.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gymtui.commands import athlete_arg
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.store import Store

EXIT_USAGE = 2
PROBLEM_MAX_CHARS = 500
"""A problem line names a file (a long path) and quotes what is wrong: longer than a name, still one line."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show where you are in the plan and today's planned sets",
        description="Print the plan line, what is next, fired guardrails and today's sets with loads.",
    )
    parser.add_argument("--db", dest="plan_db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    parser.add_argument("--date", type=_date, default=None, help="pretend today is this date (YYYY-MM-DD)")
    parser.add_argument("--tool", choices=("emg", "bfr"), default=None, help="the tool week 4 adds (default: none)")
    parser.add_argument(
        "--cuff", choices=("arm", "leg"), default=None,
        help="the limb the BFR cuff is on (implies --tool bfr; default with --tool bfr: the limb of the last LOP stored)",
    )
    athlete_arg.add_argument(parser, "plan_athlete", "whose plan")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import default_db_path
    from gymtui.services.plan import session_history, status_from_store, todays_sets
    from gymtui.session import guardrails as g
    from gymtui.session.exercises import load_library
    from gymtui.session.loads import load_gym_config
    from gymtui.session.templates import load_templates
    from gymtui.store import StoreError

    db_path = (args.plan_db or getattr(args, "db", None) or default_db_path()).expanduser()
    today = args.date or dt.date.today()
    try:
        store = _open(db_path)
    except StoreError as exc:
        print(f"gymtui: {safe_text(exc, max_chars=PROBLEM_MAX_CHARS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        try:
            chosen = athlete_arg.resolve(store, athlete_arg.given(args, "plan_athlete"))
        except athlete_arg.UnknownAthlete as exc:
            print(f"gymtui: {safe_text(exc, max_chars=PROBLEM_MAX_CHARS)}", file=sys.stderr)
            return EXIT_USAGE
        library = load_library()
        gym, gym_problems = load_gym_config()
        for problem in library.problems + gym_problems + load_templates(library)[1]:
            print(f"gymtui: {safe_text(problem, max_chars=PROBLEM_MAX_CHARS)}", file=sys.stderr)
        athlete = chosen[0] if chosen else None
        tool, limb = ("bfr", args.cuff) if args.cuff else (args.tool, None)
        if tool == "bfr" and limb is None:
            limb = _last_cuff_limb(store, athlete) if athlete is not None else None
            if limb is None:
                print("gymtui plan: --tool bfr needs the cuff's limb: --cuff arm|leg (no LOP stored yet)", file=sys.stderr)
                return EXIT_USAGE
        status = status_from_store(store, athlete, today, tool=tool, write=False)
        print(safe_text(status.line))
        print(f"  {safe_text(status.week_note)}")
        print(f"  {safe_text(status.next_line)}")
        print(f"  athlete: {safe_text(chosen[1])}" if chosen else "  athlete: none yet (the plan a new athlete starts with)")
        if status.today != "train":
            return 0
        options = replace(status.options, bfr_limb=limb)
        planned = todays_sets(store, athlete, status, library, gym, today, options)
        guards = g.session_guards(session_history(store, athlete), today, planned, week_start=status.week_start, cuff_limb=limb)
        for guard in guards:
            print(f"  [{guard.level.value}] {safe_text(guard.message)}")
        print()
        for p in planned:
            extra = f"  ({safe_text(p.note)})" if p.note else ""
            print(f"  {p.workflow_phase.value:<14} {safe_text(p.headline())}{extra}")
            if p.warning:
                print(f"  {'':<14} ⚠ {safe_text(p.warning)}")
        return 0
    finally:
        store.close()


def _open(db_path: Path) -> Store:
    """The database read-only; a missing one made empty, one of an older schema brought up to date (no rows added)."""
    from gymtui.store import SCHEMA_VERSION, Store

    if db_path.is_file():
        store = Store(db_path, readonly=True)
        if int(store.conn.execute("PRAGMA user_version").fetchone()[0]) >= SCHEMA_VERSION:
            return store
        store.close()
    return Store(db_path)


def _last_cuff_limb(store: Store, athlete: int) -> str | None:
    """The limb of the athlete's most recent stored LOP: where the cuff went last time."""
    latest = [(row["age_days"], limb) for limb in ("arm", "leg") if (row := store.latest_lop(athlete, limb)) is not None]
    return min(latest)[1] if latest else None
