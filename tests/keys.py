"""Key presses for Pilot tests of an app that is never idle.

``Pilot.press`` waits, after every key, for the process to look idle (CPU
time nearly still for 20 ms, at most a second, twice). With the demo sensor
simulating motor units and the signal worker filtering in their threads the
app is never idle, so every key costs about two seconds of wall time and a
training day of keys costs minutes. :func:`press` sends the same key events
through the same driver, then waits for exactly what the test needs: every
message queued on the app and its screen processed. What a key then
*causes* (a screen pushed, a set started) is awaited by the test itself,
with a deadline, as everything else is.

The key names and characters are made the way Pilot makes them (Textual's
own key tables, a private module: the test extra pins Textual's version).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

__all__ = ["press"]


def key_event(key: str) -> events.Key:
    """The event a terminal sends for ``key`` (a name such as ``"up"`` or a character such as ``"]"``)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def press(pilot: Any, *keys: str) -> None:
    """Each key through the app's driver, then every message queued so far processed."""
    app = pilot.app
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
        await pilot.pause(0)
