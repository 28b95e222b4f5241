"""Command line: ``gymtui [--demo] [--db PATH] [--speed X] [--theme NAME]`` and sub-commands.

Every failure the user can cause (a bad argument, an unwritable or corrupt
database, a second instance on the same database) ends with one clear line on
stderr and exit status 2, never a traceback. A reader that stops early
(``gymtui plan | head -5``) ends a command quietly: see :func:`_reader_gone`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gymtui import __version__, logs
from gymtui.argtypes import bounded_float
from gymtui.commands import COMMANDS
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.gym.settings import BrokerSettings, LinkFlags
    from gymtui.session.loads import GymConfig

EXIT_USAGE = 2
EMULATED_DEVICES = ("myo", "ganglion", "myoware", "myoware-uart", "generic")
"""Kept here, not imported from gymtui.emulation, so the CLI starts without bumble."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage block is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


SPEED = bounded_float(0, 1000, low_open=True, why="the demo clock's factor; past 1000x a set is over before one frame")
"""``--speed``: a factor on the demo clock, never 0 (a stopped clock), nan or inf."""


def _emulated_devices(text: str) -> tuple[str, ...]:
    devices = tuple(d.strip() for d in text.split(",") if d.strip())
    sensors = [d for d in devices if d != "cuff"]
    for device in devices:
        if device != "cuff" and device not in EMULATED_DEVICES:
            raise argparse.ArgumentTypeError(f"no emulation for {device!r}; choose from {', '.join(EMULATED_DEVICES)}, cuff")
    if len(sensors) > 1 or not devices:
        raise argparse.ArgumentTypeError("give at most one sensor, and optionally cuff (e.g. myo,cuff)")
    return devices


def _sensor_spec(text: str) -> str:
    """``--sensor``: checked here (one line, exit 2), opened by the app."""
    from gymtui.interop.lsl_spec import SensorSpecError, parse_sensor_spec

    try:
        parse_sensor_spec(text)
    except SensorSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _stream_name(text: str) -> str:
    """``--lsl-name``: printable, 1-64 characters (it heads the names LabRecorder lists)."""
    name = text.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise argparse.ArgumentTypeError("give 1-64 printable characters, e.g. rack2")
    return name


def _rack_name(text: str) -> str:
    """``--rack``: a name that can be a topic level and a broker username."""
    from gymtui.gym.topics import BadRackName, check_rack_name

    try:
        return check_rack_name(text.strip())
    except BadRackName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def gym_settings(
    args: argparse.Namespace, *, user: str | None = None, need_rack: bool = True
) -> tuple[BrokerSettings, str | None] | None:
    """The broker settings from ``--gym``/``--rack``/``--gym-password-file``/``--gym-ca`` and gym.toml; None: no broker.

    Each flag given wins over its ``[gym]`` key (:func:`gymtui.gym.settings.choose_link`).
    ``user``: the hub's or coach's fixed broker user; a rack's is its name.
    Returns the settings and the rack's name (None for the hub and the coach).
    Raises ``ValueError`` with one line for anything that cannot work
    (``--rack`` missing, a URL that would send health data in clear, an
    unreadable password file, a broker key gym.toml got wrong, the 'gym'
    extra not installed).
    """
    from gymtui.gym.connection import GymUnavailable, load_paho
    from gymtui.gym.settings import BrokerSettingsError, resolve_link

    flags = link_flags(args)
    config, config_path = gym_config()
    try:
        link = resolve_link(flags, config, config_path=config_path, user=user, need_rack=need_rack)
        if link is not None:
            load_paho()
    except (BrokerSettingsError, GymUnavailable) as exc:
        raise ValueError(str(exc)) from None
    return link


def rack_gym_settings(args: argparse.Namespace) -> tuple[BrokerSettings, str] | None:
    """:func:`gym_settings` for a rack (the app, ``gym doctor``): with a broker there is always a rack name."""
    link = gym_settings(args)
    if link is None or link[1] is None:
        return None
    return link[0], link[1]


