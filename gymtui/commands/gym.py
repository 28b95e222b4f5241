"""``gymtui gym init`` writes the gym's broker folder; ``gymtui gym doctor`` checks a rack's way to it.

``init DIR --rack NAME… --host NAME…`` writes Mosquitto's config, the gym's
CA, the broker's certificate, a password per rack (and for the coach and
the hub) and the ACL (:func:`gymtui.gym.broker_setup.write_broker_dir`),
then prints what to copy to each rack and how to start everything. Run on a
folder it wrote before, it adds the racks named and keeps everything else:
the CA (racks keep their ``ca.crt``) and every other user's password. Only
``--force`` starts over (new CA, new passwords: every rack needs new files).

``doctor`` takes a rack's settings as the app does (``--gym URL --rack NAME
--gym-password-file PATH --gym-ca PATH``, or gym.toml's ``[gym]`` table, the
flags first) and prints one ✓ or ✗ line per check
(:mod:`gymtui.gym.doctor`). Exit 0: all ✓; 1: a ✗; 2: nothing to check.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gymtui.argtypes import bounded_float
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.gym.broker_setup import ExistingBrokerDir

EXIT_USAGE = 2
EXIT_FAILED = 1
DEFAULT_PORT = 8883
LOCAL_NAMES = ("localhost", "127.0.0.1")
"""Always in the broker's certificate: the hub on the broker's own machine dials mqtts://localhost."""


def register(subparsers: argparse._SubParsersAction) -> None:
    from gymtui.cli import OneLineParser

    parser = subparsers.add_parser(
        "gym", help="set up a gym's broker (init) and check a rack's link to it (doctor)",
        description="Many racks, one coach: see 'Setting up a gym' in the README.",
    )
    sub = parser.add_subparsers(dest="gym_command", metavar="init|doctor", required=True, parser_class=OneLineParser)
    init = sub.add_parser(
        "init", help="write the broker folder: Mosquitto config, CA and certificate, passwords, ACL",
        description=(
            "Write the gym's broker folder (or add racks to one written before, keeping the CA and every other "
            "password) and print what to copy to each rack."
        ),
    )
    init.add_argument("dir", type=Path, metavar="DIR", help="the broker folder, e.g. /srv/gymtui-broker")
    init.add_argument("--rack", dest="init_racks", action="append", type=_rack_name, default=[], metavar="NAME",
                      help="a rack's name (its broker username); repeat for each rack")
    init.add_argument("--host", dest="init_hosts", action="append", default=[], metavar="NAME",
                      help="a name or IP address the racks dial the broker by (in its certificate); repeat for each")
    init.add_argument("--port", dest="init_port", type=_port, default=None, metavar="PORT",
                      help=f"the broker's TLS port (default {DEFAULT_PORT})")
    init.add_argument("--bind", dest="init_bind", metavar="ADDRESS", default=None,
                      help="the address the broker listens on (default 0.0.0.0: every interface; or the gym LAN's address)")
    init.add_argument("--run-as", dest="init_run_as", metavar="USER",
                      help="the account Mosquitto keeps when started as root (default: it drops to 'mosquitto')")
    init.add_argument("--force", dest="init_force", action="store_true",
                      help="start over in a folder written before: a new CA and new passwords for everyone")
    init.set_defaults(func=run_init)
    doctor = sub.add_parser(
        "doctor", help="check this rack's broker URL, certificate, credentials and ACL, one line each",
        description=(
            "Check, from a rack, everything its gym link needs, with the app's flags or gym.toml's [gym] table: "
            "one line per check, ✓ or ✗ with what to do. Exit 0: all ✓; 1: something to fix."
        ),
    )
    doctor.add_argument("--gym", dest="doctor_gym", metavar="URL", help="the gym's broker: mqtts://HOST:8883")
    doctor.add_argument("--rack", dest="doctor_rack", type=_rack_name, metavar="NAME", help="this rack's name")
    doctor.add_argument("--gym-password-file", dest="doctor_password_file", type=Path, metavar="PATH",
                        help="the rack's broker password file (or GYMTUI_GYM_PASSWORD)")
    doctor.add_argument("--gym-ca", dest="doctor_ca", type=Path, metavar="PATH", help="the gym's CA certificate")
    doctor.add_argument("--timeout", dest="doctor_timeout_s", type=_timeout, default=None, metavar="S",
                        help="seconds each network step may take (default 10)")
    doctor.set_defaults(func=run_doctor)


def _rack_name(text: str) -> str:
    from gymtui.gym.topics import BadRackName, check_rack_name

    try:
        return check_rack_name(text.strip())
    except BadRackName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{safe_text(text, max_chars=20)!r} is not a TCP port (1-65535)")
    return int(text)


_timeout = bounded_float(0, 120, low_open=True, why="seconds a network step may take")


# -- init -----------------------------------------------------------------------------


