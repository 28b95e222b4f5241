"""The sensor controller: open the demo, emulated, BLE or LSL source, run its worker, hand on its news.

Owned by :class:`gymtui.app.GymApp`, which holds one and forwards the
sensor's messages to it. It draws nothing itself: frames and link changes go
to the set screen. numpy, scipy and bumble are imported when a sensor opens,
never at start (the annotations below come in under ``TYPE_CHECKING``).

Haptics: when a frame's ``feedback.cues_fired`` grows (a new form cue) and
the set's feedback mode shows cues, a sensor that can vibrate (its profile
has a ``[vibrate]`` write, e.g. the Myo) is asked for a short buzz, in a
task of its own: the frame path never waits for the radio, and a buzz still
on its way when the next cue fires is not doubled.

Painting: a frame is handled as it comes (the last frame, the replay trace,
the haptics), but reaches the set screen's bars at the rate the screen can
hold (:class:`~gymtui.ui.frame_pacing.FramePacer`): a frame that comes too
soon waits, newest first, for the set's next tick or the next frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gymtui.device_api import AdapterError, EmgSource
from gymtui.model import ActivationFrame, ChannelInfo, LinkHealth, LinkState, MuscleRole
from gymtui.session.feedback import shows_cues
from gymtui.signal.messages import WorkerCallbacks
from gymtui.ui.frame_pacing import FramePacer
from gymtui.ui.messages import FrameArrived, LinkChanged, SignalProblem

if TYPE_CHECKING:
    from gymtui.app import GymApp
    from gymtui.emulation.stack import EmulatedPeripheralHandle
    from gymtui.signal.worker import SignalWorker
    from gymtui.sim.athlete import SimulatedAthlete
    from gymtui.ui.screens.set_screen import SetScreen

log = logging.getLogger(__name__)

DEMO_RATE_HZ = 1000.0
MOUNT_PAINTS = 5
"""A set screen's first painted frames, which carry its layout and first full paint: not counted as frame costs."""
DEMO_ROLES = (MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST, MuscleRole.SYNERGIST)


@runtime_checkable
class Vibrates(Protocol):
    """A sensor that can buzz on the athlete's skin (e.g. :class:`~gymtui.adapters.ble.BleEmgSource`)."""

    @property
    def can_vibrate(self) -> bool: ...

    async def vibrate(self) -> bool: ...


def demo_channels(n: int = 4) -> tuple[ChannelInfo, ...]:
    """The demo sensor's channels before a set names their muscles (the first four have roles)."""
    return tuple(
        ChannelInfo(f"Channel {i + 1}", DEMO_ROLES[i] if i < len(DEMO_ROLES) else MuscleRole.OTHER) for i in range(n)
    )


