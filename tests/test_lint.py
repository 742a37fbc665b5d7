"""Static checks (evaluator/lint.py and the core checks they build on): for each check, a policy
that trips it and one that does not, at the boundary where they differ; findings located by
file, line, column and JSON Pointer; `validate --strict` and `--format json` as a user runs them."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evaluator.validate.lint import LINT_CHECKS, MAX_TIERS_PAIRWISE
from evaluator.load.policyfile import read_document, validate_document

from conftest import REPO, base_policy, policy_with_condition, write_json


def findings(doc: dict[str, Any], tmp_path: Path, check: str | None = None) -> list[Any]:
    path = write_json(tmp_path / "policy.json", doc)
    _policy, found = validate_document(read_document(path))
    return [f for f in found if check is None or f.check == check]


def tiers(*specs: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Tiers from (name, [condition, ...]): each condition becomes a required criterion."""
    return [{"id": name.lower(), "name": name, "criteria": [
        {"id": f"c{i}", "description": f"c{i}", "condition": cond} for i, cond in enumerate(conds)]}
        for name, conds in specs]


def sales(op: str, value: Any) -> dict[str, Any]:
    return {"fact": "sales", "op": op, "value": value}


ACTIVE = {"fact": "active", "op": "==", "value": True}


def test_every_check_is_a_function_in_the_table():
    assert set(LINT_CHECKS) == {"contradictions", "always_true", "shadowed_tiers", "inverted_tiers", "bands",
                                "units", "engine_limits", "unused", "lookup_default", "item_contradictions",
                                "benefit_descriptions", "basis_currency", "frequency", "choice_enum"}
    assert all(callable(f) and f.__doc__ for f in LINT_CHECKS.values())


# --- contradictions ---------------------------------------------------------------------------

@pytest.mark.parametrize("condition, trips", [
    ({"all": [sales(">", 5), sales("<", 3)]}, True),
    ({"all": [sales(">", 5), sales("<=", 5)]}, True),          # nothing is above 5 and at most 5
    ({"all": [sales(">=", 5), sales("<=", 5)]}, False),        # exactly 5 meets it
    ({"all": [sales(">", 4), sales("<", 5)]}, False),          # a number: 4.5 meets it
    ({"all": [{"fact": "referrals", "op": ">", "value": 4},
              {"fact": "referrals", "op": "<", "value": 5}]}, True),   # an integer: nothing between
    ({"fact": "referrals", "op": "==", "value": 2.5}, True),
    ({"fact": "referrals", "op": "==", "value": 2}, False),
    (sales("<", 0), True),                                     # minimum 0
    (sales("<=", 0), False),                                   # 0 itself is allowed
    ({"measure": "region_count", "op": "<", "value": 0}, True),  # a count is never negative
    ({"all": [{"fact": "joined", "op": ">", "value": "2020-01-01"},
              {"fact": "joined", "op": "<", "value": "2020-01-02"}]}, True),  # no day between
    ({"all": [{"fact": "joined", "op": ">", "value": "2020-01-01"},
              {"fact": "joined", "op": "<", "value": "2020-01-03"}]}, False),
    ({"all": [{"fact": "country", "op": "in", "value": ["AU", "NZ"]},
              {"fact": "country", "op": "not_in", "value": ["AU", "NZ"]}]}, True),
    ({"all": [{"fact": "country", "op": "in", "value": ["AU", "NZ"]},
              {"fact": "country", "op": "!=", "value": "AU"}]}, False),
    ({"all": [{"fact": "regions", "op": "contains", "value": "ANZ"},
              {"not": {"fact": "regions", "op": "contains", "value": "ANZ"}}]}, True),
    ({"all": [ACTIVE, {"fact": "active", "op": "!=", "value": True}]}, True),
    ({"not": {"any": [sales(">=", 10), sales("<", 10)]}}, True),
])
def test_contradictions(tmp_path, condition, trips):
    found = findings(policy_with_condition(condition), tmp_path, "contradictions")
    assert bool(found) == trips, [f.show() for f in found]
    if trips:
        (f,) = found
        assert f.severity == "warning"
        assert f.pointer == "/tiers/0/criteria/0"
        assert "can never be met" in f.message and "criterion 'c' of tier 'T'" in f.message


