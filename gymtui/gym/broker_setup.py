"""A gym's broker folder, written from one list of racks: Mosquitto's config, CA, certificates, passwords, ACL.

``gymtui gym init`` calls :func:`write_broker_dir`; the tests start their
Mosquitto from the same folder, so what a gym owner runs is what is tested.
The folder holds::

    mosquitto.conf         from devices/gym/mosquitto.conf.template
    acl                    from devices/gym/acl.template (+ one acl-rack block per rack)
    passwd                 Mosquitto's PBKDF2-SHA512 hashes ($7$), never the passwords
    ca.crt, ca.key         the gym's own CA (ca.key: keep it off the racks)
    server.crt, server.key the broker's certificate, for the names racks dial
    credentials/<user>     each user's password, 0600: copy one to each rack
    data/                  Mosquitto's persistence (sessions, retained athlete state)

Passwords are 24 random URL-safe characters from :mod:`secrets`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from gymtui.gym.topics import check_rack_name
from gymtui.resources import resource_dir

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

HUB_USER = "hub"
COACH_USER = "coach"
RESERVED_USERS = frozenset({HUB_USER, COACH_USER})
CERT_DAYS = 825
"""Server certificates: the longest validity Apple's TLS still accepts (a coach's iPad)."""
CA_DAYS = 3650
PBKDF2_ITERATIONS = 101
"""What ``mosquitto_passwd`` writes in Mosquitto 2.0 (``$7$101$…``)."""


def mosquitto_password_hash(password: str, *, salt: bytes | None = None) -> str:
    """A ``passwd`` line's hash as Mosquitto 2 reads it: ``$7$101$<salt>$<PBKDF2-SHA512>``."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS, 64)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@dataclass(frozen=True, slots=True)
