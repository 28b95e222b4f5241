"""Session templates: the guide's four-phase workflow as an ordered list of sets.

A template (``library/templates/*.toml``) says what a lower- or upper-body
day holds in each phase of the workflow; :class:`SessionOptions` (decided by
the plan: which week, which block) says which phases run today and how hard.
:func:`expand` turns the two into :class:`PlannedSet`\\ s, each carrying the
:class:`~gymtui.session.protocol.SetProtocol` the engine walks, plus what the
home screen and the log need (load, % of 1RM, reps, reps in reserve, the one
cue for this set, warnings).

How the guide's prescriptions map onto phases the engine understands:

* **Phase 1, activation** — each drill rep is a timed ``activation`` phase
  (the drill's 3 s hold at the top) behind the usual 3-2-1 lead-in; drills go
  round in rounds until the 5–10 minute budget is used (never above 10).
  The first hold carries the visualisation cue; every set is rated.
* **Phase 2, pre-fatigue** — 1–2 sets of the compound's isolation partner at
  60–70 %, a ``reps`` phase that waits for Space (the athlete stops 2–3 reps
  short of failure), a short rest on the last one: straight into the compound.
* **Phase 3, heavy compound** — 3–5 × 5–8 at 75–85 %, one intent cue per set
  in turn, tempo in the cue, the exercise's rest with its antagonist stretch.
* **Phase 4, finisher** — light reps then a 10–15 s ``isometric`` peak hold;
  the next set slow ``eccentric`` reps of 4–6 s.
* **Contrast** — 3–5 s ``eccentric`` then an ``explosive`` concentric, rep by
  rep with no lead-in between (the lowering *is* the lead-in).
* **Eccentric-only at 110 %** — the guide's warning on the set, and a first
  phase that waits until the athlete confirms the spotter is there.
* **BFR** — 20–30 % of 1RM, 30-15-15-15 reps with 30 s rests, flagged so the
  app puts the cuff under its supervisor; total cuff time is capped by
  :mod:`gymtui.session.guardrails`.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import msgspec

from gymtui.bfr.rules import LIMB_OF_REGION
from gymtui.model import PhaseKind
from gymtui.session.config_file import (
    ConfigFileError,
    clip,
    read_config_text,
    short_repr,
)
from gymtui.session.config_schema import KeyLines, KeyPath, SchemaProblem, check, dotted
from gymtui.session.exercises import Exercise, ExerciseLibrary
from gymtui.session.loads import (
    DEFAULT_GYM,
    GymConfig,
    LastTime,
    Load,
    OneRepMax,
    round_load,
    working_weight,
)
from gymtui.session.protocol import (
    PhaseSpec,
    SetProtocol,
    ZonePct,
    as_zone,
    zone_problem,
)

TEMPLATE_DIR = Path(__file__).with_name("library") / "templates"

ACTIVATION_MIN_S = 5 * 60
ACTIVATION_MAX_S = 10 * 60
LEAD_IN_S = 3
ECCENTRIC_ONLY_WARNING = (
    "Eccentric-only at 110 % of your concentric max: more than you can lift. "
    "Only with a spotter (or safety pins set) who lifts the weight back up for you."
)


class WorkflowPhase(enum.StrEnum):
    ACTIVATION = "activation"  # Phase 1
    PREFATIGUE = "prefatigue"  # Phase 2
    COMPOUND = "compound"  # Phase 3
    FINISHER = "finisher"  # Phase 4
    ACCESSORY = "accessory"  # hypertrophy-block volume
    CONTRAST = "contrast"
    ECCENTRIC_ONLY = "eccentric_only"
    BFR = "bfr"
    RAMP_UP = "rampup"  # "find it": sets of 5 up to a working weight, outside the plan


class TemplateError(ValueError):
    """A template file is unusable; the message names file, line and key."""


@dataclass(frozen=True, slots=True)
class PlannedSet:
    """One set of today's session, ready for the engine and the log."""

    protocol: SetProtocol
    exercise_key: str
    workflow_phase: WorkflowPhase
    set_number: int
    of_sets: int
    reps: int | None = None
    pct_1rm: float | None = None
    load: Load | None = None
    rir: tuple[int, int] | None = None
    rest_s: int = 0
    intent_cue: str = ""
    warning: str = ""
    needs_spotter: bool = False
    bfr: bool = False
    note: str = ""
    equipment: str = "barbell"

    @property
    def exercise(self) -> str:
        return self.protocol.exercise

    @property
    def muscles(self) -> tuple[tuple[str, str], ...]:
        return self.protocol.muscles

    @property
    def load_kg(self) -> float | None:
        return None if self.load is None else self.load.kg

    @property
    def counts_toward_volume(self) -> bool:
        """Working sets count toward the block's sets-per-session; drills do not."""
        return self.workflow_phase is not WorkflowPhase.ACTIVATION

    @property
    def is_heavy(self) -> bool:
        """A Phase 3 set: the one autoregulation watches."""
        return self.workflow_phase is WorkflowPhase.COMPOUND

    def estimated_s(self, seconds_per_rep: float = 3.0) -> float:
        """Rough wall time of the set including lead-ins and rest (for time budgets)."""
        total = 0.0
        for phase in self.protocol.phases:
            if phase.is_work and self.protocol.lead_in_s:
                total += self.protocol.lead_in_s
            if phase.duration_s is not None:
                total += phase.duration_s
            elif phase.kind is PhaseKind.REPS:
                total += (self.reps or 8) * seconds_per_rep
            else:
                total += 10.0  # a confirmation the athlete gives with Space
        return total

    def headline(self) -> str:
        """``Back squat · set 2 of 4 · 6 reps · 100 kg (80 %) · Spread the floor``."""
        parts = [self.exercise, f"set {self.set_number} of {self.of_sets}"]
        if self.reps:
            parts.append(f"{self.reps} reps")
        if self.load is not None:
            parts.append(self.load.show() + (f" ({self.pct_1rm:g} %)" if self.pct_1rm else ""))
        elif self.pct_1rm and self.equipment != "bodyweight":
            parts.append(f"{self.pct_1rm:g} % 1RM")
        if self.rir:
            parts.append(f"{self.rir[0]}–{self.rir[1]} in reserve")
        if self.intent_cue:
            parts.append(self.intent_cue)
        return " · ".join(parts)

    def log_fields(self) -> dict[str, object]:
        """Extra columns for the set row: ``store.update_set(set_id, planned.log_fields())``."""
        return {"workflow_phase": self.workflow_phase.value, "set_number": self.set_number, "pct_1rm": self.pct_1rm}

    def channel_dicts(self) -> list[dict[str, str]]:
        """The ``channels`` argument of ``Store.start_set``: muscle and role per channel."""
        return [{"muscle": m, "role": r} for m, r in self.muscles]

    def with_load(self, load: Load | None, *, note: str = "") -> PlannedSet:
        return replace(self, load=load, note=note or self.note)

    def same_as_last_time(self, last: LastTime | None, gym: GymConfig = DEFAULT_GYM) -> PlannedSet:
        """One key at the rack: last session's load (and reps) for this set number."""
        if last is None:
            return self
        load_kg, reps = last.for_set(self.set_number)
        if load_kg is None:
            return self
        load = round_load(load_kg, self.equipment, gym)
        if load.kg != load_kg:  # last time's plates are not in this gym: keep the number
            load = Load(load_kg, load_kg)
        return replace(
            self,
            load=load,
            reps=reps or self.reps,
            note="same as last time",
        )


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """What today's session includes: the plan's decision, not the template's."""

    activation: bool = True
    activation_s: float = 8 * 60
    compounds: bool = True
    prefatigue: bool = True
    heavy: bool = True
    finisher: bool = True
    accessories: bool = False
    contrast: bool = False
    eccentric_only: bool = False
    bfr: bool = False
    bfr_limb: str | None = None
    """The limb the cuff is on (``arm``/``leg``): BFR sets only for an exercise under that cuff.
    None: the template's BFR exercise whatever its limb (no cuff to ask)."""
    deload: bool = False
    sets_range: tuple[int, int] | None = None
    intensity_scale: float = 1.0
    """Multiplies every % of 1RM (a deload's light loads)."""


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    name: str
    focus: str
    data: Mapping[str, Any]
    source: str


