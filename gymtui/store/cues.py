"""The cues a set showed while it ran: one ``cues`` row per correction, as it fired.

A cue is what the athlete was told during the rep ("lower the shoulder,
lead with the elbow"); history counts them per set and says in which rep
the last one came, so the rows keep the time, the kind, the offending
channel and muscle, the value that fired it, the rep and the text shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypedDict, cast

from gymtui.model import FormCue
from gymtui.store.tables import Tables, inserted_id


class CueRow(TypedDict):
    """A ``cues`` row: one correction shown during a set (``t_s``: seconds into the set)."""

    id: int
    set_id: int
    t_s: float
    kind: str
    channel: int | None
    muscle: str | None
    value: float | None
    rep: int | None
    text: str | None


def cue_fields(cue: FormCue) -> dict[str, object]:
    """A cue as plain column values (what a write kept through an outage carries)."""
    fields = dataclasses.asdict(cue)
    fields["kind"] = str(cue.kind)
    return fields


_COLUMNS = ("t_s", "kind", "channel", "muscle", "value", "rep", "text")


class Cues(Tables):
    """The ``cues`` table."""

    def record_cue(self, set_id: int, cue: FormCue | Mapping[str, object]) -> int:
        """Store one cue of the set ``set_id`` in its own transaction; returns the row id.

        ``cue`` is the :class:`FormCue` itself or its :func:`cue_fields`
        (the form a write takes when it must survive in the recovery file).
        """
        fields = cue_fields(cue) if isinstance(cue, FormCue) else dict(cue)
        row: dict[str, object] = {"set_id": set_id, **{k: fields.get(k) for k in _COLUMNS}}
        row["kind"] = str(row["kind"])
        with self.conn:
            return inserted_id(self.db.table("cues").insert(row))

    def cues_of(self, set_id: int) -> list[CueRow]:
        """The set's cues in the order they fired."""
        return [
            cast(CueRow, row)
            for row in self.db.table("cues").rows_where("set_id = ?", [set_id], order_by="t_s, id")
        ]
