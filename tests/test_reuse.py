"""Reuse in a policy: parameters, named conditions and values per segment (model/definitions.py).

Tested at and around every threshold a lookup gives, with the segment listed, unlisted (with and
without a default) and absent; the same decisions on the plain and the cached paths, the template
writer's bytes equal the json module's; unknown names, cycles and misused parameters are located
errors with did-you-mean; lint's warnings; explanations naming what they use; the CLI.
"""
from __future__ import annotations

import json

import pytest

from evaluator import Evaluator, PolicyError, load_policy
from evaluator.fast.template import jsonl_line
from evaluator.output.writers import _dumps
from evaluator.validate.lint import lint_findings

import reference
from conftest import base_policy, run_cli, write_json

EMERGING = ["VN", "PH", "KH"]


def segment_policy(**changes):
    """Gold needs 600 points, 400 in emerging markets; Silver 200; both need the scope."""
    doc = base_policy(
        parameters={
            "gold_points": {"description": "Gold", "value": 600},
            "gold_points_emerging": {"description": "Gold, emerging markets", "value": 400},
            "scope": {"description": "countries covered", "value": ["AU", "NZ", *EMERGING]},
            "per_referral": {"description": "points per referral", "value": 10},
        },
        conditions={
            "in_scope": {"description": "covered", "condition": {"fact": "country", "op": "in", "value": {"param": "scope"}}},
            "active_in_scope": {"description": "active and covered",
                                "condition": {"all": [{"ref": "in_scope"}, {"fact": "active", "op": "==", "value": True}]}},
        },
        measures={"points": {"description": "points", "unit": "points",
                             "compute": {"product": ["referrals", {"param": "per_referral"}]}}},
        tiers=[
            {"id": "gold", "name": "Gold", "criteria": [
                {"id": "points", "description": "points", "condition": {"measure": "points", "op": ">=", "value": {
                    "lookup": {"fact": "country", "values": {c: {"param": "gold_points_emerging"} for c in EMERGING},
                               "default": {"param": "gold_points"}}}}},
                {"id": "scope", "description": "scope", "condition": {"ref": "active_in_scope"}}],
             "benefits": [{"id": "rebate", "description": "rebate", "value": {"param": "per_referral"}, "unit": "percent"}]},
            {"id": "silver", "name": "Silver", "criteria": [
                {"id": "points", "description": "points", "condition": {"measure": "points", "op": ">=", "value": 200}},
                {"id": "scope", "description": "scope", "condition": {"ref": "in_scope"}}]},
        ])
    doc.update(changes)
    return doc


def decide_all(doc, records):
    """Decisions on the plain and the cached path, held byte-identical (and to the template), and
    held to the reference evaluator."""
    policy = load_policy(doc)
    with Evaluator(policy, cache_size=0) as plain, Evaluator(policy) as cached:
        out = []
        for record in records:
            record = {"partner_id": "p", **record}
            a, b = plain.evaluate(record), cached.evaluate(record)
            line = _dumps(a.to_dict())
            assert _dumps(b.to_dict()) == line
            assert jsonl_line(b) in (None, line)
            expected = reference.decide(doc, record, cached.as_of)
            assert {(t.tier.id, c.id): c.status for t in a.tiers for c in t.criteria} == expected.criteria
            assert (a.tier.id if a.tier else None) == expected.tier
            out.append(a)
        return out


@pytest.mark.parametrize("country, referrals, tier", [
    ("VN", 40, "gold"), ("VN", 39, "silver"),          # the emerging-market threshold: at it, one step below
    ("AU", 60, "gold"), ("AU", 59, "silver"),          # the default threshold
    ("NZ", 40, "silver"),                              # 400 points is not Gold outside the emerging markets
    ("AU", 20, "silver"), ("AU", 19, None),            # Silver's constant
    ("US", 100, None),                                 # out of scope
])
def test_a_threshold_per_segment_at_and_around_each_value(country, referrals, tier):
    (decision,) = decide_all(segment_policy(), [{"country": country, "referrals": referrals, "active": True}])
    assert (decision.tier.id if decision.tier else None) == tier


