"""``--athlete NAME`` for the read commands: look the athlete up, never add one.

``gymtui plan``, ``export`` and ``analyze set:ID`` read a database; a name
that is not in it is one line and exit status 2 (with the names that are),
so a typo never shows an empty log as if the history were gone. Without
``--athlete`` they read the athlete the app used last.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.store import Store


class UnknownAthlete(Exception):
    """The name given is not an athlete of this database (the message says which are)."""


def add_argument(parser: argparse.ArgumentParser, dest: str, what: str) -> None:
    parser.add_argument("--athlete", dest=dest, metavar="NAME", help=f"{what} (default: the athlete used last)")


def given(args: argparse.Namespace, dest: str) -> str | None:
    """The name from the sub-command's ``--athlete``, else from ``gymtui --athlete NAME …``."""
    name = getattr(args, dest, None) or getattr(args, "athlete", None)
    return str(name) if name else None


def resolve(store: Store, name: str | None) -> tuple[int, str] | None:
    """The named athlete, or the one used last; None if there is no athlete at all and none was named."""
    if name is None:
        return store.last_athlete()
    found = store.find_athlete(name)
    if found is None:
        names = [n for _, n in store.list_athletes()]
        known = f"athletes here: {', '.join(safe_text(n) for n in names)}" if names else "there is no athlete yet"
        raise UnknownAthlete(
            f"no athlete named {safe_text(name)!r} in {store.path} ({known}); `gymtui --athlete NAME` starts a new one"
        )
    return found, store.athlete_name(found)
