"""``gymtui bench [--json] [--quick]``: the speed and memory targets, measured side by side."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure the pipeline, simulator and UI on this machine",
        description="Run every benchmark in one process, side by side, and print the figures.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--quick", action="store_true", help="shorter runs (for smoke tests; figures are noisier)")
    parser.add_argument(
        "--only", action="append", metavar="NAME",
        help="run only this benchmark (signal, ble, sim, ui, bfr, memory, readers, storage, gym); repeat for more",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gymtui.bench import run_all

    try:
        report = run_all(quick=args.quick, only=args.only)
    except ValueError as exc:
        print(f"gymtui bench: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        width = max(len(k) for k in report)
        for key, value in report.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            print(f"{key:<{width}}  {value}")
    sys.stdout.flush()
    return 0
