"""`evaluator report`: partners per tier, sums per tier, breakdowns, near misses and partners at
risk (at and around the margin), invalid records, options, and the Markdown/HTML/JSON renderings."""
from __future__ import annotations

import io
import json

import pytest

from conftest import EXAMPLES, REPO, base_policy, write_json
from evaluator import Evaluator, load_policy
from evaluator.render.svg import svg_bars
from evaluator.tools.report import WRITERS, ReportOptionError, build_report


def report_of(records, doc=None, **options):
    with Evaluator(load_policy(doc or base_policy())) as evaluator:
        return build_report(evaluator, records, **options).to_dict()


def tiers_by_id(data):
    return {t["id"]: t for t in data["tiers"]}


def test_counts_and_sums_per_tier():
    data = report_of([{"partner_id": "A", "sales": 100}, {"partner_id": "B", "sales": 250.5},
                      {"partner_id": "C", "sales": 10}, {"partner_id": "D", "sales": 9},
                      {"partner_id": "E"}])
    tiers = tiers_by_id(data)
    assert [(t["id"], t["partners"]) for t in data["tiers"]] == [("gold", 2), ("silver", 1), (None, 2)]
    assert tiers["gold"]["sums"]["sales"] == {"count": 2, "total": 350.5, "mean": 175.25, "min": 100, "max": 250.5}
    # E has no sales: counted as a partner, not in the sums
    assert tiers[None]["sums"]["sales"] == {"count": 1, "total": 9, "mean": 9, "min": 9, "max": 9}
    assert data["sums"]["sales"] == {"count": 4, "total": 369.5, "mean": 92.38, "min": 9, "max": 250.5}
    assert tiers["gold"]["share"] == 0.4 and data["partners"] == 5 and data["records"] == 5


@pytest.mark.parametrize("sales, near_tier, risk_tier", [
    (90, "gold", None),        # needs 10 more: exactly 10% of the gold threshold
    (89.99, None, None),       # 10.01% short: not near
    (99.99, "gold", None),
    (100, None, "gold"),       # holds gold by 0: at risk
    (109.99, None, "gold"),    # holds gold by 9.99%
    (110, None, None),         # holds gold by exactly 10%: not less than the margin
    (9, "silver", None),       # no tier; the next tier up is silver, 1 short of 10 (10%)
    (8.99, None, None),
    (10, None, "silver"),
])
def test_near_misses_and_at_risk_at_the_margin(sales, near_tier, risk_tier):
    data = report_of([{"partner_id": "P", "sales": sales}], near_percent=10)
    tiers = tiers_by_id(data)
    near = [t for t, row in tiers.items() if t is not None and row["near_miss"]]
    risk = [t for t, row in tiers.items() if t is not None and row["at_risk"]]
    assert near == ([near_tier] if near_tier else [])
    assert risk == ([risk_tier] if risk_tier else [])


def test_near_misses_agree_with_evaluate_near(cli):
    listed = cli("evaluate", str(EXAMPLES / "partners.csv"), "--near", "10", "--format", "jsonl").stdout_text
    near = [json.loads(line) for line in listed.splitlines()]
    expected_near, expected_risk = {}, {}
    for item in near:
        if item["near"]:
            expected_near[item["near"]["id"]] = expected_near.get(item["near"]["id"], 0) + 1
        if item["at_risk"]:
            expected_risk[item["tier"]["id"]] = expected_risk.get(item["tier"]["id"], 0) + 1
    data = json.loads(cli("report", str(EXAMPLES / "partners.csv"), "--format", "json").stdout_text)
    assert {t["id"]: t["near_miss"] for t in data["tiers"] if t["id"] and t["near_miss"]} == expected_near
    assert {t["id"]: t["at_risk"] for t in data["tiers"] if t["id"] and t["at_risk"]} == expected_risk
    assert expected_near == {"alliance_partner": 1, "premier_certified": 1}  # AP-0004 and AP-0007


def test_a_missing_fact_leaves_the_partner_undecided_under_the_highest_open_tier():
    data = report_of([{"partner_id": "P"}, {"partner_id": "Q", "sales": 50}])
    tiers = tiers_by_id(data)
    assert tiers["gold"]["undecided"] == 1 and tiers["silver"]["undecided"] == 0
    assert tiers["gold"]["near_miss"] == 0  # missing data is never a near miss


