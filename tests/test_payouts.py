"""Benefits that pay, case by case: the one rounding (half away from zero, to the minor unit:
USD cents, JPY yen, BHD fils; a negative basis too), a floor and a cap and the words that say
so, a missing basis (missing, never 0), the shipped program's done-when case through the
installed console script (a Premium Associate at its 5th, 6th and 8th contract, with and without
a recorded choice), a pickled Evaluator and decision keeping their payouts, a partner held in a
tier by grace or by an exception paid that tier's amounts, and `--jobs 2` writing `--jobs 1`'s bytes.
"""
from __future__ import annotations

import datetime as _dt
import json
import pickle
from typing import Any

import pytest
from decimal import Decimal
from hypothesis import given, settings, strategies as st

from evaluator import Evaluator, load_policy
from evaluator.evaluate.standing import History
from evaluator.model.policy import build_policy

from conftest import REPO, base_policy, write_json

AS_OF = _dt.date(2026, 6, 30)
SHIPPED = REPO / "policies" / "messagelabs-apac.json"


def paying(amount: dict[str, Any], currency: str = "USD", **benefit: Any) -> dict[str, Any]:
    """base_policy whose gold tier pays one benefit `pay` of `amount`."""
    doc = base_policy()
    doc["tiers"][0]["benefits"] = [{"id": "pay", "name": "Pay", "description": "pays", "amount": amount,
                                    "currency": currency, "period": "annual", **benefit}]
    return doc


def payout(doc: dict[str, Any], **facts: Any) -> dict[str, Any]:
    with Evaluator(build_policy(doc), as_of=AS_OF) as evaluator:
        (out,) = evaluator.evaluate({"partner_id": "P", "sales": 100, **facts}).to_dict()["payouts"]
    return out


@pytest.mark.parametrize("currency, balance, amount", [
    ("USD", 1.005, "0.10"),        # 0.1005 -> 0.10 (below the half)
    ("USD", 1.25, "0.13"),         # 0.125: the half, up
    ("USD", 1.249, "0.12"),        # one step below the half
    ("USD", -1.25, "-0.13"),       # a negative half: away from zero
    ("USD", 123456789.05, "12345678.91"),  # 12345678.905: exact, not the double's 12345678.904999...
    ("JPY", 15, "2"),              # 1.5 yen: no decimals, up
    ("JPY", 14.99, "1"),
    ("JPY", -15, "-2"),
    ("BHD", 0.025, "0.003"),       # 0.0025 dinars: three decimals, up
    ("BHD", 0.0249, "0.002"),
])
def test_one_rounding_half_away_from_zero_to_the_minor_unit(currency, balance, amount):
    out = payout(paying({"percent": 10, "of": "balance"}, currency), balance=balance)
    assert out["status"] == "paid" and out["amount"] == amount and out["currency"] == currency
    assert out["annual"] == amount


def test_the_basis_is_not_rounded_before_the_rate_is_applied():
    # 0.005 dollars of basis, 100%: rounding the basis first to cents would give 0.01 (or 0.00)
    out = payout(paying({"percent": 50, "of": "balance"}), balance=0.015)   # 0.0075 -> 0.01
    assert out["amount"] == "0.01" and out["computed"]["basis"] == "0.015"
    out = payout(paying({"percent": 50, "of": "balance"}), balance=0.009)   # 0.0045 -> 0.00, not 0.01
    assert out["amount"] == "0.00"


def test_a_floor_and_a_cap_and_the_text_says_so():
    doc = paying({"percent": 10, "of": "balance", "at_least": 100, "at_most": 50000})
    low, middle, high, at_cap = (payout(doc, balance=b) for b in (500, 5000, 600000, 500000))
    assert low["amount"] == "100.00" and low["computed"]["bounded_by"] == "at_least"
    assert low["computed"]["unbounded"] == "50.00"
    assert low["text"] == "Pay: 10% of balance ($500.00) = $100.00 a year (the floor; $50.00 without it)"
    assert middle["amount"] == "500.00" and "bounded_by" not in middle["computed"]
    assert high["amount"] == "50000.00" and high["computed"]["bounded_by"] == "at_most"
    assert high["text"].endswith("= $50,000.00 a year (the cap; $60,000.00 without it)")
    assert at_cap["amount"] == "50000.00" and "bounded_by" not in at_cap["computed"]  # at the cap, not over it


