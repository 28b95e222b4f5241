"""How a cuff tap hands a record on: from the cuff's thread to the app's loop, behind the cuff's own work.

A tap (:attr:`gymtui.services.cuff_rig.CuffRig.taps`) hears each record on
the cuff's thread after its command was queued and logged. It must do no
work there: no outlet, no lock, no store, no socket. It only schedules
``handle(record)`` on the app's loop, and from the cuff's loop it does so
with ``call_soon`` first, so whatever the cuff's loop has queued already
(its sender writing the command) goes before even the hand-off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def hand_to_app_loop(app_loop: asyncio.AbstractEventLoop, handle: Callable[[R], object], record: R) -> None:
    """Schedule ``handle(record)`` on ``app_loop``; never raises (a tap must never trouble the cuff)."""
    try:
        try:
            cuff_loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            cuff_loop = None  # the emergency path (a signal, a crash): straight to the app's loop
        if cuff_loop is not None and cuff_loop is not app_loop:
            cuff_loop.call_soon(app_loop.call_soon_threadsafe, handle, record)
        else:
            app_loop.call_soon_threadsafe(handle, record)
    except Exception:  # noqa: BLE001, S110 - a closed loop at exit: the record is logged already
        pass
