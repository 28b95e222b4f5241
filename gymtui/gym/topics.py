"""Where each kind of message lives on the broker, and the names that may appear in a topic.

One root, ``gymtui/``, so a broker shared with other things has one subtree
to grant. Under it::

    gymtui/racks/<rack>/presence   retained, QoS 1  online / offline; the last will says lost
    gymtui/racks/<rack>/status     QoS 0, <= 5 Hz   what the rack's screen shows now
    gymtui/racks/<rack>/events     QoS 1            set started / finished, rating, cues, cuff alarms
    gymtui/racks/<rack>/records    QoS 1            one whole set, by its UUID (the hub stores it)
    gymtui/athletes/<key>/state    retained, QoS 1  plan position, loads, LOP (the hub alone writes it)

A rack writes only under its own ``racks/<rack>/`` and reads only athlete
state; the coach reads everything; the hub reads records and writes athlete
state. The ACL (:mod:`gymtui.gym.broker_setup`) grants exactly that.

An athlete's topic carries a key made from the name, never the name: names
are free text (``/``, ``+``, ``#`` or 200 characters would break a topic),
and a topic shows in a broker's log where a payload does not.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

ROOT = "gymtui"

RACK_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
"""A rack's name: a letter or digit, then up to 31 letters, digits, ``-`` or ``_``.

It is a topic level and the rack's broker username, so nothing that MQTT
treats specially (``/ + # $``), no space and nothing a coach would misread.
"""

KINDS = ("presence", "status", "events", "records")
"""What a rack publishes, each under ``gymtui/racks/<rack>/<kind>``."""


class BadRackName(ValueError):
    """A rack name that cannot be a topic level or a username; the message says what is allowed."""


def check_rack_name(name: str) -> str:
    """``name`` if it is a valid rack name, else :class:`BadRackName` with one line."""
    if not RACK_NAME_RE.fullmatch(name):
        raise BadRackName(
            f"rack name {name[:40]!r} is not allowed: 1-32 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


def rack_topic(rack: str, kind: str) -> str:
    """``gymtui/racks/<rack>/<kind>``."""
    if kind not in KINDS:
        raise ValueError(f"unknown rack topic kind {kind!r}")
    return f"{ROOT}/racks/{check_rack_name(rack)}/{kind}"


def rack_filter(kind: str) -> str:
    """``gymtui/racks/+/<kind>``: every rack's messages of one kind (the coach, the hub)."""
    if kind not in KINDS:
        raise ValueError(f"unknown rack topic kind {kind!r}")
    return f"{ROOT}/racks/+/{kind}"


ALL_RACKS = f"{ROOT}/racks/#"
ATHLETE_STATES = f"{ROOT}/athletes/+/state"


def rack_of(topic: str) -> tuple[str, str] | None:
    """``(rack, kind)`` of a rack topic, or None for anything else (a topic is outside input too)."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != ROOT or parts[1] != "racks" or parts[3] not in KINDS:
        return None
    if not RACK_NAME_RE.fullmatch(parts[2]):
        return None
    return parts[2], parts[3]


def athlete_key(name: str) -> str:
    """A stable topic key for an athlete's name: 20 hex digits of SHA-256 of the normalised name.

    Normalised as the app compares names: NFC, surrounding space stripped,
    inner runs of space as one, case folded. "Sam  Lee" on rack 3 and
    "sam lee" on rack 5 are the same athlete.
    """
    normal = " ".join(unicodedata.normalize("NFC", name).split()).casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:20]


def athlete_state_topic(name: str) -> str:
    """``gymtui/athletes/<key>/state`` for an athlete's name."""
    return f"{ROOT}/athletes/{athlete_key(name)}/state"


def athlete_key_of(topic: str) -> str | None:
    """The key of an athlete-state topic, or None."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != ROOT or parts[1] != "athletes" or parts[3] != "state":
        return None
    key = parts[2]
    return key if re.fullmatch(r"[0-9a-f]{20}", key) else None
