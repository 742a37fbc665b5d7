"""Policies beyond the engine's limits are split across rulesets and still decide correctly.

durable-rules fails (error 303, nothing fires) when more than 64 conditions match one record,
hangs with 512+ alternatives in a ruleset, and rejects records of 253+ properties. A policy of
300 tiers, whose top tier has 210 criteria over 210 different facts, goes far past all three;
every decision is checked against a computation by hand.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import pytest

from evaluator import Evaluator, load_policy
from evaluator.compile.compiler import compile_policy
from evaluator.compile.engine import MAX_DISJUNCTS_PER_RULESET, MAX_FIELDS_PER_FACT

from conftest import base_policy

TIERS = 300
FLAGS = 210
AS_OF = _dt.date(2026, 1, 1)


def threshold(i: int) -> int:
    """Sales needed for tier i (rank i + 1): the higher the tier, the more."""
    return (TIERS - i) * 1000


def referrals_needed(i: int) -> int:
    return (TIERS - i) // 50  # 6 for the top tiers, down to 0


def large_policy() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "partner_id": {"type": "string", "description": "id", "required": True},
        "sales": {"type": "number", "minimum": 0, "description": "sales"},
        "referrals": {"type": "integer", "minimum": 0, "description": "referrals"},
        "country": {"type": "string", "description": "country"},
    }
    facts.update({f"flag{k}": {"type": "boolean", "description": f"flag {k}"} for k in range(FLAGS)})
    tiers = []
    for i in range(TIERS):
        criteria = [
            {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": threshold(i)}},
            {"id": "referrals", "description": "referrals",
             "condition": {"fact": "referrals", "op": ">=", "value": referrals_needed(i)}},
            {"id": "not_sanctioned", "advisory": True, "description": "advisory",
             "condition": {"fact": "country", "op": "not_in", "value": ["XA", "XB"]}},
        ]
        if i == 0:
            criteria += [{"id": f"flag{k}", "description": f"flag {k}", "condition": {"fact": f"flag{k}", "op": "==", "value": True}}
                         for k in range(FLAGS)]
        tiers.append({"id": f"t{i}", "name": f"Tier {i}", "criteria": criteria})
    return base_policy(facts=facts, measures={}, tiers=tiers)


def expected_tier(record: dict[str, Any]) -> str | None:
    """The decision computed by hand: the first tier whose required criteria all hold."""
    sales, refs = record.get("sales"), record.get("referrals")
    if sales is None or refs is None:
        return None
    for i in range(TIERS):
        if i == 0 and not all(record.get(f"flag{k}") is True for k in range(FLAGS)):
            continue
        if sales >= threshold(i) and refs >= referrals_needed(i):
            return f"t{i}"
    return None


def expected_status(record: dict[str, Any], i: int, criterion: str) -> str:
    if criterion == "sales":
        value = record.get("sales")
        return "missing" if value is None else "met" if value >= threshold(i) else "not_met"
    if criterion == "referrals":
        value = record.get("referrals")
        return "missing" if value is None else "met" if value >= referrals_needed(i) else "not_met"
    if criterion == "not_sanctioned":
        value = record.get("country")
        return "missing" if value is None else "not_met" if value in ("XA", "XB") else "met"
    value = record.get(criterion)
    return "missing" if value is None else "met" if value is True else "not_met"


def _record(sales: Any, refs: Any, flags: Any = True, country: str | None = "AU", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"partner_id": f"P-{sales}-{refs}"}
    if sales is not None:
        record["sales"] = sales
    if refs is not None:
        record["referrals"] = refs
    if country is not None:
        record["country"] = country
    for k in range(FLAGS):
        value = flags if not isinstance(flags, dict) else flags.get(k, True)
        if value is not None:
            record[f"flag{k}"] = value
    record.update(extra)
    return record


RECORDS = [
    _record(300000, 6),                    # top tier: every one of 213 criteria holds
    _record(299999.99, 6),                 # one cent below the top: tier 1 (needs 299,000)
    _record(300000, 5),                    # referrals one below the top tiers' 6
    _record(300000, 6, flags={137: False}),  # one of 210 flags fails
    _record(300000, 6, flags={209: None}),   # one flag absent: the top tier is undecided
    _record(250000, 6),                    # exactly tier 50's threshold
    _record(249999, 6),
    _record(150000, 3),                    # exactly tier 150 (needs 150,000 and 3)
    _record(150000, 2),
    _record(1000, 0),                      # exactly the lowest tier
    _record(999.99, 0),                    # below every tier
    _record(None, 6),                      # no sales: nothing can be decided
    _record(5_000_000, 100, country="XA"),  # an advisory criterion fails; the top tier still holds
    _record(0, 0, flags=None, country=None),
]


@pytest.fixture(scope="module")
def policy():
    return load_policy(large_policy())


def test_the_policy_is_split_within_every_engine_budget(policy):
    compiled = compile_policy(policy)
    assert len(compiled.rulesets) >= 8
    assert all(n <= MAX_DISJUNCTS_PER_RULESET for n in compiled.disjuncts.values())
    assert all(len(ops) <= MAX_FIELDS_PER_FACT for ops in compiled.ruleset_operands.values())
    # the 210 flags alone need more than one ruleset's worth of fields and alternatives
    assert len({name for name, ops in compiled.ruleset_operands.items()
                if any(op.name.startswith("flag") for op in ops)}) >= 4


def test_every_decision_matches_the_hand_computation(policy):
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        for record in RECORDS:
            decision = evaluator.evaluate(record)
            assert (decision.tier.id if decision.tier else None) == expected_tier(record), record["partner_id"]
            for i in (0, 1, 49, 50, 150, 151, TIERS - 1):
                for criterion in decision.tier_result(f"t{i}").criteria:
                    assert criterion.status == expected_status(record, i, criterion.id), (record["partner_id"], i, criterion.id)
        top = evaluator.evaluate(RECORDS[0]).tier_result("t0")
        assert len(top.criteria) == FLAGS + 3 and top.status == "met"
        assert evaluator.evaluate(RECORDS[4]).tier_result("t0").status == "missing"


def test_the_cached_and_plain_paths_agree_on_the_large_policy(policy):
    with Evaluator(policy, as_of=AS_OF, cache_size=0) as plain, Evaluator(policy, as_of=AS_OF) as cached:
        for record in RECORDS[:6]:
            assert json.dumps(plain.evaluate(record).to_dict()) == json.dumps(cached.evaluate(record).to_dict())


def test_a_boundary_sweep_across_hundreds_of_tiers(policy):
    # every 37th tier's threshold, exactly and one below, decided by tier only (no explanation)
    with Evaluator(policy, as_of=AS_OF) as evaluator:
        for i in range(1, TIERS, 37):
            for sales in (threshold(i), threshold(i) - 1):
                record = _record(sales, referrals_needed(i))
                decision = evaluator.evaluate(record)
                assert expected_tier(record) == (decision.tier.id if decision.tier else None) == f"t{i if sales == threshold(i) else i + 1}"
