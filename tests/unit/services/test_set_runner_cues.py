"""The set runner coaches with the exercise's rules and each phase's zone, and stores every cue shown."""

from __future__ import annotations

import queue
from pathlib import Path

from gymtui.model import (
    ChannelInfo,
    Compensator,
    FormCue,
    FormCueKind,
    FormRules,
    MuscleRole,
    PhaseKind,
    SourceInfo,
)
from gymtui.services.set_runner import SetContext, SetRunner, form_rules_for
from gymtui.session.exercises import Exercise, ExerciseLibrary
from gymtui.session.protocol import PhaseSpec, SetProtocol
from gymtui.signal.messages import BeginPhase, BeginSet, WorkerCallbacks
from gymtui.signal.worker import SignalWorker
from gymtui.store import Store, StoreExecutor

RULES = FormRules(compensators=(Compensator("Biceps brachii", "Hands as hooks, elbows to the pockets"),), dwell_s=0.4)
PULLDOWN = Exercise(
    "lat_pulldown", "Lat pulldown", "compound", "upper", "cable", "Latissimus dorsi",
    synergists=("Biceps brachii",), antagonist="Pectoralis major", form=RULES,
)
LIBRARY = ExerciseLibrary({"lat_pulldown": PULLDOWN})
PROTOCOL = SetProtocol(
    "Pulldown with a peak hold",
    "Lat pulldown",
    (
        PhaseSpec(PhaseKind.CONCENTRIC, "Pull", 2.0),
        PhaseSpec(PhaseKind.ISOMETRIC, "Peak hold", 3.0, target_pct_mvc=70, zone_pct=(60.0, 80.0)),
    ),
    lead_in_s=1,
)
SOURCE = SourceInfo(
    "test", (ChannelInfo("Latissimus dorsi", MuscleRole.TARGET), ChannelInfo("Biceps brachii", MuscleRole.SYNERGIST)), 1000.0
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def queued(worker: SignalWorker) -> list[object]:
    """What the runner told a worker that has not started: its commands, in order."""
    out: list[object] = []
    while True:
        try:
            out.append(worker._queue.get_nowait())
        except queue.Empty:
            return out


def test_begin_set_carries_the_exercises_rules_each_phase_its_zone_and_every_cue_is_a_row(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    executor = StoreExecutor(store)
    worker = SignalWorker(SOURCE, WorkerCallbacks(on_frame=lambda frame: None))  # never started: we read its queue
    clock = FakeClock()
    runner = SetRunner(
        PROTOCOL,
        SetContext(athlete_id=store.ensure_athlete("A"), exercise="Lat pulldown", channels=SOURCE.channels),
        clock=clock,
        store=executor,
        signal=worker,
        library=LIBRARY,
    )
    try:
        runner.start()
        for _ in range(8):  # through the lead-in, the pull and into the peak hold, half a second at a time
            clock.now += 0.5
            runner.tick()
        commands = queued(worker)
        [begin] = [c for c in commands if isinstance(c, BeginSet)]
        assert begin.form == RULES
        assert [(p.kind, p.target_pct_mvc, p.zone_pct) for p in commands if isinstance(p, BeginPhase)] == [
            (PhaseKind.CONCENTRIC, None, None),
            (PhaseKind.ISOMETRIC, 70, (60.0, 80.0)),
        ]
        # The worker reports cues on its own thread, with the set's token.
        assert begin.results is not None
        first = FormCue(1.6, FormCueKind.COMPENSATION, 1, "Biceps brachii", 0.41, "Hands as hooks, elbows to the pockets", rep=1)
        second = FormCue(3.9, FormCueKind.CO_CONTRACTION, 2, "Pectoralis major", 34.0, "Relax the pectoralis major")
        begin.results.on_cue(begin.token, first)
        begin.results.on_cue(begin.token, second)
        executor.drain()
        set_id = runner.set_id.result()
        assert [(c["t_s"], c["kind"], c["channel"], c["muscle"], c["value"], c["rep"], c["text"]) for c in store.cues_of(set_id)] == [
            (1.6, "compensation", 1, "Biceps brachii", 0.41, 1, "Hands as hooks, elbows to the pockets"),
            (3.9, "co_contraction", 2, "Pectoralis major", 34.0, None, "Relax the pectoralis major"),
        ]
    finally:
        executor.shutdown()
        store.close()


def test_the_rules_come_from_the_library_by_key_name_or_alias_and_an_unknown_exercise_gets_the_defaults() -> None:
    assert form_rules_for("lat_pulldown", LIBRARY) == RULES
    assert form_rules_for("lat pulldown", LIBRARY) == RULES
    assert form_rules_for("Nordic curl of my own", LIBRARY) is None


def test_a_context_that_carries_rules_wins_over_the_library(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    executor = StoreExecutor(store)
    worker = SignalWorker(SOURCE, WorkerCallbacks(on_frame=lambda frame: None))
    own = FormRules(min_target_share=0.6, clear_target_share=0.65)
    runner = SetRunner(
        PROTOCOL,
        SetContext(athlete_id=store.ensure_athlete("A"), exercise="Lat pulldown", channels=SOURCE.channels, form=own),
        clock=FakeClock(),
        store=executor,
        signal=worker,
        library=LIBRARY,
    )
    try:
        runner.start()
        [begin] = [c for c in queued(worker) if isinstance(c, BeginSet)]
        assert begin.form == own
    finally:
        executor.shutdown()
        store.close()
