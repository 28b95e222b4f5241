"""``gymtui hub --gym URL --db PATH``: the gym's log and every athlete's state, from every rack's records.

Runs until Ctrl-C or SIGTERM. It connects as the broker user ``hub``
(``--user`` for another name the ACL grants the same), keeps a persistent
session (records sent while it was away wait at the broker), writes each
set into the log file ``--db`` (the racks' own schema, with each set's
rack) and publishes each athlete's plan position, loads and LOP retained
for the racks. One line per set stored and per message skipped.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from gymtui.text import safe_text

EXIT_USAGE = 2
EXIT_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "hub",
        help="keep the gym's log from every rack's records and publish each athlete's state",
        description=(
            "Subscribe to every rack's set records, store each set once in the gym's log (--db), and publish "
            "each athlete's plan position, loads and LOP (retained) for the racks. Runs until Ctrl-C."
        ),
    )
    parser.add_argument("--gym", dest="hub_gym", required=True, metavar="URL",
                        help="the gym's broker: mqtts://HOST:8883 (mqtt:// only on loopback)")
    parser.add_argument("--db", dest="hub_db", required=True, type=Path, metavar="PATH", help="the gym's log (SQLite; made if new)")
    parser.add_argument("--user", dest="hub_user", default="hub", metavar="NAME", help="broker username (default: hub)")
    parser.add_argument("--gym-password-file", dest="hub_password_file", type=Path, metavar="PATH",
                        help="a file holding the hub's broker password, readable by its owner only "
                        "(or set GYMTUI_GYM_PASSWORD)")
    parser.add_argument("--gym-ca", dest="hub_ca", type=Path, metavar="PATH", help="the gym's CA certificate (default: the system's)")
    parser.set_defaults(func=run)


def _say(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    from gymtui.gym.connection import GymUnavailable, load_paho
    from gymtui.gym.hub import Hub
    from gymtui.gym.settings import BrokerSettings, BrokerSettingsError
    from gymtui.store import Store, StoreError

    try:
        load_paho()
        settings = BrokerSettings.build(args.hub_gym, args.hub_user, password_file=args.hub_password_file, ca_file=args.hub_ca)
    except (BrokerSettingsError, GymUnavailable, ValueError) as exc:
        print(f"gymtui hub: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = Store(args.hub_db.expanduser())
    except StoreError as exc:
        print(f"gymtui hub: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    hub = Hub(settings, store, say=_say)

    def leave(_signum: int, _frame: FrameType | None) -> None:
        hub.stop()

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)
    _say(f"gymtui hub: log {safe_text(str(store.path))}, broker {settings.url} as {safe_text(settings.username)}")
    try:
        hub.run()
    finally:
        store.close()
    _say(f"gymtui hub: stopped ({hub.stored} records stored, {hub.skipped} skipped)")
    return 0