def test_a_missing_basis_is_missing_never_zero(tmp_path, cli):
    doc = paying({"percent": 10, "of": "balance", "at_least": 100})  # not even the floor is paid
    out = payout(doc)
    assert out["status"] == "missing" and out["amount"] is None and out["annual"] is None
    assert out["missing_facts"] == ["balance"] and out["text"] == "Pay: unknown (missing balance)"
    ratio = paying({"percent": 10, "of": {"ratio": ["sales", "balance"]}})
    out = payout(ratio, balance=0)   # a zero denominator: no value, no fact to name
    assert out["status"] == "missing" and out["amount"] is None
    facts = tmp_path / "p.jsonl"
    facts.write_text('{"partner_id": "P", "sales": 100}\n')
    proc = cli("explain", "--policy", str(write_json(tmp_path / "p.json", doc)), "--as-of", AS_OF.isoformat(),
               str(facts))
    assert "  - Pay: unknown (missing balance)" in proc.stdout_text and "$0.00" not in proc.stdout_text


def test_fixed_and_each_and_every_period_annualised():
    doc = base_policy()
    doc["tiers"][0]["benefits"] = [
        {"id": "fund", "description": "a fund", "amount": {"fixed": 1000}, "period": "quarterly"},
        {"id": "bounty", "description": "per referral", "amount": {"each": 250, "of": "referrals"}, "period": "monthly"},
        {"id": "once", "description": "once", "amount": {"fixed": 99.995}, "period": "one_time"}]
    with Evaluator(build_policy(doc), as_of=AS_OF) as evaluator:
        fund, bounty, once = evaluator.evaluate({"partner_id": "P", "sales": 100, "referrals": 3}).to_dict()["payouts"]
    assert (fund["amount"], fund["annual"]) == ("1000.00", "4000.00")
    assert (bounty["amount"], bounty["annual"]) == ("750.00", "9000.00")
    assert bounty["text"] == "Bounty: $250.00 for each of referrals (3) = $750.00 a month"
    assert (once["amount"], once["annual"]) == ("100.00", "100.00")


# --- the shipped program -------------------------------------------------------------------------

PREMIUM = {"partner_id": "PA-8", "referrals_this_year": 6, "contracts_signed": 8, "referred_business_usd": 150000,
           "monthly_recurring_revenue_usd": 4000, "annual_sales_usd": 10000, "countries": ["AU"], "regions": ["ANZ"]}


def _shipped(cli, tmp_path, *records: dict[str, Any], command: str = "evaluate", extra: tuple[str, ...] = ()) -> Any:
    facts = tmp_path / "partners.jsonl"
    facts.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = cli(command, "--policy", str(SHIPPED), "--as-of", AS_OF.isoformat(), str(facts), *extra)
    assert proc.returncode == 0, proc.stderr_text
    return proc


def test_done_when_a_premium_associate_with_eight_contracts_gets_both_amounts(cli, tmp_path):
    proc = _shipped(cli, tmp_path, PREMIUM)
    (decision,) = map(json.loads, proc.stdout_text.splitlines())
    assert decision["tier"]["id"] == "premium_associate"
    commission, share = decision["payouts"]
    assert commission == {
        "benefit": "referral_commission", "name": "Referral commission", "status": "paid", "amount": "15000.00",
        "currency": "USD", "period": "annual", "annual": "15000.00",
        "computed": {"percent": 10, "of": "referred_business_usd", "basis": "150000"},
        "choice": {"id": "referral_payment", "chosen_by": "default"},
        "text": "Referral commission: 10% of referred business ($150,000.00) = $15,000.00 a year"}
    assert (share["status"], share["amount"], share["period"], share["annual"]) == \
        ("alternative", "200.00", "monthly", "2400.00")
    text = _shipped(cli, tmp_path, PREMIUM, command="explain").stdout_text
    assert "Payouts:\n  - Referral commission: 10% of referred business ($150,000.00) = $15,000.00 a year\n" \
           "  - Recurring-revenue share: 5% of monthly recurring revenue ($4,000.00) = $200.00 a month " \
           "(the alternative, not paid)\n" in text


