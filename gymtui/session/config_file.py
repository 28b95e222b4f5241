"""Reading the athlete's hand-edited TOML files, and checking the numbers in them.

``exercises.toml``, ``gym.toml`` and ``templates/*.toml`` are edited by
hand, on any machine, in any editor. Whatever is in them has to end as one
problem line naming the file (and line) and what is wrong, never as a
traceback: a file saved as Latin-1, a file that is really ``/dev/zero``,
``plate_pairs = [1000000000]``, ``hold_s = nan``. The loaders share these
two helpers so every file kind says it the same way.
"""

from __future__ import annotations

import math
from pathlib import Path

MAX_CONFIG_BYTES = 1 << 20
"""1 MiB: the built-in exercise library is ~15 kB; more than this is not a config file."""

REPR_MAX_CHARS = 40
"""How much of a bad value a problem line quotes."""


class ConfigFileError(ValueError):
    """A config file cannot be read as text; the message names the file (and line)."""


class TooLarge(ValueError):
    """A file holds more than its reader's cap: not the kind of file that reader reads."""


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, or :class:`TooLarge` past ``max_bytes`` (``OSError`` as the system raises it).

    Reads one byte past the cap to notice more, so a huge or endless file
    (``/dev/zero``) costs no memory. Config files and workout imports share it.
    """
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"{path} holds more than {max_bytes} bytes")
    return data


def read_config_text(path: Path) -> str:
    """The file as text, or :class:`ConfigFileError` with one line that says why not.

    Reads at most :data:`MAX_CONFIG_BYTES` (+1 to notice more), so a huge or
    endless file costs no memory. A UTF-8 byte-order mark is accepted (some
    editors write one); anything else that is not UTF-8 is reported with the
    line and the first bad byte.
    """
    try:
        data = read_capped(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except TooLarge:
        raise ConfigFileError(f"{path}: larger than {MAX_CONFIG_BYTES // 1024} kB; not a gymtui config file") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigFileError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def clip(text: str) -> str:
    """``text`` cut to :data:`REPR_MAX_CHARS`, so a 10 kB key or value stays a short problem line."""
    return text if len(text) <= REPR_MAX_CHARS else text[: REPR_MAX_CHARS - 1] + "…"


def short_repr(value: object) -> str:
    """``repr(value)``, clipped (see :func:`clip`)."""
    return clip(repr(value))


def number_problem(value: object, low: float, high: float, *, whole: bool = False) -> str | None:
    """What is wrong with ``value`` as a number in ``[low, high]`` (a whole one if ``whole``), or None.

    Booleans are not numbers here (TOML ``true`` is not 1), and neither are
    ``nan`` or ``inf``, which TOML allows and every comparison mishandles.
    """
    kind = "a whole number" if whole else "a number"
    wanted = f"must be {kind} from {low:g} to {high:g}, got {short_repr(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return wanted
    if whole and not isinstance(value, int):
        return wanted
    if isinstance(value, float) and not math.isfinite(value):
        return wanted
    if not low <= value <= high:
        return wanted
    return None
