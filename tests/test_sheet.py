"""The program sheet (evaluator/sheet.py, `evaluator doc`): the shipped program's sheet checked
against the policy's content, conditions in words, escaping, a self-contained printable HTML
file, and the same sheet for the same policy."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from evaluator import load_policy
from evaluator.model.policy import Comparison, Operand
from evaluator.language.operators import OPERATORS, written
from evaluator.tools.sheet import Para, condition_words, number_text, render_sheet, to_markdown

from conftest import REPO, SHIPPED, base_policy, write_json


@pytest.fixture(scope="module")
def markdown(shipped_policy):
    return render_sheet(shipped_policy, "markdown")


def table_rows(markdown: str, header: str) -> list[list[str]]:
    lines = markdown.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_the_tier_table_follows_the_policy(markdown, shipped_policy):
    rows = table_rows(markdown, "| Rank | Tier | Required criteria | Benefits |")
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    for row, tier in zip(rows, shipped_policy.tiers):
        assert row[1].startswith(tier.name + ": ") and tier.description in row[1]
        for criterion in tier.criteria:
            assert (criterion.description in row[2]) != criterion.advisory  # advisory ones are listed apart
        for benefit in tier.benefits:
            assert benefit["description"] in row[3].replace("\\", "")
    assert "`annual_sales_usd` at least 1,000,000 USD" in rows[0][2]
    assert "`annual_sales_usd` at least 100,000 USD" in rows[1][2]
    assert "`annual_sales_usd` at least 25,000 USD" in rows[2][2]
    assert "`referrals_this_year` at least 5 referrals" in rows[3][2]
    assert "`referrals_this_year` at least 1 referral" in rows[4][2]
    assert "(10% of referred business, annual)" in rows[3][3]
    assert "(5% of monthly recurring revenue, monthly, from contract 6, opt-in)" in rows[3][3]
    assert "(10% of referred business, annual)" in rows[4][3]


def test_advisory_criteria_facts_and_measures(markdown, shipped_policy):
    advisory = table_rows(markdown, "| Tier | Criterion | In words |")
    assert advisory == [["Premier Certified", "Usually works across multiple regions.", "`region_count` at least 2 regions"],
                        ["Certified Partner", "Operates within one country.", "`country_count` exactly 1 country"]]
    facts = table_rows(markdown, "| Fact | Meaning | Type | Unit | Rules |")
    assert [f[0] for f in facts] == [f"`{name}`" for name in shipped_policy.facts]
    by_name = {f[0].strip("`"): f for f in facts}
    assert by_name["annual_sales_usd"][1:4] == [shipped_policy.facts["annual_sales_usd"].description, "number", "USD"]
    assert by_name["annual_sales_usd"][4] == "at least 0"
    assert by_name["partner_id"][4].startswith("required; matches `")
    assert by_name["referrals_this_year"][2] == "whole number"
    measures = table_rows(markdown, "| Measure | Meaning | Computed as | Unit |")
    assert measures[0] == ["`region_count`", "Number of regions the partner sells in.",
                           "the number of items in `regions`", "regions"]


def test_metadata_version_dates_and_hash(markdown, shipped_policy):
    assert markdown.startswith(f"# {shipped_policy.title}\n")
    assert f"| Version | {shipped_policy.version} |" in markdown and "| Effective | from 2007-01-01, with no end date |" in markdown
    assert f"| Policy sha256 | `{shipped_policy.sha256}` |" in markdown
    assert "| Currency | USD |" in markdown
    assert "## Overrides" not in markdown  # the shipped program has none


def test_the_same_policy_gives_the_same_sheet_and_a_change_shows(tmp_path, shipped_policy, markdown):
    assert render_sheet(load_policy(SHIPPED), "markdown") == markdown
    doc = json.loads(SHIPPED.read_text())
    doc["version"] = "1.0.1"
    doc["tiers"][0]["criteria"][0]["condition"]["value"] = 2000000
    changed = render_sheet(load_policy(doc), "markdown")
    assert "| Version | 1.0.1 |" in changed and "at least 2,000,000 USD" in changed and shipped_policy.sha256 not in changed


def test_overrides_and_effective_until(tmp_path):
    doc = base_policy(effective={"from": "2026-01-01", "until": "2026-12-31"}, overrides=[
        {"id": "vip", "description": "Contracted partners are Gold",
         "when": {"fact": "partner_id", "op": "in", "value": ["P-1", "P-2"]}, "tier": "gold"},
        {"id": "banned", "description": "Suspended partners", "when": {"fact": "active", "op": "==", "value": False},
         "tier": None}])
    md = render_sheet(load_policy(doc), "markdown")
    assert table_rows(md, "| Override | When | Result |") == [
        ["Contracted partners are Gold", "`partner_id` one of P-1, P-2", "Gold"],
        ["Suspended partners", "`active` is false", "no tier"]]
    assert "from 2026-01-01 until 2026-12-31 (inclusive)" in md
    assert "unless an override below applies first" in md


def cmp(op: str, value, kind: str = "fact", name: str = "sales"):
    return Comparison(Operand(kind, name), op, tuple(value) if isinstance(value, list) else value, "")


@pytest.mark.parametrize("op, value, words", [
    (">=", 1000000, "`sales` at least 1,000,000 USD"),
    (">", 99999.99, "`sales` more than 99,999.99 USD"),
    ("<=", 10, "`sales` at most 10 USD"),
    ("<", 0.5, "`sales` less than 0.5 USD"),
    ("==", 1, "`sales` exactly 1 USD"),
    ("!=", 3, "`sales` anything but 3 USD"),
    ("between", [25000, 99999.99], "`sales` from 25,000 USD to 99,999.99 USD (both included)"),
])
def test_every_operator_in_words(op, value, words):
    policy = load_policy(base_policy())
    assert to_markdown_text(condition_words(policy, cmp(op, value))) == words
    # every operator a policy may write has its words (the cases above cover each of them)
    assert all(OPERATORS[symbol].words is not None for symbol in written())


def test_lists_strings_and_nesting_in_words():
    policy = load_policy(base_policy())
    assert to_markdown_text(condition_words(policy, cmp("in", ["AU", "NZ"], name="country"))) == "`country` one of AU, NZ"
    assert to_markdown_text(condition_words(policy, cmp("not_in", ["XX"], name="country"))) == "`country` none of XX"
    assert to_markdown_text(condition_words(policy, cmp("contains", "ANZ", name="regions"))) == "`regions` includes ANZ"
    assert to_markdown_text(condition_words(policy, cmp("!=", "AU", name="country"))) == "`country` is not AU"
    doc = base_policy()
    doc["tiers"][0]["criteria"][0]["condition"] = {"any": [
        {"fact": "sales", "op": ">=", "value": 100},
        {"all": [{"fact": "referrals", "op": ">=", "value": 3}, {"not": {"fact": "active", "op": "==", "value": False}}]}]}
    policy = load_policy(doc)
    words = to_markdown_text(condition_words(policy, policy.tiers[0].criteria[0].condition))
    assert words == "either `sales` at least 100 USD; or (`referrals` at least 3; and not (`active` is false))"


def to_markdown_text(text) -> str:
    return to_markdown([Para(text)]).strip()


def test_number_text():
    assert [number_text(v) for v in (0, 1000, 1000000.0, 99999.99, 0.125, -2500)] == \
        ["0", "1,000", "1,000,000", "99,999.99", "0.125", "-2,500"]


def test_markdown_escapes_what_would_break_a_table(tmp_path):
    doc = base_policy()
    doc["tiers"][0]["name"] = "Gold | Platinum"
    doc["tiers"][0]["criteria"][0]["description"] = "Sales *over* 100 <b>"
    doc["facts"]["country"]["pattern"] = "AU|NZ"
    md = render_sheet(load_policy(doc), "markdown")
    rows = table_rows(md, "| Rank | Tier | Required criteria | Benefits |")
    assert all(len(r) == 4 for r in rows)
    assert "Gold \\| Platinum" in rows[0][1] and "Sales \\*over\\* 100 \\<b\\>" in rows[0][2]
    facts = table_rows(md, "| Fact | Meaning | Type | Unit | Rules |")
    assert all(len(r) == 5 for r in facts) and "`AU\\|NZ`" in {f[0].strip("`"): f for f in facts}["country"][4]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_printable_file(shipped_policy):
    page = render_sheet(shipped_policy, "html")
    parser = _Collect()
    parser.feed(page)
    assert page.startswith("<!DOCTYPE html>") and parser.tags.count("table") == 9  # the targets, payouts, choices and parameters tables too
    assert not {"script", "link", "img", "iframe"} & set(parser.tags)
    assert not any(name in ("src", "href") for name, _ in parser.attrs)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "@media print" in page and "@page" in page and "break-inside: avoid" in page
    text = "".join(parser.text)
    for tier in shipped_policy.tiers:
        assert tier.name in text
    assert shipped_policy.sha256 in text and "at least 1,000,000 USD" in text


def test_html_escapes_policy_text():
    doc = base_policy(title="A & B <script>alert(1)</script>")
    doc["tiers"][0]["criteria"][0]["description"] = "<img src=x onerror=alert(1)>"
    page = render_sheet(load_policy(doc), "html")
    assert "<script>" not in page and "<img" not in page
    assert "A &amp; B &lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_evaluator_doc(cli, tmp_path, markdown):
    proc = cli("doc")  # the shipped program by default
    assert proc.returncode == 0 and proc.stdout_text == markdown
    out = tmp_path / "sheet.html"
    proc = cli("doc", str(SHIPPED), "--format", "html", "--output", str(out))
    assert proc.returncode == 0 and proc.stdout_text == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = write_json(tmp_path / "bad.json", base_policy(tiers=[]))
    proc = cli("doc", str(bad))
    assert proc.returncode == 2 and f"{bad}:" in proc.stderr_text and "Traceback" not in proc.stderr_text


def test_every_shipped_policy_has_a_sheet():
    for path in sorted((REPO / "policies").glob("*.json")):
        policy = load_policy(path)
        md = render_sheet(policy, "markdown")
        assert policy.title in md and policy.sha256 in md
        for tier in policy.tiers:
            assert tier.name in md
