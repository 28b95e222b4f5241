"""A training day as a sequence: the planned sets fixed when the session opened, and what became of each.

Pure values: the store keeps the rows (:mod:`gymtui.store.planned_sets`),
the templates give each row its :class:`PlannedSet` (protocol, loads from
the log), and this module says which set is next, how far the day has come
and whether it is finished. The day is finished when every set is done or
skipped (ending a session early skips what is left).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gymtui.session.templates import PlannedSet

PLANNED = "planned"
DONE = "done"
SKIPPED = "skipped"
ENDED_EARLY = "session ended early"
"""The skip reason of every set left when the athlete ends the session."""

SetKey = tuple[str, str, str, int]
"""(exercise, exercise key, workflow phase, set number): what identifies a planned set within a day."""


def set_key(planned: PlannedSet) -> SetKey:
    return (planned.exercise, planned.exercise_key, planned.workflow_phase.value, planned.set_number)


def row_key(row: Mapping[str, Any]) -> SetKey:
    return (str(row["exercise"]), str(row["exercise_key"] or ""), str(row["workflow_phase"] or ""), int(row["set_number"]))


@dataclass(frozen=True, slots=True)
class DayEntry:
    """One planned set of the day, in its place."""

    row_id: int
    position: int
    exercise: str
    set_number: int
    status: str
    planned: PlannedSet | None
    """None when today's templates no longer have this set (an edited file): it cannot run."""
    skip_reason: str | None = None

    @property
    def undone(self) -> bool:
        return self.status == PLANNED


@dataclass(frozen=True, slots=True)
class DaySequence:
    """Today's open session: its sets in order and which comes next."""

    session_id: int
    entries: tuple[DayEntry, ...]
    first_choice: int | None = None
    """A row the athlete took first from the list (the rack was busy)."""

    @property
    def runnable(self) -> tuple[DayEntry, ...]:
        """The undone sets that can run, in order."""
        return tuple(e for e in self.entries if e.undone and e.planned is not None)

    @property
    def next_entry(self) -> DayEntry | None:
        runnable = self.runnable
        chosen = next((e for e in runnable if e.row_id == self.first_choice), None)
        return chosen or (runnable[0] if runnable else None)

    @property
    def finished(self) -> bool:
        return not any(e.undone for e in self.entries)

    @property
    def handled(self) -> int:
        """Sets done or skipped so far."""
        return sum(1 for e in self.entries if not e.undone)

    def minutes_left(self) -> int:
        return round(sum(e.planned.estimated_s() for e in self.runnable if e.planned is not None) / 60)

    def progress_line(self) -> str:
        """``set 4 of 11 · 18 min left``: where the day is and the time its undone sets need."""
        return f"set {min(self.handled + 1, len(self.entries))} of {len(self.entries)} · {self.minutes_left()} min left"


def build_sequence(
    session_id: int, rows: Sequence[Mapping[str, Any]], planned: Sequence[PlannedSet], first_choice: int | None = None
) -> DaySequence:
    """Give each stored row its planned set: the first unused one with the same key, in order."""
    unused = list(planned)
    entries = []
    for row in rows:
        key = row_key(row)
        match = next((p for p in unused if set_key(p) == key), None)
        if match is not None:
            unused.remove(match)
        entries.append(
            DayEntry(
                int(row["id"]), int(row["position"]), str(row["exercise"]), int(row["set_number"]),
                str(row["status"]), match, row.get("skip_reason"),
            )
        )
    return DaySequence(session_id, tuple(entries), first_choice)
