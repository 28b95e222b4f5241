"""``gymtui cuff simulate`` and ``gymtui cuff decode``: BFR cuff tools.

``simulate`` runs BFR sets on the simulated cuff under the supervisor and
prints the log. No terminal UI and no waiting: the supervisor, the open-profile codec and the
cuff physics run in closed loop on a simulated clock (a 3-set block takes a
fraction of a second), and every ``cuff_events`` record is printed as the
app would store it. ``--fault`` injects a cuff failure mid-isometric to show
what the supervisor does about it; ``--db`` also writes the records to a
database.

``decode`` reads open-profile bytes as hex (arguments, or one per line on
stdin) and prints what they mean: the tool a maker uses to check a cuff's
firmware against ``devices/CUFF-PROTOCOL.md``.
"""

from __future__ import annotations

import argparse
import sys

from gymtui.argtypes import SEED, bounded_float, bounded_int

FAULTS = ("none", "stuck", "leak", "runaway", "weak-pump", "link", "silent")
SETS = bounded_int(1, 20, why="a BFR block is a few sets; the occlusion caps end it well before 20")
REST_S = bounded_float(
    0, 300, unit="s", why="rests between BFR sets are 30-60 s; each simulated minute costs real time"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cuff",
        help="BFR cuff tools (simulate sets under the safety supervisor)",
        description="BFR cuff tools.",
    )
    sub = parser.add_subparsers(dest="cuff_command", metavar="ACTION", required=True)
    sim = sub.add_parser(
        "simulate",
        help="run BFR sets on the simulated cuff and print every cuff event",
        description="Run BFR sets on the simulated cuff under the safety supervisor and print every cuff event.",
    )
    sim.add_argument("--limb", choices=("arm", "leg"), default="arm")
    # --lop and --bfr-pct stay text: validate_settings parses them, as for the app's --lop and setup screen.
    sim.add_argument("--lop", default="180", metavar="MMHG", help="limb occlusion pressure (default 180)")
    sim.add_argument("--bfr-pct", default=None, metavar="PCT", help="target, %% of LOP (default per limb)")
    sim.add_argument("--sets", type=SETS, default=3, metavar="N", help="sets (1-20, default 3)")
    sim.add_argument("--rest-s", type=REST_S, default=60.0, metavar="S", help="rest between sets, 0-300 s (default 60)")
    sim.add_argument("--no-rest-deflate", action="store_true", help="keep the cuff up during rests")
    sim.add_argument("--fault", choices=FAULTS, default="none", help="inject a cuff failure in set 1's isometric")
    sim.add_argument("--seed", type=SEED, default=0, metavar="N", help="random seed of the cuff physics (default 0)")
    sim.add_argument("--db", metavar="PATH", help="also write the records to this database's cuff_events")
    sim.set_defaults(func=run)
    dec = sub.add_parser(
        "decode",
        help="explain open-cuff-profile bytes (hex) for makers",
        description="Decode open BFR cuff profile bytes given as hex, e.g. '01 07 84 03 db 90'.",
    )
    dec.add_argument("--as", dest="kind", choices=("command", "pressure", "status", "info"), default="command")
    dec.add_argument("hex", nargs="*", help="hex bytes (spaces allowed); none: read lines from stdin")
    dec.set_defaults(func=decode)