def link_flags(args: argparse.Namespace) -> LinkFlags:
    """The broker flags of a parsed command line (absent ones are None), for :func:`gymtui.gym.settings.choose_link`."""
    from gymtui.gym.settings import LinkFlags

    return LinkFlags(
        url=getattr(args, "gym", None),
        rack=getattr(args, "rack", None),
        password_file=getattr(args, "gym_password_file", None),
        ca_file=getattr(args, "gym_ca", None),
    )


def gym_link(flags: LinkFlags, user: str) -> BrokerSettings | None:
    """The broker settings of a gym-wide command (``coach``, ``hub``): flags over gym.toml's ``[gym]``, checked now.

    None when no broker is named anywhere. Raises
    :class:`~gymtui.gym.settings.BrokerSettingsError` or
    :class:`~gymtui.gym.connection.GymUnavailable` with the one line to show:
    a CA file that is no certificate is said at start, not as a link that
    never comes up.
    """
    from gymtui.gym.connection import load_paho
    from gymtui.gym.settings import check_ca_file, resolve_link

    load_paho()
    config, config_path = gym_config()
    link = resolve_link(flags, config, config_path=config_path, user=user, need_rack=False)
    if link is None:
        return None
    settings = link[0]
    if settings.url.tls and settings.ca_file is not None:
        check_ca_file(settings.ca_file)
    return settings


def gym_config() -> tuple[GymConfig, Path]:
    """gym.toml (the user's config folder) and where it is; its other problems are the app's home screen's to show."""
    from gymtui.session.loads import gym_config_path, load_gym_config

    path = gym_config_path()
    return load_gym_config(path)[0], path


def build_parser(*, commands: bool = True) -> OneLineParser:
    """The command line's parser; ``commands=False``: the app's options alone (no sub-command imported)."""
    parser = OneLineParser(
        prog="gymtui",
        description="Guided timed sets with live EMG activation bars, for the gym floor.",
    )
    parser.add_argument("--version", action="version", version=f"gymtui {__version__}")
    parser.add_argument("--demo", action="store_true", help="simulated EMG sensor (and cuff): no Bluetooth needed")
    parser.add_argument("--db", type=Path, metavar="PATH", help="SQLite file (default: $GYMTUI_DB or the user data dir)")
    parser.add_argument(
        "--speed",
        type=SPEED,
        default=1.0,
        metavar="X",
        help="run the demo clock and simulated devices X times faster",
    )
    parser.add_argument(
        "--athlete",
        metavar="NAME",
        help="who trains: an athlete of this database, or a new one by this name (default: the athlete used last)",
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme (gymtui-floor, gymtui-light)")
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=tuple(logs.LEVELS),
        default=logs.DEFAULT_LEVEL,
        help="what goes to the log file, here and in sub-commands (default: warning)",
    )
    parser.add_argument("--log-path", action="store_true", help="print where the log file is and exit")
    parser.add_argument(
        "--mains", type=int, choices=(50, 60), default=None, help="mains frequency to notch out (default 50)"
    )
    parser.add_argument(
        "--channels",
        type=int,
        choices=range(1, 17),
        metavar="N",
        default=None,
        help="with --demo: simulated EMG channels, 1-16 (default 4)",
    )
    parser.add_argument(
        "--demo-athlete",
        choices=("default", "compensating", "co-contracting"),
        default="default",
        help="with --demo: the simulated athlete: one whose synergists take over (compensation cues) "
        "or who braces the antagonist (co-contraction cues)",
    )
    parser.add_argument(
        "--emulate",
        dest="emulate_sensor",
        metavar="DEVICE",
        type=_emulated_devices,
        help="with --demo: run the whole BLE stack against emulated devices, comma-separated: one of "
        + ", ".join(EMULATED_DEVICES)
        + ", and/or cuff (needs the 'emulate' extra: bumble)",
    )
    parser.add_argument(
        "--replay", type=Path, metavar="FILE",
        help="play a recording (EDF/BDF, OpenBCI GUI, Trigno CSV, gymtui CSV, text columns) as the EMG sensor, "
        "at its own rate (--speed X faster), once",
    )
    parser.add_argument(
        "--sensor",
        metavar="SPEC",
        type=_sensor_spec,
        help="the live EMG source: lsl:NAME (or lsl:type=EMG) takes a Lab Streaming Layer stream "
        "(OpenBCI GUI, BrainFlow, another gymtui; needs the 'lsl' extra)",
    )
    parser.add_argument(
        "--lsl", action="store_true",
        help="publish raw EMG, envelope and markers to Lab Streaming Layer (LabRecorder); needs the 'lsl' extra",
    )
    parser.add_argument("--lsl-name", type=_stream_name, metavar="NAME", help="what the LSL stream names start with (default: gymtui)")
    cuff = parser.add_argument_group(
        "BFR cuff (the cuff paired with gymtui scan --pair; --demo: a simulated cuff; --emulate ...,cuff: an emulated BLE cuff)"
    )
    cuff.add_argument("--cuff", choices=("arm", "leg"), help="put a cuff on this limb")
    cuff.add_argument("--lop", metavar="MMHG", help="the limb's occlusion pressure (stored; default: the last one stored)")
    cuff.add_argument("--bfr-pct", metavar="PCT", help="target, %% of LOP (default: arm 50, leg 70)")
    cuff.add_argument("--no-rest-deflate", action="store_true", help="keep the cuff up in rests between sets")
    gym = parser.add_argument_group(
        "many racks, one coach (needs the 'gym' extra; see 'Setting up a gym' in the README)"
    )
    gym.add_argument("--gym", metavar="URL", help="the gym's broker: mqtts://HOST:8883 (mqtt:// only on loopback)")
    gym.add_argument("--rack", type=_rack_name, metavar="NAME", help="this rack's name, and its broker username")
    gym.add_argument(
        "--gym-password-file", type=Path, metavar="PATH",
        help="the rack's broker password, in a file only you can read (or set GYMTUI_GYM_PASSWORD)",
    )
    gym.add_argument("--gym-ca", type=Path, metavar="PATH", help="the gym's CA certificate (default: the system's)")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for module in COMMANDS.values():
        importlib.import_module(f"gymtui.commands.{module}").register(sub)
    return parser


