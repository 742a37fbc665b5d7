"""Strict JSON reading with locations, shared by policy loading and partner input.

Strict means: no NaN or Infinity, no duplicate keys in one object, a bounded size and nesting
depth (deep nesting would otherwise exhaust Python's recursion), UTF-8 with an optional
byte-order mark. Locations: a JSON Pointer is turned into `line:column` (1-based) through a
source map computed only when an error needs it (sourcemap.py, one pass).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..model.numbers import EXPECTED as EXACT_EXPECTED, NotExact, exact_float
from .sourcemap import SourceMap

MAX_DEPTH = 64
# A string, unrolled (runs between escapes) and taken to the end of the text when it is not
# closed: one attempt per string, linear on any text. `"(?:[^"\\]|\\.)*"` kept state for every
# character (about 128 bytes of memory per byte of one long string) and, unclosed, was retried
# from every quote after it.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)'
_TOKENS = re.compile(_STRING + r'|[\[\]{}]', re.S)


class JSONProblem(Exception):
    """The text is not acceptable JSON; carries a message and a position (1-based) if known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 expected: str | None = None, found: str | None = None, pointer: str = ""):
        super().__init__(message)
        self.line, self.column, self.expected, self.found = line, column, expected, found
        self.pointer = pointer  # the JSON Pointer of the value at fault, when known


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


MAX_NUMBER_DIGITS = 400  # far beyond any exact comparison; Python refuses int() of 4,300 digits


class _BadNumber(Exception):
    def __init__(self, text: str, why: str, expected: str):
        self.text, self.why, self.expected = text, why, expected


def _float(text: str) -> float:
    """A JSON number with a fraction or an exponent: only as written (model/numbers.py); 1e400
    (infinity, which no JSON can hold), 1e-400 (0) and 99999.999999999999999 (100000.0) are refused."""
    try:
        return exact_float(text)
    except NotExact as exc:
        raise _BadNumber(text, str(exc), EXACT_EXPECTED) from None


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _BadNumber(text, f"has more than {MAX_NUMBER_DIGITS} digits",
                         f"a number of at most {MAX_NUMBER_DIGITS} digits")
    return int(text)


# What the decoder wanted, by the start of its message; the rest of the message is kept as is.
_EXPECTED = {
    "Expecting value": "a JSON value",
    "Expecting property name enclosed in double quotes": 'a key in double quotes',
    "Expecting ':' delimiter": "':' after the key",
    "Expecting ',' delimiter": "',' or the end of the array or object",
    "Unterminated string starting at": 'the closing \'"\' of the string',
    "Extra data": "the end of the text after one JSON value",
    "Invalid control character at": "no raw control character inside a string (write \\n, \\t)",
    "Invalid \\escape": "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
    "Invalid \\uXXXX escape": "\\u and four hex digits",
}
_KEY_OR_BRACKET = re.compile(_STRING + r'(\s*:)?|[\[\]{}]', re.S)
_STRING_OR_NUMBER = re.compile(_STRING + r'|(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)', re.S)
_STRING_OR_CONSTANT = re.compile(_STRING + r'|(-?(?:NaN|Infinity))', re.S)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _decode_problem(exc: json.JSONDecodeError, text: str, offset: int) -> JSONProblem:
    expected = next((e for prefix, e in _EXPECTED.items() if exc.msg.startswith(prefix)), None)
    if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
        found = "the end of the text (is it cut short?)"
    else:
        found = repr(text[exc.pos:exc.pos + 12]) + ("..." if len(text) > exc.pos + 12 else "")
    return JSONProblem(f"invalid JSON: {exc.msg}", exc.lineno + offset, exc.colno, expected, found)


def _duplicate_position(text: str, key: str) -> int | None:
    """Where `key` appears a second time in one object (the decoder does not say)."""
    stack: list[set[str] | None] = []
    for match in _KEY_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "{[":
            stack.append(set() if token == "{" else None)
        elif token in "}]":
            if stack:
                stack.pop()
        elif match.group(1) and stack and stack[-1] is not None:
            name = json.loads(match.group()[: -len(match.group(1))])
            if name in stack[-1]:
                return match.start()
            stack[-1].add(name)
    return None


def _has_lone_surrogate(data: Any) -> bool:
    if isinstance(data, str):
        return _LONE_SURROGATE.search(data) is not None
    if isinstance(data, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_lone_surrogate(v) for v in data)
    return False


def _check_surrogates(text: str, data: Any, offset: int) -> None:
    """A "\\ud800" escape without its pair decodes to a lone surrogate: not text, and it cannot be
    written out as UTF-8. Only looked for when such an escape occurs at all."""
    match = _SURROGATE_ESCAPE.search(text)
    if match is None or not _has_lone_surrogate(data):
        return
    position = match.start()
    for match in _SURROGATE_ESCAPE.finditer(text):  # the first escape that is not half of a pair
        code = int(match.group()[2:], 16)
        after = text[match.end():match.end() + 6]
        before = text[max(0, match.start() - 6):match.start()]
        if code < 0xDC00 and not re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", after):
            position = match.start()
            break
        if code >= 0xDC00 and not re.fullmatch(r"\\u[dD][89abAB][0-9a-fA-F]{2}", before):
            position = match.start()
            break
    line, column = _position(text, position)
    raise JSONProblem("string has an unpaired UTF-16 surrogate escape", line + offset, column,
                      expected="a \\uD800-\\uDBFF escape followed by a \\uDC00-\\uDFFF escape, or none",
                      found=text[position:position + 6])


