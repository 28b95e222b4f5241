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

A phase without ``seconds`` waits for the athlete (Space). The shape is
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


class ProtocolFile(msgspec.Struct, forbid_unknown_fields=True):
    """A set protocol file: one ``[protocol]`` and at least one ``[[phase]]``."""

    protocol: _ProtocolHead
    phase: Annotated[list[_PhaseEntry], msgspec.Meta(min_length=1, extra={"items": "[[phase]] tables"})]


def parse_protocol(text: str, source: str = "<protocol>") -> SetProtocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: {exc}") from None
    try:
        spec = check(data, ProtocolFile, KeyLines(text))
    except SchemaProblem as problem:
        raise ProtocolError(f"{source}:{problem.line or 1}: {problem}") from None
    phases = tuple(
        PhaseSpec(
            kind=raw.kind,
            name=raw.name if raw.name is not None else raw.kind.value.title(),
            duration_s=raw.seconds,
            cue=raw.cue,
            target_pct_mvc=raw.target_pct_mvc,
            skippable=raw.skippable if raw.skippable is not None else raw.kind is PhaseKind.REST,
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
