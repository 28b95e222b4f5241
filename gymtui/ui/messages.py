"""Messages that cross from worker threads to the UI.

Frames may replace one another (a lagging screen shows the newest, not a
backlog). Everything else — a stored summary, a calibration, a failure —
must arrive, so it never replaces anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from gymtui.model import ActivationFrame, LinkHealth
from gymtui.services.set_runner import Notice
from gymtui.store import StoreHealth

if TYPE_CHECKING:
    from gymtui.gym.rack_link import LinkHealth as GymLinkHealth


class FrameArrived(Message):
    """The newest activation frame from the signal worker."""

    def __init__(self, frame: ActivationFrame) -> None:
        super().__init__()
        self.frame = frame

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FrameArrived)


class RunnerNotice(Message):
    """A stored set summary, a stored calibration or a failed write."""

    def __init__(self, notice: Notice) -> None:
        super().__init__()
        self.notice = notice


class LinkChanged(Message):
    """A device's link changed state (connected, lost, reconnecting...)."""

    def __init__(self, device: str, health: LinkHealth) -> None:
        super().__init__()
        self.device = device
        self.health = health


class SignalProblem(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class GymLinkChanged(Message):
    """The gym link's news: connected, the broker away, records waiting or refused (the newest replaces older)."""

    def __init__(self, health: GymLinkHealth) -> None:
        super().__init__()
        self.health = health

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, GymLinkChanged)


class StoreHealthChanged(Message):
    """The store thread's news: writes kept in memory, the database back, a write refused for good.

    Never replaces another: "unavailable" and "back" must both arrive.
    """

    def __init__(self, health: StoreHealth) -> None:
        super().__init__()
        self.health = health
