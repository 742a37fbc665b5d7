"""The program sheet's benefits that pay (evaluator/tools/sheetpay.py, `evaluator doc`): each
tier's payable benefits with their amount in words, period, currency and when they apply; the
choices with their default; in Markdown and HTML, escaped; nothing for a policy that pays nothing."""
from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser

from evaluator import load_policy
from evaluator.tools.sheet import render_sheet

from conftest import SHIPPED, base_policy, run_cli

PAYS = "| Tier | Benefit | Amount | Paid | Applies |"
CHOICES = "| Tier | Choice | Between | Recorded in | Without a choice |"


def rows(markdown: str, header: str) -> list[list[str]]:
    lines = markdown.splitlines()
    out = []
    for line in lines[lines.index(header) + 2:]:
        if not line.startswith("|"):
            break
        out.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return out


def test_the_shipped_program_sheet_says_what_each_benefit_pays(shipped_policy):
    md = render_sheet(shipped_policy, "markdown")
    assert "## Benefits that pay" in md and "rounded half away from zero, once, to the currency's minor unit" in md
    table = rows(md, PAYS)
    assert [(r[0], r[1].split(":")[0]) for r in table] == [
        ("Premium Associate", "Referral commission"), ("Premium Associate", "Recurring-revenue share"),
        ("Associate Partner", "Referral commission")]
    commission, share, associate = table
    assert commission[2:] == ["10% of referred business", "annual (a year), in `USD`",
                              "always, to a partner of the tier; the default of the choice `referral_payment`"]
    assert share[2:] == ["5% of monthly recurring revenue", "monthly (a month), in `USD`",
                         "from the 6th contract (counted by `contracts_signed`); only when the partner chooses it; "
                         "an alternative of the choice `referral_payment`"]
    assert associate[2:] == ["10% of referred business", "annual (a year), in `USD`", "always, to a partner of the tier"]
    (choice,) = rows(md, CHOICES)
    assert choice[0] == "Premium Associate" and choice[2] == "Referral commission<br>Recurring-revenue share"
    assert choice[3:] == ["`referral_payment_choice`", "Referral commission"]


def paying(**benefit):
    doc = base_policy()
    doc["facts"]["referred"] = {"type": "number", "unit": "EUR", "minimum": 0, "description": "referred"}
    doc["tiers"][0]["benefits"] = [{"id": "bonus", "name": "Bonus", "description": "a bonus",
                                    "amount": {"each": 250, "of": "referrals", "at_least": 100, "at_most": 5000},
                                    "period": "quarterly", "currency": "EUR", **benefit}]
    return doc


def test_floor_cap_currency_period_and_conditions_in_words():
    when = {"all": [{"fact": "active", "op": "==", "value": True}, {"fact": "sales", "op": ">=", "value": 500}]}
    md = render_sheet(load_policy(paying(when=when, from_contract=3, contracts="referrals")), "markdown")
    ((tier, benefit, amount, paid, applies),) = rows(md, PAYS)
    assert (tier, benefit) == ("Gold", "Bonus: a bonus")
    assert amount == "€250.00 for each of referrals, at least €100.00, at most €5,000.00"
    assert paid == "quarterly (a quarter), in `EUR`"
    assert applies == ("from the 3rd contract (counted by `referrals`); when `active` is true; and "
                       "`sales` at least 500 USD")
    md = render_sheet(load_policy(paying(when={"fact": "active", "op": "==", "value": True})), "markdown")
    assert rows(md, PAYS)[0][4] == "when `active` is true"
    assert "### Choices between benefits" not in md


def test_a_policy_that_pays_nothing_has_no_such_section():
    md = render_sheet(load_policy(base_policy()), "markdown")
    assert "Benefits that pay" not in md


def test_markdown_and_html_escape_benefit_text():
    doc = paying(name="Bonus | <b>*big*</b>", description="<script>alert(1)</script>")
    doc["tiers"][0]["name"] = "Gold & <i>"
    policy = load_policy(doc)
    md = render_sheet(policy, "markdown")
    (row,) = rows(md, PAYS)
    assert len(row) == 5 and row[1].startswith("Bonus \\| \\<b\\>\\*big\\*\\</b\\>")
    page = render_sheet(policy, "html")
    assert "<script>" not in page and "<b>*big*" not in page
    assert "Bonus | &lt;b&gt;*big*&lt;/b&gt;: &lt;script&gt;alert(1)&lt;/script&gt;" in page

    class Tables(HTMLParser):
        classes: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.classes.append(dict(attrs).get("class") or "")
    parser = Tables()
    parser.feed(page)
    assert "payouts" in parser.classes


def test_evaluator_doc_shows_the_payouts_in_html(tmp_path):
    out = tmp_path / "sheet.html"
    proc = run_cli("doc", str(SHIPPED), "--format", "html", "--output", str(out))
    assert proc.returncode == 0, proc.stderr_text
    page = out.read_text(encoding="utf-8")
    assert "<h2>Benefits that pay</h2>" in page and "<h3>Choices between benefits</h3>" in page
    assert "from the 6th contract (counted by <code>contracts_signed</code>)" in page


def test_a_changed_rate_changes_the_sheet(shipped_policy):
    doc = json.loads(SHIPPED.read_text())
    changed = copy.deepcopy(doc)
    changed["parameters"]["recurring_share_percent"]["value"] = 7.5
    md = render_sheet(load_policy(changed), "markdown")
    assert rows(md, PAYS)[1][2] == "7.5% of monthly recurring revenue"
