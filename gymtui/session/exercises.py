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
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import msgspec

from gymtui.model import Compensator, FormRules, MuscleRole
from gymtui.session.config_file import (
    ConfigFileError,
    clip,
    read_config_text,
    short_repr,
)
from gymtui.session.config_schema import KeyLines, SchemaProblem, check

LIBRARY_DIR = Path(__file__).with_name("library")
BUILTIN_EXERCISES = LIBRARY_DIR / "exercises.toml"

Kind = Literal["compound", "isolation", "drill"]
Region = Literal["lower", "upper"]
Equipment = Literal["barbell", "dumbbell", "machine", "cable", "band", "bodyweight"]
KINDS: tuple[str, ...] = get_args(Kind)
REGIONS: tuple[str, ...] = get_args(Region)
EQUIPMENT: tuple[str, ...] = get_args(Equipment)


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
    aliases: tuple[str, ...] = ()
    """Names other apps give this movement (``"Squat (Barbell)"``): an import maps them here."""
    form: FormRules = field(default_factory=FormRules)
    """Live biofeedback: which muscles take over this movement, the corrections, thresholds and dwell."""

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


class CompensatorSchema(msgspec.Struct, forbid_unknown_fields=True):
    """One ``{ muscle = "...", correction = "..." }``: a muscle that takes this movement over."""

    muscle: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    correction: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


Share = Annotated[float, msgspec.Meta(ge=0.05, le=0.95)]
"""A target share: 0.05–0.95 (0 would never cue, 1 would always)."""
PctMvc = Annotated[float, msgspec.Meta(ge=1, le=100)]


class ExerciseSchema(msgspec.Struct, forbid_unknown_fields=True):
    """One ``[exercise.<key>]`` table. Every key is optional here: an entry with a
    built-in's key replaces it field by field, so what is required (:data:`_REQUIRED`)
    is checked on the merged entry."""

    name: str | None = None
    kind: Kind | None = None
    region: Region | None = None
    equipment: Equipment | None = None
    target: str | None = None
    synergists: list[str] | None = None
    antagonist: str | None = None
    cues: list[str] | None = None
    # the guide rests 60–180 s; ten minutes is a long rest
    rest_s: Annotated[int, msgspec.Meta(ge=10, le=600)] | None = None
    prefatigue: str | None = None
    drills: list[str] | None = None
    stretch: str | None = None
    # drill holds are 3 s; a minute is an isometric, not a rep
    hold_s: Annotated[float, msgspec.Meta(ge=1, le=60)] | None = None
    peak_hold: str | None = None
    # what Strong, Hevy and other logs call this movement; matched ignoring case
    aliases: list[Annotated[str, msgspec.Meta(min_length=1, max_length=120)]] | None = None
    # live biofeedback (FormRules): who takes over and what to say; thresholds on %MVC
    compensators: list[CompensatorSchema] | None = None
    correction: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    min_target_share: Share | None = None
    clear_target_share: Share | None = None
    # a cue needs its condition this long: under 50 ms is noise, over 5 s the rep is gone
    cue_dwell_s: Annotated[float, msgspec.Meta(ge=0.05, le=5)] | None = None
    antagonist_max_pct: PctMvc | None = None
    antagonist_clear_pct: PctMvc | None = None
    antagonist_cue: Annotated[str, msgspec.Meta(max_length=120)] | None = None


class ExerciseFile(msgspec.Struct, forbid_unknown_fields=True):
    """An exercise file holds ``[exercise.<key>]`` tables and nothing else."""

    exercise: dict[str, Any] = msgspec.field(default_factory=dict)


VALID_KEYS = frozenset(ExerciseSchema.__struct_fields__)
_REQUIRED = ("name", "kind", "region", "equipment", "target")
FORM_KEYS = {
    "correction": "correction",
    "min_target_share": "min_target_share",
    "clear_target_share": "clear_target_share",
    "cue_dwell_s": "dwell_s",
    "antagonist_max_pct": "antagonist_max_pct",
    "antagonist_clear_pct": "antagonist_clear_pct",
    "antagonist_cue": "antagonist_correction",
}
"""TOML key → :class:`FormRules` field (``compensators`` is a list of tables, handled apart)."""


def _form_fields(form: FormRules) -> dict[str, Any]:
    """An exercise's rules as TOML keys, so an override can replace them one by one."""
    out: dict[str, Any] = {key: getattr(form, attr) for key, attr in FORM_KEYS.items()}
    out["compensators"] = [{"muscle": c.muscle, "correction": c.correction} for c in form.compensators]
    return out


def _form_from(data: Mapping[str, Any]) -> FormRules:
    values = {attr: data[key] for key, attr in FORM_KEYS.items() if key in data}
    comps = tuple(Compensator(str(c["muscle"]), str(c["correction"])) for c in data.get("compensators") or ())
    return FormRules(compensators=comps, **values)


