"""The fact catalogue's `aliases`, `label` and `actionable`, and input fields the policy does not
know: CRM headers read as facts (JSON and CSV, both paths), a fact given twice refused and located,
unknown fields named once on stderr or, with --strict-fields, error records; labels in advice;
facts the partner cannot change never offered as the way to a tier."""
from __future__ import annotations

import json

import pytest

from evaluator import Evaluator, PolicyError, load_policy
from evaluator.errors import RecordError
from evaluator.output.writers import _dumps

from conftest import REPO, base_policy, run_cli, write_json


def aliased_policy():
    doc = base_policy()
    doc["facts"]["partner_id"]["aliases"] = ["Partner ID"]
    doc["facts"]["sales"].update(aliases=["Annual Sales (USD)", "sales_usd"], label="annual sales")
    doc["facts"]["country"].update(actionable=False, label="registered country")
    doc["tiers"][0]["criteria"].append({"id": "where", "description": "where",
                                        "condition": {"fact": "country", "op": "in", "value": ["AU", "NZ"]}})
    return doc


def both_paths(doc, record):
    policy = load_policy(doc)
    with Evaluator(policy, cache_size=0) as plain, Evaluator(policy) as cached:
        a, b = plain.evaluate(record), cached.evaluate(record)
        assert _dumps(a.to_dict()) == _dumps(b.to_dict())
        return a


@pytest.mark.parametrize("record", [
    {"partner_id": "p", "sales": 150, "country": "AU"},
    {"Partner ID": "p", "Annual Sales (USD)": 150, "country": "AU"},
    {"partner_id": "p", "sales_usd": 150, "country": "AU"},
])
def test_a_fact_is_read_under_any_of_its_names(record):
    decision = both_paths(aliased_policy(), record)
    assert decision.partner_id == "p" and decision.tier.id == "gold"


def test_a_value_under_an_alias_is_checked_and_located_at_it():
    with pytest.raises(RecordError) as info:
        both_paths(aliased_policy(), {"Partner ID": "p", "Annual Sales (USD)": "lots"})
    assert [f.pointer for f in info.value.findings] == ["/Annual Sales (USD)"]


def test_a_fact_given_under_two_names_is_refused():
    with pytest.raises(RecordError) as info:
        both_paths(aliased_policy(), {"partner_id": "p", "sales": 150, "sales_usd": 150})
    (finding,) = info.value.findings
    assert finding.message == "fact 'sales' is given twice: as 'sales' and 'sales_usd'"
    assert finding.pointer == "/sales_usd"


def test_an_alias_names_one_fact_only():
    doc = aliased_policy()
    doc["facts"]["balance"]["aliases"] = ["sales_usd"]
    doc["facts"]["referrals"]["aliases"] = ["country"]
    with pytest.raises(PolicyError) as info:
        load_policy(doc)
    assert [(f.pointer, f.message) for f in info.value.findings] == [
        ("/facts/balance/aliases/0", "alias 'sales_usd' of fact 'balance' already names fact 'sales'"),
        ("/facts/referrals/aliases/0", "alias 'country' of fact 'referrals' already names fact 'country'")]


def test_a_fact_the_partner_cannot_change_is_never_offered_as_the_way():
    decision = both_paths(aliased_policy(), {"partner_id": "p", "sales": 150, "country": "BR"})
    change = decision.criterion("gold", "where").shortfall.changes[0]
    assert not change.reachable and change.fixed
    assert change.text.endswith("(not open to the partner: registered country cannot be changed)")
    # an alternative that needs it is not offered beside one the partner can make
    doc = aliased_policy()
    doc["tiers"][0]["criteria"][1]["condition"] = {"any": [{"fact": "country", "op": "==", "value": "AU"},
                                                          {"fact": "referrals", "op": ">=", "value": 5}]}
    shortfall = both_paths(doc, {"partner_id": "p", "sales": 150, "country": "BR", "referrals": 1}).criterion(
        "gold", "where").shortfall
    assert [c.operand.name for c in shortfall.changes] == ["referrals"] and shortfall.alternatives == []


def test_labels_in_advice_and_the_acme_example(cli, tmp_path):
    decision = both_paths(aliased_policy(), {"partner_id": "p", "sales": 99, "country": "AU"})
    assert decision.criterion("gold", "sales").shortfall.text == "annual sales must rise by 1, from 99 to 100 USD"
    records = tmp_path / "r.jsonl"
    records.write_text(json.dumps({"partner_id": "X", "annual_sales_usd": 1000000, "certified_engineers": 7,
                                   "last_audit": "2026-03-01", "home_country": "BR"}) + "\n"
                       + json.dumps({"partner_id": "Y", "annual_sales_usd": 900000, "certified_engineers": 7,
                                     "last_audit": "2026-03-01", "home_country": "AU"}) + "\n")
    proc = cli("explain", "-p", "policies/acme-points-program.json", "--as-of", "2026-06-30", str(records))
    assert proc.returncode == 0, proc.stderr_text
    assert "Silver (tier 3) is not open to this partner:" in proc.stdout_text
    assert "registered country cannot be changed" in proc.stdout_text
    assert "current_tier must be" not in proc.stdout_text and "current tier must be" not in proc.stdout_text


def _csv(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("Partner ID,Annual Sales (USD),country,Anual Sales\nP1,150,AU,\nP2,50,AU,300\n")
    return path


def test_unknown_fields_are_named_once_on_stderr(tmp_path):
    policy = write_json(tmp_path / "p.json", aliased_policy())
    proc = run_cli("evaluate", "-p", str(policy), str(_csv(tmp_path)))
    assert proc.returncode == 0, proc.stderr_text
    assert [json.loads(line)["tier"]["id"] for line in proc.stdout_text.splitlines()] == ["gold", "silver"]
    assert proc.stderr_text.count("does not know") == 1
    assert "note: 1 input field the policy does not know, ignored: 'Anual Sales' (2 records; did you mean " \
           "'Annual Sales (USD)'?)" in proc.stderr_text
    proc = run_cli("evaluate", "-p", str(policy), "--format", "csv", str(_csv(tmp_path)))
    assert proc.stderr_text.count("does not know") == 1
    # records without unknown fields: no note
    proc = run_cli("evaluate", "-p", str(policy), "-", input='{"partner_id": "a", "sales": 5}\n')
    assert "does not know" not in proc.stderr_text


def test_strict_fields_makes_each_such_record_an_error_record(tmp_path):
    policy = write_json(tmp_path / "p.json", aliased_policy())
    proc = run_cli("evaluate", "-p", str(policy), "--strict-fields", str(_csv(tmp_path)))
    assert proc.returncode == 1
    lines = [json.loads(line) for line in proc.stdout_text.splitlines()]
    assert len(lines) == 2 and all(line["error"]["findings"][0]["pointer"] == "/Anual Sales" for line in lines)
    assert "2 of 2 records invalid" in proc.stderr_text
    proc = run_cli("evaluate", "-p", str(policy), "--strict-fields", "-j", "2", "-",
                   input='{"partner_id": "a", "sales": 5, "extra": 1}\n{"partner_id": "b", "sales": 500, "country": "AU"}\n')
    assert [("error" in json.loads(line)) for line in proc.stdout_text.splitlines()] == [True, False]
