"""Strings from outside, made safe to show: one rule for the app and the CLI.

A device name arrives over the air, an exercise name from the athlete's own
TOML, a channel label from somebody's CSV. Any of them may carry a terminal
escape (``ESC ] 0 ; title BEL`` renames the window, ``ESC [ 2 J`` clears the
screen), a NUL, bidirectional overrides that make text read differently
from what it is, or ten kilobytes of name. :func:`safe_text` turns such a
string into plain, printable, bounded text. It does not escape Rich or
Textual markup: that is the display's job (``markup=False`` or a ``Content``
object), because the same safe string is also printed by the CLI, where
brackets are just brackets.
"""

from __future__ import annotations

import unicodedata

REPLACEMENT = "\ufffd"
"""What a control character becomes: visibly "something was here"."""

DEFAULT_MAX_CHARS = 200
"""Long enough for any real exercise, muscle or device name; a 10 kB name is cut."""

ELLIPSIS = "…"

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Marks and overrides that reorder what follows them (the "Trojan Source" characters)."""


def _is_unsafe(char: str) -> bool:
    if char in _BIDI_CONTROLS:
        return True
    category = unicodedata.category(char)
    # Cc: C0, DEL and C1 controls (ESC, CSI, OSC, NUL, BEL...). Cs: lone surrogates
    # from a bad decode. Zl/Zp: line and paragraph separators that break a one-line label.
    return category in ("Cc", "Cs", "Zl", "Zp")


def safe_text(value: object, *, max_chars: int | None = DEFAULT_MAX_CHARS) -> str:
    """``value`` as one line of printable text, at most ``max_chars`` long.

    Tabs and line breaks become a space (a name spread over lines is still
    the same name); every other control character becomes U+FFFD, so the
    reader can see that something was replaced. ``max_chars=None`` keeps the
    whole length (for a multi-line report, split it first).
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and (max_chars is None or len(text) <= max_chars):
        return text  # the common case: nothing to do
    out = []
    for char in text:
        if char in "\t\n\r\v\f":
            out.append(" ")
        elif _is_unsafe(char):
            out.append(REPLACEMENT)
        else:
            out.append(char)
    cleaned = "".join(out)
    if max_chars is not None and len(cleaned) > max_chars:
        cleaned = cleaned[: max(max_chars - 1, 0)] + ELLIPSIS
    return cleaned


def safe_lines(value: object, *, max_chars_per_line: int | None = DEFAULT_MAX_CHARS) -> str:
    """A multi-line message with each line made safe (keeps the line breaks)."""
    text = value if isinstance(value, str) else str(value)
    return "\n".join(safe_text(line, max_chars=max_chars_per_line) for line in text.splitlines())
