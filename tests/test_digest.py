"""evaluator.digest: the fast input digest must equal the original algorithm for every input,
and must actually be fast (orjson) for the benchmark population."""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import importlib.util
import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings, strategies as st

from evaluator.model import decision
from evaluator.model import digest
from conftest import REPO


def _population_module():
    spec = importlib.util.spec_from_file_location("population", REPO / "benchmarks" / "population.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


population = _population_module()


def old_input_sha256(record: Any) -> str:
    """The digest as decision.input_sha256 computed it before evaluator.digest, copied verbatim
    (policy.canonical_json inlined) so a change to either module cannot move the reference."""
    try:
        text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def outcome(fn: Any, value: Any) -> tuple[str, Any]:
    """A digest, or that it raised: where the old code raised (TypeError or ValueError: a record with
    no JSON text), the new one raises too, as digest.NotJSONData, which says where."""
    try:
        return "ok", fn(value)
    except digest.NotJSONData:
        return "raises", "no JSON text"
    except (TypeError, ValueError):
        return "raises", "no JSON text"


class Colour(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    GOLD = 3


class Name(str):
    pass


# floats at and next to the edges of the plain-notation range, where repr switches to exponents
_EDGES = [1e-4, 1e16, 1e-5, 1e15, 9999999999999998.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
EDGE_FLOATS = sorted({s * v for e in _EDGES for v in (e, math.nextafter(e, 0), math.nextafter(e, math.inf))
                      for s in (1, -1)})

text = st.text(st.characters(exclude_categories=()), max_size=6)  # every code point, lone surrogates too
keys = st.one_of(text, st.text(max_size=3), st.sampled_from(["a", "\uffff", "\U00010000", "\ue000", "\x00", "/"]))
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(-2**65, 2**65), st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -2**63, -2**63 - 1]),
    st.floats(), st.floats(allow_subnormal=True, width=64), st.sampled_from(EDGE_FLOATS + [-0.0, math.nan, math.inf]),
    text,
    st.sampled_from([dt.date(2024, 6, 30), dt.datetime(2024, 6, 30, 12, 0), Colour.RED, Level.GOLD, Name("x")]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=5),
        st.dictionaries(st.sampled_from([1, Name("k")]), inner, max_size=2),  # non-str keys
    ),
    max_leaves=12,
)


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(values)
def test_same_digest_as_the_original_algorithm(value):
    assert outcome(digest.input_sha256, value) == outcome(old_input_sha256, value)


@settings(max_examples=500, deadline=None, database=None, derandomize=True)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.floats(), st.integers(), st.text(), st.none(),
                                                      st.lists(st.text(max_size=5), max_size=3)), max_size=8))
def test_flat_records_same_digest(record):
    assert digest.input_sha256(record) == old_input_sha256(record)
    fast = digest._fast_bytes(record)
    if fast is not None:  # when it is taken, it is byte-for-byte the canonical form
        assert fast == json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("x", EDGE_FLOATS)
def test_edge_floats(x):
    record = {"v": x, "l": [x], "d": {"x": x}}
    assert digest.input_sha256(record) == old_input_sha256(record)
    takes_fast = 1e-4 <= abs(x) < 1e16 or x == 0.0
    assert (digest._fast_bytes(record) is not None) == takes_fast


def test_population_takes_the_fast_path():
    records = list(population.partners(3000, 1))
    for record in records:
        fast = digest._fast_bytes(record)
        assert fast is not None, record
        assert hashlib.sha256(fast).hexdigest() == old_input_sha256(record)


@pytest.mark.parametrize("record", [
    {"a": 1e-05}, {"a": [0.0, 9.999999999999999e-05]}, {"a": 1e16}, {"a": math.nan}, {"a": -math.inf},
    {"a": 2**64}, {"a": -2**63 - 1}, {"a": "x\ud800"}, {"\udfff": 1}, {1: 2}, {Name("k"): 1},
    {"a": dt.date(2024, 1, 2)}, {"a": dt.datetime(2024, 1, 2, 3, 4)}, {"a": (1, 2)}, {"a": Colour.RED},
    {"a": Level.GOLD}, {"a": Name("x")}, {"a": [Name("x")]}, {"a": {"b": {"c": [math.nan]}}},
])
def test_fallback_cases_take_the_slow_path_and_agree(record):
    assert digest._fast_bytes(record) is None
    assert digest.input_sha256(record) == old_input_sha256(record)


def test_deep_and_circular_records_fall_back():
    deep: Any = "x"
    for _ in range(300):
        deep = {"k": [deep]}
    assert digest._fast_bytes(deep) is None
    assert outcome(digest.input_sha256, deep) == outcome(old_input_sha256, deep)
    loop: dict[str, Any] = {"a": []}
    loop["a"].append(loop)
    # a record that holds itself has no JSON text: NotJSONData (a ValueError) says where, and the
    # evaluator makes it an error record (tests/test_hostile_records.py)
    assert outcome(digest.input_sha256, loop) == ("raises", "no JSON text") == outcome(old_input_sha256, loop)
    with pytest.raises(digest.NotJSONData, match="holds itself"):
        digest.input_sha256(loop)