def test_contradiction_names_the_comparisons_and_is_located(tmp_path):
    (f,) = findings(policy_with_condition({"all": [sales(">", 5), sales("<", 3)]}), tmp_path, "contradictions")
    assert "sales > 5 and sales < 3 cannot both hold" in f.message
    assert "minimum" not in f.message  # the fact's minimum is not part of this reason
    line = (tmp_path / "policy.json").read_text().splitlines()[f.line - 1]
    assert line[f.column - 1] == "{" and f.file.endswith("policy.json")


def test_contradiction_with_the_fact_catalogue_says_so(tmp_path):
    doc = policy_with_condition({"fact": "regions", "op": "contains", "value": "MARS"})
    doc["facts"]["regions"]["enum"] = ["ANZ", "ASEAN"]
    (f,) = findings(doc, tmp_path, "contradictions")
    assert "regions allows only ANZ, ASEAN" in f.message


def test_a_dead_alternative_of_any_is_a_warning_at_the_branch(tmp_path):
    doc = policy_with_condition({"any": [sales("<", 0), {"fact": "referrals", "op": ">=", "value": 3}]})
    (f,) = findings(doc, tmp_path, "contradictions")
    assert f.pointer == "/tiers/0/criteria/0/condition/any/0"
    assert "an alternative" in f.message and f.severity == "warning"
    assert not findings(policy_with_condition({"any": [sales("<=", 0), {"fact": "referrals", "op": ">=", "value": 3}]}),
                        tmp_path, "contradictions")


def test_an_override_that_can_never_apply(tmp_path):
    doc = base_policy(overrides=[{"id": "o", "description": "o", "when": sales("<", 0), "tier": "gold"}])
    (f,) = findings(doc, tmp_path, "contradictions")
    assert f.pointer == "/overrides/0/when" and "override 'o'" in f.message


# --- always true ------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, trips", [
    (sales(">=", 0), True),
    (sales(">=", 0.01), False),
    (sales(">", 0), False),
    ({"any": [sales("<", 10), sales(">=", 10)]}, True),
    ({"any": [sales("<", 10), sales(">", 10)]}, False),       # exactly 10 fails it
    ({"measure": "region_count", "op": ">=", "value": 0}, True),
    ({"any": [ACTIVE, {"fact": "active", "op": "==", "value": False}]}, True),
    (ACTIVE, False),
    ({"fact": "country", "op": "!=", "value": "XX"}, False),
])
def test_always_true(tmp_path, condition, trips):
    found = findings(policy_with_condition(condition), tmp_path, "always_true")
    assert bool(found) == trips, [f.show() for f in found]
    if trips:
        assert found[0].severity == "warning" and "met by every partner whose" in found[0].message


# --- shadowed tiers ---------------------------------------------------------------------------

def test_a_lower_tier_implied_by_a_higher_one_is_shadowed(tmp_path):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 10)]), ("Silver", [sales(">=", 100)])))
    (f,) = findings(doc, tmp_path, "shadowed_tiers")
    assert f.pointer == "/tiers/1" and "tier 'Silver' can never be the result" in f.message and "'Gold'" in f.message
    assert f.severity == "warning"


@pytest.mark.parametrize("gold, silver, shadowed", [
    (sales(">=", 100), sales(">", 100), True),
    (sales(">=", 100), sales(">=", 100), True),
    (sales(">", 100), sales(">=", 100), False),   # exactly 100 gets Silver
    (sales(">=", 100), sales(">=", 99.99), False),
])
def test_shadowing_at_the_boundary(tmp_path, gold, silver, shadowed):
    doc = base_policy(tiers=tiers(("Gold", [gold]), ("Silver", [silver])))
    assert bool(findings(doc, tmp_path, "shadowed_tiers")) == shadowed


def test_a_tier_covered_by_two_higher_tiers_together(tmp_path):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 100)]), ("Blue", [sales("<", 100)]),
                                  ("Silver", [sales(">=", 10)])))
    (f,) = findings(doc, tmp_path, "shadowed_tiers")
    assert f.pointer == "/tiers/2" and "'Gold' or 'Blue'" in f.message


