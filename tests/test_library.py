"""The library API as services embed it: load_policy, Evaluator, Decision, evaluate_many,
fact coercion, overrides, and the JSON form of decisions."""
from __future__ import annotations

import json

import jsonschema
import pytest

from evaluator import Decision, Evaluator, InvalidRecord, RecordError, load_policy

from conftest import REPO, SHIPPED, base_policy

DECISION = jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / "decision.schema.json").read_text()))


def test_the_documented_api():
    evaluator = Evaluator(load_policy(str(SHIPPED)))
    try:
        decision = evaluator.evaluate({"partner_id": "P1", "annual_sales_usd": 100000, "regions": ["ANZ"]})
        assert isinstance(decision, Decision)
        assert (decision.tier.id, decision.tier.name) == ("premier_certified", "Premier Certified")
        assert decision.criterion("premier_certified", "multi_region").status == "not_met"
        DECISION.validate(decision.to_dict())
        results = list(evaluator.evaluate_many([{"partner_id": "a", "referrals_this_year": 5}, {"nope": 1}]))
        assert [type(r) for r in results] == [Decision, InvalidRecord]
        assert results[0].source == {"index": 1} and results[1].source == {"index": 2}
        DECISION.validate(results[1].to_dict())
    finally:
        evaluator.close()


def test_evaluate_raises_for_an_invalid_record(shipped):
    with pytest.raises(RecordError) as info:
        shipped.evaluate({"partner_id": "p", "annual_sales_usd": -1, "regions": "ANZ", "countries": ["au"]})
    assert [f.pointer for f in info.value.findings] == ["/annual_sales_usd", "/regions", "/countries"]
    with pytest.raises(RecordError, match="must be an object"):
        shipped.evaluate(["not", "a", "record"])


def test_every_record_comes_out_once_in_order(shipped):
    records = [{"partner_id": f"p{i}", "annual_sales_usd": i * 10_000 if i % 3 else "bad"} for i in range(60)]
    results = list(shipped.evaluate_many(records))
    assert [r.partner_id for r in results] == [f"p{i}" for i in range(60)]
    assert [r.ok for r in results] == [bool(i % 3) for i in range(60)]


def test_same_policy_and_facts_give_the_same_decision(shipped_policy):
    record = {"partner_id": "p", "annual_sales_usd": 123456.78, "regions": ["ANZ", "JAPAN"], "countries": ["AU"]}
    with Evaluator(shipped_policy) as a, Evaluator(load_policy(SHIPPED)) as b:
        assert json.dumps(a.evaluate(record).to_dict()) == json.dumps(b.evaluate(record).to_dict())
        assert a.evaluate(record).policy == {"id": "messagelabs-apac", "version": "1.0.0",
                                              "sha256": shipped_policy.sha256}


def test_unknown_fields_are_ignored_and_null_is_missing(shipped):
    decision = shipped.evaluate({"partner_id": "p", "annual_sales_usd": None, "crm_owner": "Jo", "referrals_this_year": 2})
    assert decision.tier.id == "associate_partner"
    assert decision.criterion("alliance_partner", "sales_1m").status == "missing"


def test_defaults_and_required_facts():
    doc = base_policy()
    doc["facts"]["referrals"]["default"] = 0
    doc["facts"]["country"]["required"] = True
    doc["tiers"] = [{"id": "t", "name": "T", "criteria": [
        {"id": "c", "description": "c", "condition": {"fact": "referrals", "op": "==", "value": 0}}]}]
    with Evaluator(load_policy(doc)) as evaluator:
        assert evaluator.evaluate({"partner_id": "p", "country": "AU"}).criterion("t", "c").status == "met"
        with pytest.raises(RecordError, match="required fact 'country' is missing"):
            evaluator.evaluate({"partner_id": "p"})


@pytest.mark.parametrize("fact, text, value", [
    ("sales", "1500.50", 1500.5), ("sales", " 7 ", 7), ("sales", "1e3", 1000.0), ("referrals", "5", 5),
    ("referrals", "5.0", 5), ("active", "yes", True), ("active", "FALSE", False), ("active", "1", True),
    ("joined", "2026-02-28", "2026-02-28"), ("regions", "A; B ;", ["A", "B"]), ("country", " AU ", " AU "),
])
def test_csv_cells_are_parsed_by_fact_type(fact, text, value):
    from evaluator.language.facts import coerce_record
    facts, findings = coerce_record(load_policy(base_policy()), {"partner_id": "p", fact: text}, from_text=True)
    assert findings == []
    got = facts[fact]
    assert (got.isoformat() if fact == "joined" else got) == value