@pytest.mark.parametrize("contracts, share_status", [(5, "not_open"), (6, "alternative"), (None, "missing")])
def test_the_share_opens_at_the_sixth_contract(cli, tmp_path, contracts, share_status):
    record = {**PREMIUM, "contracts_signed": contracts}
    (decision,) = map(json.loads, _shipped(cli, tmp_path, record).stdout_text.splitlines())
    commission, share = decision["payouts"]
    assert commission["status"] == "paid" and commission["amount"] == "15000.00"
    assert share["status"] == share_status
    assert (share["amount"] is not None) == (share_status == "alternative")
    if share_status == "not_open":
        assert share["text"] == "Recurring-revenue share: not open (needs contracts_signed >= 6)"
    if share_status == "missing":
        assert share["missing_facts"] == ["contracts_signed"] and share["annual"] is None


def test_a_recorded_choice_is_paid_when_open_and_noted_when_not(cli, tmp_path):
    chose = {**PREMIUM, "referral_payment_choice": "recurring_revenue_share"}
    early = {**chose, "partner_id": "PA-5", "contracts_signed": 5}
    unknown = {**chose, "partner_id": "PA-x", "contracts_signed": None}
    by = {d["partner_id"]: d for d in map(json.loads, _shipped(cli, tmp_path, chose, early, unknown).stdout_text.splitlines())}
    commission, share = by["PA-8"]["payouts"]
    assert share["status"] == "paid" and share["choice"]["chosen_by"] == "partner" and share["amount"] == "200.00"
    assert commission["status"] == "alternative" and commission["amount"] == "15000.00"
    commission, share = by["PA-5"]["payouts"]  # chosen, not open at the 5th contract: the default, with a note
    assert commission["status"] == "paid" and commission["choice"]["chosen_by"] == "default"
    assert commission["note"] == "Recurring-revenue share was chosen but is not open to the partner; the default is paid"
    assert share["status"] == "not_open"
    commission, share = by["PA-x"]["payouts"]  # what is paid depends on what is not known: nothing is paid
    assert share["status"] == "missing" and commission["status"] == "alternative"
    assert "note" not in commission and commission["choice"]["chosen_by"] is None
    text = _shipped(cli, tmp_path, early, command="explain").stdout_text
    assert "(Recurring-revenue share was chosen but is not open to the partner; the default is paid)" in text


def test_an_associate_partner_is_paid_the_commission_alone(shipped):
    decision = shipped.evaluate({"partner_id": "AP", "referrals_this_year": 1, "referred_business_usd": 12345.675,
                                 "contracts_signed": 9, "monthly_recurring_revenue_usd": 4000})
    assert decision.tier.id == "associate_partner"
    (commission,) = decision.to_dict()["payouts"]
    assert commission["amount"] == "1234.57" and "choice" not in commission  # 1234.5675: half up
    assert commission["text"] == "Referral commission: 10% of referred business ($12,345.675) = $1,234.57 a year"


def test_a_tier_without_amounts_writes_no_payouts(shipped):
    decision = shipped.evaluate({"partner_id": "AL", "annual_sales_usd": 2_000_000})
    assert decision.tier.id == "alliance_partner" and decision.payouts == ()
    assert "payouts" not in decision.to_dict()


def test_a_pickled_evaluator_and_decision_keep_their_payouts(shipped_policy):
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        decision = evaluator.evaluate(PREMIUM)
        cold = evaluator.evaluate({**PREMIUM, "partner_id": "cold"})  # payouts never read before pickling
        blob = pickle.dumps(evaluator)
    expected = decision.to_dict()
    assert pickle.loads(pickle.dumps(decision)).to_dict() == expected
    thawed = pickle.loads(pickle.dumps(cold))
    assert [p.to_dict() for p in thawed.payouts] == expected["payouts"]
    with pickle.loads(blob) as again:
        assert again.evaluate(PREMIUM).to_dict() == expected


# --- standing and exceptions: the tier held is the tier paid --------------------------------------

