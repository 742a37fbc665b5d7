"""Tier history (docs/time.md): `evaluate --previous` and the policy's transition rules: grace at day
N and N+1, carried forward from the first review below; a two-tier fall limited to one; upgrades
at once; new partners; previous decisions of an older version matched by tier id or level, of
another program a located error per record; the same inputs give the same bytes (serial, --jobs,
replay)."""
from __future__ import annotations

import datetime as _dt
import hashlib
import json

import pytest

from conftest import base_policy, write_json
from evaluator import Evaluator, load_policy
from evaluator.errors import RecordError
from evaluator.evaluate.standing import History

RULES = {"grace_days": 30, "max_steps_down": 1, "description": "Quarterly reviews."}


def three_tiers(**changes):
    doc = base_policy(**changes)
    doc["tiers"].append({"id": "bronze", "name": "Bronze", "criteria": [
        {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 1}}]})
    return doc


def review(cli, tmp_path, policy, date, facts, previous=None, *extra):
    """One review: FACTS (partner id -> sales) decided at DATE, with the previous review's decisions."""
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    source = tmp_path / f"facts-{date}-{digest}.jsonl"  # the same facts: the same file (decisions name it)
    name = f"review-{date}-{len(list(tmp_path.iterdir()))}"
    source.write_text("".join(json.dumps({"partner_id": p, "sales": s}) + "\n" for p, s in facts.items()),
                      encoding="utf-8")
    args = ["evaluate", "--policy", str(policy), "--as-of", date, str(source), *extra]
    if previous is not None:
        args += ["--previous", str(previous)]
    proc = cli(*args)
    out = tmp_path / f"{name}.out.jsonl"
    out.write_bytes(proc.stdout)
    if "--format" in extra:
        return proc, out, {}
    return proc, out, {d["partner_id"]: d for d in map(json.loads, proc.stdout_text.splitlines())
                       if "partner_id" in d}  # not the trailer of --with-input


@pytest.fixture
def policy(tmp_path):
    return write_json(tmp_path / "policy.json", three_tiers(transitions=RULES))


def tier(decision):
    return decision["tier"]["id"] if decision["tier"] else None


def test_grace_at_day_n_and_n_plus_1_then_one_step_down_per_review(cli, tmp_path, policy):
    _, q1, first = review(cli, tmp_path, policy, "2026-03-01", {"P": 500})
    assert tier(first["P"]) == "gold" and "standing" not in first["P"]
    # the first review below gold: kept in grace, from that review for 30 days
    _, q2, second = review(cli, tmp_path, policy, "2026-04-01", {"P": 5}, q1)
    assert tier(second["P"]) == "gold" and second["P"]["as_of"] == "2026-04-01"
    assert second["P"]["standing"] == {
        "previous": {"id": "gold", "name": "Gold", "rank": 1}, "evaluated": {"id": "bronze", "name": "Bronze", "rank": 3},
        "transition": "kept_in_grace", "grace": {"from": "2026-04-01", "until": "2026-05-01"}}
    assert [b for b in second["P"]["benefits"]] == first["P"]["benefits"]  # the held tier's benefits
    # day N (30 days after the first review below): still in grace, counted from that first review
    _, _, day_n = review(cli, tmp_path, policy, "2026-05-01", {"P": 5}, q2)
    assert tier(day_n["P"]) == "gold" and day_n["P"]["standing"]["grace"] == {"from": "2026-04-01",
                                                                               "until": "2026-05-01"}
    # day N+1: the grace is over and it falls, one tier only (max_steps_down 1)
    _, q3, day_n1 = review(cli, tmp_path, policy, "2026-05-02", {"P": 5}, q2)
    assert tier(day_n1["P"]) == "silver"
    assert day_n1["P"]["standing"]["transition"] == "down" and day_n1["P"]["standing"]["limited_to"] == 1
    # the next review: no new grace at silver (the one used is carried forward), one more step down
    _, _, later = review(cli, tmp_path, policy, "2026-08-01", {"P": 5}, q3)
    assert tier(later["P"]) == "bronze" and later["P"]["standing"]["transition"] == "down"
    assert "grace" not in later["P"]["standing"] and "limited_to" not in later["P"]["standing"]


def test_a_two_tier_fall_is_limited_to_one_and_a_rise_is_at_once(cli, tmp_path):
    policy = write_json(tmp_path / "p.json", three_tiers(transitions={"grace_days": 0, "max_steps_down": 1}))
    _, q1, _ = review(cli, tmp_path, policy, "2026-03-01", {"FALL": 500, "RISE": 5, "SAME": 50, "OUT": 5})
    _, _, now = review(cli, tmp_path, policy, "2026-06-01", {"FALL": 5, "RISE": 500, "SAME": 50, "OUT": 0,
                                                              "NEW": 50}, q1)
    assert tier(now["FALL"]) == "silver" and now["FALL"]["standing"]["evaluated"]["id"] == "bronze"
    assert now["FALL"]["standing"]["limited_to"] == 1 and "grace" not in now["FALL"]["standing"]
    assert tier(now["RISE"]) == "gold" and now["RISE"]["standing"]["transition"] == "up"
    assert now["SAME"]["standing"]["transition"] == "unchanged"
    assert tier(now["OUT"]) is None and now["OUT"]["standing"]["transition"] == "down"  # bronze -> none: one step
    assert now["NEW"]["standing"] == {"previous": None, "evaluated": {"id": "silver", "name": "Silver", "rank": 2},
                                      "transition": "new"}