def test_breakdowns_count_each_value_once_per_partner():
    records = [{"partner_id": "A", "sales": 100, "regions": ["ANZ", "ASEAN", "ANZ"]},
               {"partner_id": "B", "sales": 10, "regions": ["ANZ"]},
               {"partner_id": "C", "sales": 10, "regions": []},
               {"partner_id": "D"}]
    data = report_of(records)
    (regions,) = data["breakdowns"]  # the default: every list fact (regions); country has no enum
    assert regions["fact"] == "regions" and regions["multi_valued"]
    assert regions["values"] == [
        {"value": "ANZ", "partners": 2, "tiers": {"gold": 1, "silver": 1, "none": 0}},
        {"value": "ASEAN", "partners": 1, "tiers": {"gold": 1, "silver": 0, "none": 0}},
        {"value": None, "partners": 2, "tiers": {"gold": 0, "silver": 1, "none": 1}},
    ]
    data = report_of([{"partner_id": "A", "sales": 100, "country": "NZ"}], dimensions=["country"], sums=[])
    assert data["breakdowns"][0]["values"] == [{"value": "NZ", "partners": 1,
                                                "tiers": {"gold": 1, "silver": 0, "none": 0}}]
    assert data["sums"] == {}


@pytest.mark.parametrize("options, message", [
    ({"dimensions": ["region"]}, "no fact 'region'; did you mean 'regions'?"),
    ({"dimensions": ["sales"]}, "'sales' is a number fact; expected a string or string_list fact"),
    ({"sums": ["regions"]}, "'regions' is a string_list fact; expected a number or integer fact"),
])
def test_bad_options_are_refused_before_anything_runs(options, message):
    with pytest.raises(ReportOptionError, match=message):
        report_of([], **options)


def test_invalid_records_are_listed_and_counted():
    data = report_of([{"partner_id": "A", "sales": -1}, {"partner_id": "B", "sales": 100}, [1, 2]])
    assert data["records"] == 3 and data["partners"] == 1 and data["invalid"] == 2
    assert [i["partner_id"] for i in data["invalid_records"]] == ["A", None]
    assert "below its minimum" in data["invalid_records"][0]["message"]