def _graced() -> dict[str, Any]:
    doc = base_policy(transitions={"grace_days": 30, "max_steps_down": 1, "description": "Quarterly reviews."})
    doc["tiers"][0]["benefits"] = [{"id": "gold_bonus", "description": "gold pays", "amount": {"percent": 10, "of": "sales"},
                                    "period": "annual"}]
    doc["tiers"][1]["benefits"] = [{"id": "silver_bonus", "description": "silver pays", "amount": {"percent": 1, "of": "sales"},
                                    "period": "annual"}]
    return doc


def test_a_partner_kept_in_a_tier_by_grace_is_paid_that_tier_s_amounts():
    policy = build_policy(_graced())
    gold = {"partner_id": "P", "tier": {"id": "gold", "name": "Gold", "rank": 1}, "policy": policy.ref}
    for cache_size in (0, None):
        with Evaluator(policy, as_of=_dt.date(2026, 4, 1), cache_size=cache_size) as evaluator:
            kept = evaluator.evaluate({"partner_id": "P", "sales": 50}, previous=gold)
            assert kept.tier.id == "gold" and kept.standing["transition"] == "kept_in_grace"
            (pay,) = kept.to_dict()["payouts"]
            assert (pay["benefit"], pay["status"], pay["amount"]) == ("gold_bonus", "paid", "5.00")
            earned = evaluator.evaluate({"partner_id": "P", "sales": 50})
            assert [p.benefit for p in earned.payouts] == ["silver_bonus"] and earned.payouts[0].minor == 50
    with Evaluator(policy, as_of=_dt.date(2026, 5, 2), history=History.of([kept])) as evaluator:
        (fell,) = evaluator.evaluate_many([{"partner_id": "P", "sales": 50}])
        assert fell.tier.id == "silver" and [p.benefit for p in fell.payouts] == ["silver_bonus"]


def test_a_partner_given_a_tier_by_an_exception_is_paid_that_tier_s_amounts(tmp_path, cli):
    policy = write_json(tmp_path / "policy.json", _graced())
    exceptions = write_json(tmp_path / "exceptions.json", {"program": "test-program", "exceptions": [
        {"id": "EX-1", "partner_id": "P", "tier": "gold", "reason": "strategic account", "approver": "VP Channels",
         "ticket": "CHAN-1", "granted": "2026-01-01", "expires": "2026-12-31"}]})
    facts = tmp_path / "facts.jsonl"
    facts.write_text('{"partner_id": "P", "sales": 50}\n{"partner_id": "Q", "sales": 50}\n')
    proc = cli("evaluate", "--policy", str(policy), "--exceptions", str(exceptions), "--as-of", "2026-03-01", str(facts))
    assert proc.returncode == 0, proc.stderr_text
    p, q = map(json.loads, proc.stdout_text.splitlines())
    assert p["tier"]["id"] == "gold" and [(x["benefit"], x["amount"]) for x in p["payouts"]] == [("gold_bonus", "5.00")]
    assert q["tier"]["id"] == "silver" and [(x["benefit"], x["amount"]) for x in q["payouts"]] == [("silver_bonus", "0.50")]


# --- parallel ----------------------------------------------------------------------------------------

def test_jobs_two_writes_the_bytes_of_jobs_one_with_payouts(cli, tmp_path):
    records = []
    for i in range(600):
        records.append({**PREMIUM, "partner_id": f"P{i}", "contracts_signed": i % 9,
                        "referred_business_usd": 1000 + i * 0.005, "referral_payment_choice":
                        [None, "referral_commission", "recurring_revenue_share"][i % 3],
                        "referrals_this_year": i % 7})
    facts = tmp_path / "many.jsonl"
    facts.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in records))
    for fmt in ("jsonl", "csv"):
        one, two = (cli("evaluate", "--policy", str(SHIPPED), "--as-of", AS_OF.isoformat(), "--format", fmt,
                        "--jobs", j, str(facts)) for j in ("1", "2"))
        assert one.returncode == two.returncode == 0, two.stderr_text
        assert one.stdout == two.stdout
    decisions = [json.loads(x) for x in cli("evaluate", "--policy", str(SHIPPED), "--as-of", AS_OF.isoformat(),
                                            "--jobs", "2", str(facts)).stdout_text.splitlines()]
    statuses = {p["status"] for d in decisions for p in d.get("payouts", ())}
    assert statuses == {"paid", "alternative", "not_open"}


