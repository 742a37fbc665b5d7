"""Targets as policy data (the channel share of sales): validation with located errors, the
shares overall, by tier and by segment at and around the target, missing figures, dates, and
the report over several snapshots (movement, the target across them) from the CLI."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import EXAMPLES, SHIPPED, base_policy, write_json
from evaluator import Evaluator, PolicyError, load_policy
from evaluator.load.jsontext import Document
from evaluator.load.policyfile import validate_document
from evaluator.tools.report import ReportSet, build_report

QUARTERS = EXAMPLES / "quarters"


def target(**changes):
    t = {"id": "channel_share", "title": "Channel share of sales",
         "share": {"part": "sales", "whole": ["sales", "direct"]}, "at_least_percent": 80, "by": "2027-06-30",
         "per": {"fact": "regions", "targets": {"APAC": {"at_least_percent": 100}, "US": {"at_least_percent": 60,
                                                                                          "by": "2027-12-31"}}}}
    t.update(changes)
    return t


def policy_doc(*targets, **facts):
    doc = base_policy()
    doc["facts"]["direct"] = {"type": "number", "unit": "USD", "minimum": 0, "description": "direct sales"}
    doc["facts"]["regions"]["enum"] = ["APAC", "US", "EMEA"]
    doc["facts"].update(facts)
    doc["targets"] = list(targets) or [target()]
    return doc


def mix_of(records, doc=None, as_of=dt.date(2027, 3, 31)):
    with Evaluator(load_policy(doc or policy_doc()), as_of=as_of) as evaluator:
        return build_report(evaluator, records).to_dict()["targets"][0]


def findings_of(doc, tmp_path):
    path = write_json(tmp_path / "policy.json", doc)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value.findings


# --- validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, pointer, message", [
    ({"share": {"part": "sales", "whole": ["sales", "direkt"]}}, "/targets/0/share/whole/1",
     "unknown fact 'direkt'; did you mean 'direct'?"),
    ({"share": {"part": "sales", "whole": ["sales", "country"]}}, "/targets/0/share/whole/1",
     "adds up 'country', a string fact"),
    ({"share": {"part": "sales", "whole": ["sales", "referrals"]}}, "/targets/0/share/whole",
     "adds up facts of different units"),
    ({"share": {"part": "balance", "whole": ["sales", "direct"]}}, "/targets/0/share/part",
     "part 'balance' is not one of the facts of whole"),
    ({"per": {"fact": "region", "targets": {"APAC": {"at_least_percent": 1}}}}, "/targets/0/per/fact",
     "unknown fact 'region'; did you mean 'regions'?"),
    ({"per": {"fact": "sales", "targets": {"APAC": {"at_least_percent": 1}}}}, "/targets/0/per/fact",
     "set per 'sales', a number fact"),
    ({"per": {"fact": "partner_id", "targets": {"APAC": {"at_least_percent": 1}}}}, "/targets/0/per/fact",
     "set per 'partner_id'"),
    ({"per": {"fact": "regions", "targets": {"APAK": {"at_least_percent": 1}}}}, "/targets/0/per/targets/APAK",
     "'APAK' is not a value of 'regions'; did you mean 'APAC'?"),
    ({"by": "2027-02-30"}, "/targets/0/by", "date is not a real date"),
    ({"per": {"fact": "regions", "targets": {"US": {"at_least_percent": 1, "by": "2027-13-01"}}}},
     "/targets/0/per/targets/US/by", "date is not a real date"),
    ({"at_least_percent": 101}, "/targets/0/at_least_percent", "101 is greater than the maximum of 100"),
    ({"at_least_percent": -1}, "/targets/0/at_least_percent", "less than the minimum of 0"),
    ({"share": {"part": "sales", "whole": ["sales"]}}, "/targets/0/share/whole", "too short"),
    ({"by": None}, "/targets/0/by", "None is not of type 'string'"),
])
def test_a_bad_target_is_a_located_error(tmp_path, change, pointer, message):
    findings = [f for f in findings_of(policy_doc(target(**change)), tmp_path) if f.severity == "error"]
    assert [f.pointer for f in findings] == [pointer], findings
    assert message in findings[0].message
    assert findings[0].line is not None and findings[0].expected


def test_duplicate_target_ids_and_a_target_due_before_the_program_starts(tmp_path):
    (finding,) = findings_of(policy_doc(target(), target()), tmp_path)
    assert finding.pointer == "/targets/1/id" and "duplicate target id 'channel_share'" in finding.message
    doc = policy_doc(target(by="2019-12-31"))
    doc["effective"] = {"from": "2020-01-01"}
    policy, findings = validate_document(Document(doc, json.dumps(doc), None))
    assert policy is not None
    assert [(f.severity, f.pointer) for f in findings if f.check == "targets"] == [("warning", "/targets/0/by")]


def test_the_shipped_program_states_the_announced_channel_target():
    policy = load_policy(SHIPPED)
    (t,) = policy.targets
    assert (t.part, t.whole, t.at_least_percent, t.by, t.per) == (
        "annual_sales_usd", ("annual_sales_usd", "direct_sales_usd"), 80, "2007-12-31", "regions")
    assert {s.value: s.at_least_percent for s in t.segments} == {
        r: 100 for r in ("ANZ", "ASEAN", "GREATER_CHINA", "JAPAN", "KOREA", "SOUTH_ASIA")}


# --- the shares ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sales, direct, status, gap", [
    (80, 20, "met", None),           # exactly at the target
    (79.99, 20.01, "below", 0.01),   # one step below
    (100, 0, "met", None),
    (0, 0, "no data", None),         # nothing sold: no share
])
def test_overall_share_at_the_target(sales, direct, status, gap):
    overall = mix_of([{"partner_id": "A", "sales": sales, "direct": direct}])["overall"]
    assert overall["status"] == status and overall["gap_points"] == gap
    assert overall["days_left"] == (dt.date(2027, 6, 30) - dt.date(2027, 3, 31)).days


def test_after_the_date_a_share_below_the_target_is_missed():
    records = [{"partner_id": "A", "sales": 70, "direct": 30}]
    assert mix_of(records, as_of=dt.date(2027, 6, 30))["overall"]["status"] == "below"  # due that day
    late = mix_of(records, as_of=dt.date(2027, 7, 1))["overall"]
    assert late["status"] == "missed" and late["days_left"] == -1 and late["gap_points"] == 10


def test_sums_are_exact_and_partners_missing_a_figure_are_left_out():
    records = [{"partner_id": "A", "sales": 0.1, "direct": 0.2}, {"partner_id": "B", "sales": 0.2},
               {"partner_id": "C", "direct": 5}, {"partner_id": "D", "sales": 0.7, "direct": 0}]
    mix = mix_of(records)
    assert mix["overall"]["part"] == 0.8 and mix["overall"]["whole"] == 1.0  # 0.1 + 0.7, not 0.7999999
    assert mix["overall"]["percent"] == 80.0 and mix["overall"]["status"] == "met"
    assert mix["overall"]["partners"] == 2 and mix["partners_left_out"] == 2


def test_segments_have_their_own_targets_and_a_partner_counts_in_each_of_its_regions():
    records = [{"partner_id": "A", "sales": 90, "direct": 10, "regions": ["APAC", "US"]},
               {"partner_id": "B", "sales": 50, "direct": 50, "regions": ["US"]},
               {"partner_id": "C", "sales": 100, "direct": 0, "regions": ["EMEA", "EMEA"]},
               {"partner_id": "D", "sales": 10, "direct": 0}]
    mix = mix_of(records)
    rows = {r["value"]: r for r in mix["segments"]}
    assert list(rows) == ["APAC", "US", "EMEA"]  # the fact's enum order
    assert (rows["APAC"]["percent"], rows["APAC"]["target_percent"], rows["APAC"]["status"]) == (90.0, 100, "below")
    assert (rows["US"]["percent"], rows["US"]["target_percent"], rows["US"]["by"]) == (70.0, 60, "2027-12-31")
    assert rows["US"]["status"] == "met" and rows["US"]["partners"] == 2
    assert (rows["EMEA"]["own_target"], rows["EMEA"]["target_percent"], rows["EMEA"]["partners"]) == (False, 80, 1)
    assert mix["overall"]["partners"] == 4 and mix["overall"]["percent"] == round(250 / 310 * 100, 2)
    assert mix["partners_without_segment"] == 1


def test_shares_by_tier():
    records = [{"partner_id": "A", "sales": 150, "direct": 50}, {"partner_id": "B", "sales": 50, "direct": 0},
               {"partner_id": "C", "sales": 5, "direct": 5}]
    tiers = {t["id"]: t for t in mix_of(records)["tiers"]}
    assert (tiers["gold"]["percent"], tiers["gold"]["status"]) == (75.0, "below")
    assert (tiers["silver"]["percent"], tiers[None]["percent"]) == (100.0, 50.0)


# --- several snapshots -----------------------------------------------------------------------------

def test_movement_between_snapshots_in_the_library():
    policy = load_policy(policy_doc())
    snapshots = [[{"partner_id": "A", "sales": 50, "direct": 50}, {"partner_id": "B", "sales": 5}],
                 [{"partner_id": "A", "sales": 150, "direct": 50}, {"partner_id": "B", "sales": 15},
                  {"partner_id": "C", "sales": 1}]]
    reports = []
    for label, records, day in zip(["q1", "q2"], snapshots, [dt.date(2027, 3, 31), dt.date(2027, 6, 30)]):
        with Evaluator(policy, as_of=day) as evaluator:
            reports.append(build_report(evaluator, records, label=label))
    data = ReportSet(reports).to_dict()
    assert [(s["label"], s["as_of"], s["partners"]) for s in data["snapshots"]] == [
        ("q1", "2027-03-31", 2), ("q2", "2027-06-30", 3)]
    assert [(m["id"], m["partners"], m["change"]) for m in data["movement"]] == [
        ("gold", [0, 1], 1), ("silver", [1, 1], 0), (None, [1, 1], 0)]
    (over_time,) = data["targets_over_time"]
    assert [(s["label"], s["overall"]["percent"], s["overall"]["days_left"]) for s in over_time["snapshots"]] == [
        ("q1", 50.0, 91), ("q2", 75.0, 0)]


def test_cli_report_over_two_quarters(cli):
    proc = cli("report", str(QUARTERS / "2007-q2.csv"), str(QUARTERS / "2007-q3.csv"), "--as-of", "2007-06-30",
               "--as-of", "2007-09-30", "--format", "json")
    assert proc.returncode == 0, proc.stderr_text
    data = json.loads(proc.stdout_text)
    assert [(s["label"], s["as_of"], s["partners"]) for s in data["snapshots"]] == [
        ("2007-q2", "2007-06-30", 26), ("2007-q3", "2007-09-30", 27)]
    assert data["as_of"] == "2007-09-30" and data["input"].endswith("2007-q3.csv")
    moves = {m["id"]: (m["partners"], m["change"]) for m in data["movement"]}
    assert moves["alliance_partner"] == ([4, 5], 1) and moves["associate_partner"] == ([4, 3], -1)
    shares = [(s["overall"]["percent"], s["overall"]["status"]) for s in data["targets_over_time"][0]["snapshots"]]
    assert shares == [(78.39, "below"), (83.23, "met")]
    americas = next(r for r in data["targets"][0]["segments"] if r["value"] == "AMERICAS")
    assert (americas["percent"], americas["own_target"], americas["target_percent"]) == (38.43, False, 80)  # 1,710,000 of 4,450,000


def test_cli_one_as_of_for_every_snapshot_and_labels_of_files_with_one_name(cli, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "partners.csv").write_text((QUARTERS / "2007-q3.csv").read_text())
    proc = cli("report", str(tmp_path / "a" / "partners.csv"), str(tmp_path / "b" / "partners.csv"),
               "--as-of", "2007-09-30", "--format", "json")
    data = json.loads(proc.stdout_text)
    assert [s["label"] for s in data["snapshots"]] == [str(tmp_path / "a" / "partners.csv"),
                                                       str(tmp_path / "b" / "partners.csv")]
    assert {s["as_of"] for s in data["snapshots"]} == {"2007-09-30"}
    assert all(m["change"] == 0 for m in data["movement"])


@pytest.mark.parametrize("args, message", [
    (["--as-of", "2007-06-30", "--as-of", "2007-09-30", "--as-of", "2007-12-31"],
     "given 3 times for 2 FACTS files"),
    (["--as-of", "2007-13-01"], "expected a date YYYY-MM-DD"),
    (["--list", "-1"], "Invalid value for '--list'"),
])
def test_cli_snapshot_usage_errors_exit_2(cli, args, message):
    proc = cli("report", str(QUARTERS / "2007-q2.csv"), str(QUARTERS / "2007-q3.csv"), *args)
    assert proc.returncode == 2 and message in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_cli_stdin_once(cli):
    proc = cli("report", "-", "-", input="partner_id\nA\n")
    assert proc.returncode == 2 and "standard input ('-') can be read once" in proc.stderr_text
    proc = cli("report", "-", str(QUARTERS / "2007-q3.csv"), "--format", "json",
               input=(QUARTERS / "2007-q2.csv").read_text())
    assert proc.returncode == 0, proc.stderr_text
    assert [s["label"] for s in json.loads(proc.stdout_text)["snapshots"]] == ["stdin", "2007-q3"]


def test_cli_an_invalid_record_in_an_earlier_snapshot_exits_1(cli, tmp_path):
    bad = tmp_path / "old.csv"
    bad.write_text("partner_id,annual_sales_usd\nA,lots\nB,5\n")
    proc = cli("report", str(bad), str(QUARTERS / "2007-q3.csv"))
    assert proc.returncode == 1 and "1 of 29 records invalid" in proc.stderr_text


def test_the_program_sheet_states_the_targets(cli):
    proc = cli("doc", str(SHIPPED))
    assert proc.returncode == 0, proc.stderr_text
    section = proc.stdout_text.split("## Targets", 1)[1].split("## Facts", 1)[0]
    assert "| Channel share of sales: MessageLabs aims to drive 80% of all sales through channels" in section
    assert "`annual_sales_usd` as a share of `annual_sales_usd` + `direct_sales_usd` (per `regions`)" in section
    assert "at least 80% by 2007-12-31 overall<br>100% by 2007-12-31 in `ANZ`<br>" in section
    html = cli("doc", str(SHIPPED), "--format", "html").stdout_text
    assert "<h2>Targets</h2>" in html and "100% by 2007-12-31 in <code>SOUTH_ASIA</code>" in html


def test_a_program_without_targets_has_no_target_section(cli, tmp_path):
    path = write_json(tmp_path / "plain.json", base_policy())
    assert "## Targets" not in cli("doc", str(path)).stdout_text
    data = json.loads(cli("report", "--policy", str(path), str(EXAMPLES / "partners.csv"), "--format", "json").stdout_text)
    assert data["targets"] == []
    md = cli("report", "--policy", str(path), str(EXAMPLES / "partners.csv")).stdout_text
    assert "Target: at least" not in md and "## Partners per tier" in md
