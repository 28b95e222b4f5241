"""Encoders: integer sample counts in, notifications in each device's real wire format out.

The emulated peripherals speak through these, and the decoder tests round
trip through them, so both directions are checked against each other and
against the published vectors. Pure: no bumble, no bleak.
"""

from __future__ import annotations

import numpy as np

INT24_MIN, INT24_MAX = -(1 << 23), (1 << 23) - 1


def encode_myo(counts: np.ndarray) -> bytes:
    """Two samples × 8 pods (values clipped to int8) → one 16-byte EmgData notification."""
    counts = np.asarray(counts)
    if counts.shape != (2, 8):
        raise ValueError(f"a Myo notification holds (2, 8) samples, got {counts.shape}")
    return np.clip(counts, -128, 127).astype(np.int8).tobytes()


def _pack_fields(values: list[int], bits: int) -> bytes:
    """MSB-first bitstream of ``bits``-wide two's-complement fields, padded to whole bytes."""
    mask = (1 << bits) - 1
    stream = 0
    for v in values:
        stream = (stream << bits) | (v & mask)
    total = bits * len(values)
    nbytes = (total + 7) // 8
    return (stream << (nbytes * 8 - total)).to_bytes(nbytes, "big")


def _lsb_signed(value: int, bits: int) -> int:
    """Force a field's LSB to carry its sign (the Ganglion's convention), keeping it in range."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    value = max(lo, min(hi, value))
    return value | 1 if value < 0 else value & ~1


def ganglion_fw3_field(sample: int, bits: int) -> int:
    """What firmware 3 sends for a 24-bit sample: sign into bit 5/6, then an arithmetic shift."""
    shift = 24 - bits
    sample = max(INT24_MIN, min(INT24_MAX, int(sample)))
    sign_bit = 1 << shift  # lands in the field's LSB after the shift
    sample = sample | sign_bit if sample < 0 else sample & ~sign_bit
    return sample >> shift


class GanglionEncoder:
    """A Ganglion's packet stream, firmware 2 or 3, 19-bit (accelerometer off) or 18-bit.

    Feed samples (int counts, ``(n, 4)``) with :meth:`encode`; whole packets
    come out, partial packets wait for more samples. Firmware 2 opens every
    cycle with a raw ID-0 packet (one sample) and sends closed-loop deltas
    (computed from what the receiver will reconstruct, so rounding never
    accumulates). ``first_packet_quirk`` reproduces firmware 3's half-valid
    first packet after a start.
    """

    def __init__(self, firmware: int = 3, bits: int = 19, *, first_packet_quirk: bool = True) -> None:
        if firmware not in (2, 3) or bits not in (18, 19):
            raise ValueError("firmware must be 2 or 3 and bits 18 or 19")
        self.firmware = firmware
        self.bits = bits
        self.first_packet_quirk = first_packet_quirk and firmware == 3
        self._pending = np.zeros((0, 4), dtype=np.int64)
        self._cycle_pos = 0  # packets sent in the current ID cycle
        self._receiver_last: list[int] | None = None
        self._sent = 0

    @property
    def packets_sent(self) -> int:
        return self._sent

    def _next_id(self) -> int:
        if self.firmware == 2:
            if self._cycle_pos == 0:
                return 0
            return self._cycle_pos + (100 if self.bits == 19 else 0)
        return self._cycle_pos + (100 if self.bits == 19 else 0)

    def _advance(self) -> None:
        self._cycle_pos = (self._cycle_pos + 1) % (101 if self.firmware == 2 else 100)
        self._sent += 1

    def encode(self, counts: np.ndarray) -> list[bytes]:
        counts = np.asarray(counts, dtype=np.int64).reshape(-1, 4)
        self._pending = np.concatenate([self._pending, counts])
        packets: list[bytes] = []
        while True:
            pid = self._next_id()
            need = 1 if (self.firmware == 2 and pid == 0) else 2
            if len(self._pending) < need:
                break
            chunk, self._pending = self._pending[:need], self._pending[need:]
            packets.append(self._packet(pid, chunk))
            self._advance()
        return packets

    def _packet(self, pid: int, chunk: np.ndarray) -> bytes:
        if self.firmware == 2 and pid == 0:
            sample = [max(INT24_MIN, min(INT24_MAX, int(v))) for v in chunk[0]]
            body = b"".join(v.to_bytes(3, "big", signed=True) for v in sample)
            self._receiver_last = sample
            return bytes([0]) + body + b"ABCDEFG"  # firmware pads bytes 13-19 with 'A'..'G'
        if self.firmware == 2:
            assert self._receiver_last is not None
            fields = []
            last = self._receiver_last
            for row in chunk:
                deltas = [_lsb_signed(p - int(v), self.bits) for p, v in zip(last, row)]
                fields += deltas
                last = [p - d for p, d in zip(last, deltas)]
            self._receiver_last = last
        else:
            fields = [ganglion_fw3_field(int(v), self.bits) for row in chunk for v in row]
            if self.first_packet_quirk and self._sent == 0:
                fields[:4] = [0x5A5A5 & ((1 << self.bits) - 1)] * 4  # stale buffer: first half invalid
        body = _pack_fields(fields, self.bits)
        return bytes([pid]) + body.ljust(19, b"\x00")


def encode_ascii(values: np.ndarray | list[float], *, terminated: bool = False) -> bytes:
    """MyoWare text: ``1834.00`` or ``1834.00,2047.00\\n`` (Arduino's two decimals)."""
    text = ",".join(f"{float(v):.2f}" for v in np.ravel(values))
    return (text + ("\n" if terminated else "")).encode("ascii")


def encode_int_le(counts: np.ndarray, *, width: int = 2, counter: int | None = None, counter_bytes: int = 1) -> bytes:
    """Interleaved little-endian signed samples, optionally after a packet counter."""
    counts = np.asarray(counts, dtype=np.int64)
    lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
    body = b"".join(int(v).to_bytes(width, "little", signed=True) for v in np.clip(counts, lo, hi).ravel())
    head = b"" if counter is None else (counter % (1 << (8 * counter_bytes))).to_bytes(counter_bytes, "little")
    return head + body
