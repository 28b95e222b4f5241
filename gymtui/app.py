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
import sqlite3
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from gymtui.adapters.base import EmgSource
from gymtui.bfr.safety import ProcessSafety
from gymtui.model import ChannelInfo, LinkHealth, MuscleRole
from gymtui.resources import resource_dir
from gymtui.session.clock import ScaledClock
from gymtui.session.coach import Coach, Home
from gymtui.session.engine import Cue, Event, SetAborted, SetCompleted, SetFinished
from gymtui.session.protocol import SetProtocol, builtin_protocol
from gymtui.session.runner import (
    CalibrationStored,
    Notice,
    SetContext,
    SetRunner,
    SetSummaryReady,
    StoreFailed,
)
from gymtui.session.templates import PlannedSet
from gymtui.signal.messages import ApplyCalibration
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
from gymtui.ui.cuff_control import CuffControl
from gymtui.ui.messages import RunnerNotice, StoreHealthChanged
from gymtui.ui.problems import Problems
from gymtui.ui.sensors import SensorControl

log = logging.getLogger(__name__)

SIGNAL_EXIT_GRACE_S = 5.0
"""After SIGTERM/SIGINT/SIGHUP the app leaves in order; if it cannot (the terminal is gone), this ends it."""


CUES_KEPT = 200
"""Cues the app remembers (the newest): a set rings about 20; the log is for tests and the last set."""

SUMMARIES_KEPT = 10
"""Set summaries kept for the autoregulation check, which only asks about the set just rated."""

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
    bfr_limits: Any = None
    """BfrLimits stricter than the defaults (a clinic's protocol; tests that reach a cap in seconds)."""
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