# The guide's ranges; a template outside them is refused rather than obeyed.
_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("prefatigue", "sets"): (1, 2),
    ("prefatigue", "pct_1rm"): (60, 70),
    ("compound", "sets"): (3, 5),
    ("compound", "reps"): (5, 8),
    ("compound", "pct_1rm"): (75, 85),
    ("finisher", "hold_s"): (10, 15),
    ("finisher", "eccentric_s"): (4, 6),
    ("contrast", "eccentric_s"): (3, 5),
    ("bfr", "pct_1rm"): (20, 30),
}

# Target zones of the work phases the guide gives a level for (%MVC of the target, low–high):
# drawn on the target's bar and the time in them counted. A template may set its own
# (``[activation] zone_pct``, ``[finisher] hold_zone_pct`` / ``eccentric_zone_pct``).
# ``target_pct_mvc`` stays the line the bar should pass; each zone starts at or above it.
ACTIVATION_ZONE_PCT = (40.0, 60.0)
"""A 3 s activation hold: a firm squeeze of the target past the 40 % line, short of a maximal effort."""
PEAK_HOLD_ZONE_PCT = (60.0, 80.0)
"""The Phase 4 peak-contraction hold: 60–80 % MVC, hard enough to matter, held for 10–15 s."""
ECCENTRIC_ZONE_PCT = (30.0, 50.0)
"""A slow finisher eccentric with a light load: the target kept on (past 30 %) all the way down."""

RIR_RANGE = (0, 10)
"""Reps in reserve: 0 (to failure) to 10 (a warm-up)."""
BFR_MAX_SETS = 8
"""Entries in ``bfr.reps``: the guide's 30-15-15-15 is four sets."""
MAX_DRILLS = 10
"""Drills in ``activation.drills``: each is a round's set; the guide names three."""
MAX_LIFTS = 10
"""``[[compound]]`` or ``[[accessory]]`` tables in one day."""
_ARRAY_SECTIONS = frozenset({"compound", "accessory"})
"""Sections written ``[[section]]``, one table per lift; the others are one ``[section]``."""
_NEEDS_EXERCISE = frozenset({"compound", "accessory", "finisher", "contrast", "eccentric_only", "bfr"})

