"""The cached path gives exactly the decisions of the plain path.

The plain path (`Evaluator(..., cache_size=0)`) asks durable-rules about every record and builds
every result at once with explain.py's criterion_result; the cached path asks the engine once
per distinct encoding, keeps the outcome in an LRU cache and builds per-criterion results from
it on first use. Both must write byte-identical decisions for a varied population: values at,
just below and just above every constant, absent facts, nulls, empty lists, invalid records,
and a cache so small that most lookups miss.
"""
from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import pickle
import random
from typing import Any

import pytest

from evaluator import Evaluator, load_policy
from evaluator.model.decision import Decision

from conftest import REPO, base_policy


def _population_module():
    spec = importlib.util.spec_from_file_location("population", REPO / "benchmarks" / "population.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


population = _population_module()
AS_OF = _dt.date(2026, 6, 30)


def _lines(evaluator: Evaluator, records: list[Any]) -> list[str]:
    return [json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=False) for r in evaluator.evaluate_many(records)]


def _assert_same(policy, records, **cached_options) -> dict[str, int]:
    with Evaluator(policy, as_of=AS_OF, cache_size=0) as plain, \
            Evaluator(policy, as_of=AS_OF, **cached_options) as cached:
        expected, got = _lines(plain, records), _lines(cached, records)
        assert len(expected) == len(got) == len(records)
        for i, (a, b) in enumerate(zip(expected, got)):
            assert a == b, f"record {i} differs: {records[i]!r}"
        return cached.cache_info()


def test_shipped_program_population_is_identical_and_each_encoding_asks_the_engine_once(shipped_policy):
    records = list(population.partners(1500, seed=7))
    invalid = sum(1 for r in records if not _valid_shipped(r))
    info = _assert_same(shipped_policy, records)
    # every valid record was looked up; each distinct encoding missed exactly once (went to durable-rules)
    assert info["hits"] + info["misses"] == len(records) - invalid
    assert 20 < info["misses"] == info["size"] < 300
    assert invalid > 10  # the population does exercise invalid records


def _valid_shipped(record: dict[str, Any]) -> bool:
    sales, refs, regions = record.get("annual_sales_usd"), record.get("referrals_this_year"), record.get("regions")
    return not ((isinstance(sales, (int, float)) and sales < 0) or isinstance(refs, str)
                or (isinstance(regions, list) and "MARS" in regions))


def test_a_cache_too_small_to_hold_anything_gives_the_same_decisions(shipped_policy):
    records = list(population.partners(600, seed=11))
    info = _assert_same(shipped_policy, records, cache_size=1)
    assert info["misses"] > 100 and info["size"] == 1


def test_exact_boundaries_of_the_shipped_program(shipped_policy):
    records = []
    for sales in (None, 0, 24999.99, 25000, 25000.01, 99999, 99999.99, 100000, 999999.99, 1000000, 1000000.01):
        for refs in (None, 0, 1, 4, 5):
            for regions in (None, [], ["ANZ"], ["ANZ", "JAPAN"]):
                record: dict[str, Any] = {"partner_id": f"B-{len(records)}", "countries": ["AU"]}
                for key, value in (("annual_sales_usd", sales), ("referrals_this_year", refs), ("regions", regions)):
                    if value is not None:
                        record[key] = value
                records.append(record)
    _assert_same(shipped_policy, records)


# --- a policy that uses every operator, nested logic, measures, dates and overrides -------------

