"""Decoders: one BLE notification's bytes in, integer sample counts out.

Pure functions of the bytes plus the little state a wire format needs (the
Ganglion's delta chain, packet-ID continuity, a line buffer), so they run the
same in the app, in ``gymtui decode`` and in tests. Every decoder returns raw
integer counts, shape ``(n_samples, n_channels)``; the profile's ``scale_uv``
turns them into µV.

Bad bytes never raise into the app: a malformed packet is counted in
:class:`DecoderStats` and dropped, and packet-ID jumps are counted as gaps
with the number of samples they cost, so the signal shows them.

Formats (sources in ``shared/reference/devices.md``):

``myo-int8``
    16 bytes = two samples × 8 pods, int8 (Myo EmgData0..3).
``ganglion``
    20-byte packets, byte 0 the packet ID. Firmware 2: ID 0 raw 4 × int24 BE,
    1–100 18-bit and 101–200 19-bit *deltas* (previous − current). Firmware
    3: 0–99 18-bit and 100–199 19-bit top bits of each 24-bit sample. Fields
    are an MSB-first bitstream; the sign is read from the field's **LSB**
    (the rule that reproduces the official vectors and real data).
``ascii-decimal``
    MyoWare text, e.g. ``1834.00`` or ``1834.00,2047.00\\n``.
``int16le`` / ``int24le``
    A maker's format: optional packet counter, then whole samples,
    channels interleaved, little-endian signed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np


class MalformedPacket(ValueError):
    """A notification that does not fit its format; counted and dropped."""


@dataclass(slots=True)
class DecoderStats:
    """What a decoder has seen on one device since it was made."""

    packets: int = 0  # notifications fed
    decoded: int = 0  # notifications that produced samples
    samples: int = 0
    malformed: int = 0  # counted and dropped
    skipped: int = 0  # well-formed but carrying no usable samples (impedance, start-up quirks)
    gaps: int = 0  # packet-ID jumps
    lost_samples: int = 0  # samples those jumps cost
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class DecodedPacket:
    """Samples from one notification: ``counts`` int32 ``(n_samples, n_channels)``."""

    counts: np.ndarray
    lost_before: int = 0  # samples known lost between the previous packet and this one
    packet_id: int | None = None

    @property
    def n_samples(self) -> int:
        return int(self.counts.shape[0])


class Decoder:
    """Base class: counts, catches and drops; subclasses implement :meth:`_decode`."""

    name: ClassVar[str] = ""

    def __init__(self, n_channels: int, options: Mapping[str, Any] | None = None, firmware: int | None = None) -> None:
        self.n_channels = n_channels
        self.options = dict(options or {})
        self.firmware = firmware
        self.stats = DecoderStats()

    @classmethod
    def check_options(cls, options: Mapping[str, Any], n_channels: int) -> tuple[str, str] | None:
        """``(key, problem)`` if a profile's options or channel count cannot work, else None."""
        for key in options:
            return key, f"the {cls.name} decoder takes no options"
        return None

    def reset(self) -> None:
        """A new stream begins (e.g. after a reconnect): forget continuity, keep the counts."""

    def count_range(self) -> tuple[int, int]:
        """The inclusive ``(min, max)`` counts this format can carry: what the store sizes a device's blocks by."""
        return -(2**31), 2**31 - 1

    def feed(self, data: bytes | bytearray, characteristic: str | None = None) -> DecodedPacket | None:
        """Decode one notification; None if it carried no samples (counted in :attr:`stats`)."""
        self.stats.packets += 1
        try:
            packet = self._decode(bytes(data))
        except MalformedPacket as exc:
            self.stats.malformed += 1
            self.stats.last_error = str(exc)
            return None
        except Exception as exc:  # noqa: BLE001 - a device must never take the set down
            self.stats.malformed += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            return None
        if packet is None:
            return None
        self.stats.decoded += 1
        self.stats.samples += packet.n_samples
        if packet.lost_before:
            self.stats.gaps += 1
            self.stats.lost_samples += packet.lost_before
        return packet

    def _decode(self, data: bytes) -> DecodedPacket | None:
        raise NotImplementedError


def _check_channels(cls: type[Decoder], n_channels: int, wanted: int) -> tuple[str, str] | None:
    if n_channels != wanted:
        return "channels", f"the {cls.name} decoder needs exactly {wanted} channels, the profile lists {n_channels}"
    return None


