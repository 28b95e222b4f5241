"""``gymtui plan [--db PATH] [--date YYYY-MM-DD] [--tool emg|bfr]``: where you are and today's sets.

Prints the home screen's plan line, what comes next, any guardrail that
fired, and today's planned sets with loads from the log. Reading it starts
the guide's plan on the first call (that is what the home screen does too).

Problems with the user's files (exercises, gym, day templates) go to stderr,
one line each, and the plan goes on with the built-ins. Exercise names and
cues come from those files: every line is printed through
:func:`~gymtui.text.safe_text`, so a name cannot carry a terminal escape.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from gymtui.text import safe_text

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
    parser.add_argument("--athlete", default="Athlete", help="athlete name (default: Athlete)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import default_db_path
    from gymtui.services.plan import session_history, status_from_store, todays_sets
    from gymtui.session import guardrails as g
    from gymtui.session.exercises import load_library
    from gymtui.session.loads import load_gym_config
    from gymtui.session.templates import load_templates
    from gymtui.store import Store, StoreError

    db_path = (args.plan_db or getattr(args, "db", None) or default_db_path()).expanduser()
    today = args.date or dt.date.today()
    try:
        store = Store(db_path)
    except StoreError as exc:
        print(f"gymtui: {safe_text(exc, max_chars=PROBLEM_MAX_CHARS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        library = load_library()
        gym, gym_problems = load_gym_config()
        for problem in library.problems + gym_problems + load_templates(library)[1]:
            print(f"gymtui: {safe_text(problem, max_chars=PROBLEM_MAX_CHARS)}", file=sys.stderr)
        athlete = store.ensure_athlete(args.athlete)
        status = status_from_store(store, athlete, today, tool=args.tool)
        print(safe_text(status.line))
        print(f"  {safe_text(status.week_note)}")
        print(f"  {safe_text(status.next_line)}")
        if status.today != "train":
            return 0
        planned = todays_sets(store, athlete, status, library, gym, today)
        for guard in g.session_guards(session_history(store, athlete), today, planned, week_start=status.week_start):
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
