"""Bounded numbers for the command line: one rule for every numeric option.

``float()`` and ``int()`` take more than a person means by a number: ``nan``,
``inf``, ``1_80`` (underscores), ``٣`` (other scripts' digits), surrounding
whitespace. An option that takes such a value runs on forever (a rest of
``inf`` seconds), crashes deep inside a library (a seed of ``-1`` in numpy)
or silently means something else. Each numeric option therefore gets a
:func:`bounded_float` or :func:`bounded_int` type that accepts only a plain
decimal number (ASCII digits, an optional sign, point and exponent) inside a
range whose reason is stated where the option is declared, and refuses
anything else with one line that argparse prints as a usage error (exit 2).

No imports beyond the standard library, so the CLI still starts fast.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT = re.compile(r"[+-]?[0-9]+")
_MAX_SHOWN = 40
"""How much of a refused value the error repeats: enough to recognise it, never a screenful."""


def _shown(text: str) -> str:
    """The refused value for the message: repr escapes control characters, long values are cut."""
    return repr(text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…")


def _num(value: float) -> str:
    """A bound as a person writes it: 4294967295 and 100000, not 4.29497e+09 and 1e+05."""
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:g}"


def _range_text(low: float, high: float, unit: str, *, low_open: bool) -> str:
    suffix = f" {unit}" if unit else ""
    if low_open:
        return f"must be above {_num(low)} and at most {_num(high)}{suffix}"
    return f"must be between {_num(low)} and {_num(high)}{suffix}"


def bounded_float(
    low: float, high: float, *, unit: str = "", why: str = "", low_open: bool = False
) -> Callable[[str], float]:
    """An argparse ``type`` taking a finite decimal in ``[low, high]`` (``(low, high]`` with ``low_open``).

    ``why`` is the reason for the range, said in the message so the user
    learns the limit rather than guessing at it.
    """
    reason = f" ({why})" if why else ""

    def parse(text: str) -> float:
        number = text.strip()
        if not _FLOAT.fullmatch(number):
            raise argparse.ArgumentTypeError(f"not a number: {_shown(text)}")
        value = float(number)
        inside = (low < value if low_open else low <= value) and value <= high
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(
                f"{_range_text(low, high, unit, low_open=low_open)}{reason}, got {_shown(text)}"
            )
        return value

    parse.__name__ = "number"  # argparse names the type in some messages
    return parse


def bounded_int(low: int, high: int, *, unit: str = "", why: str = "") -> Callable[[str], int]:
    """An argparse ``type`` taking a whole decimal number in ``[low, high]``."""
    reason = f" ({why})" if why else ""

    def parse(text: str) -> int:
        digits = text.strip()
        if not _INT.fullmatch(digits):
            raise argparse.ArgumentTypeError(f"not a whole number: {_shown(text)}")
        # int() of thousands of digits is slow and then refused anyway: any bound here has few digits.
        value = int(digits) if len(digits) <= 40 else None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{_range_text(low, high, unit, low_open=False)}{reason}, got {_shown(text)}"
            )
        return value

    parse.__name__ = "whole number"
    return parse


SEED = bounded_int(0, 2**32 - 1, why="a 32-bit seed, as the simulators' random generators take")
"""``--seed`` of every simulator: numpy refuses a negative seed with a traceback."""


FIRMWARE = bounded_int(0, 99, why="a firmware generation, e.g. 2 or 3 for the Ganglion")
"""``--firmware`` of ``decode`` and ``scan --pair``: the profile then says which numbers it knows."""
