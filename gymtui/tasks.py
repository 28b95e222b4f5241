"""Background tasks a device owns: stopping them the one way every device needs.

Below every device package and free of bleak, so the BLE adapters and the
simulated devices in :mod:`gymtui.sim` share it.
"""

from __future__ import annotations

import asyncio


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` and wait until it has really stopped, so nothing it does can land afterwards.

    The task's own cancellation is expected and swallowed; an exception it died of
    is raised here, for the caller to decide whether a crashed helper matters.
    If the *caller* is being cancelled meanwhile, that cancellation goes on up.
    """
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
