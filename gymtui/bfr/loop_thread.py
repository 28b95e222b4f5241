"""A thread with an asyncio loop of its own, for everything that commands the cuff.

The app's event loop also lays out and paints the screen, reads the keyboard
and runs every widget's handler. On a Raspberry Pi, or beside two busy
cores, one frame can take a few hundred milliseconds; a cap that falls due
in the middle of it must not wait for the frame to finish. So the cuff's
supervisor ticks, its readings, its sender and (for a BLE cuff) its GATT
client live on this loop and nowhere else: the only thing the UI can delay
is what the UI itself decides (Esc, the set's end), and that crosses over
with one ``call_soon_threadsafe``.

While it runs, the interpreter's switch interval is at most
:data:`SWITCH_INTERVAL_S` (1 ms, from the default 5 ms): a thread that wakes
for a cap must wait for whichever thread holds the GIL to let go, and that
is how long the holder may keep it once asked.

Where the system lets it (root, or ``CAP_SYS_NICE``), the thread also asks
the scheduler for a higher priority than the rest of the app (nice
:data:`CUFF_THREAD_NICE`), so that on a machine with every core busy it is
woken ahead of the screen; elsewhere it runs at the app's priority, and
says so in the log.

The thread is a daemon: a cuff loop wedged in a driver must not keep a
dying process alive (the process-level deflate in :mod:`gymtui.bfr.safety`
does not need this loop; it writes to the cuff from whichever thread fires).
No Textual here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0
CUFF_THREAD_NICE = -10
SWITCH_INTERVAL_S = 0.001
"""The cuff thread's nice value where it may have one (Linux: per thread)."""


class CuffLoopThread:
    """Runs one asyncio loop on its own thread; other threads hand it work."""

    def __init__(self, name: str = "gymtui-cuff") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.priority_raised = False
        """True once the scheduler gave this thread :data:`CUFF_THREAD_NICE`."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the cuff loop is not running")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._loop is not None

    def start(self) -> None:
        """Start the thread and wait (bounded) until its loop runs."""
        if self._thread is not None:
            return
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"the cuff loop did not start within {START_TIMEOUT_S:g} s")

    def on_loop_thread(self) -> bool:
        return self._thread is not None and threading.get_ident() == self._thread.ident

    def call(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn(*args)`` on the cuff loop: now if this is that loop's thread, else next.

        Never blocks the caller. A loop already stopped drops the call (logged):
        the only callers then are late UI events after the cuff was put away.
        """
        if self.on_loop_thread():
            fn(*args)
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            log.warning("cuff loop gone: %s not run", getattr(fn, "__name__", fn))
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # closed between the check and the call
            log.warning("cuff loop gone: %s not run", getattr(fn, "__name__", fn))

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the cuff loop (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await, from another event loop, a coroutine that runs on the cuff loop."""
        return await asyncio.wrap_future(self.submit(coro))

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Cancel what is left on the loop, stop it and join the thread. True if it ended in time."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return True
        if not loop.is_closed():
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:
                pass
        thread.join(timeout_s)
        ended = not thread.is_alive()
        if not ended:
            log.error("the cuff loop did not stop within %.1f s", timeout_s)
        return ended

    def _raise_priority(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CUFF_THREAD_NICE)
        except (AttributeError, OSError) as exc:  # not permitted, or no per-thread priority here
            log.info("cuff thread runs at the app's priority (%s)", exc)
        else:
            self.priority_raised = True

    def _run(self) -> None:
        self._raise_priority()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
