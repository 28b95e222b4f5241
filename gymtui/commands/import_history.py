"""``gymtui import strong|hevy FILE [--athlete NAME] [--unit kg|lb] [--db PATH]``: training history from another app.

Reads the app's CSV export (:mod:`gymtui.session.import_formats`), maps each
exercise name to the library by display name or alias (``aliases`` in the
built-in ``exercises.toml`` and in the user's own), and writes one session
per workout and one set row per set in one transaction
(:meth:`gymtui.store.Store.import_workouts`). Names the library does not know
stay as written and are listed as new exercises. Importing the same file
again adds nothing.

The athlete is ``--athlete NAME`` (an athlete of this database), else the
one the app used last; in a database with no athlete yet, the named one (or
"Athlete") is made. Strong's current export does not say its weight unit:
``--unit`` does (default: the gym's unit in ``gym.toml``).

A row that cannot be read is one line on stderr with its line number, and
the import goes on; a file that is not such an export, a missing file or an
unknown athlete is one line and exit status 2. Every name is printed through
:func:`~gymtui.text.safe_text`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gymtui.commands import athlete_arg
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.session.exercises import ExerciseLibrary
    from gymtui.session.import_formats import ParsedFile
    from gymtui.store import Store
    from gymtui.store.imports import ImportSet, ImportWorkout

EXIT_USAGE = 2
MAX_IMPORT_BYTES = 64 * 1024 * 1024
"""Years of daily training in either app is a few MB; a bigger file is not an export."""
LINE_MAX_CHARS = 500


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import training history from Strong or Hevy (CSV export)",
        description="Add every set of a Strong or Hevy CSV export to the log: one session per workout.",
    )
    parser.add_argument("source", choices=("strong", "hevy"), help="the app that wrote the file")
    parser.add_argument("file", type=Path, metavar="FILE", help="the CSV file the app exported")
    parser.add_argument("--db", dest="import_db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    athlete_arg.add_argument(parser, "import_athlete", "whose history this is")
    parser.add_argument(
        "--unit", choices=("kg", "lb"), default=None,
        help="Strong's weight unit where the file does not say it (default: the gym's unit in gym.toml)",
    )
    parser.set_defaults(func=run)


def _fail(message: object) -> int:
    print(f"gymtui import: {safe_text(message, max_chars=LINE_MAX_CHARS)}", file=sys.stderr)
    return EXIT_USAGE


def _read(path: Path) -> str:
    """The file as text; ValueError with one sentence if it cannot be an export."""
    from gymtui.session.config_file import TooLarge, read_capped

    try:
        data = read_capped(path, MAX_IMPORT_BYTES)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except TooLarge:
        raise ValueError(f"{path} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB: not a workout export") from None
    if b"\0" in data[:4096]:
        raise ValueError(f"{path} is a binary file, not a CSV export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # an old export saved by a spreadsheet


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import default_db_path
    from gymtui.instance import InstanceLockError, open_locked_store
    from gymtui.session import import_formats as fmt
    from gymtui.session.exercises import load_library
    from gymtui.session.loads import load_gym_config
    from gymtui.store import StoreError

    started = time.monotonic()
    try:
        text = _read(args.file)
    except ValueError as exc:
        return _fail(exc)
    unit = args.unit
    if unit is None and args.source == "strong":
        unit = load_gym_config()[0].unit
    try:
        parsed = fmt.parse(args.source, text, unit=unit or "kg")
    except fmt.NotAnExport as exc:
        return _fail(f"{args.file} is not a {args.source.title()} export: {exc}")
    library = load_library()
    for problem in library.problems:
        print(f"gymtui: {safe_text(problem, max_chars=LINE_MAX_CHARS)}", file=sys.stderr)
    db_path = (args.import_db or getattr(args, "db", None) or default_db_path()).expanduser()
    try:
        lock, store = open_locked_store(db_path)
    except (StoreError, InstanceLockError) as exc:
        return _fail(exc)
    try:
        try:
            athlete_id, athlete = _athlete(store, athlete_arg.given(args, "import_athlete"))
        except athlete_arg.UnknownAthlete as exc:
            return _fail(exc)
        workouts, unknown = to_store(parsed, library, args.source)
        counts = store.import_workouts(athlete_id, args.source, workouts, unknown)
    finally:
        store.close()
        lock.release()
    for bad_row in parsed.problems:
        print(f"gymtui import: {safe_text(args.file.name)}: {safe_text(bad_row.describe(), max_chars=LINE_MAX_CHARS)}", file=sys.stderr)
    print(f"Imported from {args.source.title()} for {safe_text(athlete)} in {time.monotonic() - started:.1f} s:")
    print(f"  workouts: {counts.workouts}")
    print(f"  sets: {counts.sets} (warm-ups: {counts.warmups})")
    if counts.already_there:
        print(f"  already imported, not added again: {counts.already_there} sets")
    created = ", ".join(safe_text(n) for n in counts.exercises_created) or "none"
    print(f"  new exercises (not in the library): {len(counts.exercises_created)}: {created}")
    print(f"  rows skipped: {len(parsed.problems)} unreadable, {parsed.rest_timers} rest timers")
    return 0


def _athlete(store: Store, name: str | None) -> tuple[int, str]:
    """The named athlete or the one used last; in a database with none, a first one (named, or the default)."""
    from gymtui.store.athletes import DEFAULT_ATHLETE, clean_athlete_name

    if not store.list_athletes():
        try:
            cleaned = clean_athlete_name(name or DEFAULT_ATHLETE)
        except ValueError as exc:
            raise athlete_arg.UnknownAthlete(f"--athlete: {exc}") from None
        return store.ensure_athlete(cleaned), cleaned
    chosen = athlete_arg.resolve(store, name)
    assert chosen is not None  # there is an athlete
    return chosen


def to_store(parsed: ParsedFile, library: ExerciseLibrary, source: str) -> tuple[list[ImportWorkout], list[str]]:
    """The parsed workouts as the store takes them: library names where an alias matches, local times with offset."""
    names: dict[str, str] = {}
    unknown: list[str] = []
    workouts: list[ImportWorkout] = []
    for workout in parsed.workouts:
        sets: list[ImportSet] = []
        for s in workout.sets:
            if s.exercise not in names:
                match = library.match(s.exercise)
                names[s.exercise] = match.name if match is not None else s.exercise
                if match is None:
                    unknown.append(s.exercise)
            sets.append(
                {
                    "fingerprint": workout.fingerprint(source, s),
                    "exercise": names[s.exercise],
                    "set_number": s.position,
                    "set_type": s.set_type,
                    "load_kg": s.load_kg,
                    "reps": s.reps,
                    "rir": s.rir,
                    "notes": s.notes,
                }
            )
        ended = workout.ended_at.astimezone().isoformat(timespec="seconds") if workout.ended_at else None
        workouts.append(
            {
                "started_at": workout.started_at.astimezone().isoformat(timespec="seconds"),
                "ended_at": ended,
                "title": workout.title,
                "notes": workout.notes,
                "sets": sets,
            }
        )
    return workouts, unknown
