"""The Textual app: wires devices → signal worker → set runner → screens → store.

The app owns the long-lived parts (store executor, EMG source, signal
worker, clock) and the current :class:`SetRunner`; screens render and
forward keys. Cross-thread news arrives as messages (frames may replace each
other; notices never do).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from gymtui.adapters.base import EmgSource
from gymtui.model import ChannelInfo, LinkHealth, MuscleRole, PhaseKind
from gymtui.resources import resource_dir
from gymtui.session.clock import ScaledClock
from gymtui.session.engine import Cue, Event, SetAborted, SetCompleted, SetFinished
from gymtui.session.protocol import SetProtocol, builtin_protocol
from gymtui.session.runner import CalibrationStored, Notice, SetContext, SetRunner, SetSummaryReady, StoreFailed
from gymtui.signal.pipeline import PipelineConfig
from gymtui.signal.worker import ApplyCalibration, SignalWorker, WorkerCallbacks
from gymtui.store import SetSummary, Store, StoreExecutor
from gymtui.themes import DEFAULT_THEME, load_themes
from gymtui.ui.messages import FrameArrived, LinkChanged, RunnerNotice, SignalProblem

log = logging.getLogger(__name__)

DEMO_RATE_HZ = 1000.0


@dataclass(frozen=True)
class AppConfig:
    """Everything the command line decides."""

    demo: bool = False
    speed: float = 1.0
    theme: str = DEFAULT_THEME
    db_path: Path | None = None
    mains_hz: float = 50.0
    athlete: str = "Athlete"
    protocol: str = "finisher"
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: argparse.Namespace, db_path: Path) -> AppConfig:
        return cls(
            demo=bool(args.demo),
            speed=float(args.speed) if args.demo else 1.0,
            theme=args.theme or DEFAULT_THEME,
            db_path=db_path,
            mains_hz=float(args.mains or 50),
            athlete="Demo athlete" if args.demo else "Athlete",
        )


@dataclass(frozen=True)
class HomeInfo:
    """What the home screen shows; read from the store in one go."""

    athlete: str
    protocol: SetProtocol
    last_rating: int | None
    calibrated: bool
    interrupted: list[SetSummary]
    recent: list[SetSummary]
    sensor: str
    speed: float


def channels_for(protocol: SetProtocol) -> tuple[ChannelInfo, ...]:
    """Channel labels from the protocol's muscles (target, synergist, antagonist, ...)."""
    if protocol.muscles:
        return tuple(ChannelInfo(muscle, MuscleRole(role)) for muscle, role in protocol.muscles)
    return (ChannelInfo("Target", MuscleRole.TARGET),)


