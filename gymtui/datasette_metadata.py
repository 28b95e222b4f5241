"""``metadata.yml`` beside the database, so it opens well in Datasette.

Units (Pint names, as Datasette expects), human labels for the columns a
coach reads, facets on the columns they filter by, and the raw-signal table
hidden (its blobs mean nothing in a browser). Written by hand: it is a small
fixed document and a YAML library would be a dependency for twenty lines.
"""

from __future__ import annotations

import json
from pathlib import Path

TITLE = "gymtui training log"

# table -> (label_column, facets, units, column descriptions, hidden)
TABLES: dict[str, dict[str, object]] = {
    "sets": {
        "label_column": "exercise",
        "facets": ["exercise", "status", "workflow_phase", "activation_rating"],
        "sort_desc": "started_at",
        "units": {"load_kg": "kg", "time_above_target_s": "s", "mf_slope_hz_per_s": "Hz / s"},
        "columns": {
            "exercise": "Exercise",
            "workflow_phase": "Part of the four-phase workflow (activation, prefatigue, compound, finisher, ...)",
            "load_kg": "Load (kg)",
            "pct_1rm": "Prescribed % of estimated 1RM",
            "reps": "Reps done",
            "activation_rating": "Felt activation of the target muscle, 1–10",
            "peak_pct_mvc": "Peak target activation, % of MVC",
            "mean_pct_mvc": "Mean target activation over work phases, % of MVC",
            "target_share": "Target muscle's share of summed activation (0–1)",
            "cci_pct": "Co-contraction index with the antagonist, %",
            "perfect_reps": "Reps with the target as prime mover",
            "status": "completed, aborted, interrupted or discarded",
        },
    },
    "phases": {
        "label_column": "name",
        "facets": ["kind", "ended_by"],
        "units": {"planned_s": "s", "duration_s": "s"},
        "columns": {"peak_pct_mvc": "Peak target activation, % of MVC", "ended_by": "time, athlete or abort"},
    },
    "reps": {"facets": ["perfect"], "units": {"start_s": "s", "end_s": "s"}},
    "sessions": {"facets": ["kind", "focus", "template"], "sort_desc": "started_at"},
    "checkins": {
        "facets": ["advice", "choice"],
        "units": {"sleep_h": "hour", "resting_hr_bpm": "1 / minute", "baseline_rhr_bpm": "1 / minute"},
        "columns": {"coordination": "Coordination, 1 (clumsy) – 5 (sharp)", "mood": "Mood, 1 (irritable) – 5 (great)"},
    },
    "suggestions": {"facets": ["kind", "taken"], "units": {"from_kg": "kg", "to_kg": "kg"}},
    "calibrations": {"facets": ["kind", "source"], "units": {"window_s": "s", "lop_mmhg": "mmHg"}},
    "cuff_events": {"facets": ["kind"], "units": {"pressure_mmhg": "mmHg", "target_mmhg": "mmHg"}},
    "plans": {"facets": ["program"]},
    "athletes": {"label_column": "name", "units": {"baseline_rhr_bpm": "1 / minute"}},
    "signal_blocks": {"hidden": True},
    "athlete_flags": {"hidden": True},
}


def _scalar(value: object) -> str:
    # JSON strings are valid YAML scalars and escape everything that matters.
    return json.dumps(value, ensure_ascii=False)


def render(database: str) -> str:
    lines = [f"title: {_scalar(TITLE)}", "databases:", f"  {_scalar(database)}:", "    tables:"]
    for table, meta in TABLES.items():
        lines.append(f"      {table}:")
        for key, value in meta.items():
            if isinstance(value, dict):
                lines.append(f"        {key}:")
                lines += [f"          {k}: {_scalar(v)}" for k, v in value.items()]
            elif isinstance(value, list):
                lines.append(f"        {key}: [{', '.join(_scalar(v) for v in value)}]")
            else:
                lines.append(f"        {key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def write_metadata(db_path: Path) -> Path:
    """Write ``metadata.yml`` beside ``db_path`` (Datasette names the database by the file's stem)."""
    out = db_path.with_name("metadata.yml")
    out.write_text(render(db_path.stem), encoding="utf-8")
    return out
