"""BFR rules and limits: what a cuff may do, per limb, as data.

The numbers every other part of the supervisor reads: the system ceiling,
the plausible LOP range, one row per limb (:data:`LIMBS`: literature
default, recommended and hard target bounds, session occlusion cap), the
tolerances and timings (:class:`BfrLimits`, from the Delfi PTS ii manual and
BFR guidelines), and the check that turns what a user typed into
:class:`BfrSettings` or one clear line (:func:`validate_settings`).
Pure: imports nothing but the standard library.
"""

from __future__ import annotations

import enum
import math
import numbers
import re
from dataclasses import dataclass, field

SYSTEM_MAX_MMHG = 250.0
"""No gymtui command exceeds this, whatever a profile or a user says."""

LOP_MIN_MMHG = 80.0
LOP_MAX_MMHG = 300.0
"""Plausible hand-entered LOPs (measured: arm 120–282, leg 160–272 mmHg)."""
ALARM_SILENCE_S = 30.0
"""An acknowledged alarm whose cause still stands comes back after this (Delfi PTS ii: 30 s)."""

TICK_INTERVAL_S = 0.05
"""The longest the app may leave between :meth:`BfrSupervisor.tick` calls: a time cap must
deflate well inside the 100 ms promise, and a tick costs about 12 µs."""

LOP_MAX_AGE_DAYS = 7
"""After this long the app asks for a fresh LOP: LOP moves with blood pressure and
posture, and automated BFR devices measure it every session."""

class Limb(enum.StrEnum):
    ARM = "arm"
    LEG = "leg"


@dataclass(frozen=True, slots=True)
class LimbSpec:
    """Literature defaults and the hard bounds the UI may not cross."""

    default_pct: float
    recommended_pct: tuple[float, float]
    hard_pct: tuple[float, float]
    session_cap_s: float


LIMBS: dict[Limb, LimbSpec] = {
    Limb.ARM: LimbSpec(50.0, (40.0, 50.0), (30.0, 60.0), 15 * 60.0),
    Limb.LEG: LimbSpec(70.0, (60.0, 80.0), (40.0, 80.0), 20 * 60.0),
}


def session_cap_s(limb: str | Limb) -> float:
    """The session occlusion cap for ``limb``: the one number guardrails and supervisor both read."""
    return LIMBS[Limb(str(limb))].session_cap_s


LIMB_OF_REGION: dict[str, Limb] = {"upper": Limb.ARM, "lower": Limb.LEG}
"""Which cuff an exercise of a split's region is done under: an upper-body lift under an
arm cuff, a lower-body lift under a leg cuff. A BFR set is planned only for the cuff's limb."""


def limb_for_region(region: str) -> Limb | None:
    """The cuff limb for an exercise's region (``upper``/``lower``), or None for one it fits neither."""
    return LIMB_OF_REGION.get(region)


class BfrSettingsError(ValueError):
    """Cuff settings the supervisor refuses; the message is one line for the athlete."""


@dataclass(frozen=True, slots=True)
class BfrSettings:
    """What the athlete chose: limb, LOP, target % and rest behaviour."""

    limb: Limb
    lop_mmhg: float | None
    target_pct: float
    rest_deflate: bool = True
    max_mmhg: float | None = None  # a configured ceiling below the system's, if any
    bfr_finisher: bool = False
    """The athlete turned BFR on for the Phase 4 finisher (off: the finisher runs cuff down)."""

    @property
    def spec(self) -> LimbSpec:
        return LIMBS[self.limb]

    @property
    def target_mmhg(self) -> float | None:
        return None if self.lop_mmhg is None else self.lop_mmhg * self.target_pct / 100.0