# Plausible bounds for every number a template holds. Wider than the guide's ranges
# above (which apply where the guide gives one); they keep a typo from building a
# billion phases or a set nobody could do.
Sets = Annotated[int, msgspec.Meta(ge=1, le=10)]  # the guide asks for 5 at most; 10 of one lift is a typo
Reps = Annotated[int, msgspec.Meta(ge=1, le=50)]  # BFR's 30 is the most the guide asks for
Pct1Rm = Annotated[float, msgspec.Meta(ge=1, le=120)]  # eccentric-only work is 110 % of the concentric max
HoldS = Annotated[float, msgspec.Meta(ge=1, le=60)]  # peak holds are 10–15 s
EccentricS = Annotated[float, msgspec.Meta(ge=1, le=15)]  # slow eccentrics are 3–6 s
RestS = Annotated[float, msgspec.Meta(ge=5, le=600)]  # BFR rests are 30 s; ten minutes is a long rest


class _Section(msgspec.Struct, forbid_unknown_fields=True):
    """A template section; unknown keys are refused with the nearest known one."""


class TemplateHead(_Section):
    name: str | None = None
    focus: str | None = None


class ActivationSection(_Section):
    drills: Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_DRILLS, extra={"items": "drills"})] | None = None
    reps: Annotated[int, msgspec.Meta(ge=1, le=20)] | None = None  # holds per drill in one round (the guide's 6)
    visualise: str | None = None
    zone_pct: ZonePct | None = None  # each hold's target zone, %MVC


class PrefatigueSection(_Section):
    sets: Sets | None = None
    reps: Reps | None = None
    pct_1rm: Pct1Rm | None = None
    rir: (
        Annotated[
            list[Annotated[int, msgspec.Meta(ge=RIR_RANGE[0], le=RIR_RANGE[1])]],
            msgspec.Meta(
                min_length=2,
                max_length=2,
                extra={"wanted": f"must be two whole numbers [fewest, most] from {RIR_RANGE[0]} to {RIR_RANGE[1]}"},
            ),
        ]
        | None
    ) = None


class _Lift(_Section):
    exercise: str | None = None  # required, checked after the shape (":section needs an exercise")
    sets: Sets | None = None
    reps: Reps | None = None
    pct_1rm: Pct1Rm | None = None


class CompoundLift(_Lift):
    tempo: str | None = None


class FinisherSection(_Lift):
    hold_s: HoldS | None = None
    eccentric_s: EccentricS | None = None
    hold_zone_pct: ZonePct | None = None  # the peak hold's target zone, %MVC
    eccentric_zone_pct: ZonePct | None = None  # each slow eccentric's, %MVC


class AccessoryLift(_Lift):
    pass


class ContrastSection(_Lift):
    eccentric_s: EccentricS | None = None


class BfrSection(_Section):
    exercise: str | None = None
    pct_1rm: Pct1Rm | None = None
    reps: Annotated[list[Reps], msgspec.Meta(min_length=1, max_length=BFR_MAX_SETS, extra={"items": "sets"})] | None = None
    rest_s: RestS | None = None


_Lifts = Annotated[list[CompoundLift], msgspec.Meta(max_length=MAX_LIFTS, extra={"items": "lifts"})]


class TemplateFile(msgspec.Struct, forbid_unknown_fields=True):
    """A day template: which sections it has, each key's type and bounds."""

    template: TemplateHead | None = None
    activation: ActivationSection | None = None
    prefatigue: PrefatigueSection | None = None
    compound: _Lifts | None = None
    finisher: FinisherSection | None = None
    accessory: Annotated[list[AccessoryLift], msgspec.Meta(max_length=MAX_LIFTS, extra={"items": "lifts"})] | None = None
    contrast: ContrastSection | None = None
    eccentric_only: ContrastSection | None = None
    bfr: BfrSection | None = None


def _template_problem(problem: SchemaProblem, source: str) -> TemplateError:
    """The schema's problem in the template's words: a lift's key without its index
    (``compound.sets``), a section of the wrong shape said as the header it needs."""
    path = problem.path
    section = str(path[0]) if path else ""
    where = f"{source}:{problem.line or 1}: "
    if len(path) == 1 and problem.unknown:
        return TemplateError(f"{where}unknown section {short_repr(section)}{problem.hint}")
    if section in _ARRAY_SECTIONS and len(path) >= 2 and isinstance(path[1], int):
        if len(path) == 2:  # an entry that is not a table
            return TemplateError(f"{where}{section} must be a list of tables ([[{section}]])")
        path = (section, *path[2:])
    elif len(path) == 1 and section in _ARRAY_SECTIONS and not problem.problem.startswith("lists"):
        return TemplateError(f"{where}{section} must be a list of tables ([[{section}]])")
    elif len(path) == 1 and not problem.problem.startswith("lists"):
        return TemplateError(f"{where}{section} must be a table ([{section}])")
    if len(path) == 1:
        return TemplateError(f"{where}{section} {problem.problem}")
    return TemplateError(f"{where}{dotted(path)}: {problem.problem}")


