"""The command palette (ctrl+p): the screen's own actions, found by name.

What it offers is :func:`gymtui.ui.key_lines.key_lines` of the screen the
palette was opened over, the same list ``?`` shows, so a key and its palette
entry cannot disagree. Only what works right now is offered; choosing an
entry runs the key's action where the key would (the screen or the app).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from gymtui.ui.key_lines import PALETTE_ACTION, KeyCommand, key_lines


class ScreenCommands(Provider):
    """The keys of the screen under the palette, as commands."""

    def _commands(self) -> Iterator[KeyCommand]:
        for line in key_lines(self.screen):
            for command in line.commands:
                if command.available and command.action != PALETTE_ACTION:
                    yield command

    async def _run(self, command: KeyCommand) -> None:
        await self.app.run_action(command.action, command.node)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, partial(self._run, command), help=f"key {command.key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), partial(self._run, command), text=command.name, help=f"key {command.key}")