def run_init(args: argparse.Namespace) -> int:
    from gymtui.gym.broker_setup import BrokerDirError, is_broker_dir, read_broker_dir

    root = args.dir.expanduser().absolute()
    given_racks = list(dict.fromkeys(args.init_racks))
    hosts = list(dict.fromkeys(h.strip() for h in args.init_hosts if h.strip()))
    bad_host = next((h for h in hosts if not _host_ok(h)), None)
    if bad_host is not None:
        print(f"gymtui gym init: --host {safe_text(bad_host, max_chars=60)!r} is not a host name or IP address", file=sys.stderr)
        return EXIT_USAGE
    if args.init_bind is not None and not _is_address(args.init_bind):
        print(f"gymtui gym init: --bind {safe_text(args.init_bind, max_chars=60)!r} is not an IP address of this machine "
              "(e.g. 0.0.0.0 or 192.168.1.10)", file=sys.stderr)
        return EXIT_USAGE
    if root.exists() and not root.is_dir():
        print(f"gymtui gym init: {safe_text(root)} is a file, not a folder", file=sys.stderr)
        return EXIT_USAGE
    adding = root.is_dir() and is_broker_dir(root) and not args.init_force
    if root.is_dir() and not is_broker_dir(root) and any(root.iterdir()):
        print(f"gymtui gym init: {safe_text(root)} has other files in it: give a new or empty folder", file=sys.stderr)
        return EXIT_USAGE
    if not adding:
        if not given_racks or not hosts:
            print("gymtui gym init: give each rack (--rack NAME, repeated) and the broker's name on the gym's network "
                  "(--host NAME, e.g. gym.local or its IP address)", file=sys.stderr)
            return EXIT_USAGE
        return _write_new(
            root, given_racks, hosts, args.init_port or DEFAULT_PORT, args.init_bind or "0.0.0.0", args.init_run_as, args.init_force
        )
    try:
        existing = read_broker_dir(root)
    except BrokerDirError as exc:
        print(f"gymtui gym init: {safe_text(exc)}", file=sys.stderr)
        return EXIT_USAGE
    return _add_to(root, existing, given_racks, hosts, args.init_port, args.init_bind, args.init_run_as)


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _host_ok(host: str) -> bool:
    import ipaddress
    import re

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?", host) is not None


def _with_local(hosts: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*hosts, *LOCAL_NAMES]))


def _write_new(
    root: Path, racks: list[str], hosts: list[str], port: int, bind: str, run_as: str | None, force: bool
) -> int:
    from gymtui.gym.broker_setup import write_broker_dir

    try:
        folder = write_broker_dir(root, racks, hosts=_with_local(hosts), port=port, bind_address=bind, run_as_user=run_as)
    except (ValueError, OSError) as exc:
        print(f"gymtui gym init: {safe_text(exc)}", file=sys.stderr)
        return EXIT_USAGE
    started = "Started over in" if force else "Wrote"
    print(f"{started} the gym's broker folder {safe_text(root)}: {len(racks)} rack{'s' if len(racks) != 1 else ''} "
          f"({', '.join(racks)}), the coach and the hub.")
    if force:
        print("New CA and new passwords: every rack, the coach and the hub need their files again (below).")
    _print_plan(root, folder.racks, hosts[0], port, new_folder=True)
    return 0


def _add_to(
    root: Path, existing: ExistingBrokerDir, racks: list[str], hosts: list[str], port: int | None, bind: str | None,
    run_as: str | None,
) -> int:
    from gymtui.gym.broker_setup import RENEW_BEFORE, write_broker_dir

    new_racks = [r for r in racks if r not in existing.racks]
    all_hosts = tuple(dict.fromkeys([*existing.hosts, *hosts]))
    new_hosts = [h for h in all_hosts if h not in existing.hosts]
    port = port or existing.port
    bind = bind or existing.bind_address
    run_as = run_as or existing.run_as_user
    dial = next((h for h in [*hosts, *existing.hosts] if h not in LOCAL_NAMES), all_hosts[0] if all_hosts else "localhost")
    renew = existing.cert_expires - dt.datetime.now(dt.UTC) < RENEW_BEFORE
    unchanged = (port, bind, run_as) == (existing.port, existing.bind_address, existing.run_as_user)
    if not new_racks and not new_hosts and not renew and unchanged:
        print(f"{safe_text(root)} has these racks already: {', '.join(existing.racks)}. Nothing changed.")
        if racks:
            _print_plan(root, tuple(racks), dial, port, new_folder=False)
        return 0
    try:
        write_broker_dir(
            root, (*existing.racks, *new_racks), hosts=_with_local(all_hosts), port=port,
            bind_address=bind, passwords=existing.passwords, run_as_user=run_as, keep_ca=True,
        )
    except (ValueError, OSError) as exc:
        print(f"gymtui gym init: {safe_text(exc)}", file=sys.stderr)
        return EXIT_USAGE
    changes = []
    if new_racks:
        changes.append(f"added {', '.join(new_racks)}")
    if renew:
        changes.append(f"the broker's certificate (it ended or was to end {existing.cert_expires:%Y-%m-%d}) is renewed")
    if new_hosts:
        changes.append(f"the certificate now also names {', '.join(safe_text(h) for h in new_hosts)}")
    if port != existing.port:
        changes.append(f"the port is now {port}")
    if bind != existing.bind_address:
        changes.append(f"it listens on {safe_text(bind)}")
    if run_as != existing.run_as_user:
        changes.append(f"Mosquitto runs as {safe_text(run_as)}")
    print(f"{safe_text(root)}: {'; '.join(changes)}. The CA and the other racks' passwords are unchanged: "
          "nothing to copy again to them.")
    if port != existing.port:
        print(f"Every rack, the coach and the hub must dial port {port} now (--gym / broker in gym.toml).")
    print("Restart mosquitto to load the new passwords, ACL and certificate (sudo systemctl restart gymtui-broker).")
    if new_racks:
        _print_plan(root, tuple(new_racks), dial, port, new_folder=False)
    return 0


