"""The near-miss view: partners within PERCENT of the next tier and partners less than PERCENT
above their own tier's threshold (at risk), at and around the boundaries; `evaluate --near`."""
from __future__ import annotations

import json

import pytest

from evaluator import Evaluator, load_policy
from evaluator.explain.near import at_risk, near_gaps, near_misses

from conftest import EXAMPLES, base_policy

SAMPLES = [json.loads(line) for line in (EXAMPLES / "partners.jsonl").read_text().splitlines()]


def view(evaluator, percent, records):
    return {m.result.partner_id: m for m in near_misses(evaluator.evaluate_many(records), evaluator.policy, percent)}


def one(shipped, **facts):
    return shipped.evaluate({"partner_id": "p", **facts})


@pytest.mark.parametrize("sales, percent, near", [
    (90_000, 10, True),       # exactly 10% short of 100000: within 10%
    (89_999, 10, False),      # just beyond
    (89_999.99, 10, False),
    (99_999, 0.001, True),    # 1 of 100000 is 0.001%
    (99_999, 0.0009, False),
])
def test_near_the_next_tier_at_the_boundary(shipped, sales, percent, near):
    decision = one(shipped, annual_sales_usd=sales)
    tier, gaps = near_gaps(decision, percent)
    assert (tier is not None) == near
    if near:
        assert tier.tier.id == "premier_certified"
        assert [(g.criterion, g.distance, g.threshold) for g in gaps] == [
            ("sales_100k", round(100_000 - sales, 2), 100_000)]


def test_missing_data_is_never_near(shipped):
    decision = one(shipped, referrals_this_year=4)  # no sales; next tier Premium Associate is 1 referral away
    tier, _ = near_gaps(decision, 25)
    assert tier.tier.id == "premium_associate"
    nothing = one(shipped)  # nothing at all: the next tier (Associate Partner) needs data, not a change
    assert near_gaps(nothing, 100) == (None, [])


def test_a_non_numeric_need_is_never_near():
    doc = base_policy(tiers=[
        {"id": "gold", "name": "Gold", "criteria": [
            {"id": "au", "description": "AU", "condition": {"fact": "country", "op": "==", "value": "AU"}},
            {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 100}}]},
        {"id": "silver", "name": "Silver", "criteria": []}])
    with Evaluator(load_policy(doc)) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "country": "NZ", "sales": 99})
        assert near_gaps(decision, 50) == (None, [])
        decision = evaluator.evaluate({"partner_id": "p", "country": "AU", "sales": 99})
        assert near_gaps(decision, 1)[0].tier.id == "gold"


@pytest.mark.parametrize("sales, percent, risky", [
    (100_000, 0.001, True),     # exactly at the threshold: 0% above
    (110_000, 10, False),       # exactly 10% above: not less than 10%
    (109_999, 10, True),
    (100_000.01, 0.00001, False),  # 0.00001% above
    (100_000.01, 0.000011, True),
])
def test_at_risk_at_the_boundary(shipped, shipped_policy, sales, percent, risky):
    decision = one(shipped, annual_sales_usd=sales)
    assert decision.tier.id == "premier_certified"
    risks = at_risk(decision, shipped_policy, percent)
    assert bool(risks) == risky
    if risky:
        assert [(r.criterion, r.threshold, r.distance) for r in risks] == [
            ("sales_100k", 100_000, round(sales - 100_000, 2))]


def test_slack_of_all_any_and_not():
    doc = base_policy(tiers=[{"id": "t", "name": "T", "criteria": [
        {"id": "both", "description": "both", "condition": {"all": [
            {"fact": "sales", "op": ">=", "value": 100}, {"fact": "referrals", "op": ">=", "value": 10}]}},
        {"id": "either", "description": "either", "condition": {"any": [
            {"fact": "sales", "op": ">=", "value": 100}, {"fact": "referrals", "op": ">=", "value": 10}]}},
        {"id": "never", "description": "not", "condition": {"not": {"fact": "sales", "op": "<", "value": 50}}},
        {"id": "cap", "description": "cap", "advisory": True, "condition": {"fact": "sales", "op": "<=", "value": 105}},
    ]}])
    policy = load_policy(doc)
    with Evaluator(policy) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "sales": 101, "referrals": 15})
    risks = {r.criterion: r for r in at_risk(decision, policy, 10)}
    # all: the tightest part (sales 1% above 100); any: the safest met branch (referrals, 50%: not at
    # risk); not: no numeric slack; advisory criteria never put a tier at risk
    assert sorted(risks) == ["both"]
    assert (risks["both"].operand, risks["both"].percent) == ("sales", 1.0)
    assert {r.criterion for r in at_risk(decision, policy, 51)} == {"both", "either"}


