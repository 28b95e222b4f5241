"""Device profiles: what a sensor looks like on the air, read from ``devices/*.toml``.

A new sensor with a known encoding is a new TOML file, no code: the profile
names the advertised name patterns and service UUIDs a scan matches, the GATT
service and data characteristics, the start-up, keep-alive and shut-down
writes, the decoder (by name, see :mod:`gymtui.adapters.decoders`), channels,
sample rate and scale to µV, how to detect the firmware where the wire
format depends on it, and (``[vibrate]``) the one write that makes a sensor
buzz on the skin when a form cue fires.

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
from typing import Annotated, Any

import msgspec

from gymtui.adapters.decoders import DECODERS, Decoder, make_decoder
from gymtui.session.config_schema import KeyLines, KeyPath, SchemaProblem, check

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
    vibrate: GattWrite | None = None
    """The write that makes the sensor buzz once (``[vibrate]``, e.g. the Myo's ``03 01 01``); None: it cannot."""

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


_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
_Positive = Annotated[float, msgspec.Meta(gt=0)]


class _Write(msgspec.Struct, forbid_unknown_fields=True):
    characteristic: str
    hex: str | None = None
    text: _NonEmpty | None = None
    response: bool = True
    note: str = ""
    delay_after_s: Annotated[float, msgspec.Meta(ge=0, le=10)] = 0.0


class _Keepalive(_Write, kw_only=True):
    interval_s: _Positive


class _Match(msgspec.Struct, forbid_unknown_fields=True):
    name_patterns: list[_NonEmpty] = msgspec.field(default_factory=list)
    service_uuids: list[str] = msgspec.field(default_factory=list)


class _Stream(msgspec.Struct, forbid_unknown_fields=True):
    service: str
    characteristics: Annotated[list[str], msgspec.Meta(min_length=1, extra={"items": "UUID strings"})]
    decoder: str
    rate_hz: Annotated[float, msgspec.Meta(gt=0, le=100_000)]
    channels: Annotated[list[_NonEmpty], msgspec.Meta(min_length=1, extra={"items": "channel labels"})]
    unit: _NonEmpty = "µV"
    scale_uv: _Positive | list[_Positive] = 1.0
    options: dict[str, Any] = msgspec.field(default_factory=dict)


class _Battery(msgspec.Struct, forbid_unknown_fields=True):
    characteristic: str


class _Firmware(msgspec.Struct, forbid_unknown_fields=True):
    characteristic: str
    default: int
    major: dict[str, int] = msgspec.field(default_factory=dict)


class ProfileFile(msgspec.Struct, forbid_unknown_fields=True):
    """An EMG sensor profile (``devices/<id>.toml``): its tables, their keys and types."""

    name: _NonEmpty
    match: _Match
    stream: _Stream
    kind: str = "emg"
    battery: _Battery | None = None
    firmware: _Firmware | None = None
    startup: list[_Write] = msgspec.field(default_factory=list)
    shutdown: list[_Write] = msgspec.field(default_factory=list)
    keepalive: _Keepalive | None = None
    vibrate: _Write | None = None


def _key(path: KeyPath) -> str:
    """A profile key as profile errors name it: ``startup[0].hex`` (array items from 0, as before)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
    return _Reader(path, KeyLines(text)).profile(doc)


class _Reader:
    """Checks a parsed profile against :class:`ProfileFile`, then what a schema cannot say
    (UUIDs, hex bytes, the decoder and its options), each problem a :class:`ProfileError`."""

    def __init__(self, path: Path, lines: KeyLines) -> None:
        self.path = path
        self.lines = lines

    def fail(self, path: KeyPath, problem: str) -> ProfileError:
        return ProfileError(self.path, self.lines.line_of(path), _key(path), problem)

    def uuid(self, text: str, path: KeyPath) -> str:
        try:
            return normalize_uuid(text)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def uuids(self, texts: list[str], path: KeyPath) -> tuple[str, ...]:
        return tuple(self.uuid(text, (*path, i)) for i, text in enumerate(texts))

    def write(self, entry: _Write, path: KeyPath) -> GattWrite:
        characteristic = self.uuid(entry.characteristic, (*path, "characteristic"))
        if (entry.hex is None) == (entry.text is None):
            raise self.fail((*path, "characteristic"), "give exactly one of 'hex' or 'text'")
        if entry.hex is not None:
            try:
                data = bytes.fromhex(entry.hex)
            except ValueError:
                raise self.fail((*path, "hex"), f"not hex bytes: {entry.hex!r}") from None
        else:
            data = str(entry.text).encode("utf-8")
        return GattWrite(characteristic, data, entry.response, entry.note, float(entry.delay_after_s))

    def profile(self, doc: Mapping[str, Any]) -> Profile:
        kind = doc.get("kind", "emg")
        if isinstance(kind, str) and kind in OTHER_DEVICE_KINDS:
            raise NotAnEmgProfile(self.path, None, "kind", f"a {kind} profile, read by its own loader")
        try:
            spec = check(doc, ProfileFile, self.lines)
        except SchemaProblem as found:
            raise ProfileError(self.path, found.line, _key(found.path), found.problem) from None
        if spec.kind != "emg":
            raise self.fail(("kind",), f"only 'emg' sensors are supported here, got {spec.kind!r}")

        advertised = self.uuids(spec.match.service_uuids, ("match", "service_uuids"))
        if not spec.match.name_patterns and not advertised:
            raise self.fail(("match", "name_patterns"), "give name_patterns or service_uuids so a scan can find the device")

        stream = spec.stream
        service = self.uuid(stream.service, ("stream", "service"))
        characteristics = self.uuids(stream.characteristics, ("stream", "characteristics"))
        if stream.decoder not in DECODERS:
            near = difflib.get_close_matches(stream.decoder, sorted(DECODERS), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else f"; known: {', '.join(sorted(DECODERS))}"
            raise self.fail(("stream", "decoder"), f"unknown decoder {stream.decoder!r}{hint}")
        channels = stream.channels
        if isinstance(stream.scale_uv, list):
            if len(stream.scale_uv) != len(channels):
                raise self.fail(("stream", "scale_uv"), f"has {len(stream.scale_uv)} values for {len(channels)} channels")
            scales = stream.scale_uv
        else:
            scales = [stream.scale_uv] * len(channels)
        problem = DECODERS[stream.decoder].check_options(stream.options, len(channels))
        if problem:
            key, message = problem
            raise self.fail(("stream", "options", key), message)

        startup = tuple(self.write(e, ("startup", i)) for i, e in enumerate(spec.startup))
        shutdown = tuple(self.write(e, ("shutdown", i)) for i, e in enumerate(spec.shutdown))
        keepalive = None
        if spec.keepalive is not None:
            keepalive = Keepalive(self.write(spec.keepalive, ("keepalive",)), float(spec.keepalive.interval_s))
        vibrate = None
        if spec.vibrate is not None:
            vibrate = self.write(spec.vibrate, ("vibrate",))
            if not vibrate.data:
                raise self.fail(("vibrate", "hex" if spec.vibrate.hex is not None else "text"), "a vibrate write needs at least one byte")
            if vibrate.delay_after_s:
                raise self.fail(("vibrate", "delay_after_s"), "a vibrate write never waits after itself: the cue is what matters")
        battery = self.uuid(spec.battery.characteristic, ("battery", "characteristic")) if spec.battery else None
        firmware = None
        if spec.firmware is not None:
            fw = spec.firmware
            firmware = FirmwareDetect(self.uuid(fw.characteristic, ("firmware", "characteristic")), fw.default, dict(fw.major))

        return Profile(
            id=self.path.stem,
            name=spec.name,
            path=self.path,
            kind=spec.kind,
            name_patterns=tuple(spec.match.name_patterns),
            service_uuids=advertised,
            service=service,
            characteristics=characteristics,
            decoder=stream.decoder,
            rate_hz=float(stream.rate_hz),
            channels=tuple(channels),
            unit=stream.unit,
            scale_uv=tuple(float(s) for s in scales),
            decoder_options=dict(stream.options),
            startup=startup,
            shutdown=shutdown,
            keepalive=keepalive,
            battery_characteristic=battery,
            firmware=firmware,
            vibrate=vibrate,
        )
