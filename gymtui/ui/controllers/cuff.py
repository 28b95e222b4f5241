"""The cuff controller: build the cuff rig, show its panel, ring its alarms, open its setup.

Owned by :class:`gymtui.app.GymApp`. Every rule lives in :mod:`gymtui.bfr`;
this module only assembles (:mod:`gymtui.services.cuff_rig`) and displays. The rig,
bumble and the simulated cuff are imported when a cuff is asked for, never
at start (the annotations below come in under ``TYPE_CHECKING``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gymtui.session.engine import Cue, CueKind

if TYPE_CHECKING:
    from textual.timer import Timer

    from gymtui.app import GymApp
    from gymtui.bfr.events import CuffView
    from gymtui.bfr.rules import BfrSettings
    from gymtui.device_api import Cuff
    from gymtui.emulation.bumble_backend import BumbleWorld
    from gymtui.emulation.cuff import EmulatedCuff
    from gymtui.services.cuff_rig import CuffRig
    from gymtui.session.templates import PlannedSet

MakeCuff = Callable[[], Coroutine[Any, Any, "Cuff"]]
Radio = Callable[["CuffController"], Coroutine[Any, Any, tuple[Any, Any]]]
"""Makes (scanner backend, client backend) for bleak, on the cuff's loop."""
"""Makes the cuff; it runs on the cuff's own loop (see :meth:`gymtui.services.cuff_rig.CuffRig.build`)."""


