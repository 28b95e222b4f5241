"""Bad bytes never raise into the app: every decoder counts and drops what it cannot use."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gymtui.adapters.decoders import make_decoder
from gymtui.emulation.encoders import GanglionEncoder, encode_myo

DECODER_SETUPS = [
    ("myo-int8", 8, {}, None),
    ("ganglion", 4, {}, 2),
    ("ganglion", 4, {}, 3),
    ("ascii-decimal", 1, {}, None),
    ("ascii-decimal", 2, {"line_terminated": True}, None),
    ("int16le", 2, {"counter": "u8"}, None),
    ("int24le", 4, {}, None),
]


@settings(max_examples=150, deadline=None)
@given(setup=st.sampled_from(DECODER_SETUPS), packets=st.lists(st.binary(max_size=64), max_size=30))
def test_random_bytes_never_raise_and_every_packet_is_accounted_for(setup, packets):
    name, channels, options, firmware = setup
    decoder = make_decoder(name, channels, options, firmware)
    samples = 0
    for data in packets:
        packet = decoder.feed(data)
        if packet is not None:
            assert packet.counts.dtype == np.int32 and packet.counts.shape[1] == channels
            samples += packet.n_samples
    s = decoder.stats
    assert s.packets == len(packets)
    assert s.samples == samples
    if name != "ascii-decimal":  # text lines can hold several records per notification
        assert s.decoded + s.malformed + s.skipped <= s.packets


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, 15), extra=st.binary(min_size=1, max_size=8), which=st.integers(0, 9))
def test_truncated_and_oversized_myo_packets_are_counted_and_dropped(cut, extra, which):
    counts = np.arange(20 * 8).reshape(20, 8) % 100
    packets = [encode_myo(counts[i : i + 2]) for i in range(0, 20, 2)]
    bad = packets[which][:cut] if cut % 2 else packets[which] + extra
    packets[which] = bad
    decoder = make_decoder("myo-int8", 8)
    good = [p for p in map(decoder.feed, packets) if p is not None]
    assert decoder.stats.malformed == 1
    assert sum(p.n_samples for p in good) == 18


@settings(max_examples=100, deadline=None)
@given(
    which=st.integers(1, 40),
    cut=st.integers(0, 19),
    extra=st.binary(min_size=1, max_size=12),
    oversize=st.booleans(),
    firmware=st.sampled_from([2, 3]),
)
def test_truncated_or_oversized_ganglion_packet_is_dropped_counted_and_the_stream_goes_on(which, cut, extra, oversize, firmware):
    counts = np.cumsum(np.full((201 * 6, 4), 64), axis=0)  # whole packets for fw2 and fw3 alike
    packets = GanglionEncoder(firmware, 19).encode(counts)
    packets[which] = packets[which] + extra if oversize else packets[which][:cut]
    decoder = make_decoder("ganglion", 4, firmware=firmware)
    out = [p for p in map(decoder.feed, packets) if p is not None]
    assert decoder.stats.malformed == 1
    assert decoder.stats.gaps == 1 and decoder.stats.lost_samples >= 2
    # Whatever the gap cost, the stream recovers: the last sample sent decodes exactly.
    assert out[-1].counts[-1].tolist() == counts[-1].tolist()
