"""The input digest every decision records: sha256 of a record's canonical JSON, fast.

`input_sha256` must give the same hex digest for every input, forever (`evaluator replay` checks
recorded digests). The canonical form is `policy.canonical_json` (json.dumps, sorted keys, no
spaces, ensure_ascii=False, no NaN), falling back to json.dumps(default=str) for values JSON cannot
hold, encoded UTF-8 with surrogatepass. That costs ~6 us a record; orjson writes the same bytes
in a fraction of that, but only for some inputs. Where the two differ (found by experiment,
orjson 3.13, checked by tests/test_digest.py):

- floats: orjson writes 1e-5 as 0.00001 and 1.2e-7 as 1.2e-7 where repr gives 1e-05, 1.2e-07;
  NaN and inf become null where json.dumps refuses them. Finite floats with 1e-4 <= |x| < 1e16,
  and 0.0/-0.0, are written exactly as repr (repr uses plain notation in just that range).
- types: orjson natively writes dates, datetimes, enums, dataclasses, UUIDs, tuples and int/dict/
  list subclasses, each differently from (or not reliably as) json.dumps/str().
- orjson raises (and we fall back) on ints beyond 64 bits, lone surrogates, non-str dict keys (str
  subclasses too) and nesting deeper than ~250. The scan leaves those checks to it: a test pins
  that orjson still raises on each, so an orjson upgrade that stops raising fails the suite.

Identical: every str escape (controls as lowercase \\u00XX, no escape of "/", U+007F, U+2028/9),
key order (orjson sorts by UTF-8 bytes, which is code point order, like Python), ints, bools, null.

So the fast path takes a record only when a scan finds nothing but exact dict/list/str/int/bool/
None values and safe floats, and orjson does not raise; everything else goes to
`reference_sha256`, the original algorithm.

A record that is not JSON data at all (an object holding itself, a key that is not a string, an
integer too long for Python to write as text) has no canonical JSON, so no digest: `NotJSONData`
says where, and the evaluator makes the record an error record (it never raises for one record).
"""
from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import orjson

from .policy import canonical_json

_SORT = orjson.OPT_SORT_KEYS
_MAX_DEPTH = 64  # well inside orjson's limit; deeper (or circular) records take the slow path


class NotJSONData(ValueError):
    """A record JSON cannot hold at all; `pointer` and the message say where and why."""

    def __init__(self, message: str, pointer: str):
        super().__init__(message)
        self.pointer = pointer


def reference_sha256(record: Any) -> str:
    """The original digest algorithm: the definition `input_sha256` must always agree with.
    Raises NotJSONData for a record that has no JSON text at all."""
    try:
        text = canonical_json(record)
    except (TypeError, ValueError):
        try:
            text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError) as exc:  # no JSON text at all: say where
            problem = json_problem(record) or (f"the record cannot be written as JSON ({exc})", "")
            raise NotJSONData(*problem) from None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # a lone surrogate must not crash


_MAX_INT_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 0)() or 4300


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def json_problem(value: Any, pointer: str = "", within: tuple[int, ...] = ()) -> tuple[str, str] | None:
    """(message, JSON Pointer) of the first thing in `value` JSON cannot hold, or None."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return None
    if isinstance(value, int):
        try:
            int.__repr__(value)  # Python writes no int of more digits than its limit (sys.set_int_max_str_digits)
        except ValueError:
            return (f"an integer of more than {_MAX_INT_DIGITS} digits cannot be written as text", pointer or "/")
        return None
    if isinstance(value, (dict, list, tuple)):
        if id(value) in within:
            return ("the record holds itself (a circular reference)", pointer or "/")
        if len(within) > 256:
            return ("the record nests deeper than 256 levels", pointer or "/")
        inner = within + (id(value),)
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return (f"key {key!r} is not a string", pointer or "/")
                found = json_problem(item, f"{pointer}/{_escape(key)}", inner)
                if found is not None:
                    return found
            return None
        for i, item in enumerate(value):
            found = json_problem(item, f"{pointer}/{i}", inner)
            if found is not None:
                return found
    return None  # dates and other objects are written as their text


def _safe(value: Any, depth: int) -> bool:
    """True when orjson writes `value` exactly as canonical_json would, or raises trying."""
    t = type(value)
    if t is str or t is int or value is None or t is bool:
        return True
    if t is float:
        return 1e-4 <= abs(value) < 1e16 or value == 0.0  # NaN fails both; 0.0 and -0.0 print as repr
    if depth >= _MAX_DEPTH:
        return False
    if t is dict:
        for v in value.values():
            if not _safe(v, depth + 1):
                return False
        return True
    if t is list:
        for v in value:
            if not _safe(v, depth + 1):
                return False
        return True
    return False


def _fast_bytes(record: Any) -> bytes | None:
    """`record`'s canonical JSON bytes written by orjson, or None when it must take the slow path."""
    if type(record) is dict:
        # the usual record, a flat dict of scalars and lists of str: the scan inlined (~0.5 us)
        for v in record.values():
            t = type(v)
            if t is str or t is int:
                continue
            if t is float:
                if not (1e-4 <= abs(v) < 1e16 or v == 0.0):
                    return None
            elif t is list:
                for x in v:
                    if type(x) is not str and not _safe(x, 2):
                        return None
            elif v is not None and t is not bool and not _safe(v, 1):
                return None
    elif not _safe(record, 0):
        return None
    try:
        return orjson.dumps(record, option=_SORT)
    except orjson.JSONEncodeError:  # big int, lone surrogate, non-str key, too deep
        return None


def input_sha256(record: Any) -> str:
    """sha256 hex digest of `record`'s canonical JSON; always equal to `reference_sha256(record)`."""
    data = _fast_bytes(record)
    if data is None:
        return reference_sha256(record)
    return hashlib.sha256(data).hexdigest()


def input_snapshot(record: Any) -> bytes | str:
    """What `input_sha256(record)` needs, taken now: `record`'s canonical JSON bytes (hash them
    with `sha256_hex` when the digest is wanted), or, where the fast path cannot write them, the
    digest itself. The bytes are a copy, so the digest later is the record's as it is now,
    whatever its owner does with it (a decision hashes them when its digest is first read: a
    caller that reads only statuses decides 13% more partners a second)."""
    data = _fast_bytes(record)
    return reference_sha256(record) if data is None else data


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
