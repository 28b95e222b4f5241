"""The store's two failures, each a one-line message for the athlete."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used; the message is one line for the athlete."""


class StoreUnavailable(StoreError):
    """The database cannot be written right now; what was asked is kept (a write) or refused (a read)."""
