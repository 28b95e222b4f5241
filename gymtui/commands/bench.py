"""``gymtui bench [--json] [--quick] [--check] [--cpu-quota F]``: the speed and memory targets, measured side by side."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction of a core (e.g. 0.35)") from None
    if not 0.0 < value <= 64.0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a fraction of one core above 0, e.g. 0.35")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure the pipeline, simulator and UI on this machine",
        description=(
            "Run every benchmark in one process, side by side, and print the figures. Each figure names its "
            "clock (wall, process CPU, monotonic) in the notes and in the targets table."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--quick", action="store_true", help="shorter runs (for smoke tests; figures are noisier)")
    parser.add_argument(
        "--smoke", action="store_true",
        help="shorter still than --quick: every benchmark runs once at its shortest (CI's smoke test; figures say little)",
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME",
        help="run only this benchmark (signal, live, ble, sim, ui, bfr, memory, readers, storage, gym); repeat for more",
    )
    parser.add_argument(
        "--check", action="store_true",
        help="compare every figure that has a target with it; exit 1 when one falls short, naming it (on stderr)",
    )
    parser.add_argument(
        "--target", action="append", metavar="NAME=VALUE", default=[],
        help="with --check: change a target for this run (NAME=VALUE keeps its comparison; NAME<=VALUE or "
        "NAME>=VALUE sets one, for any figure); e.g. --target startup_s=1.0 or --target quota.0.35.ui_fps=25",
    )
    parser.add_argument(
        "--cpu-quota", action="append", type=_fraction, metavar="FRACTION", default=[],
        help="also run the UI and live-chain benchmarks in a child process limited to FRACTION of one core "
        "(a Linux cgroup: root or a delegated cgroup), reported under quota.FRACTION beside quota.1.0; "
        "repeat for more, e.g. --cpu-quota 0.35 --cpu-quota 0.15",
    )
    parser.add_argument(
        "--cgroup-root", action="append", metavar="PATH",
        help="with --cpu-quota: the cgroup to make the quota under (default: the system's v2, then v1 cpu hierarchy)",
    )
    parser.add_argument(
        "--table", metavar="REPORT.json",
        help="print the README's Markdown performance table from a saved `gymtui bench --json` report, and exit",
    )
    parser.set_defaults(func=run)


def _print_table(report: dict[str, Any]) -> None:
    width = max(len(k) for k in report)
    for key, value in report.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        print(f"{key:<{width}}  {value}")


def run(args: argparse.Namespace) -> int:
    from gymtui.bench import run_all
    from gymtui.bench.quota import (
        QUOTA_MODULES,
        QuotaUnavailable,
        quota_key,
        quotas,
        run_in_quota,
    )
    from gymtui.bench.targets import TARGETS, check, parse_target

    if args.table:
        from pathlib import Path

        from gymtui.bench.table import markdown_table

        print(markdown_table(json.loads(Path(args.table).read_text(encoding="utf-8"))))
        return 0
    try:
        targets = dict(TARGETS)
        for text in args.target:
            name, target = parse_target(text)
            targets[name] = target
    except ValueError as exc:
        print(f"gymtui bench: {exc}", file=sys.stderr)
        return 2
    try:
        with quotas(args.cpu_quota, args.cgroup_root) as made:
            keys_by_module: dict[str, list[str]] = {}
            report = run_all(quick=args.quick, only=args.only, keys_by_module=keys_by_module, smoke_run=args.smoke)
            if made:
                wanted = {m.rsplit(".", 1)[-1] for m in args.only or ()}
                modules = [m for m in QUOTA_MODULES if not wanted or m in wanted] or list(QUOTA_MODULES)
                if all(m in keys_by_module for m in modules):  # measured unconstrained in this run already
                    unconstrained = {k: report[k] for m in modules for k in keys_by_module[m] if not k.endswith("_notes")}
                else:
                    unconstrained = run_in_quota(None, modules, args.quick)
                report["quota"] = {"1.0": unconstrained}
                for quota in made:
                    report["quota"][quota_key(quota.fraction)] = run_in_quota(quota, modules, args.quick)
    except QuotaUnavailable as exc:
        print(f"gymtui bench: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"gymtui bench: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        _print_table(report)
    sys.stdout.flush()
    if args.check:
        verdicts = check(report, targets)
        for verdict in verdicts:
            print(f"check: {verdict.line()}", file=sys.stderr)
        short = [v.name for v in verdicts if v.ok is False]
        if short:
            print(f"gymtui bench: {len(short)} figure(s) fall short of their target: {', '.join(short)}", file=sys.stderr)
            return 1
    return 0