def test_an_absent_segment_decides_only_when_every_threshold_agrees():
    decisions = decide_all(segment_policy(), [{"referrals": 60, "active": True}, {"referrals": 39, "active": True},
                                              {"referrals": 45, "active": True}])
    assert [d.criterion("gold", "points").status for d in decisions] == ["met", "not_met", "missing"]


def test_without_a_default_an_unlisted_segment_never_meets_the_lookup():
    doc = segment_policy()
    del doc["tiers"][0]["criteria"][0]["condition"]["value"]["lookup"]["default"]
    decisions = decide_all(doc, [{"country": "AU", "referrals": 1000, "active": True},
                                 {"country": "VN", "referrals": 40, "active": True},
                                 {"referrals": 1000, "active": True}])
    assert [d.criterion("gold", "points").status for d in decisions] == ["not_met", "met", "missing"]
    warnings = [f for f in lint_findings(load_policy(doc)) if f.check == "lookup_default"]
    assert len(warnings) == 1 and warnings[0].pointer == "/tiers/0/criteria/0/condition/value/lookup"


def test_parameters_are_their_values_everywhere_they_are_written():
    policy = load_policy(segment_policy())
    with Evaluator(policy) as evaluator:
        decision = evaluator.evaluate({"partner_id": "p", "country": "VN", "referrals": 40, "active": True})
    assert decision.measures["points"] == 400
    assert decision.tier.id == "gold" and decision.to_dict()["benefits"][0]["value"] == 10
    assert policy.parameters["scope"].value == ["AU", "NZ", *EMERGING]
    # the sha256 is of the policy as written, so a change to a parameter is a new policy
    changed = segment_policy()
    changed["parameters"]["per_referral"]["value"] = 11
    assert load_policy(changed).sha256 != policy.sha256


def test_a_named_condition_is_one_test_however_many_criteria_use_it():
    doc = segment_policy()
    decisions = decide_all(doc, [{"country": "AU", "referrals": 60, "active": False},
                                 {"country": "US", "referrals": 60, "active": True},
                                 {"referrals": 60, "active": True}])
    assert [d.criterion("gold", "scope").status for d in decisions] == ["not_met", "not_met", "missing"]
    assert [d.criterion("silver", "scope").status for d in decisions] == ["met", "not_met", "missing"]
    checks = decisions[0].to_dict()["tiers"][0]["criteria"][1]["checks"]
    assert [c["pointer"] for c in checks] == ["/conditions/in_scope/condition", "/conditions/active_in_scope/condition/all/1"]


def test_requirements_name_the_named_conditions_and_show_the_segments():
    (decision,) = decide_all(segment_policy(), [{"country": "AU", "referrals": 50, "active": True}])
    gold = decision.to_dict()["tiers"][0]["criteria"]
    assert gold[0]["required"] == 'points >= 400 if country in ["VN", "PH", "KH"], else 600'
    assert gold[1]["required"] == 'active_in_scope (all(in_scope (country in ["AU", "NZ", "VN", "PH", "KH"]), active == true))'
    # the shortfall is the partner's own segment's, and says which threshold that is
    assert decision.criterion("gold", "points").shortfall.text == \
        'for country "AU", the requirement is points >= 600: points must rise by 100, from 500 to 600 points'


def _errors(doc):
    with pytest.raises(PolicyError) as info:
        load_policy(doc)
    return [(f.pointer, f.message) for f in info.value.findings if f.severity == "error"]


def test_unknown_names_are_located_with_did_you_mean():
    doc = segment_policy()
    doc["tiers"][1]["criteria"][1]["condition"] = {"ref": "in_scpoe"}
    doc["tiers"][1]["criteria"][0]["condition"]["value"] = {"param": "gold_point"}
    assert _errors(doc) == [
        ("/tiers/1/criteria/0/condition/value/param", "unknown parameter 'gold_point'; did you mean 'gold_points'?"),
        ("/tiers/1/criteria/1/condition/ref", "unknown named condition 'in_scpoe'; did you mean 'in_scope'?"),
    ]


