"""Exceptions governed outside the policy (docs/time.md): an exceptions file applied with its
provenance in each decision (the policy's sha256 unchanged), an expired one not applied and
reported once, located; `validate --exceptions` checks the file against the policy (unknown tier
with did-you-mean, two for one partner, expired), located; bad files are clear errors."""
from __future__ import annotations

import datetime as _dt
import hashlib
import json

import pytest

from conftest import REPO, base_policy, write_json
from evaluator import Evaluator, load_exceptions, load_policy
from evaluator.evaluate.exceptions import ExceptionsError

EXAMPLE = REPO / "examples" / "exceptions.json"


def grant(ident="EX-1", partner="P", tier="gold", granted="2026-01-01", expires="2026-06-30", ticket="CHAN-1234"):
    return {"id": ident, "partner_id": partner, "tier": tier, "reason": "strategic account, ramping up",
            "approver": "Dana Lee (VP Channels)", "ticket": ticket, "granted": granted, "expires": expires}


def files(tmp_path, *grants, program="test-program"):
    policy = write_json(tmp_path / "policy.json", base_policy())
    exceptions = write_json(tmp_path / "exceptions.json", {"program": program, "exceptions": list(grants)})
    facts = tmp_path / "facts.jsonl"
    facts.write_text('{"partner_id": "P", "sales": 5}\n{"partner_id": "Q", "sales": 50}\n', encoding="utf-8")
    return policy, exceptions, facts


def decisions(proc):
    return {d["partner_id"]: d for d in map(json.loads, proc.stdout_text.splitlines())}


@pytest.mark.parametrize("date, applied", [("2026-01-01", True), ("2026-06-30", True), ("2025-12-31", False),
                                           ("2026-07-01", False)])
def test_an_exception_applies_from_granted_to_expires(cli, tmp_path, date, applied):
    policy, exceptions, facts = files(tmp_path, grant())
    proc = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", date, str(facts))
    assert proc.returncode == 0
    out = decisions(proc)
    sha = hashlib.sha256(exceptions.read_bytes()).hexdigest()
    if applied:
        assert out["P"]["tier"]["id"] == "gold" and out["P"]["as_of"] == date
        expected = {k: v for k, v in grant().items() if k != "partner_id"}  # the decision names the partner
        assert out["P"]["exception"] == {**expected, "instead_of": None, "file_sha256": sha}
        assert out["P"]["benefits"] == []  and out["P"]["policy"] == load_policy(policy).ref  # the policy's sha256 unchanged
        assert proc.stderr_text == ""
    else:
        assert out["P"]["tier"] is None and "exception" not in out["P"]
        word = "expired on 2026-06-30" if date > "2026-06-30" else "is granted from 2026-01-01"
        assert f"warning: exception EX-1 for partner P {word}" in proc.stderr_text
        assert proc.stderr_text.count("warning") == 1  # reported once, not per record
        assert f"{exceptions}:" in proc.stderr_text and "(at /exceptions/0/" in proc.stderr_text
    assert "exception" not in out["Q"] and out["Q"]["tier"]["id"] == "silver"


def test_an_exception_of_no_tier_and_its_explanation(cli, tmp_path):
    policy, exceptions, facts = files(tmp_path, grant(partner="Q", tier=None, ticket="CHAN-9"))
    proc = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-03-01", str(facts))
    out = decisions(proc)
    assert out["Q"]["tier"] is None
    assert out["Q"]["exception"]["instead_of"] == {"id": "silver", "name": "Silver", "rank": 2}
    text = cli("explain", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-03-01",
               "--partner", "Q", str(facts))
    assert ("Why: exception EX-1 sets no tier instead of Silver (approved by Dana Lee (VP Channels), ticket CHAN-9, "
            "2026-01-01 to 2026-06-30: strategic account, ramping up).") in text.stdout_text