def default_db_path() -> Path:
    env = os.environ.get("GYMTUI_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("gymtui") / "gymtui.db"


def parse_command_line(argv: Sequence[str]) -> tuple[OneLineParser, argparse.Namespace]:
    """The parser and the parsed command line; the app's own line never imports the sub-commands.

    Registering the sub-commands imports each one's module (15 of them, and what
    they import): the app, the command most often run and the one whose start
    is waited for, does without. A line that names no sub-command and that the
    app's own options parse completely is the app's; anything else (a
    sub-command, ``--help``, an argument the app does not know) gets the
    whole parser, so its help and its errors are the same as ever.
    """
    argv = list(argv)
    if not any(arg in COMMANDS or arg.startswith(("-h", "--h")) for arg in argv):
        parser = build_parser(commands=False)
        args, rest = parser.parse_known_args(argv)
        if not rest:
            return parser, args
    parser = build_parser()
    return parser, parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, args = parse_command_line(argv)
    if args.log_path:
        print(logs.log_path())
        return 0
    logs.configure(args.log_level)
    logs.log.info("gymtui %s started: %s", __version__, " ".join(argv))
    try:
        if args.command:
            try:
                status = int(args.func(args) or 0)
                sys.stdout.flush()  # here, not at exit: a closed pipe is met while it can still be caught
            except KeyboardInterrupt:
                return 130
            return status
        return run_app(args, parser)
    except BrokenPipeError:
        return _reader_gone()
    except Exception as exc:  # noqa: BLE001 - the last stop: a report, one line, exit 1
        from gymtui.crash import AppCrashed, report_crash

        error = exc.error if isinstance(exc, AppCrashed) else exc
        status, line = report_crash(error, argv, logged=isinstance(exc, AppCrashed))
        print(line, file=sys.stderr)
        return status


def _reader_gone() -> int:
    """Standard output's reader closed the pipe (``| head``): it has what it wanted, so say nothing.

    What is still buffered for stdout goes to /dev/null, so the flush at
    interpreter exit does not print "Exception ignored … BrokenPipeError".
    Status 0, like a command that printed everything: the reader chose to stop.
    """
    logs.log.info("standard output closed by its reader; stopped printing")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


def run_app(args: argparse.Namespace, parser: OneLineParser) -> int:
    if args.emulate_sensor and not args.demo:
        parser.error("--emulate needs --demo (emulated sensors are simulated athletes)")
    if args.replay and args.emulate_sensor and any(d != "cuff" for d in args.emulate_sensor):
        parser.error("--replay and --emulate each bring an EMG sensor: choose one")
    if args.sensor and (args.demo or args.emulate_sensor):
        parser.error("--sensor replaces the demo sensor: give --sensor or --demo, not both")
    if args.sensor and args.replay:
        parser.error("--sensor and --replay each bring an EMG sensor: choose one")
    if args.demo_athlete != "default" and not args.demo:
        parser.error("--demo-athlete needs --demo (it chooses the simulated athlete)")
    if args.emulate_sensor and "cuff" in args.emulate_sensor and not args.cuff:
        parser.error("--emulate cuff needs --cuff arm|leg")
    if (args.lop is not None or args.bfr_pct is not None or args.no_rest_deflate) and not args.cuff:
        parser.error("--lop, --bfr-pct and --no-rest-deflate need --cuff arm|leg")
    if args.athlete is not None:
        from gymtui.store.athletes import clean_athlete_name

        try:
            args.athlete = clean_athlete_name(args.athlete)
        except ValueError as exc:
            parser.error(f"--athlete: {exc}")
    cuff_settings = None
    if args.cuff:
        from gymtui.bfr.rules import BfrSettingsError, validate_settings

        try:
            cuff_settings = validate_settings(
                args.cuff, args.lop, args.bfr_pct, rest_deflate=not args.no_rest_deflate
            )
        except BfrSettingsError as exc:
            print(f"gymtui: {safe_text(str(exc), max_chars=500)}", file=sys.stderr)
            return EXIT_USAGE
    try:
        gym = rack_gym_settings(args)
        if gym is not None and gym[0].url.tls and gym[0].ca_file is not None:
            from gymtui.gym.settings import check_ca_file

            check_ca_file(gym[0].ca_file)  # a file that is no certificate: said now, not as a link that never comes up
    except ValueError as exc:
        print(f"gymtui: {safe_text(str(exc), max_chars=500)}", file=sys.stderr)
        return EXIT_USAGE
    from gymtui.instance import InstanceLockError, open_locked_store
    from gymtui.store import StoreError

    db_path = (args.db or default_db_path()).expanduser()
    # Lock the file before anything writes it: a second gymtui on the same file
    # (by any path) must not create tables or mark the first one's set interrupted.
    try:
        lock, store = open_locked_store(db_path)
    except (StoreError, InstanceLockError) as exc:
        print(f"gymtui: {safe_text(str(exc), max_chars=500)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from gymtui.app import AppConfig, GymApp
        from gymtui.themes import ThemeError, theme_names

        if args.theme and args.theme not in theme_names():
            print(
                f"gymtui: unknown theme {args.theme!r}; choose one of {', '.join(theme_names())}",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if args.lsl:
            from gymtui.interop.lsl_runtime import LslUnavailable, load_pylsl

            try:
                load_pylsl()
            except LslUnavailable as exc:
                print(f"gymtui: {safe_text(str(exc), max_chars=500)}", file=sys.stderr)  # the app runs on without it
        config = AppConfig.from_args(args, db_path, cuff=cuff_settings, gym=gym)
        app = GymApp(store, config)
        app.run()
        if app.crash is not None:
            from gymtui.crash import AppCrashed

            raise AppCrashed(app.crash)
        return app.return_code or 0
    except ThemeError as exc:
        print(f"gymtui: {safe_text(str(exc), max_chars=500)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
        lock.release()


if __name__ == "__main__":
    raise SystemExit(main())