def test_a_cycle_of_named_conditions_is_an_error():
    doc = segment_policy()
    doc["conditions"]["in_scope"]["condition"] = {"any": [{"ref": "active_in_scope"}, {"fact": "active", "op": "==", "value": True}]}
    assert _errors(doc) == [("/conditions/active_in_scope/condition",
                             "named conditions refer to each other in a cycle: in_scope -> active_in_scope -> in_scope")]
    doc["conditions"]["in_scope"]["condition"] = {"ref": "in_scope"}
    assert _errors(doc) == [("/conditions/in_scope/condition", "named conditions refer to each other in a cycle: in_scope -> in_scope")]


def test_parameters_that_do_not_fit_where_they_are_used():
    doc = segment_policy()
    doc["measures"]["points"]["compute"] = {"product": ["referrals", {"param": "scope"}]}
    assert _errors(doc) == [("/measures/points/compute/product/1/param",
                             "parameter 'scope' is used in a formula but is not a number")]
    doc = segment_policy()
    doc["tiers"][1]["criteria"][0]["condition"]["value"] = {"param": "scope"}
    (error,) = _errors(doc)
    assert error[0] == "/tiers/1/criteria/0/condition/value" and "'points' >=" in error[1]


def test_a_lookup_reads_a_string_fact_of_the_catalogue():
    doc = segment_policy()
    doc["tiers"][0]["criteria"][0]["condition"]["value"]["lookup"]["fact"] = "referrals"
    assert _errors(doc) == [("/tiers/0/criteria/0/condition/value/lookup/fact",
                             "a lookup reads a string fact; 'referrals' is a integer fact")]
    doc["tiers"][0]["criteria"][0]["condition"]["value"]["lookup"]["fact"] = "contry"
    assert _errors(doc) == [("/tiers/0/criteria/0/condition/value/lookup/fact",
                             "lookup of unknown fact 'contry'; did you mean 'country'?")]


def test_a_lookup_value_that_does_not_fit_the_operator_is_located_at_it():
    doc = segment_policy()
    doc["tiers"][0]["criteria"][0]["condition"]["value"]["lookup"]["values"]["PH"] = "many"
    (error,) = _errors(doc)
    assert error[0].startswith("/tiers/0/criteria/0/condition/value/lookup/values/PH")


def test_unused_parameters_and_named_conditions_are_warnings():
    doc = segment_policy()
    doc["parameters"]["spare"] = {"description": "unused", "value": 1}
    doc["conditions"]["spare_condition"] = {"description": "unused", "condition": {"fact": "active", "op": "==", "value": True}}
    found = {(f.pointer, f.message) for f in lint_findings(load_policy(doc)) if f.check == "unused"}
    assert found == {("/parameters/spare", "parameter 'spare' is never used"),
                     ("/conditions/spare_condition", "named condition 'spare_condition' is never used")}
    assert not [f for f in lint_findings(load_policy(segment_policy())) if f.check in ("unused", "contradictions")]


def test_an_unused_named_condition_is_still_checked():
    doc = segment_policy()
    doc["conditions"]["spare"] = {"description": "x", "condition": {"fact": "sale", "op": ">=", "value": 1}}
    assert _errors(doc) == [("/conditions/spare/condition/fact", "unknown fact 'sale'; did you mean 'sales'?")]


def test_the_cli_locates_an_unknown_reference_by_line_and_column(tmp_path):
    doc = segment_policy()
    doc["tiers"][1]["criteria"][1]["condition"] = {"ref": "in_scpoe"}
    path = write_json(tmp_path / "p.json", doc)
    proc = run_cli("validate", str(path))
    assert proc.returncode != 0
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if '"in_scpoe"' in text)
    assert f"p.json:{line}:" in proc.stdout_text + proc.stderr_text
    assert "did you mean 'in_scope'?" in proc.stdout_text + proc.stderr_text


