"""The Textual app: wires devices → signal worker → set runner → screens → store.

The app owns the long-lived parts (store executor, EMG source, signal
worker, clock, the coach that knows the plan) and the current
:class:`SetRunner`; screens render and forward keys. Cross-thread news
arrives as messages (frames may replace each other; notices never do).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from gymtui.adapters.base import AdapterError, EmgSource
from gymtui.model import ChannelInfo, LinkHealth, LinkState, MuscleRole
from gymtui.resources import resource_dir
from gymtui.session.clock import ScaledClock
from gymtui.session.coach import Coach, Home
from gymtui.session.engine import Cue, CueKind, Event, SetAborted, SetCompleted, SetFinished
from gymtui.session.protocol import SetProtocol, builtin_protocol
from gymtui.session.runner import CalibrationStored, Notice, SetContext, SetRunner, SetSummaryReady, StoreFailed
from gymtui.session.templates import PlannedSet
from gymtui.signal.messages import ApplyCalibration, WorkerCallbacks
from gymtui.store import SetSummary, Store, StoreExecutor
from gymtui.themes import DEFAULT_THEME, load_themes
from gymtui.ui.messages import FrameArrived, LinkChanged, RunnerNotice, SignalProblem

log = logging.getLogger(__name__)

DEMO_RATE_HZ = 1000.0
SIGNAL_EXIT_GRACE_S = 5.0
DEMO_ROLES = (MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST, MuscleRole.SYNERGIST)


def demo_channels(n: int = 4) -> tuple[ChannelInfo, ...]:
    """The demo sensor's channels before a set names their muscles (the first four have roles)."""
    return tuple(
        ChannelInfo(f"Channel {i + 1}", DEMO_ROLES[i] if i < len(DEMO_ROLES) else MuscleRole.OTHER) for i in range(n)
    )


@dataclass(frozen=True)
class AppConfig:
    """Everything the command line decides."""

    demo: bool = False
    speed: float = 1.0
    theme: str = DEFAULT_THEME
    db_path: Path | None = None
    mains_hz: float = 50.0
    athlete: str = "Athlete"
    emulate: str | None = None
    """The emulated BLE sensor, if any (``--emulate myo``)."""
    emulate_cuff: bool = False
    cuff: Any = None
    """BfrSettings when a cuff is on (``--cuff arm|leg``)."""
    lop_given: bool = False
    demo_channels: int = 4
    today: dt.date | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: argparse.Namespace, db_path: Path, *, cuff: Any = None) -> AppConfig:
        demo = bool(args.demo)
        emulated = tuple(getattr(args, "emulate_sensor", None) or ())
        sensors = [d for d in emulated if d != "cuff"]
        return cls(
            demo=demo,
            speed=float(args.speed) if demo else 1.0,
            theme=args.theme or DEFAULT_THEME,
            db_path=db_path,
            mains_hz=float(args.mains or 50),
            athlete="Demo athlete" if demo else "Athlete",
            emulate=sensors[0] if sensors else None,
            emulate_cuff="cuff" in emulated,
            cuff=cuff,
            lop_given=bool(getattr(args, "lop", None)),
            demo_channels=int(getattr(args, "channels", None) or 4),
        )


@dataclass(frozen=True)
class HomeInfo:
    """What the home screen shows; read from the store in one go."""

    athlete: str
    plan: Home | None
    last_rating: int | None
    interrupted: list[SetSummary]
    recent: list[SetSummary]
    sensor: str
    speed: float
    disclaimer: str | None = None

    @property
    def next_set(self) -> PlannedSet | None:
        return self.plan.next_set if self.plan else None


def label_channels(device: tuple[ChannelInfo, ...], protocol: SetProtocol) -> tuple[ChannelInfo, ...]:
    """The device's channels, named after the set's muscles where the set names them."""
    if not device:
        return ()
    labelled = []
    for i, channel in enumerate(device):
        if i < len(protocol.muscles):
            muscle, role = protocol.muscles[i]
            labelled.append(ChannelInfo(muscle, MuscleRole(role), channel.unit))
        else:
            labelled.append(channel)
    return tuple(labelled)


