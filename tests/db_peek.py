"""Reading a test's database while the app under test still writes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Read through a read-only connection: the test itself must not change what it checks.

    A database not made yet, or locked past 2 s, reads as no rows: callers poll with a deadline.
    """
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