def test_validate_checks_the_file_against_the_policy_located(cli, tmp_path):
    policy, exceptions, _ = files(tmp_path, grant(tier="gold_plus"), grant("EX-2", expires="2026-12-31"),
                                  grant("EX-3", partner="OLD", granted="2025-01-01", expires="2025-03-31"))
    proc = cli("validate", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-04-01", "--format", "json")
    assert proc.returncode == 2
    (_, checked) = json.loads(proc.stdout_text)
    assert checked["file"] == str(exceptions) and not checked["valid"]
    by = {(f["pointer"], f["severity"]): f for f in checked["findings"]}
    unknown = by[("/exceptions/0/tier", "error")]
    assert unknown["message"] == "exception EX-1: unknown tier 'gold_plus'; did you mean 'gold'?"
    text = exceptions.read_text().splitlines()
    assert text[unknown["line"] - 1].strip().startswith('"tier": "gold_plus"') and unknown["column"] > 1
    twice = by[("/exceptions/1/partner_id", "error")]
    assert "partner P has two exceptions in force at once: EX-2 and EX-1" in twice["message"]
    expired = by[("/exceptions/2/expires", "warning")]
    assert expired["message"] == "exception EX-3 for partner OLD expired on 2025-03-31: not applied"
    # and evaluating with such a file is refused (exit 2) with the same located errors
    run = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-04-01", "-")
    assert run.returncode == 2 and "did you mean 'gold'?" in run.stderr_text and run.stdout == b""


def test_two_exceptions_for_one_partner_one_after_the_other_are_fine(cli, tmp_path):
    policy, exceptions, facts = files(tmp_path, grant(), grant("EX-2", tier="silver", granted="2026-07-01",
                                                              expires="2026-12-31"))
    assert cli("validate", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-04-01").returncode == 0
    proc = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-07-01", str(facts))
    assert decisions(proc)["P"]["exception"]["id"] == "EX-2"
    assert "warning: exception EX-1 for partner P expired on 2026-06-30" in proc.stderr_text


@pytest.mark.parametrize("content, message, pointer", [
    ('{"program": "test-program", "exceptions": [{"id": "EX-1"}]}', "'partner_id' is a required property",
     "/exceptions/0"),
    (json.dumps({"program": "test-program", "exceptions": [grant(expires="2026-02-30")]}),
     "expires is not a real date", "/exceptions/0/expires"),
    (json.dumps({"program": "test-program", "exceptions": [grant(granted="2026-07-01")]}),
     "exception EX-1 expires before it is granted", "/exceptions/0/expires"),
    (json.dumps({"program": "another", "exceptions": []}), "the exceptions are to program another, not test-program",
     "/program"),
    ('{"program": "test-program", "exceptions": [}', "", ""),
])
def test_a_bad_exceptions_file_is_a_located_error(cli, tmp_path, content, message, pointer):
    policy, exceptions, facts = files(tmp_path)
    exceptions.write_text(content, encoding="utf-8")
    proc = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-03-01", str(facts))
    assert proc.returncode == 2 and proc.stdout == b"" and "Traceback" not in proc.stderr_text
    assert f"{exceptions}:1:" in proc.stderr_text or f"{exceptions}:" in proc.stderr_text
    assert message in proc.stderr_text and (f"(at {pointer})" in proc.stderr_text or not pointer)
    assert "error(s) in the exceptions file" in proc.stderr_text


def test_a_missing_exceptions_file(cli, tmp_path):
    policy, _, facts = files(tmp_path)
    proc = cli("evaluate", "--policy", str(policy), "--exceptions", str(tmp_path / "nope.json"), str(facts))
    assert proc.returncode == 2 and "cannot read exceptions file: No such file or directory" in proc.stderr_text


def test_an_exception_with_history_the_next_review_continues_from_the_tier_it_replaced(cli, tmp_path):
    policy, exceptions, facts = files(tmp_path, grant(partner="Q", tier="gold"))
    first = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-03-01",
                str(facts))
    previous = tmp_path / "q1.jsonl"
    previous.write_bytes(first.stdout)
    assert decisions(first)["Q"]["tier"]["id"] == "gold"
    later = cli("evaluate", "--policy", str(policy), "--previous", str(previous), "--as-of", "2026-07-01", str(facts))
    q = decisions(later)["Q"]
    assert q["standing"]["previous"]["id"] == "silver" and q["standing"]["transition"] == "unchanged"


def test_replay_reproduces_decisions_made_with_exceptions(cli, tmp_path):
    policy, exceptions, facts = files(tmp_path, grant())
    out = tmp_path / "d.jsonl"
    out.write_bytes(cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-03-01",
                        "--with-input", str(facts)).stdout)
    same = cli("replay", str(out), "--policy", str(policy), "--exceptions", str(exceptions))
    assert same.returncode == 0 and "2 decision(s) replayed: 2 same" in same.stdout_text
    assert cli("replay", str(out), "--policy", str(policy)).returncode == 1


def test_the_shipped_example_is_valid_for_the_shipped_program(cli):
    proc = cli("validate", "policies/messagelabs-apac.json", "--exceptions", str(EXAMPLE), "--as-of", "2026-06-30")
    assert proc.returncode == 0, proc.stderr_text


def test_library(tmp_path):
    policy = load_policy(base_policy())
    found = load_exceptions({"program": "test-program", "exceptions": [grant()]})
    with Evaluator(policy, as_of=_dt.date(2026, 3, 1), exceptions=found) as evaluator:
        decision = evaluator.evaluate({"partner_id": "P", "sales": 5})
        assert decision.tier.id == "gold" and decision.exception["approver"] == "Dana Lee (VP Channels)"
        assert decision.to_dict()["exception"]["file_sha256"] == found.sha256
        (again,) = evaluator.evaluate_many([{"partner_id": "P", "sales": 5}])
        assert {k: v for k, v in again.to_dict().items() if k != "source"} == decision.to_dict()
    with pytest.raises(ExceptionsError):
        Evaluator(policy, exceptions=load_exceptions({"program": "x", "exceptions": []}))
    assert found.not_in_force(_dt.date(2026, 7, 1))[0].message.startswith("exception EX-1 for partner P expired")
