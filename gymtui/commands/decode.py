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
import io
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gymtui.argtypes import FIRMWARE
from gymtui.text import safe_text

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
    parser.add_argument("--firmware", type=FIRMWARE, metavar="N", help="firmware generation where the format depends on it (Ganglion: 2 or 3)")
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


MAX_LINE_CHARS = 4096
"""A BLE notification carries at most 512 bytes (ATT's limit): about 1.5 k characters as spaced
hex, plus a 36-character characteristic UUID. A longer line is not a notification, and is
skipped without being held whole (a file with no line breaks must not fill the memory)."""

MAX_LISTED = 20
"""Bad lines reported one by one; past this they are only counted (a junk file is not a screenful each)."""


@dataclass(slots=True)
class CaptureReport:
    """What a capture held: how many lines could not be used, and how many notifications decoded."""

    lines: int = 0  # non-blank, non-comment lines
    not_hex: int = 0  # not hex, over-long, or a bad characteristic
    malformed: int = 0  # hex, but not a notification this profile's decoder accepts
    decoded: int = 0  # notifications that produced samples

    @property
    def bad(self) -> int:
        return self.not_hex + self.malformed


def decode_lines(
    profile: Profile, lines: Iterable[str], *, firmware: int | None, counts: bool, out: TextIO, err: TextIO
) -> CaptureReport:
    """Write the CSV for a capture (its header once a notification decodes); report what was unusable."""
    from gymtui.adapters.profiles import normalize_uuid

    decoder = profile.new_decoder(firmware if firmware is not None else (profile.firmware.default if profile.firmware else None))
    scale = profile.scale_uv
    wanted = set(profile.characteristics)
    report = CaptureReport()
    header = ",".join(["sample", "t_s", *profile.channels]) + "\n"
    sample = 0

    def bad_line(number: int, what: str) -> None:
        if report.bad <= MAX_LISTED:
            print(f"gymtui decode: line {number}: {what}", file=err)
        if report.bad == MAX_LISTED:
            print(f"gymtui decode: more than {MAX_LISTED} bad lines; the rest are only counted", file=err)

    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            report.lines += 1
            report.not_hex += 1
            bad_line(number, f"longer than {MAX_LINE_CHARS} characters, not a notification, skipped")
            continue
        try:
            parsed = parse_capture_line(line)
        except ValueError:
            report.lines += 1
            report.not_hex += 1
            bad_line(number, "not hex, skipped")
            continue
        if parsed is None:
            continue
        report.lines += 1
        characteristic, payload = parsed
        if characteristic is not None:
            try:
                if normalize_uuid(characteristic) not in wanted:
                    continue  # another characteristic (battery, IMU...): not part of the EMG stream
            except ValueError:
                report.not_hex += 1
                bad_line(number, f"{safe_text(characteristic, max_chars=40)!r} is not a characteristic UUID, skipped")
                continue
        malformed_before = decoder.stats.malformed
        packet = decoder.feed(payload, characteristic)
        if decoder.stats.malformed > malformed_before:
            report.malformed += 1
            bad_line(number, f"{decoder.stats.last_error}, dropped")
        if packet is None:
            continue
        if not report.decoded:
            out.write(header)
        report.decoded += 1
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
        f"{s.skipped} skipped, {s.gaps} gaps ({s.lost_samples} samples lost); {report.not_hex} lines not hex",
        file=err,
    )
    return report


def bounded_lines(handle: TextIO) -> Iterator[str]:
    """The handle's lines, each cut at ``MAX_LINE_CHARS + 1`` characters (the rest read and dropped)."""
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            rest = line
            while rest and not rest.endswith("\n"):
                rest = handle.readline(MAX_LINE_CHARS)
        yield line


def _lines(path: str) -> Iterator[str]:
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        stdin = io.TextIOWrapper(buffer, encoding="utf-8", errors="replace") if buffer is not None else sys.stdin
        yield from bounded_lines(stdin)
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from bounded_lines(fh)


def run(args: argparse.Namespace) -> int:
    from gymtui.adapters.profiles import load_profiles, profile_dirs

    profiles = load_profiles(profile_dirs())
    profile = profiles.get(args.profile)
    if profile is None:
        broken = [e for e in profiles.errors if e.path.stem == args.profile]
        if broken:
            print(f"gymtui decode: {safe_text(broken[0], max_chars=500)}", file=sys.stderr)
        else:
            known = ", ".join(sorted(profiles.profiles))
            print(f"gymtui decode: no profile {safe_text(args.profile, max_chars=40)!r}; known: {known}", file=sys.stderr)
        return 2
    if args.firmware is not None and profile.decoder == "ganglion" and args.firmware not in (2, 3):
        print(f"gymtui decode: --firmware must be 2 or 3 for {profile.id}, got {args.firmware}", file=sys.stderr)
        return 2
    shown = safe_text(args.file, max_chars=200)
    if args.file != "-":
        problem = _not_a_capture(Path(args.file))
        if problem:
            print(f"gymtui decode: cannot read {shown}: {problem}", file=sys.stderr)
            return 2
    try:
        report = decode_lines(
            profile, _lines(args.file), firmware=args.firmware, counts=args.counts, out=sys.stdout, err=sys.stderr
        )
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): nothing more to say
        return 0
    except OSError as exc:
        print(f"gymtui decode: cannot read {shown}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    if not report.decoded:
        source = "standard input" if args.file == "-" else shown
        print(
            f"gymtui decode: nothing decoded from {source}: none of its {report.lines} lines is a {profile.id} "
            f"notification ({report.not_hex} not hex, {report.malformed} malformed)",
            file=sys.stderr,
        )
        return 2
    if report.bad:
        print(
            f"gymtui decode: {report.bad} of {report.lines} lines could not be used "
            f"({report.not_hex} not hex, {report.malformed} malformed); the rest decoded",
            file=sys.stderr,
        )
    return 0


def _not_a_capture(path: Path) -> str | None:
    """Why ``path`` cannot be a capture file, or None: only regular files are read (``-`` for a pipe)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISDIR(mode):
        return "a directory, not a capture file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, FIFO or socket); pipe a capture in with - instead"
    return None
