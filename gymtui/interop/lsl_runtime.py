"""Loading pylsl and its liblsl once, with one line for the user where they are missing.

pylsl's wheels carry liblsl for x86-64 Linux, macOS and Windows but not
for aarch64 Linux, so on a Raspberry Pi ``import pylsl`` fails until liblsl
is built (or installed from the labstreaminglayer releases). LSL is an
extra (``gymtui[lsl]``): the app runs on without it and says why.
"""

from __future__ import annotations

import functools
import platform
from types import ModuleType


class LslUnavailable(RuntimeError):
    """pylsl or liblsl cannot be loaded; the message is one line saying what to do."""


INSTALL_HINT = "pip install 'gymtui[lsl]'"
BUILD_HINT = (
    "build liblsl (https://github.com/sccn/liblsl, cmake) or install its release package, "
    "then point PYLSL_LIB at liblsl.so"
)


@functools.cache
def load_pylsl() -> ModuleType:
    """The pylsl module with a working liblsl behind it, or :class:`LslUnavailable`.

    Cached: a failure is said once and costs nothing the second time.
    """
    try:
        import pylsl
    except ModuleNotFoundError as exc:
        raise LslUnavailable(f"LSL is off: pylsl is not installed ({INSTALL_HINT})") from exc
    except (ImportError, RuntimeError, OSError) as exc:
        # pylsl raises RuntimeError when its liblsl is not found for this machine.
        machine = platform.machine() or "this machine"
        raise LslUnavailable(f"LSL is off: liblsl did not load on {machine}; {BUILD_HINT}") from exc
    try:
        pylsl.library_version()
    except Exception as exc:  # a liblsl that loads but does not answer
        raise LslUnavailable(f"LSL is off: liblsl did not answer ({exc}); {BUILD_HINT}") from exc
    return pylsl
