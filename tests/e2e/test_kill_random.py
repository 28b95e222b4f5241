"""SIGKILL at random instants of a set, and right at its phase boundaries: what the README promises holds.

Each kill point is its own ``python -m gymtui --demo`` on a pty and its own
database, which holds the athlete and an MVC taken earlier with the demo
sensor (so the set has no calibration phase: a starved demo can hand a
150 ms calibration no signal, and that is not what is tested here). ``f``
starts the finisher and the app is killed at an instant drawn from a seeded
RNG — some anywhere in the set (its rest included), most right at a phase's
due end or a few milliseconds after it, while the finished phase is on its
way to the store.

When each phase was due to end comes from the protocol and the engine (the
demo clock runs ``SPEED`` times faster than the wall), counted from the set's
start: the set row's ``started_at``, tightened by every stored phase's
``ended_at`` (a phase cannot have been noticed ending before it was due).
After the kill, every phase due to end more than ``PROMISE_S`` before it
must be stored, in order, as the protocol has it, and the next start must
mark the set interrupted and offer it (or, killed in the rest after the
last work phase, find it completed). While waiting for the kill the test
also watches each phase's row arrive: every window (due end → commit
visible to a reader) must be inside the promise too, and the figures are
printed (``-s``).
"""

from __future__ import annotations

import concurrent.futures
import random
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from app_process import AppProcess, monotonic_of, query

from gymtui.adapters.demo import DemoEmgSource
from gymtui.app import label_channels
from gymtui.model import Calibration
from gymtui.session.engine import PhaseEnded, SetEngine
from gymtui.session.protocol import SetProtocol, builtin_protocol
from gymtui.store import SetStatus, Store
from gymtui.ui.controllers.sensors import demo_channels

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SPEED = 20.0
"""The demo clock's speed: the finisher's 122 s (lead-ins and rest included) take 6.1 s of wall time."""
PROMISE_S = 2.0
"""README: "After a SIGKILL every phase that ended more than 2 s before the kill is in the database".

Measured here (due end → commit), 21 kills a run (13 now, to keep the suite short): p50 73–93 ms, max 0.69–0.73 s on the shared
machine; with both cores busy as well, p50 0.11–0.17 s, max 0.44–1.71 s.
"""
SEED = 20_261_130
AFTER_END_S = (0.0, 0.03)
"""Kill points per phase: right at its due end, then while its row is on its way (a few ms later, plus jitter)."""
ANYWHERE = 5
"""Kill points anywhere from the set's start to just past its rest."""
CONCURRENT = 2
"""Runs at a time: a run is mostly start-up (imports, the simulated sensor), and there are two cores."""
CHANNELS = 1
"""One simulated channel: the kill does not care how many, and the CPU is shared."""
APP_ARGS = ("--demo", "--channels", str(CHANNELS), "--speed", f"{SPEED:g}")


@dataclass(frozen=True)
class KillPoint:
    offset_s: float
    """Wall seconds after the set's start."""
    why: str


@dataclass
class Outcome:
    point: KillPoint
    returncode: int
    kill_s: float
    """Just before the signal, wall seconds after the set's start (the app can have done nothing after it)."""
    set_id: int
    status: str
    """The set's status as the dead process left it."""
    rows: list[dict[str, object]]
    noticed_s: dict[int, float] = field(default_factory=dict)
    """Phase index → from its due end to the app noticing it (its ``ended_at``)."""
    committed_s: dict[int, float] = field(default_factory=dict)
    """Phase index → from its due end to its row being visible to another reader."""
    recovered: list[int] = field(default_factory=list)
    offered: list[tuple[int, int]] = field(default_factory=list)


def the_protocol() -> SetProtocol:
    """What ``f`` runs once the demo sensor has an MVC for the finisher's muscles."""
    return builtin_protocol("finisher")


def with_an_mvc(db: Path, protocol: SetProtocol) -> None:
    """A database where the demo athlete calibrated the demo sensor on these muscles before."""
    sensor = DemoEmgSource(demo_channels(CHANNELS))
    muscles = tuple(c.muscle for c in label_channels(sensor.info.channels, protocol))
    store = Store(db)
    try:
        athlete = store.ensure_athlete("Demo athlete")
        store.save_mvc(athlete, Calibration((420.0,) * CHANNELS, 0.1, sensor.info.name, muscles))
    finally:
        store.close()


def due_ends_s(protocol: SetProtocol) -> list[float]:
    """Each phase's due end in set seconds, as the engine schedules it (lead-ins included)."""
    now = [0.0]
    engine = SetEngine(protocol, lambda: now[0])
    engine.start()
    now[0] = 1e9
    return [e.at_s for e in engine.tick() if isinstance(e, PhaseEnded)]


def kill_points(ends_wall_s: list[float], rng: random.Random) -> list[KillPoint]:
    points = [
        KillPoint(end + after + (rng.uniform(0, 0.02) if after else 0.0), f"{after * 1000:.0f}+ ms after phase {i}'s end")
        for i, end in enumerate(ends_wall_s)
        for after in AFTER_END_S
    ]
    points += [KillPoint(rng.uniform(0, ends_wall_s[-1] + 0.3), "anywhere") for _ in range(ANYWHERE)]
    rng.shuffle(points)
    return points