class GymApp(SensorControl, CuffControl, App[int]):
    """gymtui."""

    TITLE = "gymtui"
    CSS_PATH: ClassVar[list[Path]] = [resource_dir("themes") / name for name in ("gymtui.tcss", "programs.tcss", "cuff_panel.tcss")]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide"), (160, "-huge")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (30, "-tall"), (50, "-towering")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[Binding]] = [Binding("ctrl+t", "next_theme", "Theme", show=False)]
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
        self.store_exec = StoreExecutor(store, on_health=lambda health: self.post_message(StoreHealthChanged(health)))
        self.exit_note = ""
        """One line printed after the app has gone (writes saved to the recovery file at quit)."""
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
        self.cue_log: deque[Cue] = deque(maxlen=CUES_KEPT)
        self.summaries: dict[int, SetSummaryReady] = {}  # the newest SUMMARIES_KEPT, oldest first
        self.link_health: LinkHealth | None = None
        self.set_screen: Any = None
        self.rating_screen: Any = None
        self.last_frame: Any = None
        self.frames_shown = 0
        self._leave_after_rating = False
        self.sensor_ready = asyncio.Event()
        self.cuff_rig: Any = None  # CuffRig when a cuff is on
        self.next_override: PlannedSet | None = None  # "same as last time" for the next set
        self.cuff_world: Any = None  # the emulated BLE world of an emulated cuff
        self.cuff_left_up_at: dt.datetime | None = None  # set at start if a dead process left the cuff up
        self.safety = ProcessSafety()
        """Signals, crashes and exit deflate a cuff through this; installed for every run, cuff or not,
        so a signal always leaves through an orderly exit that gives the terminal back."""

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
        self._ticker = self.set_interval(1 / 30, self._tick, pause=True)
        # Writes a previous run could not save come first: they may finish a set it left open.
        replayed = await asyncio.wrap_future(self.store_exec.replay_recovery())
        if replayed.line():
            self.report_problem(replayed.line(), severity="error" if replayed.problem else "information")
        self.athlete_id = await self.in_store(self.store.ensure_athlete, self.config.athlete)
        await self.in_store(self.store.recover_interrupted)
        await self._warn_if_cuff_was_left_up()
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
        self.call_after_refresh(lambda: self.run_worker(self._open_sensor, name="open-sensor", group="sensor"))
        if self.config.cuff is not None:
            self.call_after_refresh(lambda: self.run_worker(self._open_cuff, name="open-cuff", group="cuff"))

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
            self._dispatch(self.runner.abort(), abort_reason="quit: set aborted")
        await self.shutdown()
        self.exit(0, message=Text(self.exit_note) if self.exit_note else None)

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
            await self._guarded("cuff stop", rig.stop)  # closes the emulated cuff's world on the cuff's loop too
            self.cuff_world = None
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
        try:
            # Writes the database refused are retried a little longer, then go to the recovery file.
            spilled = await asyncio.to_thread(self.store_exec.flush, QUIT_GRACE_S)
        except Exception:
            log.exception("shutdown: store flush failed")
            spilled = None
        if spilled is not None and spilled.line():
            self.exit_note = spilled.line()
            self.problems.add(spilled.line())

    async def _guarded(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                await result
        except Exception:
            log.exception("shutdown: %s failed", what)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an exception: the app exits. Keep the cause for the crash report.

        ``super()`` first: through the MRO that is the cuff mixin's deflate,
        which must come before anything else, including the log.
        """
        super()._handle_exception(error)
        from textual.worker import WorkerFailed

        cause = error.error if isinstance(error, WorkerFailed) else error  # the worker's own traceback
        if self.crash is None:
            self.crash = cause
        log.critical("the app failed", exc_info=cause)

    async def on_unmount(self) -> None:
        if self.signal is not None or self.source is not None or self.cuff_rig is not None:
            await self.shutdown()
        spilled = await asyncio.to_thread(self.store_exec.shutdown)
        if spilled is not None and spilled.line():
            self.exit_note = spilled.line()
        self.safety.uninstall()

    # -- store helper -------------------------------------------------------------
    async def in_store(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store call on the store thread and await its answer.

        Raises :class:`StoreUnavailable` at once while writes are waiting for
        the database (nothing on screen waits on a lock).
        """
        return await asyncio.wrap_future(self.store_exec.call(fn, *args, **kwargs))

    def report_problem(self, text: str, *, severity: str = "error", timeout: float = 10) -> None:
        """One line for the athlete: on the home screen, and notified unless it just was."""
        if self.problems.add(text):
            self.notify(safe_text(text, max_chars=300), severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]
        show = getattr(self.screen_stack[-1] if self.screen_stack else None, "show_problems", None)
        if show is not None:
            show(self.problems.latest())

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
        if self.store_exec.unavailable is not None:
            self.report_problem(
                f"{self.store_exec.status_line()}: the next set starts when the database is back"
            )
            return
        try:
            await self._begin_set(quick=quick)
        except (StoreUnavailable, sqlite3.Error) as exc:
            log.warning("set not started: %s", exc)
            self.report_problem(f"Database unavailable ({exc}): the set was not started")

    async def _begin_set(self, *, quick: bool) -> None:
        assert self.athlete_id is not None and self.coach is not None
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
        self.set_screen.show_store(self.store_exec.status_line())
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
        athlete = self.demo_athlete
        runner = SetRunner(
            protocol,
            SetContext(
                athlete_id=self.athlete_id,
                exercise=planned.exercise if planned is not None else protocol.exercise,
                session_id=session_id,
                load_kg=planned.load_kg if planned is not None else None,
                channels=channels,
                source_name=self.source.info.name if self.source else "",
                calibration_id=calibration_id,
                pipeline=pipeline,
                # A planned set's row carries its plan columns, written in the same insert.
                row_fields=planned.log_fields() if planned is not None else {},
                channel_rows=planned.channel_dicts() if planned is not None else None,
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
                runner.rate(rating)
                if self.store_exec.unavailable is None:
                    self.notify(f"Activation {rating}/10 saved", timeout=3)
                else:
                    self.notify(f"Activation {rating}/10 kept: saved when the database is back", timeout=5)
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
            try:
                ready = self.summaries.get(await asyncio.wrap_future(set_id))
                summary = ready.summary if ready is not None else {}
                suggestion = await self.in_store(coach.after_set, planned, set_id.result(), summary, rating)
            except (StoreUnavailable, sqlite3.Error) as exc:
                log.warning("no load suggestion after this set: %s", exc)
                return
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
            try:
                last = await self.in_store(coach.last_time, planned.exercise)
            except (StoreUnavailable, sqlite3.Error) as exc:
                self.report_problem(f"Database unavailable ({exc}): cannot look up the last session")
                return
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
            screen = self.screen  # the flash ends on the screen it started on, even if that one has gone
            screen.add_class("-flash")
            self.set_timer(0.25, lambda: screen.remove_class("-flash"))

    # -- messages from threads -----------------------------------------------------------

    def on_runner_notice(self, message: RunnerNotice) -> None:
        notice: Notice = message.notice
        if isinstance(notice, SetSummaryReady):
            self.summaries[notice.set_id] = notice
            while len(self.summaries) > SUMMARIES_KEPT:
                del self.summaries[next(iter(self.summaries))]
            if self.rating_screen is not None and self.rating_screen.is_mounted:
                self.rating_screen.summary = notice.summary
        elif isinstance(notice, CalibrationStored):
            self.calibration_id = notice.calibration_id
            self.notify("MVC calibration stored", timeout=3)
        elif isinstance(notice, StoreFailed):
            self.report_problem(notice.message)

    def on_store_health_changed(self, message: StoreHealthChanged) -> None:
        """The database stopped taking writes, or took them again: one line, plus the set screen's status."""
        health: StoreHealth = message.health
        if self.set_screen is not None and self.set_screen.is_mounted:
            # The status line follows the store as it is now (the message may be a moment old).
            self.set_screen.show_store(self.store_exec.status_line())
        if health.state == "unavailable":
            self.report_problem(health.line, severity="error", timeout=15)
        elif health.state == "back":
            self.report_problem(health.line, severity="information", timeout=8)
        elif health.state in ("failed", "spilled"):
            self.report_problem(health.line, severity="error", timeout=15)

    def action_next_theme(self) -> None:
        names = [t.name for t in self.themes]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
