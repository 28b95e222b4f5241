"""Training history brought in from other apps: one session per workout, one set row per set, in one transaction.

An imported set is an ordinary ``sets`` row, ``completed``, with
``source`` naming the app (``strong``, ``hevy``), its ``set_type``, the load
in kilograms and reps and reps in reserve marked ``imported``; it has no
phases, no signal and no EMG summary. Each set's fingerprint is kept in
``import_fingerprints`` (per athlete), so importing the same file again, or
a later export that repeats old workouts, adds only what is new. A workout
imported in part before gets its new sets in the session it already has.

Names the library does not know are kept in ``imported_exercises``: their
sets carry that name as the app's own sets carry a library name, so history
and export show them and the plan can map them later through an alias.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from gymtui.store.connection import now_iso
from gymtui.store.rows import LiftedSource, SetStatus
from gymtui.store.tables import Tables

IMPORT_PROTOCOL = "imported"
"""The ``protocol`` of an imported set: no timed phases were run."""


class ImportSet(TypedDict):
    fingerprint: str
    exercise: str
    set_number: int
    set_type: str
    load_kg: float | None
    reps: int | None
    rir: int | None
    notes: str


class ImportWorkout(TypedDict):
    started_at: str
    """ISO 8601 with offset."""
    ended_at: str | None
    title: str
    notes: str
    sets: list[ImportSet]


@dataclass
class ImportCounts:
    """What an import added (sets already there are counted in ``already_there``, not added)."""

    workouts: int = 0
    sets: int = 0
    warmups: int = 0
    already_there: int = 0
    exercises_created: list[str] = field(default_factory=list)


class Imports(Tables):
    """Imported workouts and the names the library lacks."""

    def import_workouts(
        self, athlete_id: int, source: str, workouts: Sequence[ImportWorkout], unknown_exercises: Sequence[str] = ()
    ) -> ImportCounts:
        """Add the workouts' sets not imported before for this athlete, all in one transaction.

        ``unknown_exercises`` are names the library has no entry for; those not
        recorded yet are added to ``imported_exercises`` (and listed in the
        counts) if any set of theirs is added.
        """
        counts = ImportCounts()
        now = now_iso()
        with self.conn:
            seen = {
                str(fp): (int(session) if session is not None else None)
                for fp, session in self.conn.execute(
                    "SELECT f.fingerprint, s.session_id FROM import_fingerprints f LEFT JOIN sets s ON s.id = f.set_id "
                    "WHERE f.athlete_id = ?",
                    (athlete_id,),
                )
            }
            used: set[str] = set()
            for workout in workouts:
                new = [s for s in workout["sets"] if s["fingerprint"] not in seen]
                counts.already_there += len(workout["sets"]) - len(new)
                if not new:
                    continue
                session_id = next(
                    (seen[s["fingerprint"]] for s in workout["sets"] if seen.get(s["fingerprint"]) is not None), None
                )
                if session_id is None:
                    cursor = self.conn.execute(
                        "INSERT INTO sessions (athlete_id, started_at, ended_at, template, notes) VALUES (?, ?, ?, ?, ?)",
                        (athlete_id, workout["started_at"], workout["ended_at"], workout["title"], workout["notes"] or None),
                    )
                    session_id = int(cursor.lastrowid or 0)
                counts.workouts += 1
                for s in new:
                    cursor = self.conn.execute(
                        "INSERT INTO sets (session_id, athlete_id, exercise, protocol, load_kg, reps, rir, status, "
                        "started_at, ended_at, set_number, notes, channels, pipeline, set_type, source, "
                        "load_source, reps_source, rir_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            session_id, athlete_id, s["exercise"], IMPORT_PROTOCOL, s["load_kg"], s["reps"], s["rir"],
                            SetStatus.COMPLETED, workout["started_at"], workout["ended_at"], s["set_number"],
                            s["notes"] or None, "[]", json.dumps({"imported_from": source}), s["set_type"], source,
                            LiftedSource.IMPORTED if s["load_kg"] is not None else None,
                            LiftedSource.IMPORTED if s["reps"] is not None else None,
                            LiftedSource.IMPORTED if s["rir"] is not None else None,
                        ),
                    )
                    self.conn.execute(
                        "INSERT INTO import_fingerprints (athlete_id, fingerprint, source, set_id, imported_at) VALUES (?, ?, ?, ?, ?)",
                        (athlete_id, s["fingerprint"], source, cursor.lastrowid, now),
                    )
                    seen[s["fingerprint"]] = session_id
                    used.add(s["exercise"])
                    counts.sets += 1
                    counts.warmups += s["set_type"] == "warmup"
            for name in unknown_exercises:
                if name not in used:
                    continue
                cursor = self.conn.execute(
                    "INSERT OR IGNORE INTO imported_exercises (name, source, created_at) VALUES (?, ?, ?)", (name, source, now)
                )
                if cursor.rowcount:
                    counts.exercises_created.append(name)
        return counts

    def imported_exercises(self) -> list[str]:
        """Names imports met that the library had no entry for, in the order they were first met."""
        return [str(r[0]) for r in self.conn.execute("SELECT name FROM imported_exercises ORDER BY id")]
