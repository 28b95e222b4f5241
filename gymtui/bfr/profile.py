"""The cuff profile file (``devices/cuff-*.toml``): GATT UUIDs, pressure limits, watchdog, valve time.

Read once at start and checked against :class:`CuffProfileFile`; every
error names the file, the key and its line. The limits here
are what the cuff itself promises; the supervisor's own limits are in
:mod:`gymtui.bfr.rules`.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from gymtui.device_api import AdapterError
from gymtui.session.config_schema import KeyLines, KeyPath, SchemaProblem, check, dotted

CUFF_PROFILE_ID = "cuff-open"
"""The open cuff profile, ``devices/cuff-open.toml``."""


@dataclass(frozen=True, slots=True)
class CuffProfile:
    name: str
    decoder: str
    service_uuid: str
    pressure_uuid: str
    command_uuid: str
    status_uuid: str
    info_uuid: str
    max_mmhg: float
    relief_margin_mmhg: float
    rate_hz: float
    keepalive_s: float
    watchdog_s: float
    link_loss_deflates: bool
    deflate_s: float
    """Valve time: from the ceiling to below 10 mmHg with the valve open (the profile's promise)."""
    name_patterns: tuple[str, ...] = ()
    id: str = CUFF_PROFILE_ID
    """The file's stem: what ``paired.toml`` records for a paired cuff."""

    def advertised_by(self, name: str | None, service_uuids: Iterable[str]) -> bool:
        """An advertisement (local name, service UUIDs) from a cuff that speaks this profile."""
        if self.service_uuid in {u.strip().lower() for u in service_uuids}:
            return True
        return bool(name) and any(fnmatch.fnmatchcase(str(name), p) for p in self.name_patterns)


def devices_dir() -> Path:
    """``devices/``: inside the installed package first, then the source tree."""
    packaged = resources.files("gymtui") / "devices"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "devices"


_Positive = Annotated[float, msgspec.Meta(gt=0)]


class _CuffMatch(msgspec.Struct):
    name_patterns: list[str] = msgspec.field(default_factory=list)
    service_uuids: list[str] = msgspec.field(default_factory=list)


class _CuffGatt(msgspec.Struct):
    service: str
    pressure: str
    command: str
    status: str
    info: str


class _CuffPressure(msgspec.Struct):
    unit: Literal["mmHg"]
    max_mmhg: Annotated[float, msgspec.Meta(gt=0, le=400)]
    relief_margin_mmhg: Annotated[float, msgspec.Meta(ge=0)]
    rate_hz: _Positive


class _CuffValve(msgspec.Struct):
    deflate_s: _Positive


class _CuffWatchdog(msgspec.Struct):
    keepalive_s: _Positive
    timeout_s: _Positive
    link_loss: str


class CuffProfileFile(msgspec.Struct):
    """A cuff profile as the file says it (other keys are the maker's notes and are ignored)."""

    name: str
    kind: Literal["cuff"]
    decoder: str
    gatt: _CuffGatt
    pressure: _CuffPressure
    valve: _CuffValve
    watchdog: _CuffWatchdog
    match: _CuffMatch = msgspec.field(default_factory=_CuffMatch)


def _where(path: KeyPath) -> str:
    """``("pressure", "max_mmhg")`` as the file shows it: ``[pressure] max_mmhg``."""
    if len(path) >= 2:
        return f"[{path[0]}] {dotted(path[1:])}"
    return dotted(path)


def load_cuff_profile(path: Path | str | None = None) -> CuffProfile:
    """Read a cuff profile (default: the open profile); errors name the file, the key and its line."""
    path = Path(path) if path is not None else devices_dir() / "cuff-open.toml"
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except OSError as exc:
        raise AdapterError(f"cannot read cuff profile {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AdapterError(f"cuff profile {path} is not valid TOML: {exc}") from None
    try:
        spec = check(doc, CuffProfileFile, KeyLines(text))
    except SchemaProblem as problem:
        line = f" (line {problem.line})" if problem.line else ""
        raise AdapterError(f"cuff profile {path}: {_where(problem.path)} {problem.problem}{line}") from None
    return CuffProfile(
        name=spec.name,
        decoder=spec.decoder,
        service_uuid=spec.gatt.service.lower(),
        pressure_uuid=spec.gatt.pressure.lower(),
        command_uuid=spec.gatt.command.lower(),
        status_uuid=spec.gatt.status.lower(),
        info_uuid=spec.gatt.info.lower(),
        max_mmhg=spec.pressure.max_mmhg,
        relief_margin_mmhg=spec.pressure.relief_margin_mmhg,
        rate_hz=spec.pressure.rate_hz,
        keepalive_s=spec.watchdog.keepalive_s,
        watchdog_s=spec.watchdog.timeout_s,
        link_loss_deflates=spec.watchdog.link_loss == "deflate",
        deflate_s=spec.valve.deflate_s,
        name_patterns=tuple(spec.match.name_patterns),
        id=path.stem,
    )
