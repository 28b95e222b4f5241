"""Loads: estimated 1RM from the log, % of 1RM in kilograms the gym can load.

The 1RM estimate is **Epley's**: ``1RM = load × (1 + reps / 30)``, with a
single rep counting as itself. It is taken from completed sets of 1–12 reps
(beyond 12 any formula drifts) in the last eight weeks, best set wins; older
sets are used only if there is nothing recent. Prescribed percentages (the
guide's 60–70 % pre-fatigue, 75–85 % heavy work, 110 % eccentrics, 20–30 %
BFR) become kilograms rounded to what the gym can actually put on: a barbell
load is bar + pairs of plates from the configured plate set; machines,
cables and dumbbells go in their own steps. Rounding goes to the nearest
achievable load, ties downwards (lighter is the safer error).

The gym is configured in ``gym.toml`` beside the user's exercise file::

    [gym]
    bar_kg = 20
    plates_kg = [25, 20, 15, 10, 5, 2.5, 1.25]
    plate_pairs = [4, 2, 2, 2, 2, 2, 2]   # optional: pairs of each plate
    machine_step_kg = 5
    cable_step_kg = 2.5
    dumbbell_step_kg = 2

Every number in it is bounded (the ``*_RANGE`` constants below): a value
outside is one problem line with file, line and key, and its default is used.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gymtui.session.config_file import (
    ConfigFileError,
    clip,
    number_problem,
    read_config_text,
    short_repr,
)

ONE_RM_FORMULA = "Epley: 1RM = load × (1 + reps / 30)"
MAX_REPS_FOR_ESTIMATE = 12
RECENT_WEEKS = 8


def epley_1rm(load_kg: float, reps: int) -> float:
    """Epley's estimate; one rep is its own 1RM."""
    if reps < 1 or load_kg <= 0:
        raise ValueError(f"need a load and at least one rep, got {load_kg} kg × {reps}")
    return float(load_kg) if reps == 1 else float(load_kg) * (1.0 + reps / 30.0)


# Bounds for every number in gym.toml. They keep a typo (or a hostile file) from
# costing memory or time: the table of achievable loads grows with plates × pairs.
BAR_KG_RANGE = (0.0, 50.0)
"""0 (no bar: a trap bar or a machine weighed on its own) up to the heaviest specialty bars (~45 kg)."""
PLATE_KG_RANGE = (0.25, 50.0)
"""Fractional plates (0.25 kg) up to the 50 kg bumper."""
PLATE_PAIRS_RANGE = (0, 20)
"""Pairs of one plate size: a big gym floor has perhaps a dozen."""
MAX_PLATE_SIZES = 12
"""Distinct plate sizes in ``plates_kg`` (a kg and a lb set together stay under this)."""
STEP_KG_RANGE = (0.25, 25.0)
"""Machine, cable and dumbbell increments: 0.25 kg micro-steps up to 25 kg stack jumps."""
MAX_PER_SIDE_KG = 300.0
"""The heaviest per-side plate total worth knowing: the heaviest barbell lifts are ~500 kg in all.

With the bounds above the table of totals stays under ~30 000 entries. Measured
on a 2-core machine under load: 0.02 s for a kg set of 20 pairs a size, 3.5 s
for the worst case (twelve unrelated kg and lb sizes, 20 pairs each), built
once per plate set."""
DEFAULT_PAIRS_PER_PLATE = 4
"""Pairs assumed for each plate when ``plates_kg`` is given without ``plate_pairs``."""
GYM_NUMBER_BOUNDS: dict[str, tuple[float, float]] = {
    "bar_kg": BAR_KG_RANGE,
    "machine_step_kg": STEP_KG_RANGE,
    "cable_step_kg": STEP_KG_RANGE,
    "dumbbell_step_kg": STEP_KG_RANGE,
}


class GymConfigError(ValueError):
    """gym.toml is unusable; the message names the file, line and key."""


@dataclass(frozen=True, slots=True)
class GymConfig:
    bar_kg: float = 20.0
    plates_kg: tuple[float, ...] = (25.0, 20.0, 15.0, 10.0, 5.0, 2.5, 1.25)
    plate_pairs: tuple[int, ...] = (4, 2, 2, 2, 2, 2, 2)
    machine_step_kg: float = 5.0
    cable_step_kg: float = 2.5
    dumbbell_step_kg: float = 2.0

    def per_side_loads(self) -> Mapping[float, tuple[float, ...]]:
        """Every achievable per-side plate total → the plates that make it (fewest plates).

        Totals above :data:`MAX_PER_SIDE_KG` are left out (no lift needs them,
        and they are what makes the table big). The table is built once per
        plate set and shared, read-only: ``round_load`` asks for it per set.
        """
        return _per_side_table(self.plates_kg, self.plate_pairs)


