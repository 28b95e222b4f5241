"""Lossless packing of one raw-signal block: the values the sensor gave, in as few bytes as they need.

A block is a 2-D array ``(n_samples, n_channels)`` of integers (a device's
native counts: int8, int16 or int32) or float32 (a source that is float: the
demo simulator, an LSL inlet, a replayed file). It is stored channel-major
(each channel's samples side by side), byte-shuffled when a value is wider
than a byte (all first bytes, then all second bytes…: the slowly varying
high bytes of EMG counts end up in long runs), then zlib-compressed.

Chosen by measurement on 1 s blocks (``gymtui bench``, the Myo recording in
``shared/data`` and the simulator quantised as each device would): for
integer counts, shuffle + zlib beat plain zlib by 5–12 % and first
differences added nothing (EMG is broadband: the difference of two samples
is about as wide as a sample); lzma saved a further 3–8 % at ten times the
CPU, which a Raspberry Pi writing every second does not need. For float32,
shuffling wins on the simulator's full-precision values and loses on values
that were decimals once (a replayed text file: 0.29 of float32 plain, 0.44
shuffled), so the first 128 samples of each channel are packed both ways
(fast zlib) and the better layout packs the block — the block says which in
its codec name. Packing the whole block both ways instead cost twice the CPU
for no measurable gain.

Everything here is pure: numpy and zlib, no store, no UI.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

ZLIB = "zlib"
"""Channel-major values, zlib level 6."""
SHUFFLE_ZLIB = "shuffle+zlib"
"""Channel-major values, bytes shuffled by significance, zlib level 6."""
CODECS = (ZLIB, SHUFFLE_ZLIB)
LEVEL = 6

INT_DTYPES = (np.dtype("<i1"), np.dtype("<i2"), np.dtype("<i4"))
FLOAT_DTYPE = np.dtype("<f4")


class CodecError(ValueError):
    """Stored bytes that do not decode to the block they claim to be."""


def smallest_int_dtype(lo: int, hi: int) -> np.dtype | None:
    """The narrowest little-endian signed integer type holding every value in ``[lo, hi]``; None if int32 cannot."""
    for dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return dtype
    return None


def _shuffle(values: np.ndarray) -> bytes:
    width = values.dtype.itemsize
    raw = np.ascontiguousarray(values).reshape(-1).view(np.uint8)
    return raw.tobytes() if width == 1 else raw.reshape(-1, width).T.tobytes()


def _unshuffle(data: bytes, dtype: np.dtype, count: int) -> np.ndarray:
    width = dtype.itemsize
    raw = np.frombuffer(data, dtype=np.uint8)
    if width > 1:
        raw = np.ascontiguousarray(raw.reshape(width, count).T)
    return raw.view(dtype)


def encode(values: npt.NDArray[np.generic]) -> tuple[str, bytes]:
    """``(codec, bytes)`` for a 2-D block of one of :data:`INT_DTYPES` or float32.

    Integers wider than a byte are shuffled; int8 needs no shuffle; float32
    is shuffled unless a probe of its first samples packs smaller plain.
    """
    dtype = values.dtype.newbyteorder("<")
    if dtype not in INT_DTYPES and dtype != FLOAT_DTYPE:
        raise TypeError(f"cannot pack {values.dtype} values")
    channel_major = np.ascontiguousarray(values.T, dtype=dtype)
    if dtype.itemsize == 1:
        return ZLIB, zlib.compress(channel_major.tobytes(), LEVEL)
    if dtype.kind == "f" and _plain_packs_smaller(channel_major):
        return ZLIB, zlib.compress(channel_major.tobytes(), LEVEL)
    return SHUFFLE_ZLIB, zlib.compress(_shuffle(channel_major), LEVEL)


PROBE_SAMPLES = 128
"""Samples per channel the float probe packs both ways (fast zlib) to choose the layout for the whole block."""


def _plain_packs_smaller(channel_major: np.ndarray) -> bool:
    """Would plain bytes beat shuffled ones? Judged on a slice, so a float block is packed once, not twice."""
    probe = np.ascontiguousarray(channel_major[:, :PROBE_SAMPLES])
    return len(zlib.compress(probe.tobytes(), 1)) < len(zlib.compress(_shuffle(probe), 1))


def decode(codec: str, dtype: str, n_samples: int, n_channels: int, data: bytes) -> npt.NDArray[np.generic]:
    """The ``(n_samples, n_channels)`` array :func:`encode` packed; :class:`CodecError` if the bytes are not it."""
    if codec not in CODECS:
        raise CodecError(f"unknown codec {codec!r}")
    try:
        kind = np.dtype(dtype)
    except TypeError:
        raise CodecError(f"unknown value type {dtype!r}") from None
    if kind not in INT_DTYPES and kind != FLOAT_DTYPE:
        raise CodecError(f"value type {dtype!r} is not one a block is packed in")
    count = n_samples * n_channels
    expected = count * kind.itemsize
    try:
        # Never inflate more than the block can hold: a damaged length cannot blow up memory.
        inflater = zlib.decompressobj()
        raw = inflater.decompress(data, expected + 1)
        if inflater.unconsumed_tail or not inflater.eof:
            raise CodecError(f"compressed data is not {expected} bytes of values")
    except zlib.error as exc:
        raise CodecError(f"compressed data is damaged ({exc})") from None
    if len(raw) != expected:
        raise CodecError(f"{len(raw)} bytes of values, expected {expected} for {n_samples} × {n_channels}")
    if codec == SHUFFLE_ZLIB:
        flat = _unshuffle(raw, kind, count)
    else:
        flat = np.frombuffer(raw, dtype=kind)
    return np.ascontiguousarray(flat.reshape(n_channels, n_samples).T)
