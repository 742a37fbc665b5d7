"""`evaluator report`: payout totals by tier and by benefit, per period as paid and annualised, in
every format; paid payouts only in the totals, missing ones counted apart (never as 0), the
alternatives not taken with what they would cost; one table per currency; exact sums of minor units
(1,000,000 amounts whose float sum is wrong); what the policy names, escaped in Markdown and HTML."""
from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

from conftest import EXAMPLES, SHIPPED, base_policy, write_json
from evaluator import load_policy
from evaluator.tools.report.payouts import PayoutTally

AS_OF = "2007-09-30"
HEADER = ("partner_id,referrals_this_year,referred_business_usd,contracts_signed,monthly_recurring_revenue_usd,"
          "referral_payment_choice\n")


def decisions(cli, policy, facts):
    proc = cli("evaluate", "--policy", str(policy), str(facts), "--detail", "summary", "--as-of", AS_OF)
    return [json.loads(line) for line in proc.stdout_text.splitlines()]


def payouts_json(cli, policy, facts):
    proc = cli("report", "--policy", str(policy), str(facts), "--format", "json", "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr_text
    return json.loads(proc.stdout_text)["payouts"]


def test_the_shipped_program_over_the_examples_totals_what_the_decisions_pay(cli):
    data = payouts_json(cli, SHIPPED, EXAMPLES / "partners.csv")
    [usd] = data["currencies"]
    assert usd["currency"] == "USD" and usd["periods"] == ["monthly", "annual"]
    # the same figures, summed exactly from the decisions `evaluate` writes
    paid: dict[str, Decimal] = {}
    alternatives = Decimal(0)
    for d in decisions(cli, SHIPPED, EXAMPLES / "partners.csv"):
        for p in d.get("payouts", []):
            if p["status"] == "paid":
                paid[d["tier"]["id"]] = paid.get(d["tier"]["id"], Decimal(0)) + Decimal(p["annual"])
            elif p["status"] == "alternative":
                alternatives += Decimal(p["annual"])
    assert {t["id"]: Decimal(t["annual"]) for t in usd["tiers"]} == paid
    assert Decimal(usd["totals"]["annual"]) == sum(paid.values()) == Decimal("26950.05")
    assert Decimal(usd["totals"]["alternatives_annual"]) == alternatives == Decimal("2400.00")
    by_benefit = {b["id"]: b for b in usd["benefits"]}
    assert by_benefit["referral_commission"]["period"] == "annual"
    assert by_benefit["referral_commission"]["payouts_paid"] == 4
    assert by_benefit["recurring_revenue_share"]["period"] == "monthly"
    assert by_benefit["recurring_revenue_share"]["alternatives"] == 1
    assert data["partners_unknown"] == 0
    # tiers without an amount are not in the payout tables
    assert [t["id"] for t in usd["tiers"]] == ["premium_associate", "associate_partner"]


def test_markdown_and_html_have_the_payout_tables_with_totals_rows(cli, tmp_path):
    md = cli("report", str(EXAMPLES / "partners.csv"), "--as-of", AS_OF).stdout_text
    section = md[md.index("## Payouts"):md.index("## Near misses")]
    assert "| Premium Associate | 1 | $0.00 | $15,000.00 | $15,000.00 | 0 | 1 | $2,400.00 |" in section
    assert "| **All tiers** | **4** | **$0.00** | **$26,950.05** | **$26,950.05** | **0** | **1** | **$2,400.00** |" \
        in section
    assert "| Recurring-revenue share | Premium Associate | monthly | 0 | $0.00 a month | $0.00 | 0 | 1 | $2,400.00 |" \
        in section
    assert "1 alternative not taken: what the alternatives would cost, $2,400.00 a year (not in the totals)." in section
    assert "No partner's payouts are unknown" in section
    html = cli("report", str(EXAMPLES / "partners.csv"), "--as-of", AS_OF, "--format", "html").stdout_text
    assert "<h2>Payouts</h2>" in html and "<h3>Payouts per tier (USD)</h3>" in html
    assert '<tfoot class="totals"><tr><td>All tiers</td><td class="n">4</td>' in html
    assert "<title>Payouts a year per tier (USD)</title>" in html


def test_missing_payouts_are_counted_apart_never_as_zero(cli, tmp_path):
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "A1,2,1000,,,\n"         # Associate, $100 commission
                     "A2,3,,,,\n"                     # Associate, referred business unknown
                     "A3,1,,,,\n"                     # the same
                     "A4,6,5000,,100,\n", encoding="utf-8")  # Premium: commission paid; the share's contracts unknown
    data = payouts_json(cli, SHIPPED, facts)
    [usd] = data["currencies"]
    tiers = {t["id"]: t for t in usd["tiers"]}
    assert tiers["associate_partner"]["annual"] == "100.00" and tiers["associate_partner"]["payouts_paid"] == 1
    assert tiers["associate_partner"]["missing"] == 2 and tiers["associate_partner"]["partners_unknown"] == 2
    # A4's paid commission is known; the alternative it could choose is the one unknown
    assert tiers["premium_associate"]["annual"] == "500.00" and tiers["premium_associate"]["partners_unknown"] == 0
    assert tiers["premium_associate"]["alternatives_unknown"] == 1
    assert usd["totals"]["annual"] == "600.00" and usd["totals"]["missing"] == 2
    assert data["partners_unknown"] == 2 and data["missing_facts"] == {"referred_business_usd": 2}
    md = cli("report", "--policy", str(SHIPPED), str(facts), "--as-of", AS_OF).stdout_text
    assert ("2 partners' payouts unknown (missing facts: referred business 2): left out of the totals, "
            "never counted as 0.") in md
    assert "1 alternative not taken whose amount is unknown (missing facts)." in md


