"""``metadata.json`` and ``datasette.json`` beside the database, so it opens well in Datasette.

Units (Pint names, as Datasette expects), human labels for the columns a
coach reads, facets on the columns they filter by, and the raw-signal table
hidden (its blobs mean nothing in a browser). Datasette 0.x reads all of it
from the metadata file; Datasette 1.0 takes the table settings (facets,
sort, label column, hidden) from its configuration file, so those also go to
``datasette.json``: ``datasette gym.db -m metadata.json -c datasette.json``.
Both are plain JSON from :func:`json.dumps`.
"""

from __future__ import annotations

import json
from pathlib import Path

TITLE = "gymtui training log"

# table -> (label_column, facets, units, column descriptions, hidden)
TABLES: dict[str, dict[str, object]] = {
    "sets": {
        "label_column": "exercise",
        "facets": ["exercise", "status", "workflow_phase", "set_type", "source", "activation_rating"],
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
            "set_type": "normal, warmup, failure or dropset (warm-ups never feed the e1RM)",
            "source": "app (lifted here), or the app it was imported from: strong, hevy",
            "rir": "Reps in reserve (imported: 10 − RPE)",
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
    "planned_sets": {"facets": ["status", "workflow_phase", "skip_reason"]},
    "athletes": {"label_column": "name", "units": {"baseline_rhr_bpm": "1 / minute"}},
    "signal_blocks": {"hidden": True},
    "athlete_flags": {"hidden": True},
}


CONFIG_KEYS = ("label_column", "facets", "sort_desc", "hidden")
"""Table settings that Datasette 1.0 reads from its configuration file."""


def metadata(database: str) -> dict[str, object]:
    """Everything, as Datasette 0.x reads it (1.0 still shows the units and column labels from here)."""
    return {"title": TITLE, "databases": {database: {"tables": TABLES}}}


def config(database: str) -> dict[str, object]:
    """The table settings, where Datasette 1.0 looks for them."""
    tables = {
        table: {key: meta[key] for key in CONFIG_KEYS if key in meta}
        for table, meta in TABLES.items()
        if any(key in meta for key in CONFIG_KEYS)
    }
    return {"databases": {database: {"tables": tables}}}


def write_metadata(db_path: Path) -> tuple[Path, Path]:
    """Write ``metadata.json`` and ``datasette.json`` beside ``db_path`` (Datasette names the database by its stem)."""
    written = []
    for name, document in (("metadata.json", metadata(db_path.stem)), ("datasette.json", config(db_path.stem))):
        out = db_path.with_name(name)
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(out)
    return written[0], written[1]
