"""The exercise library: what each movement trains and how the guide coaches it.

Every planned set names an exercise from here, and the exercise decides the
channel labels (target, synergists, antagonist: the "target share" needs to
know which channel is the target), the intent cue of each set ("spread the
floor", "pull the bar apart"), the activation drills that prime it, the
isolation partner that pre-fatigues it and its default rest.

The built-in library is package data (``library/exercises.toml``). Athletes
add their own movements without code in ``exercises.toml`` under
``platformdirs.user_config_path("gymtui")``; an entry with a built-in key
replaces it field by field. A broken user file never costs the built-ins:
each problem becomes one line naming file, line and key (with the nearest
valid key suggested) in :attr:`ExerciseLibrary.problems`, and the valid rest
still loads.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gymtui.model import MuscleRole
from gymtui.session.config_file import (
    ConfigFileError,
    clip,
    number_problem,
    read_config_text,
    short_repr,
)

LIBRARY_DIR = Path(__file__).with_name("library")
BUILTIN_EXERCISES = LIBRARY_DIR / "exercises.toml"

KINDS = ("compound", "isolation", "drill")
REGIONS = ("lower", "upper")
EQUIPMENT = ("barbell", "dumbbell", "machine", "cable", "band", "bodyweight")


class ExerciseError(ValueError):
    """An exercise entry is unusable; the message names file, line and key."""


@dataclass(frozen=True, slots=True)
class Exercise:
    key: str
    name: str
    kind: str
    region: str
    equipment: str
    target: str
    synergists: tuple[str, ...] = ()
    antagonist: str = ""
    cues: tuple[str, ...] = ()
    rest_s: int = 90
    prefatigue: str = ""
    drills: tuple[str, ...] = ()
    stretch: str = ""
    hold_s: float = 3.0
    peak_hold: str = ""

    @property
    def is_compound(self) -> bool:
        return self.kind == "compound"

    @property
    def loaded_with_plates(self) -> bool:
        return self.equipment == "barbell"

    def cue_for_set(self, set_number: int) -> str:
        """One cue per set, in turn (Phase 3: "one cue per set")."""
        if not self.cues:
            return f"Drive through the {self.target.lower()}"
        return self.cues[(set_number - 1) % len(self.cues)]

    def channels(self, n: int = 4) -> tuple[tuple[str, str], ...]:
        """(muscle, role) per EMG channel: target, synergist, antagonist, synergist.

        The antagonist sits on channel 3 so that a 3-channel sensor still sees
        co-contraction (guide, mistake 2).
        """
        order: list[tuple[str, str]] = [(self.target, MuscleRole.TARGET.value)]
        syn = list(self.synergists)
        if syn:
            order.append((syn.pop(0), MuscleRole.SYNERGIST.value))
        if self.antagonist:
            order.append((self.antagonist, MuscleRole.ANTAGONIST.value))
        order += [(m, MuscleRole.SYNERGIST.value) for m in syn]
        return tuple(order[:n])


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "kind": str,
    "region": str,
    "equipment": str,
    "target": str,
    "synergists": list,
    "antagonist": str,
    "cues": list,
    "rest_s": int,
    "prefatigue": str,
    "drills": list,
    "stretch": str,
    "hold_s": (int, float),
    "peak_hold": str,
}
VALID_KEYS = frozenset(_FIELD_TYPES)
# Bounds for the numbers of an exercise: (low, high, whole number?).
_NUMBER_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "rest_s": (10, 600, True),  # the guide rests 60–180 s; ten minutes is a long rest
    "hold_s": (1, 60, False),  # drill holds are 3 s; a minute is an isometric, not a rep
}
_REQUIRED = ("name", "kind", "region", "equipment", "target")
_CHOICES = {"kind": KINDS, "region": REGIONS, "equipment": EQUIPMENT}


def _suggest(word: str, valid: Any) -> str:
    close = difflib.get_close_matches(word, sorted(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _line_of(text: str, key: str, entry: str) -> int:
    """The line of ``key`` inside ``[exercise.<entry>]`` (or the header's line)."""
    header = re.compile(rf"^\s*\[\s*exercise\.\"?{re.escape(entry)}\"?\s*\]")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return 1
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1


@dataclass
class ExerciseLibrary:
    """All known exercises by key, and what was wrong with the user's file."""

    exercises: dict[str, Exercise]
    problems: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.exercises.values())

    def __contains__(self, key: object) -> bool:
        return key in self.exercises

    def get(self, key_or_name: str) -> Exercise:
        """By key, or by display name (case-insensitive), which is what the log stores."""
        if key_or_name in self.exercises:
            return self.exercises[key_or_name]
        wanted = key_or_name.casefold()
        for ex in self.exercises.values():
            if ex.name.casefold() == wanted:
                return ex
        raise KeyError(f"unknown exercise {key_or_name!r}{_suggest(key_or_name, self.exercises)}")

    def of_kind(self, kind: str, region: str | None = None) -> list[Exercise]:
        return [e for e in self if e.kind == kind and (region is None or e.region == region)]

    def prefatigue_for(self, compound: Exercise) -> Exercise | None:
        """The isolation partner that pre-fatigues a compound (Phase 2)."""
        return self.exercises.get(compound.prefatigue) if compound.prefatigue else None

    def drills_for(self, exercise: Exercise) -> list[Exercise]:
        return [self.exercises[k] for k in exercise.drills if k in self.exercises]


