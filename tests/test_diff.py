"""`evaluator diff`: transitions, moved partners and their causes, directions, benefits, invalid
records, --fail-on, the output formats, streaming, and the legacy-to-new migration."""
from __future__ import annotations

import copy
import csv
import io
import json
import os
import pty
import select
import subprocess

import pytest

from conftest import EVALUATOR_BIN, REPO, SHIPPED, base_policy, write_json
from evaluator import Evaluator, load_policy
from evaluator.tools.diff import DOWN, LATERAL, UNCHANGED, UP, WRITERS, benefit_text, cause_text, diff_policies

LEGACY = REPO / "policies" / "legacy-gold-silver-bronze.json"
EXAMPLES_CSV = REPO / "examples" / "partners.csv"


def run_diff(old_doc, new_doc, records):
    with Evaluator(load_policy(old_doc)) as old, Evaluator(load_policy(new_doc)) as new:
        return diff_policies(old, new, records)


def with_gold_threshold(value, doc=None):
    doc = copy.deepcopy(doc or base_policy())
    doc["tiers"][0]["criteria"][0]["condition"]["value"] = value
    return doc


def partners(*sales):
    return [{"partner_id": f"P{i}", **({} if s is None else {"sales": s})} for i, s in enumerate(sales)]


# -- raising one threshold: exactly the partners a hand computation predicts --

SALES = [9, 10, 99, 99.99, 100, 120, 149, 149.99, 150, 150.01, None]


def test_raising_a_threshold_moves_exactly_the_partners_between_old_and_new_threshold():
    # gold: sales >= 100 -> sales >= 150; silver stays sales >= 10. By hand: 100, 120, 149 and
    # 149.99 were gold and become silver; 150 and 150.01 (at and above the new threshold) stay
    # gold; 99.99 and below never were gold.
    diff = run_diff(base_policy(), with_gold_threshold(150), partners(*SALES))
    moved = {m["partner_id"]: m for m in diff.moved}
    assert set(moved) == {"P4", "P5", "P6", "P7"}
    assert all(m["direction"] == DOWN and m["from"]["id"] == "gold" and m["to"]["id"] == "silver"
               for m in moved.values())
    cause = moved["P7"]["causes"]
    assert cause == [{"tier": "gold", "tier_name": "Gold", "criterion": "sales", "description": "sales",
                      "before": {"status": "met", "actual": {"sales": 149.99}, "required": "sales >= 100"},
                      "after": {"status": "not_met", "actual": {"sales": 149.99}, "required": "sales >= 150"}}]
    assert cause_text(cause[0]) == "Gold / sales: sales >= 100 -> sales >= 150: met -> not_met (sales 149.99)"
    totals = diff.totals()
    assert (totals["down"], totals["up"], totals["lateral"], totals["unchanged"]) == (4, 0, 0, 7)
    assert diff.transitions() == [
        {"from": "gold", "to": "gold", "count": 2, "direction": UNCHANGED},
        {"from": "gold", "to": "silver", "count": 4, "direction": DOWN},
        {"from": "silver", "to": "silver", "count": 3, "direction": UNCHANGED},
        {"from": None, "to": None, "count": 2, "direction": UNCHANGED},
    ]


def test_lowering_a_threshold_moves_partners_up_at_and_above_the_new_threshold():
    # gold: sales >= 100 -> sales >= 99.99: only 99.99 (exactly at the new threshold) moves up.
    diff = run_diff(base_policy(), with_gold_threshold(99.99), partners(*SALES))
    assert [(m["partner_id"], m["direction"]) for m in diff.moved] == [("P3", UP)]
    assert diff.moved[0]["causes"][0]["before"]["status"] == "not_met"
    assert diff.moved[0]["causes"][0]["after"]["status"] == "met"


def test_missing_fact_is_never_a_move():
    diff = run_diff(base_policy(), with_gold_threshold(150), partners(None))
    assert diff.moved == [] and diff.transitions() == [{"from": None, "to": None, "count": 1,
                                                         "direction": UNCHANGED}]


def test_identical_policies_give_an_empty_diff():
    diff = run_diff(base_policy(), base_policy(), partners(*SALES))
    assert diff.moved == [] and diff.invalid == []
    assert all(t["from"] == t["to"] for t in diff.transitions())
    assert diff.totals()["unchanged"] == len(SALES) and diff.totals()["moved"] == 0
    assert not diff.has("any")
    out = io.StringIO()
    WRITERS["table"](diff, out)
    assert "No partner moves." in out.getvalue()


