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

A gym that counts in pounds says so; every load is then shown and typed in
pounds (the log keeps kilograms), and its bar, plates and steps may be given
in pounds with ``_lb`` keys (without them: a 45 lb bar and 45–2.5 lb plates)::

    [gym]
    unit = "lb"
    bar_lb = 45
    plates_lb = [45, 35, 25, 10, 5, 2.5]

Every number in it is bounded (the ``*_RANGE`` constants below, declared in
:class:`GymSchema`, in pounds for the ``_lb`` keys): a value outside is one
problem line with file, line and key, and its default is used.

A rack of a gym with a broker (see "Setting up a gym" in the README) names it
here too, so the rack starts with plain ``gymtui``; the command line wins::

    [gym]
    broker = "mqtts://gym.local:8883"
    rack = "rack-3"
    broker_password_file = "gym-password"   # relative to this file
    broker_ca = "gym-ca.crt"
    # broker_user = "rack-3"                # default: the rack's name

These are only kept as text here; :func:`gymtui.gym.settings.resolve_link`
checks them (URL, loopback rule, file modes) when the link is set up. A value
of the wrong type is a problem line, and the link then refuses to start with
it (:attr:`GymConfig.link_problems`) rather than train without the gym unnoticed.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import msgspec

from gymtui.session.config_file import ConfigFileError, read_config_text, short_repr
from gymtui.session.config_schema import KeyLines, SchemaProblem, check

KG_PER_LB = 0.45359237
"""The international pound, exactly."""
UNITS = ("kg", "lb")
"""The units a gym counts its plates in."""
LB_GYM = {
    "bar_kg": 45 * KG_PER_LB,
    "plates_kg": tuple(p * KG_PER_LB for p in (45.0, 35.0, 25.0, 10.0, 5.0, 2.5)),
    "plate_pairs": (4, 2, 2, 2, 2, 2),
    "machine_step_kg": 10 * KG_PER_LB,
    "cable_step_kg": 5 * KG_PER_LB,
    "dumbbell_step_kg": 5 * KG_PER_LB,
}
"""A pound gym's defaults (a 45 lb bar, the usual pound plates), in kg as :class:`GymConfig` keeps them."""

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
MAX_LINK_TEXT = 300
"""A broker URL, rack or user name in gym.toml: longer is not one (the real checks are the link's)."""
MAX_LINK_PATH = 4096


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
    unit: str = "kg"
    """What loads are shown and typed in ("kg" or "lb"); every field above stays in kg."""
    cue_bell: bool = True
    """Ring the terminal bell when a form cue fires during a set (``cue_bell = false``: the banner alone)."""
    lsl: bool = False
    """Publish raw EMG, envelope and markers to Lab Streaming Layer at every start (``lsl = true``; as ``--lsl``)."""
    broker: str | None = None
    """The gym's broker URL (``broker = "mqtts://host:8883"``; as ``--gym``), unchecked text."""
    rack: str | None = None
    """This rack's name in the gym (as ``--rack``), unchecked text."""
    broker_user: str | None = None
    """The broker username (default: the rack's name; ``coach``/``hub`` for those commands)."""
    broker_password_file: Path | None = None
    """The password file (as ``--gym-password-file``), made absolute against gym.toml's folder."""
    broker_ca: Path | None = None
    """The gym's CA certificate (as ``--gym-ca``), made absolute against gym.toml's folder."""
    link_problems: tuple[tuple[str, str], ...] = ()
    """``(key, problem line)`` for each broker key the file got wrong: the link refuses to start on it."""

    def to_unit(self, kg: float) -> float:
        """Kilograms in the gym's unit, to 0.1 lb (what a lifter reads off the plates)."""
        return _in_unit(kg, self.unit)

    def to_kg(self, amount: float) -> float:
        """A load typed in the gym's unit, in kilograms (as the log keeps it)."""
        return round(amount * KG_PER_LB, 3) if self.unit == "lb" else round(amount, 3)

    def show(self, kg: float) -> str:
        """``100 kg`` or ``225 lb``."""
        return show_load(kg, self.unit)

    def step_kg(self, equipment: str) -> float:
        """One step of load: the smallest plate pair on a barbell, else the machine's, cable's or dumbbell's step."""
        if equipment == "barbell":
            return 2 * min(self.plates_kg)
        return {"machine": self.machine_step_kg, "cable": self.cable_step_kg, "dumbbell": self.dumbbell_step_kg}.get(
            equipment, 2 * min(self.plates_kg)
        )

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


