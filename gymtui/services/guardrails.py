"""The guardrails' memory: check-ins with the athlete's resting-HR baseline, and the disclaimer flag.

The checks themselves are :mod:`gymtui.session.guardrails` (pure); this
module keeps what they need between days in the store. Run on the store's thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gymtui.session.guardrails import DISCLAIMER_FLAG

if TYPE_CHECKING:
    from gymtui.session.guardrails import CheckIn, CheckInAdvice
    from gymtui.store import Store


def record_checkin(store: Store, athlete_id: int, checkin: CheckIn, advice: CheckInAdvice, choice: str | None = None, session_id: int | None = None) -> int:
    """Remember the check-in and what the athlete chose to do about it.

    The first check-in with a heart rate sets the athlete's baseline if none
    is known yet (a baseline is best measured on a rested morning).
    """
    baseline = store.baseline_rhr(athlete_id)
    if baseline is None and checkin.resting_hr_bpm is not None:
        store.set_baseline_rhr(athlete_id, checkin.resting_hr_bpm)
        baseline = checkin.resting_hr_bpm
    return store.record_checkin(
        athlete_id,
        {
            "sleep_h": checkin.sleep_h,
            "resting_hr_bpm": checkin.resting_hr_bpm,
            "baseline_rhr_bpm": baseline,
            "coordination": checkin.coordination,
            "mood": checkin.mood,
            "advice": advice.advice.value,
            "reasons": list(advice.reasons),
            "choice": choice or advice.advice.value,
        },
        session_id=session_id,
    )




def disclaimer_pending(store: Store, athlete_id: int) -> bool:
    """True until the athlete has acknowledged the disclaimer once."""
    return store.get_flag(athlete_id, DISCLAIMER_FLAG) is None


def acknowledge_disclaimer(store: Store, athlete_id: int) -> None:
    store.set_flag(athlete_id, DISCLAIMER_FLAG, "acknowledged")