def _guide_problem(section: str, key: str, value: Any, library: ExerciseLibrary) -> str | None:
    """What the schema cannot say: unknown exercises, a reversed range, the guide's ranges."""
    if key == "exercise" and value not in library:
        return f": unknown exercise {short_repr(value)}"
    if key == "drills":
        unknown = [v for v in value if v not in library]
        return f": unknown exercise {short_repr(unknown[0])}" if unknown else None
    if key.endswith("zone_pct"):
        problem = zone_problem(value)
        return f": {problem}" if problem else None
    if key == "rir" and value[0] > value[1]:
        low, high = RIR_RANGE
        return f": must be two whole numbers [fewest, most] from {low} to {high}, got {short_repr(value)}"
    bounds = _RANGES.get((section, key))
    if bounds and not bounds[0] <= value <= bounds[1]:
        return f" = {value} is outside the guide's {bounds[0]:g}–{bounds[1]:g}"
    return None


def parse_template(text: str, source: str, library: ExerciseLibrary) -> Template:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{source}: {exc}") from None
    lines = KeyLines(text)
    try:
        check(data, TemplateFile, lines)
    except SchemaProblem as found:
        raise _template_problem(found, source) from None
    for section, body in data.items():
        for index, entry in enumerate(body if isinstance(body, list) else [body]):
            at: KeyPath = (section, index) if isinstance(body, list) else (section,)
            for key, value in entry.items():
                problem = _guide_problem(section, key, value, library)
                if problem:
                    raise TemplateError(f"{source}:{lines.line_of((*at, key)) or 1}: {section}.{clip(key)}{problem}")
            if section in _NEEDS_EXERCISE and "exercise" not in entry:
                raise TemplateError(f"{source}:{lines.line_of(at) or 1}: {section} needs an exercise")
    head = data.get("template", {})
    if "compound" not in data:
        raise TemplateError(f"{source}: a template needs at least one [[compound]]")
    return Template(Path(source).stem, str(head.get("name", Path(source).stem)), str(head.get("focus", "")), data, source)


def load_template(name_or_path: str | Path, library: ExerciseLibrary) -> Template:
    path = Path(name_or_path)
    if not path.suffix:
        path = TEMPLATE_DIR / f"{name_or_path}.toml"
    try:
        text = read_config_text(path)
    except ConfigFileError as exc:
        raise TemplateError(str(exc)) from None
    return parse_template(text, str(path), library)


def builtin_templates(library: ExerciseLibrary) -> dict[str, Template]:
    """The shipped day templates by focus (``lower``, ``upper``)."""
    return {t.focus: t for t in (load_template(p, library) for p in sorted(TEMPLATE_DIR.glob("*.toml")))}


def user_template_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path("gymtui") / "templates"


def load_templates(library: ExerciseLibrary, user_dir: Path | None = None) -> tuple[dict[str, Template], list[str]]:
    """Built-in day templates, each replaced by a user's file with the same ``focus``.

    A user's ``templates/*.toml`` (same shape as the built-ins) needs no code;
    a broken one is reported in one line and the built-in stays.
    """
    templates = builtin_templates(library)
    problems: list[str] = []
    folder = user_template_dir() if user_dir is None else user_dir
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            template = load_template(path, library)
        except TemplateError as exc:
            problems.append(str(exc))
            continue
        if template.focus not in templates:
            problems.append(f"{path}: template.focus must be one of {', '.join(sorted(templates))}, got {template.focus!r}")
            continue
        templates[template.focus] = template
    return templates, problems


# -- loads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadBook:
    """What the log says about loads: 1RM estimates and last time, by exercise name."""

    one_rms: Mapping[str, OneRepMax] = field(default_factory=dict)
    last: Mapping[str, LastTime] = field(default_factory=dict)
    gym: GymConfig = DEFAULT_GYM

    def load_for(
        self, exercise: Exercise, pct_1rm: float | None, set_number: int, reps: int | None = None
    ) -> tuple[Load | None, str]:
        """The prescribed load; else, with no % prescribed, what the log's e1RM says moves for ``reps``; else last time's; else none.

        Every number comes from what was lifted: the Epley 1RM of the logged
        sets (today's included), so the set after the first logged one has a load.
        """
        if exercise.equipment in ("band", "bodyweight") and exercise.kind != "compound":
            return None, ""
        one_rm = self.one_rms.get(exercise.name)
        if pct_1rm is not None and one_rm is not None:
            return round_load(one_rm.kg * pct_1rm / 100.0, exercise.equipment, self.gym), ""
        if pct_1rm is None and reps and one_rm is not None and exercise.equipment != "bodyweight":
            return working_weight(one_rm.kg, reps, exercise.equipment, self.gym), f"from your log: e1RM {self.gym.show(one_rm.kg)}"
        last = self.last.get(exercise.name)
        if last is not None:
            kg, _ = last.for_set(set_number)
            if kg is not None:
                return round_load(kg, exercise.equipment, self.gym), "same as last time" + ("" if pct_1rm is None else " (no 1RM yet)")
        if pct_1rm is None:
            return None, "your usual working weight"
        return None, "no load history: pick a weight that leaves the reps in reserve"


