"""Every measure operation: its value, its use in a criterion at a boundary, missing inputs,
defaults, nesting, and the policy errors a wrong measure gets."""
from __future__ import annotations

import datetime as dt

import pytest

from evaluator import Evaluator, PolicyError, load_policy

from conftest import base_policy

FACTS = {
    "partner_id": {"type": "string", "description": "id", "required": True},
    "a": {"type": "number", "description": "a"},
    "b": {"type": "number", "description": "b"},
    "n": {"type": "integer", "description": "n", "default": 0},
    "tags": {"type": "string_list", "description": "tags"},
    "start": {"type": "date", "description": "start"},
    "end": {"type": "date", "description": "end"},
}


def measure(compute, record, *, as_of=None, threshold=None):
    """(value of measure m, status of `m >= threshold`) for one record."""
    doc = base_policy(
        facts=FACTS,
        measures={"m": {"description": "m", "compute": compute}},
        tiers=[{"id": "t", "name": "T", "criteria": [{"id": "c", "description": "c", "condition": {
            "measure": "m", "op": ">=", "value": threshold if threshold is not None else 0}}]}],
    )
    with Evaluator(load_policy(doc), as_of=as_of) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", **record})
    return decision.measures["m"], decision.criterion("t", "c").status


@pytest.mark.parametrize("compute, record, value", [
    ({"sum": ["a", "b", 1]}, {"a": 2, "b": 3.5}, 6.5),
    ({"difference": ["a", "b"]}, {"a": 2, "b": 3.5}, -1.5),
    ({"product": ["a", "b", 2]}, {"a": 2, "b": 3}, 12),
    ({"ratio": ["a", "b"]}, {"a": 3, "b": 4}, 0.75),
    ({"min": ["a", 100]}, {"a": 250}, 100),          # a cap
    ({"min": ["a", 100]}, {"a": 50}, 50),
    ({"max": ["a", 0]}, {"a": -5}, 0),               # a floor
    ({"count": "tags"}, {"tags": ["x", "y", "y"]}, 3),
    ({"count": "tags"}, {"tags": []}, 0),
    ({"count_in": {"list": "tags", "values": ["x", "z"]}}, {"tags": ["x", "y", "x"]}, 1),
    ({"count_in": {"list": "tags", "values": ["x", "y"]}}, {"tags": ["x", "y"]}, 2),
    ({"constant": 42}, {}, 42),
    (7, {}, 7),
    ({"days_between": ["start", "end"]}, {"start": "2026-01-01", "end": "2026-03-01"}, 59),
    ({"sum": [{"product": ["n", 10]}, {"min": [{"ratio": ["a", 1000]}, 500]}]}, {"n": 3, "a": 250000}, 280),
    ({"sum": ["n", 1]}, {}, 1),                       # the default of n is 0
])
def test_measure_values(compute, record, value):
    assert measure(compute, record)[0] == value


def test_days_since_uses_the_evaluation_date_and_records_it():
    doc = base_policy(facts=FACTS, measures={"age": {"description": "d", "compute": {"days_since": "start"}}},
                      tiers=[{"id": "t", "name": "T", "criteria": [{"id": "c", "description": "c", "condition": {
                          "measure": "age", "op": "<=", "value": 365}}]}])
    with Evaluator(load_policy(doc), as_of=dt.date(2026, 12, 31)) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "start": "2026-01-01"})
        assert decision.measures["age"] == 364
        assert decision.criterion("t", "c").status == "met"
        assert decision.to_dict()["as_of"] == "2026-12-31"
        assert evaluator.evaluate({"partner_id": "p", "start": "2025-12-31"}).criterion("t", "c").status == "met"
        assert evaluator.evaluate({"partner_id": "p", "start": "2025-12-30"}).criterion("t", "c").status == "not_met"


def test_policies_that_do_not_read_the_date_do_not_record_it(shipped):
    assert "as_of" not in shipped.evaluate({"partner_id": "p"}).to_dict()


@pytest.mark.parametrize("threshold, record, expected", [
    (10, {"a": 4, "b": 6}, "met"),        # exactly at
    (10, {"a": 4, "b": 5.99}, "not_met"),  # just below
    (10, {"a": 4}, "missing"),           # b absent
])
def test_measure_in_a_criterion_at_its_boundary(threshold, record, expected):
    assert measure({"sum": ["a", "b"]}, record, threshold=threshold)[1] == expected


def test_ratio_by_zero_is_missing_not_infinite():
    value, status = measure({"ratio": ["a", "b"]}, {"a": 1, "b": 0})
    assert value is None and status == "missing"


def test_missing_measure_names_the_facts_it_needs():
    doc = base_policy(facts=FACTS, measures={"m": {"description": "m", "compute": {"sum": ["a", "b"]}}},
                      tiers=[{"id": "t", "name": "T", "criteria": [{"id": "c", "description": "c",
                                                                     "condition": {"measure": "m", "op": ">", "value": 1}}]}])
    with Evaluator(load_policy(doc)) as evaluator:
        result = evaluator.evaluate({"partner_id": "p", "a": 1}).criterion("t", "c")
    assert result.status == "missing" and result.missing_facts == ["b"]


def test_measures_may_read_other_measures():
    doc = base_policy(facts=FACTS, measures={
        "base": {"description": "b", "compute": {"product": ["a", 2]}},
        "capped": {"description": "c", "compute": {"min": ["base", 10]}},
    }, tiers=[{"id": "t", "name": "T", "criteria": [{"id": "c", "description": "c",
                                                     "condition": {"measure": "capped", "op": "==", "value": 10}}]}])
    with Evaluator(load_policy(doc)) as evaluator:
        assert evaluator.evaluate({"partner_id": "p", "a": 7}).measures == {"base": 14, "capped": 10}
        assert evaluator.evaluate({"partner_id": "p", "a": 5}).criterion("t", "c").status == "met"
        assert evaluator.evaluate({"partner_id": "p", "a": 4.9}).criterion("t", "c").status == "not_met"


@pytest.mark.parametrize("measures, message", [
    ({"m": {"description": "m", "compute": {"sum": ["a", "nope"]}}}, "unknown fact or measure 'nope'"),
    ({"m": {"description": "m", "compute": {"sum": ["a", "bb"]}}}, "did you mean 'b'"),
    ({"m": {"description": "m", "compute": {"count": "a"}}}, "is a number fact; this argument needs a list"),
    ({"m": {"description": "m", "compute": {"sum": ["tags", 1]}}}, "is a string_list fact"),
    ({"m": {"description": "m", "compute": {"days_since": "a"}}}, "needs a date"),
    ({"m": {"description": "m", "compute": {"sum": ["m2", 1]}},
      "m2": {"description": "m", "compute": {"sum": ["m", 1]}}}, "cycle"),
    ({"a": {"description": "m", "compute": 1}}, "has the name of a fact"),
    ({"m": {"description": "m", "compute": {"sum": ["a"]}}}, "too short|should be non-empty|is not valid"),
    ({"m": {"description": "m", "compute": {"median": ["a", "b"]}}}, "median|not valid"),
])
def test_measure_errors(measures, message):
    doc = base_policy(facts=FACTS, measures=measures, tiers=[{"id": "t", "name": "T", "criteria": []}])
    with pytest.raises(PolicyError, match=message):
        load_policy(doc)
