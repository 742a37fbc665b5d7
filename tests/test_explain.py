"""Explanations: shortfalls at and around every threshold of the shipped program, for every
operator, all/any/not, measures and missing facts; next_tier; and `evaluator explain` as a user
runs it, checked line by line for shipped sample partners."""
from __future__ import annotations

import datetime as _dt
import json

import jsonschema
import pytest

from evaluator import Evaluator, load_policy
from evaluator.model.decision import input_sha256
from evaluator.explain.narrative import render_markdown, render_text

from conftest import EXAMPLES, REPO, policy_with_condition

SAMPLES = {r["partner_id"]: r for r in map(json.loads, (EXAMPLES / "partners.jsonl").read_text().splitlines())}


def decide(shipped, **facts):
    return shipped.evaluate({"partner_id": "p", **facts})


def only_change(criterion):
    assert criterion.shortfall is not None, f"{criterion.id} has no shortfall"
    assert len(criterion.shortfall.changes) == 1
    return criterion.shortfall.changes[0]


# --- the shipped program: every threshold, at it and just below -------------------------------

@pytest.mark.parametrize("tier, criterion, threshold", [
    ("alliance_partner", "sales_1m", 1_000_000),
    ("premier_certified", "sales_100k", 100_000),
    ("certified_partner", "sales_25k", 25_000),
])
@pytest.mark.parametrize("below, by", [(1, 1), (0.01, 0.01), (1000, 1000)])
def test_sales_shortfall_just_below_each_threshold(shipped, tier, criterion, threshold, below, by):
    sales = round(threshold - below, 2)
    # five referrals hold Premium Associate, so Certified Partner is the next tier when sales miss it
    decision = decide(shipped, annual_sales_usd=sales, referrals_this_year=5)
    change = only_change(decision.criterion(tier, criterion))
    assert (change.change, change.by, change.to, change.unit) == ("increase", by, threshold, "USD")
    assert change.operand.name == "annual_sales_usd" and change.actual == sales and not change.strict
    assert change.text == f"annual_sales_usd must rise by {by}, from {sales} to {threshold} USD"
    # the tier just missed is the next tier, and that is all it needs
    assert decision.next_tier.tier.id == tier
    needs = decision.to_dict()["next_tier"]["needs"]
    assert [n["criterion"] for n in needs] == [criterion]
    assert needs[0]["shortfall"]["changes"][0]["by"] == by


@pytest.mark.parametrize("tier, criterion, threshold", [
    ("alliance_partner", "sales_1m", 1_000_000),
    ("premier_certified", "sales_100k", 100_000),
    ("certified_partner", "sales_25k", 25_000),
])
def test_exactly_at_a_sales_threshold_there_is_no_shortfall(shipped, tier, criterion, threshold):
    decision = decide(shipped, annual_sales_usd=threshold, referrals_this_year=0)
    assert decision.tier.id == tier
    result = decision.criterion(tier, criterion)
    assert result.status == "met" and result.shortfall is None
    assert all(check.shortfall is None for check in result.checks)


@pytest.mark.parametrize("referrals, tier, criterion, by, to", [
    (4, "premium_associate", "referrals_5", 1, 5),
    (3, "premium_associate", "referrals_5", 2, 5),   # the example: 3 against >= 5
    (0, "associate_partner", "referrals_1", 1, 1),
])
def test_referral_shortfalls(shipped, referrals, tier, criterion, by, to):
    decision = decide(shipped, annual_sales_usd=0, referrals_this_year=referrals)
    change = only_change(decision.criterion(tier, criterion))
    assert (change.change, change.by, change.to, change.unit) == ("increase", by, to, "referrals")
    assert change.text == f"referrals_this_year must rise by {by}, from {referrals} to {to} referrals"
    assert decision.next_tier.tier.id == tier


@pytest.mark.parametrize("referrals", [5, 1])
def test_at_a_referral_threshold_there_is_no_shortfall(shipped, referrals):
    decision = decide(shipped, annual_sales_usd=0, referrals_this_year=referrals)
    tier = "premium_associate" if referrals == 5 else "associate_partner"
    assert decision.tier.id == tier
    assert decision.tier_result(tier).criteria[0].shortfall is None


