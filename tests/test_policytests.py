"""Policy tests (evaluator/policytests.py, `evaluator test`): the shipped program's tests pass and
cover every tier boundary and criterion; every kind of expectation fails when it should, with a
diff and the criteria that decided; bad tests files get located errors; --coverage and --suggest."""
from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from evaluator import load_policy
from evaluator.tools.policytests import (TestsFileError, boundaries, coverage, find_tests, load_suite, run_suite,
                                   suggest_cases)

from conftest import REPO, SHIPPED, base_policy, write_json

SHIPPED_TESTS = REPO / "policies" / "tests" / "messagelabs-apac.tests.json"


def suite_file(tmp_path: Path, cases: list[dict[str, Any]], policy: dict[str, Any] | None = None,
               **extra: Any) -> tuple[Path, Path]:
    """A policy (the shipped one unless given) and a tests file beside it."""
    policy_path = write_json(tmp_path / "program.json", policy or json.loads(SHIPPED.read_text()))
    tests_path = write_json(tmp_path / "program.tests.json", {"cases": cases, **extra})
    return policy_path, tests_path


def run(tmp_path: Path, cases: list[dict[str, Any]], policy: dict[str, Any] | None = None, **extra: Any):
    policy_path, tests_path = suite_file(tmp_path, cases, policy, **extra)
    return run_suite(load_suite(tests_path, policy_path), load_policy(policy_path))


def case(name: str, facts: dict[str, Any], **expect: Any) -> dict[str, Any]:
    return {"name": name, "facts": {"partner_id": "P", **facts}, "expect": expect}


# --- the shipped program's tests -------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped_result():
    policy = load_policy(SHIPPED)
    return run_suite(load_suite(SHIPPED_TESTS, SHIPPED), policy)


def test_shipped_tests_pass_in_process(shipped_result):
    assert len(shipped_result.results) >= 12
    assert [r.case.name for r in shipped_result.results if not r.passed] == []


def test_shipped_tests_sit_at_and_below_every_threshold(shipped_result):
    seen = {(name, value) for r in shipped_result.results for name, value in r.case.facts.items()
            if not isinstance(value, list)}
    seen |= {(name, value) for r in shipped_result.results if r.decision
             for name, value in r.decision.measures.items()}
    for b in boundaries(shipped_result.policy):
        if b.where in ("at", "just below"):
            assert (b.operand.name, b.value) in seen, f"no case {b.where} {b.threshold} on {b.operand.name}"


def test_shipped_tests_cover_every_tier_and_criterion(shipped_result):
    cov = coverage(shipped_result)
    assert cov.uncovered() == [] and cov.tiers_never() == []
    assert cov.tiers.get(None)  # and partners with no tier


def test_evaluator_test_on_the_shipped_program(cli):
    proc = cli("test", "policies/messagelabs-apac.json")
    assert proc.returncode == 0, proc.stdout_text + proc.stderr_text
    lines = proc.stdout_text.splitlines()
    n = len(json.loads(SHIPPED_TESTS.read_text())["cases"])
    assert lines[-1] == f"{n} passed, 0 failed"
    assert sum(line.startswith("  PASS  ") for line in lines) == n


def test_every_shipped_policy_has_passing_tests(cli):
    policies = sorted(str(p) for p in (REPO / "policies").glob("*.json"))
    proc = cli("test", *policies)
    assert proc.returncode == 0, proc.stdout_text + proc.stderr_text
    total = sum(len(json.loads(p.read_text())["cases"]) for p in (REPO / "policies" / "tests").glob("*.tests.json"))
    assert proc.stdout_text.splitlines()[-1] == f"{total} passed, 0 failed"


def test_coverage_report(cli):
    proc = cli("test", str(SHIPPED_TESTS), "--coverage")  # the tests file given directly
    assert proc.returncode == 0
    out = proc.stdout_text
    assert "every criterion (7) was both met and not met" in out
    assert "Premier Certified / multi_region (advisory)" in out
    for tier in ("Alliance Partner", "Premier Certified", "Certified Partner", "Premium Associate",
                 "Associate Partner", "no tier"):
        assert f"      {tier}" in out
    assert out.splitlines()[-1].endswith("passed, 0 failed")