class GymSchema(msgspec.Struct, forbid_unknown_fields=True):
    """The ``[gym]`` table of ``gym.toml``: every key optional, every number bounded (``*_RANGE``)."""

    bar_kg: Annotated[float, msgspec.Meta(ge=BAR_KG_RANGE[0], le=BAR_KG_RANGE[1])] | None = None
    plates_kg: (
        Annotated[
            list[Annotated[float, msgspec.Meta(ge=PLATE_KG_RANGE[0], le=PLATE_KG_RANGE[1])]],
            msgspec.Meta(min_length=1, max_length=MAX_PLATE_SIZES, extra={"items": "plate sizes"}),
        ]
        | None
    ) = None
    plate_pairs: (
        Annotated[
            list[Annotated[int, msgspec.Meta(ge=PLATE_PAIRS_RANGE[0], le=PLATE_PAIRS_RANGE[1])]],
            msgspec.Meta(min_length=1, max_length=MAX_PLATE_SIZES, extra={"items": "plate sizes"}),
        ]
        | None
    ) = None
    machine_step_kg: Annotated[float, msgspec.Meta(ge=STEP_KG_RANGE[0], le=STEP_KG_RANGE[1])] | None = None
    cable_step_kg: Annotated[float, msgspec.Meta(ge=STEP_KG_RANGE[0], le=STEP_KG_RANGE[1])] | None = None
    dumbbell_step_kg: Annotated[float, msgspec.Meta(ge=STEP_KG_RANGE[0], le=STEP_KG_RANGE[1])] | None = None
    unit: Literal["kg", "lb"] = "kg"
    bar_lb: Annotated[float, msgspec.Meta(ge=BAR_KG_RANGE[0] / KG_PER_LB, le=BAR_KG_RANGE[1] / KG_PER_LB)] | None = None
    plates_lb: (
        Annotated[
            list[Annotated[float, msgspec.Meta(ge=PLATE_KG_RANGE[0] / KG_PER_LB, le=PLATE_KG_RANGE[1] / KG_PER_LB)]],
            msgspec.Meta(min_length=1, max_length=MAX_PLATE_SIZES, extra={"items": "plate sizes"}),
        ]
        | None
    ) = None
    machine_step_lb: Annotated[float, msgspec.Meta(ge=STEP_KG_RANGE[0] / KG_PER_LB, le=STEP_KG_RANGE[1] / KG_PER_LB)] | None = None
    cable_step_lb: Annotated[float, msgspec.Meta(ge=STEP_KG_RANGE[0] / KG_PER_LB, le=STEP_KG_RANGE[1] / KG_PER_LB)] | None = None
    dumbbell_step_lb: Annotated[float, msgspec.Meta(ge=STEP_KG_RANGE[0] / KG_PER_LB, le=STEP_KG_RANGE[1] / KG_PER_LB)] | None = None
    cue_bell: bool | None = None
    """Ring the bell on each new form cue during a set (default true; false: the banner alone)."""
    lsl: bool | None = None
    """Publish to Lab Streaming Layer at every start (default false; as ``--lsl``)."""
    broker: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LINK_TEXT)] | None = None
    """The gym's broker URL (as ``--gym``)."""
    rack: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LINK_TEXT)] | None = None
    broker_user: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LINK_TEXT)] | None = None
    broker_password_file: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LINK_PATH)] | None = None
    broker_ca: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LINK_PATH)] | None = None


LINK_KEYS = ("broker", "rack", "broker_user", "broker_password_file", "broker_ca")
"""The ``[gym]`` keys that say how this machine reaches the gym's broker."""