# -- expansion -------------------------------------------------------------------------


def _rest(exercise: Exercise, seconds: float, cue: str = "") -> PhaseSpec:
    text = cue or (f"Rest. {exercise.stretch}" if exercise.stretch else "Rest")
    return PhaseSpec(PhaseKind.REST, "Rest", float(seconds), text, skippable=True)


def _protocol(name: str, exercise: Exercise, phases: list[PhaseSpec], lead_in_s: int = LEAD_IN_S) -> SetProtocol:
    return SetProtocol(name, exercise.name, tuple(phases), lead_in_s, exercise.channels())


def activation_sets(template: Template, library: ExerciseLibrary, budget_s: float) -> list[PlannedSet]:
    """Phase 1: rounds of drills, 3 s holds, until the (5–10 min) budget is used."""
    spec = template.data.get("activation", {})
    drills = [library.get(k) for k in spec.get("drills", [])]
    if not drills:
        return []
    budget_s = min(max(budget_s, ACTIVATION_MIN_S), ACTIVATION_MAX_S)
    reps = int(spec.get("reps", 6))
    visualise = str(spec.get("visualise", "Visualise the fibres shortening"))
    zone = as_zone(spec.get("zone_pct", ACTIVATION_ZONE_PCT))
    planned: list[PlannedSet] = []
    used_s = 0.0
    rounds: list[list[PlannedSet]] = []
    round_no = 0
    while True:
        round_no += 1
        this_round = []
        for drill in drills:
            phases = [
                PhaseSpec(
                    PhaseKind.ACTIVATION,
                    f"Hold {rep} of {reps}",
                    float(drill.hold_s),
                    (f"{visualise}. " if rep == 1 else "") + drill.cue_for_set(1),
                    target_pct_mvc=40.0,
                    zone_pct=zone,
                )
                for rep in range(1, reps + 1)
            ]
            phases.append(_rest(drill, drill.rest_s, "Rest. Rate how well you felt the target"))
            this_round.append(
                PlannedSet(
                    _protocol(f"Activation: {drill.name}", drill, phases),
                    drill.key,
                    WorkflowPhase.ACTIVATION,
                    round_no,
                    0,
                    reps=reps,
                    rest_s=drill.rest_s,
                    intent_cue=drill.cue_for_set(1),
                )
            )
        round_s = sum(p.estimated_s() for p in this_round)
        over_budget = used_s + round_s > budget_s and used_s >= ACTIVATION_MIN_S
        if rounds and (over_budget or used_s + round_s > ACTIVATION_MAX_S):
            break
        rounds.append(this_round)
        used_s += round_s
    for group in rounds:
        planned += [replace(p, of_sets=len(rounds)) for p in group]
    return planned


def _reps_phase(reps: int, cue: str, name: str = "Reps") -> PhaseSpec:
    """A run of reps that ends when the athlete racks the weight (Space)."""
    return PhaseSpec(PhaseKind.REPS, name, None, f"{reps} reps · {cue}" if cue else f"{reps} reps")


def prefatigue_sets(template: Template, compound: Exercise, library: ExerciseLibrary, book: LoadBook, scale: float) -> list[PlannedSet]:
    spec = template.data.get("prefatigue")
    partner = library.prefatigue_for(compound)
    if not spec or partner is None:
        return []
    sets, reps = int(spec.get("sets", 2)), int(spec.get("reps", 12))
    pct = float(spec.get("pct_1rm", 65)) * scale
    rir = tuple(spec.get("rir", [2, 3]))
    out = []
    for n in range(1, sets + 1):
        load, note = book.load_for(partner, pct, n)
        last = n == sets
        rest = _rest(partner, 30, f"Straight to the {compound.name.lower()}: expect a 10–15 % drop, activation improves") if last else _rest(partner, partner.rest_s)
        cue = f"stop with {rir[0]}–{rir[1]} in reserve · {partner.cue_for_set(n)}"
        out.append(
            PlannedSet(
                _protocol(f"Pre-fatigue: {partner.name}", partner, [_reps_phase(reps, cue), rest]),
                partner.key, WorkflowPhase.PREFATIGUE, n, sets, reps, pct, load, (int(rir[0]), int(rir[1])),
                int(rest.duration_s or 0), partner.cue_for_set(n), note=note,
            )
        )
    return out


def straight_sets(
    exercise: Exercise, phase: WorkflowPhase, sets: int, reps: int, pct: float | None, book: LoadBook, tempo: str = ""
) -> list[PlannedSet]:
    """Phase 3 (and accessory) work: one intent cue per set, tempo, per-exercise rest."""
    out = []
    for n in range(1, sets + 1):
        load, note = book.load_for(exercise, pct, n, reps)
        cue = exercise.cue_for_set(n)
        text = " · ".join(x for x in (tempo, cue) if x)
        out.append(
            PlannedSet(
                _protocol(f"{phase.value.title()}: {exercise.name}", exercise, [_reps_phase(reps, text), _rest(exercise, exercise.rest_s)]),
                exercise.key, phase, n, sets, reps, pct, load, None, exercise.rest_s, cue, note=note,
            )
        )
    return out


