"""``gymtui gym doctor``: from a rack, each thing the gym link needs, checked in the order a packet meets them.

A rack that does not show on the coach's screen has one of a handful of
problems: a URL the rack refuses (plain ``mqtt://`` off loopback), a name
that does not resolve, a broker that does not answer, a certificate the
rack cannot trust (another gym's CA, a name the certificate does not carry,
expired), a wrong password, or an ACL that does not fit. Each check here
gives one :class:`Check`: ✓ with what was found, or ✗ with what to do. A
check that cannot pass stops the ones that depend on it (no TLS without a
TCP connection), so the first ✗ is the one to fix.

The ACL probes publish as the rack would (QoS 1, so MQTT 5's PUBACK says
whether the broker took it), never retained and with an empty payload: a
probe that a too-open broker lets through is a message every reader drops,
not athlete state. The client ID is the rack's name plus ``-doctor-`` and a
random suffix, so a doctor run on a rack that is training does not take
over the rack's own session.

Every string that came from outside (the broker's reason, a certificate's
error, a file name) is passed through :func:`gymtui.text.safe_text` by
whoever prints it: the command does, for the whole line.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import secrets
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gymtui.gym.connection import connect, make_client, reason_line
from gymtui.gym.settings import (
    PASSWORD_ENV,
    BrokerSettings,
    BrokerSettingsError,
    BrokerUrl,
    LinkChoice,
    parse_broker_url,
    read_password_file,
)
from gymtui.gym.topics import ATHLETE_STATES, athlete_state_topic, rack_topic

DEFAULT_TIMEOUT_S = 10.0
"""How long each network step may take: a LAN broker answers in milliseconds; Wi-Fi and a busy Pi need some seconds."""
PROBE_RACK = "doctor-probe"
"""The other rack's name the ACL probe tries to write under: no real rack is called that."""
PROBE_ATHLETE = "gymtui doctor probe"
"""Whose athlete-state topic the ACL probe tries to write: no real athlete, and never retained."""
REFUSED = 0x80
"""MQTT 5: a reason code at or above this is a refusal."""

