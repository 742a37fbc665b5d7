"""`evaluator diff OLD NEW FACTS`: what a program change costs. The payout change per transition and
in total, annualised, beside the partners moved: a rate change (a parameter) that moves nobody, a
threshold change that moves a paid partner, partners whose payout is unknown counted apart (never as
0); the change equals the sum over partners of (new - old) worked out from `evaluate`'s decisions."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from conftest import EXAMPLES, SHIPPED

AS_OF = "2007-09-30"
HEADER = ("partner_id,referrals_this_year,referred_business_usd,contracts_signed,monthly_recurring_revenue_usd,"
          "referral_payment_choice\n")


def variant(tmp_path, name, change):
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def rate(percent):
    def change(doc):
        doc["parameters"]["referral_commission_percent"]["value"] = percent
    return change


def tier(doc, tier_id):
    return next(t for t in doc["tiers"] if t["id"] == tier_id)


def paid_a_year(cli, policy, facts):
    """Each partner's paid payouts a year, exactly, from the decisions `evaluate` writes."""
    proc = cli("evaluate", "--policy", str(policy), str(facts), "--as-of", AS_OF, "--detail", "summary")
    out = {}
    for line in proc.stdout_text.splitlines():
        d = json.loads(line)
        out[d["partner_id"]] = sum((Decimal(p["annual"]) for p in d.get("payouts", []) if p["status"] == "paid"),
                                   Decimal(0))
    return out


def diff(cli, old, new, facts, fmt="json"):
    proc = cli("diff", str(old), str(new), str(facts), "--as-of", AS_OF, "--format", fmt)
    assert proc.returncode == 0, proc.stderr_text
    return json.loads(proc.stdout_text) if fmt == "json" else proc.stdout_text


def test_a_rate_change_moves_nobody_and_changes_payouts_by_the_exact_sum(cli, tmp_path):
    new = variant(tmp_path, "rate12.json", rate(12))
    data = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv")
    assert data["totals"]["moved"] == 0
    before, after = paid_a_year(cli, SHIPPED, EXAMPLES / "partners.csv"), \
        paid_a_year(cli, new, EXAMPLES / "partners.csv")
    expected = sum((after[p] - before[p] for p in before), Decimal(0))
    [usd] = data["payouts"]["totals"]
    assert Decimal(usd["change_annual"]) == expected == Decimal("5390.01")
    assert (usd["old_annual"], usd["new_annual"]) == ("26950.05", "32340.06")
    assert data["payouts"]["partners_changed"] == data["payouts"]["partners_changed_same_tier"] == 4
    rows = {(t["from"], t["to"]): t for t in data["payouts"]["transitions"]}
    assert rows[("associate_partner", "associate_partner")]["currencies"][0]["change_annual"] == "2390.01"
    assert rows[("premium_associate", "premium_associate")]["currencies"][0]["change_annual"] == "3000.00"
    table = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv", "table")
    assert ("Payouts: the change moves 0 partners and changes payouts by +$5,390.01 a year "
            "($26,950.05 -> $32,340.06 a year; paid payouts, annualised).") in table
    assert "4 partners' payouts change (4 of them keeping their tier)" in table
    md = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv", "markdown")
    assert ("| Associate Partner | Associate Partner | unchanged | 3 | 3 | $11,950.05 | $14,340.06 | +$2,390.01 | 0 |"
            in md)
    assert "| **total** |  |  | **25** | **4** | **$26,950.05** | **$32,340.06** | **+$5,390.01** | **0** |" in md


