"""Athletes, their sessions and their per-athlete flags and baselines.

Athletes are named, and one database holds several (a coach with three
lifters on one rack). Which one trains is the user's choice: the app opens
on the athlete used last (a ``last_used`` flag, stamped when the app opens on
or switches to an athlete), and the read commands only ever look athletes up,
never add one.
"""

from __future__ import annotations

import sqlite3
import unicodedata

from gymtui.store.connection import now_iso
from gymtui.store.tables import Tables, inserted_id

DEFAULT_ATHLETE = "Athlete"
"""The name the app gives the first athlete of an empty database (demo or not)."""

ATHLETE_NAME_MAX_CHARS = 40
"""Long enough for a full name, short enough for the home screen's first line."""

LAST_USED_FLAG = "last_used"
"""The ``athlete_flags`` key whose newest ``set_at`` names the athlete the app opens on."""


def clean_athlete_name(name: str) -> str:
    """The name as stored: trimmed, one line, printable; ``ValueError`` with the reason if it cannot be."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("an athlete needs a name")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise ValueError("an athlete's name cannot hold control characters")
    if len(cleaned) > ATHLETE_NAME_MAX_CHARS:
        raise ValueError(f"an athlete's name has at most {ATHLETE_NAME_MAX_CHARS} characters")
    return cleaned


class Athletes(Tables):
    """Athletes and sessions: who trains, and when a visit to the gym began and ended."""

    def ensure_athlete(self, name: str = DEFAULT_ATHLETE) -> int:
        """The athlete with this name, made if there is none (the app, asked for a name with ``--athlete``)."""
        found = self.find_athlete(name)
        if found is not None:
            return found
        with self.conn:
            return inserted_id(self.db.table("athletes").insert({"name": clean_athlete_name(name), "created_at": now_iso()}))

    def find_athlete(self, name: str) -> int | None:
        """The athlete with this name (spaces trimmed, case ignored), or None: never adds one."""
        wanted = " ".join(name.split())
        row = self.conn.execute(
            "SELECT id FROM athletes WHERE name = ? COLLATE NOCASE ORDER BY name = ? DESC, id LIMIT 1", (wanted, wanted)
        ).fetchone()
        return None if row is None else int(row[0])

    def athlete_name(self, athlete_id: int) -> str:
        row = self.conn.execute("SELECT name FROM athletes WHERE id = ?", (athlete_id,)).fetchone()
        if row is None:
            raise ValueError(f"no athlete {athlete_id}")
        return str(row[0])

    def list_athletes(self) -> list[tuple[int, str]]:
        """Every athlete as (id, name), by name."""
        rows = self.conn.execute("SELECT id, name FROM athletes ORDER BY name COLLATE NOCASE, id").fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def create_athlete(self, name: str) -> int:
        """A new athlete; ``ValueError`` if the name is empty, unprintable, too long or taken."""
        cleaned = clean_athlete_name(name)
        if self.find_athlete(cleaned) is not None:
            raise ValueError(f"there is already an athlete named {cleaned}")
        with self.conn:
            return inserted_id(self.db.table("athletes").insert({"name": cleaned, "created_at": now_iso()}))

    def rename_athlete(self, athlete_id: int, name: str) -> str:
        """Give an athlete a new name (their history stays theirs); returns the name as stored."""
        cleaned = clean_athlete_name(name)
        other = self.find_athlete(cleaned)
        if other is not None and other != athlete_id:
            raise ValueError(f"there is already an athlete named {cleaned}")
        self.athlete_name(athlete_id)  # raises for an athlete that is not there
        with self.conn:
            self.db.table("athletes").update(athlete_id, {"name": cleaned})
        return cleaned

    def mark_last_used(self, athlete_id: int) -> None:
        """The app opened on (or switched to) this athlete: it is the default next time."""
        self.set_flag(athlete_id, LAST_USED_FLAG, now_iso())

    def last_athlete(self) -> tuple[int, str] | None:
        """The athlete the app opens on when none is named; None in a database with no athlete.

        The one marked last used; in a database from before the mark, the one
        who trained last (then the first one made), so an existing log opens
        on its own athlete rather than a new, empty one.
        """
        try:
            row = self.conn.execute(
                "SELECT a.id, a.name FROM athlete_flags f JOIN athletes a ON a.id = f.athlete_id "
                "WHERE f.key = ? ORDER BY f.set_at DESC, f.athlete_id DESC LIMIT 1",
                (LAST_USED_FLAG,),
            ).fetchone()
        except sqlite3.OperationalError:  # a first-schema file read without upgrading it: no flags yet
            row = None
        if row is None:
            row = self.conn.execute(
                "SELECT a.id, a.name FROM athletes a LEFT JOIN sets s ON s.athlete_id = a.id "
                "GROUP BY a.id ORDER BY max(s.started_at) IS NULL, max(s.started_at) DESC, a.id LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def start_session(self, athlete_id: int, template: str = "", *, started_at: str | None = None, extra: bool = False) -> int:
        """Open a session row; ``started_at`` is the training day's time (default now).

        The plan counts days by this stamp, so a caller with its own calendar
        (a demo, a test walking weeks) passes its time and the whole path uses
        that date. ``extra``: trained on a day the plan called a rest day.
        """
        row: dict[str, object] = {"athlete_id": athlete_id, "started_at": started_at or now_iso(), "template": template}
        if extra:
            row["extra"] = 1
        with self.conn:
            return inserted_id(self.db.table("sessions").insert(row))

    def end_session(self, session_id: int) -> None:
        with self.conn:
            self.db.table("sessions").update(session_id, {"ended_at": now_iso()})

    def get_flag(self, athlete_id: int, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM athlete_flags WHERE athlete_id = ? AND key = ?", (athlete_id, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_flag(self, athlete_id: int, key: str, value: str = "1") -> None:
        with self.conn:
            self.db.table("athlete_flags").upsert(
                {"athlete_id": athlete_id, "key": key, "value": value, "set_at": now_iso()},
                pk=("athlete_id", "key"),
            )

    def baseline_rhr(self, athlete_id: int) -> float | None:
        row = self.conn.execute("SELECT baseline_rhr_bpm FROM athletes WHERE id = ?", (athlete_id,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def set_baseline_rhr(self, athlete_id: int, bpm: float) -> None:
        with self.conn:
            self.db.table("athletes").update(athlete_id, {"baseline_rhr_bpm": float(bpm)})
