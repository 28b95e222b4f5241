"""The set flow: begin a set, drive its runner each tick, pause, abort, ask the rating, go home.

Owned by :class:`gymtui.app.GymApp`. It holds the current
:class:`~gymtui.services.set_runner.SetRunner` and the screens of the set
in progress; the app forwards the set screen's and rating's messages here.
The cuff follows every engine event before anything is drawn.

Each set's feedback mode (live bars, cues only, or a dark retention set)
comes from the faded-feedback schedule (:mod:`gymtui.session.feedback`):
the set screen shows that much, the set's row stores it, and after a
retention set the rating screen shows the replay gathered from the frames
seen during the set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from typing import TYPE_CHECKING

from gymtui.model import ActivationFrame, ChannelInfo, MuscleRole
from gymtui.services.set_runner import (
    CalibrationStored,
    Notice,
    SetContext,
    SetRunner,
    SetSummaryReady,
    StoreFailed,
)
from gymtui.session.engine import Cue, Event, SetAborted, SetCompleted, SetFinished
from gymtui.session.feedback import FeedbackMode, set_feedback
from gymtui.session.guardrails import ActivationClock
from gymtui.session.mvc import mvc_holds
from gymtui.session.protocol import SetProtocol
from gymtui.session.templates import WorkflowPhase
from gymtui.signal.messages import ApplyCalibration
from gymtui.store import StoreUnavailable
from gymtui.ui.messages import RunnerNotice
from gymtui.ui.widgets.set_replay import Replay, ReplayTrace, SetReplay

if TYPE_CHECKING:
    from textual.timer import Timer

    from gymtui.app import GymApp
    from gymtui.session.autoreg import Suggestion
    from gymtui.session.engine import SetEngine
    from gymtui.session.lifted import Lifted, LiftedDraft
    from gymtui.session.templates import PlannedSet
    from gymtui.ui.screens.rating import RatingScreen
    from gymtui.ui.screens.set_screen import SetScreen

log = logging.getLogger(__name__)

SUMMARIES_KEPT = 10
"""Set summaries kept for the autoregulation check, which only asks about the set just rated."""

WORKING_WEIGHT_NOTE = "your working weight, as entered"
"""The note of a set whose load the athlete typed before it (stored as an entered load)."""

TICK_S = 1 / 30
"""How often a running set's clock is read and its screen redrawn."""


def label_channels(
    device: tuple[ChannelInfo, ...], protocol: SetProtocol, *, keep_names: bool = False
) -> tuple[ChannelInfo, ...]:
    """The device's channels, named after the set's muscles where the set names them.

    ``keep_names``: the source names its own channels (a replayed recording's
    labels, an LSL stream's): they stay, and only the roles come from the set.
    """
    if not device:
        return ()
    labelled = []
    for i, channel in enumerate(device):
        if i < len(protocol.muscles):
            muscle, role = protocol.muscles[i]
            labelled.append(ChannelInfo(channel.muscle if keep_names else muscle, MuscleRole(role), channel.unit))
        else:
            labelled.append(channel)
    return tuple(labelled)


def _names_channels(source: object) -> bool:
    """Whether a source's channel names are its muscles' (``names_channels``, an LSL stream's labels)."""
    return bool(getattr(source, "names_channels", False))


def target_channel(channels: tuple[ChannelInfo, ...]) -> int:
    """The channel a retention set's replay follows: the set's target muscle (else the first channel)."""
    return next((i for i, c in enumerate(channels) if c.role is MuscleRole.TARGET), 0)