def test_a_tier_without_required_criteria_shadows_every_lower_tier(tmp_path):
    doc = base_policy(tiers=tiers(("Member", []), ("Gold", [sales(">=", 100)]), ("Silver", [sales(">=", 10)])))
    found = findings(doc, tmp_path, "shadowed_tiers")
    assert [f.pointer for f in found] == ["/tiers/1", "/tiers/2"]
    assert "'Member' has no required criteria" in found[0].message
    # at the bottom, a criteria-less tier shadows nothing
    assert not findings(base_policy(tiers=tiers(("Gold", [sales(">=", 100)]), ("Member", []))), tmp_path,
                        "shadowed_tiers")


def test_not_shadowed_when_the_higher_tier_needs_a_fact_the_lower_does_not(tmp_path):
    # a partner with sales 100 and `active` false or missing gets Silver
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 10), ACTIVE]), ("Silver", [sales(">=", 100)])))
    assert not findings(doc, tmp_path, "shadowed_tiers")


def test_not_shadowed_when_an_override_names_the_tier(tmp_path):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 10)]), ("Silver", [sales(">=", 100)])),
                      overrides=[{"id": "o", "description": "o", "when": ACTIVE, "tier": "silver"}])
    assert not findings(doc, tmp_path, "shadowed_tiers")


def test_advisory_criteria_do_not_make_a_tier_reachable(tmp_path):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 10)]), ("Silver", [sales(">=", 100)])))
    doc["tiers"][0]["criteria"].append({"id": "adv", "description": "a", "advisory": True, "condition": ACTIVE})
    assert findings(doc, tmp_path, "shadowed_tiers")


# --- inverted tiers ---------------------------------------------------------------------------

def test_a_lower_tier_stricter_on_the_same_fact(tmp_path):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 100), ACTIVE]), ("Silver", [sales(">=", 200)])))
    (f,) = findings(doc, tmp_path, "inverted_tiers")
    assert f.pointer == "/tiers/1/criteria/0/condition"
    assert "tier 'Silver' asks for sales >= 200, more than the higher tier 'Gold' (sales >= 100)" in f.message
    assert not findings(doc, tmp_path, "shadowed_tiers")  # Silver is reachable (inactive partners)


@pytest.mark.parametrize("silver, inverted", [
    (sales(">=", 100), False),
    (sales(">", 100), True),       # strictly more than Gold's inclusive 100
    (sales(">=", 100.01), True),
    (sales(">=", 99.99), False),
    (sales("between", [150, 200]), True),
])
def test_inversion_boundary(tmp_path, silver, inverted):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 100), ACTIVE]), ("Silver", [silver])))
    assert bool(findings(doc, tmp_path, "inverted_tiers")) == inverted


def test_upper_bounds_inverted_when_less_is_better(tmp_path):
    def doc(silver_max: int) -> dict[str, Any]:
        return base_policy(tiers=tiers(("Gold", [{"fact": "referrals", "op": "<=", "value": 10}, ACTIVE]),
                                       ("Silver", [{"fact": "referrals", "op": "<=", "value": silver_max}])))
    (f,) = findings(doc(5), tmp_path, "inverted_tiers")
    assert "referrals <= 5, less than the higher tier 'Gold' (referrals <= 10)" in f.message
    assert not findings(doc(10), tmp_path, "inverted_tiers")
    assert not findings(doc(20), tmp_path, "inverted_tiers")


def test_a_shadowed_tier_is_not_also_reported_as_inverted(tmp_path):
    doc = base_policy(tiers=tiers(("Gold", [sales(">=", 10)]), ("Silver", [sales(">=", 100)])))
    assert findings(doc, tmp_path, "shadowed_tiers") and not findings(doc, tmp_path, "inverted_tiers")


def test_pairwise_checks_are_skipped_above_the_tier_limit(tmp_path):
    many = tiers(*[(f"T{i}", [sales(">=", 10 * (MAX_TIERS_PAIRWISE + 1 - i))]) for i in range(MAX_TIERS_PAIRWISE + 1)])
    found = findings(base_policy(tiers=many), tmp_path)
    assert {f.check for f in found} == {"shadowed_tiers", "inverted_tiers"}
    assert all("skipped above" in f.message and f.severity == "warning" for f in found)
    assert not findings(base_policy(tiers=many[:MAX_TIERS_PAIRWISE]), tmp_path)


