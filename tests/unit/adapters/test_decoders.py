"""Decoders against the official Ganglion vectors, vectors built from the Myo spec, and round trips."""

from __future__ import annotations

import numpy as np
import pytest

from gymtui.adapters.decoders import GanglionDecoder, make_decoder
from gymtui.emulation.encoders import (
    GanglionEncoder,
    encode_ascii,
    encode_int_le,
    encode_myo,
    ganglion_fw3_field,
)

# Official synthetic vectors (Ganglion data-format docs / OpenBCI_NodeJS_Ganglion tests):
# payload after the packet ID, and the field values they must decode to with the LSB sign rule.
GANGLION_VECTORS = [
    (0x65, "000000000800050000480009f001b000300008", [[0, 2, 10, 4], [262148, 507910, 393222, 8]]),
    (0x65, "ffffbfffeffffcffff58000b3e38e0003ff001", [[-3, -5, -7, -11], [-262139, -198429, -262137, -4095]]),
    (0x01, "0000000020002800048000bc00070028c00a" + "0e", [[0, 2, 10, 4], [131074, 245760, 114698, 49162]]),
    (0x01, "ffff7fffbfffe7fff500014f8e30001ff001" + "00", [[-3, -5, -7, -11], [-262139, -198429, -262137, -4095]]),
]


def _raw_packet(sample: list[int]) -> bytes:
    return bytes([0]) + b"".join(v.to_bytes(3, "big", signed=True) for v in sample) + b"ABCDEFG"


@pytest.mark.parametrize(("pid", "payload", "fields"), GANGLION_VECTORS)
def test_ganglion_fw2_official_vectors_are_deltas_from_the_raw_packet(pid, payload, fields):
    decoder = GanglionDecoder(4, firmware=2)
    seed = [5_000, -7_000, 300_000, 0]
    assert decoder.feed(_raw_packet(seed)).counts.tolist() == [seed]
    packet = decoder.feed(bytes([pid]) + bytes.fromhex(payload))
    a = [s - d for s, d in zip(seed, fields[0])]
    b = [x - d for x, d in zip(a, fields[1])]
    assert packet.counts.tolist() == [a, b]
    assert decoder.stats.malformed == 0


@pytest.mark.parametrize(("pid", "payload", "fields"), GANGLION_VECTORS)
def test_ganglion_fw3_official_vectors_are_top_bits_shifted_back(pid, payload, fields):
    decoder = GanglionDecoder(4, firmware=3)
    fw3_pid = 101 if pid > 100 else 1  # fw3 numbers 19-bit packets 100-199 and 18-bit 0-99
    first = bytes([fw3_pid - 1]) + bytes(19)
    assert decoder.feed(first) is None  # the half-valid first packet after a start is skipped
    packet = decoder.feed(bytes([fw3_pid]) + bytes.fromhex(payload))
    shift = 5 if fw3_pid >= 100 else 6
    assert packet.counts.tolist() == [[v << shift for v in row] for row in fields]
    assert decoder.stats.skipped == 1 and decoder.stats.gaps == 0


def test_ganglion_lsb_sign_rule_not_msb():
    # Field 0x40001 has MSB set but LSB set too -> negative; 0x40000 has MSB set, LSB clear -> positive.
    decoder = GanglionDecoder(4, firmware=3)
    decoder.feed(bytes([100]) + bytes(19))
    stream = (0x40000 << (19 * 7)) | (0x00001 << (19 * 6))
    packet = decoder.feed(bytes([101]) + stream.to_bytes(19, "big"))
    assert packet.counts[0, 0] == 0x40000 << 5
    assert packet.counts[0, 1] == (1 - (1 << 19)) << 5


def test_ganglion_impedance_and_message_packets_are_skipped_not_malformed():
    decoder = GanglionDecoder(4, firmware=3)
    for pid in (201, 202, 206, 207):
        assert decoder.feed(bytes([pid]) + b"123Z".ljust(19, b"\0")) is None
    assert decoder.stats.skipped == 4 and decoder.stats.malformed == 0


def test_myo_vector_from_the_spec_two_samples_of_eight_int8():
    payload = bytes.fromhex("00 01 02 03 04 05 06 07 ff fe fd fc 80 7f 10 f0")
    packet = make_decoder("myo-int8", 8).feed(payload)
    assert packet.counts.tolist() == [[0, 1, 2, 3, 4, 5, 6, 7], [-1, -2, -3, -4, -128, 127, 16, -16]]


def test_myo_round_trip_through_the_encoder():
    rng = np.random.default_rng(1)
    decoder = make_decoder("myo-int8", 8)
    counts = rng.integers(-128, 128, size=(200, 8))
    out = [decoder.feed(encode_myo(counts[i : i + 2])).counts for i in range(0, 200, 2)]
    np.testing.assert_array_equal(np.concatenate(out), counts)