class MyoInt8Decoder(Decoder):
    """Myo raw/filtered EMG: two consecutive samples × 8 pods, int8. No counter on the wire."""

    name = "myo-int8"

    def count_range(self) -> tuple[int, int]:
        return -128, 127

    @classmethod
    def check_options(cls, options: Mapping[str, Any], n_channels: int) -> tuple[str, str] | None:
        return super().check_options(options, n_channels) or _check_channels(cls, n_channels, 8)

    def _decode(self, data: bytes) -> DecodedPacket:
        if len(data) != 16:
            raise MalformedPacket(f"Myo EMG notification must be 16 bytes, got {len(data)}")
        return DecodedPacket(np.frombuffer(data, dtype=np.int8).reshape(2, 8).astype(np.int32))


def _fields(payload: bytes, bits: int, count: int = 8) -> list[int]:
    """``count`` MSB-first ``bits``-wide fields, sign read from each field's LSB."""
    total_bits = bits * count
    nbytes = (total_bits + 7) // 8
    stream = int.from_bytes(payload[:nbytes], "big") >> (nbytes * 8 - total_bits)
    mask = (1 << bits) - 1
    out = []
    for i in range(count):
        value = (stream >> (total_bits - bits * (i + 1))) & mask
        out.append(value - (1 << bits) if value & 1 else value)
    return out


def _int24_be(chunk: bytes) -> int:
    return int.from_bytes(chunk, "big", signed=True)


class GanglionDecoder(Decoder):
    """OpenBCI Ganglion packets, firmware 2 (deltas) or 3 (top bits); 2 samples × 4 channels.

    Firmware 2 needs a raw packet (ID 0) to seed its delta chain: deltas
    before the first one are skipped, and after a lost packet the chain is
    broken until the next raw packet, so those samples count as lost too.
    Firmware 3's first packet after a start carries a half-valid buffer (an
    open firmware bug): it is skipped.
    """

    name = "ganglion"
    PACKET_BYTES = 20

    def count_range(self) -> tuple[int, int]:
        return -(2**23), 2**23 - 1  # the ADS1299-class 24-bit converter; fw3's top bits are shifted back to 24

    @classmethod
    def check_options(cls, options: Mapping[str, Any], n_channels: int) -> tuple[str, str] | None:
        return super().check_options(options, n_channels) or _check_channels(cls, n_channels, 4)

    def __init__(self, n_channels: int, options: Mapping[str, Any] | None = None, firmware: int | None = None) -> None:
        super().__init__(n_channels, options, firmware if firmware is not None else 3)
        if self.firmware not in (2, 3):
            raise ValueError(f"Ganglion firmware must be 2 or 3, got {self.firmware}")
        self.reset()

    def reset(self) -> None:
        self._last: list[int] | None = None  # fw2: last reconstructed sample
        self._prev_id: int | None = None
        self._pending_lost = 0
        self._started = False  # fw3: the first data packet after a start is skipped

    # -- packet-ID continuity -------------------------------------------------

    def _lost_packets_fw2(self, prev: int, pid: int) -> tuple[int, bool]:
        """(packets lost between prev and pid, whether a raw packet was among them)."""
        if pid == 0:
            nxt_ok = prev in (100, 200)
        elif prev == 0:
            nxt_ok = pid in (1, 101)
        else:
            nxt_ok = pid == prev + 1
        if nxt_ok:
            return 0, False
        bits19 = pid > 100 or (pid == 0 and prev > 100)
        pos = (lambda i: 0 if i == 0 else (i - 100 if bits19 else i))
        if prev != 0 and (prev > 100) != bits19:
            return 1, False  # mode change mid-stream: cannot count, call it one gap
        lost = (pos(pid) - pos(prev) - 1) % 101
        passed_raw = pid != 0 and pos(prev) + lost >= 100
        return lost, passed_raw

    def _lost_packets_fw3(self, prev: int, pid: int) -> int:
        if pid == prev + 1 and pid not in (100, 201):
            return 0
        if pid == 100 and prev in (199, 200):
            return 0
        if pid == 0 and prev == 99:
            return 0
        if (prev >= 100) != (pid >= 100):
            return 1
        base = 100 if pid >= 100 else 0
        return (min(pid - base, 99) - min(prev - base, 99) - 1) % 100

    # -- decoding -------------------------------------------------------------

    def _decode(self, data: bytes) -> DecodedPacket | None:
        if len(data) != self.PACKET_BYTES:
            raise MalformedPacket(f"Ganglion packet must be 20 bytes, got {len(data)}")
        pid = data[0]
        if 201 <= pid <= 207:
            self.stats.skipped += 1  # impedance values and ASCII messages, not samples
            return None
        if self.firmware == 2:
            return self._decode_fw2(pid, data)
        return self._decode_fw3(pid, data)

    def _decode_fw2(self, pid: int, data: bytes) -> DecodedPacket | None:
        if pid > 200:
            raise MalformedPacket(f"Ganglion fw2 packet ID {pid} out of range")
        if self._prev_id is not None:
            lost, passed_raw = self._lost_packets_fw2(self._prev_id, pid)
            if lost:
                self._pending_lost += 2 * lost - (1 if passed_raw else 0)
                if pid != 0:
                    self._last = None  # the delta chain is broken until the next raw packet
        self._prev_id = pid
        if pid == 0:
            sample = [_int24_be(data[1 + 3 * ch : 4 + 3 * ch]) for ch in range(4)]
            self._last = sample
            return self._emit([sample], pid)
        if self._last is None:
            self.stats.skipped += 1
            if self._started:
                self._pending_lost += 2
            return None
        bits = 18 if pid <= 100 else 19
        deltas = _fields(data[1:], bits)
        a = [p - d for p, d in zip(self._last, deltas[:4])]
        b = [p - d for p, d in zip(a, deltas[4:])]
        self._last = b
        return self._emit([a, b], pid)

    def _decode_fw3(self, pid: int, data: bytes) -> DecodedPacket | None:
        if pid > 200:
            raise MalformedPacket(f"Ganglion fw3 packet ID {pid} out of range")
        if self._prev_id is not None:
            self._pending_lost += 2 * self._lost_packets_fw3(self._prev_id, pid)
        self._prev_id = pid
        if not self._started:
            self._started = True
            self.stats.skipped += 1  # first packet after a start: only half valid (firmware bug)
            return None
        bits, shift = (18, 6) if pid < 100 else (19, 5)
        values = [v << shift for v in _fields(data[1:], bits)]
        return self._emit([values[:4], values[4:]], pid)

    def _emit(self, samples: list[list[int]], pid: int) -> DecodedPacket:
        self._started = True
        lost, self._pending_lost = self._pending_lost, 0
        return DecodedPacket(np.array(samples, dtype=np.int32), lost, pid)