def _print_plan(root: Path, racks: Sequence[str], host: str, port: int, *, new_folder: bool) -> None:
    """What a gym owner does next, as commands to copy: start the broker, copy files to each rack, start the rest."""
    shown_host = f"[{host}]" if ":" in host else host
    url = f"mqtts://{safe_text(shown_host)}:{port}"
    where = safe_text(root)
    step = 1
    if new_folder:
        print(f"""
{step}. Start the broker on this machine (Mosquitto started as root runs as the user 'mosquitto', which must own the folder):
     sudo chown -R mosquitto: {where}
     sudo mosquitto -c {where}/mosquitto.conf        # or as a service: see 'Setting up a gym' in the README
   ca.key signs the broker's certificate: keep it on this machine only (gymtui gym init needs it to add racks).""")
        step += 1
    print(f"""
{step}. Copy to each rack its password file and the gym's CA certificate, into gymtui's config folder
   (~/.config/gymtui/ of the user who runs gymtui), then make the password readable by that user only:""")
    width = max(len(r) for r in racks)
    for rack in racks:
        print(f"     {rack:<{width}}  {where}/credentials/{rack}  {where}/ca.crt   then on it: chmod 600 ~/.config/gymtui/{rack}")
    print(f"""   and give each rack its settings in ~/.config/gymtui/gym.toml (paths are relative to that file):
     [gym]
     broker = "{url}"
     rack = "{racks[0]}"                  # this rack's name
     broker_password_file = "{racks[0]}"
     broker_ca = "ca.crt"
   or on the command line: gymtui --gym {url} --rack {racks[0]} --gym-password-file ~/.config/gymtui/{racks[0]} --gym-ca ~/.config/gymtui/ca.crt
   Then check the rack: gymtui gym doctor   (one line per check; exit 0 when all is well)""")
    step += 1
    if new_folder:
        print(f"""
{step}. The hub (on this machine; it writes the gym's log):
     sudo install -m 600 -o "$USER" {where}/credentials/hub ~/gym-hub-password
     gymtui hub --db ~/gym.db --gym mqtts://localhost:{port} --gym-password-file ~/gym-hub-password --gym-ca {where}/ca.crt

{step + 1}. The coach (laptop, or this machine for a tablet): copy {where}/credentials/coach and {where}/ca.crt, chmod 600, then
     gymtui coach --gym {url} --gym-password-file PATH/coach --gym-ca PATH/ca.crt
     (add --serve 127.0.0.1:8000 for the browser view: see the README for reaching it from a tablet)""")


# -- doctor ---------------------------------------------------------------------------


def run_doctor(args: argparse.Namespace) -> int:
    from gymtui.cli import gym_config
    from gymtui.gym.connection import GymUnavailable, load_paho
    from gymtui.gym.doctor import DEFAULT_TIMEOUT_S, diagnose
    from gymtui.gym.settings import BrokerSettingsError, LinkFlags, choose_link

    flags = LinkFlags(
        url=args.doctor_gym or getattr(args, "gym", None),
        rack=args.doctor_rack or getattr(args, "rack", None),
        password_file=args.doctor_password_file or getattr(args, "gym_password_file", None),
        ca_file=args.doctor_ca or getattr(args, "gym_ca", None),
    )
    config, config_path = gym_config()
    try:
        choice = choose_link(flags, config, config_path=config_path)
    except BrokerSettingsError as exc:
        print(f"gymtui gym doctor: {safe_text(exc, max_chars=400)}", file=sys.stderr)
        return EXIT_USAGE
    if choice is None:
        print(
            "gymtui gym doctor: no broker to check: give --gym mqtts://HOST:8883 --rack NAME (and --gym-password-file, "
            f"--gym-ca), or broker and rack in the [gym] table of {safe_text(config_path)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        load_paho()
    except GymUnavailable as exc:
        print(f"gymtui gym doctor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Checking rack {choice.rack} as broker user {safe_text(choice.username)}"
          + (f" (settings from {safe_text(config_path)} too)" if choice.from_file else "") + ":")
    failed = False
    for check in diagnose(choice, timeout_s=args.doctor_timeout_s or DEFAULT_TIMEOUT_S):
        print(safe_text(check.line(), max_chars=600), flush=True)
        failed = failed or not check.ok
    if failed:
        print("Fix the first ✗ above, then run gymtui gym doctor again.")
        return EXIT_FAILED
    print("All well: this rack can reach the gym.")
    return 0
