"""A block font for numerals readable from across the gym.

Each glyph is 5 pixels tall and 3 wide. A pixel is drawn as ``scale`` rows
by ``2 * scale`` columns of full blocks (terminal cells are about twice as
tall as wide), so the numerals grow with the terminal in whole steps.
"""

from __future__ import annotations

GLYPH_ROWS = 5
GLYPH_COLS = 3

_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "# #", "# #", "# #", "###"),
    "1": (" # ", "## ", " # ", " # ", "###"),
    "2": ("###", "  #", "###", "#  ", "###"),
    "3": ("###", "  #", " ##", "  #", "###"),
    "4": ("# #", "# #", "###", "  #", "  #"),
    "5": ("###", "#  ", "###", "  #", "###"),
    "6": ("###", "#  ", "###", "# #", "###"),
    "7": ("###", "  #", "  #", " # ", " # "),
    "8": ("###", "# #", "###", "# #", "###"),
    "9": ("###", "# #", "###", "  #", "###"),
    ":": ("   ", " # ", "   ", " # ", "   "),
    ".": ("   ", "   ", "   ", "   ", " # "),
    "-": ("   ", "   ", "###", "   ", "   "),
    " ": ("   ", "   ", "   ", "   ", "   "),
}


def text_width(text: str, scale: int) -> int:
    """Cells needed for ``text`` at ``scale`` (glyphs separated by one pixel)."""
    if not text:
        return 0
    pixels = len(text) * GLYPH_COLS + (len(text) - 1)
    return pixels * 2 * scale


def fit_scale(text: str, width: int, height: int, max_scale: int = 12) -> int:
    """The largest whole scale at which ``text`` fits ``width`` × ``height`` cells (0 if none)."""
    scale = 0
    for candidate in range(1, max_scale + 1):
        if text_width(text, candidate) <= width and GLYPH_ROWS * candidate <= height:
            scale = candidate
        else:
            break
    return scale


def render_lines(text: str, scale: int, on: str = "█", off: str = " ") -> list[str]:
    """``text`` as ``5 * scale`` lines of block characters."""
    rows: list[str] = []
    for row in range(GLYPH_ROWS):
        pixels = " ".join(_GLYPHS.get(ch, _GLYPHS[" "])[row] for ch in text)
        line = "".join((on if p == "#" else off) * (2 * scale) for p in pixels)
        rows.extend([line] * scale)
    return rows
