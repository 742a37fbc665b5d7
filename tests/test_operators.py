"""Every operator on every type it applies to, at, just below and just above its constant,
with the operand missing, and nested in all / any / not (three-valued logic)."""
from __future__ import annotations

import json

import pytest

from evaluator import Evaluator, PolicyError, load_policy

from conftest import policy_with_condition

_evaluators: dict[str, Evaluator] = {}


def status(condition: dict, **facts) -> str:
    key = json.dumps(condition, sort_keys=True)
    if key not in _evaluators:
        _evaluators[key] = Evaluator(load_policy(policy_with_condition(condition)))
    decision = _evaluators[key].evaluate({"partner_id": "p", **facts})
    return decision.criterion("t", "c").status


def teardown_module(_module) -> None:
    for evaluator in _evaluators.values():
        evaluator.close()
    _evaluators.clear()


def cmp(fact: str, op: str, value) -> dict:
    return {"fact": fact, "op": op, "value": value}


NUMBER_CASES = [
    # op, constant, value, expected
    ("==", 100, 100, "met"), ("==", 100, 99.99, "not_met"), ("==", 100, 100.01, "not_met"),
    ("!=", 100, 100, "not_met"), ("!=", 100, 99, "met"), ("!=", 100, 101, "met"),
    ("<", 100, 99.99, "met"), ("<", 100, 100, "not_met"), ("<", 100, 101, "not_met"),
    ("<=", 100, 99, "met"), ("<=", 100, 100, "met"), ("<=", 100, 100.001, "not_met"),
    (">", 100, 100, "not_met"), (">", 100, 100.001, "met"), (">", 100, 99, "not_met"),
    (">=", 100, 100, "met"), (">=", 100, 99.999, "not_met"), (">=", 100, 1e9, "met"),
    ("between", [10, 20], 10, "met"), ("between", [10, 20], 20, "met"), ("between", [10, 20], 9.99, "not_met"),
    ("between", [10, 20], 20.01, "not_met"), ("between", [10, 20], 15, "met"), ("between", [5, 5], 5, "met"),
    ("in", [1, 5, 9.5], 5, "met"), ("in", [1, 5, 9.5], 9.5, "met"), ("in", [1, 5, 9.5], 4.99, "not_met"),
    ("in", [1, 5, 9.5], 6, "not_met"),
    ("not_in", [1, 5], 5, "not_met"), ("not_in", [1, 5], 2, "met"), ("not_in", [1, 5], 0, "met"),
    (">=", 0.1, 0.1, "met"), (">=", 0.1, 0.09999999, "not_met"),
]


@pytest.mark.parametrize("op, constant, value, expected", [
    (">=", -10, -10, "met"), (">=", -10, -10.5, "not_met"), ("<", 0, -0.0001, "met"), ("<", 0, 0, "not_met"),
    ("between", [-5, 5], -5, "met"), ("between", [-5, 5], -5.01, "not_met"),
])
def test_negative_numbers(op, constant, value, expected):
    assert status(cmp("balance", op, constant), balance=value) == expected


@pytest.mark.parametrize("op, constant, value, expected", NUMBER_CASES)
def test_number_operators(op, constant, value, expected):
    assert status(cmp("sales", op, constant), sales=value) == expected


@pytest.mark.parametrize("op, constant, value, expected", [
    (">=", 5, 5, "met"), (">=", 5, 4, "not_met"), (">", 5, 5, "not_met"), (">", 5, 6, "met"),
    ("<", 5, 4, "met"), ("<=", 5, 5, "met"), ("==", 0, 0, "met"), ("!=", 0, 0, "not_met"),
    ("between", [1, 4], 4, "met"), ("between", [1, 4], 5, "not_met"), ("in", [0, 2], 2, "met"),
])
def test_integer_operators(op, constant, value, expected):
    assert status(cmp("referrals", op, constant), referrals=value) == expected


@pytest.mark.parametrize("op, constant, value, expected", [
    (">=", "2026-01-01", "2026-01-01", "met"), (">=", "2026-01-01", "2025-12-31", "not_met"),
    ("<", "2026-01-01", "2025-12-31", "met"), ("<", "2026-01-01", "2026-01-01", "not_met"),
    ("==", "2024-02-29", "2024-02-29", "met"), ("!=", "2024-02-29", "2024-03-01", "met"),
    ("between", ["2026-01-01", "2026-12-31"], "2026-12-31", "met"),
    ("between", ["2026-01-01", "2026-12-31"], "2027-01-01", "not_met"),
    ("in", ["2026-01-01", "2026-07-01"], "2026-07-01", "met"),
])
def test_date_operators(op, constant, value, expected):
    assert status(cmp("joined", op, constant), joined=value) == expected


@pytest.mark.parametrize("op, constant, value, expected", [
    ("==", "AU", "AU", "met"), ("==", "AU", "au", "not_met"), ("==", "AU", "NZ", "not_met"),
    ("!=", "AU", "AU", "not_met"), ("!=", "AU", "NZ", "met"),
    ("in", ["AU", "NZ"], "NZ", "met"), ("in", ["AU", "NZ"], "SG", "not_met"), ("in", ["AU", "NZ"], "", "not_met"),
    ("not_in", ["AU", "NZ"], "AU", "not_met"), ("not_in", ["AU", "NZ"], "JP", "met"),
    ("==", "9", "9", "met"), ("==", "10", "9", "not_met"),  # numeric-looking strings stay strings
    ("==", "Zürich", "Zürich", "met"), ("==", "東京", "東京", "met"),
])
def test_string_operators(op, constant, value, expected):
    assert status(cmp("country", op, constant), country=value) == expected