def test_without_transition_rules_a_partner_holds_what_it_earns(cli, tmp_path):
    policy = write_json(tmp_path / "p.json", three_tiers())
    _, q1, _ = review(cli, tmp_path, policy, "2026-03-01", {"P": 500})
    _, _, now = review(cli, tmp_path, policy, "2026-03-02", {"P": 0}, q1)
    assert tier(now["P"]) is None and now["P"]["standing"]["transition"] == "down"


def test_a_recovery_inside_the_grace_period_ends_it(cli, tmp_path, policy):
    _, q1, _ = review(cli, tmp_path, policy, "2026-03-01", {"P": 500})
    _, q2, _ = review(cli, tmp_path, policy, "2026-03-10", {"P": 50}, q1)
    _, q3, back = review(cli, tmp_path, policy, "2026-03-20", {"P": 500}, q2)
    assert back["P"]["standing"] == {"previous": {"id": "gold", "name": "Gold", "rank": 1},
                                     "evaluated": {"id": "gold", "name": "Gold", "rank": 1}, "transition": "unchanged"}
    _, _, again = review(cli, tmp_path, policy, "2026-06-01", {"P": 50}, q3)  # a new fall: a new grace from today
    assert again["P"]["standing"]["grace"] == {"from": "2026-06-01", "until": "2026-07-01"}


def test_a_previous_decision_of_another_program_is_a_located_error_for_that_record(cli, tmp_path, policy):
    other = write_json(tmp_path / "other.json", three_tiers(id="other-program"))
    _, q1, _ = review(cli, tmp_path, other, "2026-03-01", {"P": 500, "Q": 5})
    (tmp_path / "ok.jsonl").write_text("", encoding="utf-8")
    proc, _, now = review(cli, tmp_path, policy, "2026-04-01", {"P": 5, "R": 5}, q1)
    assert proc.returncode == 1 and "1 of 2 records invalid" in proc.stderr_text
    (finding,) = now["P"]["error"]["findings"]
    assert finding == {"severity": "error", "message": "the previous decision of partner P is of another program",
                       "pointer": "/policy/id", "file": str(q1), "line": 1, "expected": "test-program",
                       "found": "other-program", "check": "previous"}
    assert now["R"]["standing"]["transition"] == "new"


def test_a_previous_tier_this_policy_does_not_have_is_a_located_error(cli, tmp_path, policy):
    previous = tmp_path / "prev.jsonl"
    ref = load_policy(policy).ref
    previous.write_text(json.dumps({"partner_id": "Z", "tier": {"id": "diamond", "name": "D", "rank": 1},
                                    "policy": ref}) + "\n", encoding="utf-8")
    proc, _, now = review(cli, tmp_path, policy, "2026-04-01", {"Z": 5}, previous)
    assert proc.returncode == 1
    (finding,) = now["Z"]["error"]["findings"]
    assert finding["pointer"] == "/tier/id" and finding["found"] == "diamond" and finding["line"] == 1
    assert finding["expected"] == "one of gold, silver, bronze"


def test_an_older_version_s_tiers_are_matched_by_level_on_the_rank_scale(cli, tmp_path):
    folder = tmp_path / "program"
    folder.mkdir()
    old = three_tiers(version="1.0.0", rank_scale="test-scale", effective={"from": "2026-01-01", "until": "2026-06-30"},
                      transitions=RULES)
    for t, level in zip(old["tiers"], (3, 2, 1)):
        t["level"] = level
    new = json.loads(json.dumps(old))
    new.update(version="2.0.0", effective={"from": "2026-07-01"})
    for t, name in zip(new["tiers"], ("elite", "select", "member")):
        t["id"], t["name"] = name, name.title()
    write_json(folder / "v1.json", old)
    write_json(folder / "v2.json", new)
    _, q1, _ = review(cli, tmp_path, folder, "2026-06-30", {"P": 500, "Q": 50})
    proc, _, now = review(cli, tmp_path, folder, "2026-07-01", {"P": 50, "Q": 50}, q1)
    assert proc.returncode == 0, proc.stderr_text
    assert now["P"]["standing"]["previous"]["id"] == "elite" and tier(now["P"]) == "elite"  # gold (level 3) -> elite
    assert now["Q"]["standing"]["transition"] == "unchanged" and tier(now["Q"]) == "select"