def finisher_sets(spec: Mapping[str, Any], library: ExerciseLibrary, book: LoadBook, sets: int) -> list[PlannedSet]:
    """Phase 4: odd sets end in a peak hold (10–15 s), even sets are slow eccentrics (4–6 s)."""
    exercise = library.get(spec["exercise"])
    reps, pct = int(spec.get("reps", 8)), float(spec.get("pct_1rm", 40))
    hold_s, ecc_s = float(spec.get("hold_s", 15)), float(spec.get("eccentric_s", 5))
    hold_zone = as_zone(spec.get("hold_zone_pct", PEAK_HOLD_ZONE_PCT))
    ecc_zone = as_zone(spec.get("eccentric_zone_pct", ECCENTRIC_ZONE_PCT))
    out = []
    for n in range(1, sets + 1):
        load, note = book.load_for(exercise, pct, n)
        note = note if load is not None else "a light weight: the hold is the work"
        if n % 2:
            phases = [
                _reps_phase(reps, "light and controlled", "Light reps"),
                PhaseSpec(
                    PhaseKind.ISOMETRIC, "Peak hold", hold_s, exercise.peak_hold or "Hold at peak contraction",
                    target_pct_mvc=50.0, zone_pct=hold_zone,
                ),
            ]
        else:
            phases = [
                PhaseSpec(
                    PhaseKind.ECCENTRIC, f"Slow eccentric {r} of 4", ecc_s, f"Lower under control: {ecc_s:g} slow seconds",
                    target_pct_mvc=30.0, zone_pct=ecc_zone,
                )
                for r in range(1, 5)
            ]
        phases.append(_rest(exercise, exercise.rest_s))
        out.append(
            PlannedSet(
                _protocol(f"Finisher: {exercise.name}", exercise, phases), exercise.key, WorkflowPhase.FINISHER,
                n, sets, reps if n % 2 else 4, pct, load, None, exercise.rest_s,
                exercise.peak_hold if n % 2 else f"{ecc_s:g} s eccentrics", note=note,
            )
        )
    return out


def contrast_sets(spec: Mapping[str, Any], library: ExerciseLibrary, book: LoadBook, scale: float = 1.0) -> list[PlannedSet]:
    """3–5 s eccentric then an explosive concentric, rep after rep."""
    exercise = library.get(spec["exercise"])
    sets, reps = int(spec.get("sets", 2)), int(spec.get("reps", 3))
    pct, ecc_s = float(spec.get("pct_1rm", 70)) * scale, float(spec.get("eccentric_s", 4))
    out = []
    for n in range(1, sets + 1):
        load, note = book.load_for(exercise, pct, n)
        phases = [PhaseSpec(PhaseKind.REST, "Get set", 4.0, "Unrack and brace", skippable=True)]
        for r in range(1, reps + 1):
            phases.append(PhaseSpec(PhaseKind.ECCENTRIC, f"Eccentric {r}", ecc_s, f"Lower slowly: {ecc_s:g} s"))
            phases.append(PhaseSpec(PhaseKind.EXPLOSIVE, f"Explode {r}", 1.5, "Drive up as fast as you can!"))
        phases.append(_rest(exercise, exercise.rest_s))
        out.append(
            PlannedSet(
                _protocol(f"Contrast: {exercise.name}", exercise, phases, lead_in_s=0), exercise.key,
                WorkflowPhase.CONTRAST, n, sets, reps, pct, load, None, exercise.rest_s,
                f"{ecc_s:g} s down, explode up", note=note,
            )
        )
    return out


def eccentric_only_sets(spec: Mapping[str, Any], library: ExerciseLibrary, book: LoadBook) -> list[PlannedSet]:
    """110 % of the concentric max, lowered only; the spotter confirms before the first rep."""
    exercise = library.get(spec["exercise"])
    sets, reps = int(spec.get("sets", 2)), int(spec.get("reps", 3))
    pct, ecc_s = float(spec.get("pct_1rm", 110)), float(spec.get("eccentric_s", 5))
    out = []
    for n in range(1, sets + 1):
        load, note = book.load_for(exercise, pct, n)
        phases = [PhaseSpec(PhaseKind.REST, "Spotter ready?", None, "Spotter in place and ready? Press Space")]
        phases += [
            PhaseSpec(PhaseKind.ECCENTRIC, f"Eccentric {r} of {reps}", ecc_s, f"Lower for {ecc_s:g} s · spotter lifts it back")
            for r in range(1, reps + 1)
        ]
        phases.append(_rest(exercise, max(exercise.rest_s, 180)))
        out.append(
            PlannedSet(
                _protocol(f"Eccentric-only: {exercise.name}", exercise, phases), exercise.key,
                WorkflowPhase.ECCENTRIC_ONLY, n, sets, reps, pct, load, None, max(exercise.rest_s, 180),
                f"{ecc_s:g} s lowering only", ECCENTRIC_ONLY_WARNING, True, note=note,
            )
        )
    return out