def check_syntax(text: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise JSONProblem if `text` is not one well-formed JSON value of bounded depth; problems
    inside well-formed parts (NaN, duplicate keys, lone surrogates) are left to `loads`."""
    _check_depth(text, max_depth)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _decode_problem(exc, text, 0) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise JSONProblem("nesting too deep", None, None) from None


_BIG = 2.0 ** 63


def loads_flat(raw: bytes) -> dict[str, Any] | None:
    """`loads(raw.decode())` for the common record, a flat object (values scalars or lists of
    scalars) with no escapes, about five times faster with orjson; None when this cannot be sure
    it gives exactly what `loads` gives, and then `loads` decides (with its located errors).
    orjson keeps the last of duplicate keys (so keys are counted: without escapes every `"`
    delimits a string, so each colon outside strings is one key), reads integers beyond 64 bits
    as floats (so a float that large is left to `loads`), and refuses what `loads` refuses
    (NaN, 1e400, control characters, bad UTF-8): no need to check those. It rounds a number of
    more digits than a double holds, as `loads` refuses to: a float is taken here only when the
    line writes it as its shortest text (`_as_written`), else `loads` decides."""
    if b"\\" in raw:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict:
        return None
    for key, value in data.items():
        cls = type(value)
        if cls is float:
            if not -_BIG < value < _BIG or not _as_written(raw, key, value):
                return None
        elif cls is list:
            for item in value:
                kind = type(item)
                if kind is list or kind is dict or kind is float:  # a float in a list: left to `loads`
                    return None
        elif cls is dict:
            return None
    colons = raw.count(b":")  # as many as keys unless a string holds one (or a key is given twice)
    if colons != len(data) and sum(part.count(b":") for part in raw.split(b'"')[0::2]) != len(data):
        return None  # a key given twice
    return data


def _pointer_at(text: str, index: int) -> str:
    """The JSON Pointer of the value that starts at `index` ('' if none is found)."""
    return SourceMap(text).pointer_at(index)


_ENDS = (b",", b"}", b" ", b"\n", b"\r", b"\t")
_NUMBER_TOKEN = re.compile(rb"-?[0-9][0-9.eE+-]*")


def _as_written(raw: bytes, key: str, value: float) -> bool:
    """Whether the line writes `key`'s value as exactly the number `value` (model/numbers.py):
    as its shortest text (repr, what decisions write: one comparison), else as a text that
    exact_float takes. The line has no escapes, so `"key":` occurs once, as the key."""
    head = b'"' + key.encode() + b'":'
    start = raw.find(head)
    if start < 0:
        return False
    start += len(head)
    while raw[start:start + 1] == b" ":  # "key": value, as people write it
        start += 1
    text = repr(value).encode()
    if raw.startswith(text, start) and raw[start + len(text):start + len(text) + 1] in _ENDS:
        return True
    token = _NUMBER_TOKEN.match(raw, start)
    if token is None:
        return False
    try:
        return exact_float(token.group().decode()) == value
    except ValueError:  # NotExact, or not a number after all: `loads` decides and says where
        return False


def loads(text: str, *, max_depth: int = MAX_DEPTH, offset: int = 0) -> Any:
    """Parse one JSON value strictly. `offset` is added to reported line numbers."""
    _check_depth(text, max_depth)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise _decode_problem(exc, text, offset) from None
    except _BadNumber as exc:
        bad = exc.text  # (not exc itself in the generator: compiled, a closure cannot hold it)
        token = next((m for m in _STRING_OR_NUMBER.finditer(text) if m.group(1) == bad), None)
        line, column = _position(text, token.start()) if token else (None, None)
        shown = exc.text if len(exc.text) <= 40 else exc.text[:37] + "..."
        raise JSONProblem(f"number {shown} {exc.why}", line and line + offset, column,
                          expected=exc.expected, found=shown,
                          pointer=_pointer_at(text, token.start()) if token else "") from None
    except _Duplicate as exc:
        where = _duplicate_position(text, exc.key)
        line, column = _position(text, where) if where is not None else (None, None)
        raise JSONProblem(f"duplicate key {exc.key!r} in one object", line and line + offset, column,
                          expected="each key once per object", found=f"{exc.key!r} again") from None
    except ValueError as exc:
        constant = next((m for m in _STRING_OR_CONSTANT.finditer(text) if m.group(1)), None)
        line, column = _position(text, constant.start()) if constant else (None, None)
        raise JSONProblem(f"{exc} is not a JSON number", line and line + offset, column,
                          expected="a finite number", found=str(exc)) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise JSONProblem("nesting too deep", None, None) from None
    _check_surrogates(text, data, offset)
    return data


@dataclass
class Document:
    """A parsed JSON document and the text it came from, for locating pointers."""

    data: Any
    text: str
    file: str | None = None
    _map: SourceMap | None = field(default=None, repr=False)

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        """1-based (line, column) of the value at `pointer`, or of its nearest existing parent."""
        if self._map is None:
            self._map = SourceMap(self.text)  # one pass over the text, on the first error only
        return self._map.locate(pointer)