class AsciiDecimalDecoder(Decoder):
    """MyoWare text: one record per notification, or newline-terminated lines when split.

    Options: ``line_terminated`` (bool, default false), ``separator`` (default ``,``),
    ``count_range`` (``[min, max]`` the device's ADC can send, e.g. ``[0, 4095]``
    for a 12-bit ESP32 input; default the int32 range). Values beyond it are
    still decoded: the range only sizes the stored blocks.
    """

    name = "ascii-decimal"
    MAX_LINE = 256

    @classmethod
    def check_options(cls, options: Mapping[str, Any], n_channels: int) -> tuple[str, str] | None:
        for key, value in options.items():
            if key == "line_terminated" and not isinstance(value, bool):
                return key, "must be true or false"
            if key == "separator" and not (isinstance(value, str) and len(value) == 1):
                return key, "must be one character"
            if key == "count_range" and not (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31 for v in value)
                and value[0] < value[1]
            ):
                return key, "must be [min, max], two integers within the int32 range, min below max"
            if key not in ("line_terminated", "separator", "count_range"):
                return key, "unknown option (known: line_terminated, separator, count_range)"
        return None

    def __init__(self, n_channels: int, options: Mapping[str, Any] | None = None, firmware: int | None = None) -> None:
        super().__init__(n_channels, options, firmware)
        self._terminated = bool(self.options.get("line_terminated", False))
        self._sep = str(self.options.get("separator", ","))
        self._buffer = b""
        lo, hi = self.options.get("count_range", (-(2**31), 2**31 - 1))
        self._range = (int(lo), int(hi))

    def count_range(self) -> tuple[int, int]:
        return self._range

    def reset(self) -> None:
        self._buffer = b""

    def _record(self, raw: bytes) -> list[int]:
        text = raw.decode("ascii").strip().strip("\x00").strip()
        parts = text.split(self._sep)
        if len(parts) != self.n_channels:
            raise MalformedPacket(f"expected {self.n_channels} value(s), got {text!r}")
        values = [float(p) for p in parts]
        if not all(math.isfinite(v) and abs(v) < 2**31 for v in values):
            raise MalformedPacket(f"value out of range in {text!r}")
        return [round(v) for v in values]

    def _decode(self, data: bytes) -> DecodedPacket | None:
        if not self._terminated:
            try:
                return DecodedPacket(np.array([self._record(data)], dtype=np.int32))
            except (UnicodeDecodeError, ValueError) as exc:
                raise MalformedPacket(str(exc)) from None
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > self.MAX_LINE:
            self._buffer = b""
            raise MalformedPacket("no line end within 256 bytes")
        rows: list[list[int]] = []
        bad = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                rows.append(self._record(line))
            except (UnicodeDecodeError, ValueError) as exc:
                bad += 1
                self.stats.last_error = str(exc)
        self.stats.malformed += bad  # each bad line is one dropped record
        if not rows:
            return None
        return DecodedPacket(np.array(rows, dtype=np.int32))


