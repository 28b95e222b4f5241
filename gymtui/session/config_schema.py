"""Checking a hand-edited TOML file against a schema, and saying where it is wrong.

Each config file kind (exercises, templates, gym, device and cuff profiles,
paired devices) declares its shape once, as :mod:`msgspec` structs with the
bounds on every number (``Annotated[int, Meta(ge=…, le=…)]``), the allowed
words (``Literal``) and ``forbid_unknown_fields`` where a misspelt key must
not pass in silence. :func:`check` converts the parsed TOML to that schema;
when msgspec refuses it, its ``$.path`` error becomes a :class:`SchemaProblem`:
the line in the file (:class:`KeyLines`), the dotted key as the user wrote it
(array items counted from 1) and one sentence saying what is wrong and what
was found. Each loader words the line its own way (file, line, key, problem).

Lines are found by reading the file's headers and ``key =`` lines, not by
searching for text, so a key inside a multi-line string or array, a quoted
key, a dotted key and the n-th ``[[table]]`` are all placed right.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi

from gymtui.session.config_file import clip, short_repr

T = TypeVar("T")
KeyPath = tuple[str | int, ...]
"""Where a value is in the parsed file: table and key names, and 0-based array indices."""


class SchemaProblem(Exception):
    """One thing wrong in a config file: where (line, key path) and what."""

    def __init__(self, path: KeyPath, line: int | None, problem: str, *, unknown: bool = False, hint: str = "") -> None:
        super().__init__(path, line, problem)
        self.path, self.line, self.problem = path, line, problem
        self.unknown = unknown
        """The key at ``path`` is not in the schema (``problem`` is then "unknown key" and ``hint``)."""
        self.hint = hint
        """`` (did you mean 'x'?)`` for an unknown key, or empty."""

    @property
    def key(self) -> str:
        """The key as the user reads it: ``compound[2].sets``, ``gym.plates_kg[1]`` (items from 1)."""
        return dotted(self.path)

    def __str__(self) -> str:
        return f"{self.key}: {self.problem}" if self.path else self.problem


def dotted(path: Iterable[str | int]) -> str:
    """``("gym", "plates_kg", 0)`` → ``gym.plates_kg[1]``: array items counted from 1, as people count."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{clip(part)}" if out else clip(part))
    return out


