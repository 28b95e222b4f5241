"""``--sensor lsl:...``: which Lab Streaming Layer stream to take as the EMG sensor.

Kept apart from the inlet (:mod:`gymtui.adapters.lsl_source`) so the command
line checks a spec without loading numpy or liblsl. Three spellings:

* ``lsl:NAME`` — the stream called NAME (OpenBCI GUI's ``obci_eeg1``,
  another gymtui's raw stream, ...);
* ``lsl:name=NAME`` — the same, said out loud (a name with ``=`` in it);
* ``lsl:type=EMG`` — the first stream of that type;
* ``lsl:source_id=ID`` — the stream a device publishes under its serial.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "lsl:"
KEYS = ("name", "type", "source_id")
"""The stream properties a spec may match on (liblsl resolves by any of them)."""

MAX_VALUE_CHARS = 200
"""A stream name longer than this is a typo or a paste gone wrong, not a stream."""


class SensorSpecError(ValueError):
    """A ``--sensor`` value that names no stream; the message is the one line to show."""


@dataclass(frozen=True, slots=True)
class LslSpec:
    """Resolve the stream whose ``prop`` equals ``value``."""

    prop: str
    value: str

    def __str__(self) -> str:
        return f"{self.prop} {self.value!r}"


def parse_sensor_spec(text: str) -> LslSpec:
    """``lsl:NAME`` / ``lsl:name=NAME`` / ``lsl:type=EMG`` / ``lsl:source_id=ID``, or :class:`SensorSpecError`."""
    if not text.startswith(PREFIX):
        raise SensorSpecError(f"unknown sensor {text[:40]!r}: give lsl:NAME, lsl:name=NAME or lsl:type=EMG")
    body = text[len(PREFIX):].strip()
    prop, value = "name", body
    key, eq, rest = body.partition("=")
    if eq and key.strip().lower() in KEYS:
        prop, value = key.strip().lower(), rest.strip()
    elif eq and key.strip().isidentifier():
        raise SensorSpecError(f"lsl:{key.strip()[:40]}=...: match on one of {', '.join(KEYS)}")
    if not value:
        raise SensorSpecError("lsl: needs a stream, e.g. lsl:obci_eeg1 or lsl:type=EMG")
    if len(value) > MAX_VALUE_CHARS or not value.isprintable():
        raise SensorSpecError(f"lsl:{prop}=...: not a stream {prop} (printable, at most {MAX_VALUE_CHARS} characters)")
    if "'" in value:
        raise SensorSpecError(f"lsl:{prop}=...: a stream {prop} with a quote cannot be looked up")
    return LslSpec(prop, value)
