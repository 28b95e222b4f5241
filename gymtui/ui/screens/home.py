"""Home: what is next, how the last one felt, and anything left unfinished."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option

from gymtui.session.protocol import SetProtocol


def describe_protocol(protocol: SetProtocol) -> str:
    parts = []
    for phase in protocol.phases:
        seconds = f"{phase.duration_s:g} s" if phase.duration_s is not None else "until Space"
        parts.append(f"{phase.name} {seconds}")
    return " → ".join(parts)


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "start", "Start set", priority=True),
        Binding("r", "rate_interrupted", "Rate unfinished"),
        Binding("d", "discard_interrupted", "Discard unfinished"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static("gymtui", id="home-title")
            yield Static("", id="home-athlete")
            yield Static("", id="home-next")
            yield Static("", id="home-protocol")
            yield Static("", id="home-last")
            with Horizontal(id="home-actions"):
                yield Button("▶  Start set (Enter)", id="start", variant="success")
            yield Static("", id="home-interrupted-title")
            yield OptionList(id="home-interrupted")
            yield Static("", id="home-recent")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_info()

    def on_screen_resume(self) -> None:
        self.refresh_info()

    @work(exclusive=True, group="home-info")
    async def refresh_info(self) -> None:
        info = await self.app.home_info()
        self.info = info
        speed = f" · demo ×{info.speed:g}" if info.speed != 1 else ""
        self.query_one("#home-athlete", Static).update(f"{info.athlete} · sensor: {info.sensor}{speed}")
        self.query_one("#home-next", Static).update(f"Next: {info.protocol.name} — {info.protocol.exercise}")
        calibration = "" if info.calibrated else "  (a 3-second MVC calibration runs first)"
        has_sensor = "no sensor" not in info.sensor
        self.query_one("#home-protocol", Static).update(
            describe_protocol(info.protocol) + (calibration if has_sensor else "")
        )
        last = f"Last activation rating for {info.protocol.exercise}: {info.last_rating}/10" if info.last_rating else "No rating yet for this exercise"
        self.query_one("#home-last", Static).update(last)
        options = self.query_one("#home-interrupted", OptionList)
        options.clear_options()
        for s in info.interrupted:
            options.add_option(
                Option(f"{s.started_at[:16].replace('T', ' ')}  {s.exercise}  ({s.phases_done} phases saved)", id=str(s.id))
            )
        title = self.query_one("#home-interrupted-title", Static)
        if info.interrupted:
            title.update("Interrupted sets — r: rate it · d: discard it")
            options.display = True
            options.highlighted = 0
        else:
            title.update("")
            options.display = False
        recent = [
            f"{s.started_at[11:16]} {s.exercise}: {s.status}"
            + (f", rated {s.activation_rating}" if s.activation_rating else "")
            for s in info.recent[:3]
        ]
        self.query_one("#home-recent", Static).update("Recent: " + " · ".join(recent) if recent else "")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("rate_interrupted", "discard_interrupted"):
            info = getattr(self, "info", None)
            return info is not None and bool(info.interrupted)
        return True

    def _selected_interrupted(self) -> int | None:
        options = self.query_one("#home-interrupted", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        return int(options.get_option_at_index(options.highlighted).id)

    async def action_start(self) -> None:
        await self.app.begin_set()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            await self.app.begin_set()

    def action_rate_interrupted(self) -> None:
        set_id = self._selected_interrupted()
        if set_id is not None:
            self.app.rate_interrupted(set_id)

    def action_discard_interrupted(self) -> None:
        set_id = self._selected_interrupted()
        if set_id is not None:
            self.app.discard_interrupted(set_id)