# -- tiers added and removed --

def test_a_tier_added_below_moves_partners_up_from_no_tier():
    new = base_policy()
    new["tiers"].append({"id": "bronze", "name": "Bronze", "criteria": [
        {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 1}}]})
    diff = run_diff(base_policy(), new, partners(0, 0.99, 1, 9, 10))
    assert [(m["partner_id"], m["from"], m["to"]["id"], m["direction"]) for m in diff.moved] == [
        ("P2", None, "bronze", UP), ("P3", None, "bronze", UP)]
    # the cause names the new tier's criterion, which the old policy did not have
    cause = diff.moved[0]["causes"][0]
    assert cause["before"] is None and cause["after"]["status"] == "met"
    assert cause_text(cause) == "Bronze / sales (new policy only): sales >= 1: met (sales 1)"


def test_a_tier_added_on_top_moves_partners_up_by_rank():
    new = base_policy()
    new["tiers"].insert(0, {"id": "platinum", "name": "Platinum", "criteria": [
        {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 1000}}]})
    diff = run_diff(base_policy(), new, partners(999, 1000, 5000))
    assert [(m["partner_id"], m["from"]["id"], m["to"]["id"], m["direction"]) for m in diff.moved] == [
        ("P1", "gold", "platinum", UP), ("P2", "gold", "platinum", UP)]


def test_a_tier_removed_moves_its_partners_down():
    new = base_policy()
    del new["tiers"][1]  # silver
    diff = run_diff(base_policy(), new, partners(9, 10, 99, 100))
    assert [(m["partner_id"], m["from"]["id"], m["to"], m["direction"]) for m in diff.moved] == [
        ("P1", "silver", None, DOWN), ("P2", "silver", None, DOWN)]
    cause = diff.moved[0]["causes"][0]
    assert cause["tier"] == "silver" and cause["before"]["status"] == "met" and cause["after"] is None
    matrix = {(t["from"], t["to"]): t["count"] for t in diff.transitions()}
    assert matrix == {("gold", "gold"): 1, ("silver", None): 2, (None, None): 1}


def test_tiers_swapped_in_rank_compare_by_the_new_order():
    # Same program, tiers reordered: the new policy's ranks decide the direction.
    new = base_policy()
    new["tiers"].reverse()
    diff = run_diff(base_policy(), new, partners(100))
    assert diff.moved[0]["from"]["id"] == "gold" and diff.moved[0]["to"]["id"] == "silver"
    assert diff.moved[0]["direction"] == UP  # silver now ranks first


# -- comparing different programs --

def other_program(**changes):
    doc = base_policy(id="other-program")
    doc["tiers"] = [{"id": "elite", "name": "Elite", "criteria": [
        {"id": "sales", "description": "sales", "condition": {"fact": "sales", "op": ">=", "value": 50}}]}]
    doc.update(changes)
    return doc


def test_different_programs_without_a_shared_scale_move_laterally_but_no_tier_is_below_all():
    diff = run_diff(base_policy(), other_program(), partners(5, 10, 50, 100))
    ways = {m["partner_id"]: (m["from"] and m["from"]["id"], m["to"] and m["to"]["id"], m["direction"])
            for m in diff.moved}
    assert ways == {"P1": ("silver", None, DOWN), "P2": ("silver", "elite", LATERAL),
                    "P3": ("gold", "elite", LATERAL)}
    assert diff.basis == "none"
    assert diff.has("any") and diff.has("down") and not diff.has("up")


def test_programs_on_a_shared_rank_scale_compare_by_level():
    old = base_policy(rank_scale="acme-standing")
    old["tiers"][0]["level"], old["tiers"][1]["level"] = 3, 2
    new = other_program(rank_scale="acme-standing")
    new["tiers"][0]["level"] = 2  # elite stands with silver
    diff = run_diff(old, new, partners(10, 50, 100))
    assert [(m["partner_id"], m["direction"]) for m in diff.moved] == [("P0", DOWN), ("P1", LATERAL), ("P2", DOWN)]
    assert diff.basis == "rank_scale"
    # silver (level 2) -> no tier: the new program's elite (level 2, not above silver) was passed
    # on the way down, and its unmet criterion is the cause
    assert [c["tier"] for c in diff.moved[0]["causes"]] == ["silver", "elite"]
    assert diff.moved[0]["causes"][1]["after"]["status"] == "not_met"
    assert [c["tier"] for c in diff.moved[2]["causes"]] == ["gold", "elite"]
    new["tiers"][0]["level"] = 4
    diff = run_diff(old, new, partners(100))
    assert diff.moved[0]["direction"] == UP