def test_the_lane_remembers_payouts_only_for_values_written_alike():
    """fast/payoutmemo.py: a tier's payouts are remembered by the facts they read; 0, 0.0 and -0.0
    (equal as keys, written apart), 5 and 5.0, and a list in a condition (no key) are each written
    as the plain path writes them, on the lane's first pass and on its second (from the memo)."""
    from evaluator.fast.lane import jsonl_lines
    from evaluator.output.writers import _dumps
    values = [0, 0.0, -0.0, 5, 5.0, -5, 1e-7, 150000, 150000.0]
    for when in ({"fact": "active", "op": "==", "value": True}, {"fact": "regions", "op": "contains", "value": "ANZ"}):
        policy = build_policy(paying({"percent": 10, "of": "balance"}, when=when))
        records = [{"partner_id": f"P{i}", "sales": 100, "balance": b, "regions": regions, "active": True}
                   for i, (b, regions) in enumerate((b, r) for r in (["ANZ"], ["ANZ", "JAPAN"]) for b in values + values)]
        with Evaluator(policy, as_of=AS_OF, cache_size=0) as plain:
            expected = [_dumps(r.to_dict()) for r in plain.evaluate_many(records)]
        assert "(-$0.00)" in "".join(expected) and "($0.00)" in "".join(expected)
        with Evaluator(policy, as_of=AS_OF) as lane:
            for _ in range(2):
                assert [line for line, _ok in jsonl_lines(lane, records)] == expected


@pytest.mark.parametrize("sales", [1e15, 9e15])
def test_regression_an_amount_beyond_28_digits_is_said_not_raised(sales):
    """Found by comparing money texts with Babel's: a basis (a measure in the currency) of 10^30
    dollars made Babel's format_currency raise decimal.InvalidOperation (it quantizes in the
    default 28-digit context), so evaluate_many raised instead of giving the decision."""
    doc = base_policy()
    doc["measures"]["big"] = {"description": "sales squared", "unit": "USD", "compute": {"product": ["sales", "sales"]}}
    doc["tiers"][0]["benefits"] = [{"id": "pay", "name": "Pay", "description": "d", "amount": {"percent": 10, "of": "big"},
                                    "period": "annual"}]
    for cache_size in (0, None):
        with Evaluator(build_policy(doc), as_of=AS_OF, cache_size=cache_size) as evaluator:
            (decision,) = evaluator.evaluate_many([{"partner_id": "P", "sales": sales}])
            (out,) = decision.to_dict()["payouts"]
    whole = int(sales) ** 2
    assert out["amount"] == f"{whole // 10}.00"
    assert out["text"] == f"Pay: 10% of big (${whole:,}.00) = ${whole // 10:,}.00 a year"


CURRENCIES = ["USD", "JPY", "BHD", "AUD", "EUR", "GBP", "KWD", "CLF", "INR", "KRW", "XAU", "CHF"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.sampled_from(CURRENCIES), st.one_of(
    st.integers(-10 ** 18, 10 ** 18),
    # up to 28 significant digits: beyond, Babel rounds to 28 (moneytext writes every digit: exact)
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d.adjusted()) < 40 and len(d.as_tuple().digits) <= 28),
    st.sampled_from([Decimal("-0"), Decimal("-0.0"), Decimal("1E+15"), Decimal("1E-7"), Decimal("0.1000"),
                     Decimal("12345.675"), Decimal("2.50")])))
def test_money_words_are_babels_character_for_character(currency, amount):
    """explain/moneytext.py writes what Babel's format_currency writes (language/money.py), for
    amounts in minor units and exact decimal bases, in any currency; and every digit of a longer one."""
    from evaluator.explain.moneytext import money_words as fast
    from evaluator.language.money import money_words as babel
    if isinstance(amount, int):
        assert fast(amount, currency) == babel(amount, currency)
    else:
        assert fast(amount, currency, exact=True) == babel(amount, currency, exact=True)
    assert fast(Decimal("1.0940017784283458191823814814E-9"), "USD", exact=True) == \
        "$0.0000000010940017784283458191823814814"
