"""Payouts beyond JSON (output/payoutcells.py): the CSV's `payouts_annual.<CURRENCY>` and
`payouts` columns at summary and full detail (none at tier, none for a policy without amounts),
the terminal table's words for the total, the frames API and Parquet with the CSV's very cells.

The total is the sum of the paid annual amounts, exact (whole minor units); empty when it is
unknown (a missing payout that no paid alternative of its choice settles) and for an error record;
0.00 when the tier held pays nothing.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from typing import Any

import pytest

from evaluator import Evaluator, load_policy
from evaluator.model.policy import build_policy
from evaluator.output.payoutcells import annual_minor, columns

from conftest import REPO, base_policy, write_json

AS_OF = "2026-06-30"
SHIPPED = REPO / "policies" / "messagelabs-apac.json"
PREMIUM = {"partner_id": "PA-8", "referrals_this_year": 6, "contracts_signed": 8, "referred_business_usd": 150000,
           "monthly_recurring_revenue_usd": 4000, "annual_sales_usd": 10000, "countries": ["AU"]}
RECORDS = [
    PREMIUM,
    {**PREMIUM, "partner_id": "PA-chose", "referral_payment_choice": "recurring_revenue_share"},  # 200 x 12
    {**PREMIUM, "partner_id": "PA-nocount", "contracts_signed": None},          # the share unknown, not chosen
    {**PREMIUM, "partner_id": "PA-unknown", "contracts_signed": None,           # chosen, openness unknown
     "referral_payment_choice": "recurring_revenue_share"},
    {**PREMIUM, "partner_id": "PA-nobasis", "referred_business_usd": None},     # the default's basis missing
    {"partner_id": "AP-1", "referrals_this_year": 1, "referred_business_usd": 0.05},  # 0.005: half up
    {"partner_id": "AL-1", "annual_sales_usd": 2_000_000},                      # a tier without amounts
    {"partner_id": "NONE", "annual_sales_usd": 10},                             # no tier
    {"partner_id": "=BAD", "annual_sales_usd": -5},                             # an error record
]
EXPECTED = {  # partner -> (payouts_annual.USD, payouts)
    "PA-8": ("15000.00", "referral_commission 15000.00 USD/annual; "
                         "recurring_revenue_share alternative 200.00 USD/monthly"),
    "PA-chose": ("2400.00", "referral_commission alternative 15000.00 USD/annual; "
                            "recurring_revenue_share 200.00 USD/monthly"),
    "PA-nocount": ("15000.00", "referral_commission 15000.00 USD/annual; recurring_revenue_share missing"),
    "PA-unknown": ("", "referral_commission alternative 15000.00 USD/annual; recurring_revenue_share missing"),
    "PA-nobasis": ("", "referral_commission missing; recurring_revenue_share alternative 200.00 USD/monthly"),
    "AP-1": ("0.01", "referral_commission 0.01 USD/annual"),
    "AL-1": ("0.00", ""),
    "NONE": ("0.00", ""),
    "'=BAD": ("", ""),
}


@pytest.fixture
def facts(tmp_path):
    path = tmp_path / "partners.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in RECORDS))
    return path


def _csv(cli, facts, *extra: str) -> list[dict[str, str]]:
    proc = cli("evaluate", "--policy", str(SHIPPED), "--as-of", AS_OF, "--format", "csv", str(facts), *extra)
    assert proc.returncode == 1, proc.stderr_text  # the error record
    return list(csv.DictReader(io.StringIO(proc.stdout_text)))


@pytest.mark.parametrize("detail", ["summary", "full"])
def test_the_csv_has_the_paid_annual_total_and_each_payout(cli, facts, detail):
    rows = _csv(cli, facts, "--detail", detail)
    header = list(rows[0])
    assert header.index("payouts_annual.USD") + 1 == header.index("payouts") < header.index("next_tier_id")
    assert {r["partner_id"]: (r["payouts_annual.USD"], r["payouts"]) for r in rows} == EXPECTED


def test_the_tier_level_and_a_policy_without_amounts_have_no_payout_columns(cli, facts, tmp_path):
    rows = _csv(cli, facts, "--detail", "tier")
    assert "payouts" not in rows[0] and not any(k.startswith("payouts_annual") for k in rows[0])
    plain = write_json(tmp_path / "plain.json", base_policy())
    proc = cli("evaluate", "--policy", str(plain), "--format", "csv", "--as-of", AS_OF, str(facts))
    assert "payouts" not in proc.stdout_text.splitlines()[0]


def test_one_total_column_per_currency_and_cells_are_neutralised(cli, tmp_path):
    doc = base_policy()
    doc["tiers"][0]["benefits"] = [
        {"id": "usd_bonus", "description": "d", "amount": {"percent": 10, "of": "balance"}, "period": "quarterly"},
        {"id": "yen_fund", "description": "d", "amount": {"fixed": 1000.5}, "currency": "JPY", "period": "monthly"},
        {"id": "dinar_fee", "description": "d", "amount": {"each": 0.0005, "of": "referrals"}, "currency": "BHD",
         "period": "annual"}]
    policy = write_json(tmp_path / "p.json", doc)
    facts = tmp_path / "f.jsonl"
    facts.write_text('{"partner_id": "P", "sales": 100, "balance": -1.25, "referrals": 3}\n'
                     '{"partner_id": "Q", "sales": 100, "balance": 10}\n')
    proc = cli("evaluate", "--policy", str(policy), "--format", "csv", "--detail", "summary", "--as-of", AS_OF, str(facts))
    p, q = csv.DictReader(io.StringIO(proc.stdout_text))
    # -0.125 a quarter -> -0.13, x4; 1000.5 yen -> 1001 a month, x12; 0.0015 dinars -> 0.002
    assert (p["payouts_annual.USD"], p["payouts_annual.JPY"], p["payouts_annual.BHD"]) == ("-0.52", "12012", "0.002")
    assert p["payouts"] == "usd_bonus -0.13 USD/quarterly; yen_fund 1001 JPY/monthly; dinar_fee 0.002 BHD/annual"
    assert (q["payouts_annual.USD"], q["payouts_annual.JPY"], q["payouts_annual.BHD"]) == ("4.00", "12012", "")
    assert proc.stdout_text.splitlines()[1].split(",")[8] == "-0.52"  # a number stays a number (not '-0.52)
    table = cli("evaluate", "--policy", str(policy), "--format", "table", "--as-of", AS_OF, str(facts)).stdout_text
    assert "paid -$0.52 + ¥12,012 + BHD0.002 a year" in table
    assert "paid $4.00 + ¥12,012 a year; payouts unknown (missing referrals)" in table


def test_the_table_says_what_the_tier_pays_a_year(cli, facts):
    for detail in ("summary", "full"):
        proc = cli("evaluate", "--policy", str(SHIPPED), "--as-of", AS_OF, "--format", "table", "--detail", detail,
                   str(facts))
        lines = {line.split()[0]: line for line in proc.stdout_text.splitlines()[1:] if line.strip()}
        assert "paid $15,000.00 a year" in lines["PA-8"] and "paid $2,400.00 a year" in lines["PA-chose"]
        assert "paid $15,000.00 a year" in lines["PA-nocount"] and "unknown" not in lines["PA-nocount"]
        assert lines["PA-unknown"].endswith("payouts unknown (missing contracts_signed)") or detail == "summary"
        assert "payouts unknown (missing contracts_signed)" in lines["PA-unknown"]
        assert "payouts unknown (missing referred_business_usd)" in lines["PA-nobasis"]
        assert "paid $0.01 a year" in lines["AP-1"]
        assert "paid" not in lines["AL-1"] and "payouts" not in lines["AL-1"]  # its tier pays no amount
    tier = cli("evaluate", "--policy", str(SHIPPED), "--as-of", AS_OF, "--format", "table", "--detail", "tier", str(facts))
    assert "paid" not in tier.stdout_text


def test_frames_and_parquet_carry_the_csv_cells(cli, facts, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    from evaluator.frames import column_names, decide_batch
    policy = load_policy(SHIPPED)
    assert columns(policy) == ["payouts_annual.USD", "payouts"]
    assert column_names(policy)[5:7] == ["payouts_annual.USD", "payouts"]
    with Evaluator(policy, as_of=_dt.date.fromisoformat(AS_OF)) as evaluator:
        names = sorted({k for r in RECORDS for k in r if k != "countries"})  # every row's columns
        table = decide_batch(evaluator, pa.Table.from_pylist([{k: r.get(k) for k in names} for r in RECORDS]))
    got = {r["partner_id"]: (r["payouts_annual.USD"], r["payouts"]) for r in table.to_pylist()}
    want = {k.lstrip("'"): v for k, v in EXPECTED.items()}
    want["=BAD"] = (None, None)  # an error row: null cells; an unknown total: null
    want.update({k: (None, want[k][1]) for k, (total, _) in EXPECTED.items() if total == "" and k != "'=BAD"})
    assert got == want
    out = tmp_path / "d.parquet"
    assert cli("evaluate", "--policy", str(SHIPPED), "--as-of", AS_OF, str(facts), "-o", str(out)).returncode == 1
    written = pq.read_table(out)
    csv_rows = _csv(cli, facts)
    assert written.column("payouts_annual.USD").to_pylist() == [r["payouts_annual.USD"] or None for r in csv_rows][:-1] + [None]
    assert written.column("payouts").to_pylist()[:-1] == [r["payouts"] for r in csv_rows][:-1]


def test_totals_over_a_million_amounts_are_the_exact_sum():
    """A total is a sum of whole minor units: a million payouts of 0.005 rounded each to 0.01."""
    doc = base_policy()
    doc["tiers"][0]["benefits"] = [{"id": "b", "description": "d", "amount": {"percent": 50, "of": "balance"},
                                    "period": "monthly"}]
    with Evaluator(build_policy(doc), as_of=_dt.date(2026, 6, 30)) as evaluator:
        one = evaluator.evaluate({"partner_id": "P", "sales": 100, "balance": 0.01})
    (payout,) = one.payouts
    assert payout.minor == 1 and annual_minor([payout] * 1_000_000) == {"USD": 12_000_000}
