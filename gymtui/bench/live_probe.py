"""The real CLI in a real terminal, watched from inside: paints, CPU, the clock and the worker's losses.

Run as ``python -m gymtui.bench.live_probe OUT.json WINDOW_S [gymtui args...]``
on a pseudo-terminal (see :func:`gymtui.bench.ui.live_set_in_pty`). It runs
``gymtui.cli.main`` unchanged (Textual's real Linux driver writing to that
terminal) and only watches:

- **paints**: Textual's driver hands each screen update to a writer thread
  that writes it to the terminal's file (``sys.__stderr__``). That file is
  wrapped here before the driver opens it, and every write carrying a screen
  update (more than a bare escape code: ``PAINT_MIN_CHARS``) is counted when
  it has been written to the terminal. A frame the app never paints, or that
  waits behind a slow terminal, is not counted.
- **the clock**: every event the set's engine hands the app (through
  ``SetRunner``) is stamped with the instant it was *due*; the probe notes the
  app's clock when the event was *delivered* (the tick that turns it into a
  cue, a bell, a phase change on screen). The difference, over the 3-2-1
  lead-in's counts, the phase starts and the phase ends, is how late a lifter
  hears it.
- **losses**: the signal worker's lost samples (gaps its sensor marked) and
  sequence gaps, over the set. The UI benchmark gives it a replayed
  recording, which catches up rather than drop a late block: what is lost
  is lost by the worker.

It presses ``f`` (the quick Phase 4 finisher: calibration, a 3-2-1 lead-in,
a 15 s isometric hold) once the home screen and the sensor are up,
measures the middle ``WINDOW_S`` seconds of the hold, waits for the hold's
end, writes the figures to ``OUT.json`` and leaves the process to be ended
by the caller.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

PAINT_MIN_CHARS = 64
"""A write shorter than this is a bare control sequence (sync markers, cursor moves), not a screen update."""


class CountingTerminal:
    """The terminal's file, counting the writes that carry a screen update (on the writer thread)."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self.paints = 0
        self.chars = 0

    def write(self, text: str) -> int:
        written = self._file.write(text)
        if len(text) >= PAINT_MIN_CHARS:
            self.paints += 1
            self.chars += len(text)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class BoundaryLog:
    """(due, delivered) on the app's clock for every lead-in count, phase start and phase end."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, float, float]] = []

    def install(self) -> None:
        from gymtui.services.set_runner import SetRunner
        from gymtui.session.engine import (
            Cue,
            CueKind,
            EndedBy,
            PhaseEnded,
            PhaseStarted,
        )

        original = SetRunner._handle
        log = self

        def handle(runner: Any, events: list[Any]) -> list[Any]:
            delivered = runner._clock()
            for event in events:
                if isinstance(event, PhaseStarted):
                    log.entries.append((f"start:{event.phase.kind.value}", event.at_s, delivered))
                elif isinstance(event, PhaseEnded) and event.ended_by is EndedBy.TIME:
                    log.entries.append((f"end:{event.phase.kind.value}", event.at_s, delivered))
                elif isinstance(event, Cue) and event.kind is CueKind.COUNT:
                    log.entries.append(("count", event.at_s, delivered))
            return original(runner, events)

        SetRunner._handle = handle  # type: ignore[method-assign,assignment]


def _stored_phases(db: Any, set_id: int) -> list[tuple[Any, ...]]:
    """The set's phase rows as stored: (idx, kind, planned_s, duration_s, ended_by, started_at, ended_at)."""
    from gymtui.store import Store

    store = Store(db, readonly=True)
    try:
        return [(r["idx"], r["kind"], r["planned_s"], r["duration_s"], r["ended_by"], r["started_at"], r["ended_at"])
                for r in store.phases_of(set_id)]
    finally:
        store.close()


def _stored_errors_ms(rows: list[tuple[Any, ...]], protocol: Any, *, speed: float = 1.0) -> list[float]:
    """How far each timed end lies from its plan, in the log the set left (ms; the set's own time).

    A phase ended by its time: its stored duration against its planned
    seconds. A work phase after a timed one: the gap between that end and its
    start against the 3-2-1 lead-in the plan puts there (a rest has none).
    Durations are stored in the set's time; the stamps on the wall clock,
    which a demo at ×``speed`` runs through faster.
    The engine stamps boundaries from the clock; were it to slip (a boundary
    taken at the tick that noticed it), these would show it.
    """
    import datetime as dt

    errors: list[float] = []
    for n, (idx, _kind, planned_s, duration_s, ended_by, _started, _ended) in enumerate(rows):
        if ended_by == "time" and planned_s is not None and duration_s is not None:
            errors.append(1000.0 * (float(duration_s) - float(planned_s)))
        if n == 0:
            continue
        before = rows[n - 1]
        if before[4] != "time" or before[6] is None or rows[n][5] is None or idx >= len(protocol.phases):
            continue
        lead_in_s = protocol.lead_in_s if protocol.phases[idx].is_work else 0
        gap_s = speed * (dt.datetime.fromisoformat(rows[n][5]) - dt.datetime.fromisoformat(before[6])).total_seconds()
        errors.append(1000.0 * (gap_s - lead_in_s))
    return errors


