"""A Lab Streaming Layer EMG stream as the live sensor (``--sensor lsl:NAME``).

OpenBCI GUI, BrainFlow, Delsys' tools and another gymtui all publish EMG
on LSL; :class:`LslEmgSource` takes any of them as an
:class:`~gymtui.device_api.EmgSource`, with the stream's own channel labels
(``desc/channels/channel/label``, else ``ch1..chN``), rate (its nominal
rate: an irregular stream is refused) and unit (µV, mV and V scaled to µV;
anything else kept as it is and named).

How it runs, like the BLE sensor but on liblsl's terms:

* ``connect`` resolves the stream with an explicit timeout and opens the
  inlet; everything that blocks in liblsl runs on a thread, never on the
  event loop. pylsl comes only through
  :func:`gymtui.interop.lsl_runtime.load_pylsl`: where liblsl is missing the
  error is its one line.
* ``start`` starts a puller thread: ``pull_chunk`` with a short timeout
  (no busy loop), each chunk one :class:`~gymtui.model.SampleBlock` handed to
  the sink on the event loop (``call_soon_threadsafe``).
* Timing: the inlet's timestamps (clock-synced by liblsl) decide where the
  stream is; a block's ``t0_s`` follows the sample count on the app clock
  from the first sample (jitter in the sender's stamps never moves it). A
  chunk whose first stamp is later than the samples received account for
  (beyond :data:`JITTER_TOLERANCE_S`) carries the missing samples as
  ``lost_samples``; ``t0_s`` jumps with them. liblsl's ``dejitter`` is left
  off on purpose: it fits a line through the sample count and would smooth
  a gap away. A sender whose stamps are on another clock altogether (more
  than :data:`STAMP_TRUST_S` from arrival) is timed by arrival instead.
* Lost: no data for :data:`STALL_BLOCKS` block times (at least
  :data:`MIN_STALL_S`), or liblsl's ``LostError``, turns the link
  RECONNECTING; the thread re-resolves with backoff, each try bounded, and
  resumes on the same labels and rate. A stream that comes back with other
  channels or another rate is refused (said on the link line) and the wait
  goes on.
* ``disconnect`` stops the thread within its timeout: every liblsl call in
  it is bounded by :data:`PULL_TIMEOUT_S`, or while reconnecting by
  :data:`RECONNECT_RESOLVE_S` plus :data:`OPEN_SLACK_S`; a thread still in
  liblsl past the timeout is left to end by itself (it is a daemon and
  delivers nothing more).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gymtui.device_api import AdapterError, BlockSink, HealthSink
from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl
from gymtui.interop.lsl_spec import LslSpec
from gymtui.model import (
    ChannelInfo,
    LinkHealth,
    LinkState,
    MuscleRole,
    SampleBlock,
    SourceInfo,
)

_log = logging.getLogger(__name__)

RESOLVE_TIMEOUT_S = 5.0
"""How long ``connect`` looks for the stream by default (liblsl answers a local stream in well under a second)."""

RECONNECT_RESOLVE_S = 1.0
"""One look for the stream while reconnecting: short, so ``disconnect`` never waits long for the thread."""

RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 4.0)
"""Pause before each reconnect try; the last one repeats (a stream may come back at any time)."""

PULL_TIMEOUT_S = 0.05
"""Longest a pull waits for the first sample: the thread checks its stop flag at least this often."""

MAX_CHUNK_S = 0.25
"""At most this much signal in one pull (one block): a backlog arrives as several blocks, not one huge one."""

STALL_BLOCKS = 20
"""No data for this many block times (the sender's usual chunk) means the stream is lost."""

MIN_STALL_S = 0.5
"""...but never sooner than this: a sender that pushes every 10 ms is not lost after 200 ms."""

JITTER_TOLERANCE_S = 0.05
"""How much later than expected a chunk may be stamped before it counts as samples lost.

Senders stamp chunks with the time they pushed them (OpenBCI GUI, BrainFlow),
so a chunk can look tens of ms late while nothing was lost; after a
reconnect every sample missed counts, however few."""

INLET_BUFFER_S = 30
"""liblsl's inlet buffer: a stalled app catches up on up to this much signal."""

ACCEPTED_TYPES = ("EMG", "EXG", "EEG")
"""Stream types taken as EMG: OpenBCI GUI and BrainFlow publish EMG boards as EEG/ExG."""

STAMP_TRUST_S = 5.0
"""A first sample stamped further than this from its arrival is on another clock: the timeline starts at arrival."""

OPEN_SLACK_S = 1.0
"""While reconnecting, opening the inlet and reading its full description get this much after the look."""

MIN_OPEN_S = 0.2
"""Each opening step gets at least this long, even when the look for the stream used up the budget."""

LOST_MESSAGE = "LSL stream lost — reconnecting"

_UV_PER_UNIT = {
    "microvolts": 1.0, "microvolt": 1.0, "µv": 1.0, "μv": 1.0, "uv": 1.0,
    "millivolts": 1e3, "millivolt": 1e3, "mv": 1e3,
    "volts": 1e6, "volt": 1e6, "v": 1e6,
    "nanovolts": 1e-3, "nanovolt": 1e-3, "nv": 1e-3,
}
"""Units LSL senders write in ``desc/channels/channel/unit`` (XDF meta-data conventions), in µV."""


@dataclass(frozen=True, slots=True)
class StreamShape:
    """What a stream delivers: enough to check a stream that comes back is the same one."""

    name: str
    labels: tuple[str, ...]
    rate_hz: float
    unit: str
    scale: tuple[float, ...]
    """µV per value, per channel (1.0 where the unit is µV or unknown)."""

    def differs(self, other: StreamShape) -> str:
        """Why ``other`` cannot stand in for this stream, or "" if it can."""
        if len(other.labels) != len(self.labels):
            return f"it came back with {len(other.labels)} channels, not {len(self.labels)}"
        if other.labels != self.labels:
            return f"it came back with channels {', '.join(other.labels)[:80]}, not {', '.join(self.labels)[:80]}"
        if other.rate_hz != self.rate_hz:
            return f"it came back at {other.rate_hz:g} Hz, not {self.rate_hz:g} Hz"
        if other.scale != self.scale:
            return f"it came back in {other.unit}, not {self.unit}"
        return ""


def uv_per_unit(unit: str | None) -> float | None:
    """µV per value for a channel unit (None or "" taken as µV, OpenBCI's and BrainFlow's unit); None if unknown."""
    if unit is None or not unit.strip():
        return 1.0
    return _UV_PER_UNIT.get(unit.strip().lower())


def stream_shape(info: Any, pylsl: Any) -> StreamShape:
    """Check a full stream description and read its labels, rate and units; AdapterError if it is no EMG stream."""
    name = _printable(info.name()) or "(unnamed)"
    kind = _printable(info.type())
    if kind.upper() not in ACCEPTED_TYPES:
        raise AdapterError(
            f"LSL stream {name!r} is of type {kind or '(none)'!r}, not EMG (taken: {', '.join(ACCEPTED_TYPES)})"
        )
    n = int(info.channel_count())
    if n < 1:
        raise AdapterError(f"LSL stream {name!r} has no channels")
    if int(info.channel_format()) in (pylsl.cf_string, pylsl.cf_undefined):
        raise AdapterError(f"LSL stream {name!r} carries text, not numbers: not an EMG signal")
    rate = float(info.nominal_srate())
    if not math.isfinite(rate) or rate <= 0:
        raise AdapterError(f"LSL stream {name!r} has an irregular rate (nominal_srate 0): EMG needs a fixed rate")
    labels = _channel_values(info, "label", n)
    fallback = [f"ch{i + 1}" for i in range(n)]
    names = tuple((label or fallback[i])[:40] for i, label in enumerate(labels))
    if len(set(names)) != n:  # duplicate labels would merge muscles downstream
        names = tuple(f"{label} ({fallback[i]})" for i, label in enumerate(names))
    units = _channel_values(info, "unit", n)
    scale, unknown = [], []
    for unit in units:
        factor = uv_per_unit(unit)
        if factor is None:
            unknown.append(unit or "")
            factor = 1.0
        scale.append(factor)
    unit_name = unknown[0] if unknown else "µV"
    if unknown:
        _log.warning("LSL stream %r: unit %r is not a voltage; values kept as they are", name, unit_name)
    return StreamShape(name, names, rate, unit_name, tuple(scale))


def _channel_values(info: Any, field: str, n: int) -> list[str | None]:
    """``desc/channels/channel/<field>`` per channel, padded with None (a sender may describe fewer)."""
    values: list[str | None] = []
    channels = info.desc().child("channels")
    if not channels.empty():
        channel = channels.child("channel")
        while not channel.empty() and len(values) < n:
            values.append(_printable(channel.child_value(field)) or None)
            channel = channel.next_sibling("channel")
    return values + [None] * (n - len(values))


def _printable(text: str | None) -> str:
    """A string from the network, with its control characters gone (it will be shown)."""
    return "".join(ch for ch in (text or "") if ch.isprintable()).strip()


class LslEmgSource:
    """An LSL EMG stream as an :class:`~gymtui.device_api.EmgSource`; see the module docstring."""

    names_channels = True
    """The stream's labels are its muscles' names: a set keeps them and takes only the roles from the plan."""

    def __init__(
        self,
        spec: LslSpec,
        *,
        clock: Callable[[], float] = time.monotonic,
        resolve_timeout_s: float | None = None,
        reconnect_delays_s: Sequence[float] = RECONNECT_DELAYS_S,
        roles: Sequence[MuscleRole] = (),
    ) -> None:
        """``roles``: per channel until a set names them (the demo sensor's order by default)."""
        self.spec = spec
        self._clock = clock
        self._resolve_timeout_s = RESOLVE_TIMEOUT_S if resolve_timeout_s is None else resolve_timeout_s
        self._delays = tuple(reconnect_delays_s) or (1.0,)
        self._roles = tuple(roles)
        self._health = LinkHealth(LinkState.DISCONNECTED)
        self._shape: StreamShape | None = None
        self._inlet: Any = None
        self._pylsl: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_block: BlockSink | None = None
        self._on_health: HealthSink | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The stream's timeline, on the app clock: sample index 0 is at _origin_s.
        self._offset_s = 0.0  # app clock minus LSL clock, read together once
        self._origin_s: float | None = None
        self._next_index = 0
        self._expected_ts: float | None = None  # LSL stamp the next sample should carry
        self._resync = False
        self._seq = 0
        self._gaps = 0
        self.reconnects = 0
        self.lost_samples = 0

    # -- EmgSource ---------------------------------------------------------------------
    @property
    def info(self) -> SourceInfo:
        shape = self._shape
        if shape is None:
            return SourceInfo(f"LSL {self.spec}", (), 1.0)
        channels = tuple(
            ChannelInfo(label, self._roles[i] if i < len(self._roles) else MuscleRole.OTHER, shape.unit)
            for i, label in enumerate(shape.labels)
        )
        return SourceInfo(f"LSL {shape.name}", channels, shape.rate_hz, shape.unit)

    @property
    def health(self) -> LinkHealth:
        return replace(self._health, gaps=self._gaps)

    async def connect(self, timeout_s: float = 10.0) -> None:
        """Find the stream and open its inlet; AdapterError with one line if there is none or it is no EMG."""
        self._set_state(LinkState.CONNECTING, f"looking for LSL stream {self.spec}")
        try:
            self._pylsl = load_pylsl()
        except LslUnavailable as exc:
            self._set_state(LinkState.FAILED, str(exc))
            raise AdapterError(str(exc)) from None
        resolve_s = min(timeout_s, self._resolve_timeout_s)
        try:
            inlet, shape = await asyncio.to_thread(self._open, resolve_s, max(timeout_s, resolve_s))
        except AdapterError as exc:
            self._set_state(LinkState.FAILED, str(exc))
            raise
        if inlet is None or shape is None:
            message = (
                f"no LSL stream with {self.spec} found within {resolve_s:g} s — "
                "is the sender streaming, on this machine or this network?"
            )
            self._set_state(LinkState.FAILED, message)
            raise AdapterError(message)
        self._inlet, self._shape = inlet, shape
        self._offset_s = self._clock() - float(self._pylsl.local_clock())
        self._set_state(LinkState.CONNECTED, "connected")

    async def start(self, on_block: BlockSink, on_health: HealthSink | None = None) -> None:
        """Start pulling on a thread; blocks reach ``on_block`` on this event loop."""
        if self._inlet is None:
            raise AdapterError(f"LSL {self.spec}: start() before connect()")
        self._loop = asyncio.get_running_loop()
        self._on_block, self._on_health = on_block, on_health
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gymtui-lsl-inlet", daemon=True)
        self._thread.start()
        self._emit_health()

    async def disconnect(self, timeout_s: float = 2.0) -> None:
        """Stop the puller (it notices within one pull), close the inlet."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, timeout_s)
            if thread.is_alive():
                _log.warning("LSL inlet thread still in liblsl after %.1f s; left to end by itself", timeout_s)
        if thread is None or not thread.is_alive():
            self._close_inlet()
        self._health = LinkHealth(LinkState.DISCONNECTED, message="disconnected")

    # -- opening (any thread) ---------------------------------------------------------------
    def _open(self, resolve_s: float, total_s: float) -> tuple[Any, StreamShape | None]:
        """Resolve the stream (within ``resolve_s``) and open an inlet on it with its full description
        (all within ``total_s``); (None, None) if none answered."""
        pylsl = self._pylsl
        deadline = time.monotonic() + total_s

        def left() -> float:
            return max(MIN_OPEN_S, deadline - time.monotonic())

        found = pylsl.resolve_byprop(self.spec.prop, self.spec.value, minimum=1, timeout=resolve_s)
        if not found:
            return None, None
        if len(found) > 1:
            _log.info("%d LSL streams match %s; taking the first (%s)", len(found), self.spec, found[0].name())
        short = found[0]
        stream_shape(short, pylsl)  # type, format, rate and channel count are in the short description
        inlet = pylsl.StreamInlet(
            short,
            max_buflen=INLET_BUFFER_S,
            recover=False,  # we supervise: a lost stream is said on screen and re-resolved by name
            processing_flags=pylsl.proc_clocksync,
        )
        try:
            full = inlet.info(timeout=left())
            shape = stream_shape(full, pylsl)
            inlet.open_stream(timeout=left())
        except Exception as exc:
            with contextlib.suppress(Exception):
                inlet.close_stream()
            if isinstance(exc, AdapterError):
                raise
            raise AdapterError(f"LSL stream {_printable(short.name())!r} did not open: {_reason(exc)}") from None
        return inlet, shape

    def _close_inlet(self) -> None:
        inlet, self._inlet = self._inlet, None
        if inlet is not None:
            with contextlib.suppress(Exception):
                inlet.close_stream()

    # -- the puller thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._inlet is None:
                    self._reconnect()
                else:
                    self._pull_until_lost()
        except Exception as exc:  # noqa: BLE001 - the thread must say why it ended, never die silently
            _log.exception("LSL inlet thread failed")
            self._set_state(LinkState.FAILED, f"LSL stream stopped: {_reason(exc)}")
        finally:
            self._close_inlet()

    def _pull_until_lost(self) -> None:
        """Pull and deliver until the stream stalls past its deadline, liblsl says it is lost, or stop."""
        shape, pylsl = self._shape, self._pylsl
        assert shape is not None
        lost_error: type[Exception] = _lost_error(pylsl)
        max_samples = max(1, round(MAX_CHUNK_S * shape.rate_hz))
        last_data = time.monotonic()
        block_s = 1.0 / shape.rate_hz
        while not self._stop.is_set():
            try:
                samples, stamps = self._inlet.pull_chunk(
                    timeout=PULL_TIMEOUT_S, max_samples=max_samples, min_samples=1, as_numpy=True
                )
            except lost_error:
                self._lost("the sender closed it")
                self._close_inlet()
                return
            except Exception as exc:  # noqa: BLE001 - any broken inlet: look for the stream afresh
                _log.warning("LSL stream %s: pull failed: %s", self.spec, _reason(exc))
                self._lost(_reason(exc))
                self._close_inlet()
                return
            n = len(stamps)
            now = time.monotonic()
            if n:
                block_s = n / shape.rate_hz
                last_data = now
                if self._health.state is not LinkState.CONNECTED:
                    self._resync = True  # back: every sample missed meanwhile counts
                    self.reconnects += 1
                    self._set_state(LinkState.CONNECTED, "reconnected")
                self._deliver(np.asarray(samples), np.asarray(stamps, dtype=np.float64))
                continue
            stalled_s = now - last_data
            stall_s = max(MIN_STALL_S, STALL_BLOCKS * block_s)
            if stalled_s > stall_s and self._health.state is LinkState.CONNECTED:
                self._lost(f"no data for {stalled_s:.1f} s")
            elif stalled_s > stall_s + RECONNECT_RESOLVE_S:
                self._close_inlet()  # the sender may be gone without a word: look for it afresh
                return

    def _lost(self, why: str) -> None:
        _log.info("LSL stream %s lost: %s", self.spec, why)
        self._set_state(LinkState.RECONNECTING, LOST_MESSAGE)

    def _reconnect(self) -> None:
        """Look for the stream again with backoff until it is back (the same shape) or stop."""
        attempt = 0
        while not self._stop.is_set():
            if self._stop.wait(self._delays[min(attempt, len(self._delays) - 1)]):
                return
            attempt += 1
            try:
                inlet, shape = self._open(RECONNECT_RESOLVE_S, RECONNECT_RESOLVE_S + OPEN_SLACK_S)
            except Exception as exc:  # noqa: BLE001 - keep trying while the set goes on
                self._set_state(LinkState.RECONNECTING, f"{LOST_MESSAGE} (attempt {attempt}: {_reason(exc)})")
                continue
            if inlet is None or shape is None:
                self._set_state(LinkState.RECONNECTING, f"{LOST_MESSAGE} (attempt {attempt})")
                continue
            assert self._shape is not None
            why = self._shape.differs(shape)
            if why:
                with contextlib.suppress(Exception):
                    inlet.close_stream()
                message = f"LSL stream {shape.name!r} refused: {why} — waiting for the original"
                _log.warning(message)
                self._set_state(LinkState.RECONNECTING, message)
                continue
            self._inlet = inlet
            return

    def _deliver(self, samples: np.ndarray, stamps: np.ndarray) -> None:
        """One pulled chunk as a block on the app's timeline, the samples missed before it as ``lost_samples``."""
        shape = self._shape
        assert shape is not None
        rate = shape.rate_hz
        values = samples.astype(np.float32, copy=True).reshape(len(stamps), len(shape.labels))
        if any(s != 1.0 for s in shape.scale):
            values *= np.asarray(shape.scale, dtype=np.float32)
        first_ts = float(stamps[0])
        n = len(stamps)
        arrived_first_s = self._clock() - n / rate  # when the first of these was taken, by arrival
        lost = 0
        if self._origin_s is None:
            mapped = first_ts + self._offset_s
            # Stamps on another clock (a sender's own counter) would put the signal far from
            # the app's: then the timeline starts at arrival, as a BLE sensor's does.
            trusted = arrived_first_s - STAMP_TRUST_S <= mapped <= arrived_first_s + n / rate + STAMP_TRUST_S
            if not trusted:
                _log.warning("LSL stream %s: its timestamps are not on this machine's LSL clock; timed by arrival",
                             self.spec)
            self._origin_s = mapped if trusted else arrived_first_s
        elif self._expected_ts is not None:
            behind = round((first_ts - self._expected_ts) * rate)
            if behind < 0 and self._resync:
                # Back with stamps that went backwards (a restarted sender's own clock): the
                # time it was away, by arrival, is what was missed.
                behind = round((arrived_first_s - (self._origin_s + self._next_index / rate)) * rate)
            tolerance = 0.5 if self._resync else JITTER_TOLERANCE_S * rate
            if behind > tolerance:
                lost = behind
                self._gaps += 1
                self.lost_samples += lost
        self._resync = False
        self._expected_ts = float(stamps[-1]) + 1.0 / rate
        self._next_index += lost
        block = SampleBlock(values, self._origin_s + self._next_index / rate, rate, self._seq, lost)
        self._seq += 1
        self._next_index += block.n_samples
        self._call_on_loop(self._hand_on, block)
        if lost:
            self._emit_health()

    def _hand_on(self, block: SampleBlock) -> None:
        if self._on_block is not None and not self._stop.is_set():
            self._on_block(block)

    # -- health ------------------------------------------------------------------------------------
    def _set_state(self, state: LinkState, message: str) -> None:
        self._health = replace(self._health, state=state, message=message)
        self._emit_health()

    def _emit_health(self) -> None:
        if self._on_health is not None:
            self._call_on_loop(self._on_health, self.health)

    def _call_on_loop(self, fn: Callable[..., None], *args: object) -> None:
        """Run ``fn`` on the app's loop (from this thread or the loop itself); quietly nothing once the loop is gone."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the app is leaving
            loop.call_soon_threadsafe(fn, *args)


def _lost_error(pylsl: Any) -> type[Exception]:
    """pylsl's LostError (kept in ``pylsl.util``; older releases exported it at the top)."""
    found = getattr(getattr(pylsl, "util", None), "LostError", None) or getattr(pylsl, "LostError", None)
    return found if isinstance(found, type) and issubclass(found, Exception) else RuntimeError


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
