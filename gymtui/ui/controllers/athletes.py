"""Who trains: the athlete the app opens on, and switching, adding and renaming from home ``a``.

Owned by :class:`gymtui.app.GymApp`. Everything per athlete follows the
choice, because everything the app reads goes through the athlete's id and
their :class:`~gymtui.services.coach.Coach`: plan, calibrations, LOP,
check-ins, history, "same as last time". Lifters sharing a rack alternate
sets, so an athlete who steps away keeps their coach (today's check-in
choice, the autoregulation offer) and their open session until they are back.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from typing import TYPE_CHECKING

from gymtui.services.coach import Coach
from gymtui.store import StoreUnavailable
from gymtui.store.athletes import DEFAULT_ATHLETE

if TYPE_CHECKING:
    from gymtui.app import GymApp
    from gymtui.ui.screens.athletes import AthleteChoice

log = logging.getLogger(__name__)


class AthleteController:
    """The current athlete's id and name, and the athletes who stepped away this run."""

    def __init__(self, app: GymApp) -> None:
        self.app = app
        self.name = ""
        self._away: dict[int, tuple[Coach, int | None]] = {}
        """Athletes switched away from this run: their coach and open session."""

    # -- at start ----------------------------------------------------------------------
    def choose(self) -> tuple[int, str]:
        """On the store's thread: ``--athlete NAME`` (made if new), else the one used last, else a first athlete.

        The choice is marked as used last, so the next start (and the read
        commands) default to it.
        """
        store, asked = self.app.store, self.app.config.athlete
        if asked is not None:
            athlete_id = store.ensure_athlete(asked)
        else:
            last = store.last_athlete()
            athlete_id = last[0] if last is not None else store.ensure_athlete(DEFAULT_ATHLETE)
        store.mark_last_used(athlete_id)
        return athlete_id, store.athlete_name(athlete_id)

    async def take_gym_state(self, athlete_id: int, name: str) -> None:
        """With ``--gym``: the athlete's plan, loads and LOP from the gym first (a few seconds at most).

        Called as an athlete is opened, before their coach and home screen
        read the plan (:mod:`gymtui.ui.controllers.gym_state`).
        """
        if self.app.config.gym is not None:
            from gymtui.ui.controllers.gym_state import take_gym_state

            await take_gym_state(self.app, athlete_id, name)

    def make_coach(self, athlete_id: int) -> Coach:
        """On the store's thread: the coach for one athlete, with the app's calendar and tool."""
        config = self.app.config
        today = config.today
        return Coach(
            self.app.store,
            athlete_id,
            today=(lambda: today) if today else dt.date.today,
            now=config.now,
            tool="bfr" if config.cuff else "emg" if (config.demo or config.emulate or config.replay) else None,
            cuff_limb=str(config.cuff.limb) if config.cuff else None,
        )

    def open_sessions(self) -> list[int]:
        """Sessions left open by athletes who stepped away (ended with the app)."""
        return [session for _, session in self._away.values() if session is not None]

    # -- the picker ----------------------------------------------------------------------
    def open_picker(self) -> None:
        """Home ``a``: the athletes of this database; not while a set runs."""
        app = self.app
        if app.runner is not None and app.runner.engine.running:
            app.notify("Finish or abort the set first (Esc), then switch athletes", timeout=4)
            return
        app.run_worker(self._open_picker(), group="athletes", exclusive=True)

    async def _open_picker(self) -> None:
        from gymtui.ui.screens.athletes import AthletesScreen

        app = self.app
        try:
            athletes = await app.in_store(app.store.list_athletes)
        except (StoreUnavailable, sqlite3.Error) as exc:
            app.report_problem(f"Database unavailable ({exc}): athletes cannot be listed now")
            return

        def chosen(choice: AthleteChoice | None) -> None:
            if choice is not None:
                app.run_worker(self.apply(choice), group="athletes")

        await app.push_screen(AthletesScreen(athletes, app.athlete_id), chosen)

    async def apply(self, choice: AthleteChoice) -> None:
        """Do what the picker asked; a taken or empty name is one line and nothing changes."""
        app = self.app
        store = app.store
        try:
            if choice.action == "create":
                athlete_id = await app.in_store(store.create_athlete, choice.name)
                await self.switch_to(athlete_id)
            elif choice.action == "rename" and choice.athlete_id is not None:
                name = await app.in_store(store.rename_athlete, choice.athlete_id, choice.name)
                if choice.athlete_id == app.athlete_id:
                    self.name = name
                app.notify(f"Renamed: {name}", timeout=3)
                app.refresh_home()
            elif choice.action == "switch" and choice.athlete_id is not None:
                await self.switch_to(choice.athlete_id)
        except ValueError as exc:
            app.notify(str(exc), severity="warning", timeout=6)
        except (StoreUnavailable, sqlite3.Error) as exc:
            app.report_problem(f"Database unavailable ({exc}): athletes cannot be changed now")

    async def switch_to(self, athlete_id: int) -> None:
        """Train as another athlete from the next set on: their plan, MVCs, LOP, check-in, history."""
        app = self.app
        if athlete_id == app.athlete_id:
            return
        if app.runner is not None and app.runner.engine.running:
            app.notify("Finish or abort the set first (Esc), then switch athletes", timeout=4)
            return
        store = app.store

        def read() -> str:
            store.mark_last_used(athlete_id)
            return store.athlete_name(athlete_id)

        back = self._away.pop(athlete_id, None)
        name = await app.in_store(read)
        await self.take_gym_state(athlete_id, name)
        coach = await app.in_store(self.make_coach, athlete_id)
        if back is not None:
            coach = back[0]
        leaving_session = app.sets.switch_athlete(back[1] if back is not None else None)
        if app.athlete_id is not None and app.coach is not None:
            self._away[app.athlete_id] = (app.coach, leaving_session)
        app.athlete_id, app.coach, self.name = athlete_id, coach, name
        app.home = None
        app.notify(f"Now training: {name}", timeout=4)
        await self._cuff_follows(athlete_id, name)
        app.refresh_home()

    async def _cuff_follows(self, athlete_id: int, name: str) -> None:
        """A cuff on: the new athlete's own LOP for the limb, or none (the cuff stays down until one is entered).

        Another athlete's occlusion pressure is never applied to this one's limb.
        """
        from dataclasses import replace

        app = self.app
        rig = app.cuff.rig
        if rig is None:
            return
        settings = rig.supervisor.settings
        limb = str(settings.limb)
        stored = await app.in_store(app.store.latest_lop, athlete_id, limb)
        lop = float(stored["lop_mmhg"]) if stored is not None else None
        rig.configure(replace(settings, lop_mmhg=lop))
        if lop is None:
            app.notify(
                f"No {limb} LOP stored for {name}: the cuff stays down until you enter one (b)",
                severity="warning",
                timeout=12,
            )