VARIED = base_policy(
    facts={
        "partner_id": {"type": "string", "description": "id", "required": True},
        "sales": {"type": "number", "minimum": 0, "description": "sales"},
        "referrals": {"type": "integer", "minimum": 0, "description": "referrals"},
        "country": {"type": "string", "description": "country"},
        "regions": {"type": "string_list", "description": "regions"},
        "active": {"type": "boolean", "description": "active"},
        "joined": {"type": "date", "description": "joined"},
        "staff": {"type": "integer", "minimum": 0, "default": 0, "description": "staff"},
    },
    measures={
        "region_count": {"description": "regions", "compute": {"count": "regions"}},
        "per_head": {"description": "sales per head", "compute": {"ratio": ["sales", "staff"]}},
        "tenure": {"description": "days since joining", "compute": {"days_since": "joined"}},
        "score": {"description": "score", "compute": {"sum": [{"product": ["referrals", 10]},
                                                               {"min": [{"ratio": ["sales", 1000]}, 50]}]}},
    },
    tiers=[
        {"id": "gold", "name": "Gold", "criteria": [
            {"id": "big", "description": "big", "condition": {"all": [
                {"fact": "sales", "op": ">=", "value": 100000},
                {"any": [{"fact": "country", "op": "in", "value": ["AU", "NZ"]},
                         {"measure": "region_count", "op": ">", "value": 2}]}]}},
            {"id": "active", "description": "active", "condition": {"fact": "active", "op": "==", "value": True}},
            {"id": "not_cn", "advisory": True, "description": "not CN",
             "condition": {"not": {"fact": "country", "op": "==", "value": "CN"}}}]},
        {"id": "silver", "name": "Silver", "criteria": [
            {"id": "score", "description": "score", "condition": {"measure": "score", "op": "between", "value": [30, 80]}},
            {"id": "tenure", "description": "tenure", "condition": {"measure": "tenure", "op": "<", "value": 365}},
            {"id": "apac", "description": "apac", "condition": {"fact": "regions", "op": "contains", "value": "APAC"}}]},
        {"id": "bronze", "name": "Bronze", "criteria": [
            {"id": "per_head", "description": "per head", "condition": {"any": [
                {"measure": "per_head", "op": ">=", "value": 5000},
                {"fact": "joined", "op": "<=", "value": "2020-01-01"}]}},
            {"id": "not_banned", "description": "not banned",
             "condition": {"fact": "country", "op": "not_in", "value": ["XX", "YY"]}},
            {"id": "referrals", "description": "referrals", "condition": {"fact": "referrals", "op": "!=", "value": 0}}]},
    ],
    overrides=[
        {"id": "ban", "description": "banned", "when": {"fact": "country", "op": "==", "value": "ZZ"}, "tier": None},
        {"id": "vip", "description": "vip", "when": {"all": [{"fact": "partner_id", "op": "in", "value": ["V1", "V2"]},
                                                             {"not": {"fact": "active", "op": "==", "value": False}}]},
         "tier": "gold"},
    ],
)


