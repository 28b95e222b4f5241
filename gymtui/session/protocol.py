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

A phase without ``seconds`` waits for the athlete (Space). Errors name the
file, the phase and the key, with the nearest valid key suggested.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gymtui.model import WORK_PHASE_KINDS, PhaseKind


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


_PHASE_KEYS = {"kind", "name", "seconds", "cue", "target_pct_mvc", "skippable"}
_PROTOCOL_KEYS = {"name", "exercise", "lead_in_s", "muscles"}


def _line_of(text: str, needle: str, start_line: int = 1) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start_line and needle in line:
            return number
    return start_line


def _suggest(key: str, valid: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_protocol(text: str, source: str = "<protocol>") -> SetProtocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: {exc}") from None
    head = data.get("protocol")
    if not isinstance(head, dict):
        raise ProtocolError(f"{source}: missing [protocol] table")
    for key in head:
        if key not in _PROTOCOL_KEYS:
            line = _line_of(text, key)
            raise ProtocolError(f"{source}:{line}: unknown key protocol.{key}{_suggest(key, _PROTOCOL_KEYS)}")
    raw_phases = data.get("phase")
    if not isinstance(raw_phases, list) or not raw_phases:
        raise ProtocolError(f"{source}: no [[phase]] tables")
    phases = []
    phase_line = 1
    for number, raw in enumerate(raw_phases, start=1):
        phase_line = _line_of(text, "[[phase]]", phase_line + 1 if number > 1 else 1)
        phases.append(_parse_phase(raw, text, source, number, phase_line))
    muscles = tuple((str(m[0]), str(m[1])) for m in head.get("muscles", []))
    try:
        return SetProtocol(
            name=str(head.get("name", Path(source).stem)),
            exercise=str(head.get("exercise", "")) or "Exercise",
            phases=tuple(phases),
            lead_in_s=int(head.get("lead_in_s", 3)),
            muscles=muscles,
        )
    except ProtocolError as exc:
        raise ProtocolError(f"{source}: {exc}") from None


def _parse_phase(raw: dict[str, Any], text: str, source: str, number: int, line: int) -> PhaseSpec:
    where = f"{source}:{line}: phase {number}"
    for key in raw:
        if key not in _PHASE_KEYS:
            raise ProtocolError(f"{where}: unknown key {key!r}{_suggest(key, _PHASE_KEYS)}")
    try:
        kind = PhaseKind(raw.get("kind", ""))
    except ValueError:
        valid = {k.value for k in PhaseKind}
        raise ProtocolError(
            f"{where}: kind {raw.get('kind')!r} is not one of {', '.join(sorted(valid))}"
            f"{_suggest(str(raw.get('kind', '')), valid)}"
        ) from None
    seconds = raw.get("seconds")
    if seconds is not None and (not isinstance(seconds, (int, float)) or seconds <= 0):
        raise ProtocolError(f"{where}: seconds must be a positive number, got {seconds!r}")
    target = raw.get("target_pct_mvc")
    if target is not None and (not isinstance(target, (int, float)) or not 0 < target <= 150):
        raise ProtocolError(f"{where}: target_pct_mvc must be in (0, 150], got {target!r}")
    return PhaseSpec(
        kind=kind,
        name=str(raw.get("name", kind.value.title())),
        duration_s=float(seconds) if seconds is not None else None,
        cue=str(raw.get("cue", "")),
        target_pct_mvc=float(target) if target is not None else None,
        skippable=bool(raw.get("skippable", kind is PhaseKind.REST)),
    )


def load_protocol(path: Path) -> SetProtocol:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_protocol(text, str(path))


PROTOCOL_DIR = Path(__file__).with_name("protocols")


def builtin_protocol(name: str) -> SetProtocol:
    return load_protocol(PROTOCOL_DIR / f"{name}.toml")