class GymApp(App[int]):
    """gymtui."""

    TITLE = "gymtui"
    CSS_PATH = [resource_dir("themes") / "gymtui.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-huge")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall"), (50, "-towering")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+t", "next_theme", "Theme", show=False)]

    def __init__(self, store: Store, config: AppConfig, *, clock: ScaledClock | None = None) -> None:
        self.themes = load_themes()
        super().__init__()
        self.config = config
        self.store = store
        self.store_exec = StoreExecutor(store)
        self.clock = clock or ScaledClock(config.speed)
        for theme in self.themes:
            self.register_theme(theme)
        self.theme = config.theme
        self.protocol = builtin_protocol(config.protocol)
        self.channels = channels_for(self.protocol)
        self.source: EmgSource | None = None
        self.signal: SignalWorker | None = None
        self.athlete_id: int | None = None
        self.calibration_id: int | None = None
        self.runner: SetRunner | None = None
        self.cue_log: list[Cue] = []
        self.summaries: dict[int, SetSummaryReady] = {}
        self.link_health: LinkHealth | None = None
        self.problems: list[str] = []
        self.set_screen: Any = None
        self.rating_screen: Any = None
        self.last_rating: int | None = None
        self.last_frame: Any = None
        self.frames_shown = 0
        self._leave_after_rating = False

    # -- start and stop -------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        """gymtui's own colour variables, from the default theme, so every .tcss $variable resolves."""
        floor = next((t for t in self.themes if t.name == DEFAULT_THEME), self.themes[0])
        return dict(floor.variables)

    async def on_mount(self) -> None:
        self.athlete_id = await self.in_store(self.store.ensure_athlete, self.config.athlete)
        await self.in_store(self.store.recover_interrupted)
        self._ticker = self.set_interval(1 / 30, self._tick, pause=True)
        if self.config.demo:
            await self._open_demo_source()
        from gymtui.ui.screens.home import HomeScreen

        await self.push_screen(HomeScreen())

    async def _open_demo_source(self) -> None:
        from gymtui.adapters.demo import DemoEmgSource

        source = DemoEmgSource(self.channels, rate_hz=DEMO_RATE_HZ, speed=self.config.speed, clock=self.clock)
        await self._attach_source(source)

    async def _attach_source(self, source: EmgSource) -> None:
        await source.connect()
        worker = SignalWorker(
            source.info,
            WorkerCallbacks(
                on_frame=lambda frame: self.post_message(FrameArrived(frame)),
                on_error=lambda text: self.post_message(SignalProblem(text)),
            ),
            PipelineConfig(mains_hz=self.config.mains_hz),
        )
        worker.start()
        self.source, self.signal = source, worker
        stored = await self.in_store(
            self.store.latest_mvc, self.athlete_id, source.info.name, [c.muscle for c in source.info.channels]
        )
        if stored is not None:
            self.calibration_id, calibration = stored
            worker.command(ApplyCalibration(calibration))
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
            self._dispatch(self.runner.abort())
        await self.shutdown()
        self.exit(0)

    async def shutdown(self) -> None:
        """Stop devices and threads; make every pending write durable."""
        if self.runner is not None and self.runner.engine.running:
            self.runner.abort()
        if self.source is not None:
            try:
                await asyncio.wait_for(self.source.disconnect(), timeout=3.0)
            except (TimeoutError, Exception):  # noqa: BLE001 - leaving anyway; say why in the log
                log.exception("sensor did not disconnect cleanly")
            self.source = None
        if self.signal is not None:
            await asyncio.to_thread(self.signal.stop)
            self.signal = None
        await asyncio.to_thread(self.store_exec.drain)

    async def on_unmount(self) -> None:
        if self.signal is not None or self.source is not None:
            await self.shutdown()
        self.store_exec.shutdown()

    # -- store helper -------------------------------------------------------------
    async def in_store(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store call on the store thread and await its answer."""
        return await asyncio.wrap_future(self.store_exec.submit(fn, *args, **kwargs))

    async def home_info(self) -> HomeInfo:
        assert self.athlete_id is not None
        store, athlete = self.store, self.athlete_id
        last, interrupted, recent = await self.in_store(
            lambda: (
                store.last_rating(athlete, self.protocol.exercise),
                store.interrupted_sets(),
                store.recent_sets(athlete),
            )
        )
        self.last_rating = last
        return HomeInfo(
            athlete=self.config.athlete,
            protocol=self.protocol,
            last_rating=last,
            calibrated=self.signal is not None and self.signal.pipeline.calibrated,
            interrupted=interrupted,
            recent=recent,
            sensor=self.source.info.name if self.source else "no sensor (timer only)",
            speed=self.config.speed,
        )

    # -- sets -----------------------------------------------------------------------
    def start_set(self) -> list[Event]:
        """Enter on the home screen: the next planned set, calibrating first if needed."""
        assert self.athlete_id is not None
        if self.runner is not None and self.runner.engine.running:
            raise RuntimeError("a set is already running")
        calibrate = self.config.demo and self.signal is not None and not self.signal.pipeline.calibrated
        demo_athlete = getattr(self.source, "athlete", None)
        runner = SetRunner(
            self.protocol,
            SetContext(
                athlete_id=self.athlete_id,
                exercise=self.protocol.exercise,
                channels=self.channels,
                source_name=self.source.info.name if self.source else "",
                calibration_id=self.calibration_id,
                pipeline=self._pipeline_report(),
            ),
            clock=self.clock,
            store=self.store_exec,
            signal=self.signal,
            calibrate=calibrate,
            cue_sink=self.cue,
            on_intent=(lambda kind: demo_athlete.set_intent(kind)) if demo_athlete is not None else None,
            notify=lambda notice: self.post_message(RunnerNotice(notice)),
        )
        self.runner = runner
        return runner.start()

    async def begin_set(self) -> None:
        """Enter: show the set screen, then start the next set."""
        if self.runner is not None and self.runner.engine.running:
            return
        from gymtui.ui.screens.set_screen import SetScreen

        self._leave_after_rating = False
        self.set_screen = SetScreen(self.protocol, self.channels)
        await self.push_screen(self.set_screen)
        self._dispatch(self.start_set())
        self._ticker.resume()

    def advance_set(self) -> None:
        if self.runner is not None:
            self._dispatch(self.runner.advance())

    def abort_set(self) -> None:
        if self.runner is not None:
            self._dispatch(self.runner.abort())

    def toggle_pause(self) -> None:
        if self.runner is None:
            return
        if self.runner.engine.paused:
            self._dispatch(self.runner.resume())
        else:
            self.runner.pause()
            self._render_set()

    def _tick(self) -> None:
        if self.runner is None or not self.runner.engine.running:
            self._ticker.pause()
            return
        self._dispatch(self.runner.tick())

    def _dispatch(self, events: list) -> None:
        """React to engine events the screens care about, then redraw the set screen."""
        for event in events:
            if isinstance(event, Cue) and self.set_screen is not None:
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

        runner = self.runner
        assert runner is not None and runner.set_id is not None
        self.rating_screen = RatingScreen(self.protocol.exercise, self.last_rating)

        def rated(rating: int | None) -> None:
            self.rating_screen = None
            if rating is not None:
                runner.rate(rating).add_done_callback(runner._report_failure)
                self.notify(f"Activation {rating}/10 saved", timeout=3)
            if self._leave_after_rating:
                self._leave_set_screen(when_rated=False)

        self.push_screen(self.rating_screen, rated)

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

    def rate_interrupted(self, set_id: int) -> None:
        """Home ``r``: rate a set a dead process left unfinished."""
        from gymtui.ui.screens.rating import RatingScreen

        def rated(rating: int | None) -> None:
            if rating is not None:
                self._write_then_refresh(
                    self.store_exec.submit(self.store.rate_set, set_id, rating),
                    f"Interrupted set rated {rating}/10",
                )

        self.push_screen(RatingScreen(self.protocol.exercise, self.last_rating, title="Interrupted set"), rated)

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
            refresh = getattr(self.screen, "refresh_info", None)
            if refresh is not None:
                refresh()

        self.run_worker(wait(), group="store-writes")

    def on_frame_arrived(self, message: FrameArrived) -> None:
        self.last_frame = message.frame
        self.frames_shown += 1
        if self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_frame(message.frame)

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
        if cue.flash:
            self.screen.add_class("-flash")
            self.set_timer(0.25, lambda: self.screen.remove_class("-flash"))

    # -- messages from threads -----------------------------------------------------------
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
        self.link_health = message.health

    def action_next_theme(self) -> None:
        names = [t.name for t in self.themes]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]

    @property
    def demo_intent(self) -> PhaseKind | None:
        athlete = getattr(self.source, "athlete", None)
        return getattr(athlete, "intent", None)
