"""Store writes as data, so a write the database refused can outlive the process.

A write that cannot reach the database (a full disk, a lock held by another
program, immutable files) waits in memory on the store thread and is retried
(:class:`gymtui.store.StoreExecutor`). If the app has to quit before the
database is back, the waiting writes are saved as JSON lines in a *recovery
file* beside the database, and the next start replays them.

For that, a write is a :class:`Write`: the name of a :class:`~gymtui.store.Store`
method and its arguments. An argument may be a future of an earlier write
(a phase's ``set_id`` is the result of the set row's insert); in the file it
becomes ``{"$ref": N}``, the result of the N-th write of the same batch, or
the value itself when that write had already been saved.

A recovery file is input like any other: only the methods named in
:data:`REPLAYABLE` can be replayed, every line is decoded before anything is
written, and the whole batch is replayed in one transaction together with
its batch id (table ``recovered_writes``), so a batch is applied exactly
once even if the process dies between the commit and the file's removal.
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gymtui.model import Calibration, NativeCounts
from gymtui.store.connection import GymConnection

if TYPE_CHECKING:
    from gymtui.store.facade import Store

log = logging.getLogger(__name__)

FORMAT = 1
"""The recovery file format; a header line carries it."""

REPLAYABLE = frozenset(
    {
        "start_set",
        "update_set",
        "record_phase",
        "update_phase_stats",
        "append_signal",
        "finish_set",
        "record_reps",
        "record_cue",
        "rate_set",
        "record_lifted",
        "discard_set",
        "save_mvc",
        "set_calibration_for_set",
        "end_session",
        "log_cuff_event",
        "save_lop",
        "set_flag",
    }
)
"""Store methods a recovery file may name: the writes of a set, its cuff and its session. Nothing else."""

MAX_LINE_BYTES = 64 * 1024 * 1024
"""A recovery line longer than this is not ours (a raw block of 16 channels at 4 kHz is ~350 kB)."""


class NotDescribable(ValueError):
    """An argument that has no JSON form (a closure's state, an open file...)."""


@dataclass(frozen=True, slots=True)
class Write:
    """One store write as data: a :class:`~gymtui.store.Store` method and its arguments.

    Arguments may be futures of earlier writes; :meth:`run` waits for them
    (they are always earlier in the store thread's queue, so they are done).
    """

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def run(self, store: Store) -> object:
        if self.method not in REPLAYABLE:
            raise ValueError(f"{self.method!r} is not a store write")
        args = [_resolve(a) for a in self.args]
        kwargs = {k: _resolve(v) for k, v in self.kwargs.items()}
        return getattr(store, self.method)(*args, **kwargs)

    def describe(self) -> str:
        """A short name for logs and messages: ``record_phase``."""
        return self.method


def _resolve(value: Any) -> Any:
    return value.result() if isinstance(value, concurrent.futures.Future) else value


# -- JSON form ----------------------------------------------------------------------


def encode_value(value: Any, refs: Mapping[int, int]) -> Any:
    """``value`` as JSON data; a future becomes ``{"$ref": seq}`` (``refs``: id(future) → seq) or its result."""
    if isinstance(value, concurrent.futures.Future):
        seq = refs.get(id(value))
        if seq is not None:
            return {"$ref": seq}
        if value.done() and value.exception() is None:
            return encode_value(value.result(), refs)
        raise NotDescribable("it waits on a write that failed or is not in this batch")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {
            "$ndarray": {
                "dtype": data.dtype.str,
                "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        }
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Calibration):
        return {"$calibration": {f.name: encode_value(getattr(value, f.name), refs) for f in dataclasses.fields(value)}}
    if isinstance(value, NativeCounts):
        return {
            "$native": {
                "counts": encode_value(value.counts, refs),
                "scale_uv": encode_value(value.scale_uv, refs),
                "count_range": [int(v) for v in value.count_range],
            }
        }
    if isinstance(value, (list, tuple)):
        return [encode_value(v, refs) for v in value]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise NotDescribable("a mapping with keys that are not text")
        if any(k.startswith("$") for k in value):
            raise NotDescribable("a mapping whose keys look like recovery markers")
        return {k: encode_value(v, refs) for k, v in value.items()}
    raise NotDescribable(f"no JSON form for {type(value).__name__}")


def decode_value(data: Any, results: Mapping[int, Any]) -> Any:
    """The inverse of :func:`encode_value`; ``results`` maps a batch's seq to what that write returned."""
    if isinstance(data, list):
        return [decode_value(v, results) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        ((key, inner),) = data.items()
        if key == "$ref":
            if not isinstance(inner, int) or inner not in results:
                raise ValueError(f"refers to write {inner!r}, which comes later or not at all")
            return results[inner]
        if key == "$ndarray":
            dtype = np.dtype(inner["dtype"])
            if dtype.kind not in "fiu":
                raise ValueError(f"unexpected array type {inner['dtype']!r}")
            raw = base64.b64decode(inner["b64"], validate=True)
            return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in inner["shape"]]).copy()
        if key == "$bytes":
            return base64.b64decode(inner, validate=True)
        if key == "$native":
            fields = {k: decode_value(v, results) for k, v in inner.items()}
            lo, hi = (int(v) for v in fields["count_range"])
            return NativeCounts(fields["counts"], fields["scale_uv"], (lo, hi))
        if key == "$calibration":
            fields = {k: decode_value(v, results) for k, v in inner.items()}
            return Calibration(
                tuple(float(v) for v in fields["mvc_uv"]),
                float(fields["window_s"]),
                str(fields["source"]),
                tuple(str(c) for c in fields.get("channels", ())),
            )
    return {k: decode_value(v, results) for k, v in data.items()}


def encode_write(seq: int, write: Write, refs: Mapping[int, int]) -> dict[str, Any]:
    return {
        "seq": seq,
        "method": write.method,
        "args": [encode_value(a, refs) for a in write.args],
        "kwargs": {k: encode_value(v, refs) for k, v in write.kwargs.items()},
    }


# -- the file -------------------------------------------------------------------------


def recovery_paths(db_path: Path) -> list[Path]:
    """Where a recovery file may be: beside the database, else in the user's state folder.

    The second place is for a database whose own folder cannot take a file
    (the disk that is full is usually the database's).
    """
    beside = db_path.with_name(db_path.name + "-recovery.jsonl")
    try:
        import platformdirs

        key = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:16]
        state = platformdirs.user_state_path("gymtui") / "recovery" / f"{db_path.name}-{key}.jsonl"
    except Exception:  # noqa: BLE001 - no fallback folder is fine: beside is the default
        return [beside]
    return [beside, state]


