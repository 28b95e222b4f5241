"""The broker goes away for 60 s mid-session: the rack trains on, and every set reaches the gym's log once.

The real app (demo, x10) on a rack, the real ``gymtui hub`` writing the
gym's log, a real Mosquitto that is stopped for a minute between sets and
started again on the same port. Sets logged while it was away wait in the
rack's outbox (its own SQLite file) and go when it is back; the hub's log
then holds each set of the session once: the same UUIDs as the rack's,
each with as many phases and reps as the rack stored, no more.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_process import AppProcess, query
from hub_process import HubProcess
from mqtt_broker import Broker
from waiting import wait_until

from gymtui.store.outbox import SENT

pytestmark = [pytest.mark.timeout(420), pytest.mark.solo]  # a minute of outage in real time; three processes

RACK = "rack-1"
OUTAGE_S = 60.0


def rated_sets(db: Path) -> int:
    return len(query(db, "SELECT id FROM sets WHERE activation_rating IS NOT NULL"))


def run_finisher(rack: AppProcess, db: Path, rating: int = 7) -> None:
    """Home ``f``: the finisher set, rated at the rating screen, the rest skipped, back home."""
    before = rated_sets(db)
    rack.forget()
    rack.press(b"f")
    rack.wait_for(lambda: rack.saw(b"Set complete"), 60, "the rating screen")
    rack.press(str(rating).encode())
    wait_until(lambda: rated_sets(db) == before + 1, 30, "the rating stored", detail=rack.tail)
    rack.forget()
    rack.press(b" ")  # skip the rest
    rack.wait_for(lambda: rack.saw(b"Start set"), 60, "the home screen")


def per_set(db: Path) -> dict[str, tuple[str, int | None, int, int]]:
    """Each set by UUID: its status, rating, and how many phases and reps the file holds for it."""
    rows = query(db, """SELECT s.uuid, s.status, s.activation_rating,
                               (SELECT count(*) FROM phases p WHERE p.set_id = s.id),
                               (SELECT count(*) FROM reps r WHERE r.set_id = s.id)
                        FROM sets s""")
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def test_sets_logged_while_the_broker_is_away_reach_the_hub_once_when_it_is_back(gym_broker: Broker, tmp_path: Path) -> None:
    rack_db, hub_db = tmp_path / "rack.db", tmp_path / "gym-log.db"
    with HubProcess(gym_broker, hub_db, tmp_path / "hub.log") as hub, AppProcess(
        ["--demo", "--speed", "10", *gym_broker.cli_args(RACK), "--rack", RACK, "--db", str(rack_db), "--athlete", "Sam Lee"],
        rows=45, cols=120,
    ) as rack:
        rack.wait_for(lambda: rack.saw(b"Start set"), 120, "the rack's home screen")
        run_finisher(rack, rack_db)
        wait_until(lambda: len(per_set(hub_db)) == 1, 30, "the first set in the hub's log", detail=hub.output)

        gym_broker.stop()
        away_at = time.monotonic()
        run_finisher(rack, rack_db, rating=6)
        run_finisher(rack, rack_db, rating=8)
        wait_until(lambda: len({r[0] for r in query(rack_db, "SELECT topic FROM gym_outbox WHERE kind = 'record'")}) == 1
                   and len(query(rack_db, "SELECT id FROM gym_outbox WHERE kind = 'record'")) >= 2, 30,
                   "both sets' records waiting in the rack's outbox", detail=lambda: query(rack_db, "SELECT kind FROM gym_outbox"))
        assert len(per_set(hub_db)) == 1, "nothing reached the hub while the broker was away"
        wait_until(lambda: time.monotonic() - away_at >= OUTAGE_S, OUTAGE_S + 5, "the minute of outage")
        gym_broker.start()

        rack_sets = per_set(rack_db)
        assert len(rack_sets) == 3
        wait_until(lambda: per_set(hub_db) == per_set(rack_db), 60, "the hub's log holding the rack's sets",
                   detail=lambda: (per_set(hub_db), per_set(rack_db), hub.output()[-1500:]))
        wait_until(lambda: query(rack_db, "SELECT count(*) FROM gym_outbox WHERE kind != ?", (SENT,)) == [(0,)], 30,
                   "the rack's outbox empty", detail=lambda: query(rack_db, "SELECT kind, topic FROM gym_outbox"))
    hub_sets = per_set(hub_db)
    assert sorted(r[1] for r in hub_sets.values()) == [6, 7, 8]
    assert all(status == "completed" and phases > 0 for status, _, phases, _ in hub_sets.values())
    racks = query(hub_db, "SELECT DISTINCT rack FROM sets")
    assert racks == [(RACK,)]


def test_a_rack_killed_with_sets_in_its_outbox_delivers_them_when_it_starts_again(gym_broker: Broker, tmp_path: Path) -> None:
    """SIGKILL while the broker is away: what waited in the outbox is in the file, and goes with the next start."""
    rack_db, hub_db = tmp_path / "rack.db", tmp_path / "gym-log.db"
    args = ["--demo", "--speed", "10", *gym_broker.cli_args(RACK), "--rack", RACK, "--db", str(rack_db), "--athlete", "Sam Lee"]
    with HubProcess(gym_broker, hub_db, tmp_path / "hub.log") as hub:
        gym_broker.stop()
        with AppProcess(args, rows=45, cols=120) as rack:
            rack.wait_for(lambda: rack.saw(b"Start set"), 120, "the rack's home screen with no broker")
            run_finisher(rack, rack_db, rating=9)
            wait_until(lambda: len(query(rack_db, "SELECT id FROM gym_outbox WHERE kind = 'record'")) >= 1, 30,
                       "the set's record waiting in the outbox")
            rack.kill()
        assert per_set(hub_db) == {}
        gym_broker.start()
        with AppProcess(args, rows=45, cols=120) as rack:
            rack.wait_for(lambda: rack.saw(b"Start set"), 120, "the rack's home screen again")
            wait_until(lambda: per_set(hub_db) == per_set(rack_db), 60, "the killed run's set in the hub's log",
                       detail=lambda: (per_set(hub_db), per_set(rack_db), hub.output()[-1500:]))
            wait_until(lambda: query(rack_db, "SELECT count(*) FROM gym_outbox WHERE kind != ?", (SENT,)) == [(0,)], 30,
                       "the rack's outbox empty")
    (status, rating, phases, _reps), = per_set(hub_db).values()
    assert (status, rating) == ("completed", 9) and phases > 0