def test_a_threshold_change_moves_a_paid_partner_and_says_what_it_costs(cli, tmp_path):
    def change(doc):
        criterion = tier(doc, "associate_partner")["criteria"][0]
        criterion["condition"]["value"] = 2  # two referrals, not one
        tier(doc, "associate_partner")["name"] = "Associate <i>|x|</i>"
    new = variant(tmp_path, "two.json", change)
    data = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv")
    assert [(m["partner_id"], m["direction"]) for m in data["moved"]] == [("AP-0017", "down")]
    assert data["moved"][0]["payouts"] == {"old": {"USD": "950.05"}, "new": {}}
    [usd] = data["payouts"]["totals"]
    assert usd["change_annual"] == "-950.05" and usd["partners_changed"] == 1
    assert data["payouts"]["partners_changed_same_tier"] == 0
    rows = {(t["from"], t["to"]): t for t in data["payouts"]["transitions"]}
    assert rows[("associate_partner", None)]["partners"] == 1
    assert rows[("associate_partner", None)]["currencies"][0] == {
        "currency": "USD", "old_annual": "950.05", "new_annual": "0.00", "change_annual": "-950.05",
        "partners_changed": 1}
    table = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv", "table")
    assert "the change moves 1 partner and changes payouts by -$950.05 a year" in table
    rows_csv = list(csv.DictReader(io.StringIO(diff(cli, SHIPPED, new, EXAMPLES / "partners.csv", "csv"))))
    assert [(r["partner_id"], r["payout_currency"], r["old_payout_annual"], r["new_payout_annual"],
             r["payout_change_annual"]) for r in rows_csv] == [("AP-0017", "USD", "950.05", "0.00", "-950.05")]
    md = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv", "markdown")
    assert "| Associate Partner | (no tier) | down | 1 | 1 | $950.05 | $0.00 | -$950.05 | 0 |" in md
    assert "| Associate Partner | Associate &lt;i>\\|x\\|&lt;/i> | unchanged | 2 | 0 | $11,000.00 | $11,000.00 | $0.00 |" in md
    html = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv", "html")
    assert "<i>" not in html and "<td>Associate Partner</td><td>Associate &lt;i&gt;|x|&lt;/i&gt;</td><td>unchanged</td>" in html


def test_partners_whose_payout_is_unknown_are_counted_apart(cli, tmp_path):
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "A1,2,1000,,,\n"        # Associate: $100 -> $120
                     "A2,2,,,,\n"                    # Associate, referred business unknown
                     "A3,6,5000,,100,\n", encoding="utf-8")  # Premium: $500 -> $600; its alternative unknown
    new = variant(tmp_path, "rate12.json", rate(12))
    data = diff(cli, SHIPPED, new, facts)
    [usd] = data["payouts"]["totals"]
    assert (usd["old_annual"], usd["new_annual"], usd["change_annual"]) == ("600.00", "720.00", "120.00")
    assert data["payouts"]["partners_unknown"] == 1 and usd["partners_changed"] == 2
    rows = {(t["from"], t["to"]): t for t in data["payouts"]["transitions"]}
    assert rows[("associate_partner", "associate_partner")]["unknown"] == 1
    table = diff(cli, SHIPPED, new, facts, "table")
    assert "1 partner's payouts unknown under either policy (missing facts), counted apart, not as 0." in table


def test_the_alliance_threshold_at_two_million(cli, tmp_path):
    """The question the issue asks, in one command: it moves 2 partners; they are paid nothing
    under either policy, so payouts change by $0.00 a year."""
    def change(doc):
        tier(doc, "alliance_partner")["criteria"][0]["condition"]["value"] = 2_000_000
    new = variant(tmp_path, "2m.json", change)
    data = diff(cli, SHIPPED, new, EXAMPLES / "partners.csv")
    assert data["totals"]["moved"] == 2 and data["payouts"]["totals"][0]["change_annual"] == "0.00"
    rows = {(t["from"], t["to"]): t for t in data["payouts"]["transitions"]}
    assert rows[("alliance_partner", "premier_certified")]["partners"] == 2


def test_policies_that_pay_nothing_have_no_payout_section(cli, tmp_path):
    def unpaid(doc):
        for t in doc["tiers"]:
            t["benefits"] = [b for b in t["benefits"] if "amount" not in b]
            t.pop("choices", None)
    old = variant(tmp_path, "old.json", unpaid)
    new = variant(tmp_path, "new.json", lambda doc: (unpaid(doc), tier(doc, "alliance_partner")["criteria"][0]
                                                     ["condition"].update(value=2_000_000)))
    data = diff(cli, old, new, EXAMPLES / "partners.csv")
    assert "payouts" not in data and all("payouts" not in m for m in data["moved"])
    assert "Payouts" not in diff(cli, old, new, EXAMPLES / "partners.csv", "table")
    assert "payout_currency" not in diff(cli, old, new, EXAMPLES / "partners.csv", "csv").splitlines()[0]
