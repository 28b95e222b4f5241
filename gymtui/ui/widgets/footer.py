"""The footer, without Textual's footer-key leak (textual#6666).

Textual's ``Footer`` rebuilds its keys whenever the screen's bindings change
and ties each key's ``compact`` to the footer with ``data_bind``. That tie is
kept on the footer and dropped only when ``compact`` changes, which it never
does here, so every rebuild kept the replaced keys alive with their render
caches. The home screen lives as long as the app and rebuilds its footer each
time a set ends: about 15 widgets, ~0.5 MB, per set. This footer drops the
ties of keys that have been removed, by the rule Textual itself applies when
``compact`` does change (a watcher whose widget is closing is dropped).

It also keeps "q Quit" on screen: Textual lays the keys out left to right and
the last ones fall off a narrow terminal, so Quit sits at the right edge (as
Textual's own command-palette key does), below 100 columns the keys drop
their padding so more of them fit, and a key that still does not fit is
left out whole rather than cut mid-word. "? Help" is kept too, last before
Quit: it is the way to every key the footer had no room for.

And it rebuilds only when what it shows changes. Textual rebuilds the footer
on every change of the screen's bindings, and the set screen refreshes its
bindings at each phase: a day of sets rebuilt it about 500 times for nothing,
each time restyling every key (a fifth of the app's CPU time over a day).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

_WATCHERS = "__watchers"
"""Where Textual keeps the watchers others put on a reactive object (``textual.reactive._watch``)."""

COMPACT_BELOW_COLUMNS = 100
"""Narrower terminals get the compact footer (no padding around each key)."""


class Footer(TextualFooter):
    """Textual's footer; rebuilding its keys no longer keeps the old ones, and Quit stays in view."""

    DEFAULT_CSS = """
    Footer FooterKey.-quit, Footer.-compact FooterKey.-quit {
        dock: right;
        margin: 0;
        padding-left: 1;
        border-left: vkey $foreground 20%;
    }
    """

    _shown: tuple[Any, ...] | None = None
    """What the keys now on screen were built from (:meth:`_what_to_show`); None: nothing built yet."""

    def _what_to_show(self) -> tuple[Any, ...]:
        """The screen's shown bindings as the footer draws them: key, label, action, enabled, tooltip, group."""
        if not self._bindings_ready:
            return ()
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, binding.action, enabled, tooltip,
             binding.group.description if binding.group is not None else None)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    class Rebuild(Message):
        """Build the keys again: handled by the footer itself, as Textual's key binding needs."""

    @property
    def up_to_date(self) -> bool:
        """Whether the keys on screen are the ones the screen's bindings call for now."""
        return bool(self._bindings_ready) and self._shown == self._what_to_show()

    def rebuild(self) -> None:
        """Build the keys again even if the bindings look the same."""
        self._shown = None
        self.post_message(self.Rebuild())

    async def on_footer_rebuild(self, message: Rebuild) -> None:
        message.stop()
        await self.recompose()

    def compose(self) -> ComposeResult:
        kept_last: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action == "app.quit":
                widget.add_class("-quit")
            elif isinstance(widget, FooterKey) and widget.action in ("help", "app.help"):
                widget.add_class("-help")
                kept_last.append(widget)
                continue
            yield widget
        yield from kept_last

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < COMPACT_BELOW_COLUMNS
        if compact != self.compact:
            self.compact = compact
        for key in self.query(FooterKey):
            key.display = True  # a wider terminal may fit a key left out before
            key.refresh(layout=True)  # a key's width follows its padding (Textual repaints it only)
        self.call_after_refresh(self._fit_keys)

    async def recompose(self) -> None:
        if not self.is_attached:
            return  # its screen has gone (a modal dismissed) before a rebuild it had asked for
        shown = self._what_to_show()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
        self._drop_watchers_of_removed_widgets()
        self.call_after_refresh(self._fit_keys)

    def _fit_keys(self, waited: int = 0) -> None:
        """Keys that do not fit left of Quit are left out whole, never shown cut ("a Athlete"); Help is kept."""
        keys = list(self.query(FooterKey))
        if waited < 10 and any(k.display and k.outer_size.width == 0 for k in keys):
            self.call_after_refresh(self._fit_keys, waited + 1)  # not laid out yet: their widths are not known
            return
        limit = next((k.region.x for k in keys if k.has_class("-quit")), self.region.right)
        room = limit - self.region.x - sum(k.outer_size.width for k in keys if k.has_class("-help"))
        for key in keys:
            if key.has_class("-quit") or key.has_class("-help") or not key.display:
                continue
            if key.outer_size.width > room:
                key.display = False
                room = 0  # later keys stay out too: the order on screen is the screens' order
            else:
                room -= key.outer_size.width

    def _drop_watchers_of_removed_widgets(self) -> None:
        watchers = getattr(self, _WATCHERS, None)
        if not isinstance(watchers, dict):
            return  # a Textual that stores them elsewhere (or has fixed the leak)
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if not getattr(node, "_closing", False)]
