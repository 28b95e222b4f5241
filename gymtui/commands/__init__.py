"""Sub-commands of the ``gymtui`` CLI, one module each.

Each module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable ``(args) -> int`` (the exit code). ``gymtui.cli``
imports only the module a command line names, so ``gymtui --demo`` never pays
for scipy or bleak at start-up.
"""

COMMANDS: dict[str, str] = {
    # name -> module under gymtui.commands
    "analyze": "analyze",
    "bench": "bench",
    "coach": "coach",
    "cuff": "cuff",
    "decode": "decode",
    "export": "export",
    "gym": "gym",
    "hub": "hub",
    "import": "import_history",
    "plan": "plan",
    "prune": "prune",
    "scan": "scan",
    "simulate": "simulate",
}
