"""The shipped MessageLabs program: every tier boundary (at, one below), ranking, advisory
criteria, missing facts, benefits, and the shipped sample partners."""
from __future__ import annotations

import json

import pytest

from evaluator import Evaluator, load_policy

from conftest import EXAMPLES, SHIPPED


def tier_of(shipped, **facts):
    decision = shipped.evaluate({"partner_id": "p", **facts})
    return decision.tier.name if decision.tier else None


def test_tier_names_and_order(shipped_policy):
    assert [t.name for t in shipped_policy.tiers] == [
        "Alliance Partner", "Premier Certified", "Certified Partner", "Premium Associate", "Associate Partner"]
    assert [t.rank for t in shipped_policy.tiers] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("sales, tier", [
    (1_000_000, "Alliance Partner"),          # exactly the threshold
    (999_999.99, "Premier Certified"),        # one cent below
    (999_999, "Premier Certified"),           # one dollar below
    (5_000_000, "Alliance Partner"),
    (100_000, "Premier Certified"),
    (99_999.99, "Certified Partner"),
    (99_999, "Certified Partner"),
    (25_000, "Certified Partner"),
    (24_999.99, None),
    (24_999, None),
    (0, None),
])
def test_sales_boundaries(shipped, sales, tier):
    assert tier_of(shipped, annual_sales_usd=sales, referrals_this_year=0) == tier


@pytest.mark.parametrize("referrals, tier", [
    (5, "Premium Associate"), (4, "Associate Partner"), (6, "Premium Associate"),
    (1, "Associate Partner"), (0, None),
])
def test_referral_boundaries(shipped, referrals, tier):
    assert tier_of(shipped, annual_sales_usd=0, referrals_this_year=referrals) == tier


def test_the_highest_ranked_tier_wins(shipped):
    # Certified Partner ranks above Premium Associate.
    assert tier_of(shipped, annual_sales_usd=30_000, referrals_this_year=10) == "Certified Partner"
    assert tier_of(shipped, annual_sales_usd=20_000, referrals_this_year=10) == "Premium Associate"


def test_advisory_criteria_are_reported_but_do_not_decide(shipped):
    decision = shipped.evaluate({"partner_id": "p", "annual_sales_usd": 150_000, "regions": ["ANZ"],
                                 "countries": ["AU", "NZ"]})
    assert decision.tier.id == "premier_certified"
    multi = decision.criterion("premier_certified", "multi_region")
    assert multi.advisory and multi.status == "not_met" and multi.actual == {"region_count": 1}
    single = decision.criterion("certified_partner", "single_country")
    assert single.advisory and single.status == "not_met"
    decision = shipped.evaluate({"partner_id": "p", "annual_sales_usd": 150_000, "regions": ["ANZ", "ASEAN"]})
    assert decision.criterion("premier_certified", "multi_region").status == "met"


def test_missing_facts(shipped):
    decision = shipped.evaluate({"partner_id": "p"})
    assert decision.tier is None
    assert {t.tier.id: t.status for t in decision.tiers} == {
        "alliance_partner": "missing", "premier_certified": "missing", "certified_partner": "missing",
        "premium_associate": "missing", "associate_partner": "missing"}
    sales = decision.criterion("alliance_partner", "sales_1m")
    assert sales.status == "missing" and sales.missing_facts == ["annual_sales_usd"]
    assert sales.actual == {"annual_sales_usd": None}
    # sales alone decides the sales tiers; referrals stay missing
    decision = shipped.evaluate({"partner_id": "p", "annual_sales_usd": 30_000})
    assert decision.tier.id == "certified_partner"
    assert decision.tier_result("premium_associate").status == "missing"
    # missing sales do not stop a referral tier
    decision = shipped.evaluate({"partner_id": "p", "referrals_this_year": 3})
    assert decision.tier.id == "associate_partner"
    assert decision.tier_result("alliance_partner").status == "missing"


def test_benefits_are_carried_into_the_decision(shipped):
    decision = shipped.evaluate({"partner_id": "p", "referrals_this_year": 6})
    benefits = {b["id"]: b for b in decision.to_dict()["benefits"]}
    assert benefits["recurring_revenue_share"] == {
        "id": "recurring_revenue_share", "name": "Recurring-revenue share",
        "description": "From the sixth contract, the partner may choose a monthly percentage of recurring "
                       "revenue instead of the referral commission (illustrative rate).",
        # a decision holds the parameters' values (the policy's sha256 names the document as written)
        "amount": {"percent": 5, "of": "monthly_recurring_revenue_usd"}, "period": "monthly", "from_contract": 6,
        "contracts": "contracts_signed", "opt_in": True}
    assert benefits["referral_commission"]["amount"]["of"] == "referred_business_usd"
    assert shipped.evaluate({"partner_id": "p"}).to_dict()["benefits"] == []


