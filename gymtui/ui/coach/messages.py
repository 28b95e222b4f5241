"""What crosses from paho's thread into the coach app: one message per broker message, and link health.

``App.post_message`` is safe from another thread (it hands the message to
the app's loop); the handlers run on the app's loop, where the board lives.
"""

from __future__ import annotations

from textual.message import Message

from gymtui.gym.coach_feed import FeedHealth, RackMessage


class RackHeard(Message):
    """A decoded status, presence or event from one rack."""

    def __init__(self, item: RackMessage) -> None:
        super().__init__()
        self.item = item


class LinkChanged(Message):
    """The coach's link to the broker connected, failed or is retrying."""

    def __init__(self, health: FeedHealth) -> None:
        super().__init__()
        self.health = health