class CuffController:
    """The BFR cuff under its supervisor, from building the rig to stopping it."""

    def __init__(self, app: GymApp, make_cuff: MakeCuff) -> None:
        self.app = app
        self._make_cuff = make_cuff
        self.rig: CuffRig | None = None
        """The cuff, its supervisor, runner and log, once built (``--cuff arm|leg``)."""
        self.world: tuple[BumbleWorld, EmulatedCuff] | None = None
        """The emulated BLE world and cuff behind ``--emulate-sensor cuff``; closed with the rig."""
        self._timer: Timer | None = None
        self.radio: Radio | None = None
        """How a paired cuff is reached: None is the machine's own Bluetooth (bleak picks the
        backend). A test puts an emulated radio here (the bleak backends over a bumble world,
        made on the cuff's loop; it may set :attr:`world` so the world closes with the rig)."""

    async def open(self) -> None:
        """Put the cuff under the supervisor; deflate paths armed before it can inflate."""
        from dataclasses import replace

        from gymtui.bfr.rules import LOP_MAX_AGE_DAYS
        from gymtui.services.cuff_rig import CuffRig, CuffTarget

        app = self.app
        settings = app.config.cuff
        assert settings is not None, "open the cuff only when one is asked for"
        athlete, store = app.athlete_id, app.store
        limb = str(settings.limb)
        if settings.lop_mmhg is not None and app.config.lop_given:
            await app.in_store(store.save_lop, athlete, limb, settings.lop_mmhg, source="manual")
        elif settings.lop_mmhg is None:
            stored = await app.in_store(store.latest_lop, athlete, limb)
            if stored is not None:
                settings = replace(settings, lop_mmhg=float(stored["lop_mmhg"]))
                if stored["age_days"] > LOP_MAX_AGE_DAYS:
                    app.notify(
                        f"Your {limb} LOP is {stored['age_days']:.0f} days old: re-measure it (b: cuff setup)",
                        severity="warning", timeout=12,
                    )
            else:
                app.notify(f"No {limb} LOP stored: the cuff stays down until you enter one (b)", severity="warning", timeout=12)
        prior_s = await app.in_store(CuffRig.prior_session_seconds, store)

        def current_set_id() -> int | None:
            runner = app.runner
            if runner is None or runner.set_id is None or not runner.set_id.done() or runner.set_id.exception():
                return None
            return runner.set_id.result()

        try:
            # The cuff is made on its own loop and thread: nothing the screen does can hold it back.
            rig = await CuffRig.build(
                self._make_cuff,
                settings,
                db_path=Path(store.path),
                safety=app.safety,
                clock=app.clock,
                speed=app.config.speed,
                target=CuffTarget(set_id=current_set_id, session_id=lambda: app.sets.session_id),
                prior_session_s=prior_s,
                limits=app.config.bfr_limits,
            )
        except Exception as exc:  # noqa: BLE001 - the athlete needs the reason, the set can run without a cuff
            app.notify(f"cuff: {exc}", severity="error", timeout=12)
            return
        if self.world is not None:
            world, emulated = self.world
            rig.add_closer(emulated.close)
            rig.add_closer(world.close)
        self.rig = rig
        rig.taps.append(app.lsl.cuff_record)
        rig.taps.append(app.gym.cuff_record)
        try:
            await rig.start()
        except Exception as exc:  # noqa: BLE001 - the athlete needs the reason, the set can run without a cuff
            app.notify(f"cuff: {exc}", severity="error", timeout=12)
        self._timer = app.set_interval(0.1, self._show)

    async def make_cuff(self) -> Cuff:
        """The cuff the command line asked for: the paired BLE cuff (no ``--demo``), the emulated
        BLE cuff (``--demo --emulate cuff``), or the simulated one (``--demo``)."""
        config, clock = self.app.config, self.app.clock
        if not config.demo and not config.emulate_cuff:
            return await self._paired_cuff()
        if config.emulate_cuff:
            from gymtui.adapters.ble_cuff import BleCuff
            from gymtui.emulation.bumble_backend import BumbleWorld
            from gymtui.emulation.cuff import EmulatedCuff

            world = BumbleWorld()
            emulated = EmulatedCuff(world.new_device("gymtui-cuff-1"), speed=config.speed, clock=clock)
            await emulated.start()
            self.world = (world, emulated)
            return BleCuff(
                emulated.address,
                clock=clock,
                speed=config.speed,
                scanner_backend=world.scanner_backend,
                client_backend=world.client_backend,
            )
        from gymtui.sim.simulated_cuff import SimulatedCuff

        return SimulatedCuff(speed=config.speed, clock=clock)

    async def _paired_cuff(self) -> Cuff:
        """The cuff ``gymtui scan --pair`` remembered, reached through bleak (over :attr:`radio`)."""
        from gymtui.adapters.ble_cuff import BleCuff
        from gymtui.adapters.pairing import PairedDevices
        from gymtui.bfr.profile import CUFF_PROFILE_ID
        from gymtui.device_api import AdapterError

        paired = PairedDevices.load()
        if paired.problem:
            raise AdapterError(paired.problem)
        cuffs = [device for device in paired if device.profile == CUFF_PROFILE_ID]
        if not cuffs:
            raise AdapterError("no cuff is paired: find it with gymtui scan, then gymtui scan --pair ADDRESS")
        scanner_backend = client_backend = None
        if self.radio is not None:
            scanner_backend, client_backend = await self.radio(self)
        device = cuffs[0]
        return BleCuff(
            device.address,
            name=device.name or None,
            clock=self.app.clock,
            scanner_backend=scanner_backend,
            client_backend=client_backend,
        )

    async def stop(self) -> None:
        """Stop the rig (it deflates first), and with it the emulated cuff's world, on the cuff's loop."""
        if self.rig is None:
            return
        rig, self.rig = self.rig, None
        if self._timer is not None:
            self._timer.stop()
        await self.app.guarded("cuff stop", rig.stop)
        self.world = None

    # -- which sets the cuff is for ---------------------------------------------------
    def limb(self) -> str | None:
        """The limb the cuff is on now (setup may change it), or None without a cuff."""
        if self.rig is not None:
            return str(self.rig.supervisor.settings.limb)
        settings = self.app.config.cuff
        return None if settings is None else str(settings.limb)

    def occludes(self, planned: PlannedSet | None, *, quick_bfr: bool = False) -> bool:
        """Whether the set about to start inflates this cuff (:func:`~gymtui.session.templates.cuff_goes_up`)."""
        from gymtui.session.templates import cuff_goes_up

        limb, coach, rig = self.limb(), self.app.coach, self.rig
        if limb is None or rig is None or coach is None:
            return False
        return cuff_goes_up(
            planned,
            coach.library,
            limb=limb,
            quick_exercise=self.app.quick_protocol.exercise,
            quick_bfr=quick_bfr,
            bfr_finisher=rig.supervisor.settings.bfr_finisher,
        )

    async def quick_bfr_set(self) -> PlannedSet | None:
        """``B``: 30-15-15-15 at 25 % of the logged 1RM on this limb's BFR exercise, outside the plan."""
        from gymtui.services.loads import load_book
        from gymtui.session.templates import (
            bfr_exercise_for,
            load_templates,
            quick_bfr_set,
        )

        limb, coach = self.limb(), self.app.coach
        if limb is None or coach is None or self.rig is None:
            return None
        exercise = bfr_exercise_for(limb, load_templates(coach.library)[0], coach.library)
        if exercise is None:
            return None
        book = await self.app.in_store(load_book, coach.store, coach.athlete_id, [exercise.name], coach.gym, coach.today())
        return quick_bfr_set(exercise, book)

    def _show(self) -> None:
        if self.rig is None:
            return
        view = self.rig.view()
        screen = self.app.set_screen
        if screen is not None and screen.is_mounted:
            screen.show_cuff(view)

    def alarm(self, view: CuffView) -> None:
        """A new cuff alarm: bell, flash and the supervisor's words, loudly."""
        app = self.app
        app.cue(Cue(app.clock(), CueKind.ALARM, view.message or "cuff alarm", bell=True, flash=True))
        app.notify(view.message or "cuff alarm", severity="error", timeout=15)

    def open_setup(self) -> None:
        """Home ``b``: limb, LOP, target % and rest-deflate, within the supervisor's hard bounds."""
        from gymtui.bfr.rules import Limb
        from gymtui.ui.screens.cuff_setup import CuffSetupScreen

        app = self.app
        rig = self.rig
        if rig is None:
            app.notify("No cuff is on: start with --demo --cuff arm|leg", timeout=5)
            return
        athlete, store = app.athlete_id, app.store

        async def open_it() -> None:
            known: dict[Limb, tuple[float, float]] = {}
            for limb in Limb:
                stored = await app.in_store(store.latest_lop, athlete, str(limb))
                if stored is not None:
                    known[limb] = (float(stored["lop_mmhg"]), float(stored["age_days"]))

            def saved(settings: BfrSettings | None) -> None:
                if settings is None:
                    return
                previous = rig.supervisor.settings
                if settings.lop_mmhg is not None and (
                    settings.lop_mmhg != previous.lop_mmhg or settings.limb != previous.limb
                ):
                    app.store_exec.submit(store.save_lop, athlete, str(settings.limb), settings.lop_mmhg)
                rig.configure(settings)
                if app.coach is not None:
                    app.coach.cuff_limb = str(settings.limb)  # BFR sets are planned for the cuff's limb
                finisher = " · BFR on the finisher" if settings.bfr_finisher else ""
                app.notify(f"Cuff: {settings.limb}, {settings.target_pct:g} % of LOP{finisher}", timeout=4)

            await app.push_screen(CuffSetupScreen(rig.supervisor.settings, known_lops=known), saved)

        app.run_worker(open_it(), group="cuff-setup")
