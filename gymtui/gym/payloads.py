"""The messages racks, the hub and the coach exchange: msgspec structs, JSON on the wire.

Every payload carries ``v`` (its format) and is bounded on the way in: a
broker is shared, a rack may run an older gymtui, and a message is outside
input like a device's bytes. :func:`decode` turns anything that is not the
expected message into :class:`PayloadError` with one line, never a
traceback; strings inside are shown through :func:`gymtui.text.safe_text`
by whoever shows them (this module keeps them as sent).

Times are Unix seconds (float) from the sender's wall clock; ``sent_at`` on
a status is what the latency bench measures against.
"""

from __future__ import annotations

from typing import Literal, TypeVar

import msgspec

FORMAT = 1
"""The payload format these structs read and write."""

MAX_PAYLOAD_BYTES = 1 << 20
"""1 MiB: a whole set record with 30 phases and 100 reps is ~40 kB; more is not a gymtui message."""

Scalar = str | int | float | bool | None


class PayloadError(ValueError):
    """A message that is not what its topic promises; the text is one line."""


class ChannelLevel(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """One activation bar: the muscle and its %MVC now (None: no MVC yet, envelope only)."""

    muscle: str
    pct_mvc: float | None = None
    envelope_uv: float | None = None
    target: bool = False
    """The muscle the set is for (the coach view draws it first)."""


class CuffLevel(msgspec.Struct, frozen=True):
    """The cuff as the rack sees it now."""

    state: str
    """``off``, ``inflating``, ``holding``, ``deflating``, ``alarm``, ``lost`` (the supervisor's words)."""
    pressure_mmhg: float | None = None
    target_mmhg: float | None = None
    alarm: str | None = None
    """Why the cuff is in alarm (one line), None when it is not."""


class RackStatus(msgspec.Struct, frozen=True, tag="status"):
    """What the rack's screen shows now: QoS 0 at <= 5 Hz, the newest wins, a lost one does not matter."""

    rack: str
    sent_at: float
    seq: int
    """Counts up from 0 at the rack's start: a coach sees a restart and drops stale ones."""
    screen: str = "home"
    """``home``, ``set``, ``rating``, ``rest``: which screen the athlete sees."""
    athlete: str | None = None
    exercise: str | None = None
    set_n: int | None = None
    set_of: int | None = None
    phase: str | None = None
    phase_kind: str | None = None
    countdown_s: float | None = None
    load_kg: float | None = None
    channels: tuple[ChannelLevel, ...] = ()
    cuff: CuffLevel | None = None
    v: int = FORMAT


class RackPresence(msgspec.Struct, frozen=True, tag="presence"):
    """Retained: whether the rack is there. ``lost`` is its last will, sent by the broker when it vanishes."""

    rack: str
    state: Literal["online", "offline", "lost"]
    at: float | None = None
    """When the rack said it (None for the will: the broker sends it later, at a time the rack cannot know)."""
    keepalive_s: int | None = None
    version: str | None = None
    v: int = FORMAT


EventKind = Literal["set_started", "set_finished", "rating", "cue", "cuff_alarm", "cuff"]


class RackEvent(msgspec.Struct, frozen=True, tag="event"):
    """Something that happened on a rack: QoS 1 through the outbox, so the coach and the hub hear it once back."""

    rack: str
    kind: EventKind
    at: float
    seq: int
    """Counts up per rack across restarts (the outbox's row id): a log can order and dedupe by it."""
    athlete: str | None = None
    set_uuid: str | None = None
    exercise: str | None = None
    text: str | None = None
    """A cue's words, a cuff alarm's reason, a finished set's one-line summary."""
    fields: dict[str, Scalar] = {}
    """The rest, by name: ``rating``, ``load_kg``, ``reps``, ``status``, ``pressure_mmhg``…"""
    v: int = FORMAT


class SetRecord(msgspec.Struct, frozen=True, tag="record"):
    """One whole set as its rack stored it, named by its UUID: the hub upserts it into the gym's log.

    ``set`` holds the set row's columns (but its local ids), ``phases``,
    ``reps`` and ``cues`` the rows that belong to it (their ids and
    ``set_id`` left out), so the hub can write the same schema. ``session``
    is the session's own row (started_at, ended_at, …) and ``athlete`` the
    athlete's name: the hub finds or makes both in its file.
    """

    uuid: str
    rack: str
    athlete: str
    set: dict[str, Scalar]
    session: dict[str, Scalar] = {}
    phases: tuple[dict[str, Scalar], ...] = ()
    reps: tuple[dict[str, Scalar], ...] = ()
    cues: tuple[dict[str, Scalar], ...] = ()
    sent_at: float | None = None
    v: int = FORMAT


class LoadState(msgspec.Struct, frozen=True):
    """An exercise's working load and what it says of strength."""

    exercise: str
    load_kg: float
    at: str
    """When it was lifted (ISO-8601, as the store keeps times)."""
    e1rm_kg: float | None = None
    reps: int | None = None


class LopState(msgspec.Struct, frozen=True):
    """A limb occlusion pressure and when it was measured (a LOP goes stale; the rack judges by the date)."""

    limb: str
    lop_mmhg: float
    measured_at: str


class SessionState(msgspec.Struct, frozen=True):
    """A trained session as the plan counts it: its start, and the plan's words for it."""

    started_at: str
    ended_at: str | None = None
    focus: str | None = None
    kind: str | None = None
    template: str | None = None
    extra: bool = False


class SetState(msgspec.Struct, frozen=True):
    """One set a rack needs to continue the plan and the loads: named by its UUID, in its session.

    The hub sends, per trained session since the plan began, its first
    completed set (so the day counts), and per exercise the sets the loads
    are read from (the last two days' working sets, the best e1RM set, the
    last rating). A rack that has the UUID already keeps its own row.
    """

    uuid: str
    exercise: str
    started_at: str
    status: str = "completed"
    session_started_at: str | None = None
    ended_at: str | None = None
    load_kg: float | None = None
    reps: int | None = None
    rir: int | None = None
    activation_rating: int | None = None
    rated_at: str | None = None
    set_type: str = "normal"
    workflow_phase: str | None = None
    set_number: int | None = None
    pct_1rm: float | None = None
    protocol: str | None = None
    load_source: str | None = None
    reps_source: str | None = None
    rack: str | None = None


class AthleteState(msgspec.Struct, frozen=True, tag="athlete_state"):
    """Retained, written by the hub alone: where an athlete is in their plan, their loads and LOP.

    A rack that opens the athlete takes this first, so the plan continues
    wherever they train. ``as_of`` is the newest set the hub has from them:
    a rack whose own log is newer keeps its own.
    """

    athlete: str
    key: str
    as_of: str | None
    plan: dict[str, Scalar] = {}
    """The plan's position: ``template``, ``week``, ``day``, ``started_on``, ``next_day``… (the plan's own fields)."""
    loads: tuple[LoadState, ...] = ()
    lop: tuple[LopState, ...] = ()
    updated_at: float | None = None
    sessions: tuple[SessionState, ...] = ()
    """The trained sessions since the plan began (the plan's position is counted from them)."""
    sets: tuple[SetState, ...] = ()
    """The sets a rack adopts so its own plan and loads read the same (see :class:`SetState`)."""
    v: int = FORMAT


Message = RackStatus | RackPresence | RackEvent | SetRecord | AthleteState
M = TypeVar("M", RackStatus, RackPresence, RackEvent, SetRecord, AthleteState)

_encoder = msgspec.json.Encoder()
_decoders: dict[type, msgspec.json.Decoder[object]] = {}


def encode(message: Message) -> bytes:
    """The message as compact JSON."""
    return _encoder.encode(message)


def decode(data: bytes, kind: type[M]) -> M:
    """``data`` as a ``kind``, or :class:`PayloadError` saying in one line why not."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"{kind.__name__}: {len(data)} bytes is more than any gymtui message")
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        message = decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise PayloadError(f"{kind.__name__}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise PayloadError(f"{kind.__name__}: not JSON ({exc})") from None
    assert isinstance(message, kind)
    if message.v != FORMAT:
        raise PayloadError(f"{kind.__name__}: format {message.v}, this gymtui reads {FORMAT}")
    return message