DEFAULT_GYM = GymConfig()
"""The standard bar and plates: every default ``gym`` argument (a frozen value, shared)."""


@functools.lru_cache(maxsize=8)
def _per_side_table(plates_kg: tuple[float, ...], plate_pairs: tuple[int, ...]) -> Mapping[float, tuple[float, ...]]:
    best: dict[int, tuple[float, ...]] = {0: ()}
    limit = round(MAX_PER_SIDE_KG * 100)
    # Work in hundredths of a kg so 1.25 kg plates add up exactly.
    for plate, pairs in sorted(zip(plates_kg, plate_pairs), reverse=True):
        step = round(plate * 100)
        if step <= 0:
            continue
        for total, plates in list(best.items()):
            for n in range(1, pairs + 1):
                new = total + n * step
                if new > limit:
                    break
                current = best.get(new)
                if current is None or len(plates) + n < len(current):
                    best[new] = plates + (plate,) * n
    return MappingProxyType({total / 100: plates for total, plates in best.items()})


def load_gym_config(path: Path | None = None) -> tuple[GymConfig, list[str]]:
    """The gym's bar and plates; on a bad file, defaults plus one-line problems (file, line, key).

    Every number is checked against the bounds above; a value outside them
    is reported and its default used. Plates and their pairs go together:
    if either list is wrong, both defaults are used.
    """
    import difflib

    from platformdirs import user_config_path

    path = path or user_config_path("gymtui") / "gym.toml"
    if not path.exists():
        return GymConfig(), []
    try:
        text = read_config_text(path)
        data = tomllib.loads(text)
    except ConfigFileError as exc:
        return GymConfig(), [f"{exc}; using the default bar and plates"]
    except tomllib.TOMLDecodeError as exc:
        return GymConfig(), [f"{path}: {exc}; using the default bar and plates"]
    lines = text.splitlines()

    def line_of(key: str) -> int:
        return next((i for i, s in enumerate(lines, 1) if s.strip().startswith(key)), 1)

    gym = data.get("gym", {})
    if not isinstance(gym, dict):
        return GymConfig(), [f"{path}:{line_of('gym')}: gym must be a table ([gym]); using the default bar and plates"]
    default = GymConfig()
    valid = set(GymConfig.__dataclass_fields__)
    kwargs: dict[str, object] = {}
    problems = []
    plates_ok = True
    for key, value in gym.items():
        line = line_of(key)
        if key not in valid:
            close = difflib.get_close_matches(key, sorted(valid), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{path}:{line}: unknown key gym.{clip(key)}{hint}")
        elif key in ("plates_kg", "plate_pairs"):
            problem = _plate_list_problem(key, value)
            if problem:
                problems.append(f"{path}:{line}: gym.{key}{problem}; using the default plates")
                plates_ok = False
            else:
                kwargs[key] = tuple(float(v) if key == "plates_kg" else int(v) for v in value)
        else:
            low, high = GYM_NUMBER_BOUNDS[key]
            problem = number_problem(value, low, high)
            if problem:
                problems.append(f"{path}:{line}: gym.{key} {problem}; using {getattr(default, key):g}")
            else:
                kwargs[key] = float(value)
    if plates_ok and "plates_kg" in kwargs and "plate_pairs" not in gym:
        kwargs["plate_pairs"] = (DEFAULT_PAIRS_PER_PLATE,) * len(kwargs["plates_kg"])  # type: ignore[arg-type]
    plates = kwargs.get("plates_kg", default.plates_kg)
    pairs = kwargs.get("plate_pairs", default.plate_pairs)
    if plates_ok and len(plates) != len(pairs):  # type: ignore[arg-type]
        line = line_of("plate_pairs") if "plate_pairs" in gym else line_of("plates_kg")
        problems.append(
            f"{path}:{line}: gym.plate_pairs must have one entry per plate in gym.plates_kg; using the default plates"
        )
        plates_ok = False
    if not plates_ok:
        kwargs.pop("plate_pairs", None)
        kwargs.pop("plates_kg", None)
    return GymConfig(**kwargs), problems  # type: ignore[arg-type]


def _plate_list_problem(key: str, value: object) -> str | None:
    """What is wrong with ``plates_kg`` or ``plate_pairs`` (text that follows the key), or None."""
    if not isinstance(value, list) or not value:
        return f" must be a list of numbers, got {short_repr(value)}"
    if len(value) > MAX_PLATE_SIZES:
        return f" lists {len(value)} plate sizes; at most {MAX_PLATE_SIZES}"
    low, high = PLATE_KG_RANGE if key == "plates_kg" else PLATE_PAIRS_RANGE
    for i, item in enumerate(value, 1):
        problem = number_problem(item, low, high, whole=key == "plate_pairs")
        if problem:
            return f"[{i}] {problem}"
    return None


@dataclass(frozen=True, slots=True)
class Load:
    """A load the athlete can set up, and how."""

    kg: float
    wanted_kg: float
    plates_per_side: tuple[float, ...] = ()
    bar_kg: float = 0.0

    def describe(self) -> str:
        if self.bar_kg and self.plates_per_side:
            plates = " + ".join(f"{p:g}" for p in self.plates_per_side)
            return f"{self.kg:g} kg (bar {self.bar_kg:g} + {plates} a side)"
        if self.bar_kg:
            return f"{self.kg:g} kg (empty bar)"
        return f"{self.kg:g} kg"


def _round_step(kg: float, step: float) -> float:
    n = kg / step
    lower = int(n)
    return round((lower if n - lower <= 0.5 else lower + 1) * step, 3)


def round_load(kg: float, equipment: str, gym: GymConfig = DEFAULT_GYM) -> Load:
    """The achievable load nearest ``kg`` (ties go lighter)."""
    kg = max(0.0, float(kg))
    if equipment == "barbell":
        sides = gym.per_side_loads()
        per_side = (kg - gym.bar_kg) / 2
        best = min(sides, key=lambda s: (abs(s - per_side), s))
        return Load(round(gym.bar_kg + 2 * best, 3), kg, sides[best], gym.bar_kg)
    step = {
        "machine": gym.machine_step_kg,
        "cable": gym.cable_step_kg,
        "dumbbell": gym.dumbbell_step_kg,
    }.get(equipment, 1.25)
    return Load(_round_step(kg, step), kg)


@dataclass(frozen=True, slots=True)
class OneRepMax:
    exercise: str
    kg: float
    from_load_kg: float
    from_reps: int
    on: str
    formula: str = ONE_RM_FORMULA


def estimate_1rm(rows: Sequence[Mapping[str, Any]], exercise: str, today: dt.date | None = None) -> OneRepMax | None:
    """Best Epley estimate from the completed, loaded sets of this exercise (``Store.loaded_sets``), or None."""
    today = today or dt.date.today()
    usable = [r for r in rows if 1 <= (r["reps"] or 0) <= MAX_REPS_FOR_ESTIMATE and (r["load_kg"] or 0) > 0]
    if not usable:
        return None
    since = (today - dt.timedelta(weeks=RECENT_WEEKS)).isoformat()
    recent = [r for r in usable if r["started_at"][:10] >= since] or usable
    best = max(recent, key=lambda r: epley_1rm(r["load_kg"], r["reps"]))
    return OneRepMax(exercise, round(epley_1rm(best["load_kg"], best["reps"]), 1), best["load_kg"], best["reps"], best["started_at"][:10])


@dataclass(frozen=True, slots=True)
class LastTime:
    """Last session's numbers for an exercise, for one-key "same as last time"."""

    exercise: str
    on: str
    sets: tuple[tuple[float | None, int | None, int | None], ...] = field(default_factory=tuple)
    """(load_kg, reps, activation_rating) per set, in order."""

    @property
    def top_load_kg(self) -> float | None:
        loads = [s[0] for s in self.sets if s[0] is not None]
        return max(loads) if loads else None

    def describe(self) -> str:
        parts = []
        for load, reps, rating in self.sets:
            text = f"{load:g}×{reps}" if load is not None and reps is not None else (f"{reps} reps" if reps else "—")
            parts.append(text + (f" ({rating}/10)" if rating else ""))
        return f"Last time ({self.on}): " + ", ".join(parts)

    def for_set(self, set_number: int) -> tuple[float | None, int | None]:
        """Load and reps of the same set last time (the last one if there were fewer)."""
        if not self.sets:
            return None, None
        load, reps, _ = self.sets[min(set_number, len(self.sets)) - 1]
        return load, reps


def last_time(rows: Sequence[Mapping[str, Any]], exercise: str) -> LastTime | None:
    """Last time's numbers from the sets of the last *earlier* day (``Store.last_session_sets``)."""
    if not rows:
        return None
    return LastTime(
        exercise,
        rows[0]["started_at"][:10],
        tuple((r["load_kg"], r["reps"], r["activation_rating"]) for r in rows),
    )
