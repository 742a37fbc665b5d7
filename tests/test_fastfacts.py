"""The fast coercer (fastfacts.py) against coerce_record (facts.py), the slow path it shortcuts.

For every record: fast(r) is None, or it equals coerce_record's facts with the same key order and
value types; and when coerce_record finds nothing, fast(r) is not None (the fast path is taken).
Policies are the fuzz suite's random fact catalogues.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from evaluator import load_policy
from evaluator.language.coercion import MAX_EXACT
from evaluator.language.facts import coerce_record
from evaluator.fast.facts import compile_fast_coercer
from evaluator.language.fastchecks import string_list_check as _string_list_check
from evaluator.model.policy import build_policy

from test_fuzz_differential import (HOSTILE, _constants, _near_dates, _near_numbers, draw_facts, draw_value,
                                    index, pick)

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "policies" / "messagelabs-apac.json"
EXAMPLES = 300

# Plain JSON values a fast path must accept or reject exactly like the slow path.
EXTRA = [5.0, -0.0, 2 ** 53, 2 ** 53 + 1, -(2 ** 53), float(2 ** 53), 2.0 ** 53 + 2, float("nan"), float("inf"),
         float("-inf"), 10 ** 400, "\ud800x", "x\udfff", "é\ud83d", " 2024-01-01 ", "2024-1-01", "2024-02-30",
         "２０２４-01-01", ["AU", "AU"], ["AU", 1], [["AU"]], [None], ["\ud800"], {"AU": 1}, (1,), None, "AU", "ab"]


def _policy(facts: dict[str, Any]) -> Any:
    return build_policy({"id": "fast", "version": "1", "title": "Fast", "currency": "USD", "facts": facts,
                         "tiers": [{"id": "t", "name": "T", "criteria": []}]})


def _same_facts(got: dict[str, Any], want: dict[str, Any]) -> bool:
    return (got == want and list(got) == list(want)
            and all(type(got[k]) is type(want[k]) for k in want)
            and all(got[k] == want[k] for k in want))  # -0.0 == 0.0: types checked above


def assert_agrees(policy: Any, fast: Any, record: Any) -> Any:
    want, findings = coerce_record(policy, record)
    got = fast(record)
    if findings:
        assert got is None, f"{record!r}: fast path accepted a record with findings {findings}"
    else:
        assert got is not None, f"{record!r}: valid plain JSON record fell back"
        assert _same_facts(got, want), f"{record!r}: {got!r} != {want!r}"
    return got


@st.composite
def policies_and_records(draw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    facts = draw_facts(draw)
    near = {"number": _near_numbers(_constants(facts, "number")), "date": _near_dates(_constants(facts, "date")),
            "string": _constants(facts, "string")}
    records = []
    for n in range(1 + draw(index) % 6):
        record: dict[str, Any] = {"partner_id": f"P{n}", "unknown": draw(st.sampled_from([1, "x", None]))}
        for name, spec in facts.items():
            choice = draw(index) % 16
            if choice == 0:
                record.pop(name, None)
            elif choice == 1:
                record[name] = None
            elif choice == 2:
                record[name] = pick(draw, HOSTILE + EXTRA)
            elif choice == 3 and spec["type"] == "integer":
                record[name] = float(draw_value(draw, "integer", near["number"]))
            else:
                kind = spec["type"]
                pool = near["number"] if kind in ("number", "integer") else near.get(kind, near["string"])
                record[name] = draw_value(draw, kind, pool)
        records.append(record)
    return facts, records


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(policies_and_records())
def test_fast_path_agrees_with_coerce_record(case: Any) -> None:
    facts, records = case
    policy = _policy(facts)
    fast = compile_fast_coercer(policy)
    for record in records:
        assert_agrees(policy, fast, record)
        assert_agrees(policy, fast, record)  # again: the string_list memo now holds its lists


# --- targeted boundaries -----------------------------------------------------------------

FACTS = {
    "partner_id": {"type": "string", "description": "id", "required": True, "pattern": "[A-Za-z0-9][A-Za-z0-9._-]*"},
    "sales": {"type": "number", "description": "sales", "minimum": 0, "maximum": 1000.5},
    "big": {"type": "number", "description": "unbounded"},
    "count": {"type": "integer", "description": "count", "minimum": 2},
    "kind": {"type": "string", "description": "kind", "enum": ["A", "B"]},
    "flag": {"type": "boolean", "description": "flag", "default": False},
    "regions": {"type": "string_list", "description": "regions", "enum": ["ANZ", "EMEA"], "max_items": 2},
    "codes": {"type": "string_list", "description": "codes", "pattern": "[A-Z]{2}", "default": ["AU"]},
    "since": {"type": "date", "description": "since", "minimum": "2020-01-01", "maximum": "2030-12-31"},
    "level": {"type": "integer", "description": "level", "default": 3.0},
}


@pytest.fixture(scope="module")
def boundary() -> tuple[Any, Any]:
    policy = load_policy({"id": "fast", "version": "1", "title": "Fast", "currency": "USD", "facts": FACTS,
                          "tiers": [{"id": "t", "name": "T", "criteria": [{"id": "c", "description": "c",
                                     "condition": {"fact": "sales", "op": ">=", "value": 1}}]}]})
    return policy, compile_fast_coercer(policy)


@pytest.mark.parametrize("fact, value, valid", [
    ("sales", 0, True), ("sales", -1, False), ("sales", -0.0001, False), ("sales", 1000.5, True),
    ("sales", 1000.5000001, False), ("sales", True, False), ("sales", "5", False), ("sales", float("nan"), False),
    ("big", 2 ** 53, True), ("big", 2 ** 53 + 1, False), ("big", -(2 ** 53), True), ("big", -(2 ** 53) - 1, False),
    ("big", 2.0 ** 53, True), ("big", float("inf"), False), ("big", float("-inf"), False), ("big", 10 ** 400, False),
    ("count", 2, True), ("count", 1, False), ("count", 5.0, True), ("count", 5.5, False), ("count", False, False),
    ("count", 2 ** 53 + 1, False), ("count", float(2 ** 53), True),
    ("kind", "A", True), ("kind", "C", False), ("kind", "a", False), ("kind", "A\ud800", False),
    ("partner_id", "P-1", True), ("partner_id", "-P", False), ("partner_id", "", False), ("partner_id", "P 1", False), ("partner_id", "Pé", False),
    ("partner_id", "P\ud800", False), ("partner_id", 7, False),
    ("flag", True, True), ("flag", 1, False), ("flag", "true", False),
    ("regions", [], True), ("regions", ["ANZ", "EMEA"], True), ("regions", ["ANZ", "EMEA", "ANZ"], False),
    ("regions", ["MARS"], False), ("regions", "ANZ", False), ("regions", ["ANZ", 1], False), ("regions", ("ANZ",), False),
    ("codes", ["AU", "NZ"], True), ("codes", ["AUS"], False), ("codes", ["au"], False), ("codes", ["A\udfff"], False),
    ("since", "2020-01-01", True), ("since", "2019-12-31", False), ("since", "2030-12-31", True),
    ("since", "2031-01-01", False), ("since", " 2024-02-29 ", True), ("since", "2023-02-29", False),
    ("since", "20240229", False), ("since", "２０２４-01-01", False), ("since", dt.date(2024, 1, 1), False),
    ("level", 4, True), ("level", 4.0, True),
])
def test_boundaries(boundary: Any, fact: str, value: Any, valid: bool) -> None:
    policy, fast = boundary
    record = {"partner_id": "P1", fact: value}
    assert (not coerce_record(policy, record)[1]) is valid, "the case itself is mislabelled"
    got = assert_agrees(policy, fast, record)
    if valid:
        assert got[fact] == coerce_record(policy, record)[0][fact]


def test_defaults_nulls_required_and_shapes(boundary: Any) -> None:
    policy, fast = boundary
    got = assert_agrees(policy, fast, {"partner_id": "P1"})
    assert got == {"partner_id": "P1", "flag": False, "codes": ["AU"], "level": 3} and type(got["level"]) is int
    assert got["codes"] is policy.facts["codes"].default  # the slow path's own default object
    assert list(assert_agrees(policy, fast, {"partner_id": "P1", "flag": None, "sales": None, "level": 4.0})) == \
        ["partner_id", "flag", "codes", "level"]
    got = assert_agrees(policy, fast, {"count": 3, "partner_id": "P1", "extra": [1]})
    assert list(got) == ["partner_id", "count", "flag", "codes", "level"]  # catalogue order, not the record's
    assert assert_agrees(policy, fast, {"sales": 1}) is None  # required missing
    assert assert_agrees(policy, fast, {"partner_id": None}) is None  # required null
    for record in ([], "x", None, 5, [("partner_id", "P1")]):
        assert assert_agrees(policy, fast, record) is None
    regions = ["ANZ"]
    assert fast({"partner_id": "P1", "regions": regions})["regions"] is regions


def test_subclasses_fall_back(boundary: Any) -> None:
    """Subclasses of the JSON types go to the slow path, whatever it makes of them."""
    policy, fast = boundary

    class Text(str):
        pass

    class Record(dict):
        pass

    class Number(int):
        pass

    assert fast(Record(partner_id="P1")) is None
    assert fast({"partner_id": Text("P1")}) is None
    assert fast({"partner_id": "P1", "sales": Number(3)}) is None
    assert fast({"partner_id": "P1", "regions": [Text("ANZ")]}) is None

    class Liar:  # equal to a remembered list item, but not a string
        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return hash("ANZ")

    assert fast({"partner_id": "P1", "regions": ["ANZ"]}) is not None
    assert fast({"partner_id": "P1", "regions": [Liar()]}) is None
    assert coerce_record(policy, {"partner_id": "P1", "regions": [Liar()]})[1]


def test_memo_is_bounded() -> None:
    policy = _policy({"l": {"type": "string_list", "description": "l", "pattern": "[a-z0-9]+"}})
    fast = compile_fast_coercer(policy)
    for n in range(10_000):
        assert fast({"l": [str(n), "a"]}) == {"l": [str(n), "a"]}
    check = _string_list_check(policy.facts["l"])
    for n in range(10_000):
        assert check([str(n), "a"]) == [str(n), "a"]
    lists, items = check.memo_sizes()
    assert 0 < lists <= 4096 and 0 < items <= 4096
    assert fast({"l": ["A"]}) is None and fast({"l": ["a", "A"]}) is None


def test_unvalidated_policy_falls_back() -> None:
    """A hand-built policy with bounds or defaults the validator would reject: never a wrong dict."""
    facts = {"n": {"type": "number", "description": "n", "minimum": "0"},
             "d": {"type": "date", "description": "d", "minimum": "yesterday"},
             "i": {"type": "integer", "description": "i", "default": "x"}}
    policy = _policy(facts)
    fast = compile_fast_coercer(policy)
    assert fast({"n": 1, "i": 1}) is None
    assert fast({"d": "2024-01-01", "i": 1}) is None
    assert fast({}) is None
    assert fast({"i": 1}) == {"i": 1} == coerce_record(policy, {"i": 1})[0]


# --- the shipped program over the benchmark population --------------------------------------

def test_shipped_population() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import population
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    policy = load_policy(SHIPPED)
    fast = compile_fast_coercer(policy)
    taken = fell_back = 0
    for record in population.partners(20_000, 1):
        got = assert_agrees(policy, fast, record)
        if got is None:
            fell_back += 1
        else:
            taken += 1
    assert taken > 19_000 and fell_back > 0
