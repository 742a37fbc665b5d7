"""Payouts in the tools around a decision: the decision schema holds them; policy tests
(`evaluator test`) expect them, each expectation failing when it should with expected and found;
replay reports a payout that is not reproduced (every field, and with --outcome-only)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from evaluator import Evaluator, load_policy
from evaluator.model.payouts import STATUSES
from evaluator.language.money import PERIODS
from evaluator.tools.policytests import TestsFileError, load_suite, run_suite
from evaluator.tools.replay import Replayer

from conftest import REPO, SHIPPED, run_cli, write_json

SHIPPED_DOC = json.loads(SHIPPED.read_text())
DECISION = jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / "decision.schema.json").read_text()))
PREMIUM = {"partner_id": "P-8", "referrals_this_year": 9, "contracts_signed": 8, "referred_business_usd": 150000,
           "monthly_recurring_revenue_usd": 4000}
RECORDS = [PREMIUM,
           {**PREMIUM, "partner_id": "P-5", "contracts_signed": 5, "referral_payment_choice": "recurring_revenue_share"},
           {**PREMIUM, "partner_id": "P-NONE", "contracts_signed": None, "referred_business_usd": None},
           {"partner_id": "A-1", "referrals_this_year": 2, "referred_business_usd": 12345.675},
           {"partner_id": "R-1", "annual_sales_usd": 2000000}]


def decisions(policy: Any, detail: str = "full", **kw: Any) -> list[dict[str, Any]]:
    with Evaluator(policy, **kw) as evaluator:
        return [d.to_dict(detail) for d in evaluator.evaluate_many(RECORDS)]


# --- the decision schema ---------------------------------------------------------------------

@pytest.mark.parametrize("detail", ["full", "summary"])
def test_decisions_with_payouts_are_valid(shipped_policy, detail):
    out = decisions(shipped_policy, detail)
    statuses = {p["status"] for d in out for p in d.get("payouts", [])}
    assert statuses == {"paid", "alternative", "not_open", "missing"}  # every status, each valid
    for d in out:
        assert list(DECISION.iter_errors(d)) == []
    assert "payouts" not in out[4]  # an Alliance Partner's tier pays nothing


def test_the_schema_enumerates_the_statuses_and_periods():
    payout = DECISION.schema["$defs"]["payout"]["properties"]
    assert payout["status"]["enum"] == list(STATUSES)
    assert payout["period"]["enum"] == list(PERIODS)


@pytest.mark.parametrize("edit", [
    lambda p: p.update(amount=15000.0),           # never a float: decimal text
    lambda p: p.update(amount="15,000.00"),
    lambda p: p.update(status="owed"),
    lambda p: p.update(period="weekly"),
    lambda p: p.pop("text"),
    lambda p: p.update(currency="usd")])
def test_the_schema_refuses_a_malformed_payout(shipped_policy, edit):
    (d,) = [d for d in decisions(shipped_policy, "summary") if d["partner_id"] == "P-8"]
    edit(d["payouts"][0])
    assert list(DECISION.iter_errors(d)) != []


# --- policy tests ----------------------------------------------------------------------------

def suite(tmp_path: Path, expect: dict[str, Any], facts: dict[str, Any] = PREMIUM) -> tuple[Path, Path]:
    policy_path = write_json(tmp_path / "program.json", SHIPPED_DOC)
    tests_path = write_json(tmp_path / "program.tests.json",
                            {"cases": [{"name": "payouts", "facts": facts, "expect": expect}]})
    return policy_path, tests_path


def differences(tmp_path: Path, expect: dict[str, Any], facts: dict[str, Any] = PREMIUM) -> list[dict[str, str]]:
    policy_path, tests_path = suite(tmp_path, expect, facts)
    (result,) = run_suite(load_suite(tests_path, policy_path), load_policy(policy_path)).results
    return [d.to_dict() for d in result.differences]


def test_expected_payouts_that_hold_pass(tmp_path):
    assert differences(tmp_path, {"tier": "premium_associate", "payouts": {
        "referral_commission": {"status": "paid", "amount": "15000", "annual": "15000.00", "chosen_by": "default",
                                "note": None},
        "recurring_revenue_share": {"status": "alternative", "amount": "200.00", "chosen_by": None}}}) == []


@pytest.mark.parametrize("want, expected, actual", [
    ({"amount": "15000.01"}, "amount 15000.01", "amount 15000.00"),       # one cent off
    ({"status": "alternative"}, "status alternative", "status paid"),
    ({"annual": "180000.00"}, "annual 180000.00", "annual 15000.00"),
    ({"chosen_by": "partner"}, "chosen_by partner", "chosen_by default"),
    ({"note": "was chosen"}, "note was chosen", "note null"),
    ({"amount": None}, "amount null", "amount 15000.00")])
def test_each_payout_expectation_fails_when_it_should(tmp_path, want, expected, actual):
    (diff,) = differences(tmp_path, {"payouts": {"referral_commission": want}})
    assert diff == {"what": "payout referral_commission", "expected": expected,
                    "actual": f"{actual} (Referral commission: 10% of referred business ($150,000.00) = "
                              "$15,000.00 a year)"}


def test_a_payout_expected_absent_or_present(tmp_path):
    associate = {"partner_id": "A", "referrals_this_year": 2, "referred_business_usd": 1000}
    (diff,) = differences(tmp_path, {"payouts": {"recurring_revenue_share": {"status": "not_open"}}}, associate)
    assert diff == {"what": "payout recurring_revenue_share", "expected": "status not_open",
                    "actual": "no payout (tier associate_partner does not pay it)"}
    assert differences(tmp_path, {"payouts": {"recurring_revenue_share": None}}, associate) == []
    (diff,) = differences(tmp_path, {"payouts": {"referral_commission": None}}, associate)
    assert diff["expected"] == "no payout" and diff["actual"].startswith("paid: Referral commission: 10% of")


def test_a_missing_payout_is_expected_as_missing_never_zero(tmp_path):
    facts = {**PREMIUM, "referred_business_usd": None}
    assert differences(tmp_path, {"payouts": {"referral_commission": {"status": "missing", "amount": None}}},
                       facts) == []
    (diff,) = differences(tmp_path, {"payouts": {"referral_commission": {"amount": "0.00"}}}, facts)
    assert diff["actual"] == "amount null (Referral commission: unknown (missing referred_business_usd))"


def test_a_payout_of_a_benefit_no_tier_pays_is_a_located_error(tmp_path):
    policy_path, tests_path = suite(tmp_path, {"payouts": {"referal_commission": {"status": "paid"}}})
    with pytest.raises(TestsFileError) as info:
        run_suite(load_suite(tests_path, policy_path), load_policy(policy_path))
    by_pointer = {f.pointer: f for f in info.value.findings}
    unknown = by_pointer["/cases/0/expect/payouts/referal_commission"]
    assert "did you mean 'referral_commission'?" in unknown.message and unknown.line and unknown.column
    assert unknown.expected == "a benefit with an amount: recurring_revenue_share, referral_commission"


def test_the_tests_schema_refuses_a_bad_payout_expectation(tmp_path):
    policy_path, tests_path = suite(tmp_path, {"payouts": {"referral_commission": {"status": "owed"},
                                                           "recurring_revenue_share": {"amount": "1,000"}}})
    with pytest.raises(TestsFileError) as info:
        load_suite(tests_path, policy_path)
    assert {f.pointer for f in info.value.findings} == {"/cases/0/expect/payouts/referral_commission/status",
                                                        "/cases/0/expect/payouts/recurring_revenue_share/amount"}


def test_cli_test_shows_the_payout_difference(tmp_path):
    policy_path, _ = suite(tmp_path, {"payouts": {"recurring_revenue_share": {"status": "paid",
                                                                              "amount": "200.00"}}})
    proc = run_cli("test", str(policy_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr_text
    lines = proc.stdout_text.splitlines()
    at = lines.index("      payout recurring_revenue_share:")
    assert lines[at + 1:at + 3] == [
        "        - expected: status paid, amount 200.00",
        "        + actual:   status alternative, amount 200.00 (Recurring-revenue share: 5% of monthly recurring "
        "revenue ($4,000.00) = $200.00 a month (the alternative, not paid))"]
    assert lines[-1] == "0 passed, 1 failed"


def test_the_shipped_program_tests_its_payouts(cli):
    proc = cli("test", str(SHIPPED))
    assert proc.returncode == 0, proc.stdout_text
    cases = json.loads((REPO / "policies" / "tests" / "messagelabs-apac.tests.json").read_text())["cases"]
    expected = [c for c in cases if "payouts" in c["expect"]]
    assert {c["facts"].get("contracts_signed") for c in expected} >= {5, 6, 8, None}
    done = next(c for c in expected if c["facts"].get("contracts_signed") == 8)
    assert done["expect"]["payouts"]["referral_commission"]["amount"] == "15000.00"
    assert done["expect"]["payouts"]["recurring_revenue_share"] == {"status": "alternative", "amount": "200.00",
                                                                    "annual": "2400.00"}


# --- replay ----------------------------------------------------------------------------------

def replayed(policy: Any, recorded: list[dict[str, Any]], **kw: Any) -> list[Any]:
    with Replayer(policy, **kw) as replayer:
        return [replayer.replay(d, {"line": i}) for i, d in enumerate(recorded, start=1)]


def test_replay_reproduces_payouts(shipped_policy):
    recorded = decisions(shipped_policy, with_input=True)
    assert [r.status for r in replayed(shipped_policy, recorded)] == ["same"] * len(RECORDS)


def test_replay_finds_an_edited_payout_amount(shipped_policy):
    recorded = decisions(shipped_policy, with_input=True)
    recorded[0]["payouts"][0]["amount"] = "16000.00"
    for outcome_only in (False, True):
        result = replayed(shipped_policy, recorded, outcome_only=outcome_only)[0]
        assert result.status == "differs"
        at = "/payouts/0/amount" if not outcome_only else "/payouts/referral_commission/amount"
        assert [d.to_dict() for d in result.differences] == [{"at": at, "recorded": "16000.00", "now": "15000.00"}]


def test_replay_under_a_new_rate_reports_the_payouts_that_change(shipped_policy):
    doc = copy.deepcopy(SHIPPED_DOC)
    doc["version"] = "9.0.0"
    doc["parameters"]["recurring_share_percent"]["value"] = 6
    doc["parameters"]["recurring_share_from_contract"]["value"] = 9
    results = replayed(load_policy(doc), decisions(shipped_policy, with_input=True), outcome_only=True)
    by_id = {r.partner_id: r for r in results}
    # from the ninth contract now: the 8-contract partner's share is no longer open
    assert [d.to_dict() for d in by_id["P-8"].differences] == [
        {"at": "/payouts/recurring_revenue_share/status", "recorded": "alternative", "now": "not_open"},
        {"at": "/payouts/recurring_revenue_share/amount", "recorded": "200.00", "now": None}]
    assert by_id["A-1"].status == "same" and by_id["R-1"].status == "same"  # no tier, or no share, unchanged


def test_cli_replay_outcome_only_names_the_payout(tmp_path, shipped_policy):
    records = write_json(tmp_path / "facts.json", RECORDS[:1])
    out = tmp_path / "decisions.jsonl"
    assert run_cli("evaluate", "--policy", str(SHIPPED), "--with-input", "--output", str(out),
                   str(records)).returncode == 0
    doc = copy.deepcopy(SHIPPED_DOC)
    doc["version"] = "9.0.0"
    doc["parameters"]["referral_commission_percent"]["value"] = 12
    proc = run_cli("replay", str(out), "--policy", str(write_json(tmp_path / "new.json", doc)), "--outcome-only")
    assert proc.returncode == 1
    assert proc.stdout_text.splitlines()[0] == (
        f'{out}:1: P-8: differs: /payouts/referral_commission/amount: "15000.00" -> "18000.00"')


def test_coverage_counts_each_payout_status(tmp_path):
    from evaluator.tools.policytests import coverage
    policy_path, tests_path = suite(tmp_path, {"tier": "premium_associate"})
    cov = coverage(run_suite(load_suite(tests_path, policy_path), load_policy(policy_path)))
    assert cov.payouts[("premium_associate", "referral_commission")] == {"paid": 1, "alternative": 0, "not_open": 0,
                                                                         "missing": 0}
    assert cov.payouts[("premium_associate", "recurring_revenue_share")]["alternative"] == 1
    assert cov.payouts[("associate_partner", "referral_commission")] == dict.fromkeys(STATUSES, 0)
    assert {"tier": "associate_partner", "benefit": "referral_commission", **dict.fromkeys(STATUSES, 0)} \
        in cov.to_dict()["payouts"]
    proc = run_cli("test", "--coverage", str(policy_path))
    lines = proc.stdout_text.splitlines()
    assert "    payouts                                        paid  alternative  not_open  missing" in lines
    assert "      Associate Partner / referral_commission         0            0         0        0  never paid" in lines