# OpenSSL's verify codes (X509_V_ERR_*) the doctor puts into words.
_EXPIRED = 10
_NOT_YET_VALID = 9
_UNKNOWN_CA = frozenset({2, 18, 19, 20, 21})
_NAME_MISMATCH = frozenset({62, 63, 64})


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report."""

    ok: bool
    name: str
    text: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.text}"


def diagnose(choice: LinkChoice, *, timeout_s: float = DEFAULT_TIMEOUT_S, environ: dict[str, str] | None = None) -> Iterator[Check]:
    """Every check for ``choice``, in order, as each finishes; stops after a ✗ the next checks depend on."""
    try:
        url = parse_broker_url(choice.url)
    except BrokerSettingsError as exc:
        yield Check(False, "broker URL", f"{exc}{choice.where('broker')}")
        return
    yield Check(True, "broker URL", _url_text(url))
    for check in _local_files(choice, url, environ):
        yield check
        if not check.ok:
            return
    settings = choice.build(environ=environ)
    addresses: list[tuple[str, int]] = []
    check = _resolve(url, timeout_s, addresses)
    yield check
    if not check.ok:
        return
    sock: socket.socket | None = None
    check, sock = _reach(url, addresses, timeout_s)
    yield check
    if sock is None:
        return
    with sock:
        check = _tls(url, settings, sock, timeout_s)
    yield check
    if not check.ok:
        return
    yield from _mqtt(settings, choice, timeout_s)


def _url_text(url: BrokerUrl) -> str:
    if url.tls:
        return f"{url} (TLS)"
    return f"{url}: plain MQTT, allowed because the broker is on this machine (loopback)"


def _local_files(choice: LinkChoice, url: BrokerUrl, environ: dict[str, str] | None) -> Iterator[Check]:
    """The password and the CA certificate as this rack has them, before any packet."""
    if choice.password_file is not None:
        try:
            read_password_file(choice.password_file)
        except BrokerSettingsError as exc:
            yield Check(False, "password", f"{exc}{choice.where('broker_password_file')}")
            return
        yield Check(True, "password", f"from {choice.password_file}")
    elif (environ if environ is not None else _environ()).get(PASSWORD_ENV):
        yield Check(True, "password", f"from ${PASSWORD_ENV}")
    else:
        yield Check(
            False, "password",
            f"none given: copy credentials/{choice.username} from the broker folder to this rack, chmod 600 it, "
            "and give it as --gym-password-file (or broker_password_file in gym.toml)",
        )
        return
    if not url.tls:
        return
    if choice.ca_file is None:
        yield Check(True, "CA certificate", "the system's trust store (no --gym-ca): right only for a broker with a public certificate")
        return
    try:
        ssl.create_default_context(cafile=str(choice.ca_file))
    except FileNotFoundError:
        yield Check(False, "CA certificate", f"{choice.ca_file}: no such file{choice.where('broker_ca')}; copy ca.crt from the broker folder")
        return
    except (OSError, ssl.SSLError) as exc:
        yield Check(
            False, "CA certificate",
            f"{choice.ca_file}: not a PEM certificate ({getattr(exc, 'reason', None) or exc}){choice.where('broker_ca')}; "
            "copy ca.crt from the broker folder",
        )
        return
    yield Check(True, "CA certificate", f"{choice.ca_file}")


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def _resolve(url: BrokerUrl, timeout_s: float, out: list[tuple[str, int]]) -> Check:
    """The broker's addresses, with a deadline (``getaddrinfo`` itself has none, so it runs on a helper thread)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="doctor-dns")
    future = pool.submit(socket.getaddrinfo, url.host, url.port, type=socket.SOCK_STREAM)
    pool.shutdown(wait=False)
    try:
        infos = future.result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        return Check(False, "name", f"{url.host} did not resolve within {timeout_s:g} s: check this rack's DNS, or use the broker's IP address")
    except OSError as exc:
        return Check(
            False, "name",
            f"{url.host} does not resolve ({exc.strerror or exc}): check the spelling, or use the broker's IP address "
            "(it must be one of the names given to gymtui gym init --host)",
        )
    seen: list[tuple[str, int]] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        address = (str(sockaddr[0]), int(family))
        if address not in seen:
            seen.append(address)
    out.extend(seen)
    shown = ", ".join(a for a, _f in seen[:4])
    return Check(True, "name", f"{url.host} is {shown}" if shown != url.host else f"{url.host} (an address)")


def _reach(url: BrokerUrl, addresses: list[tuple[str, int]], timeout_s: float) -> tuple[Check, socket.socket | None]:
    """A TCP connection to the first address that answers."""
    failures: list[str] = []
    for address, family in addresses:
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(timeout_s)
            sock.connect((address, url.port))
        except TimeoutError:
            sock.close()
            failures.append(f"{address}: no answer within {timeout_s:g} s")
        except OSError as exc:
            sock.close()
            failures.append(f"{address}: {exc.strerror or exc}")
        else:
            return Check(True, "reach", f"TCP to {address} port {url.port} answered"), sock
    what = "; ".join(failures)
    if any("refused" in f.lower() for f in failures):
        hint = f"is mosquitto running there, listening on port {url.port}? (systemctl status; the listener line in mosquitto.conf)"
    else:
        hint = "is the broker's machine on, on this network, and its firewall open for this port?"
    return Check(False, "reach", f"{what}: {hint}"), None


