"""The cuff profile file (``devices/cuff-*.toml``): GATT UUIDs, pressure limits, watchdog, valve time.

Read once at start; every error names the file and the key. The limits here
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

from gymtui.adapters.base import AdapterError

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


def load_cuff_profile(path: Path | str | None = None) -> CuffProfile:
    """Read a cuff profile (default: the open profile); errors name the file and key."""
    path = Path(path) if path is not None else devices_dir() / "cuff-open.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdapterError(f"cannot read cuff profile {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AdapterError(f"cuff profile {path} is not valid TOML: {exc}") from None

    def get(section: str | None, key: str, kind: type) -> object:
        table = doc if section is None else doc.get(section, {})
        where = f"[{section}] {key}" if section else key
        if key not in table:
            raise AdapterError(f"cuff profile {path}: missing {where}")
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise AdapterError(f"cuff profile {path}: {where} must be {kind.__name__}")
        return value

    if get(None, "kind", str) != "cuff":
        raise AdapterError(f"cuff profile {path}: kind must be 'cuff'")
    max_mmhg = get("pressure", "max_mmhg", float)
    if not 0 < max_mmhg <= 400:  # type: ignore[operator]
        raise AdapterError(f"cuff profile {path}: [pressure] max_mmhg must be 1–400 mmHg")
    if get("pressure", "unit", str) != "mmHg":
        raise AdapterError(f"cuff profile {path}: [pressure] unit must be mmHg")
    return CuffProfile(
        name=str(get(None, "name", str)),
        decoder=str(get(None, "decoder", str)),
        service_uuid=str(get("gatt", "service", str)).lower(),
        pressure_uuid=str(get("gatt", "pressure", str)).lower(),
        command_uuid=str(get("gatt", "command", str)).lower(),
        status_uuid=str(get("gatt", "status", str)).lower(),
        info_uuid=str(get("gatt", "info", str)).lower(),
        max_mmhg=float(max_mmhg),  # type: ignore[arg-type]
        relief_margin_mmhg=float(get("pressure", "relief_margin_mmhg", float)),  # type: ignore[arg-type]
        rate_hz=float(get("pressure", "rate_hz", float)),  # type: ignore[arg-type]
        keepalive_s=float(get("watchdog", "keepalive_s", float)),  # type: ignore[arg-type]
        watchdog_s=float(get("watchdog", "timeout_s", float)),  # type: ignore[arg-type]
        link_loss_deflates=get("watchdog", "link_loss", str) == "deflate",
        deflate_s=float(get("valve", "deflate_s", float)),  # type: ignore[arg-type]
        name_patterns=tuple(str(p) for p in doc.get("match", {}).get("name_patterns", [])),
        id=path.stem,
    )
