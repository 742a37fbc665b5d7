"""Benefits that pay, validated (evaluator/validate/benefits.py): each finding located at the key
it is about (JSON Pointer; FILE:LINE:COLUMN from the CLI), with what was expected and found; the
static checks (warnings) beside them; and a valid paying policy reports nothing."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from evaluator.load.policyfile import read_document, validate_document
from evaluator.validate.benefits import CHECKS, LINT_CHECKS
from evaluator.validate.checks import CHECKS as ALL_CHECKS
from evaluator.validate.lint import LINT_CHECKS as ALL_LINTS

from conftest import REPO, base_policy, run_cli, write_json

TIER = "/tiers/0"
COMMISSION = f"{TIER}/benefits/0"
SHARE = f"{TIER}/benefits/1"
CHOICE = f"{TIER}/choices/0"


def paying() -> dict[str, Any]:
    """A valid policy whose one tier pays a commission or, from the sixth contract, a share."""
    doc = base_policy()
    doc["parameters"] = {"rate": {"description": "commission percent", "value": 10}}
    doc["facts"].update({
        "referred": {"type": "number", "unit": "USD", "minimum": 0, "label": "referred business",
                     "description": "referred"},
        "contracts": {"type": "integer", "minimum": 0, "description": "contracts"},
        "mrr": {"type": "number", "unit": "USD", "minimum": 0, "description": "monthly recurring revenue"},
        "payment": {"type": "string", "enum": ["commission", "share"], "description": "the choice"},
    })
    doc["tiers"][0]["benefits"] = [
        {"id": "commission", "description": "commission", "amount": {"percent": {"param": "rate"}, "of": "referred",
                                                                     "at_least": 0, "at_most": 50000},
         "period": "annual"},
        {"id": "share", "description": "share", "amount": {"percent": 5, "of": "mrr"}, "period": "monthly",
         "from_contract": 6, "contracts": "contracts", "opt_in": True},
        {"id": "support", "description": "support, descriptive only"},
    ]
    doc["tiers"][0]["choices"] = [{"id": "payment", "between": ["commission", "share"], "fact": "payment",
                                   "default": "commission"}]
    return doc


def findings(doc: dict[str, Any], tmp_path: Path) -> list[Any]:
    path = write_json(tmp_path / "policy.json", doc)
    _policy, found = validate_document(read_document(path))
    return found


def one(doc: dict[str, Any], tmp_path: Path, check: str | None = None, pointer: str | None = None) -> Any:
    """The one finding of `doc` (of `check`, at `pointer`, when given)."""
    found = [f for f in findings(doc, tmp_path) if check in (None, f.check) and pointer in (None, f.pointer)]
    assert len(found) == 1, [(f.message, f.pointer) for f in found]
    return found[0]


def change(doc: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    edit(doc)
    return doc


def benefit(doc: dict[str, Any], i: int) -> dict[str, Any]:
    return doc["tiers"][0]["benefits"][i]


def test_the_checks_are_registered():
    assert set(CHECKS) == {"amounts", "benefit_conditions", "choices"} and set(CHECKS) <= set(ALL_CHECKS)
    assert set(LINT_CHECKS) == {"benefit_descriptions", "basis_currency", "frequency", "choice_enum"} and set(LINT_CHECKS) <= set(ALL_LINTS)


def test_a_valid_paying_policy_has_no_finding(tmp_path):
    assert findings(paying(), tmp_path) == []
    # and neither has the shipped program, which pays
    _policy, found = validate_document(read_document(REPO / "policies" / "messagelabs-apac.json"))
    assert [f for f in found if f.check in set(CHECKS) | set(LINT_CHECKS)] == []


# --- the basis -------------------------------------------------------------------------------

def test_basis_naming_a_fact_the_catalogue_lacks_says_did_you_mean(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 0)["amount"].update(of="refered")), tmp_path)
    assert (f.pointer, f.check, f.severity) == (f"{COMMISSION}/amount/of", "amounts", "error")
    assert "unknown fact or measure 'refered'" in f.message and "did you mean 'referred'?" in f.message
    assert (f.expected, f.found) == ("a fact or measure name", "refered")


def test_basis_naming_an_unknown_measure_inside_a_formula(tmp_path):
    doc = change(paying(), lambda d: benefit(d, 0)["amount"].update(of={"sum": ["referred", "region_cnt"]}))
    f = one(doc, tmp_path)
    assert f.pointer == f"{COMMISSION}/amount/of/sum/1"
    assert "did you mean 'region_count'?" in f.message and f.found == "region_cnt"


def test_basis_that_is_a_measure_or_a_formula_is_accepted(tmp_path):
    assert findings(change(paying(), lambda d: benefit(d, 0)["amount"].update(of="region_count")), tmp_path) == []
    formula = {"sum": ["referred", "mrr"]}
    assert findings(change(paying(), lambda d: benefit(d, 0)["amount"].update(of=formula)), tmp_path) == []


def test_basis_that_is_not_a_number_fact(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 0)["amount"].update(of="country")), tmp_path)
    assert f.pointer == f"{COMMISSION}/amount/of"
    assert "'country', a string fact" in f.message
    assert (f.expected, f.found) == ("number or integer fact", "string fact")


# --- rates, floors and caps ------------------------------------------------------------------

@pytest.mark.parametrize("form, amount", [("percent", {"percent": -1, "of": "referred"}),
                                          ("each", {"each": -0.5, "of": "referrals"}),
                                          ("fixed", {"fixed": -100})])
def test_a_negative_rate(tmp_path, form, amount):
    f = one(change(paying(), lambda d: benefit(d, 0).update(amount=amount)), tmp_path)
    assert (f.pointer, f.check) == (f"{COMMISSION}/amount/{form}", "amounts")
    assert f.message == f"a negative rate: {form} {amount[form]}"
    assert (f.expected, f.found) == (f"a {form} of at least 0", repr(amount[form]))


def test_a_zero_rate_is_allowed(tmp_path):
    assert findings(change(paying(), lambda d: d["parameters"]["rate"].update(value=0)), tmp_path) == []
    assert findings(change(paying(), lambda d: benefit(d, 1)["amount"].update(percent=0)), tmp_path) == []


def test_a_negative_rate_through_a_parameter_is_located_at_the_amount(tmp_path):
    f = one(change(paying(), lambda d: d["parameters"]["rate"].update(value=-10)), tmp_path)
    assert f.pointer == f"{COMMISSION}/amount/percent" and f.found == "-10"


def test_floor_above_cap(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 0)["amount"].update(at_least=60000)), tmp_path)
    assert (f.pointer, f.check) == (f"{COMMISSION}/amount/at_least", "amounts")
    assert "floor is above the cap" in f.message
    assert (f.expected, f.found) == ("at_least <= at_most (50000)", "60000")


def test_floor_equal_to_cap_is_allowed(tmp_path):
    assert findings(change(paying(), lambda d: benefit(d, 0)["amount"].update(at_least=50000)), tmp_path) == []


@pytest.mark.parametrize("key, words", [("at_least", "floor (at_least)"), ("at_most", "cap (at_most)")])
def test_a_negative_floor_or_cap(tmp_path, key, words):
    def edit(d):
        benefit(d, 0)["amount"] = {"percent": 10, "of": "referred", key: -1}
    f = one(change(paying(), edit), tmp_path)
    assert (f.pointer, f.message) == (f"{COMMISSION}/amount/{key}", f"a negative {words}: -1")
    assert (f.expected, f.found) == ("an amount of at least 0", "-1")


# --- period and currency ---------------------------------------------------------------------

def test_an_amount_without_a_period(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 0).pop("period")), tmp_path)
    assert (f.pointer, f.check) == (COMMISSION, "amounts")
    assert f.message == "benefit 'commission' has an amount but no period"
    assert f.expected == "period: monthly, quarterly, annual, one_time" and f.found == "no period"


def test_the_older_frequency_is_a_period_with_a_warning(tmp_path):
    doc = change(paying(), lambda d: benefit(d, 0).update(frequency=benefit(d, 0).pop("period")))
    f = one(doc, tmp_path)
    assert (f.pointer, f.check, f.severity) == (f"{COMMISSION}/frequency", "frequency", "warning")
    assert f.message == "`frequency` is the older name of `period`"
    assert (f.expected, f.found) == ('"period": "annual"', "frequency")


def test_frequency_on_a_descriptive_benefit_is_no_finding(tmp_path):
    assert findings(change(paying(), lambda d: benefit(d, 2).update(frequency="annual")), tmp_path) == []


def test_an_unknown_currency_of_a_benefit(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 0).update(currency="XYZ")), tmp_path)
    assert (f.pointer, f.check, f.message) == (f"{COMMISSION}/currency", "amounts", "unknown currency 'XYZ'")
    assert f.found == "XYZ" and "ISO 4217" in f.expected


def test_a_known_currency_other_than_the_policys_is_allowed(tmp_path):
    def edit(d):
        benefit(d, 0).update(currency="JPY", amount={"fixed": {"param": "rate"}})
    assert findings(change(paying(), edit), tmp_path) == []


def test_an_unknown_policy_currency_when_the_policy_pays(tmp_path):
    f = one(change(paying(), lambda d: d.update(currency="ABC")), tmp_path)
    assert (f.pointer, f.found) == ("/currency", "ABC")
    assert "unknown currency 'ABC'" in f.message
    # a policy that pays nothing names a currency it never uses in an amount: not checked here
    plain = base_policy(currency="ABC")
    assert [f for f in findings(plain, tmp_path) if f.check == "amounts"] == []


# --- from_contract and contracts -------------------------------------------------------------

def test_from_contract_without_contracts(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 1).pop("contracts")), tmp_path)
    assert (f.pointer, f.check) == (f"{SHARE}/from_contract", "benefit_conditions")
    assert "from_contract without `contracts`" in f.message
    assert f.found == "no contracts"


def test_contracts_naming_an_unknown_fact(tmp_path):
    f = one(change(paying(), lambda d: benefit(d, 1).update(contracts="contract")), tmp_path)
    assert (f.pointer, f.check) == (f"{SHARE}/contracts", "benefit_conditions")
    assert "unknown fact 'contract'" in f.message and "did you mean 'contracts'?" in f.message
    assert (f.expected, f.found) == ("an integer fact of the catalogue", "contract")


@pytest.mark.parametrize("fact, kind", [("sales", "number"), ("country", "string")])
def test_contracts_naming_a_fact_that_is_not_an_integer(tmp_path, fact, kind):
    f = one(change(paying(), lambda d: benefit(d, 1).update(contracts=fact)), tmp_path)
    assert (f.pointer, f.message) == (f"{SHARE}/contracts", f"contracts are counted by '{fact}', a {kind} fact")
    assert (f.expected, f.found) == ("an integer fact", f"{kind} fact")


def test_an_unknown_parameter_in_an_amount_or_from_contract_is_reported_at_the_use(tmp_path):
    def edit(d):
        benefit(d, 0)["amount"]["percent"] = {"param": "rat"}
        benefit(d, 1)["from_contract"] = {"param": "from"}
    found = {f.pointer: f for f in findings(change(paying(), edit), tmp_path)}
    assert set(found) == {f"{COMMISSION}/amount/percent/param", f"{SHARE}/from_contract/param"}
    assert "unknown parameter 'rat'; did you mean 'rate'?" == found[f"{COMMISSION}/amount/percent/param"].message
    assert all(f.check == "definitions" for f in found.values())


def test_a_when_comparison_is_checked_as_every_condition(tmp_path):
    doc = change(paying(), lambda d: benefit(d, 1).update(when={"fact": "activ", "op": "==", "value": True}))
    f = one(doc, tmp_path)
    assert (f.pointer, f.check) == (f"{SHARE}/when/fact", "references")
    assert "did you mean 'active'?" in f.message


@pytest.mark.parametrize("key, value, severity", [("when", {"fact": "active", "op": "==", "value": True}, "error"),
                                                  ("contracts", "contracts", "error"),
                                                  ("from_contract", 6, "warning"), ("opt_in", True, "warning")])
def test_keys_that_apply_only_to_an_amount(tmp_path, key, value, severity):
    f = one(change(paying(), lambda d: benefit(d, 2).update({key: value})), tmp_path, "benefit_conditions")
    assert (f.pointer, f.severity) == (f"{TIER}/benefits/2/{key}", severity)
    assert f.message.startswith(f"'{key}' applies only to a benefit with an amount")
    assert (f.expected, f.found) == ("an `amount` beside it", "a benefit without an amount")


# --- choices ---------------------------------------------------------------------------------

def test_a_choice_between_an_unknown_benefit(tmp_path):
    # (the enum of its fact then lists a value that is not an alternative, and share is an
    # opt_in in no choice: each reported where it is)
    f = one(change(paying(), lambda d: d["tiers"][0]["choices"][0].update(between=["commission", "shares"])),
            tmp_path, "choices", f"{CHOICE}/between/1")
    assert (f.pointer, f.found) == (f"{CHOICE}/between/1", "shares")
    assert "unknown benefit 'shares'; did you mean 'share'?" in f.message
    assert f.expected == "a benefit id of tier 'gold'"


def test_a_choice_between_a_benefit_without_an_amount(tmp_path):
    f = one(change(paying(), lambda d: d["tiers"][0]["choices"][0].update(between=["commission", "support"])),
            tmp_path, "choices", f"{CHOICE}/between/1")
    assert (f.pointer, f.found) == (f"{CHOICE}/between/1", "a benefit without an amount")
    assert "'support', a benefit without an amount" in f.message


def test_a_benefit_in_two_choices(tmp_path):
    def edit(d):
        d["tiers"][0]["benefits"].append({"id": "bonus", "description": "b", "amount": {"fixed": 100},
                                          "period": "one_time"})
        d["tiers"][0]["choices"].append({"id": "other", "between": ["bonus", "share"], "fact": "payment",
                                         "default": "bonus"})
    found = [f for f in findings(change(paying(), edit), tmp_path) if f.message.startswith("benefit 'share' is in two")]
    assert len(found) == 1
    assert found[0].pointer == f"{TIER}/choices/1/between/1"
    assert f"(first at {CHOICE}/between/1)" in found[0].message


def test_alternatives_without_a_default(tmp_path):
    f = one(change(paying(), lambda d: d["tiers"][0]["choices"][0].pop("default")), tmp_path)
    assert (f.pointer, f.check) == (CHOICE, "choices")
    assert f.message == "alternatives without a default: choice 'payment'"
    assert (f.expected, f.found) == ("default: one of commission, share", "no default")


def test_a_default_not_among_the_alternatives(tmp_path):
    f = one(change(paying(), lambda d: d["tiers"][0]["choices"][0].update(default="comission")), tmp_path, "choices")
    assert (f.pointer, f.found) == (f"{CHOICE}/default", "comission")
    assert "did you mean 'commission'?" in f.message and f.expected == "one of commission, share"


def test_a_choice_fact_unknown(tmp_path):
    f = one(change(paying(), lambda d: d["tiers"][0]["choices"][0].update(fact="paymnt")), tmp_path)
    assert (f.pointer, f.found) == (f"{CHOICE}/fact", "paymnt")
    assert "did you mean 'payment'?" in f.message


def test_a_choice_fact_that_is_not_a_string(tmp_path):
    f = one(change(paying(), lambda d: d["tiers"][0]["choices"][0].update(fact="referrals")), tmp_path)
    assert (f.pointer, f.found, f.expected) == (f"{CHOICE}/fact", "integer fact", "a string fact (a benefit id)")


def test_a_choice_fact_enum_value_that_is_no_alternative(tmp_path):
    f = one(change(paying(), lambda d: d["facts"]["payment"].update(enum=["commission", "share", "cash"])),
            tmp_path)
    assert (f.pointer, f.found, f.severity) == ("/facts/payment/enum/2", "cash", "error")
    assert "allows 'cash', which is not an alternative of choice 'payment'" in f.message


def test_a_choice_fact_enum_lacking_an_alternative_is_a_warning(tmp_path):
    f = one(change(paying(), lambda d: d["facts"]["payment"].update(enum=["commission"])), tmp_path)
    assert (f.pointer, f.check, f.severity) == ("/facts/payment/enum", "choice_enum", "warning")
    assert "cannot record choosing share" in f.message
    assert (f.expected, f.found) == ("an enum listing commission, share", "commission")


def test_a_choice_fact_without_an_enum_is_accepted(tmp_path):
    assert findings(change(paying(), lambda d: d["facts"]["payment"].pop("enum")), tmp_path) == []


@pytest.mark.parametrize("edit, found", [
    (lambda d: d["tiers"][0]["choices"].clear(), "in no choice"),
    (lambda d: d["tiers"][0]["choices"][0].update(default="share"), "the default")])
def test_opt_in_on_a_benefit_that_is_not_a_non_default_alternative(tmp_path, edit, found):
    f = one(change(paying(), edit), tmp_path, "choices")
    assert (f.pointer, f.found) == (f"{SHARE}/opt_in", found)
    assert f.expected == "an alternative (not the default) of a choice"


# --- descriptions beside the amount (warnings) ------------------------------------------------

@pytest.mark.parametrize("extra, key, expected", [
    ({"value": 10, "unit": "percent"}, "value", "5, the amount's percent"),
    ({"unit": "USD"}, "unit", "percent"),
    ({"basis": "referred"}, "basis", "mrr, the amount's basis (`of`)")])
def test_descriptions_that_disagree_with_the_amount(tmp_path, extra, key, expected):
    f = one(change(paying(), lambda d: benefit(d, 1).update(extra)), tmp_path)
    assert (f.pointer, f.check, f.severity) == (f"{SHARE}/{key}", "benefit_descriptions", "warning")
    assert f.message == f"benefit 'share': the descriptive `{key}` disagrees with its amount"
    assert (f.expected, f.found) == (expected, str(extra[key]))


def test_descriptions_that_agree_are_no_finding(tmp_path):
    def edit(d):
        benefit(d, 1).update(value=5, unit="percent", basis="mrr")
        benefit(d, 0).update(basis="referred business")   # the basis fact's label
    assert findings(change(paying(), edit), tmp_path) == []


def test_a_percentage_of_a_basis_in_another_currency(tmp_path):
    doc = change(paying(), lambda d: d["facts"]["referred"].update(unit="EUR"))
    f = one(doc, tmp_path, "basis_currency")  # (and lint's `units`: a fact in another currency)
    assert (f.pointer, f.check, f.severity) == (f"{COMMISSION}/amount/of", "basis_currency", "warning")
    assert f.message == "benefit 'commission' pays in USD a percentage of 'referred', in EUR: no conversion is made"
    assert (f.expected, f.found) == ("a basis in USD (or the benefit's `currency`: EUR)", "'referred' in EUR")
    # paid in the basis's currency: nothing to say
    assert [f for f in findings(change(doc, lambda d: benefit(d, 0).update(currency="EUR")), tmp_path)
            if f.check == "basis_currency"] == []


def test_a_condition_of_an_amount_that_can_never_hold_or_always_holds(tmp_path):
    never = change(paying(), lambda d: d["facts"]["contracts"].update(maximum=5))
    f = one(never, tmp_path, "contradictions")
    assert (f.pointer, f.severity) == (f"{SHARE}/from_contract", "warning")
    assert f.message.startswith("the condition of benefit 'share' of tier 'Gold' can never be met")
    assert findings(change(paying(), lambda d: d["facts"]["contracts"].update(maximum=6)), tmp_path) == []
    always = change(paying(), lambda d: benefit(d, 0).update(when={"fact": "sales", "op": ">=", "value": 0}))
    f = one(always, tmp_path, "always_true")
    assert f.pointer == f"{COMMISSION}/when" and "the condition of benefit 'commission'" in f.message
    # and-ed with from_contract, the same `when` decides something
    assert findings(change(paying(), lambda d: benefit(d, 1).update(when={"fact": "sales", "op": ">=", "value": 0})),
                    tmp_path) == []


@pytest.mark.parametrize("edit, pointer", [
    (lambda d: benefit(d, 1).update(amount=[5]), f"{SHARE}/amount"),
    (lambda d: d["tiers"][0]["choices"][0].update(between="share"), f"{CHOICE}/between"),
    (lambda d: d["tiers"][0]["choices"][0].update(between=[1, 2]), f"{CHOICE}/between/0")])
def test_a_malformed_part_is_reported_once_by_the_schema(tmp_path, edit, pointer):
    found = findings(change(paying(), edit), tmp_path)
    assert found[0].pointer == pointer and found[0].check == "schema"
    assert {f.check for f in found} == {"schema"}  # nothing the malformed part would make the checks say


# --- the CLI, as a user runs it --------------------------------------------------------------

def test_validate_shows_file_line_and_column(tmp_path):
    def edit(d):
        benefit(d, 0)["amount"]["percent"] = -10
        d["tiers"][0]["choices"][0].pop("default")
    path = write_json(tmp_path / "program.json", change(paying(), edit))
    proc = run_cli("validate", str(path))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr_text
    out = proc.stdout_text + proc.stderr_text
    lines = path.read_text().splitlines()
    rate = next(i for i, line in enumerate(lines, 1) if '"percent": -10' in line)
    column = lines[rate - 1].index("-10") + 1
    assert f"{path}:{rate}:{column}: error: a negative rate: percent -10 (at {COMMISSION}/amount/percent)" in out
    choice = next(i for i, line in enumerate(lines, 1) if '"choices"' in line) + 1
    assert f"{path}:{choice}:" in out and "alternatives without a default: choice 'payment'" in out
    assert "expected: default: one of commission, share" in out


def test_validate_json_format_carries_the_findings(tmp_path):
    path = write_json(tmp_path / "program.json",
                      change(paying(), lambda d: benefit(d, 1).update(contracts="contract")))
    proc = run_cli("validate", "--format", "json", str(path))
    assert proc.returncode != 0
    data = json.loads(proc.stdout_text)
    (result,) = data
    assert result["valid"] is False
    found = [f for f in result["findings"] if f["check"] == "benefit_conditions"]
    assert found and found[0]["pointer"] == f"{SHARE}/contracts" and found[0]["line"] > 1
