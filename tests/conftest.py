"""Shared fixtures: a private home for every test, the public recordings, and the cuff rig."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gymtui.sim.cuff_loop import ClosedLoop

REPO_ROOT = Path(__file__).resolve().parents[1]

LSL_LOOPBACK_CONFIG = """\
; Every LSL packet of the tests stays on this machine: discovery on the host
; only (ResolveScope = machine: 127.0.0.1, no multicast group beyond it), its
; socket bound to loopback, IPv4 loopback as the one known peer, no IPv6.
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
KnownPeers = {127.0.0.1}
"""


def _keep_lsl_on_this_machine() -> None:
    """Point liblsl at the loopback-only config before anything loads it.

    Set at import (not in a fixture) so that every xdist worker, and every
    subprocess a test starts with the environment passed through, reads it:
    liblsl reads ``LSLAPICFG`` once, when it first loads.
    """
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"gymtui-tests-lsl-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    config = folder / "lsl_api.cfg"
    if not config.exists() or config.read_text() != LSL_LOOPBACK_CONFIG:
        partial = config.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(LSL_LOOPBACK_CONFIG)
        partial.replace(config)
    os.environ["LSLAPICFG"] = str(config)


_keep_lsl_on_this_machine()

from mqtt_broker import gym_broker  # noqa: F401 - the real Mosquitto fixture, shared by the gym tests


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout (or ``$GYMTUI_SHARED_DATA``)."""
    override = os.environ.get("GYMTUI_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


def running_in_ci() -> bool:
    """``CI`` set to anything but empty, 0, false or no (what CI services export)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def shared_data() -> Path:
    """The folder of public EMG recordings.

    Without it the tests that need it skip on a developer's machine, but fail
    where ``CI`` is set: a CI run that skips the real-EMG checks proves nothing
    about the pipeline on real signals, yet would still come out green.
    """
    path = shared_data_dir()
    if not path.is_dir():
        message = f"public EMG recordings not found at {path} (set GYMTUI_SHARED_DATA to their folder)"
        if running_in_ci():
            pytest.fail(f"{message}; CI is set, so this fails instead of skipping", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never touch a real home: XDG dirs and the default DB live in tmp_path."""
    home = tmp_path / "home"
    for var, sub in [
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("GYMTUI_DB", str(home / "gymtui.db"))
    return home


@pytest.fixture
def rig() -> ClosedLoop:
    """The BFR supervisor in closed loop with the simulated cuff on a fake clock, link up.

    The default arm settings (LOP 180 mmHg, 50 %). A test that needs other
    settings, cuff parameters or limits builds its own
    :class:`gymtui.sim.cuff_loop.ClosedLoop`.
    """
    from gymtui.sim.cuff_loop import ClosedLoop

    return ClosedLoop()
