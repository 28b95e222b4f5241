"""``gymtui decode PROFILE [FILE|-] [--firmware N] [--counts]``: a capture of notifications → CSV.

The tool a maker uses to check a new profile against a capture: one
notification per line as hex (optionally ``characteristic,hex``), in stream
order; out comes one CSV row per sample with the channels as the last
columns, in the profile's unit (or raw integer counts with ``--counts``).
Lost samples show as a jump in the ``sample`` column; malformed lines are
reported on stderr with their line number and skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gymtui.adapters.profiles import Profile


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode a capture of BLE notifications (hex, one per line) to CSV samples",
        description=(
            "Read notifications as hex, one per line (optionally 'characteristic,hex'), "
            "in stream order, and print one CSV row per sample, channels last."
        ),
    )
    parser.add_argument("profile", metavar="PROFILE", help="device profile, e.g. myo, ganglion, generic-int16")
    parser.add_argument("file", metavar="FILE", nargs="?", default="-", help="capture file, or - for stdin (default)")
    parser.add_argument("--firmware", type=int, metavar="N", help="firmware generation where the format depends on it (Ganglion: 2 or 3)")
    parser.add_argument("--counts", action="store_true", help="print raw integer counts instead of scaled values")
    parser.set_defaults(func=run)
    allow_options_between_positionals(parser)


def allow_options_between_positionals(parser: argparse.ArgumentParser) -> None:
    """Let ``decode ganglion --firmware 2 capture.hex`` parse like ``decode ganglion capture.hex --firmware 2``.

    Plain argparse binds an optional positional as soon as it sees the first
    one, so an option between them leaves the file unclaimed; intermixed
    parsing (stdlib) fixes that for this sub-command only.
    """
    base = type(parser)

    class Intermixed(base):  # type: ignore[misc, valid-type]
        _intermixing = False

        def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
            if self._intermixing:
                return super().parse_known_args(args, namespace)
            self._intermixing = True
            try:
                return self.parse_known_intermixed_args(args, namespace)
            finally:
                self._intermixing = False

    parser.__class__ = Intermixed


def parse_capture_line(line: str) -> tuple[str | None, bytes] | None:
    """``(characteristic or None, payload)`` for one capture line; None for blank/comment lines.

    Raises ValueError for a line that is not hex.
    """
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    characteristic = None
    if "," in text:
        characteristic, text = (part.strip() for part in text.split(",", 1))
    return characteristic, bytes.fromhex(text.replace(" ", "").replace(":", ""))


def decode_lines(profile: Profile, lines: Iterable[str], *, firmware: int | None, counts: bool, out: TextIO, err: TextIO) -> int:
    """Write the CSV for a capture; return how many lines could not be used."""
    from gymtui.adapters.profiles import normalize_uuid

    decoder = profile.new_decoder(firmware if firmware is not None else (profile.firmware.default if profile.firmware else None))
    scale = profile.scale_uv
    wanted = set(profile.characteristics)
    out.write(",".join(["sample", "t_s", *profile.channels]) + "\n")
    sample = 0
    bad = 0
    for number, line in enumerate(lines, start=1):
        try:
            parsed = parse_capture_line(line)
        except ValueError:
            bad += 1
            print(f"gymtui decode: line {number}: not hex, skipped", file=err)
            continue
        if parsed is None:
            continue
        characteristic, payload = parsed
        if characteristic is not None:
            try:
                if normalize_uuid(characteristic) not in wanted:
                    continue  # another characteristic (battery, IMU...): not part of the EMG stream
            except ValueError:
                bad += 1
                print(f"gymtui decode: line {number}: {characteristic!r} is not a characteristic UUID, skipped", file=err)
                continue
        malformed_before = decoder.stats.malformed
        packet = decoder.feed(payload, characteristic)
        if decoder.stats.malformed > malformed_before:
            bad += 1
            print(f"gymtui decode: line {number}: {decoder.stats.last_error}, dropped", file=err)
        if packet is None:
            continue
        sample += packet.lost_before
        for row in packet.counts:
            if counts:
                values = [str(int(v)) for v in row]
            else:
                values = [f"{float(v) * s:.6g}" for v, s in zip(row, scale)]
            out.write(f"{sample},{sample / profile.rate_hz:.6f},{','.join(values)}\n")
            sample += 1
    s = decoder.stats
    print(
        f"gymtui decode: {s.packets} notifications, {s.samples} samples, {s.malformed} malformed dropped, "
        f"{s.skipped} skipped, {s.gaps} gaps ({s.lost_samples} samples lost)",
        file=err,
    )
    return bad


def _lines(path: str) -> Iterator[str]:
    if path == "-":
        yield from sys.stdin
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from fh


def run(args: argparse.Namespace) -> int:
    from gymtui.adapters.profiles import load_profiles, profile_dirs

    profiles = load_profiles(profile_dirs())
    profile = profiles.get(args.profile)
    if profile is None:
        broken = [e for e in profiles.errors if e.path.stem == args.profile]
        if broken:
            print(f"gymtui decode: {broken[0]}", file=sys.stderr)
        else:
            print(f"gymtui decode: no profile {args.profile!r}; known: {', '.join(sorted(profiles.profiles))}", file=sys.stderr)
        return 2
    if args.firmware is not None and profile.decoder == "ganglion" and args.firmware not in (2, 3):
        print(f"gymtui decode: --firmware must be 2 or 3 for {profile.id}, got {args.firmware}", file=sys.stderr)
        return 2
    if args.file != "-" and not Path(args.file).is_file():
        print(f"gymtui decode: cannot read {args.file}: no such file", file=sys.stderr)
        return 2
    try:
        decode_lines(profile, _lines(args.file), firmware=args.firmware, counts=args.counts, out=sys.stdout, err=sys.stderr)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): nothing more to say
        return 0
    except OSError as exc:
        print(f"gymtui decode: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    return 0