def test_rank_scale_requires_levels_and_levels_require_a_rank_scale():
    from evaluator import PolicyError
    doc = base_policy(rank_scale="acme-standing")
    doc["tiers"][0]["level"] = 3
    with pytest.raises(PolicyError) as exc:
        load_policy(doc)
    assert exc.value.findings[0].pointer == "/tiers/1" and "'level' is a required property" in str(exc.value)
    doc = base_policy()
    doc["tiers"][0]["level"] = 3
    with pytest.raises(PolicyError) as exc:
        load_policy(doc)
    assert exc.value.findings[0].pointer == "/tiers/0/level" and "rank_scale" in str(exc.value)


# -- benefits --

def with_benefit(doc, tier_index, **benefit):
    doc = copy.deepcopy(doc)
    doc["tiers"][tier_index]["benefits"] = [dict({"id": "referral_commission", "description": "Referral"},
                                                 **benefit)]
    return doc


def test_benefit_changes_are_reported_per_transition_including_unchanged_tiers():
    old = with_benefit(base_policy(), 0, value=10, unit="percent")
    new = with_benefit(base_policy(), 0, value=8, unit="percent", description="Reworded")
    diff = run_diff(old, new, partners(100, 200, 10))
    assert diff.moved == []
    assert diff.benefit_transitions() == [{"from": "gold", "to": "gold", "partners": 2, "changes": [
        {"benefit": "referral_commission", "change": "changed", "before": {"value": 10, "unit": "percent"},
         "after": {"value": 8, "unit": "percent"}, "description": "Reworded"}]}]
    assert benefit_text(diff.benefit_transitions()[0]["changes"][0]) == "~ referral_commission: 10 percent -> 8 percent"


def test_a_wording_change_is_not_a_benefit_change_and_moves_carry_gains_and_losses():
    old = with_benefit(base_policy(), 0, value=10, unit="percent")
    new = with_benefit(with_gold_threshold(150), 0, value=10, unit="percent", description="New words")
    diff = run_diff(old, new, partners(100, 150))
    assert [b for b in diff.benefit_transitions() if b["from"] == b["to"]] == []
    assert [benefit_text(b) for b in diff.moved[0]["benefits"]] == ["- referral_commission (10 percent)"]


# -- invalid records --

def test_invalid_records_under_either_policy_are_listed_never_dropped():
    new = base_policy()
    new["facts"]["referrals"]["required"] = True
    records = [
        {"partner_id": "OK", "sales": 100, "referrals": 1},
        {"partner_id": "BOTH", "sales": "lots", "referrals": 1},   # invalid under both
        {"partner_id": "NEW", "sales": 100},                      # referrals now required
        "not an object",
    ]
    diff = run_diff(base_policy(), new, records)
    totals = diff.totals()
    assert totals["records"] == 4 and totals["compared"] == 1 and totals["invalid"] == 3
    by_id = {i["partner_id"]: i for i in diff.invalid}
    assert by_id["BOTH"]["under"] == "both"
    assert by_id["NEW"]["under"] == "new" and by_id["NEW"]["tiers"]["old"]["id"] == "gold"
    assert "referrals" in by_id["NEW"]["errors"]["new"] and by_id["NEW"]["errors"]["old"] is None
    assert by_id[None]["source"] == {"index": 4}


# -- streaming --

def test_the_input_is_read_once_in_lockstep():
    pulled = []

    def records():
        for i, record in enumerate(partners(*([100, 5] * 50))):
            pulled.append(i)
            yield record

    with Evaluator(load_policy(base_policy())) as old, Evaluator(load_policy(with_gold_threshold(150))) as new:
        from evaluator.tools.diff import paired
        stream = paired(old, new, records())
        next(stream)
        assert len(pulled) == 1  # both policies decided record 1 before record 2 was read
        rest = list(stream)
    assert len(rest) == 99 and pulled == list(range(100))


