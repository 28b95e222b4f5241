"""What the coach view knows of every rack: its latest status, whether it is there, and alarms to acknowledge.

Pure bookkeeping, fed one decoded message at a time and asked what to
show; no MQTT, no Textual, no clock of its own (the caller passes ``now``),
so every rule is tested with plain values.

- **Latest status wins by seq.** QoS 0 status can arrive late after a
  reconnect; a status whose ``seq`` is not above the one shown is dropped.
  A rack that restarts counts from 0 again: a lower ``seq`` is taken when
  the rack said "online" again after the status shown, or when it was sent
  more than :data:`RESTART_GAP_S` after it (a process restart takes longer
  than that; a late packet of the same run was sent earlier, not later).
- **Lost without the will.** The broker sends a rack's will (``lost``)
  1.5 keep-alives after it falls silent, but a broker that restarts, or a
  will stuck behind a half-open socket, would leave a dead rack "online" for
  ever. So a rack from which nothing was heard for 1.5 keep-alives is lost
  here too (:meth:`Board.sweep`), and any message brings it back.
- **Alarms stay until acknowledged.** A cuff alarm arrives as a
  ``cuff_alarm`` event (QoS 1) and as ``cuff.alarm`` in the status (QoS 0,
  sooner); whichever comes first raises it, the other is the same alarm.
  Once acknowledged, the same alarm still showing in the status does not
  raise it again; it must clear first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from gymtui.gym.payloads import RackEvent, RackPresence, RackStatus
from gymtui.gym.settings import DEFAULT_KEEPALIVE_S

Presence = Literal["online", "offline", "lost", "unknown"]

LOST_AFTER_KEEPALIVES = 1.5
"""Silent for this many keep-alives: lost (MQTT's own rule for sending the will)."""
RESTART_GAP_S = 1.0
"""A status with a lower seq sent this much later than the one shown is a restarted rack, not a late packet."""
DEFAULT_ALARM_REASON = "cuff alarm"
SAME_ALARM_S = 5.0
"""An event and a status of one rack raising an alarm within this many seconds (rack clock) are one alarm."""


@dataclass(frozen=True, slots=True)
class RackState:
    """One rack as the coach's tile draws it: immutable, so a tile can tell whether anything changed."""

    rack: str
    status: RackStatus | None = None
    presence: Presence = "unknown"
    since: float | None = None
    """Wall-clock time (Unix s) of the presence change: "lost since 14:02:11"."""
    alarm: str | None = None
    """The reason of an alarm not yet acknowledged on this rack, None when there is none."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """A cuff alarm waiting for the coach's acknowledgement."""

    rack: str
    reason: str
    at: float
    """When the rack raised it (its clock; Unix s)."""


@dataclass(slots=True)
class _Rack:
    state: RackState
    heard_at: float
    """When the board last heard from the rack (the caller's monotonic clock)."""
    keepalive_s: float
    online_at: float | None = None
    """The rack's own time of its last "online": a status sent before it is from an earlier run."""
    active_alarms: frozenset[str] = frozenset()
    """Alarm reasons the rack's status shows now (raised or acknowledged): not raised again until they clear."""
    raised_at: float | None = None
    """The rack's time of the last alarm raised (an event and a status of the same moment are one alarm)."""


class Board:
    """Every rack the coach has heard of, by name."""

    def __init__(self, keepalive_s: float = DEFAULT_KEEPALIVE_S) -> None:
        self.keepalive_s = keepalive_s
        self._racks: dict[str, _Rack] = {}
        self._alarms: list[Alarm] = []
        self._events_seen: set[tuple[str, int]] = set()
        self._dirty: set[str] = set()
        self.dropped_stale = 0
        """Statuses dropped because a newer one was already shown."""

    # -- reading ---------------------------------------------------------------
    def racks(self) -> list[RackState]:
        """Every rack, by name (rack-2 before rack-10)."""
        return [self._racks[name].state for name in sorted(self._racks, key=rack_sort_key)]

    def get(self, rack: str) -> RackState | None:
        entry = self._racks.get(rack)
        return None if entry is None else entry.state

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        """Alarms waiting for acknowledgement, oldest first."""
        return tuple(self._alarms)

    def take_changed(self) -> list[RackState]:
        """The racks whose state changed since the last call (what the view must redraw), by name."""
        changed = [self._racks[name].state for name in sorted(self._dirty, key=rack_sort_key)]
        self._dirty.clear()
        return changed

    # -- feeding ---------------------------------------------------------------
    def status(self, status: RackStatus, now: float) -> bool:
        """Take a status; False when it is older than the one shown (dropped)."""
        entry = self._entry(status.rack, now)
        shown = entry.state.status
        if shown is not None and status.seq <= shown.seq and not self._restarted(entry, shown, status):
            self.dropped_stale += 1
            entry.heard_at = now
            return False
        entry.heard_at = now
        state = replace(entry.state, status=status)
        if state.presence != "online":
            state = replace(state, presence="online", since=status.sent_at)
        entry.state = state
        self._cuff_alarm_from_status(entry, status)
        self._dirty.add(status.rack)
        return True

    def presence(self, presence: RackPresence, now: float, wall_now: float) -> None:
        """Take a presence message: the rack's own online/offline, or its will (lost)."""
        entry = self._entry(presence.rack, now)
        if presence.keepalive_s:
            entry.keepalive_s = float(presence.keepalive_s)
        if presence.state == "online":
            entry.heard_at = now
            entry.online_at = presence.at
        since = presence.at if presence.at is not None else wall_now
        if entry.state.presence != presence.state:
            entry.state = replace(entry.state, presence=presence.state, since=since)
            self._dirty.add(presence.rack)

    def event(self, event: RackEvent, now: float) -> Alarm | None:
        """Take an event; the new alarm when it is a cuff alarm not already waiting or acknowledged."""
        entry = self._entry(event.rack, now)
        entry.heard_at = now
        key = (event.rack, event.seq)
        if key in self._events_seen:
            return None  # QoS 1 may deliver twice
        self._events_seen.add(key)
        if event.kind != "cuff_alarm":
            return None
        reason = event.text or DEFAULT_ALARM_REASON
        if reason in entry.active_alarms or (
            entry.active_alarms and entry.raised_at is not None and abs(event.at - entry.raised_at) <= SAME_ALARM_S
        ):
            return None  # the status raised it already (waiting or acknowledged)
        return self._raise(entry, reason, event.at)

    def sweep(self, now: float, wall_now: float) -> list[str]:
        """Mark lost every rack silent for 1.5 keep-alives; the racks that became lost now."""
        lost = []
        for name, entry in self._racks.items():
            if entry.state.presence in ("online", "unknown") and now - entry.heard_at > LOST_AFTER_KEEPALIVES * entry.keepalive_s:
                silent_s = now - entry.heard_at
                entry.state = replace(entry.state, presence="lost", since=wall_now - silent_s)
                self._dirty.add(name)
                lost.append(name)
        return lost

    def acknowledge(self) -> Alarm | None:
        """The coach acknowledged the oldest alarm: it goes (the next one, if any, is shown)."""
        if not self._alarms:
            return None
        alarm = self._alarms.pop(0)
        entry = self._racks.get(alarm.rack)
        if entry is not None:
            waiting = next((a.reason for a in self._alarms if a.rack == alarm.rack), None)
            entry.state = replace(entry.state, alarm=waiting)
            self._dirty.add(alarm.rack)
        return alarm

    # -- rules -------------------------------------------------------------------
    def _entry(self, rack: str, now: float) -> _Rack:
        entry = self._racks.get(rack)
        if entry is None:
            entry = self._racks[rack] = _Rack(RackState(rack=rack), heard_at=now, keepalive_s=self.keepalive_s)
            self._dirty.add(rack)
        return entry

    @staticmethod
    def _restarted(entry: _Rack, shown: RackStatus, status: RackStatus) -> bool:
        """A lower seq from a rack that started again (see the module's doc)."""
        if entry.online_at is not None and entry.online_at > shown.sent_at and status.sent_at >= entry.online_at:
            return True
        return status.sent_at > shown.sent_at + RESTART_GAP_S

    def _cuff_alarm_from_status(self, entry: _Rack, status: RackStatus) -> None:
        reason = status.cuff.alarm if status.cuff is not None else None
        if reason is None:
            entry.active_alarms = frozenset()
            return
        if reason not in entry.active_alarms:
            self._raise(entry, reason, status.sent_at)

    def _raise(self, entry: _Rack, reason: str, at: float) -> Alarm | None:
        """Queue an alarm; None when the same one is waiting already."""
        entry.active_alarms = entry.active_alarms | {reason}
        entry.raised_at = at
        if any(a.rack == entry.state.rack and a.reason == reason for a in self._alarms):
            return None
        alarm = Alarm(rack=entry.state.rack, reason=reason, at=at)
        self._alarms.append(alarm)
        if entry.state.alarm is None:
            entry.state = replace(entry.state, alarm=reason)
        self._dirty.add(alarm.rack)
        return alarm


def rack_sort_key(name: str) -> tuple[int | str, ...]:
    """rack-2 before rack-10: digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))