def test_coverage_lists_what_was_never_exercised(tmp_path):
    result = run(tmp_path, [case("a", {"annual_sales_usd": 1000000}, tier="alliance_partner")])
    cov = coverage(result)
    uncovered = {(t, c): why for t, c, why in cov.uncovered()}
    assert ("alliance_partner", "sales_1m") in uncovered and uncovered[("alliance_partner", "sales_1m")] == "never not met"
    assert uncovered[("premier_certified", "multi_region")] == "never exercised"  # only missing
    assert uncovered[("premium_associate", "referrals_5")] == "never exercised"
    assert cov.tiers_never() == ["premier_certified", "certified_partner", "premium_associate", "associate_partner"]


# --- expectations: each fails when it should -------------------------------------------------------

def test_a_failing_case_shows_a_diff_and_what_decided(cli, tmp_path):
    policy_path, _ = suite_file(tmp_path, [
        case("at the threshold", {"annual_sales_usd": 100000}, tier="premier_certified"),
        case("one cent below", {"annual_sales_usd": 99999.99}, tier="premier_certified"),
    ])
    proc = cli("test", str(policy_path))
    assert proc.returncode == 1
    lines = proc.stdout_text.splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    fail = lines.index(next(line for line in lines if line.startswith("  FAIL  one cent below")))
    assert "program.tests.json:" in lines[fail]
    assert lines[fail + 1:fail + 4] == [
        "      tier:",
        "        - expected: premier_certified (Premier Certified)",
        "        + actual:   certified_partner (Certified Partner)"]
    assert "        Premier Certified / sales_100k not_met: annual_sales_usd >= 100000; actual annual_sales_usd = 99999.99" in lines
    assert "        Certified Partner / sales_25k met: annual_sales_usd >= 25000; actual annual_sales_usd = 99999.99" in lines


def test_the_failing_case_is_located_in_the_tests_file(tmp_path, cli):
    policy_path, tests_path = suite_file(tmp_path, [case("ok", {"referrals_this_year": 1}, tier="associate_partner"),
                                                    case("wrong", {"referrals_this_year": 1}, tier=None)])
    proc = cli("test", str(policy_path))
    (line,) = [x for x in proc.stdout_text.splitlines() if x.startswith("  FAIL  wrong")]
    row, column = map(int, re.search(r"program\.tests\.json:(\d+):(\d+)\)$", line).groups())
    text = tests_path.read_text().splitlines()
    assert text[row - 1][column - 1] == "{" and '"wrong"' in "\n".join(text[row - 1:row + 2])


@pytest.mark.parametrize("expect, passes", [
    ({"criteria": {"premier_certified": {"sales_100k": "not_met"}}}, True),
    ({"criteria": {"premier_certified": {"sales_100k": "met"}}}, False),
    ({"criteria": {"premier_certified": {"multi_region": "missing"}}}, True),
    ({"criteria": {"premier_certified": {"multi_region": "not_met"}}}, False),
    ({"shortfall": {"premier_certified": {"sales_100k": 0.01}}}, True),
    ({"shortfall": {"premier_certified": {"sales_100k": 0.02}}}, False),
    ({"shortfall": {"premier_certified": {"sales_100k": {"annual_sales_usd": 0.01}}}}, True),
    ({"shortfall": {"premier_certified": {"sales_100k": {"annual_sales_usd": "increase"}}}}, True),
    ({"shortfall": {"premier_certified": {"sales_100k": {"annual_sales_usd": "decrease"}}}}, False),
    ({"shortfall": {"premier_certified": {"sales_100k": {"referrals_this_year": 1}}}}, False),
    ({"shortfall": {"premier_certified": {"sales_100k": None}}}, False),
    ({"shortfall": {"certified_partner": {"sales_25k": None}}}, True),  # met: no shortfall
    ({"shortfall": {"premier_certified": {"multi_region": {"regions": "provide"}}}}, False),
    ({"override": None}, True),
    ({"invalid": True}, False),
])
def test_each_expectation(tmp_path, expect, passes):
    result = run(tmp_path, [{"name": "c", "facts": {"partner_id": "P", "annual_sales_usd": 99999.99}, "expect": expect}])
    (r,) = result.results
    assert r.passed == passes, [d.to_dict() for d in r.differences]
    if not passes:
        assert r.differences and all(d.expected != d.actual for d in r.differences)


def test_a_missing_fact_shortfall_is_provide(tmp_path):
    result = run(tmp_path, [case("m", {}, shortfall={"associate_partner": {"referrals_1": {"referrals_this_year": "provide"}}})])
    assert result.results[0].passed