def bfr_sets(spec: Mapping[str, Any], library: ExerciseLibrary, book: LoadBook) -> list[PlannedSet]:
    """20–30 % of 1RM with the cuff on: 30-15-15-15 with short rests."""
    exercise = library.get(spec["exercise"])
    pct, rest_s = float(spec.get("pct_1rm", 25)), int(spec.get("rest_s", 30))
    rep_scheme = [int(r) for r in spec.get("reps", [30, 15, 15, 15])]
    out = []
    for n, reps in enumerate(rep_scheme, start=1):
        load, note = book.load_for(exercise, pct, n)
        last = n == len(rep_scheme)
        rest = _rest(exercise, exercise.rest_s if last else rest_s, "Cuff off: rest" if last else "Cuff stays on: short rest")
        out.append(
            PlannedSet(
                _protocol(f"BFR: {exercise.name}", exercise, [_reps_phase(reps, "light, steady, feel the pump"), rest]),
                exercise.key, WorkflowPhase.BFR, n, len(rep_scheme), reps, pct, load, None,
                int(rest.duration_s or 0), "Light, steady reps", bfr=True, note=note,
            )
        )
    return out


QUICK_BFR_REPS = (30, 15, 15, 15)
QUICK_BFR_PCT = 25.0
"""The quick BFR set (home ``B``): the guide's 30-15-15-15 at 20–30 % of 1RM, 30 s between bouts."""
QUICK_BFR_REST_S = 30


def bfr_fits(exercise: Exercise, limb: str | None) -> bool:
    """A BFR set of ``exercise`` is done under a cuff on ``limb`` (None: no cuff to match, it fits)."""
    return limb is None or LIMB_OF_REGION.get(exercise.region) == limb


def cuff_goes_up(
    planned: PlannedSet | None,
    library: ExerciseLibrary,
    *,
    limb: str,
    quick_exercise: str,
    quick_bfr: bool = False,
    bfr_finisher: bool = False,
) -> bool:
    """Whether a set is a BFR set for a cuff on ``limb``: the only sets a cuff inflates for.

    The guide puts BFR on light loads only: a set the plan marks as BFR, the
    quick BFR set (``B``), or the finisher (planned, or the quick one whose
    exercise is ``quick_exercise``) when the athlete turned BFR on for it; and
    in every case only an exercise done under a cuff on this limb (no leg cuff
    for a pull-up). An exercise the library does not know never goes under a
    cuff. ``planned`` None is a quick set outside the plan.
    """
    if quick_bfr:
        return True
    if planned is not None and planned.bfr:
        wanted = True
    else:
        finisher = planned is None or planned.workflow_phase is WorkflowPhase.FINISHER
        wanted = finisher and bfr_finisher
    if not wanted:
        return False
    try:
        exercise = library.get(planned.exercise_key if planned is not None else quick_exercise)
    except KeyError:
        return False
    return bfr_fits(exercise, limb)


def bfr_exercise_for(limb: str, templates: Mapping[str, Template], library: ExerciseLibrary) -> Exercise | None:
    """The day templates' BFR exercise for a cuff on ``limb`` (arm: the upper day's, leg: the lower day's)."""
    for focus in sorted(templates):
        spec = templates[focus].data.get("bfr")
        if spec and bfr_fits(library.get(spec["exercise"]), limb):
            return library.get(spec["exercise"])
    return None


def quick_bfr_set(exercise: Exercise, book: LoadBook = LoadBook()) -> PlannedSet:
    """One set outside the plan: 30-15-15-15 reps at 25 % 1RM, a 30 s rest between bouts, cuff on."""
    load, note = book.load_for(exercise, QUICK_BFR_PCT, 1)
    phases: list[PhaseSpec] = []
    for bout, reps in enumerate(QUICK_BFR_REPS, start=1):
        phases.append(_reps_phase(reps, "light, steady, feel the pump", f"Bout {bout} of {len(QUICK_BFR_REPS)}"))
        last = bout == len(QUICK_BFR_REPS)
        phases.append(_rest(exercise, exercise.rest_s if last else QUICK_BFR_REST_S, "Cuff off: rest" if last else "Short rest"))
    return PlannedSet(
        _protocol(f"Quick BFR: {exercise.name}", exercise, phases), exercise.key, WorkflowPhase.BFR, 1, 1,
        None, QUICK_BFR_PCT, load, None, exercise.rest_s,
        "-".join(str(r) for r in QUICK_BFR_REPS) + " reps, cuff on", bfr=True,
        note=note if load is not None else "a light weight: 20–30 % of your 1RM",
        equipment=exercise.equipment,
    )


def _sets_of(entry: Mapping[str, Any], default: int) -> int:
    return int(entry.get("sets", default))


