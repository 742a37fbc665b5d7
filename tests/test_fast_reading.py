"""jsondoc.loads_flat, the fast reader of JSONL records, gives exactly what the strict reader
gives, or steps aside (None) so the strict reader decides and locates the error."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings, strategies as st

from evaluator.load.jsontext import JSONProblem, loads, loads_flat

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.text(max_size=3), SCALARS, max_size=2))
KEYS = st.sampled_from(["partner_id", "a", "b", "é", "a:b", "x\"y", "", "sales"])


def _strict(raw: bytes) -> Any:
    try:
        return ("ok", loads(raw.decode("utf-8")))
    except (JSONProblem, UnicodeDecodeError):
        return ("error", None)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 and 1.0 are not the same record)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)


@st.composite
def lines(draw: Any) -> bytes:
    pairs = draw(st.lists(st.tuples(KEYS, VALUES), max_size=6))  # keys may repeat
    space = draw(st.sampled_from(["", " ", "\t"]))
    body = ("," + space).join(f"{json.dumps(k)}{space}:{space}{json.dumps(v, ensure_ascii=draw(st.booleans()))}"
                              for k, v in pairs)
    text = "{" + space + body + space + "}"
    return text.encode("utf-8")


@settings(max_examples=600, derandomize=True, deadline=None, database=None)
@given(lines())
def test_fast_reader_agrees_with_the_strict_reader(raw):
    fast = loads_flat(raw)
    status, strict = _strict(raw)
    if fast is not None:
        assert status == "ok" and _same(fast, strict), raw


def test_what_the_fast_reader_leaves_to_the_strict_one():
    cases = [
        b'{"a":1,"a":2}',                    # duplicate key: strict reports it
        b'{"a" : 1, "a" :2}',
        b'{"a":123456789012345678901234567890}',  # orjson would read a float
        b'{"a":-9223372036854775809}',
        b'{"a":1e400}', b'{"a":NaN}', b'{"a":"x\x01y"}', b'{"a":"\xed\xa0\x80"}',
        b'{"a":"\\ud800"}', b'{"a":"q\\":"}',  # escapes: strict
        b'{"a":{"b":1}}', b'{"a":[[1]]}', b'[1]', b'"x"', b'{"a":1', b'\xff\xfe{}',
    ]
    for raw in cases:
        assert loads_flat(raw) is None, raw


def test_ordinary_records_take_the_fast_reader():
    for raw in (b'{"partner_id":"P-1","annual_sales_usd":25000,"regions":["ANZ","JAPAN"],"x":null}',
                b'{ "partner_id": "P-2", "annual_sales_usd": 99999.99, "note": "12:30" }',
                b'{"a":18446744073709551615,"b":-0,"c":1E5,"d":true}'):
        fast = loads_flat(raw)
        assert fast is not None and _same(fast, loads(raw.decode()))