def test_shipped_examples_by_cli_markdown(cli):
    proc = cli("report", str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 0, proc.stderr_text
    md = proc.stdout_text
    assert md.startswith("# Program report: MessageLabs Asia-Pacific partner program")
    assert "| 1 | Alliance Partner | 4 | 16.0% |" in md
    assert "| Alliance Partner | 4 | 9,410,000 | 2,352,500 | 1,000,000 | 4,850,000 |" in md
    assert "| ASEAN | 10 | 2 | 3 | 2 |  | 1 | 2 |" in md  # regions, by tier
    assert "## Countries: partners per tier" in md


def test_cli_json_totals_match_evaluate(cli):
    data = json.loads(cli("report", str(EXAMPLES / "partners.jsonl"), "--format", "json").stdout_text)
    assert [(t["id"], t["partners"]) for t in data["tiers"]] == [
        ("alliance_partner", 4), ("premier_certified", 8), ("certified_partner", 6), ("premium_associate", 1),
        ("associate_partner", 3), (None, 3)]
    assert data["sums"]["annual_sales_usd"]["total"] == 13099248.5 and data["policy"]["id"] == "messagelabs-apac"


def test_cli_html_is_one_self_contained_reproducible_file(cli, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for out in (first, second):
        proc = cli("report", str(EXAMPLES / "partners.csv"), "--format", "html", "-o", str(out))
        assert proc.returncode == 0 and proc.stdout_text == ""
    page = first.read_text()
    assert page == second.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 4
    assert "<script" not in page and "src=" not in page and "href=" not in page and "@import" not in page


def test_cli_legacy_policy_and_options(cli):
    proc = cli("report", "--policy", str(REPO / "policies" / "legacy-gold-silver-bronze.json"),
               str(EXAMPLES / "partners.csv"), "--format", "json", "--by", "regions", "--near", "0",
               "--as-of", "2006-06-30")  # a date the legacy program was in force (else refused: docs/time.md)
    data = json.loads(proc.stdout_text)
    assert [(t["id"], t["partners"]) for t in data["tiers"]] == [("gold", 7), ("silver", 3), ("bronze", 9), (None, 6)]
    assert [b["fact"] for b in data["breakdowns"]] == ["regions"] and data["near_percent"] == 0


def test_cli_invalid_records_exit_1(cli, tmp_path):
    facts = tmp_path / "p.jsonl"
    facts.write_text('{"partner_id": "A", "annual_sales_usd": 5}\n{"partner_id": "B", "annual_sales_usd": "x"}\n')
    proc = cli("report", str(facts))
    assert proc.returncode == 1 and "1 of 2 records invalid" in proc.stderr_text
    assert "## Invalid records" in proc.stdout_text and "`B`" in proc.stdout_text


@pytest.mark.parametrize("args, message", [
    (["--by", "country"], "no fact 'country'; did you mean 'countries'?"),
    (["--near", "-1"], "Invalid value for '--near'"),
    (["--format", "pdf"], "Invalid value for '--format'"),
])
def test_cli_usage_errors_exit_2(cli, args, message):
    proc = cli("report", str(EXAMPLES / "partners.csv"), *args)
    assert proc.returncode == 2 and message in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_cli_bad_policy_exit_2(cli, tmp_path):
    bad = write_json(tmp_path / "bad.json", base_policy(tiers=[]))
    proc = cli("report", "--policy", str(bad), str(EXAMPLES / "partners.csv"))
    assert proc.returncode == 2 and "bad.json" in proc.stderr_text


def test_chart_escapes_labels_and_scales_bars():
    svg = svg_bars([("<b>&", [3]), ("b", [6])], ["n"], ["#000"], title="t")
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg
    widths = [float(w) for w in __import__("re").findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths[1] == pytest.approx(2 * widths[0])


def named_policy():
    doc = base_policy()
    doc["facts"]["partner_name"] = {"type": "string", "description": "trading name"}
    return doc


def test_partners_at_risk_are_named_closest_first_and_the_list_is_bounded():
    records = [{"partner_id": "A", "partner_name": "Alpha", "sales": 105}, {"partner_id": "B", "sales": 101},
               {"partner_id": "C", "partner_name": "Gamma", "sales": 103}, {"partner_id": "D", "sales": 101}]
    with Evaluator(load_policy(named_policy())) as evaluator:
        data = build_report(evaluator, records, list_limit=2).to_dict()
    listed = data["at_risk_partners"]["gold"]
    assert [(p["partner_id"], p["name"], p["percent"]) for p in listed] == [("B", None, 1.0), ("D", None, 1.0)]
    assert listed[0]["holds_by"] == ["Sales 101 USD, at least 100 needed: 1 USD to spare (1% of the threshold)"]
    assert tiers_by_id(data)["gold"]["at_risk"] == 4 and data["totals"]["at_risk"] == 4
    with Evaluator(load_policy(named_policy())) as evaluator:
        report = build_report(evaluator, records, list_limit=3)
    assert [p["name"] for p in report.to_dict()["at_risk_partners"]["gold"]] == [None, None, "Gamma"]
    out = io.StringIO()
    WRITERS["markdown"](report, out)
    assert "- `B`: Sales 101 USD" in out.getvalue() and "- Gamma (`C`): Sales 103 USD" in out.getvalue()
    assert "- and 1 more (the report lists 3 per tier; `evaluator evaluate --near 10` lists them all)" in out.getvalue()


def test_near_misses_say_what_each_needs_and_list_0_names_none():
    records = [{"partner_id": "N", "partner_name": "Near Co", "sales": 95}]
    with Evaluator(load_policy(named_policy())) as evaluator:
        data = build_report(evaluator, records).to_dict()
    (near,) = data["near_miss_partners"]["gold"]
    assert (near["name"], near["tier"], near["near"]) == ("Near Co", "silver", "gold")
    assert near["needs"] == ["Sales 95 USD, at least 100 needed: 5 USD more (5% of the threshold)"]
    with Evaluator(load_policy(named_policy())) as evaluator:
        data = build_report(evaluator, records, list_limit=0).to_dict()
    assert data["near_miss_partners"] == {"gold": []} and data["totals"]["near_miss"] == 1
    with pytest.raises(ReportOptionError, match="--list -1"):
        report_of([], list_limit=-1)


def test_every_report_states_its_as_of_date_and_policy(cli):
    data = json.loads(cli("report", str(EXAMPLES / "partners.csv"), "--format", "json", "--as-of",
                          "2026-03-31").stdout_text)
    assert data["as_of"] == "2026-03-31" and set(data["policy"]) == {"id", "version", "sha256", "title"}
    md = cli("report", str(EXAMPLES / "partners.csv"), "--as-of", "2026-03-31").stdout_text
    shipped = load_policy(REPO / "policies" / "messagelabs-apac.json")
    assert f"Policy `messagelabs-apac` version {shipped.version}, sha256 `{shipped.sha256}`." in md
    assert "As of 2026-03-31: " in md
    assert "| **All partners** | **25** | **100.0%** |" in md  # totals rows in Markdown too
    assert "| **All tiers** | **2** | **6** | **2** |" in md