def test_the_cli_evaluates_and_explains_a_segmented_policy(tmp_path):
    path = write_json(tmp_path / "p.json", segment_policy())
    records = "\n".join(json.dumps(r) for r in [
        {"partner_id": "a", "country": "VN", "referrals": 40, "active": True},
        {"partner_id": "b", "country": "AU", "referrals": 40, "active": True}]) + "\n"
    proc = run_cli("evaluate", "-p", str(path), "-", input=records)
    assert proc.returncode == 0, proc.stderr_text
    assert [json.loads(line)["tier"]["id"] for line in proc.stdout_text.splitlines()] == ["gold", "silver"]
    proc = run_cli("explain", "-p", str(path), "-", input=records)
    assert proc.returncode == 0, proc.stderr_text
    assert 'for country "AU", the requirement is points >= 600: points must rise by 200' in proc.stdout_text


def test_the_shipped_acme_program_writes_its_scope_once():
    text = (reference_path := __import__("conftest").REPO / "policies" / "acme-points-program.json").read_text()
    assert text.count('"AU", "NZ", "SG"') == 1 and text.count('{"ref": "in_scope"}') == 3
    policy = load_policy(reference_path)
    assert not [f for f in lint_findings(policy) if f.check == "unused"]


# --- values by cases, and numbers per segment or condition in formulas ---------------------------

def cases_policy(default=True, per_country=True):
    value = {"cases": [{"when": {"ref": "emerging"}, "value": 400},
                       {"when": {"fact": "active", "op": "==", "value": False}, "value": 800}]}
    if default:
        value["default"] = 600
    return segment_policy(
        conditions={"emerging": {"description": "e", "condition": {"fact": "country", "op": "in", "value": EMERGING}}},
        parameters={},
        measures={"points": {"description": "points", "unit": "points", "compute": {"sum": [
            {"product": ["referrals", {"lookup": {"fact": "country", "values": {"VN": 20}, "default": 10}}
                          if per_country else 10]},
            {"if": {"fact": "active", "then": 50, "else": 0}}]}}},
        tiers=[{"id": "gold", "name": "Gold", "criteria": [
            {"id": "points", "description": "points", "condition": {"measure": "points", "op": ">=", "value": value}}]}])


@pytest.mark.parametrize("facts, status", [
    ({"country": "PH", "referrals": 35, "active": True}, "met"),       # first case: 400, at it
    ({"country": "PH", "referrals": 34, "active": True}, "not_met"),   # one step below
    ({"country": "AU", "referrals": 55, "active": True}, "met"),       # the default 600, at it
    ({"country": "AU", "referrals": 54, "active": True}, "not_met"),
    ({"country": "AU", "referrals": 80, "active": False}, "met"),      # the second case: 800
    ({"country": "AU", "referrals": 79, "active": False}, "not_met"),
    ({"country": "PH", "referrals": 40, "active": False}, "met"),      # the first case that holds decides
    ({"referrals": 80, "active": False}, "met"),                       # no country: every value is met
    ({"referrals": 60, "active": False}, "missing"),                   # no country: 400 met, 800 not
    ({"referrals": 30, "active": True}, "not_met"),                    # no country: 350 meets no value
    ({"country": "VN", "referrals": 18, "active": True}, "met"),       # 20 points a referral in VN: 410
])
def test_a_value_by_cases_at_and_around_each_value(facts, status):
    # (the points of a partner without a country are missing with a rate per country: not here)
    (decision,) = decide_all(cases_policy(per_country="country" in facts), [facts])
    assert decision.criterion("gold", "points").status == status


def test_without_a_default_no_case_means_not_met():
    decisions = decide_all(cases_policy(default=False), [{"country": "AU", "referrals": 1000, "active": True},
                                                         {"country": "PH", "referrals": 1000, "active": True}])
    assert [d.criterion("gold", "points").status for d in decisions] == ["not_met", "met"]