def test_the_premium_associate_of_the_issue_is_paid_both_amounts_shown(shipped):
    # 8 contracts, $150,000 referred, $4,000 a month of recurring revenue, no choice recorded
    decision = shipped.evaluate({"partner_id": "p", "referrals_this_year": 5, "contracts_signed": 8,
                                 "referred_business_usd": 150000, "monthly_recurring_revenue_usd": 4000})
    assert decision.tier.id == "premium_associate"
    paid = {p["benefit"]: p for p in decision.to_dict()["payouts"]}
    assert paid["referral_commission"]["status"] == "paid"
    assert paid["referral_commission"]["amount"] == "15000.00"
    assert paid["referral_commission"]["period"] == "annual"
    assert paid["referral_commission"]["choice"] == {"id": "referral_payment", "chosen_by": "default"}
    assert paid["recurring_revenue_share"]["status"] == "alternative"
    assert (paid["recurring_revenue_share"]["amount"], paid["recurring_revenue_share"]["annual"]) == ("200.00", "2400.00")
    assert paid["referral_commission"]["text"] == \
        "Referral commission: 10% of referred business ($150,000.00) = $15,000.00 a year"


@pytest.mark.parametrize("contracts, status", [(5, "not_open"), (6, "paid")])
def test_the_recurring_share_opens_at_the_sixth_contract(shipped, contracts, status):
    decision = shipped.evaluate({"partner_id": "p", "referrals_this_year": 5, "contracts_signed": contracts,
                                 "referred_business_usd": 150000, "monthly_recurring_revenue_usd": 4000,
                                 "referral_payment_choice": "recurring_revenue_share"})
    paid = {p.benefit: p for p in decision.payouts}
    assert paid["recurring_revenue_share"].status == status
    assert paid["referral_commission"].status == ("paid" if status == "not_open" else "alternative")
    if status == "not_open":
        assert paid["referral_commission"].note is not None and "not open" in paid["referral_commission"].note


EXPECTED_SAMPLE = {
    "AP-0001": "alliance_partner", "AP-0002": "alliance_partner", "AP-0003": "alliance_partner",
    "AP-0004": "premier_certified", "AP-0005": "premier_certified", "AP-0006": "premier_certified",
    "AP-0007": "certified_partner", "AP-0008": "premier_certified", "AP-0009": "premier_certified",
    "AP-0010": "certified_partner", "AP-0011": "associate_partner", "AP-0012": "certified_partner",
    "AP-0013": "certified_partner", "AP-0014": "certified_partner", "AP-0015": "premium_associate",
    "AP-0016": "associate_partner", "AP-0017": "associate_partner", "AP-0018": None, "AP-0019": None,
    "AP-0020": "premier_certified", "AP-0021": "alliance_partner", "AP-0022": "certified_partner",
    "AP-0023": None, "AP-0024": "premier_certified", "AP-0025": "premier_certified",
}


def test_shipped_sample_partners(shipped):
    from evaluator.load.records import records_from_path
    for name in ("partners.jsonl", "partners.csv"):
        results = list(shipped.evaluate_many(records_from_path(str(EXAMPLES / name))))
        assert all(r.ok for r in results), [r.message for r in results if not r.ok]
        assert {r.partner_id: (r.tier.id if r.tier else None) for r in results} == EXPECTED_SAMPLE
        assert [r.partner_id for r in results] == sorted(EXPECTED_SAMPLE)  # input order kept


def test_the_shipped_policy_is_the_default():
    from evaluator import default_policy
    assert default_policy().sha256 == load_policy(SHIPPED).sha256


def test_shipped_facts_schema_matches_the_policy(shipped_policy):
    from evaluator.language.facts import facts_schema
    on_disk = json.loads((SHIPPED.parent.parent / "schemas" / "partner-facts.schema.json").read_text())
    assert on_disk == facts_schema(shipped_policy), "regenerate with: evaluator schema facts > schemas/partner-facts.schema.json"


def test_sample_partners_validate_against_the_facts_schema(shipped_policy):
    import jsonschema
    from evaluator.language.facts import facts_schema
    validator = jsonschema.Draft202012Validator(facts_schema(shipped_policy))
    for line in (EXAMPLES / "partners.jsonl").read_text().splitlines():
        validator.validate(json.loads(line))


def test_a_new_policy_version_is_a_data_edit(tmp_path):
    # Raising the Certified threshold is one edit to the JSON: no code changes.
    doc = json.loads(SHIPPED.read_text())
    doc["version"] = "1.1.0"
    doc["tiers"][2]["criteria"][0]["condition"]["value"] = 30000
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    with Evaluator(load_policy(path)) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "annual_sales_usd": 25_000})
    assert decision.tier is None
    assert decision.policy["version"] == "1.1.0"
