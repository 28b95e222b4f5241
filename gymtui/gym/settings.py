"""Where the gym's broker is and who this machine is to it: the URL, the name, the credentials.

A rack, the hub and the coach view each connect with a :class:`BrokerSettings`.
They come from the command line (``--gym URL --rack NAME``) or the
``[gym]`` table of gym.toml (``broker``, ``rack``, ``broker_user``,
``broker_password_file``, ``broker_ca``), the command line first.

Health data never travels in clear: ``mqtt://`` (no TLS) is accepted only
for a broker on this machine's loopback (a one-machine setup, the tests);
any other host needs ``mqtts://``. The password is never on the command
line (``ps`` shows it to every user): it comes from a file only its owner
can read, or from ``GYMTUI_GYM_PASSWORD``.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from gymtui.session.loads import GymConfig

PASSWORD_ENV = "GYMTUI_GYM_PASSWORD"
DEFAULT_KEEPALIVE_S = 5
"""The MQTT keep-alive: the broker declares a silent rack lost after 1.5 times this (the coach greys its tile)."""
MAX_PASSWORD_BYTES = 4096


class BrokerSettingsError(ValueError):
    """The broker settings cannot work; the message is one line saying what to change."""


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``: a broker no packet leaves this machine to reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"


def parse_broker_url(url: str) -> BrokerUrl:
    """``mqtts://host[:8883]`` or, on loopback only, ``mqtt://127.0.0.1[:1883]``; else one line saying why not."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BrokerSettingsError(f"broker URL {url[:80]!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("mqtt", "mqtts"):
        raise BrokerSettingsError(f"broker URL {url[:80]!r}: use mqtts://HOST:8883 (or mqtt:// for a broker on this machine)")
    if parts.username or parts.password:
        raise BrokerSettingsError("broker URL: put no credentials in the URL (ps shows it); use a password file")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BrokerSettingsError(f"broker URL {url[:80]!r}: only scheme, host and port")
    host = parts.hostname
    if not host:
        raise BrokerSettingsError(f"broker URL {url[:80]!r} names no host")
    tls = scheme == "mqtts"
    if not tls and not is_loopback(host):
        raise BrokerSettingsError(
            f"mqtt:// to {host} would send health data in clear: use mqtts:// (plain mqtt is for a broker on loopback only)"
        )
    return BrokerUrl(host=host, port=port or (8883 if tls else 1883), tls=tls)


def read_password_file(path: Path) -> str:
    """The first line of ``path``; refused if others may read it (it is the rack's key to the gym)."""
    try:
        info = path.stat()
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise BrokerSettingsError(f"{path}: others can read this password file; chmod 600 {path}")
        with path.open("rb") as file:
            data = file.read(MAX_PASSWORD_BYTES + 1)
    except OSError as exc:
        raise BrokerSettingsError(f"{path}: cannot read the password file ({exc.strerror or exc})") from None
    if len(data) > MAX_PASSWORD_BYTES:
        raise BrokerSettingsError(f"{path}: not a password file (more than {MAX_PASSWORD_BYTES} bytes)")
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise BrokerSettingsError(f"{path}: the password file is not UTF-8 text") from None
    password = lines[0].strip() if lines else ""
    if not password:
        raise BrokerSettingsError(f"{path}: the password file is empty")
    return password


def check_ca_file(path: Path) -> None:
    """Refuse a CA file TLS cannot load, before a process that runs for days starts on it.

    :meth:`BrokerSettings.build` checks only that the file is there; a
    long-running process (the hub) loads it too, so a wrong file is one line
    when it starts, not a traceback from the first connect.
    """
    import ssl

    try:
        ssl.create_default_context(cafile=str(path))
    except FileNotFoundError:
        raise BrokerSettingsError(f"{path}: no CA certificate there (broker_ca / --gym-ca)") from None
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise BrokerSettingsError(
            f"{path}: not a PEM CA certificate ({reason}); copy ca.crt from the broker folder"
        ) from None


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """How one gymtui process reaches the gym's broker."""

    url: BrokerUrl
    username: str
    password: str | None = None
    ca_file: Path | None = None
    """The gym's CA certificate (None: the system's trust store)."""
    keepalive_s: int = DEFAULT_KEEPALIVE_S

    @classmethod
    def build(
        cls,
        url: str,
        username: str,
        *,
        password_file: Path | None = None,
        ca_file: Path | None = None,
        keepalive_s: int = DEFAULT_KEEPALIVE_S,
        environ: dict[str, str] | None = None,
    ) -> BrokerSettings:
        """Settings from what the user gave, each checked; :class:`BrokerSettingsError` names the first problem."""
        parsed = parse_broker_url(url)
        env = os.environ if environ is None else environ
        password = read_password_file(password_file) if password_file is not None else env.get(PASSWORD_ENV) or None
        if parsed.tls and ca_file is not None and not ca_file.is_file():
            raise BrokerSettingsError(f"{ca_file}: no CA certificate there (broker_ca / --gym-ca)")
        if not 2 <= keepalive_s <= 600:
            raise BrokerSettingsError(f"keep-alive {keepalive_s} s: must be 2 to 600 s")
        return cls(url=parsed, username=username, password=password, ca_file=ca_file, keepalive_s=keepalive_s)

    @property
    def lost_after_s(self) -> float:
        """How long after a rack falls silent the broker sends its will (MQTT: 1.5 keep-alives)."""
        return 1.5 * self.keepalive_s


