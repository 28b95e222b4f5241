"""sqlite-utils, loaded without pandas, and its view of a connection without plugins.

sqlite-utils imports pandas whenever pandas is installed, only to store a
``pandas.Timestamp`` as TEXT. gymtui never hands it one, and importing pandas
cost about 300 ms at every start (``import gymtui.app``: 630–717 ms with pandas
installed, 355–487 ms without). So while sqlite-utils loads, ``import pandas``
fails as if pandas were not installed (a ``None`` in :data:`sys.modules` is
Python's own way to say so); a pandas already loaded is left alone, and
afterwards pandas imports as usual for whoever wants it.

:mod:`gymtui.store` runs :func:`load_sqlite_utils` before any of its modules
imports sqlite-utils, so every path into the store gets it.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

HIDDEN_WHILE_LOADING = ("pandas",)
"""Packages sqlite-utils imports if installed and gymtui has no use for."""


def load_sqlite_utils() -> None:
    """Import ``sqlite_utils`` with :data:`HIDDEN_WHILE_LOADING` unavailable to it (once; later calls do nothing)."""
    if "sqlite_utils.db" in sys.modules:
        return
    hidden = [name for name in HIDDEN_WHILE_LOADING if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "import pandas" raises ModuleNotFoundError
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils' view of one of the store's connections, without sqlite-utils plugins.

    By default sqlite-utils scans every installed package's entry points for
    its plugins when the first view is made (about 45 ms at start) and lets
    each change the connection. The store owns its connection: nothing
    installed beside gymtui gets to add functions or settings to it.
    """
    import sqlite_utils

    return sqlite_utils.Database(conn, execute_plugins=False)