_PLATE_KEYS = ("plates_kg", "plates_lb", "plate_pairs")
_WEIGHT_KEYS = ("bar", "machine_step", "cable_step", "dumbbell_step")
"""Keys given as ``NAME_kg`` or ``NAME_lb`` (the plates too: ``plates_kg`` / ``plates_lb``)."""


def gym_config_path() -> Path:
    """Where gym.toml is: the user's config folder (``$XDG_CONFIG_HOME/gymtui/gym.toml`` on Linux)."""
    from platformdirs import user_config_path

    return user_config_path("gymtui") / "gym.toml"


def load_gym_config(path: Path | None = None) -> tuple[GymConfig, list[str]]:
    """The gym's bar and plates; on a bad file, defaults plus one-line problems (file, line, key).

    Every number is checked against the bounds of :class:`GymSchema`; a value
    outside them (or an unknown key) is reported and its default used, and
    the rest of the file still counts. Plates and their pairs go together:
    if either list is wrong, both defaults are used.
    """
    path = path or gym_config_path()
    if not path.exists():
        return GymConfig(), []
    try:
        text = read_config_text(path)
        data = tomllib.loads(text)
    except ConfigFileError as exc:
        return GymConfig(), [f"{exc}; using the default bar and plates"]
    except tomllib.TOMLDecodeError as exc:
        return GymConfig(), [f"{path}: {exc}; using the default bar and plates"]
    lines = KeyLines(text)
    gym = data.get("gym", {})
    if not isinstance(gym, dict):
        return GymConfig(), [f"{path}:{lines.line_of(('gym',)) or 1}: gym must be a table ([gym]); using the default bar and plates"]
    raw = dict(gym)
    problems: list[str] = []
    link_problems: list[tuple[str, str]] = []
    default = GymConfig(**LB_GYM, unit="lb") if raw.get("unit") == "lb" else GymConfig()  # type: ignore[arg-type]
    while True:
        try:
            schema = check(raw, GymSchema, lines, ("gym",))
            break
        except SchemaProblem as problem:
            key = str(problem.path[1])
            where = f"{path}:{problem.line or 1}: {problem.key} {problem.problem}"
            if problem.unknown:
                problems.append(f"{path}:{problem.line or 1}: unknown key {problem.key}{problem.hint}")
            elif key == "cue_bell":
                problems.append(f"{where}; using true")
            elif key == "lsl":
                problems.append(f"{where}; using false")
            elif key in LINK_KEYS:
                problem_line = f"{where}; the gym link cannot use it"
                problems.append(problem_line)
                link_problems.append((key, problem_line))
            elif key == "unit":
                got = short_repr(raw.get("unit"))
                problems.append(f'{path}:{problem.line or 1}: gym.unit must be "kg" or "lb", got {got}; using kg')
                default = GymConfig()
            elif key in _PLATE_KEYS:
                problems.append(f"{where}; using the default plates")
                for plate_key in _PLATE_KEYS:
                    raw.pop(plate_key, None)
                continue
            else:
                in_lb = key.endswith("_lb")
                shown = getattr(default, key.removesuffix("_lb") + "_kg" if in_lb else key)
                problems.append(f"{where}; using {shown / KG_PER_LB if in_lb else shown:g}")
            raw.pop(key, None)
    kwargs: dict[str, Any] = {**LB_GYM, "unit": "lb"} if schema.unit == "lb" else {}
    for name in _WEIGHT_KEYS:
        if (kg := getattr(schema, f"{name}_kg")) is not None:
            kwargs[f"{name}_kg"] = kg
        elif (lb := getattr(schema, f"{name}_lb")) is not None:
            kwargs[f"{name}_kg"] = lb * KG_PER_LB
    if schema.cue_bell is not None:
        kwargs["cue_bell"] = schema.cue_bell
    if schema.lsl is not None:
        kwargs["lsl"] = schema.lsl
    kwargs.update(_link_settings(schema, path.parent), link_problems=tuple(link_problems))
    plates = (
        tuple(schema.plates_kg) if schema.plates_kg is not None
        else tuple(p * KG_PER_LB for p in schema.plates_lb) if schema.plates_lb is not None
        else None
    )
    pairs = tuple(schema.plate_pairs) if schema.plate_pairs is not None else None
    if plates is not None and pairs is None:
        pairs = (DEFAULT_PAIRS_PER_PLATE,) * len(plates)
    if len(plates or default.plates_kg) != len(pairs or default.plate_pairs):
        given = next((k for k in ("plate_pairs", "plates_kg", "plates_lb") if k in raw), "plates_kg")
        line = lines.line_of(("gym", given)) or 1
        problems.append(
            f"{path}:{line}: gym.plate_pairs must have one entry per plate in gym.plates_kg; using the default plates"
        )
    else:
        if plates is not None:
            kwargs["plates_kg"] = plates
        if pairs is not None:
            kwargs["plate_pairs"] = pairs
    return GymConfig(**kwargs), problems