def test_advisory_measure_shortfall_is_stated_on_the_fact(shipped):
    decision = decide(shipped, annual_sales_usd=150_000, regions=["ANZ"], countries=["AU", "NZ"])
    multi = only_change(decision.criterion("premier_certified", "multi_region"))
    assert (multi.operand.kind, multi.by, multi.to, multi.unit) == ("measure", 1, 2, "regions")
    assert multi.on_fact.to_dict() == {"fact": "regions", "change": "add", "by": 1, "to": 2, "unit": "items",
                                       "text": "regions must have 1 more item, 2 in all"}
    # two regions: met, nothing needed
    two = decide(shipped, annual_sales_usd=150_000, regions=["ANZ", "JAPAN"])
    assert two.criterion("premier_certified", "multi_region").shortfall is None
    # none: two more
    none = only_change(decide(shipped, annual_sales_usd=150_000, regions=[]).criterion(
        "premier_certified", "multi_region"))
    assert (none.by, none.on_fact.by, none.on_fact.text) == (2, 2, "regions must have 2 more items, 2 in all")


@pytest.mark.parametrize("countries, change, by, fact_change", [
    (["AU", "NZ"], "decrease", 1, "remove"),
    (["AU", "NZ", "SG"], "decrease", 2, "remove"),
    ([], "increase", 1, "add"),
])
def test_single_country_equality_shortfall(shipped, countries, change, by, fact_change):
    decision = decide(shipped, annual_sales_usd=30_000, countries=countries)
    single = only_change(decision.criterion("certified_partner", "single_country"))
    assert (single.op, single.change, single.by, single.to) == ("==", change, by, 1)
    assert (single.on_fact.fact, single.on_fact.change, single.on_fact.by) == ("countries", fact_change, by)


def test_missing_fact_names_the_fact_to_provide(shipped):
    decision = decide(shipped, referrals_this_year=4)  # no sales
    for tier, criterion in [("alliance_partner", "sales_1m"), ("premier_certified", "sales_100k"),
                            ("certified_partner", "sales_25k")]:
        change = only_change(decision.criterion(tier, criterion))
        assert (change.change, change.facts, change.actual) == ("provide", ("annual_sales_usd",), None)
        assert change.text.startswith("annual_sales_usd is missing: provide annual_sales_usd (needed: ")
    missing_measure = only_change(decision.criterion("premier_certified", "multi_region"))
    assert (missing_measure.change, missing_measure.facts) == ("provide", ("regions",))


def test_shortfalls_only_at_or_above_the_result(shipped):
    decision = decide(shipped, annual_sales_usd=150_000, referrals_this_year=0, regions=[], countries=["AU", "NZ"])
    assert decision.tier.id == "premier_certified"
    assert decision.criterion("alliance_partner", "sales_1m").shortfall is not None
    # below the result: not worth stating (certified_partner's advisory, associate tiers)
    assert decision.criterion("certified_partner", "single_country").shortfall is None
    assert decision.criterion("premium_associate", "referrals_5").shortfall is None
    assert decision.criterion("associate_partner", "referrals_1").shortfall is None


def test_next_tier_at_the_top_and_without_a_tier(shipped):
    top = decide(shipped, annual_sales_usd=2_000_000)
    assert top.next_tier is None and top.to_dict()["next_tier"] is None
    nothing = decide(shipped, annual_sales_usd=0, referrals_this_year=0)
    assert nothing.tier is None
    assert nothing.to_dict()["next_tier"]["id"] == "associate_partner"  # the lowest tier


def test_next_tier_of_an_overridden_partner_whose_criteria_hold():
    doc = json.loads((REPO / "policies" / "messagelabs-apac.json").read_text())
    doc["overrides"] = [{"id": "demoted", "description": "Demoted", "tier": "certified_partner",
                         "when": {"fact": "partner_id", "op": "==", "value": "X"}}]
    with Evaluator(load_policy(doc)) as evaluator:
        decision = evaluator.evaluate({"partner_id": "X", "annual_sales_usd": 200_000})
    assert decision.tier.id == "certified_partner"
    nxt = decision.to_dict()["next_tier"]
    assert (nxt["id"], nxt["status"], nxt["needs"]) == ("premier_certified", "met", [])


