"""Counter-based random numbers: the same draw for the same (stream, event), however blocks are cut.

A discharge's interval must not depend on how the caller slices time into
blocks, or streaming and one-shot generation would diverge. Hashing
(seed, unit, spike number) with the SplitMix64 finaliser gives each spike its
own reproducible normal deviate, vectorised over any set of units.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO_POW_32 = float(2**32)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (array arithmetic wraps silently)."""
    x = np.atleast_1d(np.asarray(x, dtype=np.uint64))
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    result: np.ndarray = x ^ (x >> np.uint64(31))
    return result


def _key(seed: int) -> np.ndarray:
    return mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) ^ _GOLDEN)


def hashed_bits(seed: int, stream: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """64 well-mixed bits per ``(seed, stream, counter)``, uint64."""
    x = mix64(np.asarray(stream, dtype=np.uint64) * _GOLDEN + _key(seed))
    return mix64(x ^ (np.asarray(counter, dtype=np.uint64) * _M2))


def hashed_normal(seed: int, stream: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Standard normal deviates keyed by ``(seed, stream, counter)``, float64.

    Box–Muller on the two 32-bit halves of one hash (uniforms in (0, 1)).
    """
    bits = hashed_bits(seed, stream, counter)
    u1 = ((bits >> np.uint64(32)).astype(np.float64) + 0.5) / _TWO_POW_32
    u2 = ((bits & _MASK32).astype(np.float64) + 0.5) / _TWO_POW_32
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
