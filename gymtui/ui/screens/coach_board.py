"""The coach's board: one tile per rack in a grid as wide as the screen allows, and the link's state on top.

Tiles are added when a rack is first heard of (sorted by name, rack-2
before rack-10) and then only updated: a new status changes a tile's
``state``, never the layout.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ItemGrid, VerticalScroll
from textual.screen import Screen

from gymtui.gym.board import RackState, rack_sort_key
from gymtui.ui.widgets.footer import Footer
from gymtui.ui.widgets.one_line import OneLine
from gymtui.ui.widgets.rack_tile import RackTile

TILE_MIN_COLUMNS = 34


class CoachBoardScreen(Screen[None]):
    """Every rack the coach has heard of."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit")]

    def __init__(self) -> None:
        super().__init__()
        self.tiles: dict[str, RackTile] = {}
        self._link = ("", False)

    def compose(self) -> ComposeResult:
        yield OneLine("", id="coach-link")
        with VerticalScroll(id="coach-scroll"):
            yield ItemGrid(id="coach-racks", min_column_width=TILE_MIN_COLUMNS, stretch_height=False)
        yield Footer()

    def on_mount(self) -> None:
        self._draw_link()

    def show_link(self, line: str, connected: bool) -> None:
        """The line above the tiles: the broker link, how many racks, how many lost."""
        self._link = (line, connected)
        if self.is_mounted:
            self._draw_link()

    def _draw_link(self) -> None:
        line, connected = self._link
        link = self.query_one("#coach-link", OneLine)
        link.update(line)
        link.set_class(not connected, "-down")

    def show(self, states: list[RackState]) -> list[RackTile]:
        """Put each state on its rack's tile (a new rack gets a tile in name order); the tiles added."""
        added = []
        for state in states:
            tile = self.tiles.get(state.rack)
            if tile is None:
                tile = self.tiles[state.rack] = RackTile(state.rack)
                added.append(tile)
            tile.state = state
        if added:
            grid = self.query_one("#coach-racks", ItemGrid)
            grid.mount_all(added)
            grid.sort_children(key=lambda widget: rack_sort_key(getattr(widget, "rack", "")))
        return added
