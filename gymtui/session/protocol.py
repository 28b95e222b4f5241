"""Set protocols: the timed phases of one set, loaded from TOML.

A protocol file looks like this (``gymtui/session/protocols/*.toml``)::

    [protocol]
    name = "Phase 4 finisher"
    exercise = "Lying leg curl"
    lead_in_s = 3

    [[phase]]
    kind = "activation"
    name = "Activation hold"
    seconds = 3
    cue = "Squeeze the hamstrings hard"
    target_pct_mvc = 40
    zone_pct = [40, 60]

A phase without ``seconds`` waits for the athlete (Space). ``target_pct_mvc``
is the line the target's bar should pass (time above it is counted);
``zone_pct`` is the band a work phase aims to stay in, low–high %MVC of the
target (drawn on the bar, time in it counted and stored). The shape is
:class:`ProtocolFile`; errors name the file, line and key (``phase[2].kind``),
with the nearest valid key or kind suggested.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated

import msgspec

from gymtui.model import WORK_PHASE_KINDS, PhaseKind
from gymtui.session.config_schema import KeyLines, SchemaProblem, check


class ProtocolError(ValueError):
    """A protocol file is unusable; the message names file, place and key."""


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    kind: PhaseKind
    name: str
    duration_s: float | None
    cue: str = ""
    target_pct_mvc: float | None = None
    skippable: bool = False
    zone_pct: tuple[float, float] | None = None
    """The target band for this phase (%MVC of the target, low–high): drawn on the bar, time in it counted."""

    @property
    def waits_for_athlete(self) -> bool:
        return self.duration_s is None

    @property
    def is_work(self) -> bool:
        return self.kind in WORK_PHASE_KINDS


@dataclass(frozen=True, slots=True)
class SetProtocol:
    name: str
    exercise: str
    phases: tuple[PhaseSpec, ...]
    lead_in_s: int = 3
    muscles: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """(muscle, role) per channel, in channel order, for labels and target share."""

    def __post_init__(self) -> None:
        if not any(p.is_work for p in self.phases):
            raise ProtocolError(f"protocol {self.name!r} has no work phase")

    @property
    def last_work_index(self) -> int:
        return max(i for i, p in enumerate(self.phases) if p.is_work)

    def with_calibration(self, seconds: float = 3.0) -> SetProtocol:
        """The same set with a maximal-effort MVC capture as its first phase."""
        calibration = PhaseSpec(
            PhaseKind.CALIBRATION,
            "MVC calibration",
            seconds,
            "Maximal effort: contract as hard as you can",
        )
        return replace(self, phases=(calibration, *self.phases))


ZONE_MAX_PCT = 150.0
"""The highest %MVC a zone may name: a submaximal MVC is exceeded in a set, 150 % is a typo."""
ZonePct = Annotated[
    list[Annotated[float, msgspec.Meta(ge=0, le=ZONE_MAX_PCT)]],
    msgspec.Meta(
        min_length=2, max_length=2, extra={"wanted": f"must be [low, high] in % MVC, 0–{ZONE_MAX_PCT:g}"}
    ),
]
"""A target zone as a file writes it: ``[60, 80]`` (the order is checked by :func:`zone_problem`)."""


def zone_problem(value: list[float]) -> str | None:
    """What is wrong with a zone the schema let through (a reversed or empty band), in words; None if nothing."""
    low, high = value
    if low >= high:
        return f"must be [low, high] with low below high, in % MVC, got [{low:g}, {high:g}]"
    return None


def as_zone(value: list[float] | tuple[float, float] | None) -> tuple[float, float] | None:
    """A checked zone as the phase holds it."""
    return None if value is None else (float(value[0]), float(value[1]))


class _ProtocolHead(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    exercise: str | None = None
    lead_in_s: Annotated[int, msgspec.Meta(ge=0, le=10)] = 3
    muscles: list[tuple[str, str]] = msgspec.field(default_factory=list)


class _PhaseEntry(msgspec.Struct, forbid_unknown_fields=True):
    kind: PhaseKind
    name: str | None = None
    seconds: Annotated[float, msgspec.Meta(gt=0)] | None = None
    cue: str = ""
    target_pct_mvc: Annotated[float, msgspec.Meta(gt=0, le=150)] | None = None
    skippable: bool | None = None
    zone_pct: ZonePct | None = None


class ProtocolFile(msgspec.Struct, forbid_unknown_fields=True):
    """A set protocol file: one ``[protocol]`` and at least one ``[[phase]]``."""

    protocol: _ProtocolHead
    phase: Annotated[list[_PhaseEntry], msgspec.Meta(min_length=1, extra={"items": "[[phase]] tables"})]


def parse_protocol(text: str, source: str = "<protocol>") -> SetProtocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: {exc}") from None
    lines = KeyLines(text)
    try:
        spec = check(data, ProtocolFile, lines)
    except SchemaProblem as problem:
        raise ProtocolError(f"{source}:{problem.line or 1}: {problem}") from None
    for index, raw in enumerate(spec.phase):
        if raw.zone_pct is None:
            continue
        where = f"{source}:{lines.line_of(('phase', index, 'zone_pct')) or 1}: phase[{index + 1}].zone_pct"
        if raw.kind not in WORK_PHASE_KINDS or raw.kind is PhaseKind.CALIBRATION:
            raise ProtocolError(f"{where}: a {raw.kind.value} phase has no target zone (only work phases do)")
        wrong = zone_problem(raw.zone_pct)
        if wrong:
            raise ProtocolError(f"{where}: {wrong}")
    phases = tuple(
        PhaseSpec(
            kind=raw.kind,
            name=raw.name if raw.name is not None else raw.kind.value.title(),
            duration_s=raw.seconds,
            cue=raw.cue,
            target_pct_mvc=raw.target_pct_mvc,
            skippable=raw.skippable if raw.skippable is not None else raw.kind is PhaseKind.REST,
            zone_pct=as_zone(raw.zone_pct),
        )
        for raw in spec.phase
    )
    head = spec.protocol
    try:
        return SetProtocol(
            name=head.name if head.name is not None else Path(source).stem,
            exercise=head.exercise or "Exercise",
            phases=phases,
            lead_in_s=head.lead_in_s,
            muscles=tuple(head.muscles),
        )
    except ProtocolError as exc:
        raise ProtocolError(f"{source}: {exc}") from None


def load_protocol(path: Path) -> SetProtocol:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_protocol(text, str(path))


PROTOCOL_DIR = Path(__file__).with_name("protocols")


def builtin_protocol(name: str) -> SetProtocol:
    return load_protocol(PROTOCOL_DIR / f"{name}.toml")
