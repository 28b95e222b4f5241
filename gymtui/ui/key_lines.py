"""The keys of the screen in front, read from its and the app's ``BINDINGS``.

Help (``?``) and the command palette (ctrl+p) both list what this module
reads, so neither can drift from the keys that really work: a key added to a
screen's ``BINDINGS`` shows in both, with the description its footer uses.
Whether a key works right now comes from Textual's own answer
(``Screen.active_bindings``, which asks the screen's ``check_action``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

PALETTE_ACTION = "command_palette"


@dataclass(frozen=True, slots=True)
class KeyCommand:
    """One action a key runs: what the palette offers by name."""

    name: str
    key: str
    """The key as the footer shows it."""
    action: str
    node: DOMNode
    """Where the action runs (the screen or the app)."""
    available: bool


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One line of help: the key (or a group's keys) and what it does."""

    keys: str
    description: str
    available: bool
    commands: tuple[KeyCommand, ...]


def _declared(node: DOMNode) -> list[Binding]:
    """The bindings ``node``'s classes declare, the most derived class first, each key once."""
    seen: set[str] = set()
    found: list[Binding] = []
    for cls in type(node).__mro__:
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())):
            if binding.key in seen or binding.system or not binding.description:
                continue
            seen.add(binding.key)
            found.append(binding)
    return found


def _app_bindings(app: App[object], modal: bool) -> list[Binding]:
    """The app's keys that reach this screen: over a modal screen, only the app's priority keys do."""
    bindings = _declared(app)
    if app.ENABLE_COMMAND_PALETTE and all(b.action != PALETTE_ACTION for b in bindings):
        # Textual adds this one at start-up, outside BINDINGS.
        bindings.append(Binding(app.COMMAND_PALETTE_BINDING, PALETTE_ACTION, "Command palette", priority=True))
    return [b for b in bindings if b.priority or not modal]


def screen_name(screen: Screen[object]) -> str:
    """``CuffSetupScreen`` → "Cuff setup"."""
    words = re.findall(r"[A-Z][a-z0-9]*", type(screen).__name__.removesuffix("Screen")) or ["This screen"]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def key_lines(screen: Screen[object]) -> list[KeyLine]:
    """The screen's keys, then the app's that reach it; a binding group (the ratings 1–10) is one line."""
    app = screen.app
    active = screen.active_bindings
    commands: list[tuple[Binding, KeyCommand]] = []
    keys_seen: set[str] = set()
    sources: list[tuple[DOMNode, list[Binding]]] = [(screen, _declared(screen)), (app, _app_bindings(app, screen.is_modal))]
    for node, bindings in sources:
        for binding in bindings:
            if binding.key in keys_seen:
                continue  # the screen's binding for a key shadows the app's
            keys_seen.add(binding.key)
            live = active.get(binding.key)
            if node is app and binding.priority:
                available = True  # the app's priority keys work over any screen
            else:
                available = live is not None and live.node is node and live.binding.action == binding.action and live.enabled
            name = f"{binding.group.description}: {binding.description}" if binding.group else binding.description
            commands.append((binding, KeyCommand(name, app.get_key_display(binding), binding.action, node, available)))
    return _fold(commands)


def _fold(commands: list[tuple[Binding, KeyCommand]]) -> list[KeyLine]:
    """One line per group, and per action whose keys are several (``+`` and ``=``)."""
    lines: list[tuple[object, str, list[KeyCommand]]] = []
    for binding, command in commands:
        tag: object = binding.group if binding.group is not None else (command.node, binding.action, binding.description)
        description = binding.group.description if binding.group is not None else binding.description
        if lines and lines[-1][0] == tag:
            lines[-1][2].append(command)
        else:
            lines.append((tag, description, [command]))
    folded: list[KeyLine] = []
    for tag, description, group in lines:
        keys = list(dict.fromkeys(c.key for c in group))
        if isinstance(tag, Binding.Group):
            says = [c.name.split(": ", 1)[1] for c in group]
            if not all(s.isdigit() for s in says):  # "Load: + −" says which key does what; "Rate 1–10" does already
                description = f"{description}: {' '.join(says)}"
        folded.append(KeyLine(" ".join(keys), description, any(c.available for c in group), tuple(group)))
    return folded