def _tls(url: BrokerUrl, settings: BrokerSettings, sock: socket.socket, timeout_s: float) -> Check:
    """The TLS handshake as the rack's link makes it: the gym's CA, the host name in the URL, TLS 1.2 or newer."""
    if not url.tls:
        return Check(True, "TLS", "none: mqtt:// to this machine's loopback, nothing leaves it")
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    sock.settimeout(timeout_s)
    try:
        with context.wrap_socket(sock, server_hostname=url.host) as tls:
            cert = tls.getpeercert() or {}
            version = tls.version()
    except ssl.SSLCertVerificationError as exc:
        return Check(False, "TLS", _verify_text(url, settings, exc))
    except TimeoutError:
        return Check(False, "TLS", f"no TLS answer within {timeout_s:g} s: is port {url.port} the broker's TLS listener?")
    except ssl.SSLError as exc:
        reason = str(exc.reason or exc)
        if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason:
            return Check(False, "TLS", f"port {url.port} does not speak TLS ({reason}): use the broker's TLS listener (mqtts, usually 8883)")
        return Check(False, "TLS", f"handshake failed ({reason})")
    except OSError as exc:
        return Check(False, "TLS", f"the connection broke during the handshake ({exc.strerror or exc}): look at the broker's log")
    until = cert.get("notAfter")
    expires = f", valid until {_cert_date(str(until))}" if until else ""
    return Check(True, "TLS", f"{version}, certificate for {url.host} signed by {_ca_name(settings)}{expires}")


def _ca_name(settings: BrokerSettings) -> str:
    return f"the CA in {settings.ca_file}" if settings.ca_file else "a CA this system trusts"


def _cert_date(text: str) -> str:
    try:
        return dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), dt.UTC).strftime("%Y-%m-%d")
    except ValueError:
        return text


def _verify_text(url: BrokerUrl, settings: BrokerSettings, exc: ssl.SSLCertVerificationError) -> str:
    code = exc.verify_code
    if code in _UNKNOWN_CA:
        return (
            f"unknown CA: the broker's certificate is not signed by {_ca_name(settings)} ({exc.verify_message}); "
            "copy ca.crt from the gym's broker folder to this rack and give it as --gym-ca (or broker_ca)"
        )
    if code in _NAME_MISMATCH:
        return (
            f"host name mismatch: the broker's certificate is not for {url.host!r} ({exc.verify_message}); "
            "dial the broker by a name it was made for, or add it: gymtui gym init DIR --host NAME, then restart mosquitto"
        )
    if code == _EXPIRED:
        return "the broker's certificate has expired: on the broker, gymtui gym init DIR renews it (same CA), then restart mosquitto"
    if code == _NOT_YET_VALID:
        return "the broker's certificate is not valid yet: check this rack's clock (date; timedatectl)"
    return f"the broker's certificate was refused ({exc.verify_message})"


