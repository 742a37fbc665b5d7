"""Payouts in words: "Referral commission: 10% of referred business ($150,000.00) = $15,000.00 a year".

Each payout's `text` (model/payouts.py) is made here, from the benefit as written and the figures
it was worked out from: the form's words (language/amounts.py), the basis by its fact's label
(money when its unit is the currency, else a number with its unit), the floor or cap that
applied, the period, and for an alternative or a payout that is not open or missing, why.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..language.amounts import form_of
from ..language.conditions import render
from ..language.money import PERIODS, plain, to_minor
from ..model.benefits import Payable
from .moneytext import money_words  # Babel's text, without Babel's per-call cost
from ..model.payouts import ALTERNATIVE, MISSING, NOT_OPEN, Payout
from ..model.policy import Policy


def _basis_words(policy: Policy, payable: Payable, value: Decimal | None) -> str:
    expr = payable.basis
    if isinstance(expr, str) and expr in policy.facts:
        spec = policy.facts[expr]
        name, unit = spec.shown, spec.unit
    elif isinstance(expr, str) and expr in policy.measures:
        name, unit = expr.replace("_", " "), policy.measures[expr].unit
    else:
        name, unit = "the basis", None
    if value is None:
        return name
    if unit == payable.currency:  # as it is (a basis is not money paid: it is not rounded)
        return f"{name} ({money_words(value, payable.currency, exact=True)})"
    return f"{name} ({plain(value)}{' ' + unit if unit else ''})"


def _rate_words(payable: Payable, rate: Any) -> str:
    form = form_of(payable.amount)
    assert form is not None
    if form.key == "percent":
        return plain(Decimal(repr(rate)) if isinstance(rate, float) else Decimal(rate))
    return _money(rate, payable)


def _money(value: Any, payable: Payable) -> str:
    return money_words(to_minor(Decimal(repr(value)) if isinstance(value, float) else Decimal(value),
                                payable.currency), payable.currency)


def formula_words(policy: Policy, payable: Payable, basis: Decimal | None = None, bounds: bool = True) -> str:
    """The amount's formula in words ("10% of referred business, at most $50,000.00"), with the
    basis's value if given (the program sheet says it without one)."""
    form = form_of(payable.amount)
    assert form is not None
    text = form.words(_rate_words(payable, payable.amount[form.key]), _basis_words(policy, payable, basis))
    if bounds:
        for key, words in (("at_least", "at least"), ("at_most", "at most")):
            if payable.amount.get(key) is not None:
                text += f", {words} {_money(payable.amount[key], payable)}"
    return text


def payout_text(policy: Policy, payable: Payable, payout: Payout) -> str:
    """The payout in words (its JSON's `text`; `explain` and the report show it)."""
    head = payable.name
    if payout.status == NOT_OPEN:
        why = f"needs {render(payable.when)}" if payable.when is not None else "only when chosen"
        return f"{head}: not open ({why})"
    if payout.status == MISSING or payout.minor is None:
        facts = ", ".join(payout.missing_facts)
        return f"{head}: unknown ({'missing ' + facts if facts else 'a figure it needs is missing'})"
    form = form_of(payable.amount)
    assert form is not None
    amount = f"{money_words(payout.minor, payout.currency)} {PERIODS[payout.period].words}"
    text = f"{head}: {amount}" if form.key == "fixed" else \
        f"{head}: {formula_words(policy, payable, payout.basis, bounds=False)} = {amount}"
    if payout.bound is not None and payout.unbounded_minor is not None:
        limit = "the floor" if payout.bound == "at_least" else "the cap"
        text += f" ({limit}; {money_words(payout.unbounded_minor, payout.currency)} without it)"
    if payout.status == ALTERNATIVE:
        text += " (the alternative, not paid)"
    return text
