"""Process-level safety: deflate the cuff on every way the process can end.

The supervisor handles the ways out the app knows about (set done, Esc,
quit). This module covers the ones it does not: SIGTERM, SIGINT and SIGHUP
(``kill``, a closed terminal), an uncaught exception in any thread or task,
and interpreter exit. SIGKILL and power loss cannot be caught: there the
cuff's own link-loss rule (``devices/CUFF-PROTOCOL.md`` §1) deflates it.

The app registers one or more synchronous *deflaters*: callables
``deflate_now(reason: str) -> None`` that must be quick, must never block
for long and must never raise (:meth:`gymtui.bfr.runner.CuffRunner.emergency`
is one: it writes the deflate to the cuff first and only then hands the
supervisor's records to the cuff's log). :meth:`ProcessSafety.fire` calls
every deflater, each guarded, and is safe to call from a signal handler, an
exception hook or ``atexit``. It takes no lock: a deflate never waits for
another thread (two threads firing at once send two deflates, which is
harmless).

*Flushers* (``flush(timeout_s) -> bool``, e.g. the cuff log's) run only on
the ways out where the process is about to die with nothing else to write
the log (a signal with no ``on_signal``, interpreter exit), after every
deflater, each with a short deadline: command first, log after.

How the app installs it (Textual runs its own asyncio loop)::

    safety = ProcessSafety()
    safety.add(runner.emergency)               # after the cuff runner exists

    # in App.on_mount (the loop is running):
    safety.install(loop=asyncio.get_running_loop(),
                   on_signal=lambda signum: self.exit(return_code=128 + signum))

    # App._handle_exception (Textual swallows handler exceptions, so hooks never see them):
    def _handle_exception(self, error):
        safety.fire(f"exception: {error!r}")
        super()._handle_exception(error)

    # after a clean, confirmed quit (``await runner.stop()``):
    safety.remove(runner.emergency)
    safety.uninstall()

Signal handlers are plain ``signal.signal`` handlers: Python runs them in
the main thread between two bytecodes of whatever it was doing, so the
deflaters fire at once, not when the app's event loop next looks (a long
frame would hold back a handler added with ``loop.add_signal_handler``).
With ``loop=``, what follows the deflate (``on_signal``: the app's orderly
exit) is then handed to that loop. The cuff's supervisor runs on another
thread (:mod:`gymtui.bfr.loop_thread`), so a deflater may fire while that
thread is half-way through a batch: the runner latches first, and from then
on only deflates reach the cuff. With no ``on_signal`` the default is to die
of the signal after deflating (the exit status then says which signal it
was).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

Deflater = Callable[[str], None]
Flusher = Callable[[float], object]

FLUSH_BEFORE_EXIT_S = 1.0
"""How long a dying process gives its logs, after the cuff has been told to deflate."""

DEFAULT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class ProcessSafety:
    """Calls every registered deflater on signals, uncaught exceptions and exit."""

    def __init__(self) -> None:
        self._deflaters: list[Deflater] = []
        self._flushers: list[Flusher] = []
        self._firing = False
        self._installed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._signals: tuple[signal.Signals, ...] = ()
        self._old_handlers: dict[signal.Signals, Any] = {}
        self._old_excepthook: Callable[..., Any] | None = None
        self._old_threading_hook: Callable[..., Any] | None = None
        self._old_loop_handler: Any = None
        self._on_signal: Callable[[int], None] | None = None
        self.fired: list[str] = []  # every reason fired, in order (for tests and logs)

    # -- deflaters ---------------------------------------------------------------
    def add(self, deflater: Deflater) -> None:
        if deflater not in self._deflaters:
            self._deflaters = [*self._deflaters, deflater]  # replaced, never mutated: fire() reads it unlocked

    def remove(self, deflater: Deflater) -> None:
        self._deflaters = [d for d in self._deflaters if d != deflater]

    def add_flusher(self, flusher: Flusher) -> None:
        if flusher not in self._flushers:
            self._flushers = [*self._flushers, flusher]

    def remove_flusher(self, flusher: Flusher) -> None:
        self._flushers = [f for f in self._flushers if f != flusher]

    def fire(self, reason: str) -> None:
        """Deflate now through every deflater. Never raises, never waits; ignores re-entry."""
        if self._firing:
            return
        self._firing = True
        try:
            self.fired.append(reason)
            for deflater in self._deflaters:
                try:
                    deflater(reason)
                except BaseException:  # a failing deflater must not stop the next one
                    with contextlib.suppress(Exception):
                        log.exception("deflater failed during %s", reason)
        finally:
            self._firing = False

    def flush(self, timeout_s: float = FLUSH_BEFORE_EXIT_S) -> None:
        """Give every flusher up to ``timeout_s`` (call after :meth:`fire`, never before)."""
        for flusher in self._flushers:
            try:
                flusher(timeout_s)
            except Exception:  # a log that cannot flush must not stop the exit
                with contextlib.suppress(Exception):
                    log.exception("flushing a log on the way out failed")

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """``with safety.guard(): ...`` deflates if anything escapes the block, then re-raises."""
        try:
            yield
        except BaseException as exc:
            self.fire(f"exception: {exc!r}" if not isinstance(exc, (KeyboardInterrupt, SystemExit)) else f"exit: {exc!r}")
            raise

    # -- hooks -------------------------------------------------------------------------
    def install(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        on_signal: Callable[[int], None] | None = None,
        signals: tuple[signal.Signals, ...] = DEFAULT_SIGNALS,
    ) -> None:
        """Install signal handlers, exception hooks and ``atexit``. Call from the main thread."""
        if self._installed:
            return
        self._installed = True
        self._loop = loop
        self._signals = signals
        self._on_signal = on_signal
        for signum in signals:
            self._old_handlers[signum] = signal.signal(signum, self._handle_signal_frame)
        self._old_excepthook = sys.excepthook
        sys.excepthook = self._excepthook
        self._old_threading_hook = threading.excepthook
        threading.excepthook = self._threading_hook
        if loop is not None:
            self._old_loop_handler = loop.get_exception_handler()
            loop.set_exception_handler(self._loop_exception)
        atexit.register(self._at_exit)

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        for signum in self._signals:
            if signum in self._old_handlers:
                with contextlib.suppress(ValueError):  # not the main thread: leave it to the process's end
                    signal.signal(signum, self._old_handlers.pop(signum))
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._old_excepthook or sys.__excepthook__
        if threading.excepthook == self._threading_hook:
            threading.excepthook = self._old_threading_hook or threading.__excepthook__
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(self._old_loop_handler)
        atexit.unregister(self._at_exit)

    # -- handlers -------------------------------------------------------------------------
    def _handle_signal_frame(self, signum: int, frame: object) -> None:
        self.fire(f"signal {signal.Signals(signum).name}")  # now, whatever the main thread was in the middle of
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._after_signal, signum)
                return
            except RuntimeError:  # the loop closed meanwhile
                pass
        self._after_signal(signum)

    def _after_signal(self, signum: int) -> None:
        if self._on_signal is not None:
            self._on_signal(signum)
            return
        # Default: die of the signal, as if we had not caught it (the log first: nothing else will).
        self.flush()
        self.uninstall()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    def _excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        self.fire(f"exception: {exc!r}")
        (self._old_excepthook or sys.__excepthook__)(exc_type, exc, tb)

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        self.fire(f"exception in thread {args.thread.name if args.thread else '?'}: {args.exc_value!r}")
        (self._old_threading_hook or threading.__excepthook__)(args)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is not None and not isinstance(exc, asyncio.CancelledError):
            self.fire(f"exception in task: {exc!r}")
        if self._old_loop_handler is not None:
            self._old_loop_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    def _at_exit(self) -> None:
        self.fire("process exit")
        self.flush()
