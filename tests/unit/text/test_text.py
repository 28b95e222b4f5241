"""safe_text: what a hostile name becomes before anyone shows it."""

from __future__ import annotations

from gymtui.text import ELLIPSIS, REPLACEMENT, safe_lines, safe_text


def test_terminal_escapes_become_visible_replacements() -> None:
    title = "\x1b]0;pwned\x07Myo"
    clear = "\x1b[2J\x1b[HBand"
    assert safe_text(title) == f"{REPLACEMENT}]0;pwned{REPLACEMENT}Myo"
    assert safe_text(clear) == f"{REPLACEMENT}[2J{REPLACEMENT}[HBand"
    assert "\x1b" not in safe_text("\x9b31m")  # the one-byte C1 CSI too


def test_nul_and_bidi_overrides_are_replaced() -> None:
    assert safe_text("a\x00b") == f"a{REPLACEMENT}b"
    assert safe_text("cuff\u202eevil") == f"cuff{REPLACEMENT}evil"


def test_line_breaks_and_tabs_fold_to_spaces() -> None:
    assert safe_text("Glute\nbridge\thold\r") == "Glute bridge hold "


def test_markup_is_left_as_text_for_the_display_to_show_literally() -> None:
    assert safe_text("[bold red]Squat[/]") == "[bold red]Squat[/]"


def test_a_10kb_name_is_cut_with_an_ellipsis() -> None:
    cut = safe_text("x" * 10_000)
    assert len(cut) == 200 and cut.endswith(ELLIPSIS)
    assert safe_text("x" * 10_000, max_chars=None) == "x" * 10_000


def test_ordinary_names_pass_unchanged() -> None:
    for name in ("Bulgarian split squat", "Vastus medialis (VMO)", "Übung 3 · 80 kg", "深蹲"):
        assert safe_text(name) == name


def test_safe_lines_keeps_line_breaks_but_cleans_each_line() -> None:
    assert safe_lines("one\x1b[2J\ntwo") == f"one{REPLACEMENT}[2J\ntwo"
