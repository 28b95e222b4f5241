"""Device profiles: what a sensor looks like on the air, read from ``devices/*.toml``.

A new sensor with a known encoding is a new TOML file, no code: the profile
names the advertised name patterns and service UUIDs a scan matches, the GATT
service and data characteristics, the start-up, keep-alive and shut-down
writes, the decoder (by name, see :mod:`gymtui.adapters.decoders`), channels,
sample rate and scale to µV, and how to detect the firmware where the wire
format depends on it.

A broken profile never stops the others loading: :func:`load_profiles`
returns the good ones plus one :class:`ProfileError` per bad file, each
saying file, line and key, so the maker fixes it in one go.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gymtui.adapters.decoders import DECODERS, Decoder, make_decoder

BLUETOOTH_BASE_UUID = "0000{:04x}-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True, slots=True)
class GattWrite:
    """One write the device expects (start-up, keep-alive or shut-down)."""

    characteristic: str
    data: bytes
    response: bool
    note: str = ""
    delay_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Keepalive:
    write: GattWrite
    interval_s: float


@dataclass(frozen=True, slots=True)
class FirmwareDetect:
    """Pick the wire format from a version string (e.g. Ganglion Software Revision 0x2A28)."""

    characteristic: str
    default: int
    by_major: Mapping[str, int]

    def firmware_for(self, revision: str) -> int:
        """The firmware number for a revision string: only its first digit is trusted."""
        text = revision.strip().lstrip("vV")
        return self.by_major.get(text[:1], self.default) if text else self.default


@dataclass(frozen=True, slots=True)
class Profile:
    """One supported sensor, as loaded from ``devices/<id>.toml``."""

    id: str
    name: str
    path: Path
    kind: str
    name_patterns: tuple[str, ...]
    service_uuids: tuple[str, ...]
    service: str
    characteristics: tuple[str, ...]
    decoder: str
    rate_hz: float
    channels: tuple[str, ...]
    unit: str
    scale_uv: tuple[float, ...]
    decoder_options: Mapping[str, Any] = field(default_factory=dict)
    startup: tuple[GattWrite, ...] = ()
    shutdown: tuple[GattWrite, ...] = ()
    keepalive: Keepalive | None = None
    battery_characteristic: str | None = None
    firmware: FirmwareDetect | None = None

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    def new_decoder(self, firmware: int | None = None) -> Decoder:
        """A fresh stateful decoder for one stream from this device."""
        return make_decoder(self.decoder, self.n_channels, self.decoder_options, firmware=firmware)

    def match_score(self, name: str | None, service_uuids: Iterable[str]) -> int:
        """How well an advertisement fits: 0 not at all; a service UUID beats any name pattern,
        and a longer (more specific) name pattern beats a shorter one ("MyoWare*" over "Myo*")."""
        advertised = set()
        for uuid in service_uuids:
            try:
                advertised.add(normalize_uuid(uuid))
            except ValueError:
                continue
        if advertised & set(self.service_uuids):
            return 1000
        if not name:
            return 0
        return max((len(p) for p in self.name_patterns if fnmatch.fnmatchcase(name, p)), default=0)

    def matches(self, name: str | None, service_uuids: Iterable[str]) -> bool:
        """Does an advertisement (local name, advertised services) look like this device?"""
        return self.match_score(name, service_uuids) > 0


class ProfileError(Exception):
    """A profile file that cannot be used; the message names file, line and key."""

    def __init__(self, path: Path, line: int | None, key: str | None, problem: str) -> None:
        self.path, self.line, self.key, self.problem = path, line, key, problem
        where = f"{path}:{line}" if line else str(path)
        what = f"key '{key}': " if key else ""
        super().__init__(f"{where}: {what}{problem}")


@dataclass(frozen=True, slots=True)
class ProfileSet:
    profiles: Mapping[str, Profile]
    errors: tuple[ProfileError, ...] = ()

    def match(self, name: str | None, service_uuids: Iterable[str]) -> Profile | None:
        uuids = list(service_uuids)
        scored = [(p.match_score(name, uuids), p.id) for p in self.profiles.values()]
        best = max(scored, default=(0, ""))
        return self.profiles[best[1]] if best[0] > 0 else None

    def __getitem__(self, profile_id: str) -> Profile:
        return self.profiles[profile_id]

    def get(self, profile_id: str) -> Profile | None:
        return self.profiles.get(profile_id)


def normalize_uuid(text: str) -> str:
    """Lower-case 128-bit form; 16/32-bit short forms are put into the Bluetooth base UUID."""
    text = text.strip().lower()
    text = text.removeprefix("0x")
    if re.fullmatch(r"[0-9a-f]{4}", text):
        return BLUETOOTH_BASE_UUID.format(int(text, 16))
    if re.fullmatch(r"[0-9a-f]{8}", text):
        return f"{text}-0000-1000-8000-00805f9b34fb"
    if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text):
        raise ValueError(f"not a UUID: {text!r}")
    return text


def devices_dir() -> Path:
    """The shipped profiles: inside the installed package first, the source tree second."""
    packaged = resources.files("gymtui") / "devices"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "devices"


def user_devices_dir() -> Path:
    """Where a maker drops their own profiles: ``<user config>/gymtui/devices``."""
    from platformdirs import user_config_path

    return user_config_path("gymtui") / "devices"


def profile_dirs() -> list[Path]:
    """The shipped profiles, then the user's own (which may not exist)."""
    user = user_devices_dir()
    return [devices_dir(), user] if user.is_dir() else [devices_dir()]