@dataclass(frozen=True, slots=True)
class LinkFlags:
    """What the command line said about the broker; None where a flag was not given."""

    url: str | None = None
    rack: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True)
class LinkChoice:
    """The broker settings chosen from the command line and gym.toml, not yet checked.

    :meth:`build` checks them all at once (what the app needs);
    ``gymtui gym doctor`` checks them one by one so it can say which is wrong.
    """

    url: str
    username: str
    rack: str | None
    password_file: Path | None
    ca_file: Path | None
    from_file: frozenset[str]
    """The gym.toml keys that were used (the command line gave the others)."""
    config_path: Path | None

    def where(self, key: str) -> str:
        """`` (gym.toml PATH)`` when ``key`` came from the file, else empty: a problem line says where to fix it."""
        return f" (from {self.config_path})" if key in self.from_file and self.config_path else ""

    def build(self, *, environ: dict[str, str] | None = None) -> BrokerSettings:
        """The checked settings; :class:`BrokerSettingsError` with one line (and the file, if it is to blame)."""
        try:
            return BrokerSettings.build(
                self.url, self.username, password_file=self.password_file, ca_file=self.ca_file, environ=environ
            )
        except BrokerSettingsError as exc:
            where = f" (settings from {self.config_path})" if self.from_file and self.config_path else ""
            raise BrokerSettingsError(f"{exc}{where}") from None


def choose_link(
    cli: LinkFlags,
    config: GymConfig | None,
    *,
    config_path: Path | None = None,
    user: str | None = None,
    need_rack: bool = True,
) -> LinkChoice | None:
    """The one place the command line and gym.toml's ``[gym]`` table meet: each flag given wins over its key.

    ``user``: the fixed broker user of the hub and the coach ("hub",
    "coach"); a rack's is gym.toml's ``broker_user`` or else its name.
    ``need_rack``: a rack (the app, the doctor) must have a name. None when
    neither names a broker (a rack alone); :class:`BrokerSettingsError` with
    one line for a setting that cannot work, or a key gym.toml got wrong.
    """
    from_file: set[str] = set()
    problems = dict(config.link_problems) if config is not None else {}
    given = {"broker": cli.url, "rack": cli.rack, "broker_password_file": cli.password_file, "broker_ca": cli.ca_file}

    def pick(key: str, flag: str | Path | None) -> str | Path | None:
        if flag is not None:
            return flag
        if key in problems:
            raise BrokerSettingsError(problems[key])
        value = getattr(config, key, None) if config is not None else None
        if value is not None:
            from_file.add(key)
        return value

    url = pick("broker", cli.url)
    if url is None:
        if any(v is not None for k, v in given.items() if k != "broker"):
            raise BrokerSettingsError("--rack, --gym-password-file and --gym-ca need --gym mqtts://HOST:8883")
        return None
    rack = pick("rack", cli.rack)
    if rack is not None:
        from gymtui.gym.topics import BadRackName, check_rack_name

        try:
            rack = check_rack_name(str(rack).strip())
        except BadRackName as exc:
            raise BrokerSettingsError(f"{exc}{f' (from {config_path})' if 'rack' in from_file else ''}") from None
    if need_rack and rack is None:
        raise BrokerSettingsError('--gym needs --rack NAME (this rack\'s name, and its broker username; or rack = "NAME" in gym.toml [gym])')
    username = user or pick("broker_user", None) or rack
    if not username:
        raise BrokerSettingsError("no broker username: give --rack NAME or broker_user in gym.toml [gym]")
    password_file = pick("broker_password_file", cli.password_file)
    ca_file = pick("broker_ca", cli.ca_file)
    return LinkChoice(
        url=str(url),
        username=str(username),
        rack=None if rack is None else str(rack),
        password_file=None if password_file is None else Path(password_file),
        ca_file=None if ca_file is None else Path(ca_file),
        from_file=frozenset(from_file),
        config_path=config_path,
    )


def resolve_link(
    cli: LinkFlags,
    config: GymConfig | None,
    *,
    config_path: Path | None = None,
    user: str | None = None,
    need_rack: bool = True,
    environ: dict[str, str] | None = None,
) -> tuple[BrokerSettings, str | None] | None:
    """:func:`choose_link` then :meth:`LinkChoice.build`: the settings and the rack's name, or None (no broker)."""
    choice = choose_link(cli, config, config_path=config_path, user=user, need_rack=need_rack)
    if choice is None:
        return None
    return choice.build(environ=environ), choice.rack