def test_overrides_are_expected_by_id(tmp_path):
    policy = base_policy(overrides=[{"id": "vip", "description": "VIPs are gold",
                                     "when": {"fact": "active", "op": "==", "value": True}, "tier": "gold"}])
    result = run(tmp_path, [case("vip", {"active": True}, tier="gold", override="vip"),
                            case("not vip", {"active": False, "sales": 10}, tier="silver", override=None),
                            case("wrong", {"active": False}, override="vip")], policy)
    assert [r.passed for r in result.results] == [True, True, False]
    assert result.results[2].differences[0].to_dict() == {"what": "override", "expected": "vip", "actual": "none"}
    assert result.results[0].decided_by()[0] == "override 'vip' met: VIPs are gold"


def test_invalid_records(tmp_path):
    result = run(tmp_path, [case("negative", {"annual_sales_usd": -1}, invalid=True),
                            case("expected valid", {"annual_sales_usd": -1}, tier=None),
                            case("expected invalid", {"annual_sales_usd": 1}, invalid=True)])
    ok, bad, valid = result.results
    assert ok.passed and not bad.passed and not valid.passed
    assert bad.differences[0].expected == "a valid record" and "below its minimum" in bad.differences[0].actual
    assert bad.record_findings[0].pointer == "/cases/1/facts/annual_sales_usd"
    assert valid.differences[0].actual == "valid (no tier)"


def test_each_case_may_set_its_evaluation_date(tmp_path):
    policy = base_policy(measures={"age": {"description": "days since joining", "compute": {"days_since": "joined"}}},
                         tiers=[{"id": "veteran", "name": "Veteran", "criteria": [
                             {"id": "year", "description": "a year", "condition": {"measure": "age", "op": ">=", "value": 365}}]}])
    result = run(tmp_path, [
        {"name": "364 days", "facts": {"partner_id": "P", "joined": "2025-01-01"}, "as_of": "2025-12-31", "expect": {"tier": None}},
        {"name": "365 days", "facts": {"partner_id": "P", "joined": "2025-01-01"}, "as_of": "2026-01-01", "expect": {"tier": "veteran"}},
        {"name": "the file's date", "facts": {"partner_id": "P", "joined": "2025-01-01"}, "expect": {"tier": "veteran"}},
    ], policy, as_of="2026-06-30")
    assert [r.passed for r in result.results] == [True, True, True]


# --- bad tests files --------------------------------------------------------------------------------

def test_references_are_checked_with_did_you_mean(tmp_path):
    policy_path, tests_path = suite_file(tmp_path, [
        case("a", {"anual_sales_usd": 5}, tier="aliance_partner", criteria={"alliance_partner": {"sales_1M": "met"}}),
        case("a", {}, override="nope", shortfall={"gold": {"x": None}}),
    ])
    with pytest.raises(TestsFileError) as info:
        run_suite(load_suite(tests_path, policy_path), load_policy(policy_path))
    messages = {f.pointer: f for f in info.value.findings}
    assert "did you mean 'annual_sales_usd'" in messages["/cases/0/facts/anual_sales_usd"].message
    assert "did you mean 'alliance_partner'" in messages["/cases/0/expect/tier"].message
    assert "did you mean 'sales_1m'" in messages["/cases/0/expect/criteria/alliance_partner/sales_1M"].message
    assert "duplicate case name 'a'" in messages["/cases/1/name"].message
    assert "unknown override 'nope'" in messages["/cases/1/expect/override"].message
    assert "unknown tier 'gold'" in messages["/cases/1/expect/shortfall/gold"].message
    text = tests_path.read_text().splitlines()
    f = messages["/cases/0/expect/tier"]
    assert f.file == str(tests_path) and '"aliance_partner"' in text[f.line - 1][f.column - 1:]


def test_schema_errors_are_located(cli, tmp_path):
    policy_path, tests_path = suite_file(tmp_path, [case("a", {}, criteria={"alliance_partner": {"sales_1m": "yes"}})])
    proc = cli("test", str(policy_path))
    assert proc.returncode == 2
    assert f"{tests_path}:" in proc.stderr_text and "'yes' is not one of ['met', 'not_met', 'missing']" in proc.stderr_text
    assert "(at /cases/0/expect/criteria/alliance_partner/sales_1m)" in proc.stderr_text
    assert proc.stdout_text.splitlines()[-1] == "0 passed, 0 failed"
    assert "Traceback" not in proc.stderr_text