@dataclass
class _Probe:
    """What the probe client heard, filled on paho's thread."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    connack: object = None
    dropped: str | None = None
    """Why the connection ended before any CONNACK (paho's words), if it did."""
    pubacks: dict[int, int] = field(default_factory=dict)
    subacks: dict[int, list[int]] = field(default_factory=dict)
    retained: set[str] = field(default_factory=set)

    def wait(self, ready: object, timeout_s: float) -> bool:
        with self.lock:
            return self.lock.wait_for(ready, timeout=timeout_s)  # type: ignore[arg-type]


def _mqtt(settings: BrokerSettings, choice: LinkChoice, timeout_s: float) -> Iterator[Check]:
    """Credentials, then the ACL from the rack's side, on one short-lived client (clean session)."""
    rack = choice.rack or choice.username
    probe = _Probe()
    client = make_client(settings, f"{rack}-doctor-{secrets.token_hex(3)}")

    def on_connect(_c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        with probe.lock:
            probe.connack = reason
            probe.lock.notify_all()

    def on_disconnect(_c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        with probe.lock:
            if probe.connack is None and probe.dropped is None:
                probe.dropped = str(reason)
            probe.lock.notify_all()

    def on_publish(_c: object, _u: object, mid: int, reason: object, _p: object) -> None:
        with probe.lock:
            probe.pubacks[mid] = int(getattr(reason, "value", -1))
            probe.lock.notify_all()

    def on_subscribe(_c: object, _u: object, mid: int, reasons: Any, _p: object) -> None:
        with probe.lock:
            probe.subacks[mid] = [int(getattr(r, "value", -1)) for r in reasons]
            probe.lock.notify_all()

    def on_message(_c: object, _u: object, message: object) -> None:
        if getattr(message, "retain", False):
            with probe.lock:
                probe.retained.add(str(getattr(message, "topic", "")))

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_publish = on_publish
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    connect(client, settings, persistent=False)
    try:
        if not probe.wait(lambda: probe.connack is not None or probe.dropped is not None, timeout_s):
            yield Check(False, "credentials", f"no answer to CONNECT within {timeout_s:g} s: look at the broker's log")
            return
        if probe.connack is None:
            hint = " (a TLS listener: dial mqtts://)" if not settings.url.tls else ""
            yield Check(False, "credentials", f"the broker closed the connection before answering{hint}: look at the broker's log")
            return
        if getattr(probe.connack, "is_failure", True):
            yield Check(
                False, "credentials",
                f"{reason_line(probe.connack, connack=True)} (user {settings.username}): copy credentials/{settings.username} "
                f"from the broker folder again (gymtui gym init DIR --rack {rack} adds a rack that is missing)",
            )
            return
        yield Check(True, "credentials", f"the broker accepted user {settings.username}")
        if choice.rack is None:
            return
        own = client.publish(rack_topic(rack, "status"), b"", qos=1).mid
        athlete = client.publish(athlete_state_topic(PROBE_ATHLETE), b"", qos=1).mid
        other = client.publish(rack_topic(PROBE_RACK, "status"), b"", qos=1).mid
        sub = client.subscribe(ATHLETE_STATES, qos=1)[1] or -1
        done = probe.wait(lambda: {own, athlete, other} <= probe.pubacks.keys() and sub in probe.subacks, timeout_s)
        if not done:
            yield Check(False, "ACL", f"the broker did not acknowledge the probes within {timeout_s:g} s: look at the broker's log")
            return
        yield _allowed("ACL: own topic", probe.pubacks[own], f"{rack} may publish under gymtui/racks/{rack}/",
                       f"the broker refused {rack}'s own status topic ({{}}): add the rack's block to the acl file "
                       f"(gymtui gym init DIR --rack {rack}) and restart mosquitto")
        yield _refused("ACL: athlete state", probe.pubacks[athlete], f"the broker refuses {rack} writing athlete state, as it must",
                       f"the broker ALLOWED {rack} to write athlete state: the ACL is too open (only the hub may); "
                       "fix the acl file (a rack's block: topic write gymtui/racks/<rack>/#, topic read gymtui/athletes/+/state) and restart mosquitto")
        yield _refused("ACL: other racks", probe.pubacks[other], f"the broker refuses {rack} writing under another rack's topic, as it must",
                       f"the broker ALLOWED {rack} to write under another rack's topic: the ACL is too open; "
                       "fix the acl file and restart mosquitto")
        granted = probe.subacks[sub]
        if not granted or granted[0] >= REFUSED:
            code = granted[0] if granted else -1
            yield Check(False, "athlete state", f"the broker refused the subscription to {ATHLETE_STATES} ({code:#x}): "
                        "a rack's ACL block needs: topic read gymtui/athletes/+/state")
            return
        probe.wait(lambda: False, min(1.0, timeout_s))  # retained messages arrive right after the SUBACK
        with probe.lock:
            count = len(probe.retained)
        held = f"{count} athlete{'s' if count != 1 else ''}' state retained" if count else "no athlete's state yet (the hub publishes it after each set)"
        yield Check(True, "athlete state", f"subscribed to {ATHLETE_STATES}; {held}")
    finally:
        client.disconnect()
        client.loop_stop()


def _allowed(name: str, code: int, ok_text: str, bad_text: str) -> Check:
    if code < REFUSED:
        return Check(True, name, ok_text)
    return Check(False, name, bad_text.format(f"{code:#x}: {reason_line(_Code(code))}"))


def _refused(name: str, code: int, ok_text: str, bad_text: str) -> Check:
    if code >= REFUSED:
        return Check(True, name, f"{ok_text} ({code:#x})")
    return Check(False, name, bad_text)


@dataclass(frozen=True, slots=True)
class _Code:
    """A bare reason code in the shape :func:`reason_line` reads."""

    value: int

    def getName(self) -> str:
        return f"reason {self.value:#x}"
