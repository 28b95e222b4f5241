"""The Textual app: wires devices → signal worker → set runner → screens → store.

The app owns the long-lived parts (store executor, clock, the coach that
knows the plan, process safety) and three controllers with typed state: the
sensor (:class:`~gymtui.ui.controllers.sensors.SensorController`), the cuff
(:class:`~gymtui.ui.controllers.cuff.CuffController`) and the set flow
(:class:`~gymtui.ui.controllers.set_flow.SetFlow`). Screens render and post
their keys up as messages; the app hands each to the controller it concerns.
Cross-thread news arrives as messages too (frames may replace each other;
notices never do).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import json
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel

from gymtui.bfr.safety import ProcessSafety
from gymtui.device_api import Cuff, EmgSource
from gymtui.model import ActivationFrame
from gymtui.resources import resource_dir
from gymtui.services.coach import Coach, Home
from gymtui.services.set_runner import SetRunner
from gymtui.session.clock import ScaledClock
from gymtui.session.engine import Cue
from gymtui.session.mvc import MVC_HOLDS_FOR
from gymtui.session.protocol import builtin_protocol
from gymtui.store import (
    QUIT_GRACE_S,
    SetSummary,
    Store,
    StoreExecutor,
    StoreHealth,
    StoreUnavailable,
)
from gymtui.text import safe_text
from gymtui.themes import DEFAULT_THEME, load_themes
from gymtui.ui.commands import ScreenCommands
from gymtui.ui.controllers.athletes import AthleteController
from gymtui.ui.controllers.cuff import CuffController
from gymtui.ui.controllers.gym import GymController
from gymtui.ui.controllers.lsl import LslController
from gymtui.ui.controllers.sensors import SensorController
from gymtui.ui.controllers.set_flow import SetFlow, label_channels
from gymtui.ui.home_info import HomeInfo
from gymtui.ui.messages import (
    FrameArrived,
    GymLinkChanged,
    LinkChanged,
    RunnerNotice,
    SignalProblem,
    StoreHealthChanged,
)
from gymtui.ui.problems import Problems

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from gymtui.bfr.rules import BfrLimits, BfrSettings
    from gymtui.emulation.stack import EmulatedPeripheralHandle
    from gymtui.gym.settings import BrokerSettings
    from gymtui.services.cuff_rig import CuffRig
    from gymtui.signal.worker import SignalWorker
    from gymtui.sim.athlete import AthleteProfile
    from gymtui.ui.screens.checkin import CheckinResult
    from gymtui.ui.screens.home import HomeScreen
    from gymtui.ui.screens.rating import RatingScreen
    from gymtui.ui.screens.set_screen import SetScreen
    from gymtui.ui.widgets.cuff_panel import CuffPanel

__all__ = ["AppConfig", "GymApp", "HomeInfo", "label_channels"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SIGNAL_EXIT_GRACE_S = 5.0
"""After SIGTERM/SIGINT/SIGHUP the app leaves in order; if it cannot (the terminal is gone), this ends it."""


CUES_KEPT = 200
"""Cues the app remembers (the newest): a set rings about 20; the log is for tests and the last set."""


@dataclass(frozen=True)
class AppConfig:
    """Everything the command line decides."""

    demo: bool = False
    speed: float = 1.0
    theme: str = DEFAULT_THEME
    db_path: Path | None = None
    mains_hz: float = 50.0
    athlete: str | None = None
    """Who trains (``--athlete NAME``, made if new); None: the athlete used last, or the default name in an empty database."""
    emulate: str | None = None
    """The emulated BLE sensor, if any (``--emulate myo``)."""
    emulate_cuff: bool = False
    sensor: str | None = None
    """A live source named on the command line (``--sensor lsl:NAME``: an LSL EMG stream), checked by the CLI."""
    cuff: BfrSettings | None = None
    """The cuff's settings when a cuff is on (``--cuff arm|leg``)."""
    lop_given: bool = False
    bfr_limits: BfrLimits | None = None
    """Limits stricter than the defaults (a clinic's protocol; tests that reach a cap in seconds)."""
    demo_channels: int = 4
    demo_athlete: AthleteProfile | None = None
    """How the demo sensor's simulated athlete moves (None: the default; a compensator draws form cues)."""
    today: dt.date | None = None
    now: Callable[[], dt.datetime] | None = None
    """The calendar's clock for session stamps (default: ``today`` at the wall clock's time of day)."""
    mvc_holds_for: dt.timedelta = MVC_HOLDS_FOR
    """How long an MVC is applied outside the session it was taken in (:mod:`gymtui.session.mvc`)."""
    replay: Path | None = None
    """A recording played as the EMG sensor (``--replay FILE``), in place of the demo sensor."""
    lsl: bool = False
    """Publish raw EMG, envelope and markers to Lab Streaming Layer (``--lsl``; gym.toml ``lsl = true`` too)."""
    lsl_name: str = "gymtui"
    """What the LSL stream names start with (``--lsl-name``): tells racks apart in LabRecorder."""
    gym: BrokerSettings | None = None
    """The gym's broker (``--gym``): None is a rack alone, with no network at all."""
    rack: str | None = None
    """This rack's name in the gym (``--rack``), with ``gym``."""

    @classmethod
    def from_args(
        cls,
        args: argparse.Namespace,
        db_path: Path,
        *,
        cuff: BfrSettings | None = None,
        gym: tuple[BrokerSettings, str] | None = None,
    ) -> AppConfig:
        demo = bool(args.demo)
        replay = getattr(args, "replay", None)
        emulated = tuple(getattr(args, "emulate_sensor", None) or ())
        sensors = [d for d in emulated if d != "cuff"]
        return cls(
            demo=demo,
            speed=float(args.speed) if demo or replay else 1.0,
            theme=args.theme or DEFAULT_THEME,
            db_path=db_path,
            mains_hz=float(args.mains or 50),
            athlete=getattr(args, "athlete", None),
            emulate=sensors[0] if sensors else None,
            emulate_cuff="cuff" in emulated,
            sensor=getattr(args, "sensor", None),
            cuff=cuff,
            lop_given=bool(getattr(args, "lop", None)),
            demo_channels=int(getattr(args, "channels", None) or 4),
            demo_athlete=demo_athlete(getattr(args, "demo_athlete", None) or "default"),
            replay=replay,
            lsl=bool(getattr(args, "lsl", False)),
            lsl_name=getattr(args, "lsl_name", None) or "gymtui",
            gym=gym[0] if gym else None,
            rack=gym[1] if gym else None,
        )