def expand(template: Template, options: SessionOptions, library: ExerciseLibrary, book: LoadBook = LoadBook()) -> list[PlannedSet]:
    """Today's ordered sets: Phase 1 → (Phase 2 → Phase 3 per compound) → techniques → Phase 4.

    Working-set volume is fitted into ``options.sets_range`` (the block's
    12–15 or 20–25): accessories fill up, then compounds grow towards 5 sets;
    surplus is trimmed from accessories, finishers, then compounds (never
    below 3). A deload halves the work and scales the loads.
    """
    data = template.data
    scale = options.intensity_scale
    compounds = list(data.get("compound", []))
    plan: dict[str, Any] = {
        "compound_sets": [_sets_of(c, 4) for c in compounds],
        "accessories": [dict(a) for a in data.get("accessory", [])] if options.accessories else [],
        "finisher": _sets_of(data.get("finisher", {}), 2) if options.finisher and "finisher" in data else 0,
    }
    prefatigue_n = _sets_of(data.get("prefatigue", {}), 2) if options.prefatigue and "prefatigue" in data else 0
    fixed = prefatigue_n
    fixed += _sets_of(data.get("contrast", {}), 2) if options.contrast and "contrast" in data else 0
    fixed += _sets_of(data.get("eccentric_only", {}), 2) if options.eccentric_only and "eccentric_only" in data else 0
    with_bfr = options.bfr and "bfr" in data and bfr_fits(library.get(data["bfr"]["exercise"]), options.bfr_limb)
    fixed += len(data.get("bfr", {}).get("reps", [30, 15, 15, 15])) if with_bfr else 0
    if options.deload:
        plan["compound_sets"] = [max(2, n // 2) for n in plan["compound_sets"]]
        plan["accessories"] = []
        plan["finisher"] = min(plan["finisher"], 1)
    if options.sets_range and not options.deload:
        _fit_volume(plan, fixed, options.sets_range)

    # Contrast sets follow the heavy sets of their own lift (or the first compound).
    names = [c["exercise"] for c in compounds]
    contrast_after = data.get("contrast", {}).get("exercise")
    contrast_after = contrast_after if contrast_after in names else (names[0] if names else None)

    out: list[PlannedSet] = []
    if options.activation:
        out += activation_sets(template, library, options.activation_s)
    if not options.compounds:  # a light day: activation only
        return [replace(p, equipment=library.get(p.exercise_key).equipment) for p in out]
    for i, (entry, n_sets) in enumerate(zip(compounds, plan["compound_sets"])):
        exercise = library.get(entry["exercise"])
        if i == 0 and prefatigue_n:
            out += prefatigue_sets(template, exercise, library, book, scale)
        if options.heavy:
            pct = float(entry.get("pct_1rm", 80)) * scale
            tempo = str(entry.get("tempo", ""))
        else:
            # Before the heavy weeks: the usual working weight, slow reps, feel the target.
            pct, tempo = None, "slow reps: feel the target work"
        out += straight_sets(exercise, WorkflowPhase.COMPOUND, n_sets, int(entry.get("reps", 6)), pct, book, tempo)
        if options.contrast and "contrast" in data and entry["exercise"] == contrast_after:
            out += contrast_sets(data["contrast"], library, book, scale)
    for entry in plan["accessories"]:
        exercise = library.get(entry["exercise"])
        out += straight_sets(exercise, WorkflowPhase.ACCESSORY, entry["sets"], int(entry.get("reps", 10)), float(entry.get("pct_1rm", 65)) * scale, book)
    if options.eccentric_only and "eccentric_only" in data and not options.deload:
        out += eccentric_only_sets(data["eccentric_only"], library, book)
    if with_bfr:
        out += bfr_sets(data["bfr"], library, book)
    if plan["finisher"]:
        out += finisher_sets(data["finisher"], library, book, plan["finisher"])
    return [replace(p, equipment=library.get(p.exercise_key).equipment) for p in out]


def _fit_volume(plan: dict[str, Any], fixed: int, sets_range: tuple[int, int]) -> None:
    lo, hi = sets_range

    def total() -> int:
        result: int = fixed + sum(plan["compound_sets"]) + sum(a["sets"] for a in plan["accessories"]) + plan["finisher"]
        return result

    # Grow: compounds up to 5 sets, then accessories one set at a time.
    while total() < lo:
        grown = False
        for i, n in enumerate(plan["compound_sets"]):
            if n < 5 and total() < lo:
                plan["compound_sets"][i] += 1
                grown = True
        for a in plan["accessories"]:
            if a["sets"] < 5 and total() < lo:
                a["sets"] += 1
                grown = True
        if not grown:
            break
    # Trim: accessories, then finisher, then compounds (never below 3).
    while total() > hi and plan["accessories"]:
        last = plan["accessories"][-1]
        last["sets"] -= 1
        if last["sets"] <= 1:
            plan["accessories"].pop()
    while total() > hi and plan["finisher"] > 1:
        plan["finisher"] -= 1
    while total() > hi and any(n > 3 for n in plan["compound_sets"]):
        i = max(range(len(plan["compound_sets"])), key=lambda k: plan["compound_sets"][k])
        plan["compound_sets"][i] -= 1


def working_sets(planned: list[PlannedSet]) -> int:
    return sum(1 for p in planned if p.counts_toward_volume)


def activation_seconds(planned: list[PlannedSet]) -> float:
    return sum(p.estimated_s() for p in planned if p.workflow_phase is WorkflowPhase.ACTIVATION)