def _check_form(key: str, merged: Mapping[str, Any], lines: KeyLines, source: str) -> None:
    """What one key's range cannot say: each clearing level sits on the right side of its firing level,
    and each compensator is a muscle this exercise puts on a channel."""
    form = _form_from(merged)

    def fail(name: str, message: str) -> ExerciseError:
        line = lines.line_of(("exercise", key, name)) or lines.line_of(("exercise", key)) or 1
        return ExerciseError(f"{source}:{line}: exercise.{clip(key)}.{name} {message}")

    if form.clear_target_share < form.min_target_share:
        raise fail(
            "clear_target_share",
            f"must be at least min_target_share ({form.min_target_share:g}): the cue clears above where it fires",
        )
    if form.antagonist_clear_pct > form.antagonist_max_pct:
        raise fail(
            "antagonist_clear_pct",
            f"must be at most antagonist_max_pct ({form.antagonist_max_pct:g}): the cue clears below where it fires",
        )
    muscles = {str(m).casefold() for m in [merged.get("target", ""), *(merged.get("synergists") or []), merged.get("antagonist", "")]}
    for comp in form.compensators:
        if comp.muscle.casefold() == str(merged.get("target", "")).casefold():
            raise fail("compensators", f"names the target {short_repr(comp.muscle)}: a compensator is another muscle")
        if comp.muscle.casefold() not in muscles:
            raise fail(
                "compensators",
                f"names {short_repr(comp.muscle)}, which is not among this exercise's muscles"
                f"{_suggest(comp.muscle, sorted(m for m in muscles if m))}: add it to synergists",
            )


def _suggest(word: str, valid: Any) -> str:
    close = difflib.get_close_matches(word, sorted(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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

    def match(self, name: str) -> Exercise | None:
        """The exercise another app's log means by ``name``: by display name, key or alias, ignoring case and spacing."""
        wanted = " ".join(name.split()).casefold()
        for ex in self.exercises.values():
            if wanted in (ex.name.casefold(), ex.key.casefold()) or wanted in (" ".join(a.split()).casefold() for a in ex.aliases):
                return ex
        return None

    def of_kind(self, kind: str, region: str | None = None) -> list[Exercise]:
        return [e for e in self if e.kind == kind and (region is None or e.region == region)]

    def prefatigue_for(self, compound: Exercise) -> Exercise | None:
        """The isolation partner that pre-fatigues a compound (Phase 2)."""
        return self.exercises.get(compound.prefatigue) if compound.prefatigue else None

    def drills_for(self, exercise: Exercise) -> list[Exercise]:
        return [self.exercises[k] for k in exercise.drills if k in self.exercises]


def _check_entry(key: str, raw: Any, lines: KeyLines, source: str, base: Mapping[str, Any] | None) -> dict[str, Any]:
    try:
        check(raw, ExerciseSchema, lines, ("exercise", key))
    except SchemaProblem as problem:
        where = f"{source}:{problem.line or 1}: "
        if problem.unknown:
            name = str(problem.path[-1])
            raise ExerciseError(f"{where}exercise.{clip(key)}: unknown key {short_repr(name)}{problem.hint}") from None
        raise ExerciseError(f"{where}{problem.key} {problem.problem}") from None
    merged = {**(base or {}), **raw}
    missing = [k for k in _REQUIRED if k not in merged]
    if missing:
        raise ExerciseError(
            f"{source}:{lines.line_of(('exercise', key)) or 1}: exercise.{clip(key)} lacks {', '.join(missing)}"
        )
    _check_form(key, merged, lines, source)
    return merged


def _to_exercise(key: str, data: Mapping[str, Any]) -> Exercise:
    known = {f.name for f in fields(Exercise)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known and k != "form"
    }
    return Exercise(key=key, form=_form_from(data), **values)


def _raw_entries(text: str, source: str) -> tuple[dict[str, Any], KeyLines]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseError(f"{source}: {exc}") from None
    lines = KeyLines(text)
    try:
        entries = check(data, ExerciseFile, lines).exercise
    except SchemaProblem as problem:
        where = f"{source}:{problem.line or 1}: "
        if problem.unknown:
            raise ExerciseError(f"{where}unknown table {short_repr(problem.path[-1])}{problem.hint}") from None
        raise ExerciseError(f"{where}'exercise' must be a table of tables") from None
    return entries, lines


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
        entries, lines = _raw_entries(text, source)
    except ExerciseError as exc:
        if strict:
            raise
        return ExerciseLibrary(exercises, [str(exc)])
    for key, raw in entries.items():
        old = exercises.get(key)
        base_fields = None
        if old is not None:
            base_fields = {f.name: getattr(old, f.name) for f in fields(Exercise) if f.name not in ("key", "form")}
            base_fields = {k: list(v) if isinstance(v, tuple) else v for k, v in base_fields.items()}
            base_fields.update(_form_fields(old.form))
        try:
            exercises[key] = _to_exercise(key, _check_entry(key, raw, lines, source, base_fields))
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