def _two_currencies(tmp_path):
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    premium = next(t for t in doc["tiers"] if t["id"] == "premium_associate")
    premium["benefits"][1]["currency"] = "AUD"
    premium["benefits"][1]["name"] = "Share <b>|x|</b>"
    path = tmp_path / "aud.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_each_currency_is_totalled_apart_and_policy_text_is_escaped(cli, tmp_path):
    policy = _two_currencies(tmp_path)
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "A1,5,1000,8,300,recurring_revenue_share\nA2,5,2000,8,300,\n", encoding="utf-8")
    data = payouts_json(cli, policy, facts)
    by_currency = {c["currency"]: c for c in data["currencies"]}
    assert list(by_currency) == ["USD", "AUD"]  # the policy's currency first
    assert by_currency["USD"]["totals"]["annual"] == "200.00"       # A2's commission
    assert by_currency["USD"]["totals"]["alternatives_annual"] == "100.00"  # A1's commission, not taken
    assert by_currency["AUD"]["totals"]["paid"] == {"monthly": "15.00"}  # A1's share, 5% of 300 a month
    assert by_currency["AUD"]["totals"]["annual"] == "180.00"
    assert by_currency["AUD"]["totals"]["alternatives_annual"] == "180.00"  # A2's share, not taken
    md = cli("report", "--policy", str(policy), str(facts), "--as-of", AS_OF).stdout_text
    assert "### Payouts per tier (AUD)" in md and "| **All tiers** | **1** | **A$15.00** | **A$180.00** |" in md
    assert "<b>" not in md and "Share &lt;b>\\|x\\|&lt;/b>" in md
    html = cli("report", "--policy", str(policy), str(facts), "--as-of", AS_OF, "--format", "html").stdout_text
    assert "<b>" not in html and "Share &lt;b&gt;|x|&lt;/b&gt;" in html


def test_a_policy_that_pays_nothing_has_no_payouts_section(cli, tmp_path):
    policy = write_json(tmp_path / "plain.json", base_policy())
    facts = tmp_path / "facts.csv"
    facts.write_text("partner_id,sales\nA,150\nB,20\n", encoding="utf-8")
    proc = cli("report", "--policy", str(policy), str(facts), "--format", "json", "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr_text
    assert "payouts" not in json.loads(proc.stdout_text)
    assert "## Payouts" not in cli("report", "--policy", str(policy), str(facts), "--as-of", AS_OF).stdout_text


def test_totals_over_a_million_amounts_are_the_exact_sum():
    """1,000,000 payouts of $0.10, $0.20 and $0.70 a month: as floats the sum is off; the tally's
    is the exact sum, as a sum of ints and of Decimals say."""
    policy = load_policy(SHIPPED)
    tally = PayoutTally(policy)
    amounts = [10, 20, 70] * 333_333 + [10]
    assert len(amounts) == 1_000_000
    exact_cents = sum(amounts)
    floats = 0.0
    for cents in amounts:
        floats += cents / 100
    assert Decimal(repr(floats)) != Decimal(exact_cents) / 100  # the float total is wrong
    for cents in amounts:
        tally.add("premium_associate", (SimpleNamespace(
            benefit="recurring_revenue_share", name="Recurring-revenue share", status="paid", currency="USD",
            period="monthly", minor=cents, annual_minor=cents * 12, choice=None, missing_facts=()),))
    usd = tally.to_dict()["currencies"][0]
    exact = sum((Decimal(c) / 100 for c in amounts), Decimal(0))
    assert Decimal(usd["totals"]["paid"]["monthly"]) == exact == Decimal("333333.10")
    assert Decimal(usd["totals"]["annual"]) == exact * 12
    assert usd["totals"]["payouts_paid"] == 1_000_000 and usd["totals"]["partners_paid"] == 1_000_000


def test_every_period_has_its_column_and_is_annualised_by_its_payments_a_year(cli, tmp_path):
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    associate = next(t for t in doc["tiers"] if t["id"] == "associate_partner")
    associate["benefits"] += [
        {"id": "marketing_fund", "description": "A quarterly marketing fund.", "amount": {"fixed": 250.25},
         "period": "quarterly"},
        {"id": "launch_bonus", "description": "Once, on joining.", "amount": {"fixed": 500}, "period": "one_time"}]
    policy = tmp_path / "periods.json"
    policy.write_text(json.dumps(doc), encoding="utf-8")
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "A1,1,1000,,,\nA2,2,,,,\n", encoding="utf-8")
    [usd] = payouts_json(cli, policy, facts)["currencies"]
    assert usd["periods"] == ["monthly", "quarterly", "annual", "one_time"]
    # A1: $100 commission, $250.25 a quarter, $500 once; A2: the fund and the bonus, its commission unknown
    assert usd["totals"]["paid"] == {"monthly": "0.00", "quarterly": "500.50", "annual": "100.00", "one_time": "1000.00"}
    assert usd["totals"]["annual"] == "3102.00"  # 500.50 x 4 + 100 + 1000
    assert usd["totals"]["missing"] == 1 and usd["totals"]["partners_unknown"] == 1
    md = cli("report", "--policy", str(policy), str(facts), "--as-of", AS_OF).stdout_text
    assert ("| tier | partners paid | paid monthly | paid quarterly | paid annually | paid once | a year (annualised) |"
            in md)
    assert "| Marketing fund | Associate Partner | quarterly | 2 | $500.50 a quarter | $2,002.00 | 0 | 0 |  |" in md
    assert "| Launch bonus | Associate Partner | one_time | 2 | $1,000.00 once | $1,000.00 | 0 | 0 |  |" in md