def test_unchanged_partners_are_only_counted():
    diff = run_diff(base_policy(), with_gold_threshold(150), partners(*([5, 10, 200] * 300)))
    assert diff.moved == [] and diff.totals()["unchanged"] == 900
    assert len(diff.matrix) == 3  # the matrix, not the partners, is what is held


# -- the CLI, as a user runs it --

@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diff")
    old = write_json(folder / "old.json", base_policy())
    new = write_json(folder / "new.json", with_gold_threshold(150))
    up = write_json(folder / "up.json", with_gold_threshold(99))
    facts = folder / "partners.jsonl"
    facts.write_text("\n".join(json.dumps(r) for r in partners(*SALES)) + "\n")
    bad = folder / "bad.jsonl"
    bad.write_text('{"partner_id": "A", "sales": 120}\n{"partner_id": "B", "sales": -1}\n{not json\n')
    return {"old": str(old), "new": str(new), "up": str(up), "facts": str(facts), "bad": str(bad),
            "folder": folder}


@pytest.mark.parametrize("fail_on, policy, code", [
    (None, "new", 0), ("down", "new", 1), ("up", "new", 0), ("any", "new", 1),
    ("down", "up", 0), ("up", "up", 1), ("any", "old", 0),
])
def test_fail_on_exit_codes(cli, programs, fail_on, policy, code):
    args = ["diff", programs["old"], programs[policy], programs["facts"], "--format", "json"]
    if fail_on:
        args += ["--fail-on", fail_on]
    proc = cli(*args)
    assert proc.returncode == code, proc.stderr_text
    json.loads(proc.stdout_text)  # the report is written whatever the exit code
    if code:
        assert f"--fail-on {fail_on}" in proc.stderr_text


def test_cli_json_has_transitions_moves_and_totals(cli, programs):
    proc = cli("diff", programs["old"], programs["new"], programs["facts"], "--format", "json")
    data = json.loads(proc.stdout_text)
    assert {"from": "gold", "to": "silver", "count": 4, "direction": "down"} in data["transitions"]
    assert data["totals"]["down"] == 4 and data["totals"]["records"] == len(SALES)
    assert [m["source"]["line"] for m in data["moved"]] == [5, 6, 7, 8]
    assert data["old"]["sha256"] != data["new"]["sha256"]


def test_cli_invalid_records_exit_1_and_are_listed(cli, programs):
    proc = cli("diff", programs["old"], programs["new"], programs["bad"], "--format", "csv")
    assert proc.returncode == 1
    rows = list(csv.DictReader(io.StringIO(proc.stdout_text)))
    assert [(r["partner_id"], r["status"], r["line"]) for r in rows] == [
        ("A", "moved", "1"), ("B", "invalid_both", "2"), ("", "invalid_both", "3")]
    assert "below its minimum" in rows[1]["old_error"]
    assert "2 of 3 records invalid under either policy" in proc.stderr_text


def test_cli_markdown_and_html(cli, programs):
    md = cli("diff", programs["old"], programs["new"], programs["facts"], "--format", "markdown").stdout_text
    assert "| Gold | 2 | 4 |  | 6 |" in md and "## Moved partners" in md
    out = programs["folder"] / "diff.html"
    proc = cli("diff", programs["old"], programs["new"], programs["facts"], "--format", "html", "-o", str(out))
    assert proc.returncode == 0 and proc.stdout_text == ""
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</html>" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page and "@import" not in page


