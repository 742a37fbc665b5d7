"""Provenance and replay: decisions name their policy, evaluator and input digest; `evaluator
replay` reproduces recorded decisions and reports a changed policy, a tampered input, a
tampered decision, a decision without input and an unreadable line."""
from __future__ import annotations

import copy
import datetime as _dt
import json

import pytest

from evaluator import Evaluator, __version__, load_policy
from evaluator.model.decision import input_sha256
from evaluator.tools.replay import Replayer

from conftest import EXAMPLES, REPO, base_policy, write_json

SHIPPED_DOC = json.loads((REPO / "policies" / "messagelabs-apac.json").read_text())
SAMPLES = [json.loads(line) for line in (EXAMPLES / "partners.jsonl").read_text().splitlines()]


def recorded(policy, records=SAMPLES, **kw):
    with Evaluator(policy, with_input=True, **kw) as evaluator:
        return [d.to_dict() for d in evaluator.evaluate_many(records)]


def replay_all(policy, decisions, **kw):
    with Replayer(policy, **kw) as replayer:
        return [replayer.replay(d, {"line": i}) for i, d in enumerate(decisions, start=1)]


def raised_premier(to=150_000):
    doc = copy.deepcopy(SHIPPED_DOC)
    doc["version"] = "1.1.0"
    doc["tiers"][1]["criteria"][0]["condition"]["value"] = to
    return load_policy(doc)


# --- provenance --------------------------------------------------------------------------------

def test_input_sha256_is_of_the_canonical_record():
    a = {"partner_id": "P", "annual_sales_usd": 5, "regions": ["ANZ"]}
    b = {"regions": ["ANZ"], "annual_sales_usd": 5, "partner_id": "P"}  # key order does not matter
    assert input_sha256(a) == input_sha256(b)
    assert input_sha256(a) != input_sha256({**a, "annual_sales_usd": 5.5})
    assert input_sha256(a) != input_sha256({**a, "annual_sales_usd": "5"})  # text is not a number
    assert input_sha256({"x": float("nan")})  # a record JSON cannot hold still gets a digest


def test_decisions_carry_provenance_and_the_input_only_when_asked(shipped_policy):
    record = SAMPLES[0]
    with Evaluator(shipped_policy) as plain:
        data = plain.evaluate(record).to_dict()
    assert data["policy"] == shipped_policy.ref and data["evaluator"] == {"version": __version__}
    assert data["input_sha256"] == input_sha256(record)
    assert "input" not in data
    with Evaluator(shipped_policy, with_input=True) as evaluator:
        data = evaluator.evaluate(record).to_dict()
        invalid = next(evaluator.evaluate_many([{"partner_id": "X", "annual_sales_usd": -1}])).to_dict()
    assert data["input"] == record and "input_is_text" not in data
    mutable = dict(record, regions=list(record["regions"]))
    with Evaluator(shipped_policy, with_input=True) as evaluator:
        decision = evaluator.evaluate(mutable)
    mutable["regions"].append("EMEA")  # the caller changing its record later does not change the decision's
    assert decision.to_dict()["input"] == record
    assert invalid["input"] == {"partner_id": "X", "annual_sales_usd": -1}
    assert invalid["input_sha256"] == input_sha256(invalid["input"])


# --- replay, in the library ---------------------------------------------------------------------

def test_replay_under_the_same_policy_reproduces_every_decision(shipped_policy):
    results = replay_all(shipped_policy, recorded(shipped_policy))
    assert [r.status for r in results] == ["same"] * len(SAMPLES)
    assert all(r.recorded_policy is None for r in results)


def test_replay_detects_a_changed_policy(shipped_policy):
    every_field = replay_all(raised_premier(), recorded(shipped_policy))
    assert {r.status for r in every_field} == {"differs"}  # each was made by another policy version
    assert {"/policy/version", "/policy/sha256"} <= {d.at for d in every_field[0].differences}
    results = replay_all(raised_premier(), recorded(shipped_policy), outcome_only=True)
    differ = {r.partner_id: r for r in results if r.status == "differs"}
    # Premier Certified now needs 150000: the partners between 100000 and 150000 drop a tier
    assert sorted(differ) == ["AP-0006", "AP-0024"]
    assert [d.to_dict() for d in differ["AP-0006"].differences] == [
        {"at": "/tier", "recorded": "premier_certified", "now": "certified_partner"},
        {"at": "/tiers/premier_certified/status", "recorded": "met", "now": "not_met"},
        {"at": "/tiers/premier_certified/criteria/sales_100k/status", "recorded": "met", "now": "not_met"}]
    assert all(r.recorded_policy == shipped_policy.ref for r in results)
    # exactly at the new threshold: still the same decision
    at = replay_all(raised_premier(187_500), recorded(shipped_policy), outcome_only=True)
    assert "AP-0008" not in {r.partner_id for r in at if r.status == "differs"}  # 187500 sales


