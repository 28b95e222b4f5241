"""The only code that speaks SQL: one module per aggregate behind one :class:`Store`.

- :mod:`.facade`: :class:`Store`, the one object the rest of gymtui holds;
- :mod:`.athletes`, :mod:`.sets`, :mod:`.cues`, :mod:`.feedback_weeks`, :mod:`.samples`, :mod:`.calibrations`,
  :mod:`.cuff`, :mod:`.programs`, :mod:`.reports`, :mod:`.planned_sets`:
  each aggregate's tables; :mod:`.gym`: a set by its UUID, a rack's record
  of it, the hub's upsert and an athlete's state between racks;
- :mod:`.rows`: the typed rows they return, and :class:`SetStatus`;
- :mod:`.migrations`: the schema as numbered steps on ``PRAGMA user_version``;
- :mod:`.connection` and :mod:`.dbfile`: opening the file, and why it will not;
- :mod:`.executor` and :mod:`.recovery`: the store thread, and writes kept
  through an outage; :mod:`.salvage`: export from a damaged file;
- :mod:`.outbox`: a rack's gym outbox, on a connection of its own (the rack
  link's sender thread writes it beside the store's thread).

SQLite through sqlite-utils, WAL on and ``PRAGMA foreign_keys=ON`` on every
connection. A set is durable phase by phase: its row is written when it
starts (``in_progress``), each phase when it ends, and raw signal in blocks
of about a second, each in its own transaction, so a killed process loses
the phase that was running and any write still queued (the README states
the measured bound).

This module names what callers use, so they import from ``gymtui.store``
and never depend on which module of the package holds it (the recovery
file, :mod:`.dbfile`, :mod:`.salvage` and :mod:`.outbox` are imported by their own paths).

It may import sqlite3, sqlite-utils, numpy, :mod:`gymtui.model` and
:mod:`gymtui.text`, nothing else of gymtui: the rules and the screens call
the store, never the other way round (and no Textual, Rich, bleak or bumble:
the import-linter contract in ``pyproject.toml``).
"""

from __future__ import annotations

from gymtui.store.sqlite_utils_load import load_sqlite_utils

load_sqlite_utils()  # before any module below imports sqlite-utils: without pandas (see the module)

from gymtui.store.connection import check_db_path, db_files, now_iso, unwritable_files
from gymtui.store.cues import CueRow, cue_fields
from gymtui.store.errors import StoreError, StoreUnavailable
from gymtui.store.executor import (
    NORMAL_BUSY_MS,
    QUIT_GRACE_S,
    RETRY_BUSY_MS,
    RETRY_FIRST_S,
    RETRY_MAX_S,
    StoreExecutor,
    StoreHealth,
    is_transient,
    short_reason,
)
from gymtui.store.facade import Store
from gymtui.store.feedback_weeks import FeedbackWeekRow, RiseWeekRow
from gymtui.store.gym import PlanKeys, RecordRows, SetOrigin, TrainedSession, Upserted
from gymtui.store.migrations import SCHEMA_VERSION
from gymtui.store.rows import (
    CheckinRow,
    ExerciseWeekRow,
    ExportRow,
    JsonObject,
    LiftedSource,
    LoadedSetRow,
    LopReading,
    PhaseRow,
    PlanRow,
    RepRow,
    SessionDayRow,
    SessionListRow,
    SessionSetRow,
    SessionSetSummaryRow,
    SetDetail,
    SetRow,
    SetStatus,
    SetSummary,
    SuggestionRow,
)

__all__ = [
    "NORMAL_BUSY_MS",
    "QUIT_GRACE_S",
    "RETRY_BUSY_MS",
    "RETRY_FIRST_S",
    "RETRY_MAX_S",
    "SCHEMA_VERSION",
    "CheckinRow",
    "CueRow",
    "ExerciseWeekRow",
    "ExportRow",
    "FeedbackWeekRow",
    "JsonObject",
    "LiftedSource",
    "LoadedSetRow",
    "LopReading",
    "PhaseRow",
    "PlanKeys",
    "PlanRow",
    "RecordRows",
    "RepRow",
    "RiseWeekRow",
    "SessionDayRow",
    "SessionListRow",
    "SessionSetRow",
    "SessionSetSummaryRow",
    "SetDetail",
    "SetOrigin",
    "SetRow",
    "SetStatus",
    "SetSummary",
    "Store",
    "StoreError",
    "StoreExecutor",
    "StoreHealth",
    "StoreUnavailable",
    "SuggestionRow",
    "TrainedSession",
    "Upserted",
    "check_db_path",
    "cue_fields",
    "db_files",
    "is_transient",
    "now_iso",
    "short_reason",
    "unwritable_files",
]
