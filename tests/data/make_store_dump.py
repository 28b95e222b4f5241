"""Write a small real gymtui database with the gymtui first on ``sys.path``, and print its SQL dump.

How the ``store_v1_*.sql`` files beside this were made, each by the store
code of the commit named in its first line (``git archive COMMIT gymtui``
into a folder put first on ``PYTHONPATH``)::

    PYTHONPATH=/tmp/old python tests/data/make_store_dump.py /tmp/x.db core > store_v1_core.sql

``core`` writes only what the first schema had; ``full`` adds programs rows
(a plan, a check-in, a suggestion, a flag, an LOP). The dump starts with the
file's ``application_id`` and ``user_version``, which ``iterdump`` leaves out.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import numpy as np

from gymtui.model import Calibration
from gymtui.store import Store


def main(path: Path, full: bool) -> None:
    s = Store(path)
    a = s.ensure_athlete("Ana")
    se = s.start_session(a, "upper")
    cal = s.save_mvc(a, Calibration((410.0, 380.0), 3.0, "demo", ("vl", "vm")))
    st = s.start_set(a, "squat", "guided", session_id=se, load_kg=80.0, channels=[{"label": "vl"}], calibration_id=cal)
    s.record_phase(
        st, 0, "activation", "Wake up", planned_s=20.0, started_at="2026-11-02T09:00:00.000+01:00",
        duration_s=20.0, ended_by="timer", peak_pct_mvc=55.0, mean_pct_mvc=30.0, metrics={"cci_pct": 12.0},
    )
    s.record_reps(st, [{"idx": 0, "start_s": 1.0, "end_s": 3.0, "peak_pct_mvc": 60.0, "mean_pct_mvc": 33.0,
                        "target_share": 0.7, "perfect": 1}])
    s.append_signal(st, 0, 0.0, 1000.0, np.arange(8, dtype=np.float32).reshape(4, 2))
    s.finish_set(st, "completed", {"peak_pct_mvc": 61.5, "reps": 8, "quality_flags": ["ok"]})
    s.rate_set(st, 7)
    s.log_cuff_event("inflate", pressure_mmhg=120.0, target_mmhg=150.0, reason="set", set_id=st, session_id=se)
    s.log_cuff_event("deflate", pressure_mmhg=0.0, reason="end", set_id=st, session_id=se)
    s.end_session(se)
    if full:
        s.save_lop(a, "leg", 210.0)
        plan = s.start_plan(a, "hypertrophy", "2026-11-02", 2)
        s.tag_session(se, plan_id=plan, focus="legs", kind="training")
        s.update_set(st, {"workflow_phase": "compound", "pct_1rm": 0.75, "set_number": 1})
        s.record_checkin(a, {"sleep_h": 7.5, "resting_hr_bpm": 52.0, "advice": "train", "reasons": ["slept"]}, se)
        sg = s.save_suggestion(a, st, "load", "all reps perfect", 80.0, 82.5)
        s.answer_suggestion(sg, True)
        s.set_flag(a, "disclaimer_seen")
        s.set_baseline_rhr(a, 54.0)
    s.close()
    c = sqlite3.connect(path)
    print(f"PRAGMA application_id={c.execute('PRAGMA application_id').fetchone()[0]};")
    print(f"PRAGMA user_version={c.execute('PRAGMA user_version').fetchone()[0]};")
    for line in c.iterdump():
        print(line)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] == "full")
