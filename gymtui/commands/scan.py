"""``gymtui scan``: list the BLE sensors and BFR cuffs in range with the profile each matches; pair and forget.

    gymtui scan [--timeout S] [--all]            what is in range (sensors and cuffs we know first)
    gymtui scan --pair ADDRESS [--firmware N]    remember a sensor or a cuff; only paired devices are ever connected
    gymtui scan --forget ADDRESS | --list        forget one / show the paired list
    gymtui scan --emulate myo[,ganglion,cuff]    the same against emulated devices (no radio needed)

A cuff is listed when it speaks the open cuff profile (``devices/cuff-open.toml``:
its service UUID or its advertised name); a paired cuff is what ``gymtui --cuff
arm|leg`` connects to.

With no usable Bluetooth adapter it prints one line saying so and exits 2.

Device names arrive over the air and ``paired.toml`` is the user's to edit:
every such string is printed through :func:`~gymtui.text.safe_text`
(control characters replaced, one capped line), so a name cannot retitle
or clear the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from gymtui.argtypes import FIRMWARE, bounded_float
from gymtui.text import safe_text

if TYPE_CHECKING:
    from gymtui.emulation.stack import EmulatedPeripheralHandle

EXIT_UNAVAILABLE = 2
EMULATED_CUFF_NAME = "gymtui-cuff-1"
"""What the emulated cuff advertises (the app's ``--emulate cuff`` cuff has the same name)."""
TIMEOUT_S = bounded_float(0, 120, unit="s", low_open=True, why="a sensor advertises every second or so")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="list BLE EMG sensors and BFR cuffs in range with their matching profile; pair or forget one",
        description="Scan for BLE sensors and cuffs and show name, RSSI, battery and the profile each matches.",
    )
    parser.add_argument("--timeout", type=TIMEOUT_S, default=5.0, metavar="S", help="seconds to listen (default 5)")
    parser.add_argument("--all", action="store_true", help="also list devices that match no profile")
    parser.add_argument("--pair", metavar="ADDRESS", help="pair the sensor or cuff with this address (found in a scan)")
    parser.add_argument("--profile", metavar="ID", help="with --pair: use this profile instead of the matched one")
    parser.add_argument("--firmware", type=FIRMWARE, metavar="N", help="with --pair: force a firmware generation (Ganglion 2 or 3)")
    parser.add_argument("--forget", metavar="ADDRESS", help="forget a paired sensor")
    parser.add_argument("--list", action="store_true", help="show the paired sensors and exit")
    parser.add_argument(
        "--emulate",
        metavar="DEVICES",
        help="scan emulated devices instead of the radio (comma-separated: myo, ganglion, myoware, generic, cuff)",
    )
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"gymtui scan: {safe_text(message, max_chars=None)}", file=sys.stderr)
    return EXIT_UNAVAILABLE


def run(args: argparse.Namespace) -> int:
    from gymtui.adapters.pairing import PairedDevices, PairingError

    paired = PairedDevices.load()
    if paired.problem:
        print(f"gymtui scan: {safe_text(paired.problem, max_chars=None)}", file=sys.stderr)
    if args.list:
        if not len(paired):
            print("No sensors paired yet. Pair one with: gymtui scan --pair ADDRESS")
        for device in paired:
            firmware = f"  firmware {device.firmware}" if device.firmware is not None else ""
            print(f"{safe_text(device.address)}  {safe_text(device.profile):<22} {safe_text(device.name)}{firmware}")
        return 0
    if args.forget:
        try:
            removed = paired.forget(args.forget)
        except PairingError as exc:
            return _fail(str(exc))
        address = safe_text(args.forget.upper())
        print(f"Forgot {address}." if removed else f"{address} was not paired.")
        return 0
    try:
        return asyncio.run(_scan(args, paired))
    except KeyboardInterrupt:
        return 130