@pytest.mark.parametrize("value", [
    2**64, -2**63 - 1, "\ud800", {"k": "\udc00"}, {1: 1}, {None: 1}, {Name("k"): 1}, {("t",): 1},
])
def test_orjson_still_raises_where_the_scan_relies_on_it(value):
    # the fast path leaves big ints, lone surrogates and non-str keys to orjson's own refusal
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# Computed with the pre-digest.py code; a change of the canonical form must fail here.
KNOWN = [
    ({"partner_id": "P-00000001", "partner_name": "Partner 1", "annual_sales_usd": 1000000.5,
      "regions": ["KOREA"], "countries": ["IN"], "referrals_this_year": 2},
     "3645ebf0312c1f0c4df75f76b15e05e635f996a7cab56415f31c469be1afe8be"),
    ({"partner_id": "P-\u00e9\U0001F600",
      "z\u2028": [1e-05, 0.0001, 1e16, 9999999999999998.0, -0.0, 2**70, True, None],
      "\x7f/\"\\\n": {"\uffff": 1, "\U00010000": 2, "a": 24999.99}},
     "6815892a9067048fc3c9803a34379b157bbb94b299981f6bf36b5a7eb0aec747"),
    ({"as_of": dt.date(2024, 6, 30), "sales": math.nan, "name": "x\ud800"},
     "37358f8963b1c65e7cb5a3a4641a7adafe96ec3466dd9e5af7e63db9ae0c30c2"),
]


@pytest.mark.parametrize("record,expected", KNOWN)
def test_known_digests(record, expected):
    assert digest.input_sha256(record) == expected
    assert decision.input_sha256(record) == expected
    assert digest.reference_sha256(record) == expected


def test_first_known_record_is_the_population_first_record():
    # ties the hard-coded digest to the benchmark population, taken by the fast path
    record = next(population.partners(1, 1))
    assert record == KNOWN[0][0]
    assert digest._fast_bytes(record) is not None


# --- a decision's digest, taken when it is decided and hashed when it is read -----------------

def _decide(record, **options):
    from evaluator.evaluate.evaluator import Evaluator
    from evaluator.load.policyfile import default_policy
    with Evaluator(default_policy(), as_of=dt.date(2026, 6, 30), **options) as evaluator:
        return next(evaluator.evaluate_many([record]))


@pytest.mark.parametrize("record", [KNOWN[0][0], {"partner_id": "P-1", "partner_name": "\u00e9\U0001F600", "z\u2028": [0.0001, -0.0, 2**40],
                                                  "\x7f/\"\\\n": {"\uffff": 1, "a": 24999.99}}])
def test_a_cached_decision_hashes_its_input_when_read(record):
    expected = old_input_sha256(record)
    result = _decide(record)
    assert "input_sha256" not in vars(result) and type(vars(result)["_input_bytes"]) is bytes
    assert result.input_sha256 == expected
    assert vars(result)["input_sha256"] == expected  # hashed once, then kept
    assert result.to_dict()["input_sha256"] == expected


def test_the_digest_is_of_the_record_as_decided_not_as_changed_later():
    record = {"partner_id": "P-1", "annual_sales_usd": 30000, "regions": ["ANZ"], "referrals_this_year": 2}
    expected = old_input_sha256(record)
    result = _decide(record)
    record["annual_sales_usd"] = 2_000_000
    record["regions"].append("KOREA")
    assert result.input_sha256 == expected != old_input_sha256(record)


def test_a_record_off_the_fast_path_gets_its_digest_at_once():
    # a value orjson would not write canonically: digested now, by the original algorithm
    record = {"partner_id": "P-1", "annual_sales_usd": 30000, "note": 1e-05}
    result = _decide(record)
    assert vars(result)["input_sha256"] == old_input_sha256(record) and "_input_bytes" not in vars(result)


def test_plain_and_cached_decisions_name_the_same_digest_and_pickle_it():
    import pickle
    record = {"partner_id": "P-1", "annual_sales_usd": 30000, "countries": ["AU"]}
    cached, plain = _decide(record), _decide(record, cache_size=0)
    assert "input_sha256" in vars(plain)
    copy = pickle.loads(pickle.dumps(cached))
    assert "_input_bytes" not in vars(copy) and copy.input_sha256 == plain.input_sha256 == old_input_sha256(record)
    assert copy == plain == cached


def test_a_decision_without_a_digest_still_reads_none():
    from evaluator.model.decision import Decision
    result = Decision("P-1", None, [], None, [], {}, {"id": "p"}, "0")
    assert result.input_sha256 is None
    with pytest.raises(AttributeError):
        result.no_such_field  # noqa: B018
