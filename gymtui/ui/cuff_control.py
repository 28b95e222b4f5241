"""The app's cuff side: build the cuff rig, show its panel, ring its alarms, open its setup.

A mixin of :class:`gymtui.app.GymApp`. Every rule lives in :mod:`gymtui.bfr`;
this module only assembles (:mod:`gymtui.bfr.rig`) and displays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gymtui.session.engine import Cue, CueKind


class CuffControl:
    """Cuff wiring for :class:`~gymtui.app.GymApp` (which provides the state it uses)."""

    async def _open_cuff(self) -> None:
        """Put the cuff under the supervisor; deflate paths armed before it can inflate."""
        from dataclasses import replace

        from gymtui.bfr.rig import CuffRig, CuffTarget
        from gymtui.bfr.rules import LOP_MAX_AGE_DAYS

        settings = self.config.cuff
        athlete, store = self.athlete_id, self.store
        limb = str(settings.limb)
        if settings.lop_mmhg is not None and self.config.lop_given:
            await self.in_store(store.save_lop, athlete, limb, settings.lop_mmhg, source="manual")
        elif settings.lop_mmhg is None:
            stored = await self.in_store(store.latest_lop, athlete, limb)
            if stored is not None:
                settings = replace(settings, lop_mmhg=float(stored["lop_mmhg"]))
                if stored["age_days"] > LOP_MAX_AGE_DAYS:
                    self.notify(
                        f"Your {limb} LOP is {stored['age_days']:.0f} days old: re-measure it (b: cuff setup)",
                        severity="warning", timeout=12,
                    )
            else:
                self.notify(f"No {limb} LOP stored: the cuff stays down until you enter one (b)", severity="warning", timeout=12)
        prior_s = await self.in_store(CuffRig.prior_session_seconds, store)

        def current_set_id() -> int | None:
            runner = self.runner
            if runner is None or runner.set_id is None or not runner.set_id.done() or runner.set_id.exception():
                return None
            return runner.set_id.result()

        try:
            # The cuff is made on its own loop and thread: nothing the screen does can hold it back.
            rig = await CuffRig.build(
                self._make_cuff,
                settings,
                db_path=Path(self.store.path),
                safety=self.safety,
                clock=self.clock,
                speed=self.config.speed,
                target=CuffTarget(set_id=current_set_id, session_id=lambda: self.session_id),
                prior_session_s=prior_s,
                limits=self.config.bfr_limits,
            )
        except Exception as exc:  # noqa: BLE001 - the athlete needs the reason, the set can run without a cuff
            self.notify(f"cuff: {exc}", severity="error", timeout=12)
            return
        if self.cuff_world is not None:
            world, emulated = self.cuff_world
            rig.add_closer(emulated.close)
            rig.add_closer(world.close)
        self.cuff_rig = rig
        try:
            await rig.start()
        except Exception as exc:  # noqa: BLE001 - the athlete needs the reason, the set can run without a cuff
            self.notify(f"cuff: {exc}", severity="error", timeout=12)
        self._cuff_timer = self.set_interval(0.1, self._show_cuff)

    async def _make_cuff(self) -> Any:
        """Runs on the cuff's own loop (see :meth:`gymtui.bfr.rig.CuffRig.build`)."""
        if self.config.emulate_cuff:
            from gymtui.adapters.ble_cuff import BleCuff
            from gymtui.emulation.bumble_backend import BumbleWorld
            from gymtui.emulation.cuff import EmulatedCuff

            world = BumbleWorld()
            emulated = EmulatedCuff(world.new_device("gymtui-cuff-1"), speed=self.config.speed, clock=self.clock)
            await emulated.start()
            self.cuff_world = (world, emulated)
            return BleCuff(
                emulated.address,
                clock=self.clock,
                speed=self.config.speed,
                scanner_backend=world.scanner_backend,
                client_backend=world.client_backend,
            )
        from gymtui.sim.simulated_cuff import SimulatedCuff

        return SimulatedCuff(speed=self.config.speed, clock=self.clock)

    def _show_cuff(self) -> None:
        if self.cuff_rig is None:
            return
        view = self.cuff_rig.view()
        for screen in (self.set_screen,):
            if screen is not None and screen.is_mounted:
                screen.show_cuff(view)

    def on_cuff_panel_alarm(self, message: Any) -> None:
        """A new cuff alarm: bell, flash and the supervisor's words, loudly."""
        view = message.view
        self.cue(Cue(self.clock(), CueKind.ALARM, view.message or "cuff alarm", bell=True, flash=True))
        self.notify(view.message or "cuff alarm", severity="error", timeout=15)

    def open_cuff_setup(self) -> None:
        """Home ``b``: limb, LOP, target % and rest-deflate, within the supervisor's hard bounds."""
        from gymtui.bfr.rules import Limb
        from gymtui.ui.screens.cuff_setup import CuffSetupScreen

        rig = self.cuff_rig
        if rig is None:
            self.notify("No cuff is on: start with --demo --cuff arm|leg", timeout=5)
            return
        athlete, store = self.athlete_id, self.store

        async def open_it() -> None:
            known = {}
            for limb in Limb:
                stored = await self.in_store(store.latest_lop, athlete, str(limb))
                if stored is not None:
                    known[limb] = (float(stored["lop_mmhg"]), float(stored["age_days"]))

            def saved(settings: Any) -> None:
                if settings is None:
                    return
                previous = rig.supervisor.settings
                if settings.lop_mmhg is not None and (
                    settings.lop_mmhg != previous.lop_mmhg or settings.limb != previous.limb
                ):
                    self.store_exec.submit(store.save_lop, athlete, str(settings.limb), settings.lop_mmhg)
                rig.configure(settings)
                self.notify(f"Cuff: {settings.limb}, {settings.target_pct:g} % of LOP", timeout=4)

            await self.push_screen(CuffSetupScreen(rig.supervisor.settings, known_lops=known), saved)

        self.run_worker(open_it(), group="cuff-setup")

    def _handle_exception(self, error: Exception) -> None:
        """Textual swallows handler exceptions, so the process hooks never see them: deflate here."""
        self.safety.fire(f"exception: {error!r}")
        super()._handle_exception(error)