@dataclass(frozen=True, slots=True)
class SpillReport:
    """What became of the writes still waiting at quit."""

    saved: int
    """Writes written to ``path``."""
    lost: int
    """Writes with no data form (or no writable place): logged, not kept."""
    path: Path | None
    error: str = ""

    def line(self) -> str:
        """One line for the athlete."""
        if self.saved and self.path is not None:
            text = (
                f"Database unavailable at quit: {self.saved} write(s) saved to {self.path}; "
                "they are written to the database at the next start"
            )
        elif self.saved or self.lost:
            text = f"Database unavailable at quit: {self.saved + self.lost} write(s) could not be kept"
        else:
            return ""
        if self.lost and self.path is not None:
            text += f" ({self.lost} could not be kept)"
        if self.error:
            text += f" ({self.error})"
        return text


def spill(db_path: Path, writes: Sequence[tuple[Write | None, concurrent.futures.Future[Any]]]) -> SpillReport:
    """Append the waiting writes to the recovery file, as one batch. Never raises."""
    refs: dict[int, int] = {}
    lines: list[str] = []
    lost = 0
    for seq, (write, future) in enumerate(writes):
        if write is None:
            lost += 1
            continue
        try:
            lines.append(json.dumps(encode_write(seq, write, refs), allow_nan=True))
        except (NotDescribable, TypeError, ValueError) as exc:
            log.error("a waiting %s write cannot be kept: %s", write.describe(), exc)
            lost += 1
            continue
        refs[id(future)] = seq
    if not lines:
        return SpillReport(0, lost, None)
    header = {
        "gymtui_recovery": FORMAT,
        "batch": uuid.uuid4().hex,
        "written_at": dt.datetime.now().astimezone().isoformat(timespec="milliseconds"),
        "database": str(db_path),
        "writes": len(lines),
    }
    text = json.dumps(header) + "\n" + "\n".join(lines) + "\n"
    errors = []
    for path in recovery_paths(db_path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, text.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")
            continue
        return SpillReport(len(lines), lost, path)
    return SpillReport(0, lost + len(lines), None, "; ".join(errors))


@dataclass(frozen=True, slots=True)
class Batch:
    batch: str
    path: Path
    lines: list[tuple[int, dict[str, Any]]]


def read_batches(path: Path) -> Iterator[Batch]:
    """The batches of a recovery file, checked line by line; raises ValueError on a bad line."""
    current: Batch | None = None
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise ValueError(f"{path}:{number}: line too long")
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"{path}:{number}: not a recovery line ({exc})") from None
            if not isinstance(item, dict):
                raise ValueError(f"{path}:{number}: not a recovery line")  # noqa: TRY004 - bad input, not a bad call
            if "gymtui_recovery" in item:
                if item["gymtui_recovery"] != FORMAT or not isinstance(item.get("batch"), str):
                    raise ValueError(f"{path}:{number}: unknown recovery format")
                if current is not None:
                    yield current
                current = Batch(item["batch"], path, [])
                continue
            if current is None:
                raise ValueError(f"{path}:{number}: a write before any batch header")
            if item.get("method") not in REPLAYABLE or not isinstance(item.get("seq"), int):
                raise ValueError(f"{path}:{number}: {str(item.get('method'))[:40]!r} is not a store write")
            if not isinstance(item.get("args", []), list) or not isinstance(item.get("kwargs", {}), dict):
                raise ValueError(f"{path}:{number}: bad arguments")  # noqa: TRY004 - bad input, not a bad call
            current.lines.append((number, item))
    if current is not None:
        yield current


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What the start-up replay did; :meth:`line` is what the athlete reads."""

    replayed: int = 0
    files: tuple[Path, ...] = ()
    problem: str = ""

    def line(self) -> str:
        if self.problem:
            return self.problem
        if self.replayed:
            where = ", ".join(str(p) for p in self.files)
            return f"Saved {self.replayed} write(s) left waiting by the last run (from {where})"
        return ""


def _ensure_ledger(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS recovered_writes "
        "(batch TEXT PRIMARY KEY, replayed_at TEXT NOT NULL, writes INTEGER NOT NULL, file TEXT)"
    )


def replay(store: Store, paths: Iterable[Path] | None = None) -> ReplayReport:
    """Write every batch of the recovery files into ``store``, then remove the files.

    Runs on the store thread. A file that cannot be read or replayed is left
    where it is and named in the report; the database is left as it was.
    """
    files = [p for p in (paths if paths is not None else recovery_paths(Path(store.path))) if p.is_file()]
    if not files:
        return ReplayReport()
    conn = store.conn
    if not isinstance(conn, GymConnection):
        raise TypeError("waiting writes are replayed into a store opened for writing, not a read-only one")
    total = 0
    done: list[Path] = []
    for path in files:
        try:
            batches = list(read_batches(path))
        except (OSError, ValueError) as exc:
            return ReplayReport(total, tuple(done), f"Could not read the waiting writes in {path}: {exc}; the file is kept")
        try:
            with conn.transaction():
                _ensure_ledger(conn)
                for batch in batches:
                    if conn.execute("SELECT 1 FROM recovered_writes WHERE batch = ?", (batch.batch,)).fetchone():
                        continue  # applied by an earlier start that died before removing the file
                    total += _replay_batch(store, batch)
                    conn.execute(
                        "INSERT INTO recovered_writes (batch, replayed_at, writes, file) VALUES (?, ?, ?, ?)",
                        (batch.batch, dt.datetime.now().astimezone().isoformat(timespec="milliseconds"),
                         len(batch.lines), str(path)),
                    )
        except Exception as exc:  # a bad file or a busy database: keep the file, say so
            log.exception("replaying %s failed", path)
            return ReplayReport(
                total, tuple(done), f"Could not write the waiting writes in {path}: {exc}; the file is kept"
            )
        try:
            path.unlink()
        except OSError as exc:
            log.warning("replayed %s but could not remove it (%s); its batches will be skipped", path, exc)
        done.append(path)
    return ReplayReport(total, tuple(done))


def _replay_batch(store: Store, batch: Batch) -> int:
    results: dict[int, Any] = {}
    for number, item in batch.lines:
        try:
            args = decode_value(item.get("args", []), results)
            kwargs = decode_value(item.get("kwargs", {}), results)
            results[item["seq"]] = Write(item["method"], tuple(args), kwargs).run(store)
        except Exception as exc:
            raise RuntimeError(f"line {number}, {item['method']}: {exc}") from exc
    return len(batch.lines)