def test_cases_read_and_explain_in_the_policys_terms():
    (decision,) = decide_all(cases_policy(), [{"country": "AU", "referrals": 50, "active": True}])
    criterion = decision.criterion("gold", "points")
    assert criterion.required == 'points >= 400 if emerging, 800 if active == false, else 600'
    assert criterion.shortfall.text.startswith(
        "as none of emerging, active == false holds, the requirement is points >= 600: points must rise by 50")
    (decision,) = decide_all(cases_policy(), [{"country": "KH", "referrals": 30, "active": True}])
    assert decision.criterion("gold", "points").shortfall.text.startswith(
        "as emerging holds, the requirement is points >= 400: points must rise by 50")


@pytest.mark.parametrize("facts, points", [
    ({"country": "VN", "referrals": 3, "active": True}, 110), ({"country": "AU", "referrals": 3, "active": True}, 80),
    ({"country": "AU", "referrals": 3, "active": False}, 30), ({"country": "AU", "referrals": 3}, None),
    ({"referrals": 3, "active": True}, None),
])
def test_lookup_and_if_in_a_formula(facts, points):
    (decision,) = decide_all(cases_policy(), [facts])
    assert decision.measures["points"] == points


def test_a_lookup_in_a_formula_without_a_default_is_missing_for_an_unlisted_segment():
    doc = cases_policy()
    del doc["measures"]["points"]["compute"]["sum"][0]["product"][1]["lookup"]["default"]
    (decision,) = decide_all(doc, [{"country": "AU", "referrals": 3, "active": True}])
    assert decision.measures["points"] is None
    assert [f.message for f in lint_findings(load_policy(doc)) if f.check == "lookup_default"] == \
        ["a lookup without a default: the measure is missing for a partner of an unlisted segment"]


def test_formula_arguments_of_the_wrong_type_are_located():
    doc = cases_policy()
    doc["measures"]["points"]["compute"]["sum"][1]["if"]["fact"] = "country"
    assert _errors(doc) == [("/measures/points/compute/sum/1/if/fact",
                             "'country' is a string fact; this argument needs a boolean value")]


def test_the_segmented_example_passes_its_tests_and_lints_clean(cli):
    proc = cli("test", "policies/regional-reseller-program.json")
    assert proc.returncode == 0, proc.stdout_text + proc.stderr_text
    assert "19 passed, 0 failed" in proc.stdout_text
    policy = load_policy(__import__("conftest").REPO / "policies" / "regional-reseller-program.json")
    assert [f.message for f in lint_findings(policy)] == []


def test_a_tests_file_checks_measures_and_named_conditions(tmp_path, cli):
    policy = write_json(tmp_path / "p.json", segment_policy())
    suite = {"policy": "p.json", "cases": [
        {"name": "right", "facts": {"partner_id": "a", "country": "VN", "referrals": 40, "active": True},
         "expect": {"measures": {"points": 400}, "conditions": {"in_scope": "met", "active_in_scope": "met"}}},
        {"name": "wrong", "facts": {"partner_id": "b", "country": "US", "referrals": 40},
         "expect": {"measures": {"points": 401}, "conditions": {"in_scope": "met"}}},
        {"name": "missing", "facts": {"partner_id": "c", "country": "AU"},
         "expect": {"measures": {"points": None}}}]}
    proc = cli("test", str(write_json(tmp_path / "p.tests.json", suite)))
    assert proc.returncode == 1
    out = proc.stdout_text
    assert "PASS  right" in out and "PASS  missing" in out and "FAIL  wrong" in out
    assert "measure points:" in out and "expected: 401" in out and "actual:   400" in out
    assert "condition in_scope:" in out and "actual:   not_met" in out
    suite["cases"][0]["expect"] = {"measures": {"pionts": 1}, "conditions": {"in_scpoe": "met"}}
    proc = cli("test", str(write_json(tmp_path / "p.tests.json", suite)))
    assert proc.returncode == 2
    assert "unknown measure 'pionts'; did you mean 'points'?" in proc.stdout_text + proc.stderr_text
    assert "unknown named condition 'in_scpoe'; did you mean 'in_scope'?" in proc.stdout_text + proc.stderr_text