def test_invalid_json_and_unreal_dates(tmp_path):
    bad = tmp_path / "x.tests.json"
    bad.write_text('{"cases": [\n  {"name": "a",, }]}')
    with pytest.raises(TestsFileError) as info:
        load_suite(bad)
    (f,) = info.value.findings
    assert f.line == 2 and "invalid JSON" in f.message
    write_json(bad, {"as_of": "2026-02-30", "cases": [case("a", {}, tier=None)]})
    with pytest.raises(TestsFileError) as info:
        load_suite(bad)
    assert info.value.findings[0].pointer == "/as_of" and info.value.findings[0].message == "not a real date"


def test_an_expectation_is_required(tmp_path):
    write_json(tmp_path / "x.tests.json", {"cases": [{"name": "a", "facts": {}, "expect": {}}]})
    with pytest.raises(TestsFileError) as info:
        load_suite(tmp_path / "x.tests.json")
    assert info.value.findings[0].pointer == "/cases/0/expect"


def test_tests_file_must_name_the_policy_it_is_found_for(tmp_path):
    policy_path = write_json(tmp_path / "program.json", json.loads(SHIPPED.read_text()))
    tests_path = write_json(tmp_path / "program.tests.json", {"policy": "other.json", "cases": [case("a", {}, tier=None)]})
    with pytest.raises(TestsFileError) as info:
        load_suite(tests_path, policy_path)
    assert info.value.findings[0].pointer == "/policy" and "other.json" in info.value.findings[0].message
    write_json(tests_path, {"policy": "./program.json", "cases": [case("a", {}, tier=None)]})
    assert load_suite(tests_path, policy_path).policy_path == policy_path.resolve()


def test_discovery_beside_and_in_a_tests_folder(tmp_path):
    policy = write_json(tmp_path / "p.json", {})
    assert find_tests(policy) is None
    (tmp_path / "tests").mkdir()
    folder = write_json(tmp_path / "tests" / "p.tests.json", {})
    assert find_tests(policy) == folder
    beside = write_json(tmp_path / "p.tests.json", {})
    assert find_tests(policy) == beside  # beside the policy wins


def test_no_tests_and_usage_errors(cli, tmp_path):
    policy_path = write_json(tmp_path / "lonely.json", json.loads(SHIPPED.read_text()))
    proc = cli("test", str(policy_path))
    assert proc.returncode == 2 and "no tests for" in proc.stderr_text and "lonely.tests.json" in proc.stderr_text
    proc = cli("test", str(policy_path), str(SHIPPED), "--tests", str(SHIPPED_TESTS))
    assert proc.returncode == 2 and "exactly one POLICY" in proc.stderr_text


def test_json_output(cli, tmp_path):
    policy_path, _ = suite_file(tmp_path, [case("ok", {"referrals_this_year": 5}, tier="premium_associate"),
                                           case("bad", {"referrals_this_year": 4}, tier="premium_associate")])
    proc = cli("test", str(policy_path), "--format", "json", "--coverage")
    assert proc.returncode == 1
    report = json.loads(proc.stdout_text)
    assert (report["passed"], report["failed"]) == (1, 1)
    (suite,) = report["suites"]
    bad = suite["cases"][1]
    assert bad["passed"] is False and bad["tier"] == "associate_partner"
    assert bad["differences"][0]["what"] == "tier" and bad["decided_by"]
    assert {"tier": "premium_associate", "cases": 1} in suite["coverage"]["tiers"]


# --- suggestions -------------------------------------------------------------------------------------

def test_suggestions_for_the_shipped_program_skip_what_the_tests_cover(shipped_result):
    suggestions = suggest_cases(shipped_result.policy, shipped_result)
    values = [(k, v) for c in suggestions.cases for k, v in c["facts"].items() if k != "partner_id"]
    assert ("annual_sales_usd", 1000000.01) in values        # just above is not in the tests
    assert ("annual_sales_usd", 1000000) not in values       # at is
    assert ("annual_sales_usd", 999999.99) not in values     # just below is
    assert suggestions.covered >= 14 and not suggestions.impossible