async def _scan(args: argparse.Namespace, paired) -> int:
    from gymtui.adapters.ble import NoAdapterError, ScanResult, scan
    from gymtui.adapters.pairing import PairedDevice, PairingError
    from gymtui.adapters.profiles import load_profiles, profile_dirs
    from gymtui.bfr.profile import load_cuff_profile
    from gymtui.device_api import AdapterError

    profiles = load_profiles(profile_dirs())
    try:
        cuff_profile = load_cuff_profile()
    except AdapterError as exc:
        return _fail(str(exc))

    def is_cuff(result: ScanResult) -> bool:
        return result.profile is None and cuff_profile.advertised_by(result.name, result.service_uuids)

    def known(result: ScanResult) -> bool:
        return result.profile is not None or is_cuff(result)

    for error in profiles.errors:
        print(f"gymtui scan: skipping a broken profile: {safe_text(error, max_chars=None)}", file=sys.stderr)

    backend = None
    handles: list[EmulatedPeripheralHandle] = []
    closers: list[Callable[[], Awaitable[object]]] = []
    if args.emulate:
        try:
            from gymtui.emulation.bumble_backend import BumbleWorld
            from gymtui.emulation.stack import EMULATED_DEVICES, start_emulated_sensor
        except ImportError:
            return _fail("--emulate needs bumble: pip install 'gymtui[emulate]'")
        world = BumbleWorld()
        for name in (n.strip() for n in args.emulate.split(",") if n.strip()):
            if name == "cuff":
                from gymtui.emulation.cuff import EmulatedCuff

                emulated = EmulatedCuff(world.new_device(EMULATED_CUFF_NAME))
                await emulated.start()
                closers.append(emulated.close)
                continue
            if name not in EMULATED_DEVICES:
                return _fail(f"cannot emulate {name!r}; choose from {', '.join(EMULATED_DEVICES)}, cuff")
            handles.append(await start_emulated_sensor(name, world=world, profiles=profiles, seed=len(handles)))
        backend = world.scanner_backend

    header_shown = False

    def show(result: ScanResult) -> None:
        nonlocal header_shown
        if not args.all and not known(result):
            return
        if not header_shown:  # printed with the first device, so "no adapter" stays one line
            print(f"{'ADDRESS':<18} {'RSSI':>8} {'BATTERY':>7}  {'NAME':<18} PROFILE", flush=True)
            header_shown = True
        rssi = f"{result.rssi_dbm} dBm" if result.rssi_dbm is not None else "?"
        battery = f"{result.battery_pct}%" if result.battery_pct is not None else "—"
        if result.profile:
            profile = safe_text(result.profile.id)
        else:
            profile = f"{safe_text(cuff_profile.id)} (BFR cuff)" if is_cuff(result) else "(no profile)"
        mark = "  [paired]" if result.paired else ""
        name = safe_text(result.name or "?")
        print(f"{safe_text(result.address):<18} {rssi:>8} {battery:>7}  {name:<18} {profile}{mark}", flush=True)

    try:
        results = await scan(profiles, timeout_s=args.timeout, paired=paired, on_found=show, backend=backend)
    except NoAdapterError as exc:
        return _fail(str(exc))
    finally:
        for handle in handles:
            await handle.close()
        for close in closers:
            await close()
    results = [r for r in results if args.all or known(r)]

    if args.pair:
        wanted = args.pair.upper()
        found = next((r for r in results if r.address == wanted), None)
        if found is None:
            return _fail(f"{wanted} was not heard in {args.timeout:g} s; is it on and close by?")
        if is_cuff(found) and not args.profile:
            try:
                paired.add(PairedDevice(wanted, cuff_profile.id, found.name or ""))
            except PairingError as exc:
                return _fail(str(exc))
            print(
                f"Paired {safe_text(wanted)} ({safe_text(found.name or 'unnamed')}) as {safe_text(cuff_profile.id)} (BFR cuff). "
                "gymtui --cuff arm|leg will connect to it."
            )
            return 0
        profile = profiles.get(args.profile) if args.profile else found.profile
        if profile is None:
            hint = f"unknown profile {args.profile!r}" if args.profile else "it matches no profile; give one with --profile ID"
            return _fail(f"cannot pair {wanted}: {hint}")
        try:
            paired.add(PairedDevice(wanted, profile.id, found.name or "", args.firmware))
        except PairingError as exc:
            return _fail(str(exc))
        print(f"Paired {safe_text(wanted)} ({safe_text(found.name or 'unnamed')}) as {safe_text(profile.id)}. gymtui will connect to it.")
        return 0

    if not results:
        print(f"No {'' if args.all else 'known '}sensors heard in {args.timeout:g} s.")
        return 0
    matching = sum(1 for r in results if known(r))
    print(f"{len(results)} device(s) heard, {matching} matching a profile. Pair one with: gymtui scan --pair ADDRESS")
    return 0
