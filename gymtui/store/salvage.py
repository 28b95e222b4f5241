"""What can still be read from a damaged gymtui database, and what could not.

SQLite ends a query at the first page it cannot read ("database disk image
is malformed"): one bad page of ``sets`` and a plain ``SELECT`` returns
nothing at all, on the day the athlete most wants their log out. A damaged
page only costs the rows stored on it, though. :func:`read_table` reads a
table in rowid order and, where reading fails, looks for the next rowid from
which it works again (doubling steps, then halving, each probe one seek down
the table's b-tree), records the rows in between as lost, and reads on.

This is a best effort through SQL. ``sqlite3 DB .recover`` reads the file
page by page and can rescue more (rows from pages no longer linked to any
table), so every report of lost rows points there.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from gymtui.store.reports import FINISHER_WORD

_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 10, 11, 26
_MIN_ID, _MAX_ID = -(2**63), 2**63 - 1

EXPORT_SET_COLUMNS = (
    "athlete_id", "session_id", "started_at", "ended_at", "exercise", "workflow_phase", "set_number", "set_type",
    "source", "load_kg", "pct_1rm", "reps", "rir", "activation_rating", "status", "peak_pct_mvc", "mean_pct_mvc",
    "target_share", "cci_pct", "time_above_target_s", "perfect_reps", "mf_slope_hz_per_s", "feedback",
    "time_in_zone_s", "cue_count", "protocol",
)  # fmt: skip
"""The ``sets`` columns :meth:`gymtui.store.Store.export_rows` reads (``protocol`` only to name a finisher)."""
SET_COLUMN_DEFAULTS = {"set_type": "normal", "source": "app", "feedback": "live"}
"""What a set from before a column existed holds in it (the migration's defaults)."""

CONSEQUENCE = {
    "athletes": "their sets are exported without the athlete's name",
    "sessions": "their sets are exported without the session template",
    "phases": "some sets' phase counts are low",
}
"""What a lost row of a joined table means for the export (a lost set row is simply not in it)."""


def is_damage(exc: BaseException) -> bool:
    """True for errors that mean "this part of the file cannot be read" (not a lock, not a typo)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_NOTADB)
    return "malformed" in str(exc) or "disk I/O error" in str(exc)


@dataclass(frozen=True, slots=True)
class LostRows:
    """Rows of ``table`` between two ids that were read (``None``: the start or the end of the table)."""

    table: str
    after_id: int | None
    before_id: int | None
    error: str

    def describe(self) -> str:
        if self.after_id is None and self.before_id is None:
            where = "no row could be read"
        elif self.after_id is None:
            where = f"the rows before id {self.before_id} could not be read"
        elif self.before_id is None:
            where = f"the rows after id {self.after_id} could not be read"
        else:
            where = f"the rows after id {self.after_id} and before id {self.before_id} could not be read"
        consequence = CONSEQUENCE.get(self.table)
        return f"{self.table}: {where} ({self.error})" + (f"; {consequence}" if consequence else "")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_columns(conn: sqlite3.Connection, table: str) -> list[str] | None:
    """The table's columns, or None if it does not exist (an empty or an older database)."""
    names = [str(r[1]) for r in conn.execute(f"PRAGMA table_info({_quote(table)})")]
    return names or None


def read_table(conn: sqlite3.Connection, table: str, columns: list[str]) -> tuple[list[dict[str, Any]], list[LostRows]]:
    """Every readable row of ``table`` (as ``{"rowid": …, column: …}``) in rowid order, and what was lost."""
    selected = ", ".join(_quote(c) for c in columns)
    scan = f"SELECT rowid, {selected} FROM {_quote(table)} WHERE rowid >= ? ORDER BY rowid"
    probe = scan + " LIMIT 1"
    keys = ["rowid", *columns]
    rows: list[dict[str, Any]] = []
    lost: list[LostRows] = []
    start = _MIN_ID
    last_read: int | None = None
    while True:
        try:
            for row in conn.execute(scan, (start,)):
                rows.append(dict(zip(keys, row)))
                last_read = int(row[0])
                if last_read == _MAX_ID:
                    return rows, lost
                start = last_read + 1
            return rows, lost
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            resume = _next_readable(conn, probe, start)
            lost.append(LostRows(table, last_read, resume, str(exc)))
            if resume is None:
                return rows, lost
            start = resume


def _next_readable(conn: sqlite3.Connection, probe: str, failed_at: int) -> int | None:
    """The first rowid that can be read from some seek beyond ``failed_at``; None if none can.

    A damaged page holds a contiguous range of rowids: seeks into that range
    fail, seeks beyond it land on the next good page. Double the step until a
    seek works, then halve the gap down to the first seek that does. (Two
    damaged pages close together can hide the few rows between them; the
    message about lost rows says so by its range.)
    """

    def readable(at: int) -> tuple[bool, int | None]:
        try:
            row = conn.execute(probe, (at,)).fetchone()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            return False, None
        return True, (None if row is None else int(row[0]))

    # SQLite numbers rows from 1: a table damaged at its very start is searched from
    # there, not from -2**63, whose first doublings would leap over every real row.
    base = failed_at if failed_at > _MIN_ID else 0
    bad, step = base, 1
    while True:
        at = min(base + step, _MAX_ID)
        ok, first = readable(at)
        if ok:
            break
        bad = at
        if at == _MAX_ID:
            return None
        step *= 2
    good = at
    while good - bad > 1:
        mid = (bad + good) // 2
        ok, found = readable(mid)
        if ok:
            good, first = mid, found
        else:
            bad = mid
    return first


def export_rows(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], list[LostRows]]:
    """:meth:`gymtui.store.Store.export_rows` rebuilt from what can be read, and what could not.

    Same keys, same order, same rows on a healthy database (a test holds the
    two together). Joined facts whose rows are lost are left empty rather
    than dropping the set.
    """
    lost: list[LostRows] = []

    def read(table: str, wanted: tuple[str, ...]) -> list[dict[str, Any]]:
        have = table_columns(conn, table)
        if have is None:
            return []
        got, missing = read_table(conn, table, [c for c in wanted if c in have])
        lost.extend(missing)
        return got

    sets = read("sets", EXPORT_SET_COLUMNS)
    athletes = {r["rowid"]: r.get("name") for r in read("athletes", ("name",))}
    sessions = sorted(
        read("sessions", ("athlete_id", "started_at")), key=lambda r: (str(r.get("started_at")), r["rowid"])
    )
    phase_counts: dict[Any, int] = {}
    for phase in read("phases", ("set_id",)):
        phase_counts[phase.get("set_id")] = phase_counts.get(phase.get("set_id"), 0) + 1
    rep_counts: dict[Any, int] = {}
    for rep in read("reps", ("set_id",)):
        rep_counts[rep.get("set_id")] = rep_counts.get(rep.get("set_id"), 0) + 1

    def day_session(s: dict[str, Any]) -> Any:
        """The session the athlete had open that day (the store's query, in Python)."""
        started = str(s.get("started_at"))
        found = None
        for se in sessions:
            at = str(se.get("started_at"))
            if se.get("athlete_id") == s.get("athlete_id") and at[:10] == started[:10] and at <= started:
                found = se["rowid"]
        return found

    out = []
    for s in sets:
        if s.get("status") is None or s.get("status") == "discarded":
            continue
        values = {c: s.get(c, SET_COLUMN_DEFAULTS.get(c)) for c in EXPORT_SET_COLUMNS}
        if values["session_id"] is None:
            values["session_id"] = day_session(s)
        if values["workflow_phase"] is None and FINISHER_WORD in str(values["protocol"] or "").lower():
            values["workflow_phase"] = FINISHER_WORD
        if values["reps"] is None:
            values["reps"] = rep_counts.get(s["rowid"]) or None
        out.append(
            {
                "set_id": s["rowid"],
                "athlete": athletes.get(s.get("athlete_id")),
                **{c: values[c] for c in EXPORT_SET_COLUMNS[1:-1]},
                "phases": phase_counts.get(s["rowid"], 0),
            }
        )
    out.sort(key=lambda r: (str(r["started_at"]), r["set_id"]))
    return out, lost