def _check_entry(key: str, raw: Any, text: str, source: str, base: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ExerciseError(f"{source}:{_line_of(text, key, key)}: exercise.{clip(key)} must be a table")
    for name, value in raw.items():
        line = _line_of(text, name, key)
        if name not in VALID_KEYS:
            raise ExerciseError(f"{source}:{line}: exercise.{clip(key)}: unknown key {short_repr(name)}{_suggest(name, VALID_KEYS)}")
        if name in _NUMBER_BOUNDS:
            low, high, whole = _NUMBER_BOUNDS[name]
            problem = number_problem(value, low, high, whole=whole)
            if problem:
                raise ExerciseError(f"{source}:{line}: exercise.{clip(key)}.{name} {problem}")
            continue
        expected = _FIELD_TYPES[name]
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = expected.__name__ if isinstance(expected, type) else "number"
            raise ExerciseError(f"{source}:{line}: exercise.{clip(key)}.{name} must be a {kind}, got {short_repr(value)}")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ExerciseError(
                f"{source}:{line}: exercise.{clip(key)}.{name} must be one of {', '.join(_CHOICES[name])}"
                f"{_suggest(str(value), _CHOICES[name])}"
            )
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ExerciseError(f"{source}:{line}: exercise.{clip(key)}.{name} must be a list of strings")
    merged = {**(base or {}), **raw}
    missing = [k for k in _REQUIRED if k not in merged]
    if missing:
        raise ExerciseError(
            f"{source}:{_line_of(text, key, key)}: exercise.{clip(key)} lacks {', '.join(missing)}"
        )
    return merged


def _to_exercise(key: str, data: Mapping[str, Any]) -> Exercise:
    known = {f.name for f in fields(Exercise)}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
    return Exercise(key=key, **values)


def _raw_entries(text: str, source: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseError(f"{source}: {exc}") from None
    unknown = [k for k in data if k != "exercise"]
    if unknown:
        raise ExerciseError(
            f"{source}:{_line_of_table(text, unknown[0])}: unknown table {unknown[0]!r}{_suggest(unknown[0], ['exercise'])}"
        )
    entries = data.get("exercise", {})
    if not isinstance(entries, dict):
        raise ExerciseError(f"{source}: 'exercise' must be a table of tables")
    return entries


def _line_of_table(text: str, name: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[+\s*{re.escape(name)}\b", line) or re.match(rf"^\s*{re.escape(name)}\s*=", line):
            return number
    return 1


def parse_library(
    text: str, source: str, base: Mapping[str, Exercise] | None = None, *, strict: bool = True
) -> ExerciseLibrary:
    """Parse one library file over ``base``.

    ``strict`` (the built-in file) raises on the first problem; otherwise each
    bad entry is skipped and reported, and the good ones are kept.
    """
    exercises = dict(base or {})
    problems: list[str] = []
    try:
        entries = _raw_entries(text, source)
    except ExerciseError as exc:
        if strict:
            raise
        return ExerciseLibrary(exercises, [str(exc)])
    for key, raw in entries.items():
        old = exercises.get(key)
        base_fields = None
        if old is not None:
            base_fields = {f.name: getattr(old, f.name) for f in fields(Exercise) if f.name != "key"}
            base_fields = {k: list(v) if isinstance(v, tuple) else v for k, v in base_fields.items()}
        try:
            exercises[key] = _to_exercise(key, _check_entry(key, raw, text, source, base_fields))
        except ExerciseError as exc:
            if strict:
                raise
            problems.append(str(exc))
    for ex in list(exercises.values()):
        for ref in (ex.prefatigue, *ex.drills):
            if ref and ref not in exercises:
                message = (
                    f"{source}: exercise.{clip(ex.key)} refers to unknown exercise {short_repr(ref)}{_suggest(ref, exercises)}"
                )
                if strict:
                    raise ExerciseError(message)
                problems.append(message)
    return ExerciseLibrary(exercises, problems)


def user_library_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("gymtui") / "exercises.toml"


def load_library(user_path: Path | None = None) -> ExerciseLibrary:
    """Built-ins, then the user's file over them (if it exists)."""
    builtin = parse_library(BUILTIN_EXERCISES.read_text(encoding="utf-8"), str(BUILTIN_EXERCISES))
    path = user_library_path() if user_path is None else user_path
    if not path.exists():
        return builtin
    try:
        text = read_config_text(path)
    except ConfigFileError as exc:
        return ExerciseLibrary(builtin.exercises, [str(exc)])
    return parse_library(text, str(path), builtin.exercises, strict=False)