def test_replay_detects_a_tampered_input(shipped_policy):
    decisions = recorded(shipped_policy)
    decisions[6]["input"]["annual_sales_usd"] = 100_000  # AP-0007 had 99999
    (result,) = [r for r in replay_all(shipped_policy, decisions) if r.status != "same"]
    assert (result.partner_id, result.status) == ("AP-0007", "tampered")
    assert decisions[6]["input_sha256"] in result.message
    assert input_sha256(decisions[6]["input"]) in result.message


def test_replay_detects_a_tampered_decision(shipped_policy):
    decisions = recorded(shipped_policy)
    decisions[6]["tier"] = {"id": "premier_certified", "name": "Premier Certified", "rank": 2}
    decisions[7]["tiers"][0]["criteria"][0]["status"] = "met"
    results = {r.partner_id: r for r in replay_all(shipped_policy, decisions) if r.status != "same"}
    assert sorted(results) == ["AP-0007", "AP-0008"]
    assert results["AP-0007"].differences[0].to_dict() == {
        "at": "/tier/id", "recorded": "premier_certified", "now": "certified_partner"}
    assert results["AP-0008"].differences[0].at == "/tiers/0/criteria/0/status"


def test_replay_without_input_or_unreadable(shipped_policy):
    with Evaluator(shipped_policy) as evaluator:
        bare = evaluator.evaluate(SAMPLES[0]).to_dict()
    results = replay_all(shipped_policy, [bare, {"hello": 1}, []])
    assert [r.status for r in results] == ["no_input", "unreadable", "unreadable"]
    assert "--with-input" in results[0].message


def test_replay_of_csv_records_parses_their_text(shipped_policy):
    from evaluator.load.records import records_from_path
    with Evaluator(shipped_policy, with_input=True) as evaluator:
        decisions = [d.to_dict() for d in evaluator.evaluate_many(records_from_path(str(EXAMPLES / "partners.csv")))]
    assert decisions[0]["input_is_text"] is True and isinstance(decisions[0]["input"]["annual_sales_usd"], str)
    assert {r.status for r in replay_all(shipped_policy, decisions)} == {"same"}


def test_replay_uses_the_recorded_evaluation_date():
    doc = base_policy(
        measures={"tenure": {"description": "days since joining", "unit": "days", "compute": {"days_since": "joined"}}},
        tiers=[{"id": "new", "name": "New", "criteria": [
            {"id": "recent", "description": "joined within 30 days",
             "condition": {"measure": "tenure", "op": "<=", "value": 30}}]}])
    policy = load_policy(doc)
    decisions = recorded(policy, [{"partner_id": "P", "joined": "2025-01-01"}], as_of=_dt.date(2025, 1, 31))
    assert decisions[0]["as_of"] == "2025-01-31" and decisions[0]["tier"]["id"] == "new"
    # a day later the partner would not be new, but the replay is of the recorded date
    assert [r.status for r in replay_all(policy, decisions, as_of=_dt.date(2025, 2, 1))] == ["same"]
    del decisions[0]["as_of"]
    assert [r.status for r in replay_all(policy, decisions, as_of=_dt.date(2025, 2, 1))] == ["differs"]


def test_replay_compares_whole_decisions_unless_outcome_only(shipped_policy):
    decisions = recorded(shipped_policy)
    decisions[0]["evaluator"]["version"] = "0.0.1"
    decisions[1]["tiers"][0]["criteria"][0]["description"] = "reworded"
    assert [r.status for r in replay_all(shipped_policy, decisions, outcome_only=True)][:2] == ["same", "same"]
    assert [r.status for r in replay_all(shipped_policy, decisions, outcome_only=True, strict=True)][:2] == [
        "differs", "differs"]  # --strict, kept for old scripts, is every field
    strict = replay_all(shipped_policy, decisions)
    assert [r.status for r in strict][:3] == ["differs", "differs", "same"]
    assert [d.to_dict() for d in strict[0].differences] == [
        {"at": "/evaluator/version", "recorded": "0.0.1", "now": __version__}]
    assert strict[1].differences[0].at == "/tiers/0/criteria/0/description"