# --- bands ------------------------------------------------------------------------------------

def banded(fact: str, *bands: list[Any], declare: bool = True) -> dict[str, Any]:
    specs = [(f"T{i}", [{"fact": fact, "op": "between", "value": b} if isinstance(b, list) else b])
             for i, b in enumerate(bands)]
    return base_policy(tiers=tiers(*specs), **({"contiguous_bands": [fact]} if declare else {}))


def test_contiguous_bands_pass(tmp_path):
    doc = banded("sales", sales(">=", 100), {"all": [sales(">=", 10), sales("<", 100)]},
                 {"all": [sales(">=", 0), sales("<", 10)]})
    assert not findings(doc, tmp_path, "bands")
    # integers: 10..99 then 100.. leaves nothing out
    assert not findings(banded("referrals", {"fact": "referrals", "op": ">=", "value": 100}, [10, 99]), tmp_path, "bands")
    # thresholds only (the shipped style): the ranking closes every band
    assert not findings(banded("sales", sales(">=", 100), sales(">=", 10)), tmp_path, "bands")


def test_a_gap_between_bands(tmp_path):
    (f,) = findings(banded("sales", sales(">=", 100), [10, 99]), tmp_path, "bands")  # 99.5 is in neither
    assert "leave a gap" in f.message and "'T1' (sales <= 99)" in f.message and f.pointer == "/tiers/1/criteria/0/condition"
    (g,) = findings(banded("referrals", {"fact": "referrals", "op": ">=", "value": 100}, [10, 98]), tmp_path, "bands")
    assert "gap" in g.message  # 99 is in neither


def test_overlapping_bands(tmp_path):
    (f,) = findings(banded("sales", sales(">=", 100), [10, 100]), tmp_path, "bands")  # 100 is in both
    assert "overlap" in f.message and f.severity == "warning"


def test_an_upper_bound_on_the_top_band(tmp_path):
    (f,) = findings(banded("sales", [100, 1000], {"all": [sales(">=", 10), sales("<", 100)]}), tmp_path, "bands")
    assert "above the top band of 'T0' (sales <= 1000)" in f.message


def test_bands_are_checked_only_where_declared(tmp_path):
    assert not findings(banded("sales", sales(">=", 100), [10, 99], declare=False), tmp_path, "bands")


def test_contiguous_bands_names_are_checked(tmp_path):
    doc = base_policy(contiguous_bands=["salse", "country"])
    unknown, wrong_type = findings(doc, tmp_path, "bands")
    assert unknown.severity == "error" and "did you mean 'sales'" in unknown.message
    assert unknown.pointer == "/contiguous_bands/0"
    assert wrong_type.severity == "error" and "string fact" in wrong_type.message


# --- units ------------------------------------------------------------------------------------

def with_measure(compute: Any, unit: str | None = None, **facts: Any) -> dict[str, Any]:
    doc = base_policy(measures={"m": {"description": "m", "compute": compute, **({"unit": unit} if unit else {})}})
    doc["facts"]["referrals"]["unit"] = "referrals"
    doc["facts"].update(facts)
    return doc


def test_adding_values_in_different_units(tmp_path):
    (f,) = findings(with_measure({"sum": ["sales", "referrals"]}), tmp_path, "units")
    assert f.pointer == "/measures/m/compute/sum" and "sales (USD), referrals (referrals)" in f.message
    assert not findings(with_measure({"sum": ["sales", 100]}), tmp_path, "units")
    assert not findings(with_measure({"product": ["sales", "referrals"]}), tmp_path, "units")  # a product may mix


def test_a_measure_unit_that_its_formula_contradicts(tmp_path):
    (f,) = findings(with_measure({"max": ["sales", 5]}, unit="EUR"), tmp_path, "units")
    assert "says its unit is EUR, but its formula gives USD" in f.message and f.pointer == "/measures/m/unit"
    assert not findings(with_measure({"max": ["sales", 5]}, unit="USD"), tmp_path, "units")