class BrokerDir:
    """What :func:`write_broker_dir` wrote, by name."""

    root: Path
    port: int
    bind_address: str
    tls: bool
    racks: tuple[str, ...]
    passwords: Mapping[str, str] = field(repr=False)
    """Every user's password (the racks', ``coach``, ``hub``)."""

    @property
    def conf(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def acl(self) -> Path:
        return self.root / "acl"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    def password_file(self, user: str) -> Path:
        """``credentials/<user>``: the file to give that rack (or the coach, the hub) as its password file."""
        return self.root / "credentials" / user

    @property
    def url(self) -> str:
        host = "localhost" if self.bind_address in ("0.0.0.0", "::") else self.bind_address
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only its owner can read (created so, never widened after)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _make_tls(root: Path, hosts: Iterable[str], *, keep_ca: bool = False) -> None:
    """The gym's CA and the broker's certificate for ``hosts`` (names and IP addresses it is dialled by).

    ``keep_ca``: where ``ca.crt`` and ``ca.key`` exist, sign the new server
    certificate with them, so every rack's copy of ``ca.crt`` stays good.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gymtui gym CA")])
    if keep_ca and (root / "ca.crt").is_file() and (root / "ca.key").is_file():
        kept_cert = x509.load_pem_x509_certificate((root / "ca.crt").read_bytes())
        kept_key = serialization.load_pem_private_key((root / "ca.key").read_bytes(), password=None)
        if not isinstance(kept_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{root / 'ca.key'} is not the EC key gymtui gym init writes")
        _write_server_cert(root, hosts, kept_key, kept_cert.subject, now)
        return
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (root / "ca.crt").write_bytes(ca_cert.public_bytes(pem))
    _write_private(root / "ca.key", ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    _write_server_cert(root, hosts, ca_key, ca_name, now)


def _write_server_cert(root: Path, hosts: Iterable[str], ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name, now: dt.datetime) -> None:
    """``server.crt`` / ``server.key``: the broker's certificate for ``hosts``, signed by the gym's CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server_key = ec.generate_private_key(ec.SECP256R1())
    first = next(iter(hosts), "localhost")
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_format = serialization.PrivateFormat.PKCS8
    no_password = serialization.NoEncryption()
    (root / "server.crt").write_bytes(server_cert.public_bytes(pem))
    _write_private(root / "server.key", server_key.private_bytes(pem, key_format, no_password))


def write_broker_dir(
    root: Path,
    racks: Iterable[str],
    *,
    hosts: Iterable[str] = ("localhost", "127.0.0.1"),
    port: int = 8883,
    bind_address: str = "0.0.0.0",
    tls: bool = True,
    passwords: Mapping[str, str] | None = None,
    run_as_user: str | None = None,
    keep_ca: bool = False,
) -> BrokerDir:
    """Write a gym's broker folder at ``root`` (made if missing) for ``racks``; see the module's docstring.

    ``tls=False`` is for a broker bound to loopback only (one machine, the
    tests): the racks refuse ``mqtt://`` to anything else. ``passwords``
    fixes some users' passwords (the rest are random). ``run_as_user``:
    the account Mosquitto keeps when started as root (default: it drops to
    ``mosquitto``, which must then own the folder: ``chown -R mosquitto``).
    ``keep_ca``: reuse the folder's CA (racks keep their ``ca.crt``); the
    server certificate is issued anew for ``hosts`` either way.
    """
    rack_names = tuple(check_rack_name(r) for r in racks)
    clash = RESERVED_USERS.intersection(rack_names)
    if clash:
        name = min(clash)
        raise ValueError(f"a rack cannot be called {name!r}: that name is the {name}'s")
    if len(set(rack_names)) != len(rack_names):
        raise ValueError("two racks have the same name")
    if not tls and not ipaddress.ip_address(bind_address).is_loopback:
        raise ValueError("a broker without TLS must listen on loopback only (127.0.0.1)")
    root.mkdir(parents=True, exist_ok=True)
    (root / "credentials").mkdir(mode=0o700, exist_ok=True)
    (root / "data").mkdir(mode=0o700, exist_ok=True)
    given = dict(passwords or {})
    users = (*rack_names, COACH_USER, HUB_USER)
    secret = {user: given.get(user) or secrets.token_urlsafe(18) for user in users}
    for user in users:
        _write_private(root / "credentials" / user, (secret[user] + "\n").encode())
    _write_private(root / "passwd", "".join(f"{u}:{mosquitto_password_hash(secret[u])}\n" for u in users).encode())
    templates = resource_dir("devices") / "gym"
    acl = Template((templates / "acl.template").read_text()).substitute(hub_user=HUB_USER, coach_user=COACH_USER)
    rack_block = Template((templates / "acl-rack.template").read_text())
    acl += "".join(rack_block.substitute(rack=rack) for rack in rack_names)
    (root / "acl").write_text(acl)
    if tls:
        _make_tls(root, tuple(hosts), keep_ca=keep_ca)
        tls_lines = f"cafile {root / 'ca.crt'}\ncertfile {root / 'server.crt'}\nkeyfile {root / 'server.key'}\ntls_version tlsv1.2\n"
    else:
        tls_lines = "# No TLS: this listener is on loopback only.\n"
    conf = Template((templates / "mosquitto.conf.template").read_text()).substitute(
        conf_path=root / "mosquitto.conf",
        passwd_path=root / "passwd",
        acl_path=root / "acl",
        persistence_dir=root / "data",
        port=port,
        bind_address=bind_address,
        tls_lines=tls_lines,
        user_line=f"user {run_as_user}" if run_as_user else "# Started as root, Mosquitto runs as the user 'mosquitto': chown -R mosquitto this folder.",
    )
    (root / "mosquitto.conf").write_text(conf)
    return BrokerDir(root=root, port=port, bind_address=bind_address, tls=tls, racks=rack_names, passwords=secret)


class BrokerDirError(ValueError):
    """An existing broker folder that cannot be added to; the message is one line saying what to do."""


@dataclass(frozen=True, slots=True)
class ExistingBrokerDir:
    """What a broker folder written earlier holds: enough to add racks without touching the others."""

    racks: tuple[str, ...]
    passwords: Mapping[str, str] = field(repr=False)
    hosts: tuple[str, ...]
    port: int
    bind_address: str
    run_as_user: str | None
    cert_expires: dt.datetime
    """When the broker's certificate ends (``gymtui gym init`` renews it within :data:`RENEW_BEFORE`)."""


RENEW_BEFORE = dt.timedelta(days=30)
_LISTENER = re.compile(r"^listener\s+([0-9]{1,5})\s+(\S+)\s*$", re.MULTILINE)
_USER_LINE = re.compile(r"^user\s+(\S+)\s*$", re.MULTILINE)


def is_broker_dir(root: Path) -> bool:
    """True where ``gymtui gym init`` wrote a folder before (its config, passwords or CA key are there)."""
    return any((root / name).exists() for name in ("mosquitto.conf", "passwd", "ca.key"))


def read_broker_dir(root: Path) -> ExistingBrokerDir:
    """The racks, passwords, certificate names and listener of a folder :func:`write_broker_dir` wrote.

    Every user in ``passwd`` must still have its ``credentials/<user>``
    file: a password cannot be kept when only its hash is left.
    """
    from cryptography import x509

    try:
        users = [line.split(":", 1)[0] for line in (root / "passwd").read_text().splitlines() if ":" in line]
        conf = (root / "mosquitto.conf").read_text()
        cert = x509.load_pem_x509_certificate((root / "server.crt").read_bytes())
    except (OSError, ValueError) as exc:
        raise BrokerDirError(f"{root} is not a whole broker folder ({exc}); use --force to write a new one") from None
    passwords: dict[str, str] = {}
    for user in users:
        try:
            passwords[user] = (root / "credentials" / user).read_text().splitlines()[0].strip()
        except (OSError, IndexError):
            raise BrokerDirError(
                f"{root / 'credentials' / user} is missing, so {user}'s password cannot be kept: put it back, "
                "or use --force for new passwords for every rack"
            ) from None
    listener = _LISTENER.search(conf)
    if listener is None:
        raise BrokerDirError(f"{root / 'mosquitto.conf'} has no listener line; use --force to write a new one")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    hosts = [*san.get_values_for_type(x509.DNSName), *(str(a) for a in san.get_values_for_type(x509.IPAddress))]
    user_line = _USER_LINE.search(conf)
    return ExistingBrokerDir(
        racks=tuple(u for u in users if u not in RESERVED_USERS),
        passwords=passwords,
        hosts=tuple(hosts),
        port=int(listener.group(1)),
        bind_address=listener.group(2),
        run_as_user=user_line.group(1) if user_line else None,
        cert_expires=cert.not_valid_after_utc,
    )
