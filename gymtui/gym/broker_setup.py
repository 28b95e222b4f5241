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
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from gymtui.gym.topics import check_rack_name
from gymtui.resources import resource_dir

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


def _make_tls(root: Path, hosts: Iterable[str]) -> None:
    """The gym's CA and the broker's certificate for ``hosts`` (names and IP addresses it is dialled by)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gymtui gym CA")])
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
    (root / "ca.crt").write_bytes(ca_cert.public_bytes(pem))
    _write_private(root / "ca.key", ca_key.private_bytes(pem, key_format, no_password))
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
) -> BrokerDir:
    """Write a gym's broker folder at ``root`` (made if missing) for ``racks``; see the module's docstring.

    ``tls=False`` is for a broker bound to loopback only (one machine, the
    tests): the racks refuse ``mqtt://`` to anything else. ``passwords``
    fixes some users' passwords (the rest are random). ``run_as_user``:
    the account Mosquitto keeps when started as root (default: it drops to
    ``mosquitto``, which must then own the folder: ``chown -R mosquitto``).
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
        _make_tls(root, tuple(hosts))
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
