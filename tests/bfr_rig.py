"""The closed loop the cuff tests drive (it lives in the package: ``gymtui cuff simulate`` uses it too)."""

from gymtui.sim.cuff_loop import ClosedLoop as Rig
from gymtui.sim.cuff_loop import FakeClock

__all__ = ["FakeClock", "Rig"]