class IntLeDecoder(Decoder):
    """Signed little-endian samples, channels interleaved, after an optional packet counter.

    Option ``counter``: ``"none"`` (default), ``"u8"`` or ``"u16le"``.
    """

    name = "int16le"
    WIDTH = 2
    COUNTERS: ClassVar[dict[str, int]] = {"none": 0, "u8": 1, "u16le": 2}

    @classmethod
    def check_options(cls, options: Mapping[str, Any], n_channels: int) -> tuple[str, str] | None:
        for key, value in options.items():
            if key != "counter":
                return key, "unknown option (known: counter)"
            if value not in cls.COUNTERS:
                return key, f"must be one of {', '.join(cls.COUNTERS)}"
        return None

    def __init__(self, n_channels: int, options: Mapping[str, Any] | None = None, firmware: int | None = None) -> None:
        super().__init__(n_channels, options, firmware)
        self._counter_bytes = self.COUNTERS[self.options.get("counter", "none")]
        self._modulo = 1 << (8 * self._counter_bytes)
        self._prev: int | None = None

    def reset(self) -> None:
        self._prev = None

    def count_range(self) -> tuple[int, int]:
        half = 1 << (8 * self.WIDTH - 1)
        return -half, half - 1

    def _decode(self, data: bytes) -> DecodedPacket:
        frame = self.WIDTH * self.n_channels
        body = data[self._counter_bytes :]
        if len(data) <= self._counter_bytes or len(body) % frame:
            raise MalformedPacket(f"payload of {len(body)} bytes is not whole samples of {frame} bytes")
        raw = np.frombuffer(body, dtype=np.uint8).reshape(-1, self.WIDTH).astype(np.int32)
        weights = (1 << (8 * np.arange(self.WIDTH, dtype=np.int32))).astype(np.int64)
        values = (raw.astype(np.int64) * weights).sum(axis=1)
        top = 1 << (8 * self.WIDTH)
        values = np.where(values >= top // 2, values - top, values).astype(np.int32)
        counts = values.reshape(-1, self.n_channels)
        lost = 0
        counter = None
        if self._counter_bytes:
            counter = int.from_bytes(data[: self._counter_bytes], "little")
            if self._prev is not None:
                lost = ((counter - self._prev - 1) % self._modulo) * counts.shape[0]
            self._prev = counter
        return DecodedPacket(counts, lost, counter)


class Int24LeDecoder(IntLeDecoder):
    name = "int24le"
    WIDTH = 3


DECODERS: dict[str, type[Decoder]] = {
    cls.name: cls for cls in (MyoInt8Decoder, GanglionDecoder, AsciiDecimalDecoder, IntLeDecoder, Int24LeDecoder)
}


def make_decoder(name: str, n_channels: int, options: Mapping[str, Any] | None = None, firmware: int | None = None) -> Decoder:
    """A fresh decoder by its profile name (raises KeyError for an unknown name)."""
    return DECODERS[name](n_channels, options, firmware)
