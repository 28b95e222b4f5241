"""The app's sensor side: open the demo, emulated or BLE source, run its worker, show its news.

A mixin of :class:`gymtui.app.GymApp`, kept apart so the app module holds
the set flow and this one holds the sensor. It draws nothing itself: it hands
frames and link changes to the set screen.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gymtui.adapters.base import AdapterError, EmgSource
from gymtui.model import ChannelInfo, LinkState, MuscleRole
from gymtui.signal.messages import WorkerCallbacks
from gymtui.ui.messages import FrameArrived, LinkChanged, SignalProblem

log = logging.getLogger(__name__)

DEMO_RATE_HZ = 1000.0
DEMO_ROLES = (MuscleRole.TARGET, MuscleRole.SYNERGIST, MuscleRole.ANTAGONIST, MuscleRole.SYNERGIST)


def demo_channels(n: int = 4) -> tuple[ChannelInfo, ...]:
    """The demo sensor's channels before a set names their muscles (the first four have roles)."""
    return tuple(
        ChannelInfo(f"Channel {i + 1}", DEMO_ROLES[i] if i < len(DEMO_ROLES) else MuscleRole.OTHER) for i in range(n)
    )


class SensorControl:
    """Sensor wiring for :class:`~gymtui.app.GymApp` (which provides the state it uses)."""

    async def _open_sensor(self) -> None:
        """Open the sensor; one that fails leaves the app up, as a timer, and says why in one line."""
        try:
            if self.config.emulate:
                await self._open_emulated_source(self.config.emulate)
            elif self.config.demo:
                await self._open_demo_source()
        except Exception as exc:  # a sensor that will not open must not take the app down
            log.exception("the sensor did not open")
            await self._close_half_open_sensor()
            self.report_problem(f"The sensor did not open ({exc}): sets run as a timer only")
        finally:
            self.sensor_ready.set()
        refresh = getattr(self.screen_stack[-1] if self.screen_stack else None, "refresh_info", None)
        if refresh is not None and self.source is not None:
            refresh()

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
        except (AdapterError, ValueError) as exc:
            log.warning("emulated %s did not open: %s", device, exc)
            await self._close_half_open_sensor()
            self.report_problem(f"Emulated {device} did not open ({exc}): sets run as a timer only")

    async def _close_half_open_sensor(self) -> None:
        """After a failed open: nothing half-connected stays behind (no source, no worker, no radio)."""
        source, worker, emulation = self.source, self.signal, self.emulation
        self.source = self.signal = self.emulation = self.demo_athlete = None
        steps: list[tuple[str, Any]] = []
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

    async def drop_sensor_link(self) -> None:
        """ctrl+d with an emulated sensor: the peripheral drops the link, as a radio loss would."""
        if self.emulation is not None:
            await self.emulation.drop_link()

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

    def on_frame_arrived(self, message: FrameArrived) -> None:
        self.last_frame = message.frame
        self.frames_shown += 1
        if self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_frame(message.frame)

    def on_signal_problem(self, message: SignalProblem) -> None:
        """One line per kind of signal problem, however often the worker repeats it; the set goes on."""
        self.report_problem(message.text, severity="warning", timeout=6)

    def on_link_changed(self, message: LinkChanged) -> None:
        previous, self.link_health = self.link_health, message.health
        if self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_link(message.device, message.health)
        if message.health.state is LinkState.RECONNECTING:
            self.bell()
        elif previous is not None and previous.state is LinkState.RECONNECTING and message.health.state is LinkState.CONNECTED:
            self.notify(f"{message.device} reconnected", timeout=3)
