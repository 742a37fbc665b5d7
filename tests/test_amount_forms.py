"""Each amount form of the registry (language/amounts.py) pays what its declared example says,
through a real policy and the evaluator, and the documented rounding rule holds."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from evaluator.evaluate.evaluator import Evaluator
from evaluator.language.amounts import AMOUNT_FORMS
from evaluator.language.money import PERIODS, minor_text, to_minor
from evaluator.load.policyfile import load_policy

POLICY = {
    "id": "forms", "version": "1.0.0", "title": "Amount forms", "currency": "USD",
    "facts": {"partner_id": {"type": "string", "description": "id", "required": True},
              "b": {"type": "number", "unit": "USD", "description": "basis"}},
    "tiers": [{"id": "t", "name": "T", "criteria": [], "benefits": []}],
}


def _policy(tmp_path, amount, period="annual", currency="USD"):
    import json
    doc = copy.deepcopy(POLICY)
    doc["tiers"][0]["benefits"] = [{"id": "x", "description": "x", "amount": amount, "period": period,
                                    "currency": currency}]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    return load_policy(path)


@pytest.mark.parametrize("key", list(AMOUNT_FORMS))
def test_each_form_pays_its_declared_example(tmp_path, key):
    amount, record, gives = AMOUNT_FORMS[key].example
    with Evaluator(_policy(tmp_path, amount)) as evaluator:
        (payout,) = evaluator.evaluate({"partner_id": "p", **record}).payouts
    assert payout.status == "paid"
    assert minor_text(payout.minor, "USD") == gives


@pytest.mark.parametrize("amount, expected", [
    (Decimal("1234.5675"), 123457), (Decimal("0.125"), 13), (Decimal("0.124999"), 12),
    (Decimal("-0.125"), -13), (Decimal("2.5"), 250), (Decimal("0.005"), 1), (Decimal("0.0049"), 0)])
def test_one_rounding_half_away_from_zero_to_cents(amount, expected):
    assert to_minor(amount, "USD") == expected


@pytest.mark.parametrize("currency, amount, minor, text", [
    ("JPY", Decimal("120000.5"), 120001, "120001"), ("BHD", Decimal("1.2345"), 1235, "1.235"),
    ("USD", Decimal("-0.05"), -5, "-0.05")])
def test_minor_units_by_currency(currency, amount, minor, text):
    assert to_minor(amount, currency) == minor
    assert minor_text(minor, currency) == text


def test_a_basis_is_taken_as_written_not_as_the_nearest_double(tmp_path):
    # 0.1 + 0.2 in doubles is 0.30000000000000004; 12345.675 as a double is 12345.674999...
    with Evaluator(_policy(tmp_path, {"percent": 10, "of": "b"})) as evaluator:
        (payout,) = evaluator.evaluate({"partner_id": "p", "b": 12345.675}).payouts
    assert payout.minor == 123457  # 1234.5675 -> 1234.57 (the double would round to 1234.57 too only by luck)
    with Evaluator(_policy(tmp_path, {"percent": 50, "of": "b"})) as evaluator:
        (payout,) = evaluator.evaluate({"partner_id": "p", "b": 0.01}).payouts
    assert payout.minor == 1  # 0.005 -> 0.01 (half away from zero), where the double 0.005 is below the half


@pytest.mark.parametrize("period", list(PERIODS))
def test_annualised_by_period(tmp_path, period):
    with Evaluator(_policy(tmp_path, {"fixed": 200}, period)) as evaluator:
        (payout,) = evaluator.evaluate({"partner_id": "p"}).payouts
    assert payout.annual_minor == 20000 * PERIODS[period].per_year
    assert payout.to_dict()["period"] == period


def test_money_in_words_fast_is_babels_en_us_currency_format_for_every_currency():
    from babel.numbers import format_currency, get_currency_precision, list_currencies

    from evaluator.explain.moneytext import money_words
    for currency in sorted(list_currencies()):
        digits = get_currency_precision(currency)
        for minor in (1500000, -5, 0, 123456789):
            value = Decimal(minor).scaleb(-digits)
            assert money_words(minor, currency) == format_currency(value, currency, locale="en_US",
                                                                   currency_digits=True), currency
        for exact in (Decimal("150000"), Decimal("12345.675"), Decimal("-3"), Decimal("0.5")):
            assert money_words(exact, currency, exact=True) == format_currency(
                exact, currency, locale="en_US", currency_digits=True, decimal_quantization=False), currency