def test_an_amount_in_another_currency(tmp_path):
    doc = with_measure({"max": ["sales", 5]}, eur={"type": "number", "unit": "EUR", "description": "x"})
    (f,) = findings(doc, tmp_path, "units")
    assert "fact 'eur' is in EUR but the program's currency is USD" in f.message
    doc["facts"]["eur"]["unit"] = "points"
    assert not findings(doc, tmp_path, "units")


# --- engine limits ----------------------------------------------------------------------------

def test_a_long_list_of_separate_numbers(tmp_path):
    (f,) = findings(policy_with_condition(sales("in", list(range(61)))), tmp_path, "engine_limits")
    assert "needs 61 engine alternatives" in f.message and f.pointer == "/tiers/0/criteria/0/condition"
    assert not findings(policy_with_condition(sales("in", list(range(60)))), tmp_path, "engine_limits")
    # strings in a list are ranges of codes, not separate alternatives
    strings = {"fact": "country", "op": "in", "value": [f"C{i}" for i in range(200)]}
    assert not findings(policy_with_condition(strings), tmp_path, "engine_limits")


def test_a_policy_that_needs_many_engine_calls(tmp_path):
    def doc(n: int) -> dict[str, Any]:
        return policy_with_condition({"any": [sales("==", i) for i in range(n)]})
    (f,) = findings(doc(540), tmp_path, "engine_limits")  # 540 alternatives: 9 rulesets
    assert "9 rulesets" in f.message and "9 engine calls, one per ruleset" in f.message
    assert not findings(doc(480), tmp_path, "engine_limits")  # 8 rulesets


# --- what the schema and the core checks already catch ----------------------------------------

@pytest.mark.parametrize("empty", [{"all": []}, {"any": []}])
def test_empty_all_or_any_is_rejected_by_the_schema(tmp_path, empty):
    (f,) = [f for f in findings(policy_with_condition(empty), tmp_path) if f.severity == "error"]
    assert f.check == "schema" and f.pointer.startswith("/tiers/0/criteria/0/condition")


def test_core_checks_still_catch_names_types_and_duplicates(tmp_path):
    doc = base_policy()
    doc["tiers"][0]["criteria"][0]["condition"] = {"fact": "salse", "op": ">=", "value": 100}
    doc["tiers"][1]["criteria"].append({"id": "x", "description": "x", "condition": {"fact": "country", "op": ">", "value": 5}})
    doc["tiers"][1]["id"] = "gold"
    found = {f.check: f for f in findings(doc, tmp_path)}
    assert "did you mean 'sales'" in found["references"].message
    assert found["operators"].pointer == "/tiers/1/criteria/1/condition/value"
    assert "duplicate tier id 'gold'" in found["unique_ids"].message
    assert not any(f.check in LINT_CHECKS for f in found.values())  # static checks wait for a sound policy


# --- the CLI --------------------------------------------------------------------------------------

def test_shipped_policies_pass_validate_strict(cli):
    policies = sorted(str(p) for p in (REPO / "policies").glob("*.json"))
    proc = cli("validate", "--strict", *policies)
    assert proc.returncode == 0, proc.stderr_text
    out = proc.stdout_text + proc.stderr_text
    assert out.count(": valid\n") == len(policies) and "warning" not in out


def test_validate_warns_and_strict_fails(cli, tmp_path):
    path = write_json(tmp_path / "p.json", policy_with_condition(sales(">=", 0)))
    proc = cli("validate", str(path))
    assert proc.returncode == 0
    assert f"{path}:" in proc.stderr_text and ": warning: criterion 'c' of tier 'T' is met by every partner" in proc.stderr_text
    assert proc.stdout_text == f"{path}: valid, 1 warning(s)\n"
    strict = cli("validate", "--strict", "--format", "json", str(path))
    assert strict.returncode == 2
    (report,) = json.loads(strict.stdout_text)
    assert report["valid"] is False
    (finding,) = report["findings"]
    assert finding["severity"] == "error" and finding["check"] == "always_true"
    assert finding["pointer"] == "/tiers/0/criteria/0" and finding["line"] > 1 and finding["column"] >= 1
