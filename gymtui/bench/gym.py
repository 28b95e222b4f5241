"""Gym figures: 50 racks' live status at 5 Hz into one coach view, through a real Mosquitto on 127.0.0.1.

Keys added to the report:

- ``gym_latency_p50_ms`` / ``gym_latency_p99_ms``: from a status's
  ``sent_at`` (the publisher's clock, just before ``publish``) to the moment
  the coach's tile for that rack draws it or a newer status of the same
  rack (a status replaced before the next redraw counts as shown by the
  one that replaced it: that is what the coach sees). Target ≤ 250 ms.
- ``gym_coach_cpu_pct``: the coach process's CPU time per wall second over
  the window, in % of one core (paho's thread, decoding and drawing
  included). Target ≤ 50 %.

Three kinds of process, as in a gym: Mosquitto (TLS, the gym's own CA,
passwords and ACL as ``gymtui gym init`` writes them), two publisher
processes with 25 real paho clients each (logged in as rack-1 … rack-50),
and the coach view (:class:`~gymtui.ui.coach.app.CoachApp`, the real app)
in a pseudo-terminal 220×170 so all 50 tiles are on screen and every frame
is written out as escape sequences, like a real terminal's. Without
Mosquitto the bench says so and measures nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import pty
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RACKS = 50
STATUS_HZ = 5.0
PUBLISHER_PROCESSES = 2
TERMINAL = (220, 170)
"""Columns × rows: five columns of tiles, ten rows of them: every rack on screen."""
TARGET_P99_MS = 250.0
TARGET_CPU_PCT = 50.0


def _mosquitto() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).is_file()), None
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_accepting(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mosquitto exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"mosquitto not listening on 127.0.0.1:{port} after {timeout_s} s")


@contextlib.contextmanager
def _broker(root: Path) -> Iterator[tuple[str, Path, Path]]:
    """A TLS Mosquitto for rack-1 … rack-50 and the coach: (url, the broker folder's credentials dir, CA)."""
    from gymtui.gym.broker_setup import write_broker_dir

    executable = _mosquitto()
    assert executable is not None
    port = _free_port()
    folder = write_broker_dir(
        root, [f"rack-{n}" for n in range(1, RACKS + 1)], hosts=("localhost", "127.0.0.1"), port=port,
        bind_address="127.0.0.1", tls=True, run_as_user=getpass.getuser() if os.geteuid() == 0 else None,
    )
    with (root / "mosquitto.log").open("ab") as log:
        proc = subprocess.Popen([executable, "-c", str(folder.conf)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_accepting(port, proc)
        yield f"mqtts://127.0.0.1:{port}", folder.password_file("coach").parent, folder.ca_cert
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _measure(window_s: float, warmup_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, _broker(Path(tmp) / "broker") as (url, credentials, ca):
        out = Path(tmp) / "coach.json"
        common = ["--url", url, "--credentials", str(credentials), "--ca", str(ca)]
        coach, master = _start_in_pty(
            [sys.executable, "-m", "gymtui.bench.gym", "coach", *common, "--out", str(out),
             "--warmup", str(warmup_s), "--window", str(window_s)]
        )
        per = RACKS // PUBLISHER_PROCESSES
        publishers = [
            subprocess.Popen(
                [sys.executable, "-m", "gymtui.bench.gym", "racks", *common, "--first", str(1 + i * per),
                 "--count", str(per if i < PUBLISHER_PROCESSES - 1 else RACKS - i * per)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            for i in range(PUBLISHER_PROCESSES)
        ]
        try:
            deadline = time.monotonic() + warmup_s + window_s + 60
            while coach.poll() is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("the coach did not finish its window in time")
                _drain(master, 0.05)
            if not out.exists():
                raise RuntimeError(f"the coach ended ({coach.returncode}) without figures")
            return dict(json.loads(out.read_text()))
        finally:
            for proc in [*publishers, coach]:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in [*publishers, coach]:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
                if proc.stderr is not None:
                    proc.stderr.close()
            os.close(master)


def _start_in_pty(args: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    import fcntl
    import termios

    master, slave = pty.openpty()
    cols, rows = TERMINAL
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    os.set_blocking(master, False)
    return proc, master


def _drain(master: int, wait_s: float) -> None:
    """Read what the coach drew (a terminal nobody reads would block it)."""
    while select.select([master], [], [], wait_s)[0]:
        wait_s = 0.0
        try:
            if not os.read(master, 1 << 16):
                return
        except OSError:
            return


def run(report: dict[str, Any], quick: bool) -> None:
    if _mosquitto() is None:
        report["gym"] = "not measured: mosquitto is not installed (apt-get install mosquitto)"
        return
    from gymtui.bench import smoke

    figures = _measure(window_s=2.0, warmup_s=1.0) if smoke() else _measure(window_s=8.0 if quick else 20.0, warmup_s=4.0)
    report.update({f"gym_{key}": value for key, value in figures.items()})
    report["gym_targets"] = f"p99 <= {TARGET_P99_MS:g} ms, coach <= {TARGET_CPU_PCT:g} % of a core"
    report["gym_bench_notes"] = (
        f"{RACKS} racks (real paho clients in {PUBLISHER_PROCESSES} processes, TLS) publishing RackStatus at "
        f"{STATUS_HZ:g} Hz into a real Mosquitto on 127.0.0.1; the coach app in a {TERMINAL[0]}x{TERMINAL[1]} pty, "
        "latency = sent_at to the tile drawing that status or a newer one; CPU = the coach process, all threads"
    )


# -- the two roles, each in its own process ------------------------------------------------------
def _racks_main(args: argparse.Namespace) -> int:
    """``count`` racks from ``first``, each a paho client, statuses at 5 Hz spread evenly over the period."""
    from gymtui.gym.connection import connect, make_client
    from gymtui.gym.payloads import (
        ChannelLevel,
        CuffLevel,
        RackPresence,
        RackStatus,
        encode,
    )
    from gymtui.gym.settings import BrokerSettings
    from gymtui.gym.topics import rack_topic

    stop = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    names = [f"rack-{n}" for n in range(args.first, args.first + args.count)]
    clients = []
    for name in names:
        settings = BrokerSettings.build(args.url, name, password_file=args.credentials / name, ca_file=args.ca)
        client = make_client(settings, name, will=(rack_topic(name, "presence"), encode(RackPresence(rack=name, state="lost"))))
        connect(client, settings, persistent=False)
        clients.append(client)
    deadline = time.monotonic() + 30
    while not all(c.is_connected() for c in clients):
        if time.monotonic() > deadline:
            print("racks: not all connected within 30 s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    for name, client in zip(names, clients, strict=True):
        presence = RackPresence(rack=name, state="online", at=time.time(), keepalive_s=5)
        client.publish(rack_topic(name, "presence"), encode(presence), qos=1, retain=True)
    period = 1.0 / STATUS_HZ
    step = period / len(clients)
    seq = 0
    start = time.monotonic()
    while not stop:
        seq += 1
        for i, (name, client) in enumerate(zip(names, clients, strict=True)):
            due = start + seq * period + i * step
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            status = RackStatus(
                rack=name, sent_at=time.time(), seq=seq, screen="set", athlete=f"Athlete {name[5:]}",
                exercise="Back squat", set_n=2, set_of=4, phase="Work", phase_kind="concentric",
                countdown_s=60.0 - (seq * period) % 60.0, load_kg=80.0,
                channels=(ChannelLevel("quads", pct_mvc=float(seq % 100), target=True),
                          ChannelLevel("glutes", pct_mvc=float((seq * 3) % 100))),
                cuff=CuffLevel(state="holding", pressure_mmhg=180.0 + seq % 5, target_mmhg=180.0),
            )
            client.publish(rack_topic(name, "status"), encode(status), qos=0)
    for client in clients:
        client.disconnect()
        client.loop_stop()
    return 0


def _coach_main(args: argparse.Namespace) -> int:
    """The real coach app; writes the figures as JSON to ``--out`` and exits after the window."""
    import psutil

    from gymtui.gym.coach_feed import RackMessage
    from gymtui.gym.payloads import RackStatus
    from gymtui.gym.settings import BrokerSettings
    from gymtui.ui.coach.app import CoachApp

    settings = BrokerSettings.build(args.url, "coach", password_file=args.credentials / "coach", ca_file=args.ca)
    waiting: dict[str, list[float]] = {}
    """Per rack, the sent_at of each status heard but not yet drawn (in order)."""
    latencies_s: list[float] = []
    measuring = False
    heard = 0

    def drawn(status: RackStatus) -> None:
        now = time.time()
        pending = waiting.get(status.rack)
        if not pending:
            return
        if measuring:
            latencies_s.extend(now - sent_at for sent_at in pending if sent_at <= status.sent_at)
        waiting[status.rack] = [sent_at for sent_at in pending if sent_at > status.sent_at]

    class BenchCoach(CoachApp):
        def on_mount(self) -> None:  # Textual runs CoachApp.on_mount too
            self.set_timer(args.warmup, begin)
            self.set_timer(args.warmup + args.window, end)

        def take(self, item: RackMessage) -> None:
            nonlocal heard
            if isinstance(item, RackStatus):
                waiting.setdefault(item.rack, []).append(item.sent_at)
                heard += measuring
            super().take(item)

    app = BenchCoach(settings, drawn_probe=drawn)
    process = psutil.Process()
    figures: dict[str, Any] = {}

    def begin() -> None:
        nonlocal measuring
        measuring = True
        figures["cpu0"], figures["wall0"] = sum(process.cpu_times()[:2]), time.monotonic()

    def end() -> None:
        cpu, wall = sum(process.cpu_times()[:2]) - figures.pop("cpu0"), time.monotonic() - figures.pop("wall0")
        ordered = sorted(latencies_s)
        figures.update(
            racks_on_board=len(app.board.racks()),
            statuses_per_s=round(heard / wall, 1),
            latency_samples=len(ordered),
            latency_p50_ms=round(1000 * statistics.median(ordered), 1) if ordered else None,
            latency_p99_ms=round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1) if ordered else None,
            latency_max_ms=round(1000 * ordered[-1], 1) if ordered else None,
            coach_cpu_pct=round(100 * cpu / wall, 1),
            window_s=round(wall, 1),
        )
        args.out.write_text(json.dumps(figures))
        app.exit()

    app.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gymtui.bench.gym")
    sub = parser.add_subparsers(dest="role", required=True)
    for role in ("racks", "coach"):
        p = sub.add_parser(role)
        p.add_argument("--url", required=True)
        p.add_argument("--credentials", type=Path, required=True)
        p.add_argument("--ca", type=Path, required=True)
        if role == "racks":
            p.add_argument("--first", type=int, default=1)
            p.add_argument("--count", type=int, default=RACKS)
        else:
            p.add_argument("--out", type=Path, required=True)
            p.add_argument("--warmup", type=float, default=4.0)
            p.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args(argv)
    return _racks_main(args) if args.role == "racks" else _coach_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
