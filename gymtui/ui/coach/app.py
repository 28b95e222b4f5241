"""The coach view: every rack of the gym live, a lost rack greyed, a cuff alarm on any rack filling the screen.

Messages come in on paho's thread (:class:`gymtui.gym.coach_feed.CoachFeed`),
go into an inbox, and one :class:`RacksHeard` posted to this app
(``post_message`` is safe across threads) wakes it for all that arrived. The
handler feeds the :class:`~gymtui.gym.board.Board` at once, so an alarm is
on screen as soon as it arrives; tiles are redrawn from the board twenty times
a second at most (:data:`FLUSH_S`), whatever the message rate, and only those
whose rack sent something new: fifty racks at 5 Hz is 250 messages a second
but at most five redraws a second per tile.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from gymtui.gym.board import Board
from gymtui.gym.coach_feed import CoachFeed, FeedHealth, RackMessage
from gymtui.gym.payloads import RackEvent, RackPresence, RackStatus
from gymtui.gym.settings import DEFAULT_KEEPALIVE_S, BrokerSettings
from gymtui.resources import resource_dir
from gymtui.text import safe_text
from gymtui.themes import DEFAULT_THEME, load_themes
from gymtui.ui.coach.messages import LinkChanged, RacksHeard
from gymtui.ui.screens.coach_alarm import CoachAlarmScreen
from gymtui.ui.screens.coach_board import CoachBoardScreen

FLUSH_S = 0.05
"""The board takes what arrived this often (20 Hz). A tile still redraws only when its rack sent
something new (5 Hz at most), so the rate costs little; a status waits at most this long for it."""

GC_THRESHOLDS = (50_000, 50, 100)
"""The cyclic collector's thresholds (Python's defaults: 700, 10, 10): a young pass every 50,000
allocations, an older one every 50 of those, a full one every 100 of those.

Fifty racks at 5 Hz make ~250 statuses a second, each a few hundred short-lived
objects that reference counting frees at once. At the default threshold the
cyclic collector ran many times a second and now and then walked every object
of the app (a full pass), holding the loop for a whole flush or more: the
publish → tile p99 was 467 ms, and 94–95 ms with the app's own objects frozen
and these thresholds (``gymtui bench --only gym``, same machine, minutes apart)."""

FeedFactory = Callable[[Callable[[RackMessage], None], Callable[[FeedHealth], None]], CoachFeed]


class CoachApp(App[int]):
    """gymtui coach."""

    TITLE = "gymtui coach"
    ENABLE_COMMAND_PALETTE = False
    CSS_PATH = resource_dir("themes") / "coach.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+t", "next_theme", "Theme", show=False)]

    def __init__(
        self,
        settings: BrokerSettings | None,
        *,
        theme: str = DEFAULT_THEME,
        keepalive_s: float = DEFAULT_KEEPALIVE_S,
        drawn_probe: Callable[[RackStatus], None] | None = None,
    ) -> None:
        self.themes = load_themes()
        super().__init__()
        for each in self.themes:
            self.register_theme(each)
        self.theme = theme
        self.settings = settings
        self.board = Board(keepalive_s=settings.keepalive_s if settings is not None else keepalive_s)
        self.feed: CoachFeed | None = None
        self.drawn_probe = drawn_probe
        """Called with each status the moment its tile draws it (the latency bench listens here)."""
        self.alarm_screen: CoachAlarmScreen | None = None
        self.link = FeedHealth(False, "not connected")
        self._link_line = ""
        self._inbox: deque[RackMessage] = deque()
        """Messages from paho's thread, taken in order on the app's loop."""
        self._wake_pending = False
        self.flushes = 0
        """Board refreshes so far (twenty a second)."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """gymtui's own colour variables, from the default theme, so every .tcss $variable resolves."""
        floor = next((t for t in self.themes if t.name == DEFAULT_THEME), self.themes[0])
        return dict(floor.variables)

    def get_default_screen(self) -> Screen[None]:
        return CoachBoardScreen()

    @property
    def board_screen(self) -> CoachBoardScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, CoachBoardScreen)
        return screen

    # -- start and stop -----------------------------------------------------------
    def on_mount(self) -> None:
        # What exists now (Textual, the board, the screens) lives as long as the app: out of the
        # collector's reach, so a pass walks only what came since (see GC_THRESHOLDS).
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        self.set_interval(FLUSH_S, self.flush)
        if self.settings is not None:
            self.feed = CoachFeed(self.settings, self._deliver, self._health)
            self.feed.start()
        self._show_link()

    def on_unmount(self) -> None:
        self.stop_feed()

    def stop_feed(self) -> None:
        feed, self.feed = self.feed, None
        if feed is not None:
            feed.stop()

    # -- paho's thread: hand on only ---------------------------------------------
    def _deliver(self, item: RackMessage) -> None:
        self._inbox.append(item)  # deque.append is atomic: no lock, nothing that can block paho
        if not self._wake_pending:
            self._wake_pending = True
            self.post_message(RacksHeard())

    def _health(self, health: FeedHealth) -> None:
        self.post_message(LinkChanged(health))

    # -- the app's loop ---------------------------------------------------------
    def on_racks_heard(self, _message: RacksHeard) -> None:
        self._wake_pending = False  # before draining: what arrives from now on posts a new wake-up
        inbox = self._inbox
        while inbox:
            self.take(inbox.popleft())

    def take(self, item: RackMessage) -> None:
        """One rack message onto the board; an alarm goes on screen now, tiles at the next flush."""
        now = time.monotonic()
        if isinstance(item, RackStatus):
            self.board.status(item, now)
        elif isinstance(item, RackPresence):
            self.board.presence(item, now, time.time())
        elif isinstance(item, RackEvent):
            self.board.event(item, now)
        if self.board.alarms:
            self._show_alarms()

    def on_link_changed(self, message: LinkChanged) -> None:
        self.link = message.health
        self._show_link()

    def flush(self) -> None:
        """Mark silent racks lost and redraw the tiles whose rack changed (at most :data:`FLUSH_S` apart)."""
        self.flushes += 1
        self.board.sweep(time.monotonic(), time.time())
        changed = self.board.take_changed()
        if changed:
            for tile in self.board_screen.show(changed):
                tile.on_drawn = self.drawn_probe
            self._show_link()

    def _show_link(self) -> None:
        racks = self.board.racks()
        words = [safe_text(self.link.line, max_chars=160)]
        if racks:
            words.append(f"{len(racks)} rack{'s' if len(racks) != 1 else ''}")
        away = sum(1 for r in racks if r.presence in ("lost", "offline"))
        if away:
            words.append(f"{away} lost or offline")
        line = " · ".join(words)
        if line != self._link_line:
            self._link_line = line
            self.board_screen.show_link(line, self.link.connected)

    # -- alarms -------------------------------------------------------------------
    def _show_alarms(self) -> None:
        """The oldest waiting alarm fills the screen; one already up learns how many more wait."""
        alarms = self.board.alarms
        if self.alarm_screen is not None:
            self.alarm_screen.waiting = len(alarms) - 1
            return
        self.alarm_screen = CoachAlarmScreen(alarms[0], waiting=len(alarms) - 1)
        self.push_screen(self.alarm_screen, self._acknowledged)

    def _acknowledged(self, _alarm: object) -> None:
        self.board.acknowledge()
        self.alarm_screen = None
        if self.board.alarms:
            self._show_alarms()
        self.flush()

    def action_next_theme(self) -> None:
        names = [t.name for t in self.themes]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
