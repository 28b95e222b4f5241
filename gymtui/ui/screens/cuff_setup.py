"""Cuff setup: limb, LOP (typed from a Doppler or pulse-oximeter reading), target %, rest deflate
and whether the Phase 4 finisher runs with the cuff (off by default: only BFR sets inflate it).

A modal screen that returns :class:`gymtui.bfr.rules.BfrSettings` through
``dismiss`` (``None`` when cancelled). Every value is checked by
:func:`gymtui.bfr.rules.validate_settings`, the same function the supervisor
trusts, so the screen cannot produce settings beyond the hard bounds; a bad
value shows one line in red and the screen stays open. The app saves a
changed LOP with ``Store.save_lop`` (compare with the LOP it passed in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static, Switch

from gymtui.bfr.rules import (
    LIMBS,
    LOP_MAX_AGE_DAYS,
    BfrSettings,
    BfrSettingsError,
    Limb,
    validate_settings,
)
from gymtui.text import safe_text
from gymtui.ui.widgets.marked_radio import MarkedRadioButton


class CuffSetupScreen(ModalScreen[BfrSettings | None]):
    """Choose limb, LOP, target % of LOP and rest-deflate; Enter saves, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self,
        initial: BfrSettings | None = None,
        *,
        known_lops: Mapping[Limb, tuple[float, float]] | None = None,
    ) -> None:
        """``known_lops`` maps a limb to its stored (LOP mmHg, age in days), from ``Store.latest_lop``."""
        super().__init__()
        self.initial = initial or validate_settings(Limb.ARM, None)
        self.known_lops = dict(known_lops or {})

    def compose(self) -> ComposeResult:
        s = self.initial
        with Vertical(id="cuff-setup-dialog"):
            yield Static("[b]BFR cuff setup[/b]", id="cuff-setup-title")
            with Horizontal(classes="cuff-setup-row"):
                yield Label("Limb", classes="cuff-setup-label")
                with RadioSet(id="cuff-setup-limb"):
                    # ◉/○: the chosen limb reads without colour
                    yield MarkedRadioButton("Arm", value=s.limb is Limb.ARM, id="limb-arm")
                    yield MarkedRadioButton("Leg", value=s.limb is Limb.LEG, id="limb-leg")
            with Horizontal(classes="cuff-setup-row"):
                yield Label("LOP (mmHg)", classes="cuff-setup-label")
                yield Input(self._lop_text(s.limb, s.lop_mmhg), type="number", id="cuff-setup-lop", placeholder="e.g. 180")
                yield Static("", id="cuff-setup-lop-age", classes="cuff-setup-hint")
            with Horizontal(classes="cuff-setup-row"):
                yield Label("Target % LOP", classes="cuff-setup-label")
                yield Input(f"{s.target_pct:g}", type="number", id="cuff-setup-pct")
                yield Static("", id="cuff-setup-pct-hint", classes="cuff-setup-hint")
            with Horizontal(classes="cuff-setup-row"):
                yield Label("Deflate in rests", classes="cuff-setup-label")
                yield Switch(value=s.rest_deflate, id="cuff-setup-rest")
            with Horizontal(classes="cuff-setup-row"):
                yield Label("BFR on finisher", classes="cuff-setup-label")
                yield Switch(value=s.bfr_finisher, id="cuff-setup-finisher")
            yield Static("", id="cuff-setup-error", markup=False)  # quotes what was typed
            with Horizontal(id="cuff-setup-buttons"):
                yield Button("Cancel", id="cuff-setup-cancel")
                yield Button("Save", variant="primary", id="cuff-setup-save")

    def on_mount(self) -> None:
        self._show_hints(self.initial.limb)
        self.query_one("#cuff-setup-lop", Input).focus()

    # -- helpers ----------------------------------------------------------------
    def _lop_text(self, limb: Limb, lop: float | None) -> str:
        if lop is None and limb in self.known_lops:
            lop = self.known_lops[limb][0]
        return "" if lop is None else f"{lop:g}"

    @property
    def limb(self) -> Limb:
        return Limb.LEG if self.query_one("#limb-leg", RadioButton).value else Limb.ARM

    def _show_hints(self, limb: Limb) -> None:
        spec = LIMBS[limb]
        (rlo, rhi), (hlo, hhi) = spec.recommended_pct, spec.hard_pct
        self.query_one("#cuff-setup-pct-hint", Static).update(
            f"{limb}: {rlo:g}–{rhi:g} % recommended, {hlo:g}–{hhi:g} % allowed"
        )
        age = self.query_one("#cuff-setup-lop-age", Static)
        known = self.known_lops.get(limb)
        if known is None:
            age.update("none stored: measure it")
        elif known[1] > LOP_MAX_AGE_DAYS:
            age.update(f"measured {known[1]:.0f} days ago: re-measure")
        else:
            age.update(f"measured {known[1]:.0f} days ago")

    # -- events -------------------------------------------------------------------
    @on(RadioSet.Changed, "#cuff-setup-limb")
    def _limb_changed(self) -> None:
        limb = self.limb
        self._show_hints(limb)
        if limb in self.known_lops:
            self.query_one("#cuff-setup-lop", Input).value = f"{self.known_lops[limb][0]:g}"
        self.query_one("#cuff-setup-pct", Input).value = f"{LIMBS[limb].default_pct:g}"
        self.query_one("#cuff-setup-error", Static).update("")

    @on(Button.Pressed, "#cuff-setup-save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        error = self.query_one("#cuff-setup-error", Static)
        lop_text = self.query_one("#cuff-setup-lop", Input).value.strip()
        if not lop_text:
            error.update("Enter the LOP: the cuff will not inflate without it")
            return
        try:
            settings = validate_settings(
                self.limb,
                lop_text,
                self.query_one("#cuff-setup-pct", Input).value,
                rest_deflate=self.query_one("#cuff-setup-rest", Switch).value,
                max_mmhg=self.initial.max_mmhg,
                bfr_finisher=self.query_one("#cuff-setup-finisher", Switch).value,
            )
        except BfrSettingsError as exc:
            error.update(safe_text(exc))
            return
        self.dismiss(settings)

    @on(Button.Pressed, "#cuff-setup-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