def test_suggested_cases_are_ready_to_paste(cli, tmp_path):
    policy_path = write_json(tmp_path / "program.json", json.loads(SHIPPED.read_text()))
    proc = cli("test", str(policy_path), "--suggest")  # no tests file yet: that is fine
    assert proc.returncode == 0, proc.stderr_text
    cases = json.loads(proc.stdout_text)
    assert "21 boundary case(s) suggested; 0 already in the tests" in proc.stderr_text
    by_name = {c["name"]: c for c in cases}
    below = by_name["annual_sales_usd 99999.99, just below 100000 (premier_certified.sales_100k)"]
    assert below["facts"] == {"partner_id": "BOUNDARY-004", "annual_sales_usd": 99999.99}
    assert below["expect"] == {"tier": "certified_partner", "criteria": {"premier_certified": {"sales_100k": "not_met"}}}
    regions = by_name["region_count 2, at 2 (premier_certified.multi_region)"]
    assert len(regions["facts"]["regions"]) == 2
    assert by_name["country_count 1, at 1 (certified_partner.single_country)"]["facts"]["countries"] == ["AA"]
    write_json(tmp_path / "program.tests.json", {"cases": cases})
    proc = cli("test", str(policy_path))
    assert proc.returncode == 0 and proc.stdout_text.splitlines()[-1] == "21 passed, 0 failed"


def test_suggestions_for_integers_dates_and_measures_of_one_fact(tmp_path):
    policy = load_policy(base_policy(
        measures={"age": {"description": "age", "compute": {"days_since": "joined"}},
                  "k": {"description": "thousands", "compute": {"ratio": ["sales", 1000]}}},
        tiers=[{"id": "t", "name": "T", "criteria": [
            {"id": "ref", "description": "r", "condition": {"fact": "referrals", "op": ">", "value": 3}},
            {"id": "age", "description": "a", "condition": {"measure": "age", "op": ">=", "value": 30}},
            {"id": "k", "description": "k", "condition": {"measure": "k", "op": ">=", "value": 2.5}},
            {"id": "day", "description": "d", "condition": {"fact": "joined", "op": "<", "value": "2024-03-01"}}]}]))
    as_of = _dt.date(2026, 1, 31)
    cases = suggest_cases(policy, None, as_of).cases
    facts = {c["name"].split(",")[0]: c["facts"] for c in cases}
    assert facts["referrals 2"]["referrals"] == 2 and facts["referrals 4"]["referrals"] == 4
    assert facts["age 29"]["joined"] == "2026-01-02" and facts["age 30"]["joined"] == "2026-01-01"
    assert facts["k 2.49"]["sales"] == 2490 and facts["k 2.5"]["sales"] == 2500
    assert facts["joined 2024-02-29"]["joined"] == "2024-02-29"
    assert all(c["as_of"] == "2026-01-31" for c in cases)  # the policy reads the date
    # values a record cannot take are not suggested: sales has minimum 0
    low = load_policy(base_policy(tiers=[{"id": "t", "name": "T", "criteria": [
        {"id": "s", "description": "s", "condition": {"fact": "sales", "op": ">=", "value": 0}}]}]))
    result = suggest_cases(low, None, as_of)
    assert [c["facts"]["sales"] for c in result.cases] == [0, 0.01]
    assert result.impossible == ["sales -0.01, just below 0 (t.s)"]


def test_a_suggestion_inside_any_is_made_decisive(tmp_path):
    policy = load_policy(base_policy(tiers=[{"id": "t", "name": "T", "criteria": [
        {"id": "either", "description": "e", "condition": {"any": [
            {"fact": "sales", "op": ">=", "value": 50}, {"fact": "referrals", "op": ">=", "value": 3}]}}]}]))
    cases = {c["name"]: c for c in suggest_cases(policy, None, _dt.date(2026, 1, 1)).cases}
    below = cases["sales 49.99, just below 50 (t.either)"]
    # without referrals the criterion would be `missing`; with none it is decided by sales
    assert below["facts"] == {"partner_id": "BOUNDARY-001", "sales": 49.99, "referrals": 0}
    assert below["expect"]["criteria"] == {"t": {"either": "not_met"}}
    assert cases["sales 50, at 50 (t.either)"]["facts"] == {"partner_id": "BOUNDARY-002", "sales": 50}


def test_no_boundary_beyond_the_calendar():
    policy = load_policy(base_policy(tiers=[{"id": "t", "name": "T", "criteria": [
        {"id": "early", "description": "e", "condition": {"fact": "joined", "op": ">=", "value": "0001-01-01"}},
        {"id": "late", "description": "l", "condition": {"fact": "joined", "op": "<=", "value": "9999-12-31"}}]}]))
    values = [b.value for b in boundaries(policy)]
    assert values == [_dt.date(1, 1, 1), _dt.date(1, 1, 2), _dt.date(9999, 12, 30), _dt.date(9999, 12, 31)]
    assert len(suggest_cases(policy, None, _dt.date(2026, 1, 1)).cases) == 4
