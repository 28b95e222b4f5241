"""What crosses from paho's thread into the coach app: a wake-up for the inbox, and link health.

``App.post_message`` is safe from another thread (it hands the message to
the app's loop); the handlers run on the app's loop, where the board lives.
"""

from __future__ import annotations

from textual.message import Message

from gymtui.gym.coach_feed import FeedHealth


class RacksHeard(Message):
    """Rack messages are waiting in the app's inbox: one wake-up for however many arrived meanwhile.

    Fifty racks at 5 Hz are 250 messages a second; one Textual message each
    would cost more than the board they feed. paho's thread appends to the
    inbox and posts this only when no wake-up is pending.
    """


class LinkChanged(Message):
    """The coach's link to the broker connected, failed or is retrying."""

    def __init__(self, health: FeedHealth) -> None:
        super().__init__()
        self.health = health