def start_the_finisher(app: AppProcess, db: Path) -> tuple[int, float]:
    """Press ``f`` once the demo sensor is up; the set's id and start (on ``time.monotonic()``)."""
    app.wait_for(lambda: app.saw(b"Demo EMG"), 120, "the demo sensor on the home screen")
    for _ in range(3):  # a key that lands while the app is still settling can be lost: press again
        app.press(b"f")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not query(db, "SELECT id FROM sets"):
            assert app.proc.poll() is None, app.tail()
            app.drain(0.002)
        if rows := query(db, "SELECT id, started_at FROM sets"):
            [(set_id, started_at)] = rows
            return set_id, monotonic_of(started_at)
    raise AssertionError(f"the finisher never started: {app.tail()}")


def run_one(db: Path, point: KillPoint, ends_wall_s: list[float], apps: list[AppProcess]) -> Outcome:
    with_an_mvc(db, the_protocol())
    with AppProcess([*APP_ARGS, "--db", str(db)]) as app:
        apps.append(app)
        set_id, start = start_the_finisher(app, db)
        seen: dict[int, float] = {}
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            target = start + point.offset_s
            while (now := time.monotonic()) < target:
                for (idx,) in conn.execute("SELECT idx FROM phases WHERE set_id = ?", (set_id,)):
                    seen.setdefault(idx, now)
                assert app.proc.poll() is None, f"gymtui died before the kill: {app.tail()}"
                app.drain(0)
                time.sleep(min(0.002, max(0.0, target - time.monotonic())))
            before, _ = app.kill()
        finally:
            conn.close()
        returncode = app.proc.returncode

    store = Store(db)
    try:
        rows = store.phases_of(set_id)
        ended = {int(r["idx"]): monotonic_of(str(r["ended_at"])) for r in rows}
        start = min([start] + [at - ends_wall_s[idx] for idx, at in ended.items()])
        status = store.get_set(set_id)["status"]
        # What the next start does: GymApp.on_mount, then the home screen's list.
        recovered = store.recover_interrupted()
        offered = [(s.id, s.phases_done) for s in store.interrupted_sets()]
    finally:
        store.close()
    return Outcome(
        point,
        returncode,
        before - start,
        set_id,
        status,
        rows,
        {idx: at - (start + ends_wall_s[idx]) for idx, at in ended.items()},
        {idx: at - (start + ends_wall_s[idx]) for idx, at in seen.items()},
        recovered,
        offered,
    )


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms" if values else "none"


def test_sigkill_at_random_points_keeps_every_phase_that_ended_more_than_the_promise_before(tmp_path: Path) -> None:
    protocol = the_protocol()
    ends_wall_s = [end / SPEED for end in due_ends_s(protocol)]
    assert len(ends_wall_s) == len(protocol.phases) == 4
    points = kill_points(ends_wall_s, random.Random(SEED))
    assert len(points) >= 13

    apps: list[AppProcess] = []
    pool = concurrent.futures.ThreadPoolExecutor(CONCURRENT)
    try:
        futures = [pool.submit(run_one, tmp_path / f"kill{k:02}.db", p, ends_wall_s, apps) for k, p in enumerate(points)]
        outcomes = [f.result() for f in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for app in apps[:]:  # a failed run, or the timeout, leaves no gymtui behind (runs may still append)
            app.close()

    noticed = [w for o in outcomes for w in o.noticed_s.values()]
    committed = [w for o in outcomes for w in o.committed_s.values()]
    caught = [  # kills that found a phase ended but not yet stored: the window the promise allows for
        (i, o.kill_s - end) for o in outcomes for i, end in enumerate(ends_wall_s) if len(o.rows) <= i and end < o.kill_s
    ]
    print(
        f"\n{len(outcomes)} kills. Phase due end → noticed by the app: {ms(noticed)}; "
        f"→ committed: {ms(committed)} ({len(committed)} phases). "
        f"Kills after a phase's end that found it not yet stored: {len(caught)} "
        f"(up to {max((c for _, c in caught), default=0) * 1000:.0f} ms after its end)."
    )
    for i, spec in enumerate(protocol.phases):
        print(f"  phase {i} ({spec.kind}): committed {ms([w for o in outcomes for j, w in o.committed_s.items() if j == i])}")
    for o in outcomes:
        where = f"{o.point.why}, killed at {o.kill_s:.3f} s"
        assert o.returncode == -9, f"{where}: gymtui ended with {o.returncode}, not by the SIGKILL"
        due = [i for i, end in enumerate(ends_wall_s) if end < o.kill_s - PROMISE_S]
        stored = [int(r["idx"]) for r in o.rows]
        # Every phase due more than the promise before the kill is there, in order, whole.
        assert stored[: len(due)] == due, f"{where}: phases {due} were due, the database has {stored}"
        assert stored == list(range(len(stored))), f"{where}: {stored}"
        for row, spec in zip(o.rows, protocol.phases):
            assert (row["kind"], row["name"], row["planned_s"], row["ended_by"]) == (
                spec.kind, spec.name, spec.duration_s, "time"
            ), where
            assert row["duration_s"] == pytest.approx(spec.duration_s), where
        if o.status == SetStatus.COMPLETED:
            # Killed in the rest after the last work phase: a finished set, not an interrupted one.
            assert protocol.last_work_index in stored and (o.recovered, o.offered) == ([], []), where
        else:
            # The next start marks the set interrupted and offers it, with its phases.
            assert o.status == SetStatus.IN_PROGRESS, f"{where}: {o.status}"
            assert o.recovered == [o.set_id] and o.offered == [(o.set_id, len(stored))], where
    slowest = max(committed, default=0.0)
    assert slowest <= PROMISE_S, f"a phase took {slowest * 1000:.0f} ms from its end to its commit"