@pytest.mark.parametrize("fact, text, message", [
    ("sales", "1,000", "must be a number"), ("sales", "1_000", "must be a number"), ("sales", "nan", "must be a number"),
    ("sales", "inf", "must be a number"), ("referrals", "2.5", "must be an integer"), ("active", "maybe", "true or false"),
    ("joined", "2026-02-30", "not a real date"), ("joined", "28/02/2026", "must be a date"),
])
def test_bad_csv_cells(fact, text, message):
    from evaluator.language.facts import coerce_record
    _, findings = coerce_record(load_policy(base_policy()), {"partner_id": "p", fact: text}, from_text=True)
    assert len(findings) == 1 and message in findings[0].message and findings[0].pointer == f"/{fact}"


def test_enum_pattern_and_max_items(shipped):
    with pytest.raises(RecordError, match="not an allowed value"):
        shipped.evaluate({"partner_id": "p", "regions": ["MARS"]})
    with pytest.raises(RecordError, match="does not match the pattern"):
        shipped.evaluate({"partner_id": "p", "countries": ["Australia"]})
    with pytest.raises(RecordError, match="does not match the pattern"):
        shipped.evaluate({"partner_id": "p q"})


def test_overrides_set_the_tier_first_match_wins():
    doc = base_policy(overrides=[
        {"id": "blocked", "description": "Blocked partners get no tier",
         "when": {"fact": "active", "op": "==", "value": False}, "tier": None},
        {"id": "strategic", "description": "Strategic partners are Gold",
         "when": {"fact": "partner_id", "op": "in", "value": ["S1", "S2"]}, "tier": "gold"},
    ])
    with Evaluator(load_policy(doc)) as evaluator:
        d = evaluator.evaluate({"partner_id": "S1", "sales": 1})
        assert d.tier.id == "gold" and d.override.id == "strategic"
        assert d.tier_result("gold").status == "not_met"  # criteria still evaluated and reported
        d = evaluator.evaluate({"partner_id": "S2", "sales": 500, "active": False})
        assert d.tier is None and d.override.id == "blocked"
        d = evaluator.evaluate({"partner_id": "X", "sales": 50})
        assert d.tier.id == "silver" and d.override is None
        assert d.to_dict()["overrides"] == [{"id": "blocked", "status": "missing"},
                                            {"id": "strategic", "status": "not_met"}]
        DECISION.validate(d.to_dict())


def test_a_tier_with_no_required_criteria_is_met_by_everyone():
    doc = base_policy()
    doc["tiers"].append({"id": "member", "name": "Member", "criteria": [
        {"id": "note", "advisory": True, "description": "n", "condition": {"fact": "sales", "op": ">", "value": 0}}]})
    with Evaluator(load_policy(doc)) as evaluator:
        d = evaluator.evaluate({"partner_id": "p"})
        assert d.tier.id == "member"
        assert d.criterion("member", "note").status == "missing"


def test_id_fact_names_the_partner():
    doc = base_policy(id_fact="code")
    doc["facts"]["code"] = {"type": "string", "description": "code"}
    with Evaluator(load_policy(doc)) as evaluator:
        assert evaluator.evaluate({"code": "C-9", "partner_id": "p"}).partner_id == "C-9"


def test_decision_round_trips_through_json(shipped):
    d = shipped.evaluate({"partner_id": "p", "annual_sales_usd": 25000, "countries": ["AU"]})
    data = json.loads(json.dumps(d.to_dict()))
    DECISION.validate(data)
    assert data["tier"] == {"id": "certified_partner", "name": "Certified Partner", "rank": 3}
    assert data["measures"] == {"region_count": None, "country_count": 1}


def test_partner_id_as_a_decision_names_it():
    from types import SimpleNamespace
    from evaluator.model.decision import partner_id

    class Text(str):
        pass
    policy = SimpleNamespace(id_fact="id")
    assert partner_id(policy, {"id": "P-1"}) == "P-1"
    named = partner_id(policy, {"id": Text("P-2")})
    assert named == "P-2" and named.__class__ is str   # a str subclass is named as a plain str
    assert partner_id(policy, {"id": 7}) == "7"
    assert [partner_id(policy, r) for r in ({"id": True}, {"id": 1.5}, {"id": None}, {}, ["P-1"])] == [None] * 5
