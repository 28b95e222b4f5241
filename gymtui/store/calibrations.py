"""Calibrations: an athlete's MVC per source, channels and electrode application, and each limb's occlusion pressure (LOP)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from gymtui.model import Calibration
from gymtui.store.connection import now_iso
from gymtui.store.rows import LopReading
from gymtui.store.tables import Tables, inserted_id

MVC_CANDIDATES = 20
"""Newest MVCs looked at for one that still holds: more than one session's worth for the same muscles."""


class Calibrations(Tables):
    """MVC and LOP calibrations (the ``calibrations`` table, by ``kind``)."""

    def save_mvc(self, athlete_id: int, calibration: Calibration) -> int:
        with self.conn:
            return inserted_id(
                self.db.table("calibrations")
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "kind": "mvc",
                        "taken_at": now_iso(),
                        "source": calibration.source,
                        "channels": json.dumps(list(calibration.channels)),
                        "values_json": json.dumps([float(v) for v in calibration.mvc_uv]),
                        "window_s": calibration.window_s,
                    }
                )
                
            )

    def latest_mvc(
        self,
        athlete_id: int,
        source: str,
        channels: Sequence[str],
        *,
        holds: Callable[[dt.datetime, bool], bool] | None = None,
        session_id: int | None = None,
    ) -> tuple[int, Calibration] | None:
        """The newest MVC taken with this source and these channel labels that still holds.

        ``holds(taken_at, same_session)`` says whether an MVC still describes
        the electrodes on the skin (:func:`gymtui.session.mvc.mvc_holds`):
        ``same_session`` is True when a set of ``session_id`` used it. Without
        ``holds`` any stored MVC is returned (tools that read an old set).
        """
        rows = self.conn.execute(
            "SELECT c.id, c.values_json, c.window_s, c.source, c.channels, c.taken_at, "
            "EXISTS (SELECT 1 FROM sets s WHERE s.calibration_id = c.id AND s.session_id = ?) "
            "FROM calibrations c "
            "WHERE c.athlete_id = ? AND c.kind = 'mvc' AND c.source = ? AND c.channels = ? "
            "ORDER BY c.taken_at DESC, c.id DESC LIMIT ?",
            (session_id, athlete_id, source, json.dumps(list(channels)), MVC_CANDIDATES),
        ).fetchall()
        for row in rows:
            if holds is not None and not holds(dt.datetime.fromisoformat(row[5]), bool(row[6])):
                continue
            return int(row[0]), Calibration(
                tuple(json.loads(row[1])), float(row[2]), row[3], tuple(json.loads(row[4]))
            )
        return None

    def save_lop(
        self, athlete_id: int, limb: str, lop_mmhg: float, *, source: str = "manual", taken_at: str | None = None
    ) -> int:
        """Store a limb's occlusion pressure (``calibrations`` row, kind ``lop``), dated ``taken_at`` (default now).

        ``source`` says how it was measured: ``manual`` (typed from a Doppler
        or pulse oximeter reading, as clinics do), the cuff's name, or
        ``gym`` (a reading a rack adopted from the gym's log, with its date).
        """
        if limb not in ("arm", "leg"):
            raise ValueError(f"limb is arm or leg, not {limb!r}")
        with self.conn:
            return inserted_id(
                self.db.table("calibrations")
                .insert(
                    {
                        "athlete_id": athlete_id,
                        "kind": "lop",
                        "taken_at": taken_at or now_iso(),
                        "source": source,
                        "limb": limb,
                        "lop_mmhg": float(lop_mmhg),
                    }
                )
                
            )

    def latest_lop(self, athlete_id: int, limb: str) -> LopReading | None:
        """The newest LOP for this limb: ``{id, limb, lop_mmhg, taken_at, source, age_days}``."""
        row = self.conn.execute(
            "SELECT id, limb, lop_mmhg, taken_at, source FROM calibrations "
            "WHERE athlete_id = ? AND kind = 'lop' AND limb = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
            (athlete_id, limb),
        ).fetchone()
        if not row:
            return None
        taken = dt.datetime.fromisoformat(row[3])
        age_days = (dt.datetime.now().astimezone() - taken).total_seconds() / 86400.0
        return {
            "id": int(row[0]),
            "limb": row[1],
            "lop_mmhg": float(row[2]),
            "taken_at": row[3],
            "source": row[4],
            "age_days": age_days,
        }