def suggest(word: str, valid: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest valid word, or nothing."""
    close = difflib.get_close_matches(word, sorted(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check(data: Any, schema: type[T], lines: KeyLines, prefix: KeyPath = ()) -> T:
    """``data`` (a parsed TOML value found at ``prefix``) as ``schema``, or :class:`SchemaProblem`.

    Strict: a TOML ``true`` is not 1 and ``"5"`` is not 5; an integer is
    accepted where a float is declared.
    """
    try:
        return msgspec.convert(data, schema, strict=True)
    except msgspec.ValidationError as exc:
        raise problem_of(exc, data, schema, lines, prefix) from None


_MESSAGE = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")


def parse_path(text: str) -> KeyPath:
    """msgspec's ``$.a.b[0]`` (without the ``$``) as ``("a", "b", 0)``; ``[...]`` (a dict key) stops it."""
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(text):
        if index == "...":
            break
        parts.append(name if name else int(index))
    return tuple(parts)


def problem_of(
    exc: msgspec.ValidationError, data: Any, schema: Any, lines: KeyLines, prefix: KeyPath = ()
) -> SchemaProblem:
    """msgspec's error as a :class:`SchemaProblem` naming the line, the key and the value found."""
    found = _MESSAGE.match(str(exc))
    assert found is not None  # the pattern matches any text
    message, path = found.group("message"), parse_path(found.group("path") or "")
    info = mi.type_info(schema)
    for depth in range(len(path) + 1):
        _, extra = _unwrap(_type_at(info, path[:depth]))
        if "wanted" in extra:  # the schema words this value as a whole (e.g. a [low, high] pair)
            path = path[:depth]
            break
    expected = _type_at(info, path)
    value = _value_at(data, path)
    unknown = re.fullmatch(r"Object contains unknown field `(.*)`", message)
    missing = re.fullmatch(r"Object missing required field `(.*)`", message)
    hint = ""
    if unknown:
        path = (*path, unknown.group(1))
        hint = suggest(unknown.group(1), _field_names(expected))
        problem = f"unknown key{hint}"
    elif missing:
        path = (*path, missing.group(1))
        problem = "missing"
    else:
        problem = _wanted(expected, value, message)
    full = (*prefix, *path)
    return SchemaProblem(full, lines.line_of(full), problem, unknown=bool(unknown), hint=hint)


def _wanted(expected: mi.Type | None, value: Any, message: str) -> str:
    """What the schema wants at a place, and what the file has there."""
    expected, extra = _unwrap(expected)
    got = f", got {short_repr(value)}"
    if "wanted" in extra:
        return f"{extra['wanted']}{got}"
    if isinstance(expected, (mi.IntType, mi.FloatType)):
        kind = "a whole number" if isinstance(expected, mi.IntType) else "a number"
        low = expected.ge if expected.ge is not None else expected.gt
        high = expected.le if expected.le is not None else expected.lt
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            # Not a number at all: say what kind of value belongs here (its range is for later).
            return f"must be {'a positive number' if low is not None and (low > 0 or expected.gt == 0) else 'a number'}{got}"
        if expected.gt is not None and expected.ge is None:
            above = f"a positive {kind.removeprefix('a ')}" if expected.gt == 0 else f"{kind} above {expected.gt:g}"
            return f"must be {above}{f' of at most {high:g}' if high is not None else ''}{got}"
        if low is not None and high is not None:
            return f"must be {kind} from {low:g} to {high:g}{got}"
        if low is not None:
            return f"must be {kind} of at least {low:g}{got}"
        if high is not None:
            return f"must be {kind} of at most {high:g}{got}"
        return f"must be {kind}{got}"
    if isinstance(expected, mi.StrType):
        if isinstance(value, str):
            return f"must be {'at least ' + str(expected.min_length) + ' characters' if expected.min_length else 'text'}{got}"
        return f"must be text{got}"
    if isinstance(expected, mi.BoolType):
        return f"must be true or false{got}"
    if isinstance(expected, (mi.LiteralType, mi.EnumType)):
        choices = expected.values if isinstance(expected, mi.LiteralType) else [m.value for m in expected.cls]
        words = [str(v) for v in choices]
        return f"must be one of {', '.join(words)}{suggest(str(value), words)}{got}"
    if isinstance(expected, (mi.ListType, mi.TupleType, mi.VarTupleType)):
        items = str(extra.get("items", "entries"))
        if isinstance(value, list) and isinstance(expected, (mi.ListType, mi.VarTupleType)):
            if expected.max_length is not None and len(value) > expected.max_length:
                return f"lists {len(value)} {items}; at most {expected.max_length}"
            if expected.min_length is not None and len(value) < expected.min_length:
                return f"must list at least {expected.min_length} {items}{got}"
        if isinstance(expected, mi.TupleType):
            return f"must be a list of {len(expected.item_types)}{got}"
        return f"must be a list of {items}{got}"
    if isinstance(expected, (mi.StructType, mi.DictType)):
        return f"must be a table{got}"
    return message[:1].lower() + message[1:].replace("`", "") + got


def _type_at(info: mi.Type, path: KeyPath) -> mi.Type | None:
    """The schema's type at ``path`` (None where the path leaves the schema)."""
    current: mi.Type | None = info
    for part in path:
        current, _ = _unwrap(current)
        if isinstance(current, mi.StructType) and isinstance(part, str):
            current = next((f.type for f in current.fields if f.encode_name == part), None)
        elif isinstance(current, mi.DictType) and isinstance(part, str):
            current = current.value_type
        elif isinstance(current, (mi.ListType, mi.VarTupleType)) and isinstance(part, int):
            current = current.item_type
        elif isinstance(current, mi.TupleType) and isinstance(part, int) and part < len(current.item_types):
            current = current.item_types[part]
        else:
            return None
    return current


def _unwrap(info: mi.Type | None) -> tuple[mi.Type | None, Mapping[str, Any]]:
    """The type under ``Annotated`` metadata and ``| None`` (an optional key), with the metadata's ``extra``."""
    extra: dict[str, Any] = {}
    while True:
        if isinstance(info, mi.Metadata):
            extra = {**(info.extra or {}), **extra}
            info = info.type
        elif isinstance(info, mi.UnionType):
            kinds = [t for t in info.types if not isinstance(t, mi.NoneType)]
            if len(kinds) != 1:
                return info, extra
            info = kinds[0]
        else:
            return info, extra


def _field_names(info: mi.Type | None) -> list[str]:
    info, _ = _unwrap(info)
    return [f.encode_name for f in info.fields] if isinstance(info, mi.StructType) else []


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


# -- where each key is -----------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class KeyLines:
    """The line of every table header and ``key =`` in a TOML text, by key path.

    Built once per file. Array-of-tables headers count: the second
    ``[[compound]]`` is ``("compound", 1)``. A path with no line of its own
    (an item of an inline array, a key of an inline table) takes the line of
    the nearest key above it.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self._arrays: dict[tuple[str, ...], int] = {}
        self._scan(text)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path`` or of its nearest enclosing key or table; None for the file as a whole."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def _scan(self, text: str) -> None:
        table: KeyPath = ()
        state = _ValueState()
        for number, raw in enumerate(text.splitlines(), start=1):
            if state.open:
                state.feed(raw, 0)
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                header = self._header(line)
                if header is not None:
                    table = header
                    for depth in range(1, len(table) + 1):  # [a.b] also opens a (if nothing did before)
                        self.lines.setdefault(table[:depth], number)
                continue
            parsed = _parse_key(raw, raw.index(line[0]))
            if parsed is None:
                continue
            keys, end = parsed
            for depth in range(1, len(keys) + 1):
                self.lines.setdefault((*table, *keys[:depth]), number)
            state.feed(raw, end)

    def _header(self, line: str) -> KeyPath | None:
        array = line.startswith("[[")
        parsed = _parse_key(line, 2 if array else 1)
        if parsed is None:
            return None
        names = tuple(str(k) for k in parsed[0])
        resolved: list[str | int] = []
        for depth, name in enumerate(names, start=1):
            resolved.append(name)
            if depth < len(names) and names[:depth] in self._arrays:
                resolved.append(self._arrays[names[:depth]] - 1)
        if array:
            self._arrays[names] = self._arrays.get(names, 0) + 1
            for nested in [k for k in self._arrays if len(k) > len(names) and k[: len(names)] == names]:
                del self._arrays[nested]  # a new element starts its own nested arrays
            resolved.append(self._arrays[names] - 1)
        return tuple(resolved)


def _parse_key(text: str, start: int) -> tuple[tuple[str, ...], int] | None:
    """The dotted key starting at ``start`` (bare or quoted parts) and the index after it and ``=``/``]``."""
    keys: list[str] = []
    i = start
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i >= len(text):
            return None
        if text[i] in "\"'":
            quote = text[i]
            j = i + 1
            while j < len(text) and text[j] != quote:
                j += 2 if quote == '"' and text[j] == "\\" else 1
            if j >= len(text):
                return None
            try:
                keys.append(str(tomllib.loads(f"k = {text[i:j + 1]}")["k"]))
            except tomllib.TOMLDecodeError:
                return None
            i = j + 1
        else:
            bare = _BARE_KEY.match(text, i)
            if bare is None:
                return None
            keys.append(bare.group())
            i = bare.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        if i < len(text) and text[i] in "=]":
            return tuple(keys), i + 1
        return None


class _ValueState:
    """Whether a value goes on past its line: an open array or inline table, or a multi-line string."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: str | None = None  # the closing delimiter of an open multi-line string

    @property
    def open(self) -> bool:
        return self.depth > 0 or self.string is not None

    def feed(self, text: str, i: int) -> None:
        while i < len(text):
            if self.string is not None:
                if self.string == '"""' and text[i] == "\\":
                    i += 2
                    continue
                if text.startswith(self.string, i):
                    self.string = None
                    i += 3
                    continue
                i += 1
                continue
            char = text[i]
            if char == "#":
                return
            if text.startswith('"""', i) or text.startswith("'''", i):
                self.string = text[i:i + 3]
                i += 3
            elif char in "\"'":
                j = i + 1
                while j < len(text) and text[j] != char:
                    j += 2 if char == '"' and text[j] == "\\" else 1
                i = j + 1
            elif char in "[{":
                self.depth += 1
                i += 1
            elif char in "]}":
                self.depth = max(0, self.depth - 1)
                i += 1
            else:
                i += 1
