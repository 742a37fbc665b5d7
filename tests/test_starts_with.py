"""`starts_with` (a string fact begins with the value): the operator added through the registry
alone (evaluator/language/), tested at and around its constant, negated, missing, beside other
operators on the same fact (two encodings of one operand), in the static checks, explanations, the
sheet, CSV input and the CLI."""
from __future__ import annotations

import json

import pytest

from evaluator import Evaluator, PolicyError, load_policy
from evaluator.tools.sheet import render_sheet
from evaluator.validate.lint import lint_findings

from conftest import policy_with_condition, run_cli, write_json


def cmp(op: str, value: object) -> dict:
    return {"fact": "country", "op": op, "value": value}


def decide(condition: dict, **facts: object):
    with Evaluator(load_policy(policy_with_condition(condition))) as evaluator:
        return evaluator.evaluate({"partner_id": "p", **facts}).criterion("t", "c")


@pytest.mark.parametrize("value, expected", [
    ("AB", "met"),          # at the constant: the whole value is the prefix
    ("ABC", "met"), ("AB-9", "met"),
    ("A", "not_met"),       # one character short
    ("AC", "not_met"),      # one character off
    ("ab", "not_met"),      # case-sensitive
    ("XAB", "not_met"),     # contains it, but not at the start
    ("", "not_met"),
])
def test_starts_with_at_and_around_its_constant(value, expected):
    assert decide(cmp("starts_with", "AB"), country=value).status == expected


def test_missing_and_negated():
    assert decide(cmp("starts_with", "AB")).status == "missing"
    assert decide({"not": cmp("starts_with", "AB")}).status == "missing"
    assert decide({"not": cmp("starts_with", "AB")}, country="XAB").status == "met"
    assert decide({"not": cmp("starts_with", "AB")}, country="ABX").status == "not_met"


def test_nested_prefixes_and_other_operators_on_the_same_fact():
    # one operand in two encodings: its value (==, in) and the prefixes it starts with
    condition = {"all": [cmp("starts_with", "A"), cmp("starts_with", "AB"), {"not": cmp("==", "ABC")},
                         cmp("in", ["ABD", "ABC", "AX"])]}
    with Evaluator(load_policy(policy_with_condition(condition))) as cached, \
            Evaluator(load_policy(policy_with_condition(condition)), cache_size=0) as plain:
        for value, expected in [("ABD", "met"), ("ABC", "not_met"), ("AX", "not_met"), ("ZZ", "not_met")]:
            a = cached.evaluate({"partner_id": "p", "country": value})
            b = plain.evaluate({"partner_id": "p", "country": value})
            assert a.criterion("t", "c").status == expected
            assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())


def test_shortfall_and_required_text():
    result = decide(cmp("starts_with", "AB"), country="XY")
    assert result.required == 'country starts_with "AB"'
    assert result.shortfall.text == 'country must start with "AB" (it is "XY")'
    negated = decide({"not": cmp("starts_with", "AB")}, country="ABC")
    assert negated.shortfall.changes[0].op == "not_starts_with"
    assert negated.shortfall.text == 'country must not start with "AB" (it is "ABC")'


@pytest.mark.parametrize("condition, message", [
    ({"fact": "sales", "op": "starts_with", "value": "1"}, "needs a string fact"),
    ({"fact": "regions", "op": "starts_with", "value": "A"}, "needs a string fact"),
    (cmp("starts_with", ""), "non-empty string"),
    (cmp("starts_with", ["A"]), "non-empty string"),
])
def test_bad_constants_are_located_policy_errors(condition, message):
    with pytest.raises(PolicyError, match=message) as info:
        load_policy(policy_with_condition(condition))
    assert info.value.findings[0].pointer == "/tiers/0/criteria/0/condition/value"


def test_static_checks_see_prefixes():
    never = load_policy(policy_with_condition({"all": [cmp("starts_with", "AB"), cmp("starts_with", "AC")]}))
    found = [f for f in lint_findings(never) if f.check == "contradictions"]
    assert found and "country starts with \"AB\" and country starts with \"AC\" cannot both hold" in found[0].message
    fine = load_policy(policy_with_condition({"all": [cmp("starts_with", "A"), cmp("starts_with", "AB")]}))
    assert not [f for f in lint_findings(fine) if f.check == "contradictions"]
    outside = load_policy(policy_with_condition({"all": [cmp("starts_with", "AB"), cmp("in", ["AU", "NZ"])]}))
    assert [f for f in lint_findings(outside) if f.check == "contradictions"]


def test_the_sheet_says_it_in_words():
    policy = load_policy(policy_with_condition(cmp("starts_with", "AB")))
    assert "`country` starts with AB" in render_sheet(policy, "markdown")


def test_csv_input_and_the_cli(tmp_path):
    policy = write_json(tmp_path / "p.json", policy_with_condition(cmp("starts_with", "AB")))
    (tmp_path / "p.csv").write_text("partner_id,country\nP1,ABC\nP2,XAB\nP3,\n")
    proc = run_cli("evaluate", str(tmp_path / "p.csv"), "--policy", str(policy), "--format", "jsonl")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["tiers"][0]["criteria"][0]["status"] for line in lines] == ["met", "not_met", "missing"]