@pytest.mark.parametrize("op, constant, value, expected", [
    ("==", True, True, "met"), ("==", True, False, "not_met"), ("!=", True, False, "met"),
    ("==", False, False, "met"), ("!=", False, False, "not_met"),
])
def test_boolean_operators(op, constant, value, expected):
    assert status(cmp("active", op, constant), active=value) == expected


@pytest.mark.parametrize("value, expected", [
    (["APAC", "EMEA"], "met"), (["APAC"], "met"), (["EMEA"], "not_met"), ([], "not_met"), (["apac"], "not_met"),
])
def test_contains(value, expected):
    assert status(cmp("regions", "contains", "APAC"), regions=value) == expected


def test_several_in_sets_on_one_operand_stay_exact():
    # Overlapping sets on one string operand (codes ordered so each set is few contiguous runs).
    condition = {"all": [cmp("country", "in", ["AU", "NZ", "SG"]), cmp("country", "in", ["SG", "MY", "ID"]),
                         cmp("country", "not_in", ["NZ", "MY"])]}
    expected = {"SG": "met", "AU": "not_met", "NZ": "not_met", "MY": "not_met", "ID": "not_met", "JP": "not_met"}
    assert {c: status(condition, country=c) for c in expected} == expected


@pytest.mark.parametrize("op, value", [(">=", 1), ("!=", "x"), ("in", ["a"]), ("between", [1, 2]),
                                       ("not_in", [1]), ("==", True), ("contains", "a")])
def test_missing_operand_is_missing_for_every_operator(op, value):
    fact = {"contains": "regions", "==": "active"}.get(op, "country" if isinstance(value, str) or (
        isinstance(value, list) and isinstance(value[0], str)) else "sales")
    assert status(cmp(fact, op, value)) == "missing"


A_MET = cmp("sales", ">=", 10)       # sales=50
B_NOT = cmp("referrals", ">=", 10)   # referrals=1
C_MISSING = cmp("country", "==", "AU")  # country absent


@pytest.mark.parametrize("condition, expected", [
    ({"all": [A_MET]}, "met"),
    ({"all": [A_MET, B_NOT]}, "not_met"),
    ({"all": [A_MET, C_MISSING]}, "missing"),
    ({"all": [B_NOT, C_MISSING]}, "not_met"),     # decided whatever the missing fact is
    ({"any": [A_MET, C_MISSING]}, "met"),          # decided whatever the missing fact is
    ({"any": [B_NOT, C_MISSING]}, "missing"),
    ({"any": [B_NOT]}, "not_met"),
    ({"not": A_MET}, "not_met"),
    ({"not": B_NOT}, "met"),
    ({"not": C_MISSING}, "missing"),
    ({"not": {"all": [A_MET, B_NOT]}}, "met"),
    ({"any": [{"all": [A_MET, {"not": B_NOT}]}, C_MISSING]}, "met"),
    ({"all": [{"any": [B_NOT, C_MISSING]}, A_MET]}, "missing"),
    ({"not": {"not": {"any": [B_NOT, {"not": A_MET}]}}}, "not_met"),
])
def test_all_any_not_in_three_valued_logic(condition, expected):
    assert status(condition, sales=50, referrals=1) == expected


def test_each_comparison_reports_its_own_outcome():
    condition = {"all": [A_MET, {"not": B_NOT}, C_MISSING]}
    with Evaluator(load_policy(policy_with_condition(condition))) as evaluator:
        result = evaluator.evaluate({"partner_id": "p", "sales": 50, "referrals": 1}).criterion("t", "c")
    assert [(c.operand.name, c.op, c.actual, c.status) for c in result.checks] == [
        ("sales", ">=", 50, "met"), ("referrals", ">=", 1, "not_met"), ("country", "==", None, "missing")]
    assert result.status == "missing"
    assert result.missing_facts == ["country"]
    assert result.required == 'all(sales >= 10, not(referrals >= 10), country == "AU")'
    assert result.actual == {"sales": 50, "referrals": 1, "country": None}


@pytest.mark.parametrize("condition, message", [
    (cmp("sales", ">=", "100"), "non-number"),
    (cmp("country", ">=", "AU"), "number or date operand"),
    (cmp("regions", "==", "APAC"), "does not apply to a list"),
    (cmp("sales", "contains", 1), "needs a string_list"),
    (cmp("sales", "between", [20, 10]), "reversed"),
    (cmp("sales", "between", [1]), r"\[low, high\]"),
    (cmp("sales", "in", []), "non-empty list"),
    (cmp("sales", "in", [1, 1]), "twice"),
    (cmp("sales", "==", [1, 2]), "single value"),
    (cmp("active", "==", 1), "non-boolean"),
    (cmp("joined", ">=", "2026-13-01"), "ISO date"),
    (cmp("regions", "contains", ["a", "b"]), "one value"),
])
def test_operator_type_mismatches_are_policy_errors(condition, message):
    with pytest.raises(PolicyError, match=message) as info:
        load_policy(policy_with_condition(condition))
    assert info.value.findings[0].pointer == "/tiers/0/criteria/0/condition/value"
