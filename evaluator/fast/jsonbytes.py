"""JSON written exactly as the json module writes it, fast: the pieces the template writer
(template.py) is made of. `json_line` is the reference form (what output/writers.py writes for a
decision); `dump` writes one value the same way, faster; `marks` finds the markers a template is
cut at.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

import orjson

from ..language.facttypes import JSON_FORMS

# A marker is a string no policy or record text holds (checked): "\x00<n>\x00", which the json
# module writes as "\u0000<n>\u0000". An optional member is a marker *key* with a null value:
# ,"\u0000<n>\u0000":null
NUL = b"\\u0000"


def marks(text: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end, number) of each marker in `text`, left to right, found with bytes.find (a
    regular expression tried its two forms at every byte of a 5 KB decision; tests/test_template.py
    holds the two equal). `text` holds no escaped NUL but the markers' own (_cut counts them first)."""
    at = text.find(NUL)
    last = 0  # where the previous marker ended: markers do not overlap
    while at >= 0:
        close = text.find(NUL, at + 6)
        digits = text[at + 6:close]
        if close < 0 or not digits.isdigit() or text[at - 1:at] != b'"' or text[close + 6:close + 7] != b'"' \
                or at - 1 < last:
            return  # not a marker: _cut then finds fewer marks than slots and gives up
        if at - 2 >= last and text[at - 2:at - 1] == b"," and text[close + 7:close + 12] == b":null":
            yield at - 2, close + 12, int(digits)  # an optional member
            last = close + 12
        else:
            yield at - 1, close + 7, int(digits)
            last = close + 7
        at = text.find(NUL, close + 6)


class Fallback(Exception):
    """This record is written by the ordinary path."""


def json_line(data: Any) -> str:
    """`data` as one line of JSON, the form report.write_jsonl writes (the reference every fast
    path here is held to)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> bytes:
    return json_line(value).encode("utf-8")


def dump(value: Any) -> bytes:
    """One JSON value exactly as the json module writes it (ensure_ascii=False, no spaces)."""
    cls = type(value)
    if value is None:
        return b"null"
    if cls is str:
        try:
            return orjson.dumps(value)  # same escapes as the json module; refuses lone surrogates
        except TypeError:
            raise Fallback from None
    if cls is bool:
        return b"true" if value else b"false"
    if cls is int:
        return str(value).encode()
    if cls is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise Fallback
        return repr(value).encode()  # what the json module writes for a finite float
    form = JSON_FORMS.get(cls)  # a fact type's values JSON does not hold as they are (dates)
    if form is not None:
        return dump(form(value))
    if cls is list or cls is tuple:
        return b"[" + b",".join(dump(v) for v in value) + b"]"
    try:
        out = orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits (a shortfall's amount), a lone surrogate
        try:
            return _json(value)
        except UnicodeEncodeError:
            raise Fallback from None
    # orjson writes some floats differently from the json module (0.00001 / 1e-05): a dict with
    # such text in it is redone by the json module (plain substring tests: far cheaper than a regex)
    return _json(value) if b"e-" in out or b"e+" in out or b"0.0000" in out else out


def escaped(text: str | bytes) -> bytes:
    """Text as it is written inside a JSON string (or JSON as it is), with each % doubled, to be
    part of a bytes % format."""
    written = dump(text)[1:-1] if isinstance(text, str) else text
    return written.replace(b"%", b"%%")