def _link_settings(schema: GymSchema, folder: Path) -> dict[str, Any]:
    """The broker keys as given; the two paths made absolute against gym.toml's folder (``~`` expanded)."""
    def absolute(text: str | None) -> Path | None:
        return None if text is None else folder / Path(text).expanduser()

    return {
        "broker": schema.broker,
        "rack": schema.rack,
        "broker_user": schema.broker_user,
        "broker_password_file": absolute(schema.broker_password_file),
        "broker_ca": absolute(schema.broker_ca),
    }


@dataclass(frozen=True, slots=True)
class Load:
    """A load the athlete can set up, and how (``kg`` always; ``unit`` is how the gym shows it)."""

    kg: float
    wanted_kg: float
    plates_per_side: tuple[float, ...] = ()
    bar_kg: float = 0.0
    unit: str = "kg"

    def show(self) -> str:
        """The load in the gym's unit: ``100 kg`` or ``225 lb``."""
        return show_load(self.kg, self.unit)

    def describe(self) -> str:
        if self.bar_kg and self.plates_per_side:
            plates = " + ".join(f"{_in_unit(p, self.unit):g}" for p in self.plates_per_side)
            return f"{self.show()} (bar {_in_unit(self.bar_kg, self.unit):g} + {plates} a side)"
        if self.bar_kg:
            return f"{self.show()} (empty bar)"
        return self.show()


def _in_unit(kg: float, unit: str) -> float:
    return round(kg / KG_PER_LB, 1) if unit == "lb" else round(kg, 3)


def show_load(kg: float, unit: str) -> str:
    """A load in kg as the gym reads it: ``100 kg`` or ``225 lb``."""
    return f"{_in_unit(kg, unit):g} {unit}"


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
        # A pound gym's plates are kept in kg to the hundredth: compare in tenths of a pound, so a tie stays a tie.
        def gap(side: float) -> float:
            return round(abs(side - per_side) / KG_PER_LB, 1) if gym.unit == "lb" else abs(side - per_side)

        best = min(sides, key=lambda s: (gap(s), s))
        return Load(round(gym.bar_kg + 2 * best, 3), kg, sides[best], gym.bar_kg, gym.unit)
    step = {
        "machine": gym.machine_step_kg,
        "cable": gym.cable_step_kg,
        "dumbbell": gym.dumbbell_step_kg,
    }.get(equipment, 1.25)
    return Load(_round_step(kg, step), kg, unit=gym.unit)


def working_weight(one_rm_kg: float, reps: int, equipment: str, gym: GymConfig = DEFAULT_GYM) -> Load:
    """The load Epley says you move for ``reps`` (the 1RM turned back round), on the gym's plates."""
    if reps < 1 or one_rm_kg <= 0:
        raise ValueError(f"need a 1RM and at least one rep, got {one_rm_kg} kg × {reps}")
    kg = one_rm_kg if reps == 1 else one_rm_kg / (1.0 + reps / 30.0)
    return round_load(kg, equipment, gym)


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