@pytest.mark.parametrize("content, message", [
    ('{"partner_id": "P", "tier": null, "policy": {}}\n{"partner_id": "P", "tier": null, "policy": {}}\n',
     ":2: partner P is decided twice in the previous decisions (lines 1 and 2)"),
    ('{"partner_id": "P"}\n', ":1: not a decision"),
    ('{"partner_id": \n', ":1: the previous decisions cannot be read"),
])
def test_an_unusable_previous_file_is_refused_before_any_partner(cli, tmp_path, policy, content, message):
    previous = tmp_path / "prev.jsonl"
    previous.write_text(content, encoding="utf-8")
    proc, _, _ = review(cli, tmp_path, policy, "2026-04-01", {"P": 5}, previous)
    assert proc.returncode == 2 and proc.stdout == b""
    assert f"error: {previous}{message}" in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_an_error_record_in_the_previous_file_leaves_the_partner_new(cli, tmp_path, policy):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"partner_id": "P", "sales": "lots"}\n', encoding="utf-8")
    previous = tmp_path / "prev.jsonl"
    previous.write_bytes(cli("evaluate", "--policy", str(policy), "--as-of", "2026-03-01", str(source)).stdout)
    _, _, now = review(cli, tmp_path, policy, "2026-04-01", {"P": 5}, previous)
    assert now["P"]["standing"]["transition"] == "new"


def test_same_inputs_same_bytes_serial_jobs_and_replay(cli, tmp_path, policy):
    many = {f"P{i:04d}": (i * 37) % 700 for i in range(1500)}
    _, q1, _ = review(cli, tmp_path, policy, "2026-03-01", many)
    later = {p: (s * 3) % 700 for p, s in many.items()}
    first, out1, _ = review(cli, tmp_path, policy, "2026-04-01", later, q1)
    again, out2, _ = review(cli, tmp_path, policy, "2026-04-01", later, q1)
    jobs, out3, _ = review(cli, tmp_path, policy, "2026-04-01", later, q1, "--jobs", "2")
    assert first.returncode == 0 and out1.read_bytes() == out2.read_bytes() == out3.read_bytes()
    as_json, _, _ = review(cli, tmp_path, policy, "2026-04-01", later, q1, "--format", "json")
    assert json.loads(as_json.stdout_text) == [json.loads(line) for line in out1.read_text().splitlines()]
    transitions = {d["standing"]["transition"] for d in map(json.loads, out1.read_text().splitlines())}
    assert transitions == {"up", "kept_in_grace", "unchanged"}  # every fall is a first one: in grace
    kept, out4, _ = review(cli, tmp_path, policy, "2026-04-01", later, q1, "--with-input")
    replayed = cli("replay", str(out4), "--policy", str(policy), "--previous", str(q1))
    assert replayed.returncode == 0 and "1500 decision(s) replayed: 1500 same" in replayed.stdout_text
    without = cli("replay", str(out4), "--policy", str(policy))
    assert without.returncode == 1 and "/standing" in without.stdout_text


def test_explain_says_why_a_tier_is_held(cli, tmp_path, policy):
    _, q1, _ = review(cli, tmp_path, policy, "2026-03-01", {"P": 500})
    source = tmp_path / "now.jsonl"
    source.write_text('{"partner_id": "P", "sales": 5}\n', encoding="utf-8")
    proc = cli("explain", "--policy", str(policy), "--as-of", "2026-04-01", "--previous", str(q1), str(source))
    assert proc.returncode == 0
    assert ("Why: its facts earn Bronze, but it keeps Gold in its grace period (2026-04-01 to 2026-05-01)."
            in proc.stdout_text)
    assert "Standing: kept Gold in its grace period; its facts earn Bronze." in proc.stdout_text
    assert "as of 2026-04-01" in proc.stdout_text


def test_library_previous_per_record_and_history(policy):
    p = load_policy(policy)
    gold = {"partner_id": "P", "tier": {"id": "gold", "name": "Gold", "rank": 1}, "policy": p.ref}
    with Evaluator(p, as_of=_dt.date(2026, 4, 1)) as evaluator:
        kept = evaluator.evaluate({"partner_id": "P", "sales": 5}, previous=gold)
        assert kept.tier.id == "gold" and kept.standing["transition"] == "kept_in_grace"
        assert kept.benefits == [dict(b) for b in p.tier("gold").benefits]
        assert evaluator.evaluate({"partner_id": "P", "sales": 5}, previous=None).standing["transition"] == "new"
        plain = evaluator.evaluate({"partner_id": "P", "sales": 5})
        assert plain.standing is None and plain.tier.id == "bronze"  # no history given: what the facts earn
        with pytest.raises(RecordError):
            evaluator.evaluate({"partner_id": "P", "sales": 5}, previous={**gold, "policy": {"id": "x"}})
    with Evaluator(p, as_of=_dt.date(2026, 5, 2), history=History.of([kept])) as evaluator:
        (fell, new) = evaluator.evaluate_many([{"partner_id": "P", "sales": 5}, {"partner_id": "N", "sales": 5}])
        assert fell.tier.id == "silver" and fell.standing["limited_to"] == 1
        assert new.standing["transition"] == "new"