def _varied_records(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    choices = {
        "partner_id": ["V1", "V2", "P1", "P2", "P3"],
        "sales": [0, 1, 29999, 30000, 49999.5, 50000, 99999.99, 100000, 100000.01, 5e6, 7.5],
        "referrals": [0, 1, 2, 3, 5, 8],
        "country": ["AU", "NZ", "CN", "XX", "YY", "ZZ", "SG"],
        "regions": [[], ["APAC"], ["EMEA"], ["APAC", "EMEA", "LATAM"], ["A", "B", "C", "D"]],
        "active": [True, False],
        "joined": ["2019-12-31", "2020-01-01", "2020-01-02", "2025-07-01", "2025-06-30", "2026-06-30"],
        "staff": [0, 1, 10, 20],
    }
    records = []
    for i in range(n):
        record: dict[str, Any] = {}
        for key, values in choices.items():
            roll = rng.random()
            if roll < 0.15 and key != "partner_id":
                continue                      # absent
            if roll < 0.2 and key != "partner_id":
                record[key] = None            # null: absent too
                continue
            record[key] = rng.choice(values)
        if rng.random() < 0.03:
            record["sales"] = "lots"          # invalid
        records.append(record)
    return records


def test_every_operator_nested_logic_measures_dates_and_overrides():
    policy = load_policy(VARIED)
    records = _varied_records(900, seed=3)
    info = _assert_same(policy, records)
    assert info["misses"] > 50
    _assert_same(policy, records[:200], cache_size=2)


def test_a_lazily_explained_decision_equals_the_eager_one_and_pickles(shipped_policy):
    record = {"partner_id": "P", "annual_sales_usd": 99999, "regions": ["ANZ"], "referrals_this_year": 5}
    with Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as plain, Evaluator(shipped_policy, as_of=AS_OF) as cached:
        eager, lazy = plain.evaluate(record), cached.evaluate(record)
        assert "tiers" not in vars(lazy)          # not built yet ...
        assert lazy == eager                      # ... and equal once read
        assert "tiers" in vars(lazy)
        again = cached.evaluate(record)
        restored = pickle.loads(pickle.dumps(again))
        assert isinstance(restored, Decision) and restored == eager
        assert restored.criterion("certified_partner", "sales_25k").status == "met"


def test_cache_size_must_not_be_negative(shipped_policy):
    with pytest.raises(ValueError):
        Evaluator(shipped_policy, cache_size=-1)


def test_statuses_read_from_the_outcome_equal_the_built_results():
    policy = load_policy(VARIED)
    records = _varied_records(300, seed=6)
    with Evaluator(policy, as_of=AS_OF) as cached, Evaluator(policy, as_of=AS_OF, cache_size=0) as plain:
        for lazy, eager in zip(cached.evaluate_many(records), plain.evaluate_many(records)):
            if not lazy.ok:
                continue
            quick = lazy.statuses()
            assert "tiers" not in vars(lazy)  # read without building the explanation
            assert lazy.statuses() is quick  # the outcome's, shared: nothing is built per call
            assert quick == eager.statuses()
            assert quick == tuple((t.tier, t.status, tuple((c.id, c.status) for c in t.criteria)) for t in lazy.tiers)
            assert lazy.statuses() == quick  # built from the explanation now, still equal


def test_a_cached_decision_has_every_field_of_the_dataclass(shipped_policy):
    # the cached path sets a Decision's fields in one step, not through __init__: a field added
    # to the dataclass later must not be missing from it
    from dataclasses import fields
    record = {"partner_id": "P1", "annual_sales_usd": 100000, "regions": ["ANZ"]}
    with Evaluator(shipped_policy, as_of=AS_OF) as cached, Evaluator(shipped_policy, as_of=AS_OF, cache_size=0) as plain:
        lazy, eager = next(cached.evaluate_many([record])), next(plain.evaluate_many([record]))
    assert "_fast" in vars(lazy) and "tiers" not in vars(lazy)
    assert "_input_bytes" in vars(lazy) and "input_sha256" not in vars(lazy)
    # read on first use on the cached path: the tiers, the digest and the partner's name
    assert {f.name for f in fields(Decision)} - {"tiers", "input_sha256", "partner_name"} <= set(vars(lazy))
    assert lazy.partner_name == eager.partner_name
    assert lazy == eager  # the dataclass's own comparison, field by field (builds tiers, hashes)


@pytest.mark.parametrize("default", [None, [], ["A", "B"]])
def test_a_count_measure_read_directly_equals_the_general_path(default):
    # {"count": list fact} is read as the list's length on the cached path; absent, null, empty,
    # defaulted and duplicated lists all give what the measure evaluator gives
    spec = {"type": "string_list", "description": "tags"}
    if default is not None:
        spec["default"] = default
    policy = load_policy(base_policy(
        facts={"partner_id": {"type": "string", "description": "id", "required": True}, "tags": spec},
        measures={"tag_count": {"description": "tags", "compute": {"count": "tags"}}},
        tiers=[{"id": "t", "name": "T", "criteria": [
            {"id": "two", "description": "two", "condition": {"measure": "tag_count", "op": ">=", "value": 2}}]}]))
    records = [{"partner_id": "P1"}, {"partner_id": "P2", "tags": None}, {"partner_id": "P3", "tags": []},
               {"partner_id": "P4", "tags": ["A"]}, {"partner_id": "P5", "tags": ["A", "A"]},
               {"partner_id": "P6", "tags": ["A", "B", "C"]}, {"partner_id": "P7", "tags": "A"}]
    _assert_same(policy, records)
    with Evaluator(policy, as_of=AS_OF) as cached:
        got = [r.measures.get("tag_count") if r.ok else "invalid" for r in cached.evaluate_many(records)]
    absent = len(default) if default is not None else None
    assert got == [absent, absent, 0, 1, 2, 3, "invalid"]
