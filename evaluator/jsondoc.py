"""Strict JSON reading with locations, shared by policy loading and partner input.

Strict means: no NaN or Infinity, no duplicate keys in one object, a bounded size and nesting
depth (deep nesting would otherwise exhaust Python's recursion), UTF-8 with an optional
byte-order mark. Locations: a JSON Pointer is turned into `line:column` (1-based) through a
source map computed only when an error needs it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import json_source_map

MAX_DEPTH = 64
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class JSONProblem(Exception):
    """The text is not acceptable JSON; carries a message and a position (1-based) if known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 expected: str | None = None, found: str | None = None):
        super().__init__(message)
        self.line, self.column, self.expected, self.found = line, column, expected, found


def decode_text(raw: bytes, what: str) -> str:
    """UTF-8 (a leading byte-order mark is accepted and dropped); anything else is a clear error."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise JSONProblem(f"{what} is UTF-16 encoded", 1, 1, expected="UTF-8 text", found="a UTF-16 byte-order mark")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start]
        line = prefix.count(b"\n") + 1
        column = exc.start - (prefix.rfind(b"\n") + 1) + 1
        raise JSONProblem(f"{what} is not valid UTF-8", line, column, expected="UTF-8 text",
                          found=f"byte 0x{raw[exc.start]:02x}") from None


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _check_depth(text: str, max_depth: int) -> None:
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                line, column = _position(text, match.start())
                raise JSONProblem(f"nesting deeper than {max_depth} levels", line, column,
                                  expected=f"at most {max_depth} nested arrays or objects", found="deeper nesting")
        elif token in "]}":
            depth -= 1


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def loads(text: str, *, max_depth: int = MAX_DEPTH, offset: int = 0) -> Any:
    """Parse one JSON value strictly. `offset` is added to reported line numbers."""
    _check_depth(text, max_depth)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JSONProblem(f"invalid JSON: {exc.msg}", exc.lineno + offset, exc.colno) from None
    except _Duplicate as exc:
        found = [m.start() for m in re.finditer(re.escape(json.dumps(exc.key)) + r"\s*:", text)]
        line, column = _position(text, found[1]) if len(found) > 1 else (None, None)
        raise JSONProblem(f"duplicate key {exc.key!r} in one object", line and line + offset, column,
                          expected="each key once per object", found=f"{exc.key!r} again") from None
    except ValueError as exc:
        match = re.search(r"-?\b(NaN|Infinity)\b", text)
        line, column = _position(text, match.start()) if match else (None, None)
        raise JSONProblem(f"{exc} is not a JSON number", line and line + offset, column,
                          expected="a finite number", found=str(exc)) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise JSONProblem("nesting too deep", None, None) from None


@dataclass
class Document:
    """A parsed JSON document and the text it came from, for locating pointers."""

    data: Any
    text: str
    file: str | None = None
    _map: dict[str, Any] | None = field(default=None, repr=False)

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        """1-based (line, column) of the value at `pointer`, or of its nearest existing parent."""
        if self._map is None:
            try:
                self._map = json_source_map.calculate(self.text)
            except Exception:  # pragma: no cover - the text already parsed as JSON
                self._map = {}
        while True:
            entry = self._map.get(pointer)
            if entry is not None:
                return entry.value_start.line + 1, entry.value_start.column + 1
            if not pointer:
                return None, None
            pointer = pointer.rsplit("/", 1)[0]