class SensorController:
    """The EMG sensor and its signal worker, from opening to closing."""

    def __init__(self, app: GymApp) -> None:
        self.app = app
        self.source: EmgSource | None = None
        self.signal: SignalWorker | None = None
        self.emulation: EmulatedPeripheralHandle | None = None
        """The emulated BLE sensor's side (``--emulate``), closed after the source."""
        self.athlete: SimulatedAthlete | None = None
        """The simulated muscles behind a demo or emulated sensor; they follow the set's intent."""
        self.link_health: LinkHealth | None = None
        self.last_frame: ActivationFrame | None = None
        self.frames_shown = 0
        self.pacer = FramePacer()
        self.painted_s: list[float] = []
        """When each shown frame reached the screen (wall seconds, the newest few hundred)."""
        self._unpainted: ActivationFrame | None = None
        self._screen_paints: tuple[int, int] = (0, 0)
        """(the set screen's id, frames it has painted): its first paints carry its mount and are not frame costs."""
        self.ready = asyncio.Event()
        """Set once the sensor opened or failed to: Enter waits on it."""
        self.cues_seen = 0
        """``cues_fired`` of the last frame with feedback (0 between sets): a cue is a rise in it."""
        self.buzzes = 0
        """Vibrations asked of the sensor (one per new cue, unless one was still on its way)."""
        self._buzz: asyncio.Task[bool] | None = None

    # -- opening ----------------------------------------------------------------
    async def open(self) -> None:
        """Open the sensor; one that fails leaves the app up, as a timer, and says why in one line."""
        app = self.app
        try:
            if app.config.replay is not None:
                await self._open_replay_source(app.config.replay)
            elif app.config.emulate:
                await self._open_emulated_source(app.config.emulate)
            elif app.config.demo:
                await self._open_demo_source()
            elif app.config.sensor:
                await self._open_lsl_source(app.config.sensor)
        except Exception as exc:  # a sensor that will not open must not take the app down
            log.exception("the sensor did not open")
            await self._close_half_open()
            app.report_problem(f"The sensor did not open ({exc}): sets run as a timer only")
        finally:
            self.ready.set()
        if self.source is not None:
            app.refresh_home()

    async def _open_demo_source(self) -> None:
        from gymtui.adapters.demo import DemoEmgSource

        config = self.app.config
        # Building the motor-unit pools is numpy work: keep it off the event loop.
        source = await asyncio.to_thread(
            DemoEmgSource,
            demo_channels(config.demo_channels),
            rate_hz=DEMO_RATE_HZ,
            speed=config.speed,
            clock=self.app.clock,
            mains_hz=config.mains_hz,
            profile=config.demo_athlete,
        )
        self.athlete = source.athlete
        await self._attach_source(source)

    async def _open_replay_source(self, path: Path) -> None:
        """``--replay FILE``: the recording as the sensor; a file that does not read is one line, and no sensor."""
        from gymtui.adapters.replay import ReplayEmgSource
        from gymtui.interop.readers import read_recording
        from gymtui.signal.recording import RecordingError

        app = self.app
        try:
            recording = await asyncio.to_thread(read_recording, path)  # numpy parsing: off the event loop
        except RecordingError as exc:
            app.report_problem(f"The recording did not open ({exc}): sets run as a timer only")
            return

        def ended(text: str) -> None:
            app.report_problem(text, severity="information", timeout=10)

        source = ReplayEmgSource(recording, roles=DEMO_ROLES, speed=app.config.speed, clock=app.clock, on_end=ended)
        await self._attach_source(source)

    async def _open_lsl_source(self, spec: str) -> None:
        """``--sensor lsl:...``: an LSL EMG stream, its labels as the muscles, the demo's roles until a set names them."""
        from gymtui.adapters.lsl_source import LslEmgSource
        from gymtui.interop.lsl_spec import parse_sensor_spec

        await self._attach_source(LslEmgSource(parse_sensor_spec(spec), clock=self.app.clock, roles=DEMO_ROLES))

    async def _open_emulated_source(self, device: str) -> None:
        from gymtui.emulation.stack import open_emulated_source

        try:
            config = self.app.config
            source, handle = await open_emulated_source(
                device, speed=config.speed, seed=0, clock=self.app.clock, athlete=config.demo_athlete
            )
            self.emulation = handle
            self.athlete = handle.athlete
            await self._attach_source(source)
        except (AdapterError, ValueError) as exc:
            log.warning("emulated %s did not open: %s", device, exc)
            await self._close_half_open()
            self.app.report_problem(f"Emulated {device} did not open ({exc}): sets run as a timer only")

    async def _close_half_open(self) -> None:
        """After a failed open: nothing half-connected stays behind (no source, no worker, no radio)."""
        source, worker, emulation = self.source, self.signal, self.emulation
        self.source = self.signal = self.emulation = self.athlete = None
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        if source is not None:
            steps.append(("sensor", lambda: asyncio.wait_for(source.disconnect(), 3.0)))
        if worker is not None:
            steps.append(("signal worker", lambda: asyncio.to_thread(worker.stop)))
        if emulation is not None:
            steps.append(("emulated sensor", emulation.close))
        for what, step in steps:
            try:
                await step()
            except Exception:  # closing what never opened: the log is enough
                log.exception("closing the %s after a failed open failed", what)

    async def _attach_source(self, source: EmgSource) -> None:
        from gymtui.signal.pipeline import PipelineConfig
        from gymtui.signal.worker import SignalWorker

        app = self.app

        def on_frame(frame: ActivationFrame) -> None:
            app.lsl.frame(frame)  # every frame, on the worker's thread (the UI may coalesce them)
            app.post_message(FrameArrived(frame))

        def on_error(text: str) -> None:
            app.post_message(SignalProblem(text))

        def on_link(health: LinkHealth) -> None:
            app.post_message(LinkChanged(source.info.name, health))

        await source.connect()
        # The worker's set-up imports scipy and designs its filters: off the event loop too.
        worker = await asyncio.to_thread(
            SignalWorker,
            source.info,
            WorkerCallbacks(on_frame=on_frame, on_error=on_error),
            PipelineConfig(mains_hz=app.config.mains_hz),
        )
        worker.start()
        self.source, self.signal = source, worker
        if worker.band_note:
            app.notify(worker.band_note, timeout=8)
        await app.lsl.sensor_attached(source)
        await source.start(app.lsl.tee(worker.submit), on_link)

    # -- closing ----------------------------------------------------------------
    async def close(self) -> None:
        """Disconnect the source, close the emulated radio, stop the worker; each step on its own."""
        guarded = self.app.guarded
        if self.source is not None:
            source, self.source = self.source, None
            await guarded("sensor disconnect", asyncio.wait_for, source.disconnect(), 3.0)
        if self.emulation is not None:
            emulation, self.emulation = self.emulation, None
            await guarded("emulated sensor", emulation.close)
        if self.signal is not None:
            signal_worker, self.signal = self.signal, None
            await guarded("signal worker", asyncio.to_thread, signal_worker.stop)

    async def drop_link(self) -> None:
        """ctrl+d with an emulated sensor: the peripheral drops the link, as a radio loss would."""
        if self.emulation is not None:
            await self.emulation.drop_link()

    # -- what the set screen and the set row show -------------------------------------
    def status(self) -> str:
        """The set screen's status line: which sensor, and how its signal is filtered."""
        if self.source is None or self.signal is None:
            return "no sensor: timer and rating only"
        pipe = self.signal.pipeline
        band = pipe.band.note or f"band {pipe.band.low_hz:g}–{pipe.band.high_hz:g} Hz"
        mains = f", {pipe.config.mains_hz:g} Hz notch" if pipe.config.mains_hz else ""
        return f"{self.source.info.name} · {self.source.info.rate_hz:g} Hz · {band}{mains} · RMS {pipe.config.rms_window_s * 1000:.0f} ms"

    def pipeline_report(self) -> dict[str, object]:
        """How the signal was filtered, stored with each set."""
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

    # -- news from the worker and the link ----------------------------------------------
    def frame_arrived(self, frame: ActivationFrame) -> None:
        self.last_frame = frame
        self.frames_shown += 1
        self._unpainted = frame
        self.paint_due()
        self.app.sets.frame_seen(frame)
        self._cue_haptics(frame)

    def paint_due(self) -> None:
        """Hand the newest frame to the set screen if the pacer says one is due (called per frame and per set tick)."""
        frame, screen = self._unpainted, self.app.set_screen
        if frame is None or screen is None or not screen.is_mounted:
            return
        now_s = time.monotonic()
        if not self.pacer.due(now_s):
            return
        self._unpainted = None
        self.pacer.shown(now_s)
        screen.show_frame(frame)
        screen.call_after_refresh(self._painted, screen, now_s)

    def _painted(self, screen: SetScreen, shown_s: float) -> None:
        now_s = time.monotonic()
        self.painted_s.append(now_s)
        if len(self.painted_s) > 600:
            del self.painted_s[:300]
        shown_on, count = self._screen_paints
        count = count + 1 if shown_on == id(screen) else 1
        self._screen_paints = (id(screen), count)
        if count > MOUNT_PAINTS:
            self.pacer.painted(now_s - shown_s)
        if screen.is_mounted:
            screen.show_screen_rate(self.pacer.slow_line())

    def _cue_haptics(self, frame: ActivationFrame) -> None:
        """A new cue in this frame: a short vibration, if the sensor can and the set shows cues."""
        fired = frame.feedback.cues_fired if frame.feedback is not None else 0
        grew, self.cues_seen = fired > self.cues_seen, fired
        source = self.source
        if not grew or not isinstance(source, Vibrates) or not source.can_vibrate:
            return
        if not shows_cues(self.app.sets.feedback):
            return  # a retention set: nothing reaches the athlete until it ends
        if self._buzz is not None and not self._buzz.done():
            return  # the last buzz is still on its way
        self.buzzes += 1
        self._buzz = asyncio.get_running_loop().create_task(source.vibrate(), name="sensor-vibrate")

    def signal_problem(self, text: str) -> None:
        """One line per kind of signal problem, however often the worker repeats it; the set goes on."""
        self.app.report_problem(text, severity="warning", timeout=6)

    def link_changed(self, device: str, health: LinkHealth) -> None:
        app = self.app
        previous, self.link_health = self.link_health, health
        screen = app.set_screen
        if screen is not None and screen.is_mounted:
            screen.show_link(device, health)
        if health.state is LinkState.RECONNECTING:
            app.bell()
        elif previous is not None and previous.state is LinkState.RECONNECTING and health.state is LinkState.CONNECTED:
            app.notify(f"{device} reconnected", timeout=3)