def test_an_overridden_tier_is_not_at_risk():
    doc = base_policy(overrides=[{"id": "vip", "description": "VIP", "tier": "gold",
                                  "when": {"fact": "partner_id", "op": "==", "value": "V"}}])
    policy = load_policy(doc)
    with Evaluator(policy) as evaluator:
        decision = evaluator.evaluate({"partner_id": "V", "sales": 100})
    assert decision.override is not None and at_risk(decision, policy, 50) == []


def test_shipped_samples_near_and_at_risk(shipped):
    found = view(shipped, 20, SAMPLES)
    near = sorted(p for p, m in found.items() if m.near is not None)
    risky = sorted(p for p, m in found.items() if m.at_risk)
    assert near == ["AP-0004", "AP-0007", "AP-0011", "AP-0013", "AP-0016"]
    assert risky == ["AP-0003", "AP-0006", "AP-0010", "AP-0015", "AP-0017", "AP-0022", "AP-0024"]
    assert found["AP-0013"].gaps[0].percent == 12.0
    assert found["AP-0022"].at_risk[0].percent == 10.0  # 27500 against 25000


def test_invalid_records_are_not_dropped(shipped):
    found = list(near_misses(shipped.evaluate_many([{"partner_id": "bad", "annual_sales_usd": -5}]),
                             shipped.policy, 5))
    assert len(found) == 1 and found[0].to_dict()["error"]["findings"][0]["pointer"] == "/annual_sales_usd"


def test_cli_near_table(cli):
    proc = cli("evaluate", "--near", "0.001", "--format", "table", str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 0, proc.stderr_text
    lines = proc.stdout_text.splitlines()
    assert lines[0].split() == ["PARTNER", "TIER", "VIEW", "DETAIL"]
    assert lines[1].split(None, 3)[0] == "AP-0003"
    assert lines[1].endswith("at risk   sales_1m: annual_sales_usd 1000000 passes >= 1000000 by 0 USD (0%)")
    assert lines[2].endswith("near      Alliance Partner: sales_1m: annual_sales_usd 999999.99 needs >= 1000000: "
                             "0.01 USD to go (0.000001%)")
    assert lines[-1] == "within 0.001%: 2 near the next tier, 6 at risk of losing their tier"


def test_cli_near_jsonl_and_csv(cli):
    proc = cli("evaluate", "--near", "5", str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0
    records = [json.loads(line) for line in proc.stdout_text.splitlines()]
    by_id = {r["partner_id"]: r for r in records}
    assert by_id["AP-0007"]["near"] == {"id": "premier_certified", "name": "Premier Certified", "rank": 2, "gaps": [
        {"criterion": "sales_100k", "operand": "annual_sales_usd", "op": ">=", "actual": 99999, "threshold": 100000,
         "by": 1, "percent": 0.001, "unit": "USD"}]}
    assert by_id["AP-0006"]["at_risk"][0]["margin"] == 0 and by_id["AP-0006"]["near"] is None
    proc = cli("evaluate", "--near", "5", "--format", "csv", str(EXAMPLES / "partners.jsonl"))
    rows = proc.stdout_text.splitlines()
    assert rows[0] == ("partner_id,line,tier,view,target_tier,criterion,operand,op,actual,threshold,distance,unit,"
                       "percent,error")
    assert "AP-0007,7,certified_partner,near,premier_certified,sales_100k,annual_sales_usd,>=,99999,100000,1,USD,0.001," \
        in rows


@pytest.mark.parametrize("value", ["nan", "-1"])
def test_cli_near_rejects_what_is_not_a_percentage(cli, value):
    proc = cli("evaluate", "--near", value, str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 2 and "--near" in proc.stderr_text and "Traceback" not in proc.stderr_text