class SetFlow:
    """One set at a time, from Enter on the home screen back to the home screen."""

    def __init__(self, app: GymApp) -> None:
        self.app = app
        self.runner: SetRunner | None = None
        self.planned: PlannedSet | None = None
        """The planned set running now (None for a quick set)."""
        self.session_id: int | None = None
        """The training session, opened with the first planned set."""
        self.calibration_id: int | None = None
        self.fresh_mvc = False
        """Home ``m``: the next set starts with the MVC phase, whatever MVC is stored (electrodes re-applied)."""
        self.set_screen: SetScreen | None = None
        self.rating_screen: RatingScreen | None = None
        self.next_override: PlannedSet | None = None
        """"Same as last time" for the next set."""
        self.ramps: dict[str, tuple[float, int]] = {}
        """Exercises being found with ramp-up sets: the next ramp-up load (kg) and set number."""
        self.pending_suggestions: dict[str, tuple[Suggestion, bool]] = {}
        """Autoregulation offers by exercise, and whether the athlete took each: the next set *of that exercise* carries it."""
        self._applied: tuple[Suggestion, bool] | None = None
        """The offer the set being started answers (linked to its row once the row exists)."""
        self.summaries: dict[int, SetSummaryReady] = {}
        """The newest :data:`SUMMARIES_KEPT` set summaries, oldest first."""
        self.cuff_occludes = False
        """Whether the set running now is a BFR set (the only sets the cuff inflates for)."""
        self._leave_after_rating = False
        self._prompt_open = False
        """The 80 % rule's question is on screen: the set screen waits for the answer before going home."""
        self._starting = False
        self._ticker: Timer | None = None
        self._activation = ActivationClock()
        self.feedback = FeedbackMode.LIVE
        """What the set running now shows of the EMG (its row's ``feedback``)."""
        self._retained: dict[int | None, set[str]] = {}
        """Exercises whose retention set completed, by training session (one test per exercise a session)."""
        self._trace: ReplayTrace | None = None
        """A retention set's target channel, gathered from the frames for its replay."""
        self.replay: Replay | None = None
        """The last retention set's replay, as the rating screen shows it."""

    def mount(self) -> None:
        """The tick timer, paused until a set runs."""
        self._ticker = self.app.set_interval(TICK_S, self._tick, pause=True)

    def engine(self) -> SetEngine | None:
        """The running set's engine, for the set screen's key checks."""
        return self.runner.engine if self.runner is not None else None

    # -- beginning ----------------------------------------------------------------
    async def begin(self, *, quick: bool = False, bfr: bool = False, planned: PlannedSet | None = None) -> None:
        """Enter: the next planned set (``f``: the quick Phase 4 finisher; ``B``: the quick BFR set;
        ``planned``: this one of today's sets), calibrating first if needed."""
        app = self.app
        if self._starting or (self.runner is not None and self.runner.engine.running):
            return  # Enter pressed twice while the sensor is connecting starts one set
        assert app.athlete_id is not None and app.coach is not None
        self._starting = True
        try:
            await app.sensor.ready.wait()  # Enter pressed while the sensor is still connecting
            if app.store_exec.unavailable is not None:
                app.report_problem(f"{app.store_exec.status_line()}: the next set starts when the database is back")
                return
            await self._begin(quick=quick or bfr, bfr=bfr, chosen=planned)
        except (StoreUnavailable, sqlite3.Error) as exc:
            log.warning("set not started: %s", exc)
            app.report_problem(f"Database unavailable ({exc}): the set was not started")
        finally:
            self._starting = False

    async def _begin(self, *, quick: bool, bfr: bool = False, chosen: PlannedSet | None = None) -> None:
        app = self.app
        coach = app.coach
        assert app.athlete_id is not None and coach is not None
        if app.home is None:  # or before the home screen finished reading the plan
            await app.home_info()
        home = app.home
        planned = None if quick else (chosen or (home.next_set if home else None))
        override, self.next_override = self.next_override, None
        if planned is not None and override is not None and (override.exercise, override.set_number) == (
            planned.exercise,
            planned.set_number,
        ):
            planned = override
        if planned is None and not quick:
            app.notify("Nothing more is planned today: f runs a Phase 4 finisher", timeout=5)
            return
        self._applied = None
        pending = self.pending_suggestions.get(planned.exercise) if planned is not None else None
        if planned is not None and pending is not None:
            suggestion, taken = pending
            # Only a later set of the same exercise: a pull-up in between keeps its own numbers.
            if suggestion.applies_to(planned):
                self._applied = self.pending_suggestions.pop(planned.exercise)
                if taken:
                    from gymtui.session.autoreg import apply

                    planned = apply(planned, suggestion, coach.gym)
        if planned is not None:
            planned = await self._ask_working_weight(planned)
        quick_bfr = await app.cuff.quick_bfr_set() if bfr else None
        if bfr and quick_bfr is None:
            app.notify("A quick BFR set needs a connected cuff (--cuff arm|leg)", timeout=5)
            return
        protocol = planned.protocol if planned is not None else quick_bfr.protocol if quick_bfr else app.quick_protocol
        self.cuff_occludes = app.cuff.occludes(planned, quick_bfr=quick_bfr is not None)
        is_drill = planned is not None and planned.workflow_phase is WorkflowPhase.ACTIVATION
        drills = self._activation.set_starting(is_drill, app.clock())
        if drills.fired:
            app.notify(drills.message, severity="warning", timeout=10)
        source = app.sensor.source
        channels = label_channels(
            source.info.channels if source else (), protocol, keep_names=_names_channels(source)
        )
        calibrate = await self._prepare_calibration(channels)
        status = home.plan.status if home and home.plan else None
        if planned is not None:
            # Today's open session, or a new one with the day's sets fixed in order.
            self.session_id = await app.in_store(coach.start_session, status)
        self.feedback = set_feedback(
            status, planned, self._retained.get(self.session_id, set()), sensor=app.sensor.signal is not None
        )
        self._trace = (
            ReplayTrace(target_channel(channels), channels[target_channel(channels)].muscle if channels else "")
            if self.feedback is FeedbackMode.RETENTION
            else None
        )
        self.replay = None
        athlete = app.sensor.athlete
        if athlete is not None and channels:
            athlete.roles = tuple(c.role for c in channels)

        from gymtui.ui.screens.set_screen import SetScreen

        self.planned = planned
        if home is not None and home.disclaimer:
            # Shown once: on the home screen until the athlete starts training.
            app.store_exec.submit(coach.acknowledge_disclaimer)
        self._leave_after_rating = False
        if planned is not None:
            subtitle = planned.headline()
        elif quick_bfr is not None:
            subtitle = f"{quick_bfr.headline()} (quick set)"
        else:
            subtitle = f"{protocol.name} (quick set)"
        screen = SetScreen(
            protocol,
            channels,
            subtitle,
            controls=self,
            emulated=app.sensor.emulation is not None,
            cuff=app.cuff.rig is not None,
            demo_cuff=app.cuff.rig is not None and app.cuff.rig.can_drop_link,
            intent=planned is not None and planned.is_heavy,
            feedback=self.feedback.value,
        )
        self.set_screen = screen
        await app.push_screen(screen)
        screen.show_status(app.sensor.status())
        screen.show_store(app.store_exec.status_line())
        at = app.lsl.now()  # the app's clock, for the LSL markers: the moment before the start's cues ring and flash
        self.dispatch(self._start_runner(protocol, channels, planned, calibrate, at), at=at)
        if self._ticker is not None:
            self._ticker.resume()

    async def _ask_working_weight(self, planned: PlannedSet) -> PlannedSet:
        """The first time a loaded exercise comes up with nothing logged: ask its working weight, once.

        Or the athlete finds it: while a ramp-up is under way, this set
        becomes the next ramp-up set of 5 instead.
        """
        app = self.app
        coach = app.coach
        assert coach is not None
        from gymtui.session.rampup import first_ramp_kg, ramp_set

        if planned.exercise in self.ramps:
            load_kg, number = self.ramps[planned.exercise]
            return ramp_set(planned, load_kg, number, coach.gym)
        from gymtui.services.loads import needs_working_weight

        if not await app.in_store(needs_working_weight, app.store, app.athlete_id, planned):
            return planned
        from gymtui.session.loads import Load
        from gymtui.ui.screens.working_weight import FIND_IT, WorkingWeightScreen

        answer: asyncio.Future[float | str | None] = asyncio.get_running_loop().create_future()

        def answered(kg: float | str | None) -> None:
            if not answer.done():
                answer.set_result(kg)

        await app.push_screen(WorkingWeightScreen(planned.exercise, planned.reps, planned.equipment, coach.gym), answered)
        kg = await answer
        if kg == FIND_IT:
            self.ramps[planned.exercise] = (first_ramp_kg(planned.equipment, coach.gym), 1)
            return ramp_set(planned, self.ramps[planned.exercise][0], 1, coach.gym)
        if not isinstance(kg, float):
            return planned
        return planned.with_load(Load(kg, kg, unit=coach.gym.unit), note=WORKING_WEIGHT_NOTE)

    def _ask_bar_speed(self, planned: PlannedSet, lifted: Lifted | None) -> None:
        """After a ramp-up set: did the bar slow? Yes ends the ramp (the log now has the load); no goes heavier."""
        from gymtui.session.rampup import next_ramp_kg
        from gymtui.ui.screens.confirm import ConfirmScreen

        app, coach = self.app, self.app.coach
        assert coach is not None
        load_kg = lifted.load_kg if lifted is not None and lifted.load_kg is not None else planned.load_kg or 0.0

        def answered(slowed: bool | None) -> None:
            self._prompt_open = False
            if slowed:
                self.ramps.pop(planned.exercise, None)
                app.notify(f"{planned.exercise}: found. Its loads now come from these sets.", timeout=5)
            else:
                self.ramps[planned.exercise] = (next_ramp_kg(load_kg, planned.equipment, coach.gym), planned.set_number + 1)
            if self._leave_after_rating:
                app.call_later(self._leave_set_screen, when_rated=False)

        self._prompt_open = True
        app.push_screen(
            ConfirmScreen(
                f"Ramp-up set {planned.set_number} of {planned.exercise} at {coach.gym.show(load_kg)}: did the bar slow down? (y / n)\n"
                f"n: the next set of 5 at {coach.gym.show(next_ramp_kg(load_kg, planned.equipment, coach.gym))}."
            ),
            answered,
        )

    async def _prepare_calibration(self, channels: tuple[ChannelInfo, ...]) -> bool:
        """Apply an MVC of this electrode application for these muscles, or ask for a calibration phase.

        An MVC holds for the session it was taken in and for the app's
        ``mvc_holds_for`` after it (:mod:`gymtui.session.mvc`); an older one
        describes electrodes that are no longer on the skin, so the set
        starts with the MVC phase. Home ``m`` asks for one in any case.
        """
        app = self.app
        signal, source = app.sensor.signal, app.sensor.source
        if signal is None or source is None:
            return False
        stored = None
        if not self.fresh_mvc:
            now = dt.datetime.now().astimezone()
            holds_for = app.config.mvc_holds_for

            def holds(taken_at: dt.datetime, same_session: bool) -> bool:
                return mvc_holds(taken_at, now, same_session=same_session, holds_for=holds_for)

            stored = await app.in_store(
                app.store.latest_mvc,
                app.athlete_id,
                source.info.name,
                [c.muscle for c in channels],
                holds=holds,
                session_id=self.session_id,
            )
        self.fresh_mvc = False
        if stored is None:
            self.calibration_id = None
            signal.command(ApplyCalibration(None))
            return True
        self.calibration_id, calibration = stored
        signal.command(ApplyCalibration(calibration))
        return False

    def switch_athlete(self, session_id: int | None) -> int | None:
        """Another athlete trains now: their open session (or None), and nothing of this one's set state.

        Returns the open session of the athlete leaving, kept for when they
        come back (lifters share a rack and alternate sets).
        """
        leaving = self.session_id
        self.session_id = session_id
        self.calibration_id = None
        self.fresh_mvc = False
        self.next_override = None
        self.pending_suggestions = {}
        self._applied = None
        self._activation = ActivationClock()
        return leaving

    def _start_runner(
        self,
        protocol: SetProtocol,
        channels: tuple[ChannelInfo, ...],
        planned: PlannedSet | None,
        calibrate: bool,
        at: float | None = None,
    ) -> list[Event]:
        app = self.app
        coach, athlete_id = app.coach, app.athlete_id
        assert athlete_id is not None and coach is not None
        source, athlete = app.sensor.source, app.sensor.athlete

        def notify(notice: Notice) -> None:
            app.post_message(RunnerNotice(notice))

        runner = SetRunner(
            protocol,
            SetContext(
                athlete_id=athlete_id,
                exercise=planned.exercise if planned is not None else protocol.exercise,
                session_id=self.session_id,
                load_kg=planned.load_kg if planned is not None else None,
                channels=channels,
                source_name=source.info.name if source else "",
                calibration_id=None if calibrate else self.calibration_id,
                pipeline=app.sensor.pipeline_report(),
                # A planned set's row carries its plan columns, written in the same insert.
                row_fields={**self._row_fields(planned), "feedback": self.feedback.value},
                # A source that names its channels keeps its names in the row (an LSL stream's labels).
                channel_rows=planned.channel_dicts() if planned is not None and not _names_channels(source) else None,
                reps=planned.reps if planned is not None else None,
                count_reps=planned is not None and planned.workflow_phase is not WorkflowPhase.ACTIVATION,
            ),
            clock=app.clock,
            store=app.store_exec,
            signal=app.sensor.signal,
            calibrate=calibrate,
            cue_sink=app.cue,
            on_intent=athlete.set_intent if athlete is not None else None,
            notify=notify,
            stamp=coach.stamp,
            library=coach.library,  # the coach's loaded library: the form rules without a second read
            on_form_cue=app.lsl.form_cue,
        )
        self.runner = runner
        events = runner.start()
        rig = app.cuff.rig
        if rig is not None:
            rig.set_started(runner.protocol, bfr=self.cuff_occludes)
        app.lsl.set_started(runner, channels, at)  # after the cuff has its news
        app.gym.set_started(runner)
        if self._applied is not None and runner.set_id is not None:
            # The suggestion points at the set of the same exercise it was made for.
            suggestion, taken = self._applied
            self._applied = None
            set_id = runner.set_id
            app.store_exec.submit(lambda: coach.answer(suggestion, taken, set_id.result()))
        return events

    @staticmethod
    def _row_fields(planned: PlannedSet | None) -> dict[str, object]:
        """A planned set's plan columns; a load the athlete typed before the set is marked as entered."""
        if planned is None:
            return {}
        fields = planned.log_fields()
        if planned.load is not None and planned.note == WORKING_WEIGHT_NOTE:
            fields["load_source"] = "entered"
        return fields

    # -- the set screen's keys ---------------------------------------------------------
    def advance(self) -> None:
        if self.runner is not None:
            at = self.app.lsl.now()
            self.dispatch(self.runner.advance(), at=at)

    def abort(self, *, reason: str | None = None) -> None:
        if self.runner is not None:
            self.dispatch(self.runner.abort(), abort_reason=reason)  # the markers' time read after the cuff's deflate

    def adjust_rest(self, delta_s: float) -> None:
        runner = self.runner
        if runner is not None and runner.engine.adjust_rest(delta_s):
            rig, remaining_s = self.app.cuff.rig, runner.engine.view().remaining_s
            if rig is not None and remaining_s is not None:
                rig.rest_moved(self.app.clock() + remaining_s)
            self.render()

    def toggle_pause(self) -> None:
        runner, rig = self.runner, self.app.cuff.rig
        if runner is None:
            return
        if runner.engine.paused:
            if rig is not None:
                rig.resumed()
            at = self.app.lsl.now()
            self.dispatch(runner.resume(), at=at)
        else:
            runner.pause()
            if rig is not None:
                rig.paused()
            self.render()

    async def drop_link(self) -> None:
        """ctrl+d with an emulated sensor: its link drops mid-set."""
        await self.app.sensor.drop_link()

    def drop_cuff_link(self) -> None:
        """ctrl+k with the demo's cuff: its link drops mid-set (the supervisor alarms and deflates)."""
        rig = self.app.cuff.rig
        if rig is not None:
            rig.drop_link()

    async def abort_for_shutdown(self, reason: str) -> None:
        """A way out with a set running: abort it, and the cuff follows before anything else."""
        if self.runner is None or not self.runner.engine.running:
            return
        events = self.runner.abort()
        rig = self.app.cuff.rig
        if rig is not None:
            await self.app.guarded("cuff follows the abort", rig.follow, events, abort_reason=reason)
        self.app.lsl.events(events)
        self.app.gym.events(events)

    # -- ticks and events ---------------------------------------------------------------
    def _tick(self) -> None:
        if self.runner is None or not self.runner.engine.running:
            if self._ticker is not None:
                self._ticker.pause()
            return
        at = self.app.lsl.now()
        self.dispatch(self.runner.tick(), at=at)
        self.app.sensor.paint_due()  # a frame held back by the screen's rate goes out on time

    def dispatch(self, events: list[Event], *, abort_reason: str | None = None, at: float | None = None) -> None:
        """React to engine events (the cuff follows every one), then redraw the set screen.

        ``at``: the app's clock read just before the runner handled them (the
        moment its phase stamps are taken), for their LSL markers.
        """
        rig = self.app.cuff.rig
        if rig is not None and events:
            rig.follow(events, abort_reason=abort_reason)
        self.app.lsl.events(events, at)
        self.app.gym.events(events)
        for event in events:
            if isinstance(event, Cue) and self.set_screen is not None and self.set_screen.is_mounted:
                self.set_screen.show_cue(event)
            elif isinstance(event, SetCompleted):
                self._mark_planned_done()
                self._retention_done()
                self._ask_rating()
            elif isinstance(event, SetFinished):
                self._leave_set_screen(when_rated=True)
            elif isinstance(event, SetAborted):
                self._leave_set_screen(when_rated=False)
        self.render()

    def frame_seen(self, frame: ActivationFrame) -> None:
        """A frame during the set: a retention set keeps its target channel for the replay."""
        if self._trace is not None and self.runner is not None and self.runner.engine.running:
            self._trace.add(frame)

    def _retention_done(self) -> None:
        """A retention set completed: its exercise is tested for this session, and its replay is ready."""
        if self.feedback is not FeedbackMode.RETENTION:
            return
        if self.planned is not None:
            self._retained.setdefault(self.session_id, set()).add(self.planned.exercise)
        if self._trace is not None:
            self.replay, self._trace = self._trace.replay(), None

    def render(self) -> None:
        if self.runner is not None and self.set_screen is not None and self.set_screen.is_mounted:
            self.set_screen.show_view(self.runner.engine.view(), len(self.runner.protocol.phases))

    def _mark_planned_done(self) -> None:
        """A planned set completed: its place in today's sequence is done (the next Enter offers the one after)."""
        coach, runner, planned, session_id = self.app.coach, self.runner, self.planned, self.session_id
        if coach is None or runner is None or planned is None or runner.set_id is None:
            return
        set_id = runner.set_id
        self.app.store_exec.submit(lambda: coach.set_completed(session_id, planned, set_id.result()))

    # -- rating and the way home --------------------------------------------------------
    def _ask_rating(self) -> None:
        from gymtui.ui.screens.rating import RatingScreen

        app = self.app
        runner, planned = self.runner, self.planned
        assert runner is not None and runner.set_id is not None
        draft = self._draft(planned)
        from gymtui.ui.screens.rating import EmgSummary

        replay = self.replay if self.feedback is FeedbackMode.RETENTION else None
        self.rating_screen = RatingScreen(
            runner.protocol.exercise, app.home.last_rating if app.home else None, draft=draft,
            emg=EmgSummary.COMING if app.sensor.signal is not None else EmgSummary.NO_SENSOR,
            feedback=self.set_screen.feedback_summary() if self.set_screen is not None else None,
            replay=SetReplay(replay) if replay is not None else None,
        )
        screen = self.rating_screen

        def rated(rating: int | None) -> None:
            self.rating_screen = None
            lifted = screen.lifted
            if lifted is not None:
                runner.record_lifted(lifted)
            if rating is not None:
                runner.rate(rating)
                app.lsl.rated(rating)
                app.gym.rated(rating)
                if app.store_exec.unavailable is None:
                    app.notify(f"Activation {rating}/10 saved", timeout=3)
                else:
                    app.notify(f"Activation {rating}/10 kept: saved when the database is back", timeout=5)
            if planned is not None and planned.workflow_phase is WorkflowPhase.RAMP_UP:
                if rating is not None or lifted is not None:  # skipped (Esc): the same ramp-up load next time
                    self._ask_bar_speed(planned, lifted)
            elif planned is not None:
                self._check_autoregulation(runner, planned, rating, lifted)
            if self._leave_after_rating and not self._prompt_open:  # an open question leaves once answered
                self._leave_set_screen(when_rated=False)

        app.push_screen(self.rating_screen, rated)

    def _draft(self, planned: PlannedSet | None) -> LiftedDraft | None:
        """What the rating screen asks about what was lifted: nothing for a drill or a quick set."""
        coach = self.app.coach
        if planned is None or coach is None or planned.workflow_phase is WorkflowPhase.ACTIVATION:
            return None
        from gymtui.session.lifted import draft_for

        entered = planned.note == WORKING_WEIGHT_NOTE
        return draft_for(
            planned.load_kg, planned.reps, planned.equipment, coach.gym, load_source="entered" if entered else "planned"
        )

    def _check_autoregulation(
        self, runner: SetRunner, planned: PlannedSet, rating: int | None, lifted: Lifted | None = None
    ) -> None:
        """The guide's 80 % rule after a heavy set: say which rule fired and offer the next set of it 10 % lighter."""
        app = self.app
        coach = app.coach
        set_id = runner.set_id
        assert coach is not None and set_id is not None

        async def check() -> None:
            try:
                ready = self.summaries.get(await asyncio.wrap_future(set_id))
                summary = ready.summary if ready is not None else {}
                suggestion = await app.in_store(coach.after_set, planned, set_id.result(), summary, rating, lifted)
            except (StoreUnavailable, sqlite3.Error) as exc:
                log.warning("no load suggestion after this set: %s", exc)
                return
            if suggestion is None:
                return
            from gymtui.ui.screens.confirm import ConfirmScreen

            def answered(taken: bool | None) -> None:
                # Stored now; linked to the next set of this exercise when it starts.
                self._prompt_open = False
                self.pending_suggestions[suggestion.exercise] = (suggestion, bool(taken))
                app.store_exec.submit(coach.answer, suggestion, bool(taken), None)
                if self._leave_after_rating:
                    app.call_later(self._leave_set_screen, when_rated=False)

            self._prompt_open = True
            app.push_screen(ConfirmScreen(suggestion.prompt()), answered)

        app.run_worker(check(), group="autoregulation")

    def _leave_set_screen(self, *, when_rated: bool) -> None:
        """Back to home; after a finished rest, wait for a rating still on screen."""
        app = self.app
        if when_rated and (self.rating_screen is not None or self._prompt_open):
            # The rest ran out while the athlete is still answering: home after the answer.
            self._leave_after_rating = True
            return
        if self.rating_screen is not None:
            self.rating_screen.dismiss(None)
            self.rating_screen = None
        if self.set_screen is not None and self.runner is not None:
            app.gym.set_left(self.runner)  # every write of the set is queued: the gym gets the whole of it
        if self.set_screen is not None and self.set_screen in app.screen_stack:
            while app.screen is not self.set_screen:
                app.pop_screen()
            app.pop_screen()
        self.set_screen = None
        if self._ticker is not None:
            self._ticker.pause()

    # -- news from the runner's threads -------------------------------------------------
    def notice(self, notice: Notice) -> None:
        app = self.app
        if isinstance(notice, SetSummaryReady):
            self.summaries[notice.set_id] = notice
            while len(self.summaries) > SUMMARIES_KEPT:
                del self.summaries[next(iter(self.summaries))]
            if self.rating_screen is not None and self.rating_screen.is_mounted:
                self.rating_screen.summary = notice.summary
            app.lsl.summary(notice)
            app.gym.summary(notice)
        elif isinstance(notice, CalibrationStored):
            self.calibration_id = notice.calibration_id
            app.notify("MVC calibration stored", timeout=3)
        elif isinstance(notice, StoreFailed):
            app.report_problem(notice.message)

