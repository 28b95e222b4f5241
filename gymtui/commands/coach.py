"""``gymtui coach --gym URL [--gym-user coach] [--gym-password-file F] [--gym-ca CA] [--serve HOST:PORT]``.

Every rack of the gym on one screen: who trains, what, the phase and its
countdown, the muscles, the cuff; a lost rack greyed; a cuff alarm on any
rack filling the screen until acknowledged. The coach's broker user may
only read.

``--serve 127.0.0.1:8000`` serves the same view to a browser through
textual-serve (each browser tab runs its own coach view). textual-serve
speaks plain HTTP, and the view shows health data, so it binds loopback
only: a tablet reaches it through a TLS reverse proxy (``--serve-public-url
https://coach.gym.lan`` tells the page where it is).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from gymtui.text import safe_text

EXIT_USAGE = 2
DEFAULT_USER = "coach"


def serve_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) on loopback; a usage error (one line) otherwise."""
    from gymtui.gym.settings import is_loopback

    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise argparse.ArgumentTypeError(f"{text[:60]!r}: give HOST:PORT, e.g. 127.0.0.1:8000")
    if not is_loopback(host):
        raise argparse.ArgumentTypeError(
            f"{host[:60]!r} is not loopback: the served view is plain HTTP with health data on it; bind 127.0.0.1 "
            "and put a TLS reverse proxy in front for a tablet (see --serve-public-url)"
        )
    return host, int(port_text)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "coach",
        help="every rack live on one screen (or in a browser with --serve)",
        description=(
            "Connect to the gym's broker as the coach (read-only) and show one tile per rack: athlete, exercise, set, "
            "phase and countdown, activation bars, cuff. A lost rack is greyed; a cuff alarm fills the screen until "
            "acknowledged."
        ),
    )
    parser.add_argument("--gym", dest="coach_gym", metavar="URL", help="the gym's broker: mqtts://HOST:8883")
    parser.add_argument("--gym-user", default=DEFAULT_USER, metavar="NAME", help="broker username (default: coach)")
    parser.add_argument(
        "--gym-password-file", dest="coach_password_file", type=Path, metavar="PATH",
        help="the coach's broker password, in a file only you can read (or set GYMTUI_GYM_PASSWORD)",
    )
    parser.add_argument("--gym-ca", dest="coach_ca", type=Path, metavar="PATH", help="the gym's CA certificate")
    parser.add_argument(
        "--serve", type=serve_address, metavar="HOST:PORT",
        help="serve the view to a browser at http://HOST:PORT (loopback only) instead of this terminal",
    )
    parser.add_argument(
        "--serve-public-url", metavar="URL",
        help="with --serve: the address browsers use (your TLS reverse proxy, e.g. https://coach.gym.lan)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gymtui.cli import gym_link
    from gymtui.gym.connection import GymUnavailable
    from gymtui.gym.settings import BrokerSettingsError, LinkFlags

    flags = LinkFlags(
        url=args.coach_gym or getattr(args, "gym", None),
        password_file=args.coach_password_file or getattr(args, "gym_password_file", None),
        ca_file=args.coach_ca or getattr(args, "gym_ca", None),
    )
    if args.serve_public_url and not args.serve:
        print("gymtui coach: --serve-public-url needs --serve HOST:PORT", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = gym_link(flags, args.gym_user)
    except (BrokerSettingsError, GymUnavailable) as exc:
        print(f"gymtui coach: {safe_text(str(exc), max_chars=500)}", file=sys.stderr)
        return EXIT_USAGE
    if settings is None:
        print("gymtui coach: give the broker: --gym mqtts://HOST:8883 (or broker = ... in gym.toml's [gym])", file=sys.stderr)
        return EXIT_USAGE
    url, password_file, ca_file = str(settings.url), flags.password_file, settings.ca_file
    theme = getattr(args, "theme", None)
    if theme:
        from gymtui.themes import theme_names

        if theme not in theme_names():
            print(f"gymtui coach: unknown theme {safe_text(theme)!r}; choose one of {', '.join(theme_names())}", file=sys.stderr)
            return EXIT_USAGE
    if args.serve:
        return _serve(args, url, password_file, ca_file)
    from gymtui.themes import DEFAULT_THEME
    from gymtui.ui.coach.app import CoachApp

    app = CoachApp(settings, theme=theme or DEFAULT_THEME)
    app.run()
    return app.return_code or 0


def _serve(args: argparse.Namespace, url: str, password_file: Path | None, ca_file: Path | None) -> int:
    """textual-serve runs ``gymtui coach`` (the same flags, without --serve) for each browser that connects."""
    try:
        from textual_serve.server import Server
    except ImportError:
        print("gymtui coach: --serve needs the 'gym' extra: pip install 'gymtui[gym]'", file=sys.stderr)
        return EXIT_USAGE
    command = [sys.executable, "-m", "gymtui"]
    if getattr(args, "theme", None):
        command += ["--theme", args.theme]
    command += ["coach", "--gym", url, "--gym-user", args.gym_user]
    if password_file is not None:
        command += ["--gym-password-file", str(password_file.resolve())]
    if ca_file is not None:
        command += ["--gym-ca", str(ca_file.resolve())]
    host, port = args.serve
    shown = f"[{host}]" if ":" in host else host
    print(f"gymtui coach: serving the coach view at http://{shown}:{port} (Ctrl+C stops)", flush=True)
    server = Server(shlex.join(command), host=host, port=port, title="gymtui coach", public_url=args.serve_public_url)
    server.serve()
    return 0