@pytest.mark.parametrize("bits", [18, 19])
def test_ganglion_fw2_round_trip_reconstructs_the_samples_within_the_sign_bit(bits):
    rng = np.random.default_rng(2)
    counts = np.cumsum(rng.integers(-2000, 2000, size=(201 * 5, 4)), axis=0)  # five whole cycles
    encoder, decoder = GanglionEncoder(2, bits), GanglionDecoder(4, firmware=2)
    packets = encoder.encode(counts)
    assert packets[0][0] == 0 and packets[1][0] == (101 if bits == 19 else 1)
    decoded = np.concatenate([decoder.feed(p).counts for p in packets])
    assert decoded.shape == counts.shape
    # The LSB of each delta is the sign; the closed-loop encoder keeps the error to one count.
    assert np.abs(decoded - counts).max() <= 1
    assert decoder.stats.gaps == 0 and decoder.stats.malformed == 0


@pytest.mark.parametrize("bits", [18, 19])
def test_ganglion_fw3_round_trip_matches_the_firmware_truncation(bits):
    rng = np.random.default_rng(3)
    counts = rng.integers(-(1 << 23), 1 << 23, size=(400, 4))
    encoder, decoder = GanglionEncoder(3, bits), GanglionDecoder(4, firmware=3)
    decoded = [p.counts for p in map(decoder.feed, encoder.encode(counts)) if p is not None]
    decoded = np.concatenate(decoded)
    shift = 24 - bits
    expected = np.vectorize(lambda v: ganglion_fw3_field(v, bits) << shift)(counts[2:])
    np.testing.assert_array_equal(decoded, expected)  # the first packet (2 samples) is the quirk
    assert np.abs(decoded - counts[2:]).max() < 2 << shift


def test_ganglion_fw2_gap_counts_lost_samples_and_waits_for_the_next_raw_packet():
    counts = np.arange(4 * 450).reshape(450, 4) * 3
    packets = GanglionEncoder(2, 19).encode(counts)
    del packets[10:13]  # lose IDs 110-112: six samples, and the delta chain
    decoder = GanglionDecoder(4, firmware=2)
    out = [p for p in map(decoder.feed, packets) if p is not None]
    resumed = next(p for p in out if p.lost_before)
    assert resumed.packet_id == 0  # nothing decodes until the next raw packet re-seeds the chain
    lost_packets = 3 + (200 - 113 + 1)
    assert resumed.lost_before == 2 * lost_packets
    assert decoder.stats.gaps == 1
    total = sum(p.n_samples for p in out) + decoder.stats.lost_samples
    assert total == 449  # every sample sent (450 less one still waiting for its pair) is accounted for


def test_ganglion_fw3_gap_across_the_wrap():
    counts = np.zeros((400, 4), dtype=int)
    packets = GanglionEncoder(3, 19).encode(counts)
    assert [p[0] for p in packets[98:102]] == [198, 199, 100, 101]
    del packets[99:101]  # lose 199 and 100
    decoder = GanglionDecoder(4, firmware=3)
    for p in packets:
        decoder.feed(p)
    assert decoder.stats.gaps == 1 and decoder.stats.lost_samples == 4


def test_myoware_ascii_single_value_and_uart_lines_split_across_notifications():
    single = make_decoder("ascii-decimal", 1)
    assert single.feed(b"1834.00").counts.tolist() == [[1834]]
    uart = make_decoder("ascii-decimal", 2, {"line_terminated": True})
    assert uart.feed(b"12.00,2047.00\n30.0").counts.tolist() == [[12, 2047]]
    assert uart.feed(b"0,-5.00\n").counts.tolist() == [[30, -5]]
    assert uart.feed(encode_ascii([7, 8], terminated=True)).counts.tolist() == [[7, 8]]
    assert single.feed(b"12,13") is None and single.stats.malformed == 1


@pytest.mark.parametrize(("name", "width"), [("int16le", 2), ("int24le", 3)])
def test_generic_int_round_trip_and_counter_gap(name, width):
    rng = np.random.default_rng(4)
    top = 1 << (8 * width - 1)
    counts = rng.integers(-top, top, size=(60, 3))
    decoder = make_decoder(name, 3, {"counter": "u8"})
    packets = [encode_int_le(counts[i : i + 6], width=width, counter=250 + i // 6) for i in range(0, 60, 6)]
    out = [decoder.feed(p) for p in packets[:4] + packets[5:]]  # the counter wraps 255 -> 0 on the way
    np.testing.assert_array_equal(np.concatenate([p.counts for p in out[:4]]), counts[:24])
    assert out[4].lost_before == 6 and decoder.stats.gaps == 1
    np.testing.assert_array_equal(out[4].counts, counts[30:36])