class GymApp(App[int]):
    """gymtui."""

    TITLE = "gymtui"
    CSS_PATH = [resource_dir("themes") / name for name in ("gymtui.tcss", "programs.tcss", "cuff_panel.tcss")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-huge")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall"), (50, "-towering")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+t", "next_theme", "Theme", show=False)]

    def __init__(self, store: Store, config: AppConfig, *, clock: ScaledClock | None = None) -> None:
        self.themes = load_themes()
        super().__init__()
        self.config = config
        for theme in self.themes:
            self.register_theme(theme)
        self.theme = config.theme
        self.store = store
        self.store_exec = StoreExecutor(store)
        self.clock = clock or ScaledClock(config.speed)
        self.quick_protocol = builtin_protocol("finisher")
        self.source: EmgSource | None = None
        self.emulation: Any = None
        self.demo_athlete: Any = None
        self.signal: Any = None  # SignalWorker, imported with the first sensor (scipy)
        self.athlete_id: int | None = None
        self.coach: Coach | None = None
        self.home: HomeInfo | None = None
        self.session_id: int | None = None
        self.calibration_id: int | None = None
        self.runner: SetRunner | None = None
        self.planned: PlannedSet | None = None
        self.pending_suggestion: Any = None
        self.cue_log: list[Cue] = []
        self.summaries: dict[int, SetSummaryReady] = {}
        self.link_health: LinkHealth | None = None
        self.problems: list[str] = []
        self.set_screen: Any = None
        self.rating_screen: Any = None
        self.last_frame: Any = None
        self.frames_shown = 0
        self._leave_after_rating = False
        self.sensor_ready = asyncio.Event()
        self.cuff_rig: Any = None  # CuffRig when a cuff is on
        self.next_override: PlannedSet | None = None  # "same as last time" for the next set
        self.cuff_world: Any = None  # the emulated BLE world of an emulated cuff

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """gymtui's own colour variables, from the default theme, so every .tcss $variable resolves."""
        floor = next((t for t in self.themes if t.name == DEFAULT_THEME), self.themes[0])
        return dict(floor.variables)

    # -- start and stop -------------------------------------------------------
    async def on_mount(self) -> None:
        self._ticker = self.set_interval(1 / 30, self._tick, pause=True)
        self.athlete_id = await self.in_store(self.store.ensure_athlete, self.config.athlete)
        await self.in_store(self.store.recover_interrupted)
        today = self.config.today
        self.coach = await self.in_store(
            lambda: Coach(
                self.store,
                self.athlete_id,
                today=(lambda: today) if today else dt.date.today,
                tool="emg" if (self.config.demo or self.config.emulate) else None,
            )
        )
        from gymtui.ui.screens.home import HomeScreen

        await self.push_screen(HomeScreen())
        # Sensors connect behind the first screen: a BLE link can take seconds,
        # and the athlete can read the plan meanwhile.
        self.call_after_refresh(lambda: self.run_worker(self._open_sensor(), name="open-sensor", group="sensor"))
        if self.config.cuff is not None:
            self.call_after_refresh(lambda: self.run_worker(self._open_cuff(), name="open-cuff", group="cuff"))

    async def _open_sensor(self) -> None:
        try:
            if self.config.emulate:
                await self._open_emulated_source(self.config.emulate)
            elif self.config.demo:
                await self._open_demo_source()
        finally:
            self.sensor_ready.set()
        refresh = getattr(self.screen_stack[-1] if self.screen_stack else None, "refresh_info", None)
        if refresh is not None and self.source is not None:
            refresh()

    async def _open_cuff(self) -> None:
        """Put the cuff under the supervisor; deflate paths armed before it can inflate."""
        from dataclasses import replace

        from gymtui.bfr import LOP_MAX_AGE_DAYS
        from gymtui.cuff_rig import CuffRig, CuffTarget

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
        cuff = await self._make_cuff()
        prior_s = await self.in_store(CuffRig.prior_session_seconds, store)

        def current_set_id() -> int | None:
            runner = self.runner
            if runner is None or runner.set_id is None or not runner.set_id.done() or runner.set_id.exception():
                return None
            return runner.set_id.result()

        rig = CuffRig(
            cuff,
            settings,
            store=self.store_exec,
            db_path=Path(self.store.path),
            clock=self.clock,
            speed=self.config.speed,
            target=CuffTarget(set_id=current_set_id, session_id=lambda: self.session_id),
            prior_session_s=prior_s,
        )
        self.cuff_rig = rig
        try:
            await rig.start(loop=asyncio.get_running_loop(), on_signal=self._exit_on_signal)
        except Exception as exc:  # noqa: BLE001 - the athlete needs the reason, the set can run without a cuff
            self.notify(f"cuff: {exc}", severity="error", timeout=12)
        self._cuff_timer = self.set_interval(0.1, self._show_cuff)

    async def _make_cuff(self) -> Any:
        if self.config.emulate_cuff:
            from gymtui.adapters.ble_cuff import BleCuff
            from gymtui.adapters.cuff_emulated import EmulatedCuff
            from gymtui.emulation.bumble_backend import BumbleWorld

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
        from gymtui.adapters.cuff import SimulatedCuff

        return SimulatedCuff(speed=self.config.speed, clock=self.clock)

    def _exit_on_signal(self, signum: int) -> None:
        """SIGTERM/SIGINT/SIGHUP: the cuff was deflated already; leave with the signal's status.

        If the terminal is gone (SIGHUP) the app may not manage an orderly exit;
        a watchdog ends the process after a few seconds so it never lingers.
        """
        watchdog = threading.Timer(SIGNAL_EXIT_GRACE_S, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=128 + signum)

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
        from gymtui.bfr import Limb
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
        if self.cuff_rig is not None:
            self.cuff_rig.fire(f"exception: {error!r}")
        super()._handle_exception(error)

    async def _open_demo_source(self) -> None:
        from gymtui.adapters.demo import DemoEmgSource

        # Building the motor-unit pools is numpy work: keep it off the event loop.
        source = await asyncio.to_thread(
            DemoEmgSource,
            demo_channels(self.config.demo_channels),
            rate_hz=DEMO_RATE_HZ,
            speed=self.config.speed,
            clock=self.clock,
            mains_hz=self.config.mains_hz,
        )
        self.demo_athlete = source.athlete
        await self._attach_source(source)

    async def _open_emulated_source(self, device: str) -> None:
        from gymtui.emulation.stack import open_emulated_source

        try:
            source, handle = await open_emulated_source(device, speed=self.config.speed, seed=0, clock=self.clock)
            self.emulation = handle
            self.demo_athlete = handle.athlete
            await self._attach_source(source)
        except AdapterError as exc:
            self.problems.append(str(exc))
            self.notify(f"emulated {device}: {exc}", severity="error", timeout=10)

    async def _attach_source(self, source: EmgSource) -> None:
        from gymtui.signal.pipeline import PipelineConfig
        from gymtui.signal.worker import SignalWorker

        await source.connect()
        # The worker's set-up imports scipy and designs its filters: off the event loop too.
        worker = await asyncio.to_thread(
            SignalWorker,
            source.info,
            WorkerCallbacks(
                on_frame=lambda frame: self.post_message(FrameArrived(frame)),
                on_error=lambda text: self.post_message(SignalProblem(text)),
            ),
            PipelineConfig(mains_hz=self.config.mains_hz),
        )
        worker.start()
        self.source, self.signal = source, worker
        if worker.band_note:
            self.notify(worker.band_note, timeout=8)
        await source.start(worker.submit, lambda health: self.post_message(LinkChanged(source.info.name, health)))

    async def action_quit(self) -> None:
        """``q``: quit, asking first while a set is in its work phases."""
        if self.runner is not None and self.runner.engine.in_work:
            from gymtui.ui.screens.confirm import ConfirmScreen

            async def answered(quit_now: bool | None) -> None:
                if quit_now:
                    await self._quit_now()

            self.push_screen(ConfirmScreen("Quit now? The set in progress will be saved as aborted."), answered)
            return
        await self._quit_now()

    async def _quit_now(self) -> None:
        if self.runner is not None and self.runner.engine.running:
            self._dispatch(self.runner.abort(), abort_reason="quit: set aborted")
        await self.shutdown()
        self.exit(0)

    async def shutdown(self, abort_reason: str = "quit: set aborted") -> None:
        """Stop devices and threads; make every pending write durable. The cuff goes down first.

        Runs on every way out, including a signal while screens are already
        gone, so it renders nothing and each step is guarded: one failing
        step must not leave a cuff up, a thread running or a write unsaved.
        """
        if self.runner is not None and self.runner.engine.running:
            events = self.runner.abort()
            if self.cuff_rig is not None:
                await self._guarded("cuff follows the abort", self.cuff_rig.follow, events, abort_reason=abort_reason)
        if self.cuff_rig is not None:
            rig, self.cuff_rig = self.cuff_rig, None
            self._cuff_timer.stop()
            await self._guarded("cuff stop", rig.stop)
            if self.cuff_world is not None:
                (world, emulated), self.cuff_world = self.cuff_world, None
                await self._guarded("emulated cuff", emulated.close)
                await self._guarded("emulated cuff link", world.close)
        if self.source is not None:
            source, self.source = self.source, None
            await self._guarded("sensor disconnect", asyncio.wait_for, source.disconnect(), 3.0)
        if self.emulation is not None:
            emulation, self.emulation = self.emulation, None
            await self._guarded("emulated sensor", emulation.close)
        if self.signal is not None:
            signal_worker, self.signal = self.signal, None
            await self._guarded("signal worker", asyncio.to_thread, signal_worker.stop)
        if self.session_id is not None:
            self.store_exec.submit(self.store.end_session, self.session_id)
            self.session_id = None
        await self._guarded("store drain", asyncio.to_thread, self.store_exec.drain)

    async def _guarded(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                await result
        except Exception:  # noqa: BLE001 - leaving anyway; the log says what failed
            log.exception("shutdown: %s failed", what)

    async def on_unmount(self) -> None:
        if self.signal is not None or self.source is not None or self.cuff_rig is not None:
            await self.shutdown()
        self.store_exec.shutdown()

    # -- store helper -------------------------------------------------------------
    async def in_store(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store call on the store thread and await its answer."""
        return await asyncio.wrap_future(self.store_exec.submit(fn, *args, **kwargs))

    async def home_info(self) -> HomeInfo:
        assert self.athlete_id is not None and self.coach is not None
        store, athlete, coach = self.store, self.athlete_id, self.coach

        def read() -> tuple[Any, ...]:
            plan = coach.home()
            disclaimer = None
            if plan.disclaimer_pending:
                from gymtui.session.guardrails import DISCLAIMER

                disclaimer = DISCLAIMER
            exercise = plan.next_set.exercise if plan.next_set else self.quick_protocol.exercise
            return plan, disclaimer, store.last_rating(athlete, exercise), store.interrupted_sets(), store.recent_sets(athlete)

        plan, disclaimer, last, interrupted, recent = await self.in_store(read)
        if self.source is not None:
            sensor = self.source.info.name
        elif (self.config.demo or self.config.emulate) and not self.sensor_ready.is_set():
            sensor = "connecting…"
        else:
            sensor = "no sensor (timer only)"
        self.home = HomeInfo(
            self.config.athlete, plan, last, interrupted, recent, sensor, self.config.speed, disclaimer
        )
        return self.home

    # -- sets -----------------------------------------------------------------------
    async def begin_set(self, *, quick: bool = False) -> None:
        """Enter: the next planned set (``f``: the quick Phase 4 finisher), calibrating first if needed."""
        if self.runner is not None and self.runner.engine.running:
            return
        assert self.athlete_id is not None and self.coach is not None
        await self.sensor_ready.wait()  # Enter pressed while the sensor is still connecting
        if self.home is None:  # or before the home screen finished reading the plan
            await self.home_info()
        planned = None if quick else (self.home.next_set if self.home else None)
        override, self.next_override = self.next_override, None
        if planned is not None and override is not None and (override.exercise, override.set_number) == (
            planned.exercise,
            planned.set_number,
        ):
            planned = override
        if planned is None and not quick:
            self.notify("Nothing more is planned today: f runs a Phase 4 finisher", timeout=5)
            return
        if planned is not None and self.pending_suggestion is not None:
            suggestion, taken = self.pending_suggestion
            if taken:
                from gymtui.session.autoreg import apply

                planned = apply(planned, suggestion, self.coach.gym)
        protocol = planned.protocol if planned is not None else self.quick_protocol
        channels = label_channels(self.source.info.channels if self.source else (), protocol)
        calibrate = await self._prepare_calibration(channels)
        if planned is not None and self.session_id is None:
            status = self.home.plan.status if self.home and self.home.plan else None
            self.session_id = await self.in_store(self.coach.start_session, status)
        if self.demo_athlete is not None and channels:
            self.demo_athlete.roles = tuple(c.role for c in channels)

        from gymtui.ui.screens.set_screen import SetScreen

        self.planned = planned
        if self.home is not None and self.home.disclaimer:
            # Shown once: on the home screen until the athlete starts training.
            self.store_exec.submit(self.coach.acknowledge_disclaimer)
        self._leave_after_rating = False
        subtitle = planned.headline() if planned is not None else f"{protocol.name} (quick set)"
        self.set_screen = SetScreen(
            protocol, channels, subtitle, emulated=self.emulation is not None, cuff=self.cuff_rig is not None
        )
        await self.push_screen(self.set_screen)
        self.set_screen.show_status(self._sensor_status())
        self._dispatch(self._start_runner(protocol, channels, planned, calibrate))
        self._ticker.resume()

    async def _prepare_calibration(self, channels: tuple[ChannelInfo, ...]) -> bool:
        """Apply the stored MVC for these muscles on this sensor, or ask for a calibration phase."""
        if self.signal is None or self.source is None:
            return False
        stored = await self.in_store(
            self.store.latest_mvc, self.athlete_id, self.source.info.name, [c.muscle for c in channels]
        )
        if stored is None:
            self.calibration_id = None
            self.signal.command(ApplyCalibration(None))
            return True
        self.calibration_id, calibration = stored
        self.signal.command(ApplyCalibration(calibration))
        return False

    def _start_runner(
        self, protocol: SetProtocol, channels: tuple[ChannelInfo, ...], planned: PlannedSet | None, calibrate: bool
    ) -> list[Event]:
        assert self.athlete_id is not None and self.coach is not None
        coach, session_id, pipeline = self.coach, self.session_id, self._pipeline_report()
        calibration_id = None if calibrate else self.calibration_id
        create_row = None
        if planned is not None:
            def create_row() -> int:
                return coach.start_set(planned, session_id, pipeline=pipeline, calibration_id=calibration_id)

        athlete = self.demo_athlete
        runner = SetRunner(
            protocol,
            SetContext(
                athlete_id=self.athlete_id,
                exercise=protocol.exercise,
                session_id=session_id,
                load_kg=planned.load_kg if planned is not None else None,
                channels=channels,
                source_name=self.source.info.name if self.source else "",
                calibration_id=calibration_id,
                pipeline=pipeline,
                create_row=create_row,
                reps=planned.reps if planned is not None else None,
            ),
            clock=self.clock,
            store=self.store_exec,
            signal=self.signal,
            calibrate=calibrate,
            cue_sink=self.cue,
            on_intent=(lambda kind: athlete.set_intent(kind)) if athlete is not None else None,
            notify=lambda notice: self.post_message(RunnerNotice(notice)),
        )
        self.runner = runner
        events = runner.start()
        if self.cuff_rig is not None:
            self.cuff_rig.set_started(runner.protocol)
        if self.pending_suggestion is not None and runner.set_id is not None:
            suggestion, taken = self.pending_suggestion
            self.pending_suggestion = None
            set_id = runner.set_id
            self.store_exec.submit(lambda: coach.answer(suggestion, taken, set_id.result() if taken else None))
        return events

    def advance_set(self) -> None:
        if self.runner is not None:
            self._dispatch(self.runner.advance())

    def abort_set(self) -> None:
        if self.runner is not None:
            self._dispatch(self.runner.abort())

    def adjust_rest(self, delta_s: float) -> None:
        if self.runner is not None and self.runner.engine.adjust_rest(delta_s):
            self._render_set()

    def toggle_pause(self) -> None:
        if self.runner is None:
            return
        if self.runner.engine.paused:
            if self.cuff_rig is not None:
                self.cuff_rig.resumed()
            self._dispatch(self.runner.resume())
        else:
            self.runner.pause()
            if self.cuff_rig is not None:
                self.cuff_rig.paused()
            self._render_set()

    async def drop_sensor_link(self) -> None:
        """ctrl+d with an emulated sensor: the peripheral drops the link, as a radio loss would."""
        if self.emulation is not None:
            await self.emulation.drop_link()

    def _tick(self) -> None:
        if self.runner is None or not self.runner.engine.running:
            self._ticker.pause()
            return
        self._dispatch(self.runner.tick())

    def _dispatch(self, events: list[Event], *, abort_reason: str | None = None) -> None:
        """React to engine events (the cuff follows every one), then redraw the set screen."""
        if self.cuff_rig is not None and events:
            self.cuff_rig.follow(events, abort_reason=abort_reason)
        for event in events:
            if isinstance(event, Cue) and self.set_screen is not None and self.set_screen.is_mounted:
                self.set_screen.show_cue(event)
            elif isinstance(event, SetCompleted):
                self._ask_rating()
            elif isinstance(event, SetFinished):
                self._leave_set_screen(when_rated=True)
            elif isinstance(event, SetAborted):
                self._leave_set_screen(when_rated=False)
        self._render_set()

    def _render_set(self) -> None:
        if self.runner is not None and self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_view(self.runner.engine.view(), len(self.runner.protocol.phases))

    def _ask_rating(self) -> None:
        from gymtui.ui.screens.rating import RatingScreen

        runner, planned = self.runner, self.planned
        assert runner is not None and runner.set_id is not None
        self.rating_screen = RatingScreen(runner.protocol.exercise, self.home.last_rating if self.home else None)

        def rated(rating: int | None) -> None:
            self.rating_screen = None
            if rating is not None:
                runner.rate(rating).add_done_callback(runner._report_failure)
                self.notify(f"Activation {rating}/10 saved", timeout=3)
            if planned is not None:
                self._check_autoregulation(runner, planned, rating)
            if self._leave_after_rating:
                self._leave_set_screen(when_rated=False)

        self.push_screen(self.rating_screen, rated)

    def _check_autoregulation(self, runner: SetRunner, planned: PlannedSet, rating: int | None) -> None:
        """The guide's 80 % rule after a heavy set: offer a lighter next set."""
        coach = self.coach
        set_id = runner.set_id
        assert coach is not None and set_id is not None

        async def check() -> None:
            ready = self.summaries.get(await asyncio.wrap_future(set_id))
            summary = ready.summary if ready is not None else {}
            suggestion = await self.in_store(coach.after_set, planned, set_id.result(), summary, rating)
            if suggestion is None:
                return
            from gymtui.ui.screens.confirm import ConfirmScreen

            def answered(taken: bool | None) -> None:
                self.pending_suggestion = (suggestion, bool(taken))

            self.push_screen(ConfirmScreen(suggestion.prompt()), answered)

        self.run_worker(check(), group="autoregulation")

    def _leave_set_screen(self, *, when_rated: bool) -> None:
        """Back to home; after a finished rest, wait for a rating still on screen."""
        if when_rated and self.rating_screen is not None:
            self._leave_after_rating = True
            return
        if self.rating_screen is not None:
            self.rating_screen.dismiss(None)
            self.rating_screen = None
        if self.set_screen is not None and self.set_screen in self.screen_stack:
            while self.screen is not self.set_screen:
                self.pop_screen()
            self.pop_screen()
        self.set_screen = None
        self._ticker.pause()

    def rate_interrupted(self, set_id: int, exercise: str) -> None:
        """Home ``r``: rate a set a dead process left unfinished."""
        from gymtui.ui.screens.rating import RatingScreen

        def rated(rating: int | None) -> None:
            if rating is not None:
                self._write_then_refresh(
                    self.store_exec.submit(self.store.rate_set, set_id, rating),
                    f"Interrupted set rated {rating}/10",
                )

        self.push_screen(RatingScreen(exercise, None, title="Interrupted set"), rated)

    def discard_interrupted(self, set_id: int) -> None:
        """Home ``d``: mark it discarded; its phases and signal stay in the database."""
        self._write_then_refresh(
            self.store_exec.submit(self.store.discard_set, set_id),
            "Interrupted set discarded (its data stays in the database)",
        )

    def _write_then_refresh(self, future: Any, done_text: str) -> None:
        async def wait() -> None:
            try:
                await asyncio.wrap_future(future)
            except Exception as exc:  # noqa: BLE001 - shown to the athlete
                self.notify(f"could not save: {exc}", severity="error", timeout=10)
                return
            self.notify(done_text, timeout=3)
            refresh = getattr(self.screen_stack[-1] if self.screen_stack else None, "refresh_info", None)
            if refresh is not None:
                refresh()

        self.run_worker(wait(), group="store-writes")

    def same_as_last_time(self) -> None:
        """Home ``s``: the next set with last session's load and reps for this set number."""
        planned = self.home.next_set if self.home else None
        coach = self.coach
        if planned is None or coach is None:
            return

        async def look_up() -> None:
            last = await self.in_store(coach.last_time, planned.exercise)
            same = planned.same_as_last_time(last, coach.gym)
            if same is planned:
                self.notify(f"No earlier {planned.exercise} set {planned.set_number} to copy", timeout=4)
                return
            self.next_override = same
            self.notify(f"Next: {same.headline()}", timeout=5)
            refresh = getattr(self.screen_stack[-1] if self.screen_stack else None, "show_next", None)
            if refresh is not None:
                refresh(same)

        self.run_worker(look_up(), group="same-as-last-time")

    # -- other screens ---------------------------------------------------------------------
    def open_checkin(self) -> None:
        from gymtui.ui.screens.checkin import CheckinScreen

        coach = self.coach
        assert coach is not None

        def done(result: Any) -> None:
            if result is None:
                return
            self._write_then_refresh(
                self.store_exec.submit(coach.record_checkin, result.checkin, result.advice, result.choice),
                f"Check-in saved: {result.choice.value}",
            )

        self.push_screen(CheckinScreen(coach.assess, coach.baseline_rhr()), done)

    async def open_history(self) -> None:
        from gymtui.ui.screens.history import HistoryScreen

        coach = self.coach
        assert coach is not None
        data = await self.in_store(coach.history)
        await self.push_screen(HistoryScreen(data, coach.session_sets, coach.set_detail))

    def _sensor_status(self) -> str:
        """The set screen's status line: which sensor, and how its signal is filtered."""
        if self.source is None or self.signal is None:
            return "no sensor: timer and rating only"
        pipe = self.signal.pipeline
        band = pipe.band.note or f"band {pipe.band.low_hz:g}–{pipe.band.high_hz:g} Hz"
        mains = f", {pipe.config.mains_hz:g} Hz notch" if pipe.config.mains_hz else ""
        return f"{self.source.info.name} · {self.source.info.rate_hz:g} Hz · {band}{mains} · RMS {pipe.config.rms_window_s * 1000:.0f} ms"

    def _pipeline_report(self) -> dict[str, Any]:
        if self.signal is None:
            return {}
        pipe = self.signal.pipeline
        return {
            "band_hz": [pipe.band.low_hz, pipe.band.high_hz],
            "band_note": pipe.band.note,
            "order": pipe.config.order,
            "mains_hz": pipe.config.mains_hz,
            "envelope": f"moving RMS {pipe.config.rms_window_s * 1000:.0f} ms",
            "group_delay_s": pipe.group_delay_s,
            "rate_hz": pipe.rate_hz,
        }

    def cue(self, cue: Cue) -> None:
        """The cue sink: remember, ring, flash. Screens show the text."""
        self.cue_log.append(cue)
        if cue.bell:
            self.bell()
        if cue.flash and self.screen_stack:
            screen = self.screen  # the flash ends on the screen it started on, even if that one has gone
            screen.add_class("-flash")
            self.set_timer(0.25, lambda: screen.remove_class("-flash"))

    # -- messages from threads -----------------------------------------------------------
    def on_frame_arrived(self, message: FrameArrived) -> None:
        self.last_frame = message.frame
        self.frames_shown += 1
        if self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_frame(message.frame)

    def on_runner_notice(self, message: RunnerNotice) -> None:
        notice: Notice = message.notice
        if isinstance(notice, SetSummaryReady):
            self.summaries[notice.set_id] = notice
            if self.rating_screen is not None and self.rating_screen.is_mounted:
                self.rating_screen.summary = notice.summary
        elif isinstance(notice, CalibrationStored):
            self.calibration_id = notice.calibration_id
            self.notify("MVC calibration stored", timeout=3)
        elif isinstance(notice, StoreFailed):
            self.problems.append(notice.message)
            self.notify(notice.message, severity="error", timeout=10)

    def on_signal_problem(self, message: SignalProblem) -> None:
        self.problems.append(message.text)
        self.notify(message.text, severity="warning", timeout=6)

    def on_link_changed(self, message: LinkChanged) -> None:
        previous, self.link_health = self.link_health, message.health
        if self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_link(message.device, message.health)
        if message.health.state is LinkState.RECONNECTING:
            self.bell()
        elif previous is not None and previous.state is LinkState.RECONNECTING and message.health.state is LinkState.CONNECTED:
            self.notify(f"{message.device} reconnected", timeout=3)

    def action_next_theme(self) -> None:
        names = [t.name for t in self.themes]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
