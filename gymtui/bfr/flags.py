"""The status bits a cuff reports, in the supervisor's vocabulary.

Shared by the wire codec (:mod:`gymtui.bfr.codec`), the supervisor and the
simulated cuff, so it sits on its own with no imports.
"""

from __future__ import annotations

import enum


class CuffFlag(enum.IntFlag):
    """Status bits a cuff reports (``PressureReading.fault_bits``).

    The open cuff profile (``devices/CUFF-PROTOCOL.md``) puts them on the
    wire at these positions; other adapters map their device's flags onto
    them. The low byte is state, the high byte faults.
    """

    PUMP_ON = 0x0001
    VALVE_OPEN = 0x0002
    REGULATING = 0x0004
    WATCHDOG_DEFLATED = 0x0008  # the cuff deflated itself: link loss or no keep-alive
    OVER_PRESSURE = 0x0100  # the cuff's own over-pressure trip
    LEAK = 0x0200
    SENSOR_FAULT = 0x0400
    PUMP_FAULT = 0x0800
    LOW_BATTERY = 0x1000
    COMMAND_REJECTED = 0x2000


FAULT_FLAGS = CuffFlag.OVER_PRESSURE | CuffFlag.LEAK | CuffFlag.SENSOR_FAULT | CuffFlag.PUMP_FAULT
"""Flags that force a deflate and an alarm."""
