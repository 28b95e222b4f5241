"""How long an MVC holds: %MVC is only meaningful against an MVC of the same electrode application.

Surface-EMG amplitude changes with every placement of the electrodes (skin,
site, inter-electrode distance; SENIAM, ISEK), so an MVC taken weeks ago says
nothing about today's microvolts. An MVC holds for the training session it
was taken in, and for :data:`MVC_HOLDS_FOR` after it was taken (electrodes
left on while the app is restarted, a short break between two sessions).
After that the next set for those muscles starts with the MVC phase again.
"""

from __future__ import annotations

import datetime as dt

MVC_HOLDS_FOR = dt.timedelta(hours=2)
"""How long an MVC is applied outside its own session: about one visit to the gym, electrodes on."""


def mvc_holds(taken_at: dt.datetime, now: dt.datetime, *, same_session: bool, holds_for: dt.timedelta = MVC_HOLDS_FOR) -> bool:
    """True if an MVC taken at ``taken_at`` still describes the electrodes on the skin at ``now``."""
    if same_session:
        return True
    return dt.timedelta(0) <= now - taken_at <= holds_for