def test_decisions_with_shortfalls_follow_the_schema(shipped):
    schema = json.loads((REPO / "schemas" / "decision.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for record in SAMPLES.values():
        data = shipped.evaluate(record).to_dict()
        assert not list(validator.iter_errors(data)), record["partner_id"]
        assert data["input_sha256"] == input_sha256(record)


# --- every operator and combinator, on small policies ------------------------------------------

def one(condition, record, *, measures=None, as_of=_dt.date(2026, 1, 1)):
    doc = policy_with_condition(condition)
    doc["measures"].update(measures or {})
    with Evaluator(load_policy(doc), as_of=as_of) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", **record})
    return decision.criterion("t", "c")


def test_strict_bound_on_an_integer_moves_one_unit():
    change = only_change(one({"fact": "referrals", "op": ">", "value": 4}, {"referrals": 4}))
    assert (change.by, change.to, change.strict) == (1, 5, True)
    assert change.text == "referrals must exceed 4: rise by 1, from 4 to 5"
    below = only_change(one({"fact": "referrals", "op": "<", "value": 4}, {"referrals": 4}))
    assert (below.change, below.by, below.to) == ("decrease", 1, 3)
    assert one({"fact": "referrals", "op": ">", "value": 4}, {"referrals": 5}).shortfall is None


@pytest.mark.parametrize("actual, by, to, step", [
    (100, 0.01, 100.01, "0.01"),        # at the bound: one step of 0.01 past it
    (99.5, 0.51, 100.01, "0.01"),
    (99.999, 0.002, 100.001, "0.001"),  # a finer value written: a finer step
])
def test_strict_bound_on_a_number_moves_one_step(actual, by, to, step):
    change = only_change(one({"fact": "sales", "op": ">", "value": 100}, {"sales": actual}))
    assert (change.by, change.to, change.strict) == (by, to, True)
    assert change.text == f"sales must exceed 100: rise by {by}, from {actual} to {to} USD (smallest step {step})"


def test_between_moves_to_the_nearer_bound_and_not_between_leaves_the_range():
    above = only_change(one({"fact": "sales", "op": "between", "value": [10, 20]}, {"sales": 25}))
    assert (above.change, above.by, above.to) == ("decrease", 5, 20)
    below = only_change(one({"fact": "sales", "op": "between", "value": [10, 20]}, {"sales": 9}))
    assert (below.change, below.by, below.to) == ("increase", 1, 10)
    assert one({"fact": "sales", "op": "between", "value": [10, 20]}, {"sales": 20}).shortfall is None
    out = only_change(one({"not": {"fact": "sales", "op": "between", "value": [10, 20]}}, {"sales": 18}))
    assert (out.op, out.change, out.by, out.to) == ("not_between", "increase", 2.01, 20.01)


def test_not_is_pushed_down_to_the_comparison():
    change = only_change(one({"not": {"fact": "sales", "op": ">=", "value": 10}}, {"sales": 12}))
    assert (change.op, change.change, change.by, change.to) == ("<", "decrease", 2.01, 9.99)
    # not(any(a, b)) needs both a and b to fail
    criterion = one({"not": {"any": [{"fact": "regions", "op": "contains", "value": "NZ"},
                                     {"fact": "active", "op": "==", "value": False}]}},
                    {"regions": ["NZ", "AU"], "active": False})
    assert [(c.op, c.change) for c in criterion.shortfall.changes] == [("not_contains", "remove"), ("!=", "differ")]
    assert criterion.shortfall.text == 'regions must not include "NZ": remove it; and active must be other than false'


def test_all_lists_every_unmet_part_and_only_those():
    criterion = one({"all": [{"fact": "sales", "op": ">=", "value": 100}, {"fact": "referrals", "op": ">=", "value": 5},
                             {"fact": "country", "op": "==", "value": "AU"}, {"fact": "active", "op": "==", "value": True}]},
                    {"sales": 10, "referrals": 4, "country": "NZ", "active": True})
    assert [c.operand.name for c in criterion.shortfall.changes] == ["sales", "referrals", "country"]
    assert criterion.shortfall.changes[2].text == 'country must be "AU" (it is "NZ")'
    # each comparison in the shortfall carries its own change; the met one carries none
    assert [c.shortfall is not None for c in criterion.checks] == [True, True, True, False]


def test_any_takes_the_cheapest_branch_and_keeps_the_others():
    condition = {"any": [{"fact": "sales", "op": ">=", "value": 100}, {"fact": "referrals", "op": ">=", "value": 5}]}
    criterion = one(condition, {"sales": 10, "referrals": 4})  # 90% short of sales, 20% of referrals
    assert [c.operand.name for c in criterion.shortfall.changes] == ["referrals"]
    assert criterion.shortfall.alternatives == ["sales must rise by 90, from 10 to 100 USD"]
    criterion = one(condition, {"sales": 95, "referrals": 1})  # 5% against 80%
    assert [c.operand.name for c in criterion.shortfall.changes] == ["sales"]
    # equal relative gaps (50% each): the first branch in the policy
    sales_first = {"any": [{"fact": "sales", "op": ">=", "value": 100}, {"fact": "referrals", "op": ">=", "value": 10}]}
    referrals_first = {"any": list(reversed(sales_first["any"]))}
    assert one(sales_first, {"sales": 50, "referrals": 5}).shortfall.changes[0].operand.name == "sales"
    assert one(referrals_first, {"sales": 50, "referrals": 5}).shortfall.changes[0].operand.name == "referrals"


def test_any_prefers_a_numeric_gap_to_a_missing_branch_but_says_what_is_missing():
    condition = {"any": [{"fact": "sales", "op": ">=", "value": 100}, {"fact": "referrals", "op": ">=", "value": 5}]}
    criterion = one(condition, {"referrals": 4})
    assert criterion.status == "missing"
    assert [c.operand.name for c in criterion.shortfall.changes] == ["referrals"]
    assert criterion.shortfall.alternatives == [
        "sales is missing: provide sales (needed: sales >= 100)"]
    assert criterion.missing_facts == ["sales"]


@pytest.mark.parametrize("condition, record, change, text", [
    ({"fact": "country", "op": "in", "value": ["AU", "NZ"]}, {"country": "SG"}, "set",
     'country must be one of ["AU", "NZ"] (it is "SG")'),
    ({"fact": "country", "op": "not_in", "value": ["AU", "NZ"]}, {"country": "AU"}, "differ",
     'country must not be one of ["AU", "NZ"] (it is "AU")'),
    ({"fact": "country", "op": "!=", "value": "AU"}, {"country": "AU"}, "differ", 'country must be other than "AU"'),
    ({"fact": "active", "op": "==", "value": True}, {"active": False}, "set", "active must be true (it is false)"),
    ({"fact": "regions", "op": "contains", "value": "ANZ"}, {"regions": []}, "add", 'regions must include "ANZ": add it'),
])
def test_non_numeric_comparisons_get_a_plain_statement(condition, record, change, text):
    found = only_change(one(condition, record))
    assert (found.change, found.text) == (change, text)


def test_dates_move_in_days():
    change = only_change(one({"fact": "joined", "op": "<=", "value": "2024-01-01"}, {"joined": "2024-03-01"}))
    assert (change.change, change.by, change.unit) == ("decrease", 60, "days")
    assert change.to == _dt.date(2024, 1, 1)
    assert change.text == "joined must be 60 days earlier, from 2024-03-01 to 2024-01-01"
    strict = only_change(one({"fact": "joined", "op": ">", "value": "2024-01-01"}, {"joined": "2024-01-01"}))
    assert (strict.by, strict.to) == (1, _dt.date(2024, 1, 2))


POINTS = {"pts": {"description": "points", "unit": "points",
                  "compute": {"sum": [{"product": ["referrals", 10]}, 50]}}}
CAPPED = {"pts": {"description": "points", "unit": "points",
                  "compute": {"min": [{"ratio": ["sales", 1000]}, 500]}}}


def test_a_linear_measure_is_restated_on_its_fact():
    change = only_change(one({"measure": "pts", "op": ">=", "value": 600}, {"referrals": 20}, measures=POINTS))
    assert (change.by, change.to, change.unit) == (350, 600, "points")
    assert change.on_fact.to_dict() == {"fact": "referrals", "change": "increase", "by": 35, "to": 55,
                                        "text": "referrals must rise by 35, from 20 to 55"}
    # not a whole number of referrals: round up (10 * 56 + 50 = 610 >= 605)
    change = only_change(one({"measure": "pts", "op": ">=", "value": 605}, {"referrals": 20}, measures=POINTS))
    assert (change.on_fact.by, change.on_fact.to) == (36, 56)


def test_a_capped_measure_says_when_no_fact_value_reaches_it():
    reachable = only_change(one({"measure": "pts", "op": ">=", "value": 400}, {"sales": 20000}, measures=CAPPED))
    assert (reachable.on_fact.fact, reachable.on_fact.by, reachable.on_fact.to) == ("sales", 380000, 400000)
    capped = only_change(one({"measure": "pts", "op": ">=", "value": 600}, {"sales": 20000}, measures=CAPPED))
    assert capped.reachable is False and capped.on_fact.reachable is False
    assert capped.text.endswith("(not possible: no value of sales reaches it, it is capped at 500)")


def test_count_in_names_the_items_to_add():
    measures = {"apac": {"description": "APAC regions", "compute": {"count_in": {
        "list": "regions", "values": ["ANZ", "ASEAN", "JAPAN"]}}}}
    change = only_change(one({"measure": "apac", "op": ">=", "value": 2}, {"regions": ["ANZ", "EMEA"]},
                             measures=measures))
    assert change.on_fact.text == 'regions must include 1 more of ["ASEAN", "JAPAN"]'
    impossible = only_change(one({"measure": "apac", "op": ">=", "value": 4}, {"regions": ["ANZ"]},
                                 measures=measures))
    assert impossible.reachable is False


def test_days_since_is_restated_as_a_later_date():
    measures = {"age": {"description": "days since joining", "unit": "days", "compute": {"days_since": "joined"}}}
    change = only_change(one({"measure": "age", "op": "<=", "value": 365}, {"joined": "2024-06-01"},
                             measures=measures))
    assert (change.change, change.by, change.to) == ("decrease", 214, 365)
    assert (change.on_fact.change, change.on_fact.by, change.on_fact.to) == ("increase", 214, _dt.date(2025, 1, 1))


def test_missing_and_undefined_measures():
    missing = only_change(one({"measure": "region_count", "op": ">=", "value": 2}, {}))
    assert (missing.change, missing.facts) == ("provide", ("regions",))
    measures = {"r": {"description": "ratio", "compute": {"ratio": ["sales", "referrals"]}}}
    undefined = only_change(one({"measure": "r", "op": ">=", "value": 2}, {"sales": 1, "referrals": 0},
                                measures=measures))
    assert undefined.change == "undefined" and "zero denominator" in undefined.text


def test_a_change_beyond_the_facts_minimum_is_unreachable():
    change = only_change(one({"fact": "sales", "op": "<=", "value": -5}, {"sales": 3}))
    assert change.reachable is False
    assert change.text == "sales must fall by 8, from 3 to -5 USD (not possible: sales is at least 0)"


# --- narratives ------------------------------------------------------------------------------

def provenance(shipped_policy, partner_id):
    ref = shipped_policy.ref
    return (f"Provenance: policy {ref['id']} {ref['version']} (sha256 {ref['sha256']}); evaluator "
            f"{__import__('evaluator').__version__}; input sha256 {input_sha256(SAMPLES[partner_id])}")


def expected_text(shipped_policy):
    return {
        "AP-0007": [
            "AP-0007: Certified Partner (tier 3 of 5)",
            "Why: it meets every required criterion of Certified Partner, and no higher tier's.",
            "  Alliance Partner: not met",
            "    not met  sales_1m: annual_sales_usd is 99999; required annual_sales_usd >= 1000000",
            "  Premier Certified: not met",
            "    not met  sales_100k: annual_sales_usd is 99999; required annual_sales_usd >= 100000",
            "    not met  multi_region (advisory): region_count is 1; required region_count >= 2",
            "  Certified Partner: met",
            "    met      sales_25k: annual_sales_usd is 99999; required annual_sales_usd >= 25000",
            "    met      single_country (advisory): country_count is 1; required country_count == 1",
            "To reach Premier Certified (tier 2):",
            "  - sales_100k: annual_sales_usd must rise by 1, from 99999 to 100000 USD",
            "Advisory criteria not met: none",
            "Benefits: certification, back_end_support",
            provenance(shipped_policy, "AP-0007"),
        ],
        "AP-0006": [
            "AP-0006: Premier Certified (tier 2 of 5)",
            "Why: it meets every required criterion of Premier Certified, and no higher tier's.",
            "  Alliance Partner: not met",
            "    not met  sales_1m: annual_sales_usd is 100000; required annual_sales_usd >= 1000000",
            "  Premier Certified: met",
            "    met      sales_100k: annual_sales_usd is 100000; required annual_sales_usd >= 100000",
            "    not met  multi_region (advisory): region_count is 1; required region_count >= 2",
            "To reach Alliance Partner (tier 1):",
            "  - sales_1m: annual_sales_usd must rise by 900000, from 100000 to 1000000 USD",
            "Advisory criteria not met:",
            "  - multi_region (Usually works across multiple regions.): region_count must rise by 1, from 1 to 2 "
            "regions (regions must have 1 more item, 2 in all)",
            "Benefits: certification, back_end_support",
            provenance(shipped_policy, "AP-0006"),
        ],
        "AP-0016": [
            "AP-0016: Associate Partner (tier 5 of 5)",
            "Why: it meets every required criterion of Associate Partner, and no higher tier's (undecided for lack "
            "of data: Alliance Partner, Premier Certified, Certified Partner).",
            "  Alliance Partner: missing",
            "    missing  sales_1m: annual_sales_usd is absent (provide annual_sales_usd); required "
            "annual_sales_usd >= 1000000",
            "  Premier Certified: missing",
            "    missing  sales_100k: annual_sales_usd is absent (provide annual_sales_usd); required "
            "annual_sales_usd >= 100000",
            "    not met  multi_region (advisory): region_count is 0; required region_count >= 2",
            "  Certified Partner: missing",
            "    missing  sales_25k: annual_sales_usd is absent (provide annual_sales_usd); required "
            "annual_sales_usd >= 25000",
            "    met      single_country (advisory): country_count is 1; required country_count == 1",
            "  Premium Associate: not met",
            "    not met  referrals_5: referrals_this_year is 4; required referrals_this_year >= 5",
            "  Associate Partner: met",
            "    met      referrals_1: referrals_this_year is 4; required referrals_this_year >= 1",
            "To reach Premium Associate (tier 4):",
            "  - referrals_5: referrals_this_year must rise by 1, from 4 to 5 referrals",
            "Advisory criteria not met: none",
            "Benefits: referral_commission",
            "Payouts:",
            "  - Referral commission: 10% of referred business ($62,000.00) = $6,200.00 a year",
            provenance(shipped_policy, "AP-0016"),
        ],
        "AP-0001": [
            "AP-0001: Alliance Partner (tier 1 of 5)",
            "Why: it meets every required criterion of Alliance Partner, the highest tier.",
            "  Alliance Partner: met",
            "    met      sales_1m: annual_sales_usd is 4850000; required annual_sales_usd >= 1000000",
            "Alliance Partner is the highest tier.",
            "Advisory criteria not met: none",
            "Benefits: certification, back_end_support",
            provenance(shipped_policy, "AP-0001"),
        ],
    }


def test_explain_text_line_by_line(cli, shipped_policy):
    proc = cli("explain", "--partner", "AP-0016", "--partner", "AP-0001", "--partner", "AP-0007",
               "--partner", "AP-0006", str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 0, proc.stderr_text
    expected = expected_text(shipped_policy)
    # one narrative per partner, in input order, separated by a blank line
    blocks = proc.stdout_text.split("\n\n")
    assert [b.splitlines()[0].split(":")[0] for b in blocks] == ["AP-0001", "AP-0006", "AP-0007", "AP-0016"]
    for block in blocks:
        lines = block.rstrip("\n").splitlines()
        assert lines == expected[lines[0].split(":")[0]]


def test_explain_a_partner_with_no_tier_in_markdown(cli, shipped_policy):
    proc = cli("explain", "--partner", "AP-0018", "--format", "markdown", str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0, proc.stderr_text
    lines = proc.stdout_text.splitlines()
    assert lines[:5] == ["### AP-0018: no tier", "", "**Why:** no tier has every required criterion met.", "",
                         "| tier | criterion | status | actual | required |"]
    assert "| Premier Certified | multi_region (advisory) | not met | region_count is 1 | `region_count >= 2` |" in lines
    assert lines[lines.index("**To reach Associate Partner (tier 5):**") + 2] == (
        "- referrals_1: referrals_this_year must rise by 1, from 0 to 1 referrals")
    assert not any(line.startswith("**Advisory") for line in lines)  # no tier held: nothing advisory to say
    assert lines[-1].startswith(f"<sub>policy messagelabs-apac {shipped_policy.version} (sha256 ")


def test_explain_json_is_the_full_decision_with_shortfalls(cli):
    proc = cli("explain", "--format", "json", "--partner", "AP-0011", str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 0, proc.stderr_text
    (decision,) = json.loads(proc.stdout_text)
    assert decision["tier"]["id"] == "associate_partner"
    need = decision["next_tier"]["needs"][0]
    assert need["criterion"] == "referrals_5"
    change = need["shortfall"]["changes"][0]
    assert (change["change"], change["actual"], change["by"], change["to"]) == ("increase", 4, 1, 5)
    sales = decision["tiers"][2]["criteria"][0]
    assert sales["shortfall"]["changes"][0]["by"] == 1  # 24999 against 25000
    assert sales["checks"][0]["shortfall"]["by"] == 1


def test_explain_an_unknown_partner_is_a_usage_error(cli):
    proc = cli("explain", "--partner", "AP-9999", str(EXAMPLES / "partners.jsonl"))
    assert proc.returncode == 2
    assert "no partner AP-9999" in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_explain_an_invalid_record_from_stdin(cli):
    records = '{"partner_id": "A", "annual_sales_usd": "lots"}\n{"partner_id": "B", "annual_sales_usd": 30000}\n'
    proc = cli("explain", "-", input=records)
    assert proc.returncode == 1
    blocks = proc.stdout_text.split("\n\n")
    assert blocks[0].startswith("A: invalid record: <stdin>: line 1: 'annual_sales_usd' must be a number "
                                "(at /annual_sales_usd)")
    assert blocks[1].startswith("B: Certified Partner (tier 3 of 5)\n")
    assert "1 record(s) invalid" in proc.stderr_text


def test_renderers_escape_markdown_and_agree_on_content(shipped):
    decision = shipped.evaluate(SAMPLES["AP-0013"])
    text, markdown = render_text(decision), render_markdown(decision)
    for fragment in ("annual_sales_usd must rise by 12000, from 88000 to 100000 USD", "Certified Partner"):
        assert fragment in text and fragment in markdown
    doc = policy_with_condition({"fact": "country", "op": "==", "value": "A|B"})
    with Evaluator(load_policy(doc)) as evaluator:
        odd = evaluator.evaluate({"partner_id": "p|q", "country": "C"})
    assert "### p\\|q: no tier" in render_markdown(odd)
    assert '`country == "A\\|B"`' in render_markdown(odd)


def test_shortfalls_are_reproducible(shipped_policy):
    with Evaluator(shipped_policy) as a, Evaluator(shipped_policy) as b:
        for record in SAMPLES.values():
            assert json.dumps(a.evaluate(record).to_dict()) == json.dumps(b.evaluate(record).to_dict())


def test_a_date_beyond_the_calendar_is_unreachable():
    change = only_change(one({"fact": "joined", "op": "<", "value": "0001-01-01"}, {"joined": "0001-01-01"}))
    assert (change.change, change.reachable, change.by, change.to) == ("decrease", False, None, None)
    assert change.text == "joined must be before 0001-01-01: no date is"
    # not between: the side that exists is chosen
    out = only_change(one({"not": {"fact": "joined", "op": "between", "value": ["0001-01-01", "0001-01-05"]}},
                          {"joined": "0001-01-02"}))
    assert (out.change, out.to, out.reachable) == ("increase", _dt.date(1, 1, 6), True)
