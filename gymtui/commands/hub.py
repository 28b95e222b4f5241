"""``gymtui hub --gym URL --db PATH [--gym-user hub] [--gym-password-file F] [--gym-ca CA]``.

The gym's log and every athlete's state, from every rack's records. Runs
until Ctrl-C or SIGTERM. The broker settings are resolved as the coach's and
a rack's are (:func:`gymtui.gym.settings.resolve_link`): each flag given wins
over its key in gym.toml's ``[gym]`` table; the hub needs no rack name and
connects as the broker user ``hub`` (``--gym-user`` for another name the ACL
grants the same). It keeps a persistent session (records sent while it was
away wait at the broker), writes each set into the log file ``--db`` (the
racks' own schema, with each set's rack) and publishes each athlete's plan
position, loads and LOP retained for the racks. One line on stdout per set
stored new or updated (a repeat is silent) and per message skipped.

``--db`` is locked as a rack's database is (:class:`gymtui.instance.InstanceLock`):
two hubs on one log would each acknowledge records the other is writing.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from gymtui.text import safe_text

EXIT_USAGE = 2
DEFAULT_USER = "hub"
LINE_MAX_CHARS = 500
"""An error line names up to two paths (a setting and the gym.toml it came from): longer than a name."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "hub",
        help="keep the gym's log from every rack's records and publish each athlete's state",
        description=(
            "Subscribe to every rack's set records, store each set once in the gym's log (--db), and publish "
            "each athlete's plan position, loads and LOP (retained) for the racks. Runs until Ctrl-C. "
            "Broker flags not given come from gym.toml's [gym] table."
        ),
    )
    parser.add_argument("--gym", dest="hub_gym", metavar="URL",
                        help="the gym's broker: mqtts://HOST:8883 (mqtt:// only on loopback)")
    parser.add_argument("--db", dest="hub_db", required=True, type=Path, metavar="PATH", help="the gym's log (SQLite; made if new)")
    parser.add_argument("--gym-user", default=DEFAULT_USER, metavar="NAME", help="broker username (default: hub)")
    parser.add_argument("--gym-password-file", dest="hub_password_file", type=Path, metavar="PATH",
                        help="the hub's broker password, in a file only you can read (or set GYMTUI_GYM_PASSWORD)")
    parser.add_argument("--gym-ca", dest="hub_ca", type=Path, metavar="PATH", help="the gym's CA certificate (default: the system's)")
    parser.set_defaults(func=run)


def _say(line: str) -> None:
    print(line, flush=True)


def _fail(message: object) -> int:
    print(f"gymtui hub: {safe_text(str(message), max_chars=LINE_MAX_CHARS)}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import gym_link
    from gymtui.gym.connection import GymUnavailable
    from gymtui.gym.hub import Hub
    from gymtui.gym.settings import BrokerSettingsError, LinkFlags
    from gymtui.instance import InstanceLockError, open_locked_store
    from gymtui.store import StoreError

    flags = LinkFlags(
        url=args.hub_gym or getattr(args, "gym", None),
        password_file=args.hub_password_file or getattr(args, "gym_password_file", None),
        ca_file=args.hub_ca or getattr(args, "gym_ca", None),
    )
    try:
        settings = gym_link(flags, args.gym_user)
    except (BrokerSettingsError, GymUnavailable) as exc:
        return _fail(exc)
    if settings is None:
        return _fail("give the broker: --gym mqtts://HOST:8883 (or broker = ... in gym.toml's [gym])")
    db_path = args.hub_db.expanduser()
    # As a rack does: lock the file before anything writes it, so a second hub
    # on the same log (by any path) refuses before it touches the broker.
    try:
        lock, store = open_locked_store(db_path)
    except (StoreError, InstanceLockError) as exc:
        return _fail(exc)
    try:
        hub = Hub(settings, store, say=_say)

        def leave(_signum: int, _frame: FrameType | None) -> None:
            hub.stop()

        signal.signal(signal.SIGTERM, leave)
        signal.signal(signal.SIGINT, leave)
        _say(
            f"gymtui hub: log {safe_text(str(store.path), max_chars=LINE_MAX_CHARS)}, broker {safe_text(str(settings.url))} "
            f"as {safe_text(settings.username)}"
        )
        hub.run()
        _say(f"gymtui hub: stopped ({hub.stored} records stored, {hub.skipped} skipped)")
    finally:
        store.close()
        lock.release()
    return 0