def test_a_record_now_invalid_is_a_difference(shipped_policy):
    doc = copy.deepcopy(SHIPPED_DOC)
    doc["facts"]["referrals_this_year"]["required"] = True
    decisions = recorded(shipped_policy, [SAMPLES[18]])  # AP-0019 gives no referrals
    (result,) = replay_all(load_policy(doc), decisions, outcome_only=True)
    assert result.status == "differs"
    assert result.differences[0].to_dict() == {"at": "/tier", "recorded": None, "now": "invalid"}


# --- replay, as a user runs it ------------------------------------------------------------------

@pytest.fixture(scope="module")
def recorded_file(tmp_path_factory):
    from conftest import run_cli
    path = tmp_path_factory.mktemp("replay") / "decisions.jsonl"
    proc = run_cli("evaluate", "--with-input", "--output", str(path), str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0, proc.stderr_text
    return path


def test_cli_replay_reproduces_and_decisions_are_byte_identical(cli, recorded_file, tmp_path):
    proc = cli("replay", str(recorded_file))
    assert (proc.returncode, proc.stdout_text) == (0, "25 decision(s) replayed: 25 same\n")
    again = tmp_path / "again.jsonl"
    assert cli("evaluate", "--with-input", "--output", str(again), str(EXAMPLES / "partners.csv")).returncode == 0
    # the same input under the same policy: the same bytes, except where the file was read from
    # (and so the trailer's digest of the lines)
    strip = lambda line: {k: v for k, v in json.loads(line).items() if k != "source"}  # noqa: E731
    assert [strip(l) for l in again.read_text().splitlines()[:-1]] == [
        strip(l) for l in recorded_file.read_text().splitlines()[:-1]]


def test_cli_replay_reports_a_changed_policy(cli, recorded_file, tmp_path, shipped_policy):
    doc = copy.deepcopy(SHIPPED_DOC)
    doc["version"] = "1.1.0"
    doc["tiers"][1]["criteria"][0]["condition"]["value"] = 150_000
    policy = write_json(tmp_path / "raised.json", doc)
    every_field = cli("replay", str(recorded_file), "--policy", str(policy))
    assert every_field.returncode == 1 and "25 decision(s) replayed: 25 differ" in every_field.stdout_text
    proc = cli("replay", str(recorded_file), "--policy", str(policy), "--outcome-only")
    assert proc.returncode == 1
    lines = proc.stdout_text.splitlines()
    assert lines[0] == (f"{recorded_file}:6: AP-0006: differs: /tier: \"premier_certified\" -> \"certified_partner\"; "
                        "/tiers/premier_certified/status: \"met\" -> \"not_met\"; "
                        "/tiers/premier_certified/criteria/sales_100k/status: \"met\" -> \"not_met\"")
    assert lines[1].startswith(f"{recorded_file}:24: AP-0024: differs: /tier:")
    assert lines[2] == "25 decision(s) replayed: 23 same, 2 differ"
    assert lines[3] == (f"policy changed: recorded messagelabs-apac {shipped_policy.version} (sha256 "
                        f"{shipped_policy.sha256}), now messagelabs-apac 1.1.0 (sha256 {load_policy(doc).sha256})")


def test_cli_replay_reports_tampering_as_jsonl(cli, recorded_file, tmp_path):
    lines = recorded_file.read_text().splitlines()
    lines[6] = lines[6].replace('"annual_sales_usd":"99999"', '"annual_sales_usd":"100000"')
    lines[9] = "{not json"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    proc = cli("replay", "--format", "jsonl", str(tampered))
    assert proc.returncode == 1
    results = [json.loads(line) for line in proc.stdout_text.splitlines()]
    assert len(results) == 26  # every recorded decision comes out once, then the trailer's check
    assert [(r["partner_id"], r["status"]) for r in results if r["status"] != "same"] == [
        ("AP-0007", "tampered"), (None, "unreadable"), (None, "incomplete")]
    assert results[9]["source"] == {"file": str(tampered), "line": 10}
    assert "a line was changed" in results[25]["message"]


def test_cli_replay_of_a_missing_file_is_a_usage_error(cli, tmp_path):
    proc = cli("replay", str(tmp_path / "nope.jsonl"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr_text and "Traceback" not in proc.stderr_text