def validate_settings(
    limb: str | Limb,
    lop_mmhg: float | str | None,
    target_pct: float | str | None = None,
    *,
    rest_deflate: bool = True,
    max_mmhg: float | None = None,
    bfr_finisher: bool = False,
) -> BfrSettings:
    """Check what a user typed against the hard bounds; raise one clear line if wrong.

    ``target_pct=None`` picks the limb's literature default. ``lop_mmhg=None``
    is allowed (the supervisor then refuses to inflate and says why).
    """
    try:
        limb = Limb(str(limb).strip().lower())
    except ValueError:
        raise BfrSettingsError(f"limb must be arm or leg, not {limb!r}") from None
    spec = LIMBS[limb]
    lop = None if lop_mmhg is None else _number(lop_mmhg, "LOP", "mmHg", "180")
    if lop is not None and not LOP_MIN_MMHG <= lop <= LOP_MAX_MMHG:
        raise BfrSettingsError(
            f"LOP {lop:g} mmHg is outside {LOP_MIN_MMHG:g}–{LOP_MAX_MMHG:g} mmHg: re-measure it"
        )
    pct = spec.default_pct if target_pct is None else _number(target_pct, "target %", "% of LOP", "50")
    lo, hi = spec.hard_pct
    if not lo <= pct <= hi:
        raise BfrSettingsError(f"{limb} target must be {lo:g}–{hi:g} % of LOP, not {pct:g} %")
    if max_mmhg is not None and not 0 < max_mmhg <= SYSTEM_MAX_MMHG:
        raise BfrSettingsError(f"configured cuff maximum must be 1–{SYSTEM_MAX_MMHG:g} mmHg")
    return BfrSettings(limb, lop, pct, rest_deflate, max_mmhg, bfr_finisher)


_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
"""What a typed pressure or percentage may look like. ``float()`` would also take
``1_80``, ``1e2``, ``nan``, ``inf`` and other scripts' digits; none of them is
what anyone means when typing a cuff pressure, so they are refused, not guessed."""


def _number(value: float | str, what: str, unit: str, example: str) -> float:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise BfrSettingsError(f"{what} is empty: give it in {unit}, e.g. {example}")
        if not _PLAIN_DECIMAL.fullmatch(text):
            shown = text if len(text) <= 20 else text[:20] + "…"
            raise BfrSettingsError(
                f"{what} must be a number in {unit}, written as digits with at most one decimal point "
                f"(e.g. {example}), not {shown!r}"
            )
        return float(text)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BfrSettingsError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise BfrSettingsError(f"{what} must be a finite number")
    return float(value)


@dataclass(frozen=True, slots=True)
class BfrLimits:
    """Tolerances and timings. Defaults from the Delfi PTS ii manual and BFR guidelines."""

    tolerance_mmhg: float = 15.0
    tolerance_s: float = 1.0
    reached_band_mmhg: float = 5.0  # within this below target counts as reached
    reach_timeout_s: float = 12.0
    leak_pump_s: float = 7.0
    stuck_s: float = 3.0
    stuck_band_mmhg: float = 0.05
    stale_s: float = 2.0
    residual_mmhg: float = 10.0  # below this the cuff counts as deflated
    deflate_confirm_s: float = 6.0
    deflate_resend_s: float = 1.0
    exercise_cap_s: float = 10 * 60.0
    session_cap_s: dict[Limb, float] = field(
        default_factory=lambda: {limb: session_cap_s(limb) for limb in LIMBS}
    )
    reperfusion_s: float = 3 * 60.0
    inflated_rest_max_s: float = 120.0
    cap_warning_s: float = 60.0


def stricter_or_default(limits: BfrLimits | None) -> BfrLimits:
    """``limits`` if no time cap or tolerance in it is looser than the defaults; else a ValueError.

    A clinic's protocol (or a test that must reach a cap in seconds) may
    shorten the caps; nothing may lengthen them.
    """
    default = BfrLimits()
    if limits is None:
        return default
    looser = [
        name
        for name in ("tolerance_mmhg", "tolerance_s", "reach_timeout_s", "leak_pump_s", "stuck_s", "stale_s",
                     "residual_mmhg", "deflate_confirm_s", "exercise_cap_s", "inflated_rest_max_s")
        if getattr(limits, name) > getattr(default, name)
    ]
    looser += [f"session cap ({limb})" for limb, cap in limits.session_cap_s.items() if cap > default.session_cap_s[limb]]
    if limits.reperfusion_s < default.reperfusion_s:
        looser.append("reperfusion_s")
    if looser:
        raise ValueError(f"BFR limits may only be stricter than the defaults: {', '.join(looser)}")
    return limits
