"""What every aggregate of the store works on: one connection and sqlite-utils' view of it."""

from __future__ import annotations

import json
import sqlite3

import sqlite_utils
import sqlite_utils.db


class Tables:
    """Base of the store's aggregates: each adds the methods of its own tables.

    :class:`gymtui.store.Store` inherits them all and sets these two
    attributes when it opens the file; every method says ``with self.conn:``
    around a write (one transaction, or part of the store thread's).
    """

    conn: sqlite3.Connection
    db: sqlite_utils.Database


def encode(value: object) -> object:
    """A column value as SQLite stores it: lists, tuples and dicts as JSON text, the rest as is."""
    return json.dumps(value) if isinstance(value, (list, dict, tuple)) else value


def inserted_id(table: sqlite_utils.db.Table) -> int:
    """The row id of the row ``table`` has just inserted."""
    pk = table.last_pk
    if pk is None:  # sqlite-utils sets it on every insert; None would be a bug here, not a database fault
        raise RuntimeError(f"no row id after an insert into {table.name}")
    return int(pk)
