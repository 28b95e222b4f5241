"""Which sensors this user has paired: ``<user config>/gymtui/paired.toml``.

gymtui only ever connects to a device listed here (a gym is full of other
people's sensors). The file is small, human-readable TOML::

    [[device]]
    address = "E0:5A:00:00:00:01"
    name = "Myo"
    profile = "myo"
    # firmware = 2   # optional override where the profile's detection is unreliable

A damaged file is reported (file, line) and treated as empty, never as a crash;
it is only rewritten when the user pairs or forgets a device. A name is kept
as the device advertised it (escaped so the file stays valid TOML whatever
it holds); whoever shows it makes it safe (:func:`gymtui.text.safe_text`).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from gymtui.session.config_schema import KeyLines, SchemaProblem, check


@dataclass(frozen=True, slots=True)
class PairedDevice:
    address: str
    profile: str
    name: str = ""
    firmware: int | None = None


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string that reads back exactly.

    TOML forbids raw control characters (and DEL) in a basic string and has
    no surrogate escapes, so ``json.dumps`` (which writes an emoji as a
    surrogate pair) is not enough: controls become ``\\uXXXX``, a lone
    surrogate (a bad decode, unencodable) becomes U+FFFD, the rest is UTF-8.
    """
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


class PairedEntry(msgspec.Struct):
    """One ``[[device]]`` of ``paired.toml`` (other keys are ignored: the file is the user's too)."""

    address: str
    profile: str
    name: str = ""
    firmware: int | None = None


class PairedFile(msgspec.Struct):
    device: list[PairedEntry] = msgspec.field(default_factory=list)


def _pairing_problem(path: Path, problem: SchemaProblem) -> str:
    """One line for a bad ``paired.toml``: which device, and what is wrong with it."""
    if len(problem.path) < 2 or not isinstance(problem.path[1], int):
        return f"{path}:{problem.line or 1}: device must be a list of tables ([[device]])"
    number = problem.path[1] + 1
    key = problem.path[2] if len(problem.path) > 2 else None
    if key in (None, "address", "profile"):
        return f"{path}: device {number}: needs 'address' and 'profile' strings"
    if key == "firmware":
        return f"{path}:{problem.line or 1}: device {number}: key 'firmware' must be a number"
    return f"{path}:{problem.line or 1}: device {number}: key '{key}' {problem.problem}"


class PairingError(Exception):
    """The paired-devices file could not be read or written; the message says where."""


def default_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("gymtui") / "paired.toml"


class PairedDevices:
    """The paired-device list; ``path=None`` keeps it in memory (demos, tests)."""

    def __init__(self, path: Path | None, devices: list[PairedDevice] | None = None) -> None:
        self.path = path
        self._devices: dict[str, PairedDevice] = {d.address.upper(): d for d in devices or []}
        self.problem: str | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> PairedDevices:
        """Read the file (default: the user's); a bad file leaves the list empty with :attr:`problem` set."""
        path = path or default_path()
        registry = cls(path)
        if not path.exists():
            return registry
        try:
            text = path.read_text(encoding="utf-8")
            doc = tomllib.loads(text)
            lines = KeyLines(text)
            try:
                paired = check(doc, PairedFile, lines)
            except SchemaProblem as problem:
                raise PairingError(_pairing_problem(path, problem)) from None
            for entry in paired.device:
                registry.add(PairedDevice(entry.address.upper(), entry.profile, entry.name, entry.firmware), save=False)
        except tomllib.TOMLDecodeError as exc:
            registry._devices.clear()
            found = re.search(r"at line (\d+)", str(exc))
            registry.problem = f"{path}:{found.group(1) if found else '?'}: not valid TOML; no devices are paired until it is fixed"
        except (OSError, UnicodeDecodeError) as exc:
            registry.problem = f"{path}: cannot read: {exc}"
        except PairingError as exc:
            registry._devices.clear()
            registry.problem = str(exc)
        return registry

    def __contains__(self, address: str) -> bool:
        return address.upper() in self._devices

    def __iter__(self):
        return iter(list(self._devices.values()))

    def __len__(self) -> int:
        return len(self._devices)

    def get(self, address: str) -> PairedDevice | None:
        return self._devices.get(address.upper())

    def add(self, device: PairedDevice, *, save: bool = True) -> PairedDevice:
        device = replace(device, address=device.address.upper())
        self._devices[device.address] = device
        if save:
            self.save()
        return device

    def forget(self, address: str) -> bool:
        removed = self._devices.pop(address.upper(), None) is not None
        if removed:
            self.save()
        return removed

    def save(self) -> None:
        if self.path is None:
            return
        lines = ["# Sensors gymtui may connect to. Written by `gymtui scan --pair`; safe to edit.", ""]
        for device in self._devices.values():
            lines.append("[[device]]")
            lines.append(f"address = {toml_string(device.address)}")
            lines.append(f"name = {toml_string(device.name)}")
            lines.append(f"profile = {toml_string(device.profile)}")
            if device.firmware is not None:
                lines.append(f"firmware = {int(device.firmware)}")
            lines.append("")
        try:
            # Private: which sensors a user owns is theirs (folder 0700 where we make it, file 0600).
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".toml.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            os.fchmod(fd, 0o600)  # a temp file left by a crash keeps its old mode through O_CREAT
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("\n".join(lines))
            tmp.replace(self.path)
        except OSError as exc:
            raise PairingError(f"cannot write {self.path}: {exc.strerror or exc}") from None
