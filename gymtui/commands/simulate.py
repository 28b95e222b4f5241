"""``gymtui simulate``: write a scripted session of simulated EMG, with its ground truth, to CSV.

Columns: ``t_s``, then per muscle ``<muscle>_uv`` (the surface signal),
``<muscle>_drive`` (true excitation, 0–1), ``<muscle>_force`` (0–1 of the
fresh maximum) and ``<muscle>_active_units`` (recruited motor units), so
anyone can check the physiology with their own tools. Samples lost in a
simulated packet gap are absent (``t_s`` jumps).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from gymtui.argtypes import SEED, bounded_float

EXIT_USAGE = 2
MAX_SECONDS = 3600.0


def _scenario_names() -> list[str]:
    from gymtui.sim.scenarios import SCENARIOS

    return list(SCENARIOS)


def _scenario_epilog() -> str:
    import textwrap

    from gymtui.sim.scenarios import SCENARIOS

    lines = ["scenarios:"]
    for name, scenario in SCENARIOS.items():
        text = f"{name} ({scenario.natural_s:g} s): {scenario.description}"
        lines += textwrap.wrap(text, width=78, initial_indent="  ", subsequent_indent="      ")
    lines.append("")
    lines.append("columns: t_s, then per muscle <muscle>_uv, _drive (0-1), _force (0-1 of max), _active_units")
    return "\n".join(lines)


SECONDS = bounded_float(0, MAX_SECONDS, unit="s", low_open=True, why="an hour is longer than any session")


def _rate(text: str) -> float:
    """Sample rate within the simulator's range (imported here: the module pulls in numpy)."""
    from gymtui.sim.surface import MAX_RATE_HZ, MIN_RATE_HZ

    return bounded_float(MIN_RATE_HZ, MAX_RATE_HZ, unit="Hz", why="the surface-EMG model's valid range")(text)


class _ScenarioNames:
    """The scenario names as argparse ``choices``, looked up only when a command line is checked.

    The scenarios import numpy and the simulator; building them for every
    ``gymtui`` command line cost most of its start-up (0.7 s of 1.2 s on a busy Pi).
    """

    def __contains__(self, name: object) -> bool:
        return name in _scenario_names()

    def __iter__(self) -> Iterator[str]:
        return iter(_scenario_names())


def _scenario_epilog_on_help(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` the scenario list as its epilog when (and only when) its help is printed."""
    base = type(parser)

    class WithScenarios(base):  # type: ignore[misc, valid-type]
        def format_help(self) -> str:
            self.epilog = _scenario_epilog()
            return super().format_help()

    parser.__class__ = WithScenarios


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="write simulated EMG with its ground truth (drive, force, active units) to CSV",
        description="Simulate a scripted session with motor-unit pools and write the signal and the truth to CSV.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _scenario_epilog_on_help(parser)
    parser.add_argument("--scenario", required=True, choices=_ScenarioNames(), metavar="NAME",
                        help="one of: %(choices)s")
    parser.add_argument("--seconds", type=SECONDS, default=None, metavar="S",
                        help="total length; the scenario's timeline stretches to fit (default: its natural length)")
    parser.add_argument("--rate", type=_rate, default=2000.0, metavar="HZ", help="sample rate, 200–4000 Hz (default 2000)")
    parser.add_argument("--seed", type=SEED, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument("--out", required=True, metavar="PATH", help="CSV file to write ('-' for standard output)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from gymtui.sim.scenarios import (
        block_rows,
        csv_formats,
        csv_header,
        get_scenario,
        stream_scenario,
    )

    scenario = get_scenario(args.scenario)
    if args.seconds is not None and round(args.seconds * args.rate) < 1:
        print(
            f"gymtui simulate: error: {args.seconds:g} s is shorter than one sample at {args.rate:g} Hz",
            file=sys.stderr,
        )
        return EXIT_USAGE
    to_stdout = args.out == "-"
    try:
        # closed in the finally below, after the rows are streamed into it
        handle = sys.stdout if to_stdout else open(Path(args.out).expanduser(), "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        print(f"gymtui simulate: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    rows = 0
    try:
        handle.write(",".join(csv_header(scenario)) + "\n")
        fmt = csv_formats(len(scenario.muscles))
        for block in stream_scenario(scenario, rate_hz=args.rate, seconds=args.seconds, seed=args.seed):
            data = block_rows(block)
            np.savetxt(handle, data, fmt=fmt, delimiter=",")
            rows += data.shape[0]
    except OSError as exc:
        print(f"gymtui simulate: writing {args.out} failed: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if not to_stdout:
            handle.close()
    if not to_stdout:
        seconds = args.seconds if args.seconds is not None else scenario.natural_s
        print(
            f"wrote {rows} rows ({seconds:g} s of {scenario.name} at {args.rate:g} Hz, "
            f"{len(scenario.muscles)} muscles, seed {args.seed}) to {args.out}"
        )
    return 0
