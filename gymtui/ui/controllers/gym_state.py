"""A rack takes an athlete's state from the gym before it shows their plan: plan position, loads, LOP.

With ``--gym``, opening an athlete (the app's start, a switch from home
``a``) first asks for the hub's retained state, waits at most
:data:`GYM_STATE_WAIT_S`, and adopts what this rack's own log lacks
(:func:`gymtui.gym.athlete_state.adopt_state`, on the store's thread)
before the home screen reads the plan. No broker, no state or a state
older than the rack's own: the rack trains on its own log, as it always
does. Nothing here blocks the app's loop: the wait runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import TYPE_CHECKING

from gymtui.gym.athlete_state import Adoption, adopt_state
from gymtui.store import StoreUnavailable

if TYPE_CHECKING:
    from gymtui.app import GymApp
    from gymtui.gym.payloads import AthleteState

log = logging.getLogger(__name__)

GYM_STATE_WAIT_S = 3.0
"""The longest an athlete's opening waits for the gym (a broker that is away costs this once, then nothing)."""


async def gym_athlete_state(app: GymApp, name: str, timeout_s: float = GYM_STATE_WAIT_S) -> AthleteState | None:
    """The hub's state for ``name`` within ``timeout_s``, or None: the one place a rack asks for it.

    The rack's gym link (``app.gym.link``) keeps every athlete's state as it
    arrives and answers from memory; without one open, a short connection of
    its own asks the broker once (:func:`gymtui.gym.state_fetch.fetch_athlete_state`).
    """
    settings = app.config.gym
    if settings is None:
        return None
    link = app.gym.link
    try:
        if link is not None:
            return await link.athlete_state_within(name, timeout_s)
        from gymtui.gym.state_fetch import fetch_athlete_state

        return await asyncio.wait_for(
            asyncio.to_thread(fetch_athlete_state, settings, name, timeout_s=timeout_s), timeout_s + 1.0
        )
    except (TimeoutError, OSError, ValueError) as exc:
        log.info("gym: no athlete state for the rack (%s)", exc)
        return None


async def take_gym_state(app: GymApp, athlete_id: int, name: str) -> Adoption | None:
    """Ask the gym for the athlete's state and adopt what this rack lacks; what was taken, or None."""
    state = await gym_athlete_state(app, name)
    if state is None:
        return None
    try:
        adopted = await app.in_store(adopt_state, app.store, athlete_id, state)
    except (StoreUnavailable, sqlite3.Error) as exc:
        app.report_problem(f"Database unavailable ({exc}): the gym's plan and loads were not taken")
        return None
    log.info("%s", adopted.line())
    if adopted.changed:
        app.notify(adopted.line(), timeout=5, markup=False)
    return adopted
