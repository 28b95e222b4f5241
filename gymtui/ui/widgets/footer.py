"""The footer, without Textual's footer-key leak (textual#6666).

Textual's ``Footer`` rebuilds its keys whenever the screen's bindings change
and ties each key's ``compact`` to the footer with ``data_bind``. That tie is
kept on the footer and dropped only when ``compact`` changes, which it never
does here, so every rebuild kept the replaced keys alive with their render
caches. The home screen lives as long as the app and rebuilds its footer each
time a set ends: about 15 widgets, ~0.5 MB, per set. This footer drops the
ties of keys that have been removed, by the rule Textual itself applies when
``compact`` does change (a watcher whose widget is closing is dropped).
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

_WATCHERS = "__watchers"
"""Where Textual keeps the watchers others put on a reactive object (``textual.reactive._watch``)."""


class Footer(TextualFooter):
    """Textual's footer; rebuilding its keys no longer keeps the old ones."""

    async def recompose(self) -> None:
        await super().recompose()
        self._drop_watchers_of_removed_widgets()

    def _drop_watchers_of_removed_widgets(self) -> None:
        watchers = getattr(self, _WATCHERS, None)
        if not isinstance(watchers, dict):
            return  # a Textual that stores them elsewhere (or has fixed the leak)
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if not getattr(node, "_closing", False)]