def run(args: argparse.Namespace) -> int:
    from gymtui.bfr.rules import BfrSettingsError, validate_settings
    from gymtui.model import PhaseKind
    from gymtui.sim.cuff_loop import ClosedLoop

    try:
        settings = validate_settings(args.limb, args.lop, args.bfr_pct, rest_deflate=not args.no_rest_deflate)
    except BfrSettingsError as exc:
        print(f"gymtui cuff simulate: {exc}", file=sys.stderr)
        return 2
    store = session = None
    if args.db:
        from gymtui.store import Store, StoreError

        try:
            store = Store(args.db)
        except StoreError as exc:
            print(f"gymtui cuff simulate: {exc}", file=sys.stderr)
            return 2
        last = store.last_athlete()  # the athlete used last, not a second, silent "Athlete"
        session = store.start_session(last[0] if last else store.ensure_athlete(), template="cuff simulate")

    loop = ClosedLoop(settings=settings, seed=args.seed)
    t0 = loop.clock.t
    printed = 0

    def flush() -> None:
        nonlocal printed
        for record in loop.records[printed:]:
            p = "" if record.pressure_mmhg is None else f"{record.pressure_mmhg:6.1f}"
            target = "" if record.target_mmhg is None else f"{record.target_mmhg:6.1f}"
            print(f"{record.at_s - t0:8.2f}  {record.kind!s:<8} {p:>6} {target:>6}  {record.reason}")
            if store is not None:
                store.log_cuff_event(
                    str(record.kind),
                    pressure_mmhg=record.pressure_mmhg,
                    target_mmhg=record.target_mmhg,
                    reason=record.reason,
                    session_id=session,
                )
        printed = len(loop.records)

    print(f"{'t (s)':>8}  {'kind':<8} {'mmHg':>6} {'target':>6}  reason")
    sup = loop.sup
    for n in range(args.sets):
        loop.apply(sup.set_started("Curl"))
        for kind, seconds in ((PhaseKind.ACTIVATION, 3.0), (PhaseKind.ECCENTRIC, 5.0), (PhaseKind.ISOMETRIC, 15.0)):
            loop.run(3.0)  # lead-in
            loop.apply(sup.phase_changed(kind))
            if kind is PhaseKind.ISOMETRIC and n == 0 and args.fault != "none":
                loop.run(5.0)
                _inject(loop, args.fault)
                seconds -= 5.0
            loop.run(seconds)
        loop.apply(sup.phase_changed(PhaseKind.REST))
        loop.run(args.rest_s)
        loop.apply(sup.set_ended())
        loop.run(2.0)
        flush()
    loop.apply(sup.quit())
    loop.run(2.0)
    flush()
    view = sup.view()
    print(
        f"\noccluded {view.session_s:.0f} s this session (cap {view.session_cap_s:.0f} s); "
        f"cuff at {loop.physics.true_mmhg:.1f} mmHg; alarm: {view.level.name.lower()}"
        + (f" ({view.message})" if view.message else "")
    )
    if store is not None:
        store.close()
    return 0


def _inject(loop, fault: str) -> None:
    physics = loop.physics
    if fault == "stuck":
        physics.stuck_at_mmhg = round(physics.true_mmhg, 1)
    elif fault == "leak":
        physics.leak_extra_per_s = 0.43
    elif fault == "runaway":
        physics.pump_runaway = True
    elif fault == "weak-pump":
        physics.pump_dead = True
    elif fault == "link":
        loop.lose_link()
    elif fault == "silent":
        loop.readings_on = False


def decode(args: argparse.Namespace) -> int:
    from gymtui.bfr.codec import (
        CuffProtocolError,
        Opcode,
        decode_command,
        decode_info,
        decode_pressure,
        decode_status,
    )

    opcodes = {v: k for k, v in vars(Opcode).items() if k.isupper()}
    lines = [" ".join(args.hex)] if args.hex else [line for line in sys.stdin if line.strip()]
    bad = 0
    for line in lines:
        text = line.strip()
        try:
            data = bytes.fromhex(text.replace(":", " "))
        except ValueError:
            print(f"{text}: not hex", file=sys.stderr)
            bad += 1
            continue
        try:
            if args.kind == "command":
                cmd = decode_command(data)
                what = f"{opcodes.get(cmd.opcode, hex(cmd.opcode))} token={cmd.token}"
                if cmd.opcode == Opcode.SET_TARGET:
                    what += f" target={cmd.target_mmhg:.1f} mmHg"
            elif args.kind == "pressure":
                f = decode_pressure(data)
                what = f"seq={f.seq} pressure={f.pressure_mmhg:.1f} mmHg set_point={f.set_point_mmhg:.1f} mmHg flags={_flags(f.flags)}"
            elif args.kind == "status":
                st = decode_status(data)
                what = (
                    f"flags={_flags(st.flags)} battery={st.battery_pct}% last_token={st.last_token} "
                    f"last_result={st.last_result} firmware={st.firmware}"
                )
            else:
                info = decode_info(data)
                what = (
                    f"version={info.version} max={info.max_mmhg:.1f} mmHg watchdog={info.watchdog_s:g} s "
                    f"rate={info.rate_hz} Hz link_loss_deflates={'yes' if info.link_loss_deflates else 'NO'}"
                )
        except CuffProtocolError as exc:
            print(f"{text}: {exc}", file=sys.stderr)
            bad += 1
            continue
        print(f"{data.hex(' ')}  {what}")
    return 1 if bad else 0


def _flags(flags: int) -> str:
    from gymtui.bfr.flags import CuffFlag

    names = [f.name for f in CuffFlag if f & flags and f.name]
    return "|".join(names) if names else "0"