def demo_athlete(name: str) -> AthleteProfile | None:
    """``--demo-athlete NAME``'s profile; the default one is None, known without importing the simulator."""
    if name == "default":
        return None
    from gymtui.sim.athlete import DEMO_ATHLETES

    return DEMO_ATHLETES[name]


class GymApp(App[int]):
    """gymtui."""

    TITLE = "gymtui"
    CSS_PATH = resource_dir("themes") / "gymtui.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-huge")]  # noqa: RUF012 - Textual's own attribute
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall"), (50, "-towering")]  # noqa: RUF012 - Textual's own attribute
    COMMANDS = {ScreenCommands}  # noqa: RUF012 - Textual's own attribute; the screen's keys by name, nothing else
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "next_theme", "Theme", show=False),
        # Priority, so it works over modal screens too; a text field that takes "?" still gets it.
        Binding("question_mark", "help", "Help", key_display="?", priority=True),
    ]
    crash: BaseException | None = None
    """The first exception the app died of (the CLI writes the crash report from it)."""

    def __init__(self, store: Store, config: AppConfig, *, clock: ScaledClock | None = None) -> None:
        self.themes = load_themes()
        super().__init__()
        self.config = config
        for theme in self.themes:
            self.register_theme(theme)
        self.theme = config.theme
        self.store = store
        self.problems = Problems()
        """What went wrong, one line each (a sensor, the signal, the database); the home screen shows them."""
        self.store_exec = StoreExecutor(store, on_health=self._post_store_health)
        self.exit_note = ""
        """One line printed after the app has gone (writes saved to the recovery file at quit)."""
        self.clock = clock or ScaledClock(config.speed)
        self.quick_protocol = builtin_protocol("finisher")
        self.athlete_id: int | None = None
        self.coach: Coach | None = None
        self.home: HomeInfo | None = None
        self._devices_opened = False
        """The sensor and cuff open once, after the first home screen is on the terminal."""
        self.cue_log: deque[Cue] = deque(maxlen=CUES_KEPT)
        self.flashes_on = 0
        """Screen flashes running now (a picture taken during one shows the flash colour)."""
        self.cuff_left_up_at: dt.datetime | None = None
        """Set at start if a dead process left the cuff up."""
        self.safety = ProcessSafety()
        """Signals, crashes and exit deflate a cuff through this; installed for every run, cuff or not,
        so a signal always leaves through an orderly exit that gives the terminal back."""
        self.sensor = SensorController(self)
        self.cuff = CuffController(self, self._make_cuff)
        self.sets = SetFlow(self)
        self.athletes = AthleteController(self)
        self.lsl = LslController(self)
        self.gym = GymController(self)
        self.device_workers: list[Worker[None]] = []
        """The workers opening the sensor and the cuff, started once the first home screen shows."""
        self._shutting_down: asyncio.Task[None] | None = None
        """The one shutdown: a quit, a signal and the unmount that follows all wait on the same task."""
        """This rack on the gym's broker (``--gym``); does nothing for a rack alone."""

    def _post_store_health(self, health: StoreHealth) -> None:
        self.post_message(StoreHealthChanged(health))

    async def _make_cuff(self) -> Cuff:
        """The cuff to put under the supervisor; runs on the cuff's own loop. Tests override it with a probed cuff."""
        return await self.cuff.make_cuff()

    # -- the controllers' state, read by name (tests, the bench) ----------------------------
    @property
    def source(self) -> EmgSource | None:
        return self.sensor.source

    @property
    def signal(self) -> SignalWorker | None:
        return self.sensor.signal

    @property
    def emulation(self) -> EmulatedPeripheralHandle | None:
        return self.sensor.emulation

    @property
    def sensor_ready(self) -> asyncio.Event:
        return self.sensor.ready

    @property
    def last_frame(self) -> ActivationFrame | None:
        return self.sensor.last_frame

    @property
    def frames_shown(self) -> int:
        return self.sensor.frames_shown

    @property
    def cuff_rig(self) -> CuffRig | None:
        return self.cuff.rig

    @property
    def runner(self) -> SetRunner | None:
        return self.sets.runner

    @property
    def set_screen(self) -> SetScreen | None:
        return self.sets.set_screen

    @property
    def rating_screen(self) -> RatingScreen | None:
        return self.sets.rating_screen

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast as text: messages quote device names, file contents and errors.

        ``markup`` is accepted for Textual's signature and ignored: no caller may
        have a message read as markup, and control characters never reach the
        terminal: a toast is one line (a 10 kB message is cut to one readable line).
        """
        super().notify(safe_text(message), title=safe_text(title), severity=severity, timeout=timeout, markup=False)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """gymtui's own colour variables, from the default theme, so every .tcss $variable resolves."""
        floor = next((t for t in self.themes if t.name == DEFAULT_THEME), self.themes[0])
        return dict(floor.variables)

    # -- start and stop -------------------------------------------------------
    async def on_mount(self) -> None:
        self.safety.install(loop=asyncio.get_running_loop(), on_signal=self._exit_on_signal)
        self.sets.mount()
        # Writes a previous run could not save come first: they may finish a set it left open.
        replayed = await asyncio.wrap_future(self.store_exec.replay_recovery())
        if replayed.line():
            self.report_problem(replayed.line(), severity="error" if replayed.problem else "information")
        chosen, self.athletes.name = await self.in_store(self.athletes.choose)
        self.gym.open()  # never waits on the network; its copy of the athletes' states answers the next line
        await self.athletes.take_gym_state(chosen, self.athletes.name)  # before the plan is read: the gym's may be newer
        self.athlete_id = chosen
        await self.in_store(self.store.recover_interrupted)
        await self._warn_if_cuff_was_left_up()
        self.coach = await self.in_store(self.athletes.make_coach, self.athlete_id)
        self.lsl.open(self.config.lsl or self.coach.gym.lsl)
        from gymtui.ui.screens.home import HomeScreen

        home = HomeScreen(self.home_info, self.problems, cuff_on=self.config.cuff is not None)
        await self.push_screen(home)
        home.show_gym(self.gym.line())

    def on_home_screen_shown(self, message: HomeScreen.Shown) -> None:
        """Devices open behind the first home screen, once it shows the plan.

        A BLE link can take seconds, and the demo sensor's first import
        (scipy) holds the event loop for a good part of a second on a slow
        core: the athlete reads the plan meanwhile.
        """
        if self._devices_opened:
            return
        self._devices_opened = True
        # The coroutine functions, not coroutines: a worker that never starts (the app leaving) leaves none unawaited.
        opening: Worker[None] = self.run_worker(self.sensor.open, name="open-sensor", group="sensor")
        self.device_workers.append(opening)
        if self.config.cuff is not None:
            opening = self.run_worker(self.cuff.open, name="open-cuff", group="cuff")
            self.device_workers.append(opening)

    async def _warn_if_cuff_was_left_up(self) -> None:
        """A dead process (SIGKILL, power cut) may have left a cuff up: say so loudly, count its time."""
        from gymtui.bfr.ledger import left_inflated_until

        def close_at(inflated: dt.datetime, now: dt.datetime) -> dt.datetime:
            until_s = left_inflated_until(inflated.timestamp(), now.timestamp())
            return dt.datetime.fromtimestamp(until_s).astimezone()

        try:
            inflated_at = await self.in_store(self.store.close_left_inflation, close_at)
        except Exception as exc:  # noqa: BLE001 - the warning matters more than the bookkeeping
            log.warning("could not check the cuff log for an inflation left open: %s", exc)
            return
        if inflated_at is None:
            return
        self.cuff_left_up_at = inflated_at
        self.bell()
        self.notify(
            f"The cuff may have been left inflated at {inflated_at:%H:%M} — check the limb. "
            "gymtui ended without deflating it; the cuff's own watchdog should have released it.",
            title="CHECK THE CUFF",
            severity="error",
            timeout=60,
        )
        log.warning("the cuff may have been left inflated at %s by a process that ended without deflating", inflated_at)

    def _exit_on_signal(self, signum: int) -> None:
        """SIGTERM/SIGINT/SIGHUP: any cuff was deflated already; leave in order with the signal's status.

        An orderly exit gives the terminal back (no alternate screen left
        behind). If the terminal is gone (SIGHUP) the app may not manage it; a
        watchdog ends the process after a few seconds so it never lingers.
        """
        watchdog = threading.Timer(SIGNAL_EXIT_GRACE_S, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=128 + signum)

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
            self.sets.abort(reason="quit: set aborted")
        await self.shutdown()
        self.exit(0, message=Text(self.exit_note) if self.exit_note else None)

    async def shutdown(self, abort_reason: str = "quit: set aborted") -> None:
        """Stop devices and threads; make every pending write durable. The cuff goes down first.

        Runs on every way out, including a signal while screens are already
        gone, so it renders nothing and each step is guarded: one failing
        step must not leave a cuff up, a thread running or a write unsaved.
        Ways out can overlap (``q`` then the unmount, or a signal during a
        quit): the first starts the one shutdown and every later caller
        waits for that same one, shielded, so cancelling a caller (Textual
        cancels an action's task when the app closes) never cuts it short.
        """
        if self._shutting_down is None:
            self._shutting_down = asyncio.create_task(self._shutdown_once(abort_reason), name="gymtui shutdown")
        await asyncio.shield(self._shutting_down)

    async def _shutdown_once(self, abort_reason: str) -> None:
        await self.sets.abort_for_shutdown(abort_reason)
        await self.cuff.stop()  # closes the emulated cuff's world on the cuff's loop too
        await self.sensor.close()
        self.lsl.close()
        await self.gym.close()
        session_id = self.sets.session_id
        if session_id is not None:
            self.store_exec.submit(self.store.end_session, session_id)
            self.sets.session_id = None
        for away_session in self.athletes.open_sessions():  # athletes switched away from, their day over too
            self.store_exec.submit(self.store.end_session, away_session)
        try:
            # Writes the database refused are retried a little longer, then go to the recovery file.
            spilled = await asyncio.to_thread(self.store_exec.flush, QUIT_GRACE_S)
        except Exception:
            log.exception("shutdown: store flush failed")
            spilled = None
        if spilled is not None and spilled.line():
            self.exit_note = spilled.line()
            self.problems.add(spilled.line())

    async def guarded(self, what: str, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        """One step of a way out: awaited if it is a coroutine, logged if it fails, never raised."""
        try:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                await result
        except Exception:
            log.exception("shutdown: %s failed", what)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an exception: deflate first, then the app exits; keep the cause.

        Textual swallows handler exceptions, so the process hooks never see
        them: the cuff goes down here before anything else, including the log.
        """
        self.safety.fire(f"exception: {error!r}")
        super()._handle_exception(error)
        from textual.worker import WorkerFailed

        cause = error.error if isinstance(error, WorkerFailed) else error  # the worker's own traceback
        if self.crash is None:
            self.crash = cause
        log.critical("the app failed", exc_info=cause)

    async def on_unmount(self) -> None:
        if (self._shutting_down is not None or self.signal is not None or self.source is not None
                or self.cuff_rig is not None):
            await self.shutdown()  # or waits for the one a quit or a signal started
        spilled = await asyncio.to_thread(self.store_exec.shutdown)
        if spilled is not None and spilled.line():
            self.exit_note = spilled.line()
        self.safety.uninstall()

    # -- store helper -------------------------------------------------------------
    async def in_store(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run a store call on the store thread and await its answer.

        Raises :class:`StoreUnavailable` at once while writes are waiting for
        the database (nothing on screen waits on a lock).
        """
        return await asyncio.wrap_future(self.store_exec.call(fn, *args, **kwargs))

    def _home_screen(self) -> HomeScreen | None:
        """The home screen when it is the one on top."""
        from gymtui.ui.screens.home import HomeScreen

        top = self.screen_stack[-1] if self.screen_stack else None
        return top if isinstance(top, HomeScreen) else None

    def refresh_home(self) -> None:
        """Read the home screen's lines again, if it is on top."""
        home = self._home_screen()
        if home is not None:
            home.refresh_info()

    def report_problem(self, text: str, *, severity: SeverityLevel = "error", timeout: float = 10) -> None:
        """One line for the athlete: on the home screen, and notified unless it just was."""
        if self.problems.add(text):
            self.notify(safe_text(text, max_chars=300), severity=severity, timeout=timeout, markup=False)
        home = self._home_screen()
        if home is not None:
            home.show_problems(self.problems.latest())

    async def home_info(self) -> HomeInfo:
        assert self.athlete_id is not None and self.coach is not None
        store, athlete, coach = self.store, self.athlete_id, self.coach
        quick_exercise = self.quick_protocol.exercise
        Read = tuple[Home, str | None, int | None, list[SetSummary], list[SetSummary]]

        def read() -> Read:
            plan = coach.home()
            disclaimer = None
            if plan.disclaimer_pending:
                from gymtui.session.guardrails import DISCLAIMER

                disclaimer = DISCLAIMER
            exercise = plan.next_set.exercise if plan.next_set else quick_exercise
            return plan, disclaimer, store.last_rating(athlete, exercise), store.interrupted_sets(athlete), store.recent_sets(athlete)

        plan: Home | None
        try:
            plan, disclaimer, last, interrupted, recent = await self.in_store(read)
        except (StoreUnavailable, sqlite3.Error) as exc:
            # The database is away (the store says so on its own line): show what was read last.
            log.warning("home screen not refreshed: %s", exc)
            if self.home is not None:
                return self.home
            plan, disclaimer, last, interrupted, recent = None, None, None, [], []
        if self.source is not None:
            sensor = self.source.info.name
        elif (self.config.demo or self.config.emulate or self.config.replay) and not self.sensor.ready.is_set():
            sensor = "connecting…"
        else:
            sensor = "no sensor (timer only)"
        self.home = HomeInfo(
            self.athletes.name,
            plan,
            last,
            interrupted,
            recent,
            sensor,
            self.config.speed,
            disclaimer,
            override=self.sets.next_override,
            quick_exercise=quick_exercise,
            fresh_mvc=self.sets.fresh_mvc,
        )
        return self.home

    # -- the home screen's keys -------------------------------------------------------
    def on_home_screen_start_set(self, message: HomeScreen.StartSet) -> None:
        """Enter, ``f`` or ``B``: the set begins once the sensor has opened (it may still be connecting).

        Enter with no session open today: a 5th neural session this week is
        refused (a light day from the check-in still runs); on a rest day, or
        after today's session is done, it asks once and a yes opens an extra
        session.
        """
        plan, coach = (self.home.plan if self.home else None), self.coach
        if message.quick or message.bfr or plan is None or coach is None or plan.sequence is not None:
            self._begin_set(quick=message.quick, bfr=message.bfr)
            return
        refused = plan.refused
        if refused is not None and not coach.light:
            self.notify(f"No new session today: {refused.message}", severity="error", timeout=8)
            return
        if plan.status.today == "train":
            self._begin_set()
            return
        from gymtui.ui.screens.confirm import ConfirmScreen

        question = (
            "Today is a rest day: train anyway?"
            if plan.status.today == "rest"
            else "Today's session is done: train another one anyway?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                coach.extra = True
                self._begin_set()

        self.push_screen(ConfirmScreen(question), answered)

    def _begin_set(self, *, quick: bool = False, bfr: bool = False) -> None:
        self.run_worker(self.sets.begin(quick=quick, bfr=bfr), name="begin-set", group="set")

    def on_home_screen_skip_set(self, message: HomeScreen.SkipSet) -> None:
        """``x``: the next set of today's session is stored as skipped, with the reason typed (Esc: none)."""
        from gymtui.ui.screens.skip_reason import SkipReasonScreen

        plan, coach = (self.home.plan if self.home else None), self.coach
        nxt = plan.next_set if plan is not None else None
        if plan is None or coach is None or nxt is None:
            return
        row = plan.next_row

        def answered(reason: str | None) -> None:
            call = (lambda: coach.skip(row, reason)) if row is not None else (lambda: coach.skip_next(reason))
            said = f" ({reason})" if reason else ""
            self._write_then_refresh(self.store_exec.submit(call), f"Skipped: {nxt.exercise} set {nxt.set_number}{said}")

        self.push_screen(SkipReasonScreen(nxt.exercise), answered)

    def on_home_screen_end_session(self, message: HomeScreen.EndSession) -> None:
        """``e``: end today's session early, once the athlete confirms; the sets left are stored as skipped."""
        from gymtui.ui.screens.confirm import ConfirmScreen

        plan, coach = (self.home.plan if self.home else None), self.coach
        sequence = plan.sequence if plan is not None else None
        if sequence is None or coach is None:
            return
        left = sum(1 for e in sequence.entries if e.undone)

        def answered(yes: bool | None) -> None:
            if yes:
                self._write_then_refresh(
                    self.store_exec.submit(coach.end_day, sequence.session_id),
                    f"Session ended: {left} set{'s' if left != 1 else ''} left stored as skipped",
                )

        self.push_screen(ConfirmScreen(f"End today's session now? The {left} sets left are stored as skipped."), answered)

    def on_home_screen_open_day_list(self, message: HomeScreen.OpenDayList) -> None:
        """``l``: pick another of today's undone sets to do next (the rack is busy)."""
        from gymtui.ui.screens.day_list import DayListScreen

        plan, coach = (self.home.plan if self.home else None), self.coach
        sequence = plan.sequence if plan is not None else None
        if sequence is None or coach is None:
            return

        def chosen(row_id: int | None) -> None:
            if row_id is not None:
                coach.take_first(row_id)
                self.refresh_home()

        self.push_screen(DayListScreen(sequence), chosen)

    def on_home_screen_same_as_last_time(self, message: HomeScreen.SameAsLastTime) -> None:
        self.same_as_last_time()

    def on_home_screen_open_cuff_setup(self, message: HomeScreen.OpenCuffSetup) -> None:
        self.cuff.open_setup()

    def on_home_screen_open_checkin(self, message: HomeScreen.OpenCheckin) -> None:
        self.open_checkin()

    def on_home_screen_open_athletes(self, message: HomeScreen.OpenAthletes) -> None:
        self.athletes.open_picker()

    def on_home_screen_fresh_mvc(self, message: HomeScreen.FreshMvc) -> None:
        """``m``: electrodes moved or re-applied: the next set starts with the MVC phase."""
        self.sets.fresh_mvc = True
        self.notify("Fresh MVC: the next set starts with the MVC phase", timeout=5)
        self.refresh_home()

    def on_home_screen_open_history(self, message: HomeScreen.OpenHistory) -> None:
        self.run_worker(self.open_history(), name="open-history", group="history", exclusive=True)

    def on_home_screen_rate_interrupted(self, message: HomeScreen.RateInterrupted) -> None:
        self.run_worker(self.rate_interrupted(message.set_id, message.exercise), group="rate-interrupted", exclusive=True)

    def on_home_screen_discard_interrupted(self, message: HomeScreen.DiscardInterrupted) -> None:
        self.discard_interrupted(message.set_id)

    def on_cuff_panel_alarm(self, message: CuffPanel.Alarm) -> None:
        self.cuff.alarm(message.view)

    async def rate_interrupted(self, set_id: int, exercise: str) -> None:
        """Home ``r``: rate a set a dead process left unfinished.

        No EMG summary will come for it (its signal worker died with the
        process); the screen says why: no sensor (no pipeline was stored with
        the set), or the set stopped before it was summarised.
        """
        from gymtui.ui.screens.rating import EmgSummary, RatingScreen

        try:
            row = await self.in_store(self.store.get_set, set_id)
        except StoreUnavailable as exc:
            self.report_problem(str(exc))
            return
        emg = EmgSummary.LOST if json.loads(row["pipeline"] or "{}") else EmgSummary.NO_SENSOR

        def rated(rating: int | None) -> None:
            if rating is not None:
                self._write_then_refresh(
                    self.store_exec.submit(self.store.rate_set, set_id, rating),
                    f"Interrupted set rated {rating}/10",
                )
                self.gym.rerated(set_id)  # the hub's copy gets its rating too

        self.push_screen(RatingScreen(exercise, None, title="Interrupted set", emg=emg), rated)

    def discard_interrupted(self, set_id: int) -> None:
        """Home ``d``: mark it discarded; its phases and signal stay in the database."""
        self._write_then_refresh(
            self.store_exec.submit(self.store.discard_set, set_id),
            "Interrupted set discarded (its data stays in the database)",
        )

    def _write_then_refresh(self, future: concurrent.futures.Future[T], done_text: str) -> None:
        async def wait() -> None:
            try:
                await asyncio.wrap_future(future)
            except Exception as exc:  # noqa: BLE001 - shown to the athlete
                self.notify(f"could not save: {exc}", severity="error", timeout=10)
                return
            self.notify(done_text, timeout=3)
            self.refresh_home()

        self.run_worker(wait(), group="store-writes")

    def same_as_last_time(self) -> None:
        """Home ``s``: the next set with last session's load and reps for this set number."""
        planned = self.home.next_set if self.home else None
        coach = self.coach
        if planned is None or coach is None:
            return

        async def look_up() -> None:
            try:
                last = await self.in_store(coach.last_time, planned.exercise)
            except (StoreUnavailable, sqlite3.Error) as exc:
                self.report_problem(f"Database unavailable ({exc}): cannot look up the last session")
                return
            same = planned.same_as_last_time(last, coach.gym)
            if same is planned:
                self.notify(f"No earlier {planned.exercise} set {planned.set_number} to copy", timeout=4)
                return
            self.sets.next_override = same
            self.notify(f"Next: {same.headline()}", timeout=5)
            home = self._home_screen()
            if home is not None:
                home.show_next(same)

        self.run_worker(look_up(), group="same-as-last-time")

    # -- other screens ---------------------------------------------------------------------
    def action_help(self) -> None:
        """``?``: the keys of the screen in front; ``?`` again closes it."""
        from gymtui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen))

    def open_checkin(self) -> None:
        from gymtui.ui.screens.checkin import CheckinScreen

        coach = self.coach
        assert coach is not None

        def done(result: CheckinResult | None) -> None:
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
        try:
            data = await self.in_store(coach.history)
        except (StoreUnavailable, sqlite3.Error) as exc:
            self.report_problem(f"Database unavailable ({exc}): history cannot be read now")
            return
        await self.push_screen(HistoryScreen(data, coach.session_sets, coach.set_detail))

    def cue(self, cue: Cue) -> None:
        """The cue sink: remember, ring, flash. Screens show the text."""
        self.cue_log.append(cue)
        if cue.bell:
            self.bell()
        if cue.flash and self.screen_stack:
            self._flash(self.screen)

    def _flash(self, screen: Screen[Any]) -> None:
        """The screen's background in the theme's flash colour for a quarter second.

        An inline style on the screen, not a CSS class: a class on the screen
        makes Textual match the stylesheet against every widget below it again
        (a quarter of a second of the event loop on a busy machine, at the very
        moment a phase starts), while an inline background repaints and no more.
        The flash ends on the screen it started on, even if that one has gone.
        """
        colour = self.get_css_variables().get("flash-background")
        if colour is None:
            return
        self.flashes_on += 1
        _paint_background(screen, colour)

        def end() -> None:
            self.flashes_on -= 1
            _paint_background(screen, None)

        self.set_timer(0.25, end)

    # -- messages from threads -----------------------------------------------------------

    def on_runner_notice(self, message: RunnerNotice) -> None:
        self.sets.notice(message.notice)

    def on_frame_arrived(self, message: FrameArrived) -> None:
        self.sensor.frame_arrived(message.frame)

    def on_signal_problem(self, message: SignalProblem) -> None:
        self.sensor.signal_problem(message.text)

    def on_link_changed(self, message: LinkChanged) -> None:
        self.sensor.link_changed(message.device, message.health)

    def on_gym_link_changed(self, message: GymLinkChanged) -> None:
        """The broker link's news (connected, away, records waiting): the home screen's gym line."""
        self.gym.health_changed(message.health)
        from gymtui.ui.screens.home import HomeScreen

        for screen in self.screen_stack:  # under a set screen too: it is current when the athlete is back
            if isinstance(screen, HomeScreen):
                screen.show_gym(self.gym.line())

    def on_store_health_changed(self, message: StoreHealthChanged) -> None:
        """The database stopped taking writes, or took them again: one line, plus the set screen's status."""
        health = message.health
        screen = self.set_screen
        if screen is not None and screen.is_mounted:
            # The status line follows the store as it is now (the message may be a moment old).
            screen.show_store(self.store_exec.status_line())
        if health.state == "unavailable":
            self.report_problem(health.line, severity="error", timeout=15)
        elif health.state == "back":
            self.report_problem(health.line, severity="information", timeout=8)
        elif health.state in ("failed", "spilled"):
            self.report_problem(health.line, severity="error", timeout=15)

    def action_next_theme(self) -> None:
        names = [t.name for t in self.themes]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]


def _paint_background(screen: Screen[Any], colour: str | None) -> None:
    """The screen's inline background (None: the stylesheet's again), and every widget below it repainted.

    A widget caches the style it drew with, ancestors' backgrounds included,
    and only a stylesheet pass clears that cache; a text that changed during
    a flash would keep the flash colour behind it. Clearing the caches by
    hand costs a walk of the screen's widgets, not a stylesheet match.
    """
    screen.styles.background = colour
    for widget in screen.walk_children(with_self=False):
        widget.notify_style_update()
