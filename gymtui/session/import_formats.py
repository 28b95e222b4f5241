"""Workout logs exported by other apps (Strong, Hevy), read into workouts and sets.

Values in, values out: the text of a CSV file becomes :class:`Workout` s with
their :class:`ImportedSet` s, every load in kilograms (pounds converted with
the exact factor), every string made printable
(:func:`gymtui.text.safe_text`). A row that cannot be read becomes a
:class:`RowProblem` naming its line, and the rest is read; a file that is not
such an export at all raises :class:`NotAnExport` with one sentence why.

The formats, as the apps write them:

* **Strong**, current: comma-separated, ``Date,Workout Name,Duration,Exercise
  Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE``; dates
  ``2024-11-28 17:36:08`` (or with a 12-hour clock, ``5:36:08 PM``), durations
  ``1h 5m`` or ``45m``. The weight is in the app's unit, which the file does
  not say: the caller names it. ``Set Order`` is a number, or ``W`` (warm-up),
  ``F`` (failure), ``D`` (drop set); ``Rest Timer`` rows carry no set and are
  skipped.
* **Strong**, older: semicolon-separated, with ``Weight Unit`` (``kg`` or
  ``lbs``), ``Distance Unit`` and ``Workout Duration``.
* **Hevy**: ``title,start_time,end_time,description,exercise_title,
  superset_id,exercise_notes,set_index,set_type,weight_kg`` (or
  ``weight_lbs``) ``,reps,distance_km,duration_seconds,rpe``; ``set_type`` is
  ``warmup``, ``normal``, ``failure`` or ``dropset``; dates ``15 Sep 2025,
  07:48`` or ``Jan 1, 2024, 10:00 AM``.

RPE becomes reps in reserve (RIR = 10 − RPE, rounded down to whole reps:
RPE 8.5 is 1 rep left, never 2 that were not there).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from gymtui.text import safe_text

Source = Literal["strong", "hevy"]
SOURCES: tuple[Source, ...] = ("strong", "hevy")
SET_TYPES = ("normal", "warmup", "failure", "dropset")

KG_PER_LB = 0.45359237
"""The international pound, exactly (1959)."""

NAME_MAX_CHARS = 120
"""An exercise or workout name from a file: longer than any real one, short enough for one line."""
NOTES_MAX_CHARS = 1000
MAX_REPS = 1000
"""A set of more reps than this is a typo, not a set."""
MAX_LOAD_KG = 1500.0
"""Heavier than any lift ever made, with room: above it a number is not a load."""

STRONG_REST_TIMER = "rest timer"
_STRONG_SET_ORDER_TYPES = {"w": "warmup", "f": "failure", "d": "dropset"}
_STRONG_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_HEVY_DATE_FORMATS = ("%d %b %Y, %H:%M", "%b %d, %Y, %I:%M %p", "%d %b %Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|min|s)\b", re.IGNORECASE)

_STRONG_NEEDS = ("Date", "Workout Name", "Exercise Name", "Set Order", "Weight", "Reps")
_HEVY_NEEDS = ("title", "start_time", "exercise_title", "set_type", "reps")


class NotAnExport(ValueError):
    """The file is not an export of the app named (the message says why, in one sentence)."""


class BadRow(ValueError):
    """One row cannot be read (the message says which value and why)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str

    def describe(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportedSet:
    """One set as the other app logged it, load in kilograms."""

    line: int
    exercise: str
    set_type: str
    load_kg: float | None
    reps: int | None
    rpe: float | None
    seconds: float | None = None
    notes: str = ""
    position: int = 0
    """1-based order of this set among the exercise's sets in its workout (set by :func:`_group`)."""

    @property
    def rir(self) -> int | None:
        return None if self.rpe is None else max(0, math.floor(10 - self.rpe))


@dataclass(frozen=True, slots=True)
class Workout:
    """One workout of the file: a session in gymtui."""

    title: str
    started_at: dt.datetime
    """Local wall-clock time as the app wrote it (no offset in the file)."""
    ended_at: dt.datetime | None
    notes: str
    sets: tuple[ImportedSet, ...]

    def fingerprint(self, source: str, s: ImportedSet) -> str:
        """What identifies this set in any later import of the same history: not the line, which moves."""
        load = "" if s.load_kg is None else f"{s.load_kg:.3f}"
        parts = (source, self.started_at.isoformat(), self.title, s.exercise, str(s.position), s.set_type, load, str(s.reps), str(s.rpe))
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass
class ParsedFile:
    workouts: list[Workout] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rest_timers: int = 0
    """Strong's ``Rest Timer`` rows: no set in them, skipped without a word."""

    @property
    def sets(self) -> int:
        return sum(len(w.sets) for w in self.workouts)


def parse(source: str, text: str, *, unit: str = "kg") -> ParsedFile:
    """Read an export of ``source`` (``strong`` or ``hevy``); ``unit`` is Strong's weight unit where the file does not say."""
    if source == "strong":
        return parse_strong(text, unit=unit)
    if source == "hevy":
        return parse_hevy(text)
    raise ValueError(f"unknown source {source!r}; choose {', '.join(SOURCES)}")


def _clean(value: str | None, max_chars: int = NAME_MAX_CHARS) -> str:
    return safe_text((value or "").strip(), max_chars=max_chars).strip()


def _reader(text: str, needs: Sequence[str]) -> tuple[csv.DictReader[str], str]:
    """A DictReader over the text, with the delimiter its header uses; NotAnExport if the header lacks a needed column."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise NotAnExport("it is empty or has no header line")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [n for n in needs if n not in header]
    if missing:
        shown = ", ".join(missing[:3]) + ("…" if len(missing) > 3 else "")
        raise NotAnExport(f"its header has no {shown} column")
    return reader, delimiter


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with the line each begins on (a quoted note may span lines)."""
    line = reader.line_num + 1
    try:
        for row in reader:
            yield line, {k: (v if isinstance(v, str) else "") for k, v in row.items() if k is not None}
            line = reader.line_num + 1
    except csv.Error as exc:
        raise BadRow(f"the CSV cannot be read past line {line}: {exc}") from None


def _number(text: str | None, name: str, *, comma_decimal: bool = False) -> float | None:
    value = (text or "").strip()
    if not value:
        return None
    if comma_decimal and "," in value and "." not in value:
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        raise BadRow(f"{name} {_clean(value, 40)!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise BadRow(f"{name} {_clean(value, 40)!r} is not a number gymtui can keep")
    return number


def _reps(text: str | None, *, comma_decimal: bool = False) -> int | None:
    number = _number(text, "reps", comma_decimal=comma_decimal)
    if number is None:
        return None
    if number != int(number) or number > MAX_REPS:
        raise BadRow(f"reps {number:g} is not a whole number of reps up to {MAX_REPS}")
    return int(number) or None  # both apps write 0 for a timed or distance set: no reps counted


def _load_kg(text: str | None, unit: str, *, comma_decimal: bool = False) -> float | None:
    number = _number(text, "weight", comma_decimal=comma_decimal)
    if number is None:
        return None
    kg = number * KG_PER_LB if unit == "lb" else number
    if kg > MAX_LOAD_KG:
        raise BadRow(f"weight {number:g} {unit} is beyond any load")
    return kg


def _rpe(text: str | None, *, comma_decimal: bool = False) -> float | None:
    number = _number(text, "RPE", comma_decimal=comma_decimal)
    if number is None or number == 0:
        return None  # Hevy and Strong write 0 or nothing for "not given"
    if number > 10:
        raise BadRow(f"RPE {number:g} is not on the 1–10 scale")
    return number


def _unit(text: str | None) -> str:
    word = (text or "").strip().lower()
    if word in ("kg", "kgs"):
        return "kg"
    if word in ("lb", "lbs"):
        return "lb"
    raise BadRow(f"weight unit {_clean(word, 20)!r} is neither kg nor lbs")


def _datetime(text: str | None, formats: Sequence[str], what: str) -> dt.datetime:
    value = " ".join((text or "").replace("\u202f", " ").replace("\u00a0", " ").split())
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise BadRow(f"{what} {_clean(value, 40)!r} is not a date this export writes")


def _duration(text: str | None) -> dt.timedelta | None:
    """``1h 5m``, ``45m``, ``30s``: None when empty or not such a duration (it is only the workout's end)."""
    value = (text or "").strip()
    parts = _DURATION_PART.findall(value)
    if not parts:
        return None
    seconds = 0.0
    for amount, unit in parts:
        seconds += float(amount) * {"h": 3600, "m": 60, "min": 60, "s": 1}[unit.lower()]
    return dt.timedelta(seconds=seconds)


@dataclass
class _Draft:
    title: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    notes: str
    sets: list[ImportedSet] = field(default_factory=list)


def _group(drafts: Mapping[tuple[str, str], _Draft]) -> list[Workout]:
    """Workouts in time order, each set numbered among its exercise's sets."""
    workouts = []
    for draft in sorted(drafts.values(), key=lambda d: d.started_at):
        counts: dict[str, int] = {}
        numbered = []
        for s in draft.sets:
            counts[s.exercise] = counts.get(s.exercise, 0) + 1
            numbered.append(ImportedSet(s.line, s.exercise, s.set_type, s.load_kg, s.reps, s.rpe, s.seconds, s.notes, counts[s.exercise]))
        workouts.append(Workout(draft.title, draft.started_at, draft.ended_at, draft.notes, tuple(numbered)))
    return workouts


def parse_strong(text: str, *, unit: str = "kg") -> ParsedFile:
    """Strong's CSV, either format; ``unit`` (``kg`` or ``lb``) for the current format, whose file does not say."""
    reader, delimiter = _reader(text, _STRONG_NEEDS)
    comma = delimiter == ";"
    has_unit = "Weight Unit" in (reader.fieldnames or [])
    out = ParsedFile()
    drafts: dict[tuple[str, str], _Draft] = {}
    try:
        for line, row in _rows(reader):
            try:
                order = row.get("Set Order", "").strip()
                name = _clean(row.get("Exercise Name"))
                if order.lower() == STRONG_REST_TIMER or name.lower() == STRONG_REST_TIMER:
                    out.rest_timers += 1
                    continue
                if not name:
                    raise BadRow("no exercise name")
                started = _datetime(row.get("Date"), _STRONG_DATE_FORMATS, "date")
                if order.lower() in _STRONG_SET_ORDER_TYPES:
                    set_type = _STRONG_SET_ORDER_TYPES[order.lower()]
                elif order.isdigit():
                    set_type = "normal"
                else:
                    raise BadRow(f"set order {_clean(order, 20)!r} is neither a number nor W, F or D")
                row_unit = _unit(row.get("Weight Unit")) if has_unit and row.get("Weight Unit", "").strip() else unit
                seconds = _number(row.get("Seconds"), "seconds", comma_decimal=comma)
                imported = ImportedSet(
                    line, name, set_type,
                    _load_kg(row.get("Weight"), row_unit, comma_decimal=comma),
                    _reps(row.get("Reps"), comma_decimal=comma),
                    _rpe(row.get("RPE"), comma_decimal=comma),
                    seconds or None,
                    _clean(row.get("Notes"), NOTES_MAX_CHARS),
                )
            except BadRow as exc:
                out.problems.append(RowProblem(line, str(exc)))
                continue
            title = _clean(row.get("Workout Name")) or "Workout"
            key = (started.isoformat(), title)
            if key not in drafts:
                duration = _duration(row.get("Duration") or row.get("Workout Duration"))
                drafts[key] = _Draft(title, started, started + duration if duration else None, _clean(row.get("Workout Notes"), NOTES_MAX_CHARS))
            drafts[key].sets.append(imported)
    except BadRow as exc:
        out.problems.append(RowProblem(reader.line_num, str(exc)))
    out.workouts = _group(drafts)
    return out


def parse_hevy(text: str) -> ParsedFile:
    """Hevy's CSV: ``weight_kg`` or ``weight_lbs``, one row per set."""
    reader, _ = _reader(text, _HEVY_NEEDS)
    header = reader.fieldnames or []
    if "weight_kg" in header:
        weight_column, unit = "weight_kg", "kg"
    elif "weight_lbs" in header:
        weight_column, unit = "weight_lbs", "lb"
    else:
        raise NotAnExport("its header has no weight_kg or weight_lbs column")
    out = ParsedFile()
    drafts: dict[tuple[str, str], _Draft] = {}
    try:
        for line, row in _rows(reader):
            try:
                name = _clean(row.get("exercise_title"))
                if not name:
                    raise BadRow("no exercise_title")
                started = _datetime(row.get("start_time"), _HEVY_DATE_FORMATS, "start_time")
                set_type = row.get("set_type", "").strip().lower() or "normal"
                if set_type not in SET_TYPES:
                    raise BadRow(f"set_type {_clean(set_type, 20)!r} is not one of {', '.join(SET_TYPES)}")
                imported = ImportedSet(
                    line, name, set_type,
                    _load_kg(row.get(weight_column), unit),
                    _reps(row.get("reps")),
                    _rpe(row.get("rpe")),
                    _number(row.get("duration_seconds"), "duration_seconds") or None,
                    _clean(row.get("exercise_notes"), NOTES_MAX_CHARS),
                )
                end_text = (row.get("end_time") or "").strip()
                ended = _datetime(end_text, _HEVY_DATE_FORMATS, "end_time") if end_text else None
            except BadRow as exc:
                out.problems.append(RowProblem(line, str(exc)))
                continue
            title = _clean(row.get("title")) or "Workout"
            key = (started.isoformat(), title)
            if key not in drafts:
                drafts[key] = _Draft(title, started, ended, _clean(row.get("description"), NOTES_MAX_CHARS))
            drafts[key].sets.append(imported)
    except BadRow as exc:
        out.problems.append(RowProblem(reader.line_num, str(exc)))
    out.workouts = _group(drafts)
    return out