def _watch(holder: dict[str, Any], terminal: CountingTerminal, boundaries: BoundaryLog, out: Path,
           window_s: float) -> None:
    from textual.app import ScreenStackError

    from gymtui.model import PhaseKind
    from gymtui.session.engine import Stage
    from gymtui.ui.screens.home import HomeScreen

    def until(predicate: Any, what: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if predicate():
                    return
            except (AttributeError, LookupError, ScreenStackError):  # the app is still building what it looks at
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"live probe: no {what} after {timeout_s:g} s")
            time.sleep(0.01)

    def phase_kind() -> Any:
        runner = app.runner
        if runner is None or runner.engine.stage is not Stage.PHASE:
            return None
        phase = runner.engine.current_phase
        return None if phase is None else phase.kind

    result: dict[str, Any]
    try:
        until(lambda: "app" in holder, "app", 120)
        app = holder["app"]
        until(lambda: isinstance(app.screen, HomeScreen) and app.signal is not None and app.coach is not None,
              "home screen with the sensor", 120)
        time.sleep(0.5)
        app.call_from_thread(app.simulate_key, "f")
        until(lambda: app.runner is not None, "set after pressing f", 60)
        worker = app.signal
        lost0, gaps0 = worker._lost_samples, worker.seq_gaps
        until(lambda: phase_kind() is PhaseKind.ISOMETRIC, "isometric hold", 120)
        time.sleep(2.0)  # settle into the hold
        paints0, posted0, shown0 = terminal.paints, worker.frames_posted, app.frames_shown
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(window_s)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        paints, posted, shown = terminal.paints - paints0, worker.frames_posted - posted0, app.frames_shown - shown0
        in_hold = phase_kind() is PhaseKind.ISOMETRIC
        until(lambda: any(name == "end:isometric" for name, _, _ in boundaries.entries), "end of the hold", 60)
        runner = app.runner
        protocol, set_id = runner.protocol, runner.set_id.result(timeout=30)
        stored: list[tuple[Any, ...]] = []

        def hold_stored() -> bool:
            stored[:] = _stored_phases(app.store.path, set_id)
            return any(kind == "isometric" and ended_at is not None for _i, kind, *_rest, ended_at in stored)

        until(hold_stored, "the hold's row stored", 30)
        wall = wall1 - wall0
        shown_late_ms = [1000.0 * (delivered - due) for name, due, delivered in boundaries.entries if name != "count"]
        counts_ms = [1000.0 * (delivered - due) for name, due, delivered in boundaries.entries if name == "count"]
        errors_ms = _stored_errors_ms(stored, protocol, speed=float(app.config.speed))
        result = {
            "paints_per_s": paints / wall,
            "cpu_pct": 100.0 * (cpu1 - cpu0) / wall,
            "frames_posted_per_s": posted / wall,
            "frames_shown_per_s": shown / wall,
            "window_in_hold": in_hold,
            "boundaries": [[name, round(1000.0 * (d - u), 3)] for name, u, d in boundaries.entries],
            "boundary_errors_ms": errors_ms,
            "shown_late_ms": shown_late_ms,
            "count_errors_ms": counts_ms,
            "dropped_samples": worker._lost_samples - lost0,
            "seq_gaps": worker.seq_gaps - gaps0,
        }
    except Exception as exc:  # noqa: BLE001  (said in the result: the caller reports it, not a hang)
        result = {"error": f"{type(exc).__name__}: {exc}"}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    tmp.replace(out)


def main(argv: list[str]) -> int:
    out, window_s, app_args = Path(argv[0]), float(argv[1]), argv[2:]
    terminal = CountingTerminal(sys.__stderr__)  # type: ignore[arg-type]
    sys.__stderr__ = terminal  # type: ignore[misc,assignment]  # the file Textual's Linux driver writes to
    from gymtui import cli
    from gymtui.app import GymApp

    holder: dict[str, Any] = {}
    original_init = GymApp.__init__

    def init(app: GymApp, *args: Any, **kwargs: Any) -> None:
        original_init(app, *args, **kwargs)
        holder["app"] = app

    GymApp.__init__ = init  # type: ignore[method-assign,assignment]
    boundaries = BoundaryLog()
    boundaries.install()
    threading.Thread(target=_watch, args=(holder, terminal, boundaries, out, window_s), daemon=True,
                     name="bench-live-probe").start()
    return cli.main(app_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