def load_profiles(directories: Iterable[Path] | None = None) -> ProfileSet:
    """Every ``*.toml`` in ``directories`` (default: the shipped ``devices/``), good and bad apart."""
    profiles: dict[str, Profile] = {}
    errors: list[ProfileError] = []
    for directory in directories if directories is not None else [devices_dir()]:
        for path in sorted(Path(directory).glob("*.toml")):
            try:
                profile = load_profile(path)
            except NotAnEmgProfile:
                continue  # a cuff's profile shares the folder; gymtui.bfr.profile reads it
            except ProfileError as exc:
                errors.append(exc)
                continue
            if profile.id in profiles:
                errors.append(ProfileError(path, None, None, f"duplicates profile '{profile.id}' from {profiles[profile.id].path}"))
                continue
            profiles[profile.id] = profile
    return ProfileSet(profiles, tuple(errors))


OTHER_DEVICE_KINDS = frozenset({"cuff"})
"""Profile kinds that live in devices/ but belong to another loader."""


class NotAnEmgProfile(Exception):
    """The file is a valid profile of another kind (a cuff): not an error, just not ours."""

    def __init__(self, path: Path, line: int | None, key: str | None, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


_TOP_KEYS = {"name", "kind", "match", "stream", "battery", "firmware", "startup", "shutdown", "keepalive"}
_MATCH_KEYS = {"name_patterns", "service_uuids"}
_STREAM_KEYS = {"service", "characteristics", "decoder", "rate_hz", "channels", "unit", "scale_uv", "options"}
_WRITE_KEYS = {"characteristic", "hex", "text", "response", "note", "delay_after_s", "interval_s"}
_FIRMWARE_KEYS = {"characteristic", "default", "major"}
_BATTERY_KEYS = {"characteristic"}


def load_profile(path: Path) -> Profile:
    """Read and check one profile file; raise :class:`ProfileError` naming file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(path, None, None, f"cannot read: {exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ProfileError(path, int(found.group(1)) if found else None, None, f"not valid TOML: {message}") from None
    return _Reader(path, text).profile(doc)


class _Reader:
    """Checks a parsed profile, turning every problem into a :class:`ProfileError`."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(self.path, self._line_of(key), key, problem)

    def _line_of(self, dotted: str) -> int | None:
        """Best-effort line of ``table.key`` (or ``table[i].key``) in the source text."""
        parts = dotted.split(".")
        leaf = re.sub(r"\[\d+\]$", "", parts[-1])
        table_path = [re.sub(r"\[\d+\]$", "", p) for p in parts[:-1]]
        index_match = re.search(r"\[(\d+)\]$", parts[-2]) if len(parts) > 1 else None
        wanted_index = int(index_match.group(1)) if index_match else None
        current: list[str] = []
        seen_array: dict[str, int] = {}
        table_line: int | None = None
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            header = re.fullmatch(r"\[\[\s*([^\]]+?)\s*\]\]|\[\s*([^\]]+?)\s*\]", line.split("#", 1)[0].strip())
            if header:
                name = header.group(1) or header.group(2)
                current = name.split(".")
                if header.group(1):
                    seen_array[name] = seen_array.get(name, -1) + 1
                if current == table_path and (wanted_index is None or seen_array.get(name) == wanted_index):
                    table_line = number
                continue
            if (
                current == table_path
                and (wanted_index is None or seen_array.get(".".join(current)) == wanted_index)
                and re.match(rf"{re.escape(leaf)}\s*=", line)
            ):
                return number
            if not table_path and not current and re.match(rf"{re.escape(leaf)}\s*=", line):
                return number
        return table_line

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                near = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise self.fail(f"{prefix}{key}", f"unknown key{hint}")

    def table(self, doc: Mapping[str, Any], key: str, prefix: str = "", required: bool = True) -> Mapping[str, Any] | None:
        value = doc.get(key)
        if value is None:
            if required:
                raise ProfileError(self.path, None, f"{prefix}{key}", "missing table")
            return None
        if not isinstance(value, dict):
            raise self.fail(f"{prefix}{key}", "must be a table")
        return value

    def string(self, table: Mapping[str, Any], key: str, prefix: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if value is None:
            raise ProfileError(self.path, self._line_of(prefix.rstrip(".") + ".x") if prefix else None, f"{prefix}{key}", "missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{prefix}{key}", "must be a non-empty string")
        return value

    def uuid(self, table: Mapping[str, Any], key: str, prefix: str) -> str:
        text = self.string(table, key, prefix)
        try:
            return normalize_uuid(text)
        except ValueError as exc:
            raise self.fail(f"{prefix}{key}", str(exc)) from None

    def uuid_list(self, table: Mapping[str, Any], key: str, prefix: str, required: bool) -> tuple[str, ...]:
        value = table.get(key, [] if not required else None)
        if value is None:
            raise ProfileError(self.path, None, f"{prefix}{key}", "missing")
        if not isinstance(value, list) or (required and not value):
            raise self.fail(f"{prefix}{key}", "must be a non-empty list of UUID strings")
        try:
            return tuple(normalize_uuid(str(v)) for v in value)
        except ValueError as exc:
            raise self.fail(f"{prefix}{key}", str(exc)) from None

    def write(self, entry: Any, prefix: str, *, keepalive: bool = False) -> GattWrite:
        if not isinstance(entry, dict):
            raise ProfileError(self.path, None, prefix.rstrip("."), "must be a table")
        self.unknown_keys(entry, _WRITE_KEYS if keepalive else _WRITE_KEYS - {"interval_s"}, prefix)
        characteristic = self.uuid(entry, "characteristic", prefix)
        if ("hex" in entry) == ("text" in entry):
            raise self.fail(f"{prefix}characteristic", "give exactly one of 'hex' or 'text'")
        if "hex" in entry:
            try:
                data = bytes.fromhex(str(entry["hex"]))
            except ValueError:
                raise self.fail(f"{prefix}hex", f"not hex bytes: {entry['hex']!r}") from None
        else:
            if not isinstance(entry["text"], str) or not entry["text"]:
                raise self.fail(f"{prefix}text", "must be a non-empty string")
            data = entry["text"].encode("utf-8")
        response = entry.get("response", True)
        if not isinstance(response, bool):
            raise self.fail(f"{prefix}response", "must be true or false")
        delay = entry.get("delay_after_s", 0.0)
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 10:
            raise self.fail(f"{prefix}delay_after_s", "must be a number of seconds between 0 and 10")
        return GattWrite(characteristic, data, response, str(entry.get("note", "")), float(delay))

    def profile(self, doc: Mapping[str, Any]) -> Profile:
        kind = self.string(doc, "kind", "", default="emg")
        if kind in OTHER_DEVICE_KINDS:
            raise NotAnEmgProfile(self.path, None, "kind", f"a {kind} profile, read by its own loader")
        if kind != "emg":
            raise self.fail("kind", f"only 'emg' sensors are supported here, got {kind!r}")
        self.unknown_keys(doc, _TOP_KEYS, "")
        name = self.string(doc, "name", "")

        match = self.table(doc, "match")
        assert match is not None
        self.unknown_keys(match, _MATCH_KEYS, "match.")
        patterns = match.get("name_patterns", [])
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
            raise self.fail("match.name_patterns", "must be a list of name patterns like \"Myo*\"")
        advertised = self.uuid_list(match, "service_uuids", "match.", required=False)
        if not patterns and not advertised:
            raise self.fail("match.name_patterns", "give name_patterns or service_uuids so a scan can find the device")

        stream = self.table(doc, "stream")
        assert stream is not None
        self.unknown_keys(stream, _STREAM_KEYS, "stream.")
        service = self.uuid(stream, "service", "stream.")
        characteristics = self.uuid_list(stream, "characteristics", "stream.", required=True)
        decoder = self.string(stream, "decoder", "stream.")
        if decoder not in DECODERS:
            near = difflib.get_close_matches(decoder, sorted(DECODERS), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else f"; known: {', '.join(sorted(DECODERS))}"
            raise self.fail("stream.decoder", f"unknown decoder {decoder!r}{hint}")
        rate = stream.get("rate_hz")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate <= 100_000:
            raise self.fail("stream.rate_hz", "must be a positive number of samples per second")
        channels = stream.get("channels")
        if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and c for c in channels):
            raise self.fail("stream.channels", "must be a non-empty list of channel labels")
        unit = self.string(stream, "unit", "stream.", default="µV")
        scale = stream.get("scale_uv", 1.0)
        if isinstance(scale, list):
            if len(scale) != len(channels):
                raise self.fail("stream.scale_uv", f"has {len(scale)} values for {len(channels)} channels")
            scales = scale
        else:
            scales = [scale] * len(channels)
        if not all(isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0 for s in scales):
            raise self.fail("stream.scale_uv", "must be a positive number (or one per channel)")
        options = stream.get("options", {})
        if not isinstance(options, dict):
            raise self.fail("stream.options", "must be a table")
        problem = DECODERS[decoder].check_options(options, len(channels))
        if problem:
            key, message = problem
            raise self.fail(f"stream.options.{key}", message)

        startup = doc.get("startup", [])
        shutdown = doc.get("shutdown", [])
        for key, value in (("startup", startup), ("shutdown", shutdown)):
            if not isinstance(value, list):
                raise self.fail(key, "must be an array of tables ([[startup]])")
        startup_writes = tuple(self.write(e, f"startup[{i}].") for i, e in enumerate(startup))
        shutdown_writes = tuple(self.write(e, f"shutdown[{i}].") for i, e in enumerate(shutdown))

        keepalive = None
        keep = self.table(doc, "keepalive", required=False)
        if keep is not None:
            interval = keep.get("interval_s")
            if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
                raise self.fail("keepalive.interval_s", "must be a positive number of seconds")
            keepalive = Keepalive(self.write(keep, "keepalive.", keepalive=True), float(interval))

        battery = None
        battery_table = self.table(doc, "battery", required=False)
        if battery_table is not None:
            self.unknown_keys(battery_table, _BATTERY_KEYS, "battery.")
            battery = self.uuid(battery_table, "characteristic", "battery.")

        firmware = None
        fw = self.table(doc, "firmware", required=False)
        if fw is not None:
            self.unknown_keys(fw, _FIRMWARE_KEYS, "firmware.")
            default = fw.get("default")
            if not isinstance(default, int) or isinstance(default, bool):
                raise self.fail("firmware.default", "must be a firmware number, e.g. 3")
            major = fw.get("major", {})
            if not isinstance(major, dict) or not all(isinstance(v, int) for v in major.values()):
                raise self.fail("firmware.major", "must map a version's first digit to a firmware number")
            firmware = FirmwareDetect(self.uuid(fw, "characteristic", "firmware."), default, dict(major))

        return Profile(
            id=self.path.stem,
            name=name,
            path=self.path,
            kind=kind,
            name_patterns=tuple(patterns),
            service_uuids=advertised,
            service=service,
            characteristics=characteristics,
            decoder=decoder,
            rate_hz=float(rate),
            channels=tuple(channels),
            unit=unit,
            scale_uv=tuple(float(s) for s in scales),
            decoder_options=dict(options),
            startup=startup_writes,
            shutdown=shutdown_writes,
            keepalive=keepalive,
            battery_characteristic=battery,
            firmware=firmware,
        )