@pytest.mark.parametrize("args, message", [
    (["missing-policy.json", "NEW", "FACTS"], "cannot read policy"),
    (["OLD", "NEW", "no-such-file.csv"], "cannot read no-such-file.csv"),
    (["OLD", "NEW", "FACTS", "--fail-on", "sideways"], "Invalid value for '--fail-on'"),
])
def test_cli_usage_and_policy_errors_exit_2(cli, programs, args, message):
    args = [programs["old"] if a == "OLD" else programs["new"] if a == "NEW" else programs["facts"] if a == "FACTS"
            else a for a in args]
    proc = cli("diff", *args)
    assert proc.returncode == 2 and message in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_progress_bar_only_on_a_terminal(programs):
    facts = programs["folder"] / "many.csv"
    facts.write_text("partner_id,sales\n" + "".join(f"P{i},{i % 300}\n" for i in range(1200)))
    report = programs["folder"] / "many.json"
    master, slave = pty.openpty()
    # stderr is a terminal, stdout a file: a pty the test does not drain would fill and block
    proc = subprocess.Popen([str(EVALUATOR_BIN), "diff", programs["old"], programs["new"], str(facts),
                             "--format", "json", "-o", str(report)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:  # no output for a minute: give up rather than hang the suite
                proc.kill()
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command closed its end of the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
    finally:
        os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, shown
    assert "Comparing" in shown
    assert json.loads(report.read_text())["totals"]["records"] == 1200
    piped = subprocess.run([str(EVALUATOR_BIN), "diff", programs["old"], programs["new"], str(facts)],
                           capture_output=True, timeout=120)
    assert b"Comparing" not in piped.stderr


# -- the shipped migration: legacy Gold/Silver/Bronze -> the new program --

def test_legacy_program_reads_the_same_facts_as_the_new_one():
    legacy, shipped = load_policy(LEGACY), load_policy(SHIPPED)
    assert legacy.facts == shipped.facts and legacy.rank_scale == shipped.rank_scale
    assert "illustrative" in legacy.description.lower()


def test_migration_over_the_examples(cli):
    proc = cli("diff", str(LEGACY), str(SHIPPED), str(EXAMPLES_CSV), "--format", "json", "--fail-on", "down")
    assert proc.returncode == 1
    data = json.loads(proc.stdout_text)
    assert data["comparison"]["basis"] == "rank_scale"
    totals = data["totals"]
    assert (totals["up"], totals["down"], totals["lateral"], totals["unchanged"], totals["invalid"]) == (5, 6, 11, 3, 0)
    moved = {m["partner_id"]: m for m in data["moved"]}
    # 999,999.99 was Gold (>= 500,000) and misses Alliance Partner by a cent: down to Premier Certified
    ap4 = moved["AP-0004"]
    assert (ap4["from"]["id"], ap4["to"]["id"], ap4["direction"]) == ("gold", "premier_certified", "down")
    assert [(c["tier"], c["criterion"]) for c in ap4["causes"]] == [
        ("gold", "sales_500k"), ("alliance_partner", "sales_1m"), ("premier_certified", "sales_100k")]
    assert ap4["causes"][1]["after"] == {"status": "not_met", "actual": {"annual_sales_usd": 999999.99},
                                         "required": "annual_sales_usd >= 1000000"}
    # exactly 25,000 had no legacy tier (Bronze needs 50,000 or 3 referrals): up to Certified Partner
    assert (moved["AP-0010"]["from"], moved["AP-0010"]["to"]["id"], moved["AP-0010"]["direction"]) == (
        None, "certified_partner", "up")
    # five referrals: Bronze by referrals, now Premium Associate with a higher commission
    benefits = {b["benefit"]: b for b in moved["AP-0015"]["benefits"]}
    assert benefits["referral_commission"]["before"]["amount"]["percent"] == 5
    assert benefits["referral_commission"]["after"]["amount"]["percent"] == 10
    assert benefits["recurring_revenue_share"]["change"] == "added"
    # no tier under both: not a move
    assert "AP-0018" not in moved and "AP-0019" not in moved and "AP-0023" not in moved


def test_the_docs_show_the_current_migration_report(cli):
    """docs/impact.md's copy of the migration report is the command's output (title line dropped,
    headings one level down)."""
    import re
    proc = cli("diff", "policies/legacy-gold-silver-bronze.json", "policies/messagelabs-apac.json",
               "examples/partners.csv", "--format", "markdown")
    lines = proc.stdout_text.splitlines(keepends=True)
    assert lines[0].startswith("# Impact of messagelabs-apac-legacy")
    body = re.sub(r"(?m)^## ", "### ", "".join(lines[1:]).lstrip("\n"))
    assert body in (REPO / "docs" / "impact.md").read_text(encoding="utf-8")


def test_an_override_that_applies_under_one_policy_only_is_a_cause():
    new = base_policy(overrides=[{"id": "strategic", "description": "Contracted", "tier": "gold",
                                  "when": {"fact": "partner_id", "op": "in", "value": ["P0"]}}])
    diff = run_diff(base_policy(), new, partners(10, 10))
    assert [(m["partner_id"], m["direction"]) for m in diff.moved] == [("P0", UP)]
    causes = diff.moved[0]["causes"]
    assert causes[-1] == {"override": {"before": None, "after": "strategic"}}
    assert cause_text(causes[-1]) == "override: (none) -> strategic"
